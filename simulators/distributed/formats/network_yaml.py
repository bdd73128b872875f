"""Reader of ASTRA-sim's analytical network YAML (``--network-configuration``; ``NetworkParser.cpp``).

Four lists of equal length, one entry per dimension: ``topology`` (Ring, Switch, FullyConnected),
``npus_count`` (each at least 2), ``bandwidth`` (GB/s, GB = 2^30 B, positive) and ``latency`` (ns,
non-negative). Everything ASTRA-sim rejects is refused here with a ``ValueError`` naming the file, the
key, the bad value and what is allowed; other keys are ignored by ASTRA-sim and warned about here.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import yaml

from archgym.simulators.distributed.formats import filecache
from archgym.simulators.distributed.network import TOPOLOGIES, Dimension, Network
from archgym.simulators.yaml12 import Loader as _PyLoader

KEYS = ("topology", "npus_count", "bandwidth", "latency")


class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml's safe loader (when PyYAML has it: parsing is most of a small run's time) with YAML 1.2 numbers, as yaml-cpp reads them."""


Loader.yaml_implicit_resolvers = {k: list(v) for k, v in _PyLoader.yaml_implicit_resolvers.items()}


def parse_network(data, source: str = "<network>", *, _notes: list | None = None) -> Network:
    """A :class:`Network` from the parsed YAML mapping ``data`` (``source`` names it in errors)."""
    if not isinstance(data, dict):
        raise ValueError(f"{source}: the network configuration must be a mapping with keys {', '.join(KEYS)}")
    lists = {}
    for key in KEYS:
        if key not in data:
            raise ValueError(f"{source}: key {key!r} is missing (a network YAML needs {', '.join(KEYS)})")
        value = data[key]
        if not isinstance(value, list) or not value:
            raise ValueError(f"{source}: {key} must be a non-empty list with one entry per dimension, got {value!r}")
        lists[key] = value
    for key in sorted(set(data) - set(KEYS)):
        msg = f"{source}: key {key!r} is not read by ASTRA-sim's analytical backend; ignored"
        if _notes is None:
            warnings.warn(msg, stacklevel=3)
        else:
            _notes.append(msg)
    n = len(lists["topology"])
    for key in KEYS[1:]:
        if len(lists[key]) != n:
            raise ValueError(f"{source}: {key} has {len(lists[key])} entries but topology has {n} (one per dimension)")
    dims = []
    for i, (t, npus, bw, lat) in enumerate(zip(*(lists[k] for k in KEYS))):
        where = f"{source}: dimension {i}:"
        if t not in TOPOLOGIES:
            raise ValueError(f"{where} topology {t!r} is not supported; allowed: {', '.join(TOPOLOGIES)}")
        if isinstance(npus, bool) or not isinstance(npus, int) or npus < 2:
            raise ValueError(f"{where} npus_count {npus!r} must be an integer larger than 1")
        if isinstance(bw, bool) or not isinstance(bw, int | float) or not bw > 0:
            raise ValueError(f"{where} bandwidth {bw!r} must be a number larger than 0 (GB/s, GB = 2^30 B)")
        if isinstance(lat, bool) or not isinstance(lat, int | float) or not lat >= 0:
            raise ValueError(f"{where} latency {lat!r} must be a non-negative number (ns)")
        dims.append(Dimension(t, npus, float(bw), float(lat)))
    return Network(tuple(dims))


_PARSED = filecache.cache()


def network_from_bytes(data: bytes, source: str) -> Network:
    """The :class:`Network` of a network YAML file's bytes (remembered under them; warnings given on every call)."""
    key = (data, source)
    hit = _PARSED.get(key)
    if hit is None:
        try:
            parsed = yaml.load(filecache.text(data), Loader=Loader)
        except yaml.YAMLError as e:
            raise ValueError(f"{source}: not valid YAML: {e}") from e
        notes: list = []
        hit = filecache.remember(_PARSED, key, (parse_network(parsed, source, _notes=notes), tuple(notes)))
    filecache.replay(hit[1])
    return hit[0]


def read_network_yaml(path) -> Network:
    """Read an ASTRA-sim analytical network YAML file."""
    path = Path(path)
    return network_from_bytes(filecache.read_bytes(path), str(path))
