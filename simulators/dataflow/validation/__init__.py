"""Bridges to the reference tools themselves (ZigZag run live), apart from the model."""
