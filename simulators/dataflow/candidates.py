"""The mapper's inner loop: one candidate mapping cut into levels, analysed and costed without allocating.

A search evaluates about a thousand candidates of one layer on one architecture, each a spatial unrolling
(one of a few dozen) plus a loop order. Everything that depends on the unrolling alone is computed once
per search (:func:`unrolling_tables`): the spatial extents at each level, the spatial instances above
each level, which tiles the spatial loops alone already overflow, the padding scale of each tensor.
Per candidate, :func:`cut_levels` keeps each kept tile's footprint and recomputes only those of the
tensors that the placed loop's dimension moves, and :func:`analyse_cut` reads the loops of a cut that is
sorted by level (as the greedy cut always is) in one pass per level instead of one per loop and level.

They give the same numbers as the general kernels (:func:`.access_counts.analyse` and the cut the
mapper used before), bit for bit: every quantity is either a product of integer factors held exactly in
a float64, or the same floating-point expression on the same operands. ``tests/dataflow`` compares them
on random mappings and the whole search against the previous search kernel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit

from ..kernel_cache import key_module_kernels
from .access_counts import DRAINS, FILLS, READS, TILE, UPDATES, spatial_extents
from .cost import cost
from .workload import RELEVANT

_REL = RELEVANT.copy()
_ND = 8


@njit(cache=True)
def reduced_axes(stride, dilation):
    """(stride, dilation) of each input axis divided by their gcd, as :func:`.access_counts.axis_count` uses
    them: [s_h, d_h, s_w, d_w]."""
    out = np.empty(4, dtype=np.int64)
    for i in range(2):
        a, b = stride[i], dilation[i]
        while b:
            a, b = b, a % b
        out[2 * i] = stride[i] // a
        out[2 * i + 1] = dilation[i] // a
    return out


@njit(cache=True)
def fp(t, e, red, input_real):
    """:func:`.access_counts.footprint` with the gcd of stride and dilation taken once (``red``)."""
    if t == 0:
        return e[1] * e[2] * e[3] * e[6] * e[7]
    if t == 2:
        return e[0] * e[1] * e[2] * e[4] * e[5]
    h = min(e[4] * e[6] - max(0, e[6] - red[0]) * max(0, e[4] - red[1]), input_real[0])
    w = min(e[5] * e[7] - max(0, e[7] - red[2]) * max(0, e[5] - red[3]), input_real[1])
    return e[0] * e[1] * e[3] * h * w


@njit(cache=True)
def unrolling_tables(u_sp, u_dim, u_size, u_n, dims, red, input_real, keeps, bits_tile, capacity_bits,
                     ext0, needp0, spf, spmask, s_above, sir_above, scale, fits):
    """Per unrolling ``u``: ``ext0[u]`` spatial extents at each level, ``needp0[u, l, t]`` bits of each kept
    tile of those extents, ``spf[u, l, d]`` spatial factor of ``d`` at level ``l``, ``spmask[u, x]`` the
    levels (bits) with a spatial loop of ``P, Q, R, S`` (``x`` = 0..3), ``s_above`` / ``sir_above``
    spatial instances (all / output-irrelevant) above each level (index ``l + 1``, 0 = MACs),
    ``scale[u, t]`` the real / padded size factor of tensor ``t``'s counts, ``fits[u]`` whether the
    spatial tiles alone fit every level."""
    U, L, _, D = u_sp.shape
    full = np.empty(D)
    for u in range(U):
        sp = u_sp[u]
        ext = spatial_extents(sp)
        ext0[u] = ext
        ok = True
        for x in range(4):
            spmask[u, x] = 0
        for lv in range(L):
            for d in range(D):
                spf[u, lv, d] = sp[lv, 0, d] * sp[lv, 1, d]
            for x in range(4):
                if sp[lv, 0, 4 + x] > 1 or sp[lv, 1, 4 + x] > 1:
                    spmask[u, x] |= 1 << lv
            need = 0.0
            for t in range(3):
                needp0[u, lv, t] = 0.0
                if keeps[lv, t]:
                    v = fp(t, ext[lv], red, input_real) * bits_tile[t]
                    needp0[u, lv, t] = v
                    need += v
            if need > capacity_bits[lv]:
                ok = False
        fits[u] = ok
        for i in range(L + 1):
            s_above[u, i] = 1.0
            sir_above[u, i] = 1.0
        for lv in range(L):
            for a in range(2):
                for d in range(_ND):
                    f = sp[lv, a, d]
                    if f > 1:
                        for m in range(-1, lv):
                            s_above[u, m + 1] *= f
                            if not _REL[2, d]:
                                sir_above[u, m + 1] *= f
        # padded size of each dimension: the spatial factors times all temporal ones
        for d in range(D):
            full[d] = ext[L - 1, d]
        for k in range(u_n[u]):
            full[u_dim[u, k]] *= u_size[u, k]
        for t in range(3):
            sc = 1.0
            for d in range(_ND):
                if _REL[t, d] and full[d] > dims[d]:
                    sc *= dims[d] / full[d]
            scale[u, t] = sc


@njit(cache=True)
def level_relevance(keeps, capacity_bits):
    """``rel[l, d]``: level ``l`` has a finite size and keeps a tensor that dimension ``d`` moves."""
    L = keeps.shape[0]
    rel = np.zeros((L, _ND), dtype=np.bool_)
    for lv in range(L):
        if capacity_bits[lv] == np.inf:
            continue
        for d in range(_ND):
            for t in range(3):
                if keeps[lv, t] and _REL[t, d]:
                    rel[lv, d] = True
    return rel


@njit(cache=True)
def cut_levels(od, osz, n, bump, p_bump, ext, needp, needsum, keeps, lv_rel, capacity_bits, bits_tile, red,
               input_real, levels_out):
    """Cut the loop order ``od``/``osz`` (first ``n``) into levels: each loop goes to the innermost level
    at which every tile still fits (a loop with ``bump < p_bump`` first closes the current level).

    ``ext`` (spatial extents on entry), ``needp`` (bits of each kept tile) and ``needsum`` (their sum per
    level) are updated in place to those of the cut. Only the tiles of tensors that the loop's dimension
    moves are recomputed; a level holding none of them keeps its sum, which fits. A loop that overflows
    level ``v`` overflows it from every level at or below ``v`` (it multiplies the same tile), so the
    search resumes above ``v``."""
    L = keeps.shape[0]
    cur = 0
    for j in range(n):
        d = od[j]
        f = osz[j]
        if f <= 1:
            levels_out[j] = cur
            continue
        if bump[j] < p_bump and cur < L - 1:
            cur += 1
        while True:
            fail = -1
            for lv in range(cur, L):
                if capacity_bits[lv] == np.inf:
                    continue
                if lv_rel[lv, d]:
                    need = 0.0
                    for t in range(3):
                        if keeps[lv, t]:
                            if _REL[t, d]:
                                ext[lv, d] *= f
                                need += fp(t, ext[lv], red, input_real) * bits_tile[t]
                                ext[lv, d] /= f
                            else:
                                need += needp[lv, t]
                else:
                    need = needsum[lv]
                if need > capacity_bits[lv]:
                    fail = lv
                    break
            if fail < 0 or cur == L - 1:
                break
            cur = fail + 1 if fail + 1 < L - 1 else L - 1
        levels_out[j] = cur
        for lv in range(cur, L):
            ext[lv, d] *= f
            if lv_rel[lv, d]:
                tot = 0.0
                for t in range(3):
                    if keeps[lv, t]:
                        if _REL[t, d]:
                            needp[lv, t] = fp(t, ext[lv], red, input_real) * bits_tile[t]
                        tot += needp[lv, t]
                needsum[lv] = tot


@njit(cache=True)
def _offsets_into(x, c, p, od, osz, lvl, sp, out):
    """:func:`.access_counts._digit_offsets` into ``out`` (no allocation); returns how many."""
    L = sp.shape[0]
    cnt = 1
    out[0] = 0
    weight = 1
    for lv in range(L):
        for a in range(2):
            f = sp[lv, a, x]
            if f > 1:
                if lv <= p:
                    for i in range(f - 1, 0, -1):
                        for q in range(cnt):
                            out[i * cnt + q] = out[q] + i * weight
                    cnt *= f
                weight *= f
        for j in range(od.shape[0]):
            if lvl[j] == lv and od[j] == x and osz[j] > 1:
                f = osz[j]
                if lv <= c:
                    for i in range(f - 1, 0, -1):
                        for q in range(cnt):
                            out[i * cnt + q] = out[q] + i * weight
                    cnt *= f
                weight *= f
    return cnt


@njit(cache=True)
def _union_axis_into(px, rx, c, p, stride, dilation, limit, od, osz, lvl, sp, po, ro, mark):
    """:func:`.access_counts._union_axis` with scratch buffers: input rows (or columns) a gapped union of
    child tiles reaches."""
    npo = _offsets_into(px, c, p, od, osz, lvl, sp, po)
    nro = _offsets_into(rx, c, p, od, osz, lvl, sp, ro)
    pmax = 0
    for i in range(npo):
        pmax = max(pmax, po[i])
    rmax = 0
    for i in range(nro):
        rmax = max(rmax, ro[i])
    span = stride * pmax + dilation * rmax + 1
    mark[:span] = False
    k = 0
    for i in range(npo):
        for q in range(nro):
            v = stride * po[i] + dilation * ro[q]
            if not mark[v]:
                mark[v] = True
                k += 1
    return min(float(k), limit)


@njit(cache=True)
def _gap(tmask, spmask, lv, p):
    """A temporal loop at level ``lv`` (bit of ``tmask``) under a spatial loop of the same dimension at a
    level in ``(lv, p]`` (bits of ``spmask``)."""
    return ((tmask >> lv) & 1) != 0 and ((spmask >> (lv + 1)) & ((1 << (p - lv)) - 1)) != 0


@njit(cache=True)
def analyse_cut(stride, dilation, red, input_real, keeps, latch, chain, od, osz, lvl, sp, spf, spmask, ext, s_above,
                sir_above, scale, refill, ubuf, po, ro, mark, counts, amounts, info):
    """:func:`.access_counts.analyse` for loops sorted by level (``lvl`` non-decreasing), given the cut's
    extents ``ext`` and the unrolling's tables; ``refill`` [3, L + 1], ``ubuf`` [8] are scratch, and so are
    ``po``, ``ro`` (as long as the padded P, Q, R, S) and ``mark`` (longer than stride x P + dilation x R).
    Whether the union of child input tiles has gaps (``access_counts._gapped``) is read from level bit
    masks; only a gapped union goes through the general :func:`.access_counts.union_footprint`."""
    L = keeps.shape[0]
    n = od.shape[0]
    counts[:] = 0.0
    amounts[:] = 0.0
    total = 1.0
    max_ir = -1  # highest level of a temporal loop the outputs do not depend on
    tmask0 = np.int64(0)  # levels (bits) holding a temporal loop > 1 of P, Q, R, S
    tmask1 = np.int64(0)
    tmask2 = np.int64(0)
    tmask3 = np.int64(0)
    for j in range(n):
        total *= osz[j]
        d = od[j]
        if not _REL[2, d] and lvl[j] > max_ir:
            max_ir = lvl[j]
        if osz[j] > 1:
            if d == 4:
                tmask0 |= 1 << lvl[j]
            elif d == 5:
                tmask1 |= 1 << lvl[j]
            elif d == 6:
                tmask2 |= 1 << lvl[j]
            elif d == 7:
                tmask3 |= 1 << lvl[j]
    # refills: the loops above level m are a suffix of the order (from s on)
    s = 0
    for m in range(-1, L):
        while s < n and lvl[s] <= m:
            s += 1
        above = 1.0
        for j in range(s, n):
            above *= osz[j]
        for t in range(3):
            run = 1.0
            if m >= 0 or latch[t]:
                for j in range(s, n):
                    if _REL[t, od[j]]:
                        break
                    run *= osz[j]
            refill[t, m + 1] = above / run
    # int64 variables, not literals: a literal argument (or one typed a literal in numba's first inference pass)
    # compiles the callee once more per value (first-use time)
    d_p, d_q, d_r, d_s = np.int64(4), np.int64(5), np.int64(6), np.int64(7)
    o_size = fp(np.int64(2), ext[L - 1], red, input_real)
    for t in range(3):
        c = np.int64(-1)
        for p in range(L):
            if not keeps[p, t]:
                continue
            for d in range(_ND):
                v = 1.0 if c < 0 else ext[c, d]
                for m in range(c + 1, p + 1):
                    v *= spf[m, d]
                ubuf[d] = v
            gapped = False
            if t == 1:
                for lv in range(c + 1, p):
                    if _gap(tmask0, spmask[0], lv, p) or _gap(tmask1, spmask[1], lv, p) \
                            or _gap(tmask2, spmask[2], lv, p) or _gap(tmask3, spmask[3], lv, p):
                        gapped = True
            if gapped:  # as access_counts.union_footprint
                h = _union_axis_into(d_p, d_r, c, p, stride[0], dilation[0], input_real[0], od, osz, lvl, sp, po, ro, mark)
                w = _union_axis_into(d_q, d_s, c, p, stride[1], dilation[1], input_real[1], od, osz, lvl, sp, po, ro, mark)
                union = ubuf[0] * ubuf[1] * ubuf[3] * h * w
            else:
                union = fp(t, ubuf, red, input_real)
            x = union * refill[t, c + 1] * s_above[p + 1]
            tile_c = fp(t, ext[c], red, input_real) if c >= 0 else 1.0
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
                counts[lv, t, TILE] = fp(t, ext[lv], red, input_real)
    for t in range(3):
        if scale[t] < 1.0:
            for lv in range(L):
                for k in range(1, 5):
                    counts[lv, t, k] *= scale[t]
    info[0] = total
    info[1] = s_above[0]
    info[2] = o_size
    for lv in range(L):
        info[3 + lv] = s_above[lv + 1]
        info[3 + L + lv] = 1.0 if (sir_above[lv + 1] > 1 or lv + 1 <= max_ir) else 0.0


@njit(cache=True)
def objective_value(objective, e, cyc):
    """The search's objective: 0 EDP, 1 energy (cycles break ties), 2 cycles (energy breaks ties)."""
    if objective == 0:
        return e * cyc
    if objective == 1:
        return e * (1.0 + 1e-12 * cyc)
    return cyc * (1.0 + 1e-15 * e)


@njit(cache=True)
def cost_cut(stride, dilation, red, input_real, bits, macs, keeps, latch, chain, capacity_bits, word_bits, width_bits,
             granule, read_bw, write_bw, e_read, e_write, e_mac, sp, spf, spmask, s_above, sir_above, scale, od, osz,
             lvl, objective, ext, refill, ubuf, po, ro, mark, counts, amounts, info, energy, cycles):
    """(objective, energy, cycles) of a cut loop order (inf objective if a tile overflows its level)."""
    analyse_cut(stride, dilation, red, input_real, keeps, latch, chain, od, osz, lvl, sp, spf, spmask, ext, s_above,
                sir_above, scale, refill, ubuf, po, ro, mark, counts, amounts, info)
    e, cyc, bad, need = cost(counts, amounts, info, bits, keeps, capacity_bits, word_bits, width_bits, granule,
                             read_bw, write_bw, e_read, e_write, macs, e_mac, energy, cycles)
    if bad >= 0:
        return np.inf, e, cyc
    return objective_value(objective, e, cyc), e, cyc


# these kernels inline or call kernels of sibling files: key their disk cache on the whole folder
key_module_kernels(globals(), Path(__file__).parent)
