"""Shipped data (installed as ``archgym.datasets``): workloads, memspecs, traces, task graphs, each with its source."""

from importlib import resources
from pathlib import Path


def path(*parts: str) -> Path:
    """Filesystem path of a shipped data file, e.g. ``path("workloads", "resnet18.csv")``."""
    return Path(str(resources.files(__name__).joinpath(*parts)))


def shipped_or_path(workload, shipped, folder: str, suffix: str, expected: str, noun: str = "workload") -> tuple[str, Path]:
    """(name, path) of a shipped file ``folder/<name><suffix>`` named in ``shipped``, or of an existing
    file path with that suffix; otherwise a ValueError saying what is allowed (``expected`` describes
    the file a user may bring)."""
    if isinstance(workload, str) and workload in shipped:
        return workload, path(folder, f"{workload}{suffix}")
    p = Path(workload)
    if p.suffix.lower() == suffix and p.exists():
        return p.stem, p
    raise ValueError(f"workload {str(workload)!r} is neither a shipped {noun} nor an existing {suffix} file; "
                     f"allowed: {list(shipped)} or a path to {expected}")
