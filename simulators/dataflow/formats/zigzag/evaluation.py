"""ZigZag's cost-model figures for one layer under one ZigZag mapping, fractional spatial unrolling included.

ZigZag (3.9.1, ``SpatialMappingConversionStage``) does not pad a spatial unrolling that does not divide
its layer dimension: it makes the unrolling fractional so that the temporal loops stay integers. For a
layer dimension of size ``N`` unrolled ``u`` times on an array dimension (``u`` clipped to the array
dimension's size), on the first array dimension with the largest unrolling of it, the temporal remainder
is ``r = ceil(N / (u * e))`` and the unrolling becomes ``N / r / e`` (``e``: the unrolling of the same
layer dimension on the array dimensions listed before it); e.g. 144 output channels on 32 lanes become
28.8 lanes x 5, 1000 become 31.25 x 32, 48 input channels 24 x 2. Its element counts, per-transfer amounts
and memory instances then follow from the fractional factor as from an integer one.

This model's counts are integer-factor counts. Each count is multilinear in the spatial factors of a
dimension that no input window depends on (K, C, G, N: a tile's size and a level's instances are linear
in it, the refetches do not depend on it), so ZigZag's figure at a fractional factor ``f`` is the
interpolation between this model's counts at ``floor(f)`` and ``ceil(f)`` (on the layer whose dimension
is that factor times its temporal loops, which has no padding), one such pair per fractional factor.
Fractional unrolling of P, Q, R, S (an input window's extent is not linear in it once the real input
clips it) is refused by name.

Each operand is counted on the chain of its own memories with its own view of the mapping
(:meth:`~.hardware.ZigzagArchitecture.operand_mapping`: its memories cut where its temporal mapping cuts
them), since its counts depend only on its own memories and cuts. So what no single mapping of one chain
of levels expresses is evaluated too: a shared memory cut at different loops per operand, a memory
covering fewer loops than one below it that holds another operand (a shared register over a per-MAC
one), and memories of different operands shared along crossing array dimensions.

:func:`evaluate_layer` gives, per memory, operand and ZigZag data direction, the element counts, word
accesses and energy (this model's and under ZigZag's charging conventions, see
:func:`~.mappings.zigzag_convention_energy`), ZigZag's ideal temporal cycles and the MAC array's
utilisation.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

import numpy as np

from ...access_counts import DRAINS, FILLS, READS, UPDATES, analyse
from ...cost import level_bits, moved_bits
from ...mapping import Mapping, MappingError
from ...workload import TENSORS, Layer
from .hardware import ZigzagArchitecture, model_dim

#: ZigZag's data directions (``DataDirection``) and this model's count kinds
DIRECTIONS = {"rd_out_to_low": READS, "wr_in_by_high": FILLS, "wr_in_by_low": UPDATES, "rd_out_to_high": DRAINS}
#: dimensions whose fractional unrolling is modelled (no input window depends on them)
LINEAR_DIMS = ("N", "G", "K", "C")


def zigzag_unrolling(spatial: dict, layer: Layer, array_sizes: dict, where: str = "") -> dict:
    """ZigZag's effective spatial unrolling ``{array dim: [(dim, factor)]}``, factors possibly fractional.

    ``spatial``: the user (or searched) spatial mapping ``{array dim: [(dim, factor)]}`` in ZigZag's or this
    model's names. Unrollings beyond the array dimension's size are clipped to it, as ZigZag does; a
    dimension's unrolling on the first array dimension with its largest unrolling is made to divide the
    layer (``SpatialMappingConversionStage.generate_limited_user_spatial_mapping``)."""
    at = where or "spatial mapping"
    named = {oa: [(model_dim(d, at), int(f)) for d, f in loops] for oa, loops in spatial.items()}
    for oa, loops in named.items():
        if oa not in array_sizes:
            raise MappingError(f"{at}: spatial mapping over {oa!r}, not an array dimension of {sorted(array_sizes)}")
        for d, f in loops:
            if f < 1:
                raise MappingError(f"{at}: spatial mapping {oa} {d}: factor {f}; allowed: integers >= 1")
    out: dict = {}
    for oa, loops in named.items():
        out[oa] = []
        for d, u in loops:
            u = min(u, array_sizes[oa])
            n = layer.dims[d]
            if u > n:
                raise MappingError(f"{at}: spatial mapping {oa} {d}: {u} lanes for the layer's {n} (ZigZag requires "
                                   f"an unrolling no larger than the layer dimension)")
            sizes = [dict(lp).get(d, 0) for lp in named.values()]
            first_max = next(o for o, lp in named.items() if dict(lp).get(d, 0) == max(sizes))
            if oa == first_max:
                early = math.prod(f for o in out if o != oa for dd, f in out[o] if dd == d)
                remainder = math.ceil(n / (u * early))
                f = n / remainder / early
                u = int(f) if float(f).is_integer() else f
            out[oa].append((d, u))
    return out


@dataclass(frozen=True)
class LayerEvaluation:
    """One layer under one ZigZag mapping: ZigZag's counts and energy (see the module docstring).

    ``rows``: per (operand W/I/O, memory, ZigZag direction) a dict with ``elements``, ``word_accesses``
    (bits moved over the memory's port width, transfers rounded up to ``bandwidth_min``), ``energy_pJ``
    (this model's) and ``energy_zigzag_convention_pJ`` (ZigZag's charging conventions). ``unrolling``:
    ZigZag's effective spatial unrolling (fractional where it does not divide the layer)."""

    layer: Layer
    arch: object
    mappings: tuple          # per integer mapping evaluated (one, or the corners of a fractional unrolling):
    #                          {operand: its view of the mapping} (ZigzagArchitecture.operand_mapping)
    unrolling: dict
    rows: tuple
    mac_energy_pj: float
    temporal_cycles: float   # ZigZag's ideal_temporal_cycle: the product of the temporal loops
    utilization: float       # MACs / (temporal cycles x MAC units): ZigZag's spatial utilisation

    @property
    def energy_pj(self) -> float:
        """This model's energy (pJ) of ZigZag's counts."""
        return self.mac_energy_pj + sum(r["energy_pJ"] for r in self.rows)

    @property
    def energy_zigzag_convention_pj(self) -> float:
        """Energy (pJ) as ZigZag charges the counts (its ``energy_total``)."""
        return self.mac_energy_pj + sum(r["energy_zigzag_convention_pJ"] for r in self.rows)

    def to_dict(self) -> dict:
        """Plain data: layer, totals, utilisation, ZigZag's unrolling and the per-memory rows."""
        return {"layer": self.layer.name, "energy_zigzag_convention_pJ": self.energy_zigzag_convention_pj,
                "energy_pJ": self.energy_pj, "mac_energy_pJ": self.mac_energy_pj,
                "temporal_cycles": self.temporal_cycles, "utilization": self.utilization,
                "spatial_unrolling": {oa: [[d, f] for d, f in loops] for oa, loops in self.unrolling.items()},
                "accesses": [dict(r) for r in self.rows]}


def _counts(arch, layer: Layer, mapping: Mapping):
    aa, la, ma = arch.arrays(), layer.arrays(), mapping.arrays()
    L = arch.n_levels
    counts, amounts, info = np.zeros((L, 3, 5)), np.zeros((L, 3, 5)), np.zeros(3 + 2 * L)
    analyse(la.dims, la.stride, la.dilation, la.input_real, aa.keeps, aa.latch, aa.chain, ma.t_dim, ma.t_size,
            ma.t_level, ma.spatial, counts, amounts, info)
    return counts, amounts, info


def evaluate_layer(za: ZigzagArchitecture, layer: Layer, temporal: dict, spatial: dict,
                   where: str = "") -> LayerEvaluation:
    """ZigZag's figures for ``layer`` under its temporal mapping ``{W|I|O: [[(dim, factor), ...] per memory
    level]}`` and spatial mapping ``{array dim: [(dim, factor)]}`` (as in
    :meth:`~.hardware.ZigzagArchitecture.mapping`). Raises ``MappingError`` naming what is not modelled."""
    at = where or f"{za.hardware.path} {layer.name}"
    unrolling = zigzag_unrolling(spatial, layer, za.hardware.array_sizes, at)
    fractional = [(oa, i, f) for oa, loops in unrolling.items() for i, (_, f) in enumerate(loops)
                  if not float(f).is_integer()]
    ceil_spatial = {oa: [(d, math.ceil(f)) for d, f in loops] for oa, loops in unrolling.items()}
    for op in TENSORS:  # the mapping's own checks first: they name a structural mismatch
        za.operand_mapping(temporal, ceil_spatial, op, where=at)
    for oa, i, f in fractional:  # after the mapping's own checks, which name a structural mismatch first
        d = unrolling[oa][i][0]
        if d not in LINEAR_DIMS:
            raise MappingError(f"{at}: ZigZag's fractional unrolling {oa} {d}: {f:g} ({layer.dims[d]} on "
                               f"{spatial[oa][i][1]} lanes) is not modelled for {d}: an input window's extent is "
                               f"not linear in it; modelled for {list(LINEAR_DIMS)}")
    frac_dims = {unrolling[oa][i][0] for oa, i, _ in fractional}
    temporal_product = {}
    for lv in temporal["O"]:
        for d, f in lv:
            d = model_dim(d, at)
            temporal_product[d] = temporal_product.get(d, 1) * int(f)
    corners, mappings = [], []
    for choice in itertools.product(*[(0, 1)] * len(fractional)):
        weight, sp = 1.0, {oa: list(loops) for oa, loops in unrolling.items()}
        for (oa, i, f), up in zip(fractional, choice):
            lo = math.floor(f)
            weight *= (f - lo) if up else (1.0 - (f - lo))
            sp[oa][i] = (sp[oa][i][0], lo + up)
        if weight == 0.0:
            continue
        dims = dict(layer.dims)
        for d in dims:
            dims[d] = temporal_product.get(d, 1) * math.prod(int(f) for lp in sp.values() for dd, f in lp if dd == d)
        bad = {d: (dims[d], layer.dims[d]) for d in dims if d not in frac_dims and dims[d] != layer.dims[d]}
        if bad:
            raise MappingError(f"{at}: the mapping's factors {{dim: (product, layer size)}} {bad} do not give the "
                               f"layer's sizes with ZigZag's unrolling {unrolling}")
        corner_layer = replace(layer, dims=dims) if fractional else layer
        views = {op: za.operand_mapping(temporal, sp, op, where=at) for op in TENSORS}
        counts = {}
        for op in TENSORS:  # each operand's counts on the chain of its own memories
            views[op].validate(corner_layer, za.operand_archs[op])
            counts[op] = _counts(za.operand_archs[op], corner_layer, views[op])
        corners.append((weight, counts))
        mappings.append(views)
    rows = []
    for t, op in enumerate(TENSORS):
        arch = za.operand_archs[op]
        counts, amounts, info = (sum(w * c[op][k] for w, c in corners) for k in range(3))
        rows += _rows(za, op, t, arch, layer, counts, amounts, info, bool(fractional))
    aa = arch.arrays()
    cycles = float(math.prod(temporal_product.values()))
    return LayerEvaluation(layer, za.arch, tuple(mappings), unrolling, tuple(rows), layer.macs * aa.mac_energy, cycles,
                           layer.macs / (cycles * aa.n_macs))


def _whole(x: float, truncate: bool) -> float:
    """ZigZag's integer element counts: ``int()`` (truncate) or ``round()`` of the fractional figure."""
    return float(math.floor(x + 1e-6) if truncate else round(x))


def _rows(za, op, t, arch, layer, counts, amounts, info, fractional) -> list:
    """Rows of operand ``op`` (tensor index ``t``) from its counts on its own chain ``arch``. Under a
    fractional unrolling ZigZag rounds what it counts (``Mapping.calc_data_access``): element counts with
    ``round`` (partial sums read back down and filled back from above with ``int``), the elements per
    transfer period with ``round`` (towards the level below: the child's tile and the number of children
    served, each rounded: ``mem_bw_boost_factor``), the memory's instances
    (``SpatialMappingInternal.unit_count``) with ``round`` in its word accesses
    (``CostModelEvaluation._calc_memory_access``); the same is done here."""
    aa, la = arch.arrays(), layer.arrays()
    L = arch.n_levels
    out = []
    for j, name in enumerate(za.memories[op]):
        lv = arch.level_index(name)
        child = arch.level_index(za.memories[op][j - 1]) if j else None
        o_rw, o_df, _ = level_bits(counts, info, la.bits, lv, L)
        inst = float(info[3 + lv])
        for direction, kind in DIRECTIONS.items():
            elems = float(counts[lv, t, kind])
            bits = la.bits[t] if t < 2 else (o_rw if kind in (READS, UPDATES) else o_df)
            amount_kind = UPDATES if (t == 2 and kind == READS) else kind
            amount = float(amounts[lv, t, amount_kind])
            per_access = aa.read_energy[lv] if kind in (READS, DRAINS) else aa.write_energy[lv]
            moved = moved_bits(elems, amount, bits, aa.granule_bits[lv])
            charged = elems  # ZigZag charges partial sums read (filled) back as many as written (drained)
            if t == 2 and kind in (READS, FILLS) and elems > 0:
                charged = float(counts[lv, t, UPDATES if kind == READS else DRAINS])
            if fractional and charged > 0 and amount > 0 and inst > 0:
                periods = round(charged / (amount * inst))
                g = aa.granule_bits[lv]
                zz_amount = round(amount)
                if child is not None and amount_kind in (READS, UPDATES):  # a child's tile x the children served
                    tile = float(amounts[child, t, FILLS if t < 2 else DRAINS])
                    if tile > 0:
                        zz_amount = round(tile) * round(amount / tile)
                zz_moved = periods * round(inst) * math.ceil(zz_amount * bits / g - 1e-9) * g
            else:
                zz_moved = moved_bits(charged, amount, bits, aa.granule_bits[lv])
            zz_words = np.floor(zz_moved / aa.width_bits[lv] + 1e-9)  # ZigZag's int() of the total
            if fractional:
                elems = _whole(elems, truncate=(t == 2 and kind in (READS, FILLS)))
            out.append({"operand": op, "memory": name, "direction": direction, "elements": elems,
                        "word_accesses": moved / aa.width_bits[lv], "energy_pJ": moved / aa.width_bits[lv] * per_access,
                        "energy_zigzag_convention_pJ": float(zz_words * per_access)})
    return out
