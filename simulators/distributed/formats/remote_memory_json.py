"""Reader of ASTRA-sim's remote-memory JSON (``--remote-memory-configuration``; astra-memory-analytical).

Only memory load/store nodes of a workload use it; collectives and compute nodes never do. Kept so
that a user's full set of ASTRA-sim inputs reads, and refused where ASTRA-sim exits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from archgym.simulators.distributed.formats import filecache

MEMORY_TYPES = ("NO_MEMORY_EXPANSION", "PER_NODE_MEMORY_EXPANSION", "PER_NPU_MEMORY_EXPANSION", "MEMORY_POOL")


@dataclass(frozen=True)
class RemoteMemoryConfig:
    """``memory-type`` and its knobs (latency in ns, bandwidth as ASTRA-sim's file gives it)."""

    memory_type: str = "NO_MEMORY_EXPANSION"
    remote_mem_latency: float = 0
    remote_mem_bw: float = 0
    num_nodes: int = 0
    num_npus_per_node: int = 0


_PARSED = filecache.cache()


def read_remote_memory_json(path) -> RemoteMemoryConfig:
    path = Path(path)
    try:
        data = filecache.read_bytes(path)
    except FileNotFoundError:
        raise ValueError(f"{path}: remote-memory JSON file not found") from None
    return remote_memory_from_bytes(data, str(path))


def remote_memory_from_bytes(raw: bytes, source: str) -> RemoteMemoryConfig:
    """The :class:`RemoteMemoryConfig` of a remote-memory JSON file's bytes (remembered under them)."""
    key = (raw, source)
    hit = _PARSED.get(key)
    if hit is None:
        hit = filecache.remember(_PARSED, key, _parse(filecache.json_data(raw, source, "remote-memory JSON"), source))
    return hit


def _parse(data, path: str) -> RemoteMemoryConfig:
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the remote-memory configuration must be a JSON object")
    kind = data.get("memory-type", "NO_MEMORY_EXPANSION")
    if kind not in MEMORY_TYPES:
        raise ValueError(f"{path}: memory-type {kind!r} is not one of {', '.join(MEMORY_TYPES)}")
    kw = {"memory_type": kind}
    for key, name in (("remote-mem-latency", "remote_mem_latency"), ("remote-mem-bw", "remote_mem_bw"),
                      ("num-nodes", "num_nodes"), ("num-npus-per-node", "num_npus_per_node")):
        if key in data:
            v = data[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
                raise ValueError(f"{path}: {key} {v!r} must be a non-negative number")
            kw[name] = v
    if kind == "PER_NODE_MEMORY_EXPANSION":
        for key in ("num-nodes", "num-npus-per-node"):
            if key not in data:
                raise ValueError(f"{path}: memory-type PER_NODE_MEMORY_EXPANSION needs {key}")
    return RemoteMemoryConfig(**kw)
