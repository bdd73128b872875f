"""Reader of ASTRA-sim's system JSON (``--system-configuration``; ``Sys::initialize_sys``, ``CollectiveImplLookup``).

Refuses what ASTRA-sim refuses or crashes on, with a ``ValueError`` naming the file, the key, the bad
value and what is allowed: unknown scheduling-policy or collective-optimization, unknown
implementation names, endpoint-delay 0 (ASTRA-sim's event queue asserts), preferred-dataset-splits
missing or 0 (ASTRA-sim divides by it), halvingDoubling all-to-all (ASTRA-sim exits with "unknown
communication type for HalvingDoubling"). Warns where ASTRA-sim silently ignores a key (``boost-mode``,
``local-reduction-delay`` without the shared-bus model, keys it does not know).
"""

from __future__ import annotations

import warnings
from pathlib import Path

from archgym.simulators.distributed.formats import filecache
from archgym.simulators.distributed.system import (
    COLLECTIVE_OPTIMIZATIONS,
    IMPLEMENTATION_KEYS,
    IMPLEMENTATIONS,
    SCHEDULING_POLICIES,
    Implementation,
    SystemConfig,
)

#: keys ASTRA-sim reads that do not change the time of the analytical backends' collectives
NO_TIMING_KEYS = {"trace-enabled", "replay-only", "track-local-mem", "local-mem-trace-filename", "roofline-enabled", "peak-perf"}
IGNORED_KEYS = {"boost-mode": "is not read by this version of ASTRA-sim",
                "local-reduction-delay": "is used only by the LogGP shared-bus model (model-shared-bus 1)",
                "L": "is used only by the LogGP shared-bus model", "o": "is used only by the LogGP shared-bus model",
                "g": "is used only by the LogGP shared-bus model", "G": "is used only by the LogGP shared-bus model"}
UNSUPPORTED_KEYS = ("all-reduce-implementation-custom", "all-gather-implementation-custom", "reduce-scatter-implementation-custom",
                    "all-to-all-implementation-custom", "per-node-custom-implementation")


def _integer(source, key, value, minimum, why=""):
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value or value < minimum:
        raise ValueError(f"{source}: {key} {value!r} must be an integer of at least {minimum}{why}")
    return int(value)


def parse_system(data, source: str = "<system>", *, _notes: list | None = None) -> SystemConfig:
    """A :class:`SystemConfig` from the parsed JSON object ``data`` (``source`` names it in errors)."""
    def warn(msg):
        if _notes is None:
            warnings.warn(msg, stacklevel=4)
        else:
            _notes.append(msg)

    if not isinstance(data, dict):
        raise ValueError(f"{source}: the system configuration must be a JSON object")
    known = {"scheduling-policy", "collective-optimization", "endpoint-delay", "active-chunks-per-dimension",
             "preferred-dataset-splits", "local-mem-bw", "model-shared-bus", *IMPLEMENTATION_KEYS.values(),
             *NO_TIMING_KEYS, *IGNORED_KEYS, *UNSUPPORTED_KEYS}
    for key in sorted(set(data) - known):
        warn(f"{source}: key {key!r} is not read by ASTRA-sim; ignored")
    for key in sorted(set(data) & set(IGNORED_KEYS)):
        if key == "boost-mode" or not data.get("model-shared-bus"):
            warn(f"{source}: {key} {IGNORED_KEYS[key]}; ignored")
    for key in UNSUPPORTED_KEYS:
        if key in data:
            raise NotImplementedError(f"{source}: {key} (custom-collective Chakra ETs) is not modelled")
    if data.get("model-shared-bus", 0) not in (0, False):
        raise NotImplementedError(f"{source}: model-shared-bus {data['model-shared-bus']!r}: the LogGP shared-bus model is "
                                  "not modelled (only 0, ASTRA-sim's default)")
    kw = {}
    policy = data.get("scheduling-policy", "LIFO")
    if policy not in SCHEDULING_POLICIES:
        raise ValueError(f"{source}: scheduling-policy {policy!r} is not one of {', '.join(SCHEDULING_POLICIES)}")
    kw["scheduling_policy"] = policy
    opt = data.get("collective-optimization", "baseline")
    if opt not in COLLECTIVE_OPTIMIZATIONS:
        raise ValueError(f"{source}: collective-optimization {opt!r} is not one of {', '.join(COLLECTIVE_OPTIMIZATIONS)}")
    kw["collective_optimization"] = opt
    kw["endpoint_delay"] = _integer(source, "endpoint-delay", data.get("endpoint-delay", 10), 1,
                                    " cycle (ASTRA-sim aborts on 0: EventQueue.cpp asserts when an event is scheduled at the "
                                    "current time)")
    kw["active_chunks_per_dimension"] = _integer(source, "active-chunks-per-dimension", data.get("active-chunks-per-dimension", 1), 1)
    if "preferred-dataset-splits" not in data:
        raise ValueError(f"{source}: preferred-dataset-splits is missing: ASTRA-sim's default is 0 and it divides the "
                         "collective's size by it; give an integer of at least 1")
    kw["preferred_dataset_splits"] = _integer(source, "preferred-dataset-splits", data["preferred-dataset-splits"], 1,
                                              " (ASTRA-sim divides the collective's size by it)")
    bw = data.get("local-mem-bw", 0)
    if isinstance(bw, bool) or not isinstance(bw, int | float) or bw < 0:
        raise ValueError(f"{source}: local-mem-bw {bw!r} must be a non-negative number (GB/s, GB = 1e9 B)")
    kw["local_mem_bw_GBps"] = float(bw)
    impls = {}
    for coll, key in IMPLEMENTATION_KEYS.items():
        names = data.get(key, [])
        if not isinstance(names, list) or not all(isinstance(x, str) for x in names):
            raise ValueError(f"{source}: {key} must be a list of implementation names, one per dimension, got {names!r}")
        parsed = []
        for x in names:
            try:
                parsed.append(Implementation.parse(x))
            except ValueError:
                raise ValueError(f"{source}: {key}: {x!r} is not an implementation; allowed: {', '.join(IMPLEMENTATIONS)}, "
                                 "directN, oneDirectN") from None
        if coll == "AllToAll" and any(p.base == "halvingDoubling" for p in parsed):
            raise ValueError(f"{source}: {key}: halvingDoubling does not implement all-to-all (ASTRA-sim exits with 'unknown "
                             "communication type for HalvingDoubling collective algorithm'); use ring or direct")
        if coll != "AllReduce" and any(p.base == "doubleBinaryTree" for p in parsed):
            warn(f"{source}: {key}: ASTRA-sim runs doubleBinaryTree as an all-reduce of the full data whatever the collective")
        impls[coll] = tuple(parsed)
    kw["implementations"] = impls
    return SystemConfig(**kw)


_PARSED = filecache.cache()


def system_from_bytes(data: bytes, source: str) -> tuple[SystemConfig, dict]:
    """``(SystemConfig, the parsed JSON object)`` of a system JSON file's bytes (remembered under them; warnings
    given on every call). The object is shared: do not change it."""
    key = (data, source)
    hit = _PARSED.get(key)
    if hit is None:
        raw = filecache.json_data(data, source, "system JSON")
        notes: list = []
        hit = filecache.remember(_PARSED, key, (parse_system(raw, source, _notes=notes), raw, tuple(notes)))
    filecache.replay(hit[2])
    return hit[0], hit[1]


def read_system_json(path) -> SystemConfig:
    """Read an ASTRA-sim system JSON file."""
    path = Path(path)
    try:
        data = filecache.read_bytes(path)
    except FileNotFoundError:
        raise ValueError(f"{path}: system JSON file not found") from None
    return system_from_bytes(data, str(path))[0]
