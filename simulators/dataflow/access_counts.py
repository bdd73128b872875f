"""Reuse analysis: how many elements of each tensor move at each storage level, for one mapping.

The loop nest is read inner to outer: level 0's spatial loops, its temporal loops, level 1's spatial
loops, ... A level's *tile* is what the loops at and below it cover. A level refetches its whole tile
whenever an index the tile depends on changes: the temporal loops above it cause a refill each time
they step, except the innermost ones that the tensor does not depend on (the tile stays put while
they run -- stationarity). Partly overlapping consecutive input windows are not reused (no halo
reuse, as in ZigZag; Timeloop would fetch only the new rows/columns), and a step that changes an index
counts as a refill even where the window happens to come back to the same rows (a filter-row loop
wrapping while an output-row loop advances by the same amount).

For a tensor kept at a child level ``c`` (or by the MACs) and its next keeper ``p`` above:

* ``X = footprint(tile of c, spread over the spatial loops between c and p) x refills(c) x instances(p)``
  elements cross the link, once per parent instance: children that need the same element share one
  read (multicast), children that produce parts of the same output are reduced on the way up.
* weights and inputs: ``X`` reads at ``p``; ``tile(c) x refills(c) x instances(c)`` fills at ``c``.
* outputs: ``X`` updates at ``p``; the sums ``p`` sends back down for further accumulation are
  ``X`` minus the first touches (an output starts from zero the first time a parent instance sees it,
  ``"tree"`` reduction; or the first time anyone sees it, ``"chain"``); the child drains
  ``tile(c) x refills(c) x instances(c)`` to ``p``.

At the MACs, a tensor with operand reuse (``mac_operand_reuse``) is read again only when its element
changes; otherwise on every MAC. Counts are totals over all instances of a level. A padded dimension
(see ``Mapping``) idles its padding: counts of the tensors that depend on it are scaled to the real size.

Tests check these counts against an enumeration of every iteration of the loop nest
(tests/dataflow/loop_nest_walk.py) and against ZigZag's own cost model on the same mappings.

The functions here are numba kernels over flat arrays (see ``Mapping.arrays``): one mapping in
microseconds, and the mapper's candidates in a loop without Python overhead.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .workload import RELEVANT

#: count kinds, the last axis of the ``counts[level, tensor, kind]`` array
TILE, READS, DRAINS, FILLS, UPDATES = range(5)
COUNT_KINDS = ("tile", "reads", "drains", "fills", "updates")

_REL = RELEVANT.copy()
_ND = 8
_P, _Q, _R, _S = 4, 5, 6, 7
#: P, Q, R, S as an array, so that the kernels see them as run-time values (one compiled version each)
_AXES = np.array([_P, _Q, _R, _S], dtype=np.int64)


@njit(cache=True)
def axis_count(p_ext, r_ext, stride, dilation):
    """Distinct values of ``stride*i + dilation*j`` for ``i < p_ext``, ``j < r_ext``."""
    a, b = stride, dilation
    while b:
        a, b = b, a % b
    s = stride // a
    d = dilation // a
    return p_ext * r_ext - max(0, r_ext - s) * max(0, p_ext - d)


@njit(cache=True)
def footprint(t, e, stride, dilation, input_real):
    """Elements of tensor ``t`` (0 W, 1 I, 2 O) covered by loop extents ``e`` (one per dimension)."""
    if t == 0:
        return e[1] * e[2] * e[3] * e[6] * e[7]
    if t == 2:
        return e[0] * e[1] * e[2] * e[4] * e[5]
    h = min(axis_count(e[4], e[6], stride[0], dilation[0]), input_real[0])
    w = min(axis_count(e[5], e[7], stride[1], dilation[1]), input_real[1])
    return e[0] * e[1] * e[3] * h * w


@njit(cache=True)
def _gapped(x, c, p, t_dim, t_size, t_level, sp):
    """True if the spatial loops of dimension ``x`` between levels ``c`` and ``p`` sit above a temporal loop
    of ``x`` at an intermediate level, so that their union of child tiles is not one block."""
    for j in range(t_dim.shape[0]):
        if t_dim[j] == x and t_size[j] > 1 and c < t_level[j] < p:
            for m in range(t_level[j] + 1, p + 1):
                if sp[m, 0, x] > 1 or sp[m, 1, x] > 1:
                    return True
    return False


@njit(cache=True)
def _digit_offsets(x, c, p, t_dim, t_size, t_level, sp):
    """Index offsets of dimension ``x`` reached by the loops at or below ``c`` plus the spatial loops in
    ``(c, p]``, with every loop of ``x`` weighted by the loops of ``x`` inside it (mixed radix)."""
    L = sp.shape[0]
    offs = np.zeros(1, dtype=np.int64)
    weight = np.int64(1)  # not the literal 1: a literal makes numba compile _add_digit twice (first-use time)
    for lv in range(L):
        for a in range(2):
            f = sp[lv, a, x]
            if f > 1:
                if lv <= p:
                    offs = _add_digit(offs, f, weight)
                weight *= f
        for j in range(t_dim.shape[0]):
            if t_level[j] == lv and t_dim[j] == x and t_size[j] > 1:
                if lv <= c:
                    offs = _add_digit(offs, t_size[j], weight)
                weight *= t_size[j]
    return offs


@njit(cache=True)
def _add_digit(offs, f, weight):
    """Every offset plus each of ``0, weight, ..., (f - 1) * weight``."""
    new = np.empty(offs.shape[0] * f, dtype=np.int64)
    k = 0
    for i in range(f):
        for o in offs:
            new[k] = o + i * weight
            k += 1
    return new


@njit(cache=True)
def spatial_extents(sp):
    """``ext[l, d]``: product of the spatial factors of dimension ``d`` at levels up to ``l``."""
    L, _, D = sp.shape
    ext = np.ones((L, D))
    for lv in range(L):
        for d in range(D):
            f = sp[lv, 0, d] * sp[lv, 1, d]
            if f > 1:
                for m in range(lv, L):
                    ext[m, d] *= f
    return ext


@njit(cache=True)
def _union_axis(px, rx, c, p, stride, dilation, limit, t_dim, t_size, t_level, sp):
    """Exact number of input rows (or columns) reached by a gapped union of child tiles."""
    po = _digit_offsets(px, c, p, t_dim, t_size, t_level, sp)
    ro = _digit_offsets(rx, c, p, t_dim, t_size, t_level, sp)
    span = stride * po.max() + dilation * ro.max() + 1
    mark = np.zeros(span, dtype=np.bool_)
    for a in po:
        for b in ro:
            mark[stride * a + dilation * b] = True
    return min(float(mark.sum()), limit)


@njit(cache=True)
def union_footprint(t, c, p, ext, stride, dilation, input_real, t_dim, t_size, t_level, sp):
    """Footprint of tensor ``t`` over the tiles of all children ``c`` under one instance of ``p``."""
    gapped = False
    if t == 1:
        for x in range(_P, _S + 1):  # P, Q, R, S
            if _gapped(x, c, p, t_dim, t_size, t_level, sp):
                gapped = True
    if gapped:
        h = _union_axis(_AXES[0], _AXES[2], c, p, stride[0], dilation[0], input_real[0], t_dim, t_size, t_level, sp)
        w = _union_axis(_AXES[1], _AXES[3], c, p, stride[1], dilation[1], input_real[1], t_dim, t_size, t_level, sp)
        return ext[0] * ext[1] * ext[3] * h * w
    return footprint(t, ext, stride, dilation, input_real)


@njit(cache=True)
def analyse(dims, stride, dilation, input_real, keeps, latch, chain, t_dim, t_size, t_level, sp, counts, amounts, info):
    """Fill ``counts[level, tensor, kind]`` (see :data:`COUNT_KINDS`) for one mapping, and ``amounts``: the
    elements one instance moves per transfer (a refill or a served union), for access-granularity rounding.

    ``info`` receives: [0] temporal iterations (compute cycles), [1] MACs in use, [2] padded output size,
    then per level ``l``: [3 + l] instances in use, [3 + L + l] 1.0 if the level holds partial sums.

    Where the mapping pads a dimension (factors multiply to more than ``dims``), the padded lanes and
    iterations idle: the counts of a tensor that depends on the dimension are scaled by real/padded
    size (ZigZag's fractional unrolling); tiles stay padded (the buffer must hold them).
    """
    L = keeps.shape[0]
    J = t_dim.shape[0]
    counts[:] = 0.0
    amounts[:] = 0.0
    # extents of everything at or below each level
    ext = spatial_extents(sp)
    for j in range(J):
        for m in range(t_level[j], L):
            ext[m, t_dim[j]] *= t_size[j]
    # spatial instances above each level (index l + 1; index 0 = the MACs)
    s_above = np.ones(L + 1)
    sir_above = np.ones(L + 1)   # only the output-irrelevant (reduction) ones
    t_above_ir = np.zeros(L + 1)  # any temporal reduction loop above (for the partial-sum flag)
    for lv in range(L):
        for a in range(2):
            for d in range(_ND):
                f = sp[lv, a, d]
                if f > 1:
                    for m in range(-1, lv):
                        s_above[m + 1] *= f
                        if not _REL[2, d]:
                            sir_above[m + 1] *= f
    for j in range(J):
        if not _REL[2, t_dim[j]]:
            for m in range(-1, t_level[j]):
                t_above_ir[m + 1] = 1.0
    # refills: temporal iterations above each level without the innermost run of irrelevant loops
    refill = np.ones((3, L + 1))
    total = 1.0
    for j in range(J):
        total *= t_size[j]
    for m in range(-1, L):
        above = 1.0
        for j in range(J):
            if t_level[j] > m:
                above *= t_size[j]
        for t in range(3):
            run = 1.0
            if m >= 0 or latch[t]:
                for j in range(J):
                    if t_level[j] > m:
                        if _REL[t, t_dim[j]]:
                            break
                        run *= t_size[j]
            refill[t, m + 1] = above / run
    ones = np.ones(_ND)
    o_size = footprint(_AXES[0] - 2, ext[L - 1], stride, dilation, input_real)  # tensor 2 = O
    for t in range(3):
        c = np.int64(-1)  # not the literal -1: a literal makes numba compile the callees twice (first-use time)
        for p in range(L):
            if not keeps[p, t]:
                continue
            u = ones.copy() if c < 0 else ext[c].copy()
            for m in range(c + 1, p + 1):
                for d in range(_ND):
                    u[d] *= sp[m, 0, d] * sp[m, 1, d]
            union = union_footprint(t, c, p, u, stride, dilation, input_real, t_dim, t_size, t_level, sp)
            x = union * refill[t, c + 1] * s_above[p + 1]
            tile_c = footprint(t, ext[c], stride, dilation, input_real) if c >= 0 else 1.0
            own = tile_c * refill[t, c + 1] * s_above[c + 1]
            amounts[p, t, READS] = union
            if t < 2:
                counts[p, t, READS] += x
                if c >= 0:
                    counts[c, t, FILLS] += own
                    amounts[c, t, FILLS] = tile_c
            else:
                first = o_size if chain else o_size * sir_above[p + 1]
                back = x - first
                counts[p, t, UPDATES] += x
                counts[p, t, READS] += back
                amounts[p, t, UPDATES] = union
                if c >= 0:
                    counts[c, t, FILLS] += back
                    counts[c, t, DRAINS] += own
                    amounts[c, t, FILLS] = tile_c
                    amounts[c, t, DRAINS] = tile_c
            c = p
        for lv in range(L):
            if keeps[lv, t]:
                counts[lv, t, TILE] = footprint(t, ext[lv], stride, dilation, input_real)
    for t in range(3):
        scale = 1.0
        for d in range(_ND):
            if _REL[t, d] and ext[L - 1, d] > dims[d]:
                scale *= dims[d] / ext[L - 1, d]
        if scale < 1.0:
            for lv in range(L):
                for k in range(1, 5):
                    counts[lv, t, k] *= scale
    info[0] = total
    info[1] = s_above[0]
    info[2] = o_size
    for lv in range(L):
        info[3 + lv] = s_above[lv + 1]
        info[3 + L + lv] = 1.0 if (sir_above[lv + 1] > 1 or t_above_ir[lv + 1] > 0) else 0.0


def analyse_mapping(layer_arrays, arch_arrays, mapping_arrays):
    """Counts and info arrays of one mapping (see :func:`analyse`)."""
    L = arch_arrays.keeps.shape[0]
    counts = np.zeros((L, 3, 5))
    amounts = np.zeros((L, 3, 5))
    info = np.zeros(3 + 2 * L)
    analyse(layer_arrays.dims, layer_arrays.stride, layer_arrays.dilation, layer_arrays.input_real, arch_arrays.keeps,
            arch_arrays.latch, arch_arrays.chain, mapping_arrays.t_dim, mapping_arrays.t_size,
            mapping_arrays.t_level, mapping_arrays.spatial, counts, amounts, info)
    return counts, info
