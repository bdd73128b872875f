"""Synthetic request streams: stream, random, strided, mixed read/write and row-conflict patterns.

Every generator returns a request array (see :mod:`.traces`) of ``n`` 64-byte requests, request
``i`` arriving at cycle ``i * gap`` (``gap`` = 1 saturates the controller; larger gaps set the
injection rate to 1/gap requests per cycle). Structured patterns are given in DRAM coordinates
and encoded with the address mapping, so that they hit the intended banks under any mapping.
Randomised patterns take a seed and are reproducible.
"""

from __future__ import annotations

import numpy as np

from .addressmap import AddressMapping, default_mapping
from .memspec import MemSpec
from .traces import make_requests

PATTERNS = ("stream", "random", "strided", "mixed", "conflict")


def _arrival(n: int, gap: int) -> np.ndarray:
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if gap < 1:
        raise ValueError(f"gap must be >= 1 cycle, got {gap}")
    return np.arange(n, dtype=np.int64) * gap


def stream(n: int, gap: int, spec: MemSpec, *, start: int = 0, write_fraction: float = 0.0, seed: int = 0):
    """Consecutive 64-byte lines from ``start`` (a sequential read stream, optionally with writes)."""
    line = spec.bytes_per_burst
    addr = (start // line + np.arange(n, dtype=np.uint64)) * np.uint64(line) % np.uint64(spec.capacity_bytes)
    return make_requests(_arrival(n, gap), _writes(n, write_fraction, seed), addr)


def random(n: int, gap: int, spec: MemSpec, *, write_fraction: float = 0.0, seed: int = 0):
    """Uniformly random lines over the whole device."""
    rng = np.random.default_rng(seed)
    lines = spec.capacity_bytes // spec.bytes_per_burst
    addr = rng.integers(0, lines, size=n, dtype=np.uint64) * np.uint64(spec.bytes_per_burst)
    return make_requests(_arrival(n, gap), _writes(n, write_fraction, seed + 1), addr)


def mixed(n: int, gap: int, spec: MemSpec, *, write_fraction: float = 1 / 3, seed: int = 0):
    """Random lines, a ``write_fraction`` of them writes (default 1/3, i.e. 2:1 read:write)."""
    return random(n, gap, spec, write_fraction=write_fraction, seed=seed)


def strided(n: int, gap: int, spec: MemSpec, mapping: AddressMapping | None = None, *, banks: int = 4,
            row0: int = 0x1234, write_fraction: float = 0.0, seed: int = 0):
    """Round-robin over ``banks`` banks of rank 0 / bank group 0, walking each open row's columns."""
    mapping = mapping or default_mapping(spec)
    if not 1 <= banks <= spec.banks_per_group:
        raise ValueError(f"banks must be 1..{spec.banks_per_group} (banks per group), got {banks}")
    i = np.arange(n, dtype=np.int64)
    bursts_per_row = spec.columns // spec.burst_length
    col = ((i // banks) % bursts_per_row) * spec.burst_length
    row = (row0 + i // (banks * bursts_per_row)) % spec.rows
    addr = mapping.encode(spec, bank=i % banks, row=row, column=col)
    return make_requests(_arrival(n, gap), _writes(n, write_fraction, seed), addr)


def conflict(n: int, gap: int, spec: MemSpec, mapping: AddressMapping | None = None, *, rows: int = 4,
             row0: int = 0x1234, write_fraction: float = 0.0, seed: int = 0):
    """Row conflicts: two banks (bank groups 0 and 1 of rank 0), each visit to a bank opening another of ``rows`` rows."""
    mapping = mapping or default_mapping(spec)
    if rows < 2:
        raise ValueError(f"rows must be >= 2 for conflicts, got {rows}")
    i = np.arange(n, dtype=np.int64)
    groups = min(2, spec.bank_groups_per_rank)
    bursts_per_row = spec.columns // spec.burst_length
    col = ((i // (groups * rows)) % bursts_per_row) * spec.burst_length
    row = (row0 + (i // groups) % rows) % spec.rows
    if groups > 1:
        addr = mapping.encode(spec, bankgroup=i % groups, row=row, column=col)
    else:
        addr = mapping.encode(spec, bank=i % 2, row=row, column=col)
    return make_requests(_arrival(n, gap), _writes(n, write_fraction, seed), addr)


def _writes(n: int, fraction: float, seed: int) -> np.ndarray:
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"write_fraction must be in [0, 1], got {fraction}")
    if fraction == 0.0:
        return np.zeros(n, dtype=bool)
    return np.random.default_rng(seed).random(n) < fraction


GENERATORS = {"stream": stream, "random": random, "strided": strided, "mixed": mixed, "conflict": conflict}


def generate(pattern: str, n: int, gap: int, spec: MemSpec, mapping: AddressMapping | None = None, **kw):
    """Generate a named pattern (one of :data:`PATTERNS`)."""
    if pattern not in GENERATORS:
        raise ValueError(f"pattern {pattern!r} is not known; allowed: {list(PATTERNS)}")
    if pattern in ("strided", "conflict"):
        return GENERATORS[pattern](n, gap, spec, mapping, **kw)
    return GENERATORS[pattern](n, gap, spec, **kw)
