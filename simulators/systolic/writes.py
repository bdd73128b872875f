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

from pathlib import Path

import numpy as np
from numba import njit

from ..kernel_cache import key_module_kernels
from .drain import _read_stall
from .events import _line_stall, advance_events, stall_before

_OS = 0
#: no read-stall profiles (CALC mode, or reads that never stall)
NO_PROFILE = np.zeros((0, 2), dtype=np.float32)


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
def _pairs_inverse(r, X, Y):
    """The largest ``v`` in ``[0, X + Y]`` with ``_pairs_below(v, X, Y) <= r`` (``0 <= r < X * Y``)."""
    a = min(X, Y)
    b = max(X, Y)
    ta = a * (a + 1) // 2
    tb = ta + (b - a) * a
    if r < ta:  # v (v + 1) / 2 <= r
        v = int((np.sqrt(8.0 * r + 1.0) - 1.0) / 2.0)
    elif r < tb:
        v = a + (r - ta) // a
    else:  # X Y - n (n + 1) / 2 <= r with n = X + Y - v
        n = int((np.sqrt(8.0 * (X * Y - r) + 1.0) - 1.0) / 2.0)
        v = X + Y - n - 1
    v = min(max(v, 0), X + Y)
    while v < X + Y and _pairs_below(v + 1, X, Y) <= r:
        v += 1
    while v > 0 and _pairs_below(v, X, Y) > r:
        v -= 1
    return v


@njit(cache=True)
def line_of_write(j, df, R, C, Sr, Sc, T, rf, cf, L):
    """Global compute line of the ``j``-th (0-based) ofmap write."""
    per_fc = Sr * C if df == _OS else rf * T * C
    fc = min(j // per_fc, cf - 1)
    rem = j - fc * per_fc
    cu = C if fc < cf - 1 else Sc - (cf - 1) * C
    if df == _OS:
        fr = min(rem // (R * cu), rf - 1)
        ru = R if fr < rf - 1 else Sr - (rf - 1) * R
        v = _pairs_inverse(rem - fr * R * cu, ru, cu)
        return (fc * rf + fr) * L + T - 1 + R - ru + v
    fr = min(rem // (T * cu), rf - 1)
    v = _pairs_inverse(rem - fr * T * cu, T, cu)
    return (fc * rf + fr) * L + 2 * R - 1 + v


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
    """Read stall by stall-free line ``g``: from the stall profiles, or, with ``i_if < 0``, the exact
    stall sequence ``prof_f`` (rows: line, stall after it; ``-i_if - 1`` rows); 0 without either."""
    if i_if < 0:
        return int(stall_before(g, prof_f, -i_if - 1))
    if prof_if.shape[0] == 0:
        return 0
    return _read_stall(g, span, prof_if, prof_f, i_if, i_f)


@njit(cache=True)
def write_buffer(df, R, C, M, N, K, B, bw, prof_if, prof_f, i_if, i_f, q):
    """(DRAM ofmap writes, stall cycles) of one layer on one design whose reads never stall; with
    read-stall profiles ``prof_if[i_if]``, ``prof_f[i_f]`` (:mod:`.prefetch`; empty: none) the
    writes are shifted by the read stall before them (then the DRAM writes are close, not exact).
    ``q``: scratch rows for the partial lines waiting to be drained (grown if needed)."""
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
    if Nw <= od:  # no drain before the flush, whose last line is the only partial one
        return Nw, 0, q
    thr = B - od
    lines = (od + bw - 1) // bw
    qh = 0
    qn = 0
    free = B
    w = 0  # writes done
    pos = 0  # writes since the last partial line was closed
    tl0 = 0  # lines closed before them
    S = 0
    drain_start = 0
    dram = 0
    # the running drain: started by write pj (-1: none yet) at stall pS, busy for pdl lines; its end
    # is only computed when the writes since then could have come within that many lines
    pj, pS, pdl = -1, 0, 0
    wmax = min(R, C) if df == _OS else min(T, C)  # most writes in one line
    while w < Nw:
        jA = w + max(free - thr, 0)  # first write after which free < thr
        if jA >= Nw:
            break
        if pj < 0 or jA - pj + 1 > (pdl - 1) * wmax:
            jT = jA  # the drain has ended by then, the buffer is not full: write jA starts the next
        else:
            gp = line_of_write(pj, df, R, C, Sr, Sc, T, rf, cf, L)
            drain_end = gp + pS + _shift(gp, span, prof_if, prof_f, i_if, i_f) + pdl - 1
            j0 = w + max(free - 1, 0)  # first write after which the buffer is full
            gT = drain_end - S  # the running drain ends at this (stall-free) line
            if (prof_if.shape[0] > 0 or i_if < 0) and gT > 0:  # with read stalls: the first line whose shifted time reaches it
                lo, hi = max(gT - _shift(gT, span, prof_if, prof_f, i_if, i_f), 0), gT
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
        pj, pS, pdl = jT, S, end - drain_start
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
    return dram, S, q


@njit(cache=True)
def _writes(df, R, C, M, N, K):
    """Ofmap SRAM writes of a layer: os writes each output once, ws/is every row fold's partial sums."""
    if df == _OS:
        return M * N
    Sr = K
    return (Sr + R - 1) // R * M * N


@njit(cache=True)
def write_buffers(df, R, C, B, bw, M, N, K, dram_out, stall_out, prof_if, prof_f, i_if, i_f, need):
    """:func:`write_buffer` of designs ``n`` (1-d ``df``, ``R``, ``C``, ofmap words ``B``, line width
    ``bw``) x layers ``j`` (1-d ``M``, ``N``, ``K``) into ``dram_out[n, j]``, ``stall_out[n, j]``
    where ``need[n, j]``; ``prof_if`` / ``prof_f`` (rows ``i_if[n, j]``, ``i_f[n, j]``) the read-stall
    profiles, or empty (then ``i_if``, ``i_f`` are not read)."""
    q = np.empty((16, 2), dtype=np.int64)  # partial lines: (line index, fill)
    for n in range(df.size):
        for j in range(M.size):
            if not need[n, j]:
                continue
            if prof_if.shape[0] == 0:
                d, s, q = write_buffer(df[n], R[n], C[n], M[j], N[j], K[j], B[n], bw[n], NO_PROFILE, NO_PROFILE, 0, 0, q)
                dram_out[n, j] = d
                stall_out[n, j] = s
                continue
            a, b = i_if[n, j], i_f[n, j]
            if prof_if[a, prof_if.shape[1] - 1] == 0 and prof_f[b, prof_f.shape[1] - 1] == 0:
                d, s, q = write_buffer(df[n], R[n], C[n], M[j], N[j], K[j], B[n], bw[n], NO_PROFILE, NO_PROFILE, a, b, q)
            else:
                d, s, q = write_buffer(df[n], R[n], C[n], M[j], N[j], K[j], B[n], bw[n], prof_if, prof_f, a, b, q)
            dram_out[n, j] = d
            stall_out[n, j] = s


def drains(df, R, C, B, bw, M, N, K):
    """(designs, layers) drains the ofmap buffer needs at least (numpy): writes beyond half the
    SRAM, in drains of ``ceil(floor(B/2)/bw)`` lines."""
    df, R, C, B, bw = (np.asarray(x)[:, None] for x in (df, R, C, B, bw))
    writes = np.where(df == _OS, M * N, -(-K[None, :] // R) * (M * N)[None, :])
    od = B - (B + 1) // 2
    H = -(-od // bw) * bw
    return np.where(writes > od, (writes - od - 1) // np.maximum(H, 1) + 1, 0)


@njit(cache=True)
def exact_user(df, R, C, w_if, w_f, bw_if, bw_f, B, bw, M, N, K, stream, single, need, budget, dram_out, stall_out,
               done):
    """USER-mode stall and DRAM ofmap writes, advance by advance (:mod:`.events`), of designs ``n``
    x layers ``j`` where ``need[n, j]``: both read operands' advances (at most ``budget`` each; the
    ifmap's only where every address occurs once, ``single[j]``, and no window reaches past the
    ifmap's edge, ``stream[j] == M K``, or where it never advances) played with
    SCALE-Sim's stall arithmetic, together with the ofmap write buffer (:func:`joint_buffers`):
    exact. Pairs done get ``done[n, j] = 1``; over budget ones are left alone."""
    ev_if = np.empty((64, 2), dtype=np.int64)
    ev_f = np.empty((64, 2), dtype=np.int64)
    q = np.empty((16, 2), dtype=np.int64)
    for n in range(df.size):
        a_if = (w_if[n] + 1) // 2
        c_if = (w_if[n] - a_if + bw_if[n] - 1) // bw_if[n] + 1
        a_f = (w_f[n] + 1) // 2
        c_f = (w_f[n] - a_f + bw_f[n] - 1) // bw_f[n] + 1
        for j in range(M.size):
            if not need[n, j]:
                continue
            ev_if, n_if = advance_events(0, df[n], R[n], C[n], M[j], N[j], K[j], w_if[n], stream[j], budget, ev_if)
            if n_if < 0 or (n_if > 0 and (not single[j] or stream[j] != M[j] * K[j])):
                continue  # over budget, or an ifmap whose pixels recur or that has holes: the estimate stands
            ev_f, n_f = advance_events(1, df[n], R[n], C[n], M[j], N[j], K[j], w_f[n], K[j] * N[j], budget, ev_f)
            if n_f < 0:
                continue
            d, s, q = joint_buffers(df[n], R[n], C[n], M[j], N[j], K[j], B[n], bw[n], ev_if, n_if, c_if, ev_f, n_f,
                                    c_f, q)
            dram_out[n, j] = d
            stall_out[n, j] = s
            done[n, j] = 1


@njit(cache=True)
def _drain(q, qh, qn, tl0, pos, bw, drain_start, lines):
    """Close a partial line and drain from ``drain_start``: (q, qh, qn, tl0, pos, end, data)."""
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
    return q, qh, qn, tl0, pos, end, data


@njit(cache=True)
def joint_buffers(df, R, C, M, N, K, B, bw, ev_if, n_if, c_if, ev_f, n_f, c_f, q):
    """(DRAM ofmap writes, stall cycles) of one layer with the read buffers' advances ``ev_if`` /
    ``ev_f`` (rows: line, advances; :mod:`.events`) and channel costs ``c_if`` / ``c_f``: the three
    buffers played together in line order, as the replay does. A line's read stall is computed at
    the line's cycle, its ofmap writes see that cycle too, and the line adds the larger of the read
    stall and the wait for a drain; every later line is shifted by it."""
    if df == _OS:
        Sr, Sc, T = M, N, K
    elif df == 1:
        Sr, Sc, T = K, N, M
    else:
        Sr, Sc, T = K, M, N
    rf = (Sr + R - 1) // R
    cf = (Sc + C - 1) // C
    L = T + R + C - 2 if df == _OS else 2 * R + C + T - 2
    Nw = writes_before(rf * cf * L, df, R, C, Sr, Sc, T, rf, cf, L)
    od = B - (B + 1) // 2
    thr = B - od
    lines = (od + bw - 1) // bw
    big = 1 << 62
    qh = 0
    qn = 0
    free = B
    w = 0
    pos = 0
    tl0 = 0
    S = 0
    drain_start = 0
    dram = 0
    pj, pS, pdl = -1, 0, 0
    wmax = min(R, C) if df == _OS else min(T, C)
    wait_line, S_wait = -1, 0  # line of the latest drain wait, stall before that line
    i = 0
    j = 0
    k_if = 0
    k_f = 0
    ofmap_done = Nw <= od
    while True:
        r = big
        if i < n_if:
            r = ev_if[i, 0]
        if j < n_f and ev_f[j, 0] < r:
            r = ev_f[j, 0]
        ev_line = big  # the next ofmap event (with the stall so far): a drain at jT or a wait at j0
        wait = False
        jT = 0
        j0 = 0
        drain_end = 0
        if not ofmap_done:
            jA = w + max(free - thr, 0)
            if jA >= Nw:
                ofmap_done = True
            else:
                jT = jA
                if pj >= 0 and jA - pj + 1 <= (pdl - 1) * wmax:
                    drain_end = line_of_write(pj, df, R, C, Sr, Sc, T, rf, cf, L) + pS + pdl - 1
                    j0 = w + max(free - 1, 0)
                    gT = drain_end - S
                    jT = max(jA, writes_before(gT, df, R, C, Sr, Sc, T, rf, cf, L)) if gT > 0 else jA
                    # (a write beyond the last is no event now, but a later read stall may bring the
                    # drain's end within the writes)
                    if jT > j0:
                        if j0 < Nw:
                            wait = True
                            ev_line = line_of_write(j0, df, R, C, Sr, Sc, T, rf, cf, L)
                        else:
                            jT = Nw
                if not ofmap_done and not wait and jT < Nw:
                    ev_line = line_of_write(jT, df, R, C, Sr, Sc, T, rf, cf, L) if r < big else 0
        if r == big and (ofmap_done or ev_line == big):
            break
        if ev_line <= r and ev_line < big:
            if wait:
                if wait_line != ev_line:
                    wait_line, S_wait = ev_line, S
                S = drain_end - ev_line
                pos += j0 - w + 1
                free -= j0 - w + 1
                w = j0 + 1
                continue
            pos += jT - w + 1
            free -= jT - w + 1
            w = jT + 1
            q, qh, qn, tl0, pos, end, data = _drain(q, qh, qn, tl0, pos, bw, drain_start, lines)
            dram += data
            free += data
            pj, pS, pdl = jT, S, end - drain_start
            drain_start = end
            continue
        # the read buffers' line r (its ofmap events, if any, came first at the line's own cycle)
        S0 = S_wait if wait_line == r else S
        cycle = r + S0
        st = 0
        if i < n_if and ev_if[i, 0] == r:
            st = max(st, _line_stall(cycle, k_if, ev_if[i, 1], c_if))
            k_if += ev_if[i, 1]
            i += 1
        if j < n_f and ev_f[j, 0] == r:
            st = max(st, _line_stall(cycle, k_f, ev_f[j, 1], c_f))
            k_f += ev_f[j, 1]
            j += 1
        S = max(S, S0 + st)
        # writes of line r that are no event stay at the line's cycle: move past them
        wr = writes_before(r + 1, df, R, C, Sr, Sc, T, rf, cf, L)
        if not ofmap_done and wr > w:
            n_more = min(wr, Nw) - w
            pos += n_more
            free -= n_more
            w += n_more
    pos += Nw - w
    if pos % bw != 0:
        q = _push(q, qn, tl0 + pos // bw, pos % bw)
        qn += 1
        tl0 += pos // bw + 1
        pos = 0
    trace = tl0 + pos // bw
    while drain_start < trace:
        q, qh, qn, tl0, pos, end, data = _drain(q, qh, qn, tl0, pos, bw, drain_start, lines)
        dram += data
        drain_start = end
    return dram, S, q


# these kernels inline or call kernels of sibling files: key their disk cache on the whole folder
key_module_kernels(globals(), Path(__file__).parent)
