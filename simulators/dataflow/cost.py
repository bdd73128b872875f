"""Cost of one mapping: cycles, energy (per level and tensor), EDP, utilization and area.

* Energy: each element moved costs its level's access energy times ``bits / access width`` (reads:
  reads to children and drains to the parent; writes: fills and updates), plus one MAC energy per
  real (unpadded) MAC. Partial sums travel at the partial-sum precision where they are read back for
  more accumulation, at the final-output precision otherwise (ZigZag's rule). Network hops are not
  charged (Timeloop's Eyeriss example charges none either).
* Cycles, as in Timeloop: the slowest of the compute (temporal iterations of the loop nest) and every
  level's traffic over its bandwidth (per instance in use; read and write ports separate). Initial
  fills and final drains overlap with compute (no start-up term).
* Capacity: the tiles a level keeps (partial sums at their precision while still partial) must fit
  its size divided by its multiple buffering.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit

from ..kernel_cache import key_module_kernels
from .access_counts import COUNT_KINDS, DRAINS, FILLS, READS, TILE, UPDATES, analyse
from .architecture import Architecture
from .mapping import Mapping
from .workload import TENSORS, Layer


class CapacityError(ValueError):
    """A mapping whose tiles do not fit a level; the message names the level, what it needs and has."""


@njit(cache=True)
def level_bits(counts, info, bits, lv, L):
    """Bits per element of W, I at level ``lv`` and of outputs for (reads/updates, drains/fills, tile)."""
    o_rw = bits[2] if counts[lv, 2, READS] > 0 else bits[3]
    o_df = bits[2] if counts[lv, 2, FILLS] > 0 else bits[3]
    o_tile = bits[2] if info[3 + L + lv] > 0 else bits[3]
    return o_rw, o_df, o_tile


@njit(cache=True)
def moved_bits(count, amount, bits, granule):
    """Bits a level moves for ``count`` elements sent ``amount`` at a time, each transfer rounded up to
    whole ``granule``s."""
    if count <= 0.0:
        return 0.0
    per = amount * bits
    if per <= 0.0:
        return count * bits
    return count * bits * (np.ceil(per / granule - 1e-9) * granule / per)


@njit(cache=True)
def cost(counts, amounts, info, bits, keeps, capacity_bits, word_bits, width_bits, granule, read_bw, write_bw,
         e_read, e_write, macs, e_mac, energy, cycles):
    """Fill ``energy[level, tensor]`` (pJ) and ``cycles[level]``; return (energy, cycles, capacity-violating
    level or -1, its required bits)."""
    L = keeps.shape[0]
    total_e = macs * e_mac
    worst = info[0]
    bad, need_bad = -1, 0.0
    for lv in range(L):
        o_rw, o_df, o_tile = level_bits(counts, info, bits, lv, L)
        rbits = 0.0
        wbits = 0.0
        need = 0.0
        g = granule[lv]
        for t in range(3):
            if t < 2:
                r = moved_bits(counts[lv, t, READS], amounts[lv, t, READS], bits[t], g)
                w = moved_bits(counts[lv, t, FILLS], amounts[lv, t, FILLS], bits[t], g)
                tb = bits[t]
            else:
                r = moved_bits(counts[lv, t, READS], amounts[lv, t, UPDATES], o_rw, g) \
                    + moved_bits(counts[lv, t, DRAINS], amounts[lv, t, DRAINS], o_df, g)
                w = moved_bits(counts[lv, t, UPDATES], amounts[lv, t, UPDATES], o_rw, g) \
                    + moved_bits(counts[lv, t, FILLS], amounts[lv, t, FILLS], o_df, g)
                tb = o_tile
            e = (r * e_read[lv] + w * e_write[lv]) / width_bits[lv]
            energy[lv, t] = e
            total_e += e
            rbits += r
            wbits += w
            if keeps[lv, t]:
                need += counts[lv, t, TILE] * tb
        inst = info[3 + lv]
        cyc = max(rbits / word_bits[lv] / (read_bw[lv] * inst), wbits / word_bits[lv] / (write_bw[lv] * inst))
        cycles[lv] = cyc
        if cyc > worst:
            worst = cyc
        if bad < 0 and need > capacity_bits[lv]:
            bad, need_bad = lv, need
    return total_e, worst, bad, need_bad


@dataclass
class Evaluation:
    """What one mapping of one layer on one architecture costs."""

    layer: Layer
    arch: Architecture
    mapping: Mapping
    counts: np.ndarray          # [level, tensor, kind], see access_counts.COUNT_KINDS
    energy_levels: np.ndarray   # [level, tensor] pJ
    level_cycles: np.ndarray    # [level] cycles the level's traffic needs
    info: np.ndarray
    energy_pj: float
    cycles: float

    @property
    def compute_cycles(self) -> float:
        return float(self.info[0])

    @property
    def mac_energy_pj(self) -> float:
        return self.layer.macs * self.arch.compute.energy

    @property
    def edp(self) -> float:
        """Energy-delay product, pJ x cycles."""
        return self.energy_pj * self.cycles

    @property
    def utilization(self) -> float:
        """Useful MACs / (MACs x cycles)."""
        return self.layer.macs / (self.arch.compute.instances * self.cycles)

    @property
    def spatial_utilization(self) -> float:
        return float(self.info[1]) / self.arch.compute.instances

    @property
    def area_um2(self) -> float:
        return self.arch.area_um2

    @property
    def bottleneck(self) -> str:
        """``compute`` or the name of the level whose bandwidth sets the cycles."""
        i = int(np.argmax(self.level_cycles))
        return self.arch.levels[i].name if self.level_cycles[i] > self.compute_cycles else "compute"

    def count(self, level: str | int, tensor: str, kind: str) -> float:
        lv = level if isinstance(level, int) else self.arch.level_index(level)
        return float(self.counts[lv, TENSORS.index(tensor), COUNT_KINDS.index(kind)])

    def energy_breakdown(self) -> dict:
        """pJ per level and tensor, plus ``mac``."""
        out = {lv.name: {t: float(self.energy_levels[i, j]) for j, t in enumerate(TENSORS)}
               for i, lv in enumerate(self.arch.levels)}
        out["mac"] = self.mac_energy_pj
        return out

    def metrics(self) -> dict:
        return {
            "cycles": self.cycles,
            "energy_pj": self.energy_pj,
            "edp": self.edp,
            "utilization": self.utilization,
            "area_um2": self.area_um2,
        }


def evaluate(arch: Architecture, layer: Layer, mapping: Mapping, check: bool = True) -> Evaluation:
    """Cost of ``mapping`` of ``layer`` on ``arch``; raises MappingError/CapacityError if it is invalid."""
    if check:
        mapping.validate(layer, arch)
    la, aa, ma = layer.arrays(), arch.arrays(), mapping.arrays()
    L = aa.keeps.shape[0]
    counts = np.zeros((L, 3, 5))
    amounts = np.zeros((L, 3, 5))
    info = np.zeros(3 + 2 * L)
    analyse(la.dims, la.stride, la.dilation, la.input_real, aa.keeps, aa.latch, aa.chain, ma.t_dim, ma.t_size, ma.t_level,
            ma.spatial, counts, amounts, info)
    energy = np.zeros((L, 3))
    cycles = np.zeros(L)
    e, cyc, bad, need = cost(counts, amounts, info, la.bits, aa.keeps, aa.capacity_bits, aa.word_bits,
                             aa.width_bits, aa.granule_bits, aa.read_bw, aa.write_bw, aa.read_energy,
                             aa.write_energy, la.macs, aa.mac_energy, energy, cycles)
    if check and bad >= 0:
        lv = arch.levels[bad]
        raise CapacityError(f"level {lv.name!r}: the mapping's tiles need {need:.0f} bits per instance, the level "
                            f"holds {lv.capacity_bits:.0f} ({lv.depth} x {lv.width_bits} bits"
                            f"{f' / {lv.multiple_buffering:g} buffers' if lv.multiple_buffering > 1 else ''})")
    return Evaluation(layer, arch, mapping, counts, energy, cycles, info, float(e), float(cyc))


# these kernels inline or call kernels of sibling files: key their disk cache on the whole folder
key_module_kernels(globals(), Path(__file__).parent)
