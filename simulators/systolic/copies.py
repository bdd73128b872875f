"""USER-mode ifmap read buffer when pixels recur (overlapping convolution windows), exactly and fast.

SCALE-Sim's USER-mode read buffer holds a circular window of ``A`` sets of the operand's prefetch
stream (sets of ``E`` consecutive stream entries on a ring of ``nsets``); a demanded address hits if
*any* of its copies lies in the window, otherwise the window advances ``P`` sets until one does
(:func:`.replay._service_reads`). Which demand lines advance, and by how many sets, does not depend
on the bandwidth or on stalls, so it is found once per (dataflow, array, SRAM size, layer) and the
timing is played afterwards with the other buffers (:func:`.writes.exact_pairs`).

Walking every demanded address is exact but costs the operand's size times its re-reads. Here the
demand is laid out once as *leaves* -- the stream entries in the order a fold demands them (a
skewed fold demands its block's entries in stream order, one anti-diagonal per line; a stationary
ifmap tile row by row, last row first) -- and each leaf gets a window-start interval on which it is
certainly a hit: its copies' sets form clusters (consecutive sets at most ``A`` apart), and with the
window start ``s`` anywhere in ``[first - A + 1, last]`` of the cluster holding the leaf's own copy,
some copy lies in ``[s, s + A)``. Runs of leaves whose interval holds ``s`` are skipped through
per-64 and per-4096 minima and maxima; only the other leaves are looked up copy by copy, exactly as
SCALE-Sim does (a hit at another cluster, a wrapped window, a miss and its advances). The result is
the same event list, line by line, as the address-by-address walk.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit

from ..kernel_cache import key_module_kernels
from .events import _emit
from .replay import _user_hit

_OS, _WS, _IS = 0, 1, 2
_B1 = 64
_B2 = 4096


@njit(cache=True)
def _ifmap_tables(geo, M, K):
    """Per output pixel its window's top-left ifmap row, column and address; per window element its
    row, column and address offset (SCALE-Sim's im2col without a division per entry)."""
    W, Fw, Ch, Sh, Sw, Wo = geo[1], geo[2], geo[3], geo[4], geo[5], geo[6]
    prow = np.empty(M, dtype=np.int64)
    pcol = np.empty(M, dtype=np.int64)
    for p in range(M):
        prow[p] = (p // Wo) * Sh
        pcol[p] = (p % Wo) * Sw
    trow = np.empty(K, dtype=np.int64)
    tcol = np.empty(K, dtype=np.int64)
    toff = np.empty(K, dtype=np.int64)
    for j in range(K):
        crow = j // (Fw * Ch)
        r = j - crow * Fw * Ch
        trow[j] = crow
        tcol[j] = r // Ch
        toff[j] = (crow * W + r // Ch) * Ch + r % Ch
    return prow, pcol, trow, tcol, toff


@njit(cache=True)
def _stream_rc(df, rows, cols, diagonal, R, C, T, Sr, Sc, geo, K, N):
    """The ifmap prefetch stream (valid addresses in SCALE-Sim's order, as :func:`.replay._prefetch_stream`)
    with the matrix row and column of every entry."""
    H, W, Ch = geo[0], geo[1], geo[3]
    M = Sc if df == _IS else (Sr if df == _OS else T)
    prow, pcol, trow, tcol, toff = _ifmap_tables(geo, M, K)
    out = np.empty(rows * cols, dtype=np.int64)
    rr = np.empty(rows * cols, dtype=np.int64)
    cc = np.empty(rows * cols, dtype=np.int64)
    n = 0
    for d in range(rows + cols if diagonal else rows):
        if diagonal:
            hi = d if d < rows - 1 else rows - 1
            lo = d - cols + 1 if d - cols + 1 > 0 else 0
        else:
            hi = lo = d
        for r in range(hi, lo - 1, -1):
            c0, c1 = (d - r, d - r + 1) if diagonal else (0, cols)
            for c in range(c0, c1):
                if df == _OS:  # block fr: T window elements x R pixels
                    fr = r // T
                    p = fr * R + c
                    j = r - fr * T
                    if p >= Sr:
                        continue
                elif df == _WS:  # block fr: T pixels x R window elements
                    fr = r // T
                    p = r - fr * T
                    j = fr * R + c
                    if j >= Sr:
                        continue
                else:  # block fc: Sr window elements x C pixels
                    fc = r // Sr
                    j = r - fc * Sr
                    p = fc * C + c
                    if p >= Sc:
                        continue
                if prow[p] + trow[j] >= H or pcol[p] + tcol[j] >= W:
                    continue
                out[n] = (prow[p] * W + pcol[p]) * Ch + toff[j]
                rr[n] = r
                cc[n] = c
                n += 1
    return out[:n], rr[:n], cc[:n]


@njit(cache=True)
def _copy_sets(stream, E, space):
    """CSR address -> ascending distinct set ids holding it (a counting sort: stream order is set order)."""
    cnt = np.zeros(space + 1, dtype=np.int64)
    for p in range(stream.size):
        cnt[stream[p] + 1] += 1
    for a in range(space):
        cnt[a + 1] += cnt[a]
    fill = cnt[:space].copy()
    sid = np.empty(stream.size, dtype=np.int64)
    for p in range(stream.size):
        a = stream[p]
        sid[fill[a]] = p // E
        fill[a] += 1
    # drop repeated ids of an address (copies in one set)
    ptr = np.zeros(space + 1, dtype=np.int64)
    w = 0
    for a in range(space):
        lo, hi = cnt[a], cnt[a + 1]
        last = -1
        for i in range(lo, hi):
            if sid[i] != last:
                sid[w] = sid[i]
                last = sid[i]
                w += 1
        ptr[a + 1] = w
    return ptr, sid[:w].copy()


@njit(cache=True)
def _leaves(df, R, C, T, Sr, Sc, stream, row, col, E, A, ptr, sid):
    """Leaves in demand order (grouped by fold class: the block for skewed folds, the fold itself for
    stationary tiles): address, line within the fold, and the window-start interval [lo, hi] of
    certain hits; ``start[c] .. start[c+1]`` are class ``c``'s leaves."""
    rf = (Sr + R - 1) // R
    cf = (Sc + C - 1) // C
    L = T + R + C - 2 if df == _OS else 2 * R + C + T - 2
    n = stream.size
    ncls = rf * cf if df == _IS else rf
    key = np.empty(n, dtype=np.int64)
    line = np.empty(n, dtype=np.int64)
    for p in range(n):
        if df == _IS:  # rows: cf blocks of Sr taps; fold (fr, fc) demands tile fr of block fc, last row first
            b = row[p] // Sr
            t = row[p] - b * Sr
            fr = t // R
            cls = b * rf + fr
            ln = R - 1 - (t - fr * R)
        else:  # rows: rf blocks of T; fold fr demands block fr along anti-diagonals
            cls = row[p] // T
            ln = (0 if df == _OS else R) + row[p] - cls * T + col[p]
        key[p] = cls * L + ln
        line[p] = ln
    cnt = np.zeros(ncls * L + 1, dtype=np.int64)
    for p in range(n):
        cnt[key[p] + 1] += 1
    for i in range(ncls * L):
        cnt[i + 1] += cnt[i]
    start = np.empty(ncls + 1, dtype=np.int64)
    for c in range(ncls + 1):
        start[c] = cnt[c * L]
    order = np.empty(n, dtype=np.int64)
    fill = cnt[:ncls * L].copy()
    for p in range(n):  # stable: ties in stream order
        order[fill[key[p]]] = p
        fill[key[p]] += 1
    l_addr = np.empty(n, dtype=np.int64)
    l_line = np.empty(n, dtype=np.int64)
    l_lo = np.empty(n, dtype=np.int64)
    l_hi = np.empty(n, dtype=np.int64)
    for i in range(n):
        p = order[i]
        a = stream[p]
        own = p // E
        lo, hi = ptr[a], ptr[a + 1]
        x, y = lo, hi
        while x < y:  # own set's index among the address's sets
            m = (x + y) // 2
            if sid[m] < own:
                x = m + 1
            else:
                y = m
        f = x
        while f > lo and sid[f] - sid[f - 1] <= A:
            f -= 1
        g = x
        while g + 1 < hi and sid[g + 1] - sid[g] <= A:
            g += 1
        l_addr[i] = a
        l_line[i] = line[p]
        l_lo[i] = sid[f] - A + 1
        l_hi[i] = sid[g]
    return l_addr, l_line, l_lo, l_hi, start


@njit(cache=True)
def _summaries(lo, hi, B):
    n = (lo.size + B - 1) // B
    mx = np.empty(n, dtype=np.int64)
    mn = np.empty(n, dtype=np.int64)
    for b in range(n):
        e = min(lo.size, (b + 1) * B)
        mx[b] = lo[b * B:e].max()
        mn[b] = hi[b * B:e].min()
    return mx, mn


@njit(cache=True)
def _first_unsure(i, end, s, lo, hi, mx1, mn1, mx2, mn2):
    """First leaf in ``[i, end)`` whose certain-hit interval does not hold window start ``s``."""
    while i < end:
        if i % _B2 == 0 and i + _B2 <= end and mx2[i // _B2] <= s <= mn2[i // _B2]:
            i += _B2
        elif i % _B1 == 0 and i + _B1 <= end and mx1[i // _B1] <= s <= mn1[i // _B1]:
            i += _B1
        elif lo[i] <= s <= hi[i]:
            i += 1
        else:
            return i
    return end


@njit(cache=True)
def _walk(df, R, C, T, Sr, Sc, nsets, A, P, ptr, sid, l_addr, l_line, l_lo, l_hi, start):
    rf = (Sr + R - 1) // R
    cf = (Sc + C - 1) // C
    L = T + R + C - 2 if df == _OS else 2 * R + C + T - 2
    mx1, mn1 = _summaries(l_lo, l_hi, _B1)
    mx2, mn2 = _summaries(l_lo, l_hi, _B2)
    ev = np.empty((64, 2), dtype=np.int64)
    n = 0
    k = 0
    s = 0
    e = A % nsets
    for f in range(rf * cf):
        fr = f % rf
        c = f if df == _IS else fr
        i = start[c]
        end = start[c + 1]
        base = f * L
        while True:
            i = _first_unsure(i, end, s, l_lo, l_hi, mx1, mn1, mx2, mn2)
            if i >= end:
                break
            a = l_addr[i]
            m = 0
            while not _user_hit(a, ptr, sid, s, e):
                s = (s + P) % nsets
                e = (s + A) % nsets
                m += 1
            if m > 0:
                ev, n = _emit(ev, n, base + l_line[i], m)
                k += m
            i += 1
    return ev[:n].copy(), k


@njit(cache=True)
def ifmap_advances(df, R, C, words, M, N, K, geo):
    """USER-mode ifmap window advances of one design and layer as event rows (global demand line
    ``f * L + l``, advances) and their total: SCALE-Sim's, including hits at other copies of a pixel.
    ``geo`` = (ifmap_h, ifmap_w, filter_w, channels, stride_h, stride_w, ofmap_w)."""
    if df == _OS:
        Sr, Sc, T = M, N, K
    elif df == _WS:
        Sr, Sc, T = K, N, M
    else:
        Sr, Sc, T = K, M, N
    rf = (Sr + R - 1) // R
    cf = (Sc + C - 1) // C
    if df == _IS:
        rows, cols, diag = cf * Sr, C, False
    else:
        rows, cols, diag = rf * T, R, True
    stream, row, col = _stream_rc(df, rows, cols, diag, R, C, T, Sr, Sc, geo, K, N)
    E = (words + 99) // 100
    active = (words + 1) // 2
    nsets = stream.size // E + 1
    A = min((active + E - 1) // E, nsets)
    P = min((words - active + E - 1) // E, nsets - A)
    if A >= nsets or P <= 0:
        return np.zeros((0, 2), dtype=np.int64), 0
    ptr, sid = _copy_sets(stream, E, geo[0] * geo[1] * geo[3])
    l_addr, l_line, l_lo, l_hi, start = _leaves(df, R, C, T, Sr, Sc, stream, row, col, E, A, ptr, sid)
    return _walk(df, R, C, T, Sr, Sc, nsets, A, P, ptr, sid, l_addr, l_line, l_lo, l_hi, start)


#: advance lists remembered across calls, keyed by dataflow, array, SRAM words and layer shape (they do not
#: depend on the bandwidth); bounded by the event rows they hold
_MEMO: dict = {}
_MEMO_ROWS = 1 << 22
_memo_rows = [0]


def ifmap_events(df: int, R: int, C: int, words: int, M: int, N: int, K: int, geo: tuple) -> np.ndarray:
    """:func:`ifmap_advances`' event rows, remembered across calls."""
    key = (df, R, C, words, M, N, K, geo)
    hit = _MEMO.get(key)
    if hit is None:
        ev, _ = ifmap_advances(df, R, C, words, M, N, K, np.array(geo, dtype=np.int64))
        if _memo_rows[0] + len(ev) + 1 > _MEMO_ROWS:
            _MEMO.clear()
            _memo_rows[0] = 0
        _memo_rows[0] += len(ev) + 1
        hit = _MEMO[key] = ev
    return hit


# these kernels call kernels of sibling files: key their disk cache on the whole folder
key_module_kernels(globals(), Path(__file__).parent)
