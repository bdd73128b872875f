"""Memory energy, area and leakage by capacity: FARSI's use of CACTI, as a table.

FARSI sizes each memory to the largest amount of live data it ever holds, rounds that up to a
multiple of 256,000 bytes (at least 2,048), and asks CACTI for the per-access read and write
energy and the area of a memory of that size ("main memory"/comm-dram for DRAM, "ram"/itrs-lop for
SRAM). It divides the per-access energy by 16 bytes and scales energy by 0.064 and area by 0.07
(its tech-node factors). ``memory_cacti.csv`` holds CACTI's raw outputs for every multiple of the
granule (see the dataset card); this module applies FARSI's rounding and scaling.

Beyond the largest tabulated size a memory is modelled as copies of the largest one: area and
leakage grow in proportion to the size, energy per byte stays that of the largest entry.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit

SUBTYPES = ("dram", "sram")


class MemoryTableError(ValueError):
    """A memory cost table that cannot be used."""


@dataclass(frozen=True)
class MemoryCostTable:
    """Per-subtype arrays over sizes ``granule * (1..n)``: J/byte read and write, m^2, W."""

    granule_bytes: int
    min_bytes: int
    table: np.ndarray  # float64[2 subtypes, n sizes, 4]: read J/B, write J/B, area m^2, leakage W
    n_sizes: np.ndarray  # int64[2]: valid rows per subtype
    source: str = ""

    @classmethod
    def from_csv(cls, path: str | Path, granule_bytes: int, min_bytes: int, bytes_per_access: float,
                 energy_scale: float, area_scale: float) -> MemoryCostTable:
        p = Path(path)
        rows: dict[str, dict[int, tuple]] = {s: {} for s in SUBTYPES}
        try:
            with p.open(newline="") as f:
                reader = csv.DictReader(f)
                need = {"subtype", "size_bytes", "read_nJ", "write_nJ", "area_mm2", "standby_leakage_mW_per_bank", "banks"}
                missing = need - set(reader.fieldnames or [])
                if missing:
                    raise MemoryTableError(f"{p}: missing column(s) {sorted(missing)}")
                for line, r in enumerate(reader, start=2):
                    sub = r["subtype"]
                    if sub not in rows:
                        raise MemoryTableError(f"{p}: line {line}: subtype {sub!r}; allowed: {list(SUBTYPES)}")
                    try:
                        size = int(r["size_bytes"])
                        vals = tuple(float(r[k]) for k in ("read_nJ", "write_nJ", "area_mm2", "standby_leakage_mW_per_bank", "banks"))
                    except ValueError as e:
                        raise MemoryTableError(f"{p}: line {line}: {e}") from None
                    if size <= 0 or size % granule_bytes or any(not math.isfinite(v) or v < 0 for v in vals):
                        raise MemoryTableError(f"{p}: line {line}: size {size} must be a positive multiple of "
                                               f"{granule_bytes} and figures finite and >= 0")
                    rows[sub][size] = vals
        except FileNotFoundError:
            raise MemoryTableError(f"{p}: no such memory table") from None
        n = max(len(v) for v in rows.values())
        tab = np.zeros((len(SUBTYPES), max(n, 1), 4), dtype=np.float64)
        counts = np.zeros(len(SUBTYPES), dtype=np.int64)
        for s, sub in enumerate(SUBTYPES):
            sizes = sorted(rows[sub])
            if sizes != [granule_bytes * (k + 1) for k in range(len(sizes))]:
                raise MemoryTableError(f"{p}: {sub} sizes must be every multiple of {granule_bytes} from {granule_bytes} up")
            for k, size in enumerate(sizes):
                rd, wr, area, leak_mw, banks = rows[sub][size]
                tab[s, k] = (rd * 1e-9 / bytes_per_access * energy_scale, wr * 1e-9 / bytes_per_access * energy_scale,
                             area * 1e-6 * area_scale, leak_mw * 1e-3 * banks * energy_scale)
            counts[s] = len(sizes)
        return cls(granule_bytes, min_bytes, tab, counts, str(p))

    def rounded_size(self, live_bytes: float) -> int:
        """FARSI's capacity for a memory whose live data peaks at ``live_bytes``."""
        return int(math.ceil(max(math.ceil(live_bytes), self.min_bytes) / self.granule_bytes) * self.granule_bytes)

    def lookup(self, subtype: str, live_bytes: float) -> dict:
        """Capacity and costs of a memory of ``subtype`` whose live data peaks at ``live_bytes``."""
        if subtype not in SUBTYPES:
            raise MemoryTableError(f"memory subtype {subtype!r}; allowed: {list(SUBTYPES)}")
        size = self.rounded_size(live_bytes)
        v = memory_costs(self.table, self.n_sizes, SUBTYPES.index(subtype), float(size), float(self.granule_bytes))
        return {"size_bytes": size, "read_J_per_byte": v[0], "write_J_per_byte": v[1], "area_m2": v[2], "leakage_W": v[3]}


@njit(cache=True)
def memory_costs(table: np.ndarray, n_sizes: np.ndarray, sub: int, size: float, granule: float) -> tuple:
    """(read J/B, write J/B, area, leakage) of a memory of ``size`` bytes (a multiple of ``granule``)."""
    n = n_sizes[sub]
    k = int(size / granule + 0.5) - 1
    if k < n:
        return table[sub, k, 0], table[sub, k, 1], table[sub, k, 2], table[sub, k, 3]
    f = size / (granule * n)
    return table[sub, n - 1, 0], table[sub, n - 1, 1], table[sub, n - 1, 2] * f, table[sub, n - 1, 3] * f
