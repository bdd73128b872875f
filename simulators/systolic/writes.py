"""SCALE-Sim's ofmap write buffer, event by event (exact when the read buffers never stall: CALC).

The ofmap SRAM (``B`` words) packs outputs into ``bw``-word lines (``bw`` = the array's columns in
CALC mode). A write that leaves fewer than ``ceil(B/2)`` words free while no drain runs starts a
drain of up to ``ceil(floor(B/2)/bw)`` lines (only lines already written): a partially filled line is
closed first and goes out padded, the drained words are freed at once and the channel is busy one
cycle per line. A write that finds the buffer full while a drain runs waits for its end (a stall).
After the last write every stored line is flushed. A drain counts whole lines except the padding of
its last line when that is a partial one; the padding of a partial line inside a drain is counted.

Between two events (drain start or wait) the writes only use up free words, so the events are
found directly: the write that crosses the free-space threshold, the first write at or after the
line where the running drain ends (:func:`writes_before`, closed form of the fold arithmetic) and the
write that fills the buffer. The work is O(drains x log(lines)) per layer instead of a pass over
every output, and the counts (DRAM writes, stall cycles) are the replay's (:mod:`.replay`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .drain import _read_stall

_OS = 0


@njit(cache=True)
def _pairs_below(v, X, Y):
    """#{(a, b): 0 <= a < X, 0 <= b < Y, a + b < v}."""
    if v <= 0:
        return 0
    t = v * (v + 1) // 2
    if v > X:
        t -= (v - X) * (v - X + 1) // 2
    if v > Y:
        t -= (v - Y) * (v - Y + 1) // 2
    if v > X + Y:
        t += (v - X - Y) * (v - X - Y + 1) // 2
    return t


@njit(cache=True)
def writes_before(g, df, R, C, Sr, Sc, T, rf, cf, L):
    """Ofmap writes in the global compute lines ``< g`` (no stalls): line ``l`` of fold
    ``f = fc * rf + fr`` is global line ``f * L + l``."""
    F = rf * cf
    per_fc = Sr * C if df == _OS else rf * T * C
    cu_last = Sc - (cf - 1) * C
    if g <= 0:
        return 0
    if g >= F * L:
        return per_fc // C * (C * (cf - 1) + cu_last) if df == _OS else rf * T * ((cf - 1) * C + cu_last)
    f = g // L
    l = g - f * L
    fc = f // rf
    fr = f - fc * rf
    cu = C if fc < cf - 1 else cu_last
    n = fc * per_fc
    if df == _OS:
        ru = R if fr < rf - 1 else Sr - (rf - 1) * R
        n += fr * R * cu
        return n + _pairs_below(l - (T - 1 + R - ru), ru, cu)
    n += fr * T * cu
    return n + _pairs_below(l - (2 * R - 1), T, cu)


@njit(cache=True)
def line_of_write(j, df, R, C, Sr, Sc, T, rf, cf, L):
    """Global compute line of the ``j``-th (0-based) ofmap write."""
    lo, hi = 0, rf * cf * L - 1
    while lo < hi:  # last line g with writes_before(g) <= j
        m = (lo + hi + 1) // 2
        if writes_before(m, df, R, C, Sr, Sc, T, rf, cf, L) <= j:
            lo = m
        else:
            hi = m - 1
    return lo


@njit(cache=True)
def _push(q, n, line, fill):
    if n == q.shape[0]:
        b = np.empty((2 * n, 2), dtype=np.int64)
        b[:n] = q
        q = b
    q[n, 0] = line
    q[n, 1] = fill
    return q


@njit(cache=True)
def _shift(g, span, prof_if, prof_f, i_if, i_f):
    """Read stall by stall-free line ``g`` (0 without profiles)."""
    if prof_if.shape[0] == 0:
        return 0
    return _read_stall(g, span, prof_if, prof_f, i_if, i_f)


@njit(cache=True)
def write_buffer(df, R, C, M, N, K, B, bw, prof_if, prof_f, i_if, i_f):
    """(DRAM ofmap writes, stall cycles) of one layer on one design whose reads never stall; with
    read-stall profiles ``prof_if[i_if]``, ``prof_f[i_f]`` (:mod:`.prefetch`; empty: none) the
    writes are shifted by the read stall before them (then the DRAM writes are close, not exact)."""
    if df == _OS:
        Sr, Sc, T = M, N, K
    elif df == 1:
        Sr, Sc, T = K, N, M
    else:
        Sr, Sc, T = K, M, N
    rf = (Sr + R - 1) // R
    cf = (Sc + C - 1) // C
    L = T + R + C - 2 if df == _OS else 2 * R + C + T - 2
    span = rf * cf * L
    Nw = writes_before(rf * cf * L, df, R, C, Sr, Sc, T, rf, cf, L)
    od = B - (B + 1) // 2  # words one drain frees at most
    thr = B - od
    lines = (od + bw - 1) // bw
    q = np.empty((16, 2), dtype=np.int64)  # partial lines: (line index, fill)
    qh = 0
    qn = 0
    free = B
    w = 0  # writes done
    pos = 0  # writes since the last partial line was closed
    tl0 = 0  # lines closed before them
    S = 0
    drain_end = 0
    drain_start = 0
    dram = 0
    while w < Nw:
        jA = w + max(free - thr, 0)  # first write after which free < thr
        if jA >= Nw:
            break
        j0 = w + max(free - 1, 0)  # first write after which the buffer is full
        gT = drain_end - S  # the running drain ends at this (stall-free) line
        if prof_if.shape[0] > 0 and gT > 0:  # with read stalls: the first line whose shifted time reaches it
            lo, hi = 0, gT
            while lo < hi:
                m = (lo + hi) // 2
                if m + _shift(m, span, prof_if, prof_f, i_if, i_f) >= gT:
                    hi = m
                else:
                    lo = m + 1
            gT = lo
        jT = max(jA, writes_before(gT, df, R, C, Sr, Sc, T, rf, cf, L)) if gT > 0 else jA
        if jT > j0:  # the buffer fills while the drain runs: the write waits for its end
            if j0 >= Nw:
                break
            g0 = line_of_write(j0, df, R, C, Sr, Sc, T, rf, cf, L)
            S = drain_end - g0 - _shift(g0, span, prof_if, prof_f, i_if, i_f)
            pos += j0 - w + 1
            free -= j0 - w + 1
            w = j0 + 1
            continue
        if jT >= Nw:
            break
        gj = line_of_write(jT, df, R, C, Sr, Sc, T, rf, cf, L)
        cur = gj + S + _shift(gj, span, prof_if, prof_f, i_if, i_f)
        pos += jT - w + 1
        free -= jT - w + 1
        w = jT + 1
        if pos % bw != 0:  # the partial line goes out padded
            q = _push(q, qn, tl0 + pos // bw, pos % bw)
            qn += 1
            tl0 += pos // bw + 1
            pos = 0
        trace = tl0 + pos // bw
        end = min(drain_start + lines, trace)
        data = (end - drain_start) * bw
        while qh < qn and q[qh, 0] < end - 1:
            qh += 1
        if qh < qn and q[qh, 0] == end - 1:
            data -= bw - q[qh, 1]
            qh += 1
        dram += data
        free += data
        drain_end = cur + (end - drain_start) - 1
        drain_start = end
    pos += Nw - w
    # flush: every stored line goes to DRAM
    if pos % bw != 0:
        q = _push(q, qn, tl0 + pos // bw, pos % bw)
        qn += 1
        tl0 += pos // bw + 1
        pos = 0
    trace = tl0 + pos // bw
    while drain_start < trace:
        end = min(drain_start + lines, trace)
        data = (end - drain_start) * bw
        while qh < qn and q[qh, 0] < end - 1:
            qh += 1
        if qh < qn and q[qh, 0] == end - 1:
            data -= bw - q[qh, 1]
            qh += 1
        dram += data
        drain_start = end
    return dram, S


@njit(cache=True)
def write_buffers(df, R, C, B, bw, M, N, K, dram_out, stall_out, prof_if, prof_f, i_if, i_f):
    """:func:`write_buffer` of designs ``n`` (1-d ``df``, ``R``, ``C``, ofmap words ``B``, line width
    ``bw``) x layers ``j`` (1-d ``M``, ``N``, ``K``) into ``dram_out[n, j]``, ``stall_out[n, j]``;
    ``prof_if`` / ``prof_f`` (rows ``i_if[n, j]``, ``i_f[n, j]``) the read-stall profiles, or empty."""
    for n in range(df.size):
        for j in range(M.size):
            d, s = write_buffer(df[n], R[n], C[n], M[j], N[j], K[j], B[n], bw[n], prof_if, prof_f, i_if[n, j], i_f[n, j])
            dram_out[n, j] = d
            stall_out[n, j] = s


#: no read-stall profiles (CALC mode, or reads that never stall)
NO_PROFILE = np.zeros((0, 2), dtype=np.float32)
