"""Shipped data (installed as ``archgym.datasets``): workloads, memspecs, traces, task graphs, each with its source."""

from importlib import resources
from pathlib import Path


def path(*parts: str) -> Path:
    """Filesystem path of a shipped data file, e.g. ``path("workloads", "resnet18.csv")``."""
    return Path(str(resources.files(__name__).joinpath(*parts)))
