"""USER-mode read stalls, advance by advance (exact where every address occurs once in a stream).

:mod:`.prefetch` finds, run by run, where a read buffer's window has to advance; it spreads the
advances of a run evenly over the run's lines and extrapolates repeated stretches, which is fast
but leaves the stall a few cycles off. Here the same walk (same geometry, same skips) emits every
advance with its exact demand line: the ``i``-th advance of a forward run is due where the demand
reaches the first entry of the set ``A + i P`` sets past the window start (:func:`._trigger_line`),
and a repeated fold or pass repeats its advances shifted by its lines. Both operands' advances are
then played line by line with SCALE-Sim's stall arithmetic (:func:`read_stalls`): in a line the
ifmap and filter buffers are served at the same cycle and the array waits for the slower one.

The work is one step per advance, so callers only use it below a budget of advances per layer
(beyond it the run replay's estimate stands). The stall sequence it gives is what the ofmap write
buffer (:mod:`.writes`) sees: :func:`stall_before`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit

from ..kernel_cache import key_module_kernels
from .prefetch import _before, _block_end_set, _block_last, _geometry, _next_block, _next_tile, _tile_end_set, _visit, _window_sets


@njit(cache=True)
def _emit(ev, n, line, m):
    """Append ``m`` advances at ``line`` to ``ev`` (rows: line, advances); merges a repeated line."""
    if n > 0 and ev[n - 1, 0] == line:
        ev[n - 1, 1] += m
        return ev, n
    if n == ev.shape[0]:
        b = np.empty((2 * n, 2), dtype=np.int64)
        b[:n] = ev[:n]
        ev = b
    ev[n, 0] = line
    ev[n, 1] = m
    return ev, n + 1


@njit(cache=True)
def _copy(ev, n, first, shift, times):
    """Append ``times`` copies of rows ``first .. n-1``, the ``t``-th shifted by ``t * shift`` lines."""
    span = n - first
    for t in range(1, times + 1):
        for i in range(span):
            ev, n = _emit(ev, n, ev[first + i, 0] + t * shift, ev[first + i, 1])
    return ev, n


@njit(cache=True)
def _trigger(p, b, d0, d1, Tb, W, wb, u, X1, X2):
    """First anti-diagonal in ``[d0, d1]`` on which block ``b`` demands an entry at stream position >= ``p``."""
    lo, hi = d0, d1
    while lo < hi:
        m = (lo + hi) // 2
        if _block_last(m, b, Tb, W, wb, u, X1, X2) >= p:
            hi = m
        else:
            lo = m + 1
    return lo


@njit(cache=True)
def _skewed(ev, n, b, base, s, Tb, W, nb, u, lo, scale, E, nsets, A, P):
    X1 = nb * Tb
    X2 = (nb - 1) * Tb
    wb = u if b == nb - 1 else W
    last = (b + 1) * Tb + wb - 2
    p0 = _before(b * Tb, W, u, X1, X2)
    p1 = _block_last(last, b, Tb, W, wb, u, X1, X2)
    sa = int(p0 * scale) // E
    sb = int(p1 * scale) // E
    m, s, d = _visit(sa, s, nsets, A, P)
    if m > 0:
        ev, n = _emit(ev, n, base + lo, m)
    d += sb - sa
    if d >= A:
        m = (d - A) // P + 1
        for i in range(m):
            trig = sb - d + A + i * P  # the demand reaches this set's first entry
            dg = _trigger(int(trig * E / scale), b, b * Tb, last, Tb, W, wb, u, X1, X2)
            ev, n = _emit(ev, n, base + lo + dg - b * Tb, 1)
        s = (s + m * P) % nsets
    return ev, n, s


@njit(cache=True)
def _flipped(ev, n, b, t0, base, s, Tb, W, nb, u, tile, scale, E, nsets, A, P):
    wb = u if b == nb - 1 else W
    rows = min(tile, Tb - t0)
    first = b * Tb * W + t0 * wb
    rr = rows - 1
    while rr >= 0:
        pa = first + rr * wb
        sa = int(pa * scale) // E
        sb = int((pa + wb - 1) * scale) // E
        m, s, d = _visit(sa, s, nsets, A, P)
        d += sb - sa
        if d >= A:
            m2 = (d - A) // P + 1
            s = (s + m2 * P) % nsets
            d -= m2 * P
            m += m2
        if m > 0:
            ev, n = _emit(ev, n, base + tile - 1 - rr, m)
        start = sa - (d - (sb - sa))
        r = min(rr - 1, int(np.ceil((start * E / scale - first) / wb)) - 1)
        while r >= 0 and int((first + r * wb) * scale) // E >= start:
            r -= 1
        while r + 1 < rr and int((first + (r + 1) * wb) * scale) // E < start:
            r += 1
        rr = r
    return ev, n, s


@njit(cache=True)
def advance_events(op, df, R, C, M, N, K, words, stream, budget, ev):
    """Advances of read operand ``op`` (0 ifmap, 1 filter) on one design and layer as rows (global
    demand line, advances) of ``ev`` (grown if needed): returns ``(ev, rows)``, or ``(ev, -1)`` when
    there are more than ``budget`` advances. The same walk as :func:`.prefetch._replay_operand`."""
    diag, by_fr, Tb, W, nb, u, lo, rf, cf, L = _geometry(df, op, R, C, M, N, K)
    E, nsets, A, P = _window_sets(words, stream)
    full = (nb - 1) * Tb * W + Tb * u
    scale = stream / max(full, 1)
    tile = R
    n = 0
    k = 0
    if not (nsets > A and P > 0):
        return ev, 0
    s = 0
    fc = 0
    while fc < cf:
        s_pass, n_pass = s, n
        fr = 0
        while fr < rf:
            base = (fc * rf + fr) * L
            s_in, n_in = s, n
            if not diag:
                ev, n, s = _flipped(ev, n, fc, fr * tile, base, s, Tb, W, nb, u, tile, scale, E, nsets, A, P)
                end_set = _tile_end_set(fr, fc, Tb, W, nb, u, tile, scale, E)
                fr = _next_tile(fr, end_set - (end_set - s) % nsets + A, fc, rf, Tb, W, nb, u, tile, scale, E)
                if n > budget:
                    return ev, -1
                continue
            if not by_fr:
                ev, n, s = _skewed(ev, n, fc, base, s, Tb, W, nb, u, lo, scale, E, nsets, A, P)
                if fr > 0 and s == s_in:  # the rest of the column's folds repeat this one
                    per = 0
                    for i in range(n_in, n):
                        per += ev[i, 1]
                    if (rf - 1 - fr) * per + _count(ev, n) > budget:
                        return ev, -1
                    ev, n = _copy(ev, n, n_in, L, rf - 1 - fr)
                    break
                fr += 1
                if _count_fast(ev, n) > budget:
                    return ev, -1
                continue
            ev, n, s = _skewed(ev, n, fr, base, s, Tb, W, nb, u, lo, scale, E, nsets, A, P)
            if n > budget:
                return ev, -1
            if fr + 1 < rf:
                sb = _block_end_set(fr, Tb, W, nb, u, scale, E)
                start = sb - (sb - s) % nsets
                sa_next = int(_before((fr + 1) * Tb, W, u, nb * Tb, (nb - 1) * Tb) * scale) // E
                if sa_next >= start:
                    fr = _next_block(fr, start + A, Tb, W, nb, u, scale, E)
                    continue
            fr += 1
        if diag and by_fr and 0 < fc < cf - 1 and s == s_pass:  # the remaining passes repeat this one
            if (cf - 1 - fc) * (n - n_pass) + n > budget:
                return ev, -1
            ev, n = _copy(ev, n, n_pass, rf * L, cf - 1 - fc)
            break
        fc += 1
    k = _count(ev, n)
    if k > budget:
        return ev, -1
    return ev, n


@njit(cache=True)
def _count(ev, n):
    k = 0
    for i in range(n):
        k += ev[i, 1]
    return k


@njit(cache=True)
def _count_fast(ev, n):
    return n  # rows bound the work; advances per row are few


@njit(cache=True)
def _line_stall(cycle, k, m, c):
    """SCALE-Sim's stall of a demand line at ``cycle`` needing ``m`` advances of an operand that has
    made ``k`` (each occupies its DRAM channel ``c`` cycles from the start of the layer)."""
    off = 1
    due = k * c - 1
    for _ in range(m):
        due += c
        pot = due - (cycle + off)
        off += pot
        if pot > 0:
            off += pot
    return off - 1


@njit(cache=True)
def read_stalls(ev_if, n_if, c_if, ev_f, n_f, c_f, out):
    """Both read operands' advances line by line: ``out`` rows (line, stall after it); returns
    ``(out, rows)``. A line's stall is the larger of the two buffers' (SCALE-Sim serves both at the
    line's cycle), at least zero."""
    i = 0
    j = 0
    k_if = 0
    k_f = 0
    S = 0
    n = 0
    big = 1 << 62
    while i < n_if or j < n_f:
        li = ev_if[i, 0] if i < n_if else big
        lf = ev_f[j, 0] if j < n_f else big
        line = min(li, lf)
        cycle = line + S
        s = 0
        if li == line:
            s = max(s, _line_stall(cycle, k_if, ev_if[i, 1], c_if))
            k_if += ev_if[i, 1]
            i += 1
        if lf == line:
            s = max(s, _line_stall(cycle, k_f, ev_f[j, 1], c_f))
            k_f += ev_f[j, 1]
            j += 1
        if s > 0:
            S += s
            out, n = _emit(out, n, line, S)
            out[n - 1, 1] = S
    return out, n


@njit(cache=True)
def stall_before(g, st, n):
    """Stall accumulated over the lines before ``g`` (``st`` rows: line, stall after it)."""
    lo, hi = 0, n
    while lo < hi:
        m = (lo + hi) // 2
        if st[m, 0] < g:
            lo = m + 1
        else:
            hi = m
    return st[lo - 1, 1] if lo > 0 else 0


# these kernels inline or call kernels of sibling files: key their disk cache on the whole folder
key_module_kernels(globals(), Path(__file__).parent)
