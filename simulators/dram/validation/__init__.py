"""Checks of a simulated command stream against the JEDEC timing rules, apart from the model it checks."""
