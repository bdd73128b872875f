"""ZigZag's mapping format read into this model's mapping (so ZigZag users can bring their mappings).

ZigZag gives one loop order for the whole nest (inner to outer) and, per operand, how many of those
loops each of the operand's memories covers (``{O: [[(FX, 3), (FY, 3)], [(OY, 16), ...], []], ...}``),
with the spatial unrolling per array dimension (``{D1: {K: 32}, D2: {C: 32}}``). Here a mapping has one
cut per storage level, so the operands' cuts must agree on every memory they share; memories private
to one operand that sit side by side in the PE (ZigZag's tpu_like weight and output register files)
are put in the order of their cuts. A ZigZag mapping in which a memory covers more loops than a memory
above it in this hierarchy (e.g. the weight register file holding weights across loops of the SRAM that
the weights bypass) has no equivalent here and is refused with that reason.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace

import numpy as np

from ...access_counts import DRAINS, FILLS, READS, UPDATES, analyse
from ...architecture import Architecture, ComputeUnit, StorageLevel
from ...cost import level_bits, moved_bits
from ...mapping import LevelLoops, Mapping, MappingError
from ...workload import DIM_ALIASES, Layer, WorkloadError

#: ZigZag operand names -> this model's tensors
OPERANDS = {"W": "W", "I": "I", "O": "O"}


#: the memories of each ZigZag operand in :func:`tpu_like`, innermost first
TPU_LIKE_MEMORIES = {"O": ["rf_2B", "sram_2MB", "dram"], "W": ["rf_128B", "dram"], "I": ["sram_2MB", "dram"]}
#: ZigZag's default precisions (its ONNX parser): 8-bit operands, 16-bit partial sums, 8-bit outputs
ZIGZAG_BITS = {"W": 8, "I": 8, "O": 16, "O_final": 8}


def tpu_like() -> Architecture:
    """ZigZag's shipped ``tpu_like`` accelerator (inputs/hardware/tpu_like.yaml, zigzag-dse 3.9.1) here.

    32 x 32 MACs (0.04 pJ); per MAC a 128-byte weight register file (8-bit port, 0.095 pJ) and a 2-byte
    output register (16-bit ports, 0.021 pJ); a 2 MB SRAM for inputs and outputs (64..2048-bit ports:
    416.16/378.4 pJ per 2048-bit read/write, transfers rounded up to 64 bits); DRAM with one 64-bit port
    (700/750 pJ). Partial sums flow down the array as a systolic chain and a MAC keeps an unchanged input
    operand (ZigZag's ``access_same_data_considered_as_no_access``). ZigZag's single DRAM port is two
    64-bit ports here (this model has separate read and write bandwidths).
    """
    pe = dict(instances=1024, mesh_x=32, read_bandwidth=1, write_bandwidth=1, component_class="regfile")
    levels = (
        StorageLevel("rf_2B", ("O",), depth=1, word_bits=16, read_energy=0.021, write_energy=0.021, **pe),
        StorageLevel("rf_128B", ("W",), depth=128, word_bits=8, read_energy=0.095, write_energy=0.095, **pe),
        StorageLevel("sram_2MB", ("I", "O"), depth=8192, word_bits=8, block_size=256, read_bandwidth=256,
                     write_bandwidth=256, read_energy=416.16, write_energy=378.4, access_granularity_bits=64),
        StorageLevel("dram", ("W", "I", "O"), word_bits=8, block_size=8, read_bandwidth=8, write_bandwidth=8,
                     read_energy=700.0, write_energy=750.0, access_granularity_bits=64, component_class="DRAM"),
    )
    return Architecture("tpu_like", levels, ComputeUnit("mac", 1024, 32, 0.04, 0.0), spatial_reduction="chain")


def layer_from_loop_sizes(name: str, text: str, stride: int = 1, input_size: tuple | None = None,
                          bits: dict | None = None) -> Layer:
    """A layer from ZigZag's loop sizes (``"B=1 K=32 C=3 OY=112 OX=112 FY=3 FX=3"``; GEMMs ``B C K`` or
    ``C D K`` with D the rows)."""
    sizes = {}
    for tok in text.split():
        k, _, v = tok.partition("=")
        sizes["N" if k == "D" else k] = int(v)
    conv = any(k in sizes for k in ("OY", "OX", "FY", "FX"))
    try:
        return Layer(name, sizes, "conv" if conv else "gemm", (stride, stride), input_size=input_size,
                     bits=bits or ZIGZAG_BITS)
    except WorkloadError as e:
        raise MappingError(f"loop sizes {text!r}: {e}") from None


def _dim(name: str) -> str:
    return DIM_ALIASES.get(name.upper(), name.upper())


def _literal(text: str, what: str):
    """ZigZag's printed structure (bare names) as Python data."""
    quoted = re.sub(r"([A-Za-z_][A-Za-z_0-9]*)", r"'\1'", text)
    try:
        return ast.literal_eval(quoted)
    except (ValueError, SyntaxError) as e:
        raise MappingError(f"cannot read the ZigZag {what} mapping {text[:60]!r}: {e}") from None


def parse_temporal(text: str) -> dict:
    """``{O: [[(FX, 3), ...], ...], W: ..., I: ...}`` (ZigZag's printed temporal mapping) -> dict of lists."""
    raw = _literal(text, "temporal")
    return {op: [[(_dim(d), int(f)) for d, f in lv] for lv in levels] for op, levels in raw.items()}


def parse_spatial(text: str) -> dict:
    """``{D1: {K: 32}, D2: {C: 32}}`` -> ``{"D1": [("K", 32)], "D2": [("C", 32)]}``."""
    raw = _literal(text, "spatial")
    return {oa: [(_dim(d), int(f)) for d, f in dims.items()] for oa, dims in raw.items()}


def per_operand_cuts(temporal: dict, memories: dict, where: str = "") -> tuple[list, dict]:
    """(loop order, {operand: {memory: loops it covers for that operand}}) of ZigZag's per-operand temporal
    mapping. Every operand must list the same loops in the same order (ZigZag's single loop order).
    ``memories``: operand -> names of its memory levels, innermost first."""
    at = f"{where}: " if where else ""
    ops = list(temporal)
    order = [loop for lv in temporal[ops[0]] for loop in lv]
    for op in ops[1:]:
        other = [loop for lv in temporal[op] for loop in lv]
        if other != order:
            raise MappingError(f"{at}operand {op}'s loops {other} are not in the same order as {ops[0]}'s {order}")
    cuts: dict[str, dict] = {}
    for op in ops:
        names = memories[op]
        if len(names) != len(temporal[op]):
            raise MappingError(f"{at}operand {op} has {len(temporal[op])} memory levels in the mapping, the "
                               f"hardware {len(names)}: {list(names)}")
        n, cuts[op] = 0, {}
        for name, loops in zip(names, temporal[op]):
            n += len(loops)
            cuts[op][name] = n
    return order, cuts


def operand_cuts(temporal: dict, memories: dict, where: str = "") -> tuple[list, dict]:
    """(loop order, {memory: loops it covers}) of ZigZag's per-operand temporal mapping, where a memory
    shared by several operands must be cut at the same loop for all of them (one tile boundary per level
    in a :class:`Mapping`); see :func:`per_operand_cuts`."""
    at = f"{where}: " if where else ""
    order, per_op = per_operand_cuts(temporal, memories, where)
    cuts: dict[str, int] = {}
    for op in temporal:
        for name, n in per_op[op].items():
            if cuts.setdefault(name, n) != n:
                raise MappingError(f"{at}memory {name!r} holds operands cut at different loops ({cuts[name]} and "
                                   f"{n}); this model keeps one tile boundary per level")
    return order, cuts


def mapping_from_zigzag(arch: Architecture, temporal: dict, spatial: dict, memories: dict,
                        spatial_level: str, array_dims: tuple = ("D1", "D2")) -> tuple[Architecture, Mapping]:
    """(architecture with private PE memories put in cut order, mapping) for a ZigZag mapping.

    ``memories``: ZigZag operand -> names of its memory levels in ``arch``, innermost first.
    ``spatial_level``: the level whose fan-out the array dimensions unroll; ``array_dims`` are its X, Y.
    """
    order, cuts = operand_cuts(temporal, memories)
    arch = _cut_order(arch, cuts)
    levels, start = [], 0
    for lv in arch.levels:
        end = cuts.get(lv.name, start)
        if end < start:
            raise MappingError(f"memory {lv.name!r} is cut at loop {end}, below the level under it (cut at {start})")
        sx = sy = ()
        if lv.name == spatial_level:
            sx = tuple(spatial.get(array_dims[0], ()))
            sy = tuple(spatial.get(array_dims[1], ()))
        levels.append(LevelLoops(tuple(order[start:end]), sx, sy))
        start = end
    if start != len(order):
        raise MappingError(f"the outermost memory covers {start} of the {len(order)} loops")
    return arch, Mapping(tuple(levels))


def _cut_order(arch: Architecture, cuts: dict) -> Architecture:
    """Swap adjacent sibling levels (same instances, no fan-out between them) into the order of their cuts."""
    levels = list(arch.levels)
    fan = arch.fanouts
    changed = True
    while changed:
        changed = False
        for i in range(len(levels) - 1):
            a, b = levels[i], levels[i + 1]
            if a.name in cuts and b.name in cuts and cuts[a.name] > cuts[b.name]:
                if a.instances != b.instances or tuple(fan[i + 1]) != (1, 1):
                    raise MappingError(f"memory {a.name!r} covers {cuts[a.name]} loops, more than {b.name!r} above "
                                       f"it ({cuts[b.name]}); a level's tile contains the tiles below it here")
                levels[i], levels[i + 1] = b, a
                changed = True
    return arch if levels == list(arch.levels) else replace(arch, levels=tuple(levels))


def zigzag_convention_energy(arch: Architecture, layer: Layer, mapping: Mapping, whole_words: bool = True) -> float:
    """Energy (pJ) of this model's counts charged as ZigZag charges them.

    Two conventions of ZigZag 3.9's ``CostModelEvaluation``, applied to this model's counts to compare
    energies like for like:

    - partial sums: ZigZag counts the reads back down correctly (one fewer than the writes per output:
      the first accumulation starts from zero) but charges their energy per transfer period, as many as
      the writes; likewise the partial sums coming back from above as many as the drains;
    - whole word accesses: ``_calc_memory_access`` truncates each (level, operand, direction) total of
      word accesses to an integer (``int(...)``), dropping a last partial word, where this model charges
      the bits it moves (for example 10.5 accesses of a 2048-bit SRAM word are charged as 10);
      ``whole_words=False`` leaves this one out.
    """
    la, aa, ma = layer.arrays(), arch.arrays(), mapping.arrays()
    L = arch.n_levels
    counts, amounts, info = np.zeros((L, 3, 5)), np.zeros((L, 3, 5)), np.zeros(3 + 2 * L)
    analyse(la.dims, la.stride, la.dilation, la.input_real, aa.keeps, aa.latch, aa.chain, ma.t_dim, ma.t_size,
            ma.t_level, ma.spatial, counts, amounts, info)
    counts[:, 2, READS] = np.where(counts[:, 2, READS] > 0, counts[:, 2, UPDATES], 0.0)
    counts[:, 2, FILLS] = np.where(counts[:, 2, FILLS] > 0, counts[:, 2, DRAINS], 0.0)
    if whole_words:
        words = lambda moved, lv: np.floor(moved / aa.width_bits[lv] + 1e-9)  # noqa: E731  (ZigZag's int())
    else:
        words = lambda moved, lv: moved / aa.width_bits[lv]  # noqa: E731
    total = la.macs * aa.mac_energy
    for lv in range(L):
        o_rw, o_df, _ = level_bits(counts, info, la.bits, lv, L)
        g = aa.granule_bits[lv]
        for t in range(3):
            if t < 2:
                reads = [moved_bits(counts[lv, t, READS], amounts[lv, t, READS], la.bits[t], g)]
                writes = [moved_bits(counts[lv, t, FILLS], amounts[lv, t, FILLS], la.bits[t], g)]
            else:
                reads = [moved_bits(counts[lv, t, READS], amounts[lv, t, UPDATES], o_rw, g),
                         moved_bits(counts[lv, t, DRAINS], amounts[lv, t, DRAINS], o_df, g)]
                writes = [moved_bits(counts[lv, t, UPDATES], amounts[lv, t, UPDATES], o_rw, g),
                          moved_bits(counts[lv, t, FILLS], amounts[lv, t, FILLS], o_df, g)]
            total += sum(words(r, lv) for r in reads) * aa.read_energy[lv]
            total += sum(words(w, lv) for w in writes) * aa.write_energy[lv]
    return float(total)