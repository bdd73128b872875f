"""A complete loop ordering (a ZigZag mapping file's ``temporal_ordering``) allocated to the memories, as ZigZag does.

ZigZag turns a complete temporal ordering (every loop with its factor, innermost first) into a temporal
mapping with its ``MemoryAllocator``: memory by memory from the innermost, each memory takes, for every
operand it holds, the longest run of the operand's next loops whose tile still fits (all its operands'
tiles together within its size; a ``force_double_buffering`` memory holds two tiles unless the operand is
complete), choosing among the runs that fit the combination with the fewest accesses to the memory above
(remaining iterations x tile size; the last such combination on ties); the operand's top memory takes all
that is left. Outputs are counted at the partial-sum precision while a reduction loop (temporal or
spatial) is still above, at the final precision otherwise. The spatial loops of an array dimension join
an operand's tiles from the first of its memories that serves that dimension.

:func:`allocate` returns ZigZag's per-operand temporal mapping, which
:meth:`~.hardware.ZigzagArchitecture.mapping` turns into this model's mapping.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ...access_counts import footprint
from ...mapping import MappingError
from ...workload import DIM_INDEX, RELEVANT, TENSORS, Layer
from .hardware import ZigzagArchitecture, model_dim


def allocate(za: ZigzagArchitecture, layer: Layer, spatial: dict, ordering, where: str = "") -> dict:
    """ZigZag's temporal mapping ``{W|I|O: [[(dim, factor), ...] per memory level]}`` for a complete ordering.

    ``spatial``: ``{array dim: [(dim, factor)]}``; ``ordering``: ``[(dim, factor), ...]`` innermost first, in
    ZigZag's or this model's dimension names. Raises ``MappingError`` if the ordering does not complete the
    layer with the spatial mapping, or a memory cannot hold what must be below its top."""
    at = where or za.hardware.path
    order = [(model_dim(d, at), f) for d, f in ordering]
    bad = [(d, f) for d, f in order if not isinstance(f, int) or f < 1]
    if bad:
        raise MappingError(f"{at}: temporal ordering loops {bad} need integer factors (ZigZag's '*' is a search "
                           f"constraint, not a complete ordering)")
    total = {d: 1 for d in DIM_INDEX}
    for d, f in order:
        total[d] *= f
    for loops in spatial.values():
        for d, f in loops:
            total[model_dim(d, at)] *= int(f)
    short = {d: (total[d], layer.dims[d]) for d in DIM_INDEX if total[d] != layer.dims[d]}
    if short:
        raise MappingError(f"{at}: spatial mapping x temporal ordering give {{dim: (product, layer size)}} {short}; "
                           f"a complete ordering multiplies to the layer's sizes")
    hw = za.hardware
    la = layer.arrays()
    mems = {m.name: m for m in hw.memories}
    spatial_at = {}  # (operand, memory index) -> spatial loops joining the operand's tiles there
    for op, names in za.memories.items():
        seen = set()
        for j, name in enumerate(names):
            new = [oa for oa in hw.array_dims if oa in mems[name].served and oa not in seen]
            seen |= set(new)
            spatial_at[(op, j)] = [(model_dim(d, at), int(f)) for oa in new for d, f in spatial.get(oa, ()) if f > 1]
    allocated = {op: list(spatial_at[(op, 0)]) for op in TENSORS}
    unallocated = {op: list(order) for op in TENSORS}
    level = {op: 0 for op in TENSORS}
    result = {op: [] for op in TENSORS}
    for mem in hw.memories:
        ops = [op for op in TENSORS if za.links[op] in mem.operands]
        ops.sort(key=lambda op: mem.operands.index(za.links[op]))  # ZigZag's order: the memory's operand list
        sizes = {op: _slice_sizes(op, mem, allocated[op], unallocated[op], spatial_at, level[op], layer, la, at)
                 for op in ops}
        picks = _best(ops, sizes, mem, za, unallocated, at)
        for op, k in zip(ops, picks):
            take = unallocated[op][:k]
            del unallocated[op][:k]
            result[op].append(take)
            level[op] += 1
            allocated[op] += take + spatial_at.get((op, level[op]), [])
            if mem.name == za.memories[op][-1] and unallocated[op]:
                raise MappingError(f"{at}: {mem.name!r}, the top memory of {op}, cannot hold its remaining loops "
                                   f"{unallocated[op]}")
    return result


def _bits(op, layer, unallocated, spatial_at, level) -> float:
    if op != "O":
        return float(layer.bits[op])
    above = [d for d, _ in unallocated] + [d for (o, j), loops in spatial_at.items() if o == "O" and j > level
                                           for d, _ in loops]
    reduction = any(not RELEVANT[2, DIM_INDEX[d]] for d in above)
    return float(layer.bits["O"] if reduction else layer.bits["O_final"])


def _size(op, loops, layer, la, bits) -> float:
    e = np.ones(len(DIM_INDEX))
    for d, f in loops:
        e[DIM_INDEX[d]] *= f
    return float(footprint(TENSORS.index(op), e, la.stride, la.dilation, la.input_real)) * bits


def _slice_sizes(op, mem, allocated, unallocated, spatial_at, level, layer, la, at) -> list:
    bits = _bits(op, layer, unallocated, spatial_at, level)
    full = _size(op, allocated + unallocated, layer, la, bits)
    sizes = []
    for i in range(len(unallocated) + 1):
        size = _size(op, allocated + unallocated[:i], layer, la, bits)
        if mem.double_buffering and unallocated[i:] and size < full:
            size *= 2
        if size > mem.size:
            if i == 0:
                raise MappingError(f"{at}: memory {mem.name!r} ({mem.size} bits) cannot hold the {op} tile of the "
                                   f"loops below it ({size:g} bits)")
            break
        sizes.append(size)
    return sizes


def _best(ops, sizes, mem, za, unallocated, at) -> list:
    offsets, options = {}, {}
    for op in ops:
        top = mem.name == za.memories[op][-1]
        offsets[op] = len(sizes[op]) - 1 if top else 0
        cand = sizes[op][-1:] if top else sizes[op]
        options[op] = [(s, 0.0 if top else s * math.prod(f for _, f in unallocated[op][i + offsets[op]:]))
                       for i, s in enumerate(cand)]
    best, best_acc = [offsets[op] for op in ops], math.inf
    for n, combo in enumerate(itertools.product(*(range(len(options[op])) for op in ops))):
        size = sum(options[op][i][0] for op, i in zip(ops, combo))
        if size > mem.size:
            if n == 0:
                raise MappingError(f"{at}: memory {mem.name!r} ({mem.size} bits) cannot hold the tiles of the loops "
                                   f"below it ({size:g} bits) for {ops}")
            continue
        acc = sum(options[op][i][1] for op, i in zip(ops, combo))
        if acc <= best_acc:
            best_acc, best = acc, [i + offsets[op] for op, i in zip(ops, combo)]
    return best
