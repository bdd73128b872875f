"""Readers and writers of the reference tools' files: Timeloop YAML, ZigZag's Python inputs."""
