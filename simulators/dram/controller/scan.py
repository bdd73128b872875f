"""The end-of-step bank scan: the next cycle a bank command can issue, and the multiplexer's candidates.

Each step ends by finding the earliest bank command (for the next trigger) and remembering the oldest of
the earliest banks (``cand1`` at ``cand1_e``) and the oldest bank left ready by a blocked multiplexer
(``cand2``), so the next step's multiplexer can look at those only when nothing else changed.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..timing import NCMD
from .banks import fill_caches, vector_scan
from .layout import B_CUR, B_NEXT, BIG_PID, INF
from .timing_table import bank_ready


@njit(cache=True, error_model="numpy", inline="always")
def key_bits(n):
    """The packed keys of the bank scan: request ids (up to ``n`` + 1) take ``sh`` low bits, times the rest;
    ``never`` is the largest time that fits (the "never" row of the timing table)."""
    sh = 1
    while (1 << sh) <= n + 1:
        sh += 1
    return sh, (np.int64(1) << (62 - sh)) - 1


@njit(cache=True, error_model="numpy", inline="always")
def _min_key(b, bk, chk, gcol, rcol, sh, floor_key, best_key):
    """The smaller of ``best_key`` and bank ``b``'s packed (earliest time, request id) key."""
    c = bk[b, B_NEXT]
    if c < 0:
        c = NCMD
    e = chk[c, b]
    v = chk[c, gcol[b]]
    e = v if v > e else e
    v = chk[c, rcol[b]]
    e = v if v > e else e
    pid = bk[b, B_CUR] + 1
    key = (e << sh) | pid
    v = floor_key | pid
    key = v if v > key else key
    return key if key < best_key else best_key


@njit(cache=True, error_model="numpy", inline="always")
def packed_scan(t, bus, nbusy, busy, bk, bank, chk, chkf, width, gcol, rcol, bcw, bu, bp, never, nbanks, sh,
                pid_mask, cached):
    """The oldest of the earliest bank commands as one minimum over packed (time, request id) keys,
    branch-free; banks without a command read the "never" row. With more than four banks holding requests,
    one vectorisable pass over the scan caches (filled when that starts). Returns (cached, cand1_e, cand1)."""
    floor_key = (bus if bus > t else t) << sh
    best_key = (never + 1) << sh
    if nbusy > 4:
        if not cached:
            fill_caches(bk, chkf, width, gcol, bcw, bu, bp, never, nbanks)
            cached = True
        best_key = vector_scan(bu, bcw, rcol, bp, chkf, nbanks, sh, floor_key, best_key)
    else:
        # at most four banks, written out: as a loop LLVM vectorises it with masked gathers whose latency
        # (perf: an eighth of the loop's time) far exceeds four scalar passes
        cached = False
        if nbusy > 0:
            best_key = _min_key(busy[0], bk, chk, gcol, rcol, sh, floor_key, best_key)
        if nbusy > 1:
            best_key = _min_key(busy[1], bk, chk, gcol, rcol, sh, floor_key, best_key)
        if nbusy > 2:
            best_key = _min_key(busy[2], bk, chk, gcol, rcol, sh, floor_key, best_key)
        if nbusy > 3:
            best_key = _min_key(busy[3], bk, chk, gcol, rcol, sh, floor_key, best_key)
    if best_key < never << sh:
        pid = best_key & pid_mask
        return cached, best_key >> sh, bank[pid - 1]
    return cached, INF, -1


@njit(cache=True, error_model="numpy", inline="always")
def full_scan(t, bus, blocked, nbusy, busy, bk, chk, gcol, rcol, soff, stack):
    """The same with unpacked comparisons, the stack constraints and a blocked multiplexer (whose ready banks
    cannot trigger this cycle again). Returns (next bank event, cand1_e, cand1, cand2)."""
    nxt = INF
    e1 = INF
    p1 = BIG_PID
    b1 = -1
    p2 = BIG_PID
    b2 = -1
    for i in range(nbusy):
        b = busy[i]
        c = bk[b, B_NEXT]
        if c < 0:
            continue
        e = bank_ready(c, b, t, bus, chk, gcol, rcol)
        v = chk[c, soff + stack[bk[b, B_CUR]]]
        if v > e:
            e = v
        pid = bk[b, B_CUR] + 1
        if e == t and blocked:
            if pid < p2:
                p2 = pid
                b2 = b
        else:
            if e < nxt:
                nxt = e
            if e < e1 or (e == e1 and pid < p1):
                e1 = e
                p1 = pid
                b1 = b
    return nxt, e1, b1, b2
