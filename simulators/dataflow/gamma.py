"""GAMMA/MAESTRO-style two-level mapping genome, turned into a loop-nest mapping on a two-level accelerator.

ArchGym's MaestroGym searches GAMMA's genome: for the outer (L2) and the inner (L1) level, a loop order of
the six dimensions K, C, Y, X, R, S (720 orders), a parallel dimension (K, C, Y or X) and tile sizes of
K, C, Y, X (R and S whole), plus the number of PEs. MAESTRO itself is a binary; here the genome becomes a
mapping of this model (``Y``, ``X`` are the output rows and columns, P and Q; a depthwise layer's
channels take ``C``'s place):

* the L1 tile ``T1`` (one PE's work per inner step: ``T1[d]`` of each of K, C, Y, X, whole R, S) is the PE
  buffer's loop block, in the L1 order; a tile that does not divide its L2 tile is cut to their gcd;
* inside one L2 tile ``T2``, ``T2/T1`` inner steps iterate in the L1 order, ``s1`` of them in parallel on
  the L1 parallel dimension (the PEs of a cluster: the largest divisor of ``T2/T1`` there that fits);
* ``D/T2`` outer steps iterate in the L2 order, ``s2`` of them in parallel on the L2 parallel dimension
  (clusters: the largest divisor that fits in ``num_pes // s1``), from DRAM.

The accelerator: DRAM -> shared L2 buffer -> ``num_pes`` PEs, each with an L1 buffer and a MAC (MAESTRO's
L2/L1 model; sizes and bandwidths are MaestroGym's knobs ``l1_size``, ``l2_size``, ``noc_bw``,
``offchip_bw``, here in 16-bit words).
"""

from __future__ import annotations

import itertools
import math

from . import energy_table as table
from .architecture import Architecture, ComputeUnit, StorageLevel
from .mapping import LevelLoops, Mapping, MappingError
from .workload import Layer

GENOME_DIMS = ("K", "C", "Y", "X", "R", "S")
TILED_DIMS = ("K", "C", "Y", "X")
ORDERS = tuple("".join(p) for p in itertools.permutations(GENOME_DIMS))
WORD_BITS = 16


def layer_dim(layer: Layer, g: str) -> str:
    """This model's dimension for a genome dimension of ``layer``."""
    if g == "C" and layer.kind == "depthwise":
        return "G"
    return {"K": "K", "C": "C", "Y": "P", "X": "Q", "R": "R", "S": "S"}[g]


def genome_sizes(layer: Layer) -> dict:
    return {g: layer.dims[layer_dim(layer, g)] for g in GENOME_DIMS}


def two_level_accelerator(num_pes: int, l1_words: int = 512, l2_words: int = 131072, noc_bw: float = 64,
                          offchip_bw: float = 16, l1_bw: float = 4) -> Architecture:
    """DRAM -> L2 (SRAM, 16 banks) -> ``num_pes`` x (L1 SRAM + 16-bit MAC), MAESTRO's two-level machine."""
    def sram(name, depth, n, bw, banks=1):
        e = table.access_energy("SRAM", depth, WORD_BITS, 1, banks)
        return StorageLevel(name, ("W", "I", "O"), depth=depth, word_bits=WORD_BITS, instances=n, mesh_x=n,
                            read_bandwidth=bw, write_bandwidth=bw, read_energy=e, write_energy=e,
                            area=table.area("SRAM", depth, WORD_BITS, 1, banks), component_class="SRAM", n_banks=banks)

    dram_e = table.access_energy("DRAM", 1, WORD_BITS, 4)
    levels = (
        sram("L1", l1_words, num_pes, l1_bw),
        sram("L2", l2_words, 1, noc_bw, 16),
        StorageLevel("DRAM", ("W", "I", "O"), word_bits=WORD_BITS, block_size=4, read_bandwidth=offchip_bw,
                     write_bandwidth=offchip_bw, read_energy=dram_e, write_energy=dram_e, component_class="DRAM"),
    )
    return Architecture(f"two_level_{num_pes}pe", levels,
                        ComputeUnit("mac", num_pes, num_pes, table.mac_energy(WORD_BITS), table.mac_area(WORD_BITS)))


def _largest_divisor_upto(n: int, cap: int) -> int:
    return max(d for d in range(1, min(n, cap) + 1) if n % d == 0)


def genome_mapping(layer: Layer, genome: dict, num_pes: int) -> Mapping:
    """The loop-nest mapping of a GAMMA genome (keys ``l2_order``, ``l2_parallel``, ``l2_tile_K`` ...,
    ``l1_order``, ``l1_parallel``, ``l1_tile_K`` ...) on ``two_level_accelerator(num_pes)``."""
    size = genome_sizes(layer)
    for lvl in ("l1", "l2"):
        if genome[f"{lvl}_order"] not in ORDERS:
            raise MappingError(f"{lvl}_order {genome[f'{lvl}_order']!r} is not an order of {''.join(GENOME_DIMS)}")
        if genome[f"{lvl}_parallel"] not in TILED_DIMS:
            raise MappingError(f"{lvl}_parallel {genome[f'{lvl}_parallel']!r}; allowed: {list(TILED_DIMS)}")
    t2, t1 = {}, {}
    for g in GENOME_DIMS:
        if g in TILED_DIMS:
            t2[g] = int(genome[f"l2_tile_{g}"])
            if t2[g] < 1 or size[g] % t2[g]:
                raise MappingError(f"l2_tile_{g} = {t2[g]} does not divide the layer's {g} = {size[g]}")
            t1[g] = math.gcd(int(genome[f"l1_tile_{g}"]), t2[g])
        else:
            t2[g] = t1[g] = size[g]
    p1, p2 = genome["l1_parallel"], genome["l2_parallel"]
    s1 = _largest_divisor_upto(t2[p1] // t1[p1], num_pes)
    s2 = _largest_divisor_upto(size[p2] // t2[p2], max(1, num_pes // s1))
    order1, order2 = genome["l1_order"], genome["l2_order"]
    l1 = [(layer_dim(layer, g), t1[g]) for g in order1 if t1[g] > 1]
    mid = [(layer_dim(layer, g), t2[g] // t1[g] // (s1 if g == p1 else 1)) for g in order1]
    outer = [(layer_dim(layer, g), size[g] // t2[g] // (s2 if g == p2 else 1)) for g in order2]
    if layer.dims["N"] > 1:
        outer.append(("N", layer.dims["N"]))
    spatial = [(layer_dim(layer, p1), s1)] if s1 > 1 else []
    if s2 > 1:
        spatial.append((layer_dim(layer, p2), s2))
    return Mapping((LevelLoops(tuple(l1)),
                    LevelLoops(tuple(x for x in mid if x[1] > 1), tuple(spatial)),
                    LevelLoops(tuple(x for x in outer if x[1] > 1))))
