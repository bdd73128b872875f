"""The command multiplexer: of the ready commands, the one with the earliest legal cycle, ties to the oldest.

Candidates are each rank's power-down command (which holds back the rank's banks) or else its refresh
command (refreshes win ties: request id 0), and each bank machine's next command (request id = its request
+ 1). A choice is ``(earliest, request id, command, bank, rank, source)`` with source 0 bank machine,
1 refresh manager, 2 power-down manager; command -1 means nothing to issue. With one single-cycle command
bus (CmdMuxOldest) the scan can be cut to the candidates the last step found, when nothing but one admitted
request changed since (``use_cache``).
"""

from __future__ import annotations

from numba import njit

from ..timing import MUX_RASCAS, RD, RDA, WR, WRA
from .layout import B_CUR, B_NEXT, BIG_PID, INF
from .timing_table import bank_ready, earliest


@njit(cache=True, error_model="numpy", inline="always")
def rank_commands(t, ranks, bpr, pd_cmd, rf_cmd, chk, goff, roff, bus):
    """The best of the ranks' power-down and refresh commands (single-cycle command bus)."""
    best_e = INF
    best_pid = BIG_PID + 1
    best_c = -1
    best_b = -1
    best_r = -1
    best_src = 0
    for r in range(ranks):
        if pd_cmd[r] >= 0:
            e = earliest(pd_cmd[r], -1, -1, r, t, chk, goff, roff, bus)
            if e < best_e or (e == best_e and BIG_PID - 1 < best_pid):
                best_e = e
                best_pid = BIG_PID - 1
                best_c = pd_cmd[r]
                best_b = r * bpr
                best_r = r
                best_src = 2
            continue
        if rf_cmd[r] >= 0:
            e = earliest(rf_cmd[r], -1, -1, r, t, chk, goff, roff, bus)
            if e < best_e or (e == best_e and 0 < best_pid):
                best_e = e
                best_pid = 0
                best_c = rf_cmd[r]
                best_b = r * bpr
                best_r = r
                best_src = 1
    return best_e, best_pid, best_c, best_b, best_r, best_src


@njit(cache=True, error_model="numpy", inline="always")
def bank_commands(t, best_e, best_pid, best_c, best_b, best_r, best_src, nbusy, busy, bk, brank, gcol, rcol, chk,
                  pd_cmd, bus):
    """The best so far against every bank machine's next command (banks of a rank powering down wait)."""
    for i in range(nbusy):
        b = busy[i]
        c = bk[b, B_NEXT]
        if c < 0:
            continue
        r = brank[b]
        if pd_cmd[r] >= 0:
            continue
        e = bank_ready(c, b, t, bus, chk, gcol, rcol)
        pid = bk[b, B_CUR] + 1
        if e < best_e or (e == best_e and pid < best_pid):
            best_e = e
            best_pid = pid
            best_c = c
            best_b = b
            best_r = r
            best_src = 0
    return best_e, best_pid, best_c, best_b, best_r, best_src


@njit(cache=True, error_model="numpy", inline="always")
def candidate_commands(t, best_e, best_pid, best_c, best_b, best_r, best_src, cand1, cand1_e, cand2, admitted, bk,
                       brank, gcol, rcol, chk, bus):
    """The best so far against three banks only: the last scan's oldest earliest bank (its time ``cand1_e``
    still holds), the oldest bank left ready by a blocked multiplexer, and the bank of an admitted request."""
    for j in range(3):
        b = cand2 if j == 0 else (cand1 if j == 1 else admitted)
        if b < 0:
            continue
        c = bk[b, B_NEXT]
        if c < 0:
            continue
        if j == 1:
            e = cand1_e if cand1_e > t else t
        else:
            e = bank_ready(c, b, t, bus, chk, gcol, rcol)
        pid = bk[b, B_CUR] + 1
        if e < best_e or (e == best_e and pid < best_pid):
            best_e = e
            best_pid = pid
            best_c = c
            best_b = b
            best_r = brank[b]
            best_src = 0
    return best_e, best_pid, best_c, best_b, best_r, best_src


@njit(cache=True, error_model="numpy", inline="always")
def multi_cycle_commands(t, mux, ranks, bpr, pd_cmd, rf_cmd, nbusy, busy, bk, brank, gcol, rcol, soff, stack, chk,
                         roff, clen):
    """CmdMuxOldest over multi-cycle commands ranks by start + length (then oldest); with a row and a
    column bus (CmdMuxOldestRasCas) the best of each bus so, then of the two by start (then oldest)."""
    rk = INF
    rp = BIG_PID + 1
    re = INF
    rc = -1
    rb = -1
    rr = -1
    rs = 0
    ck = INF
    cp = BIG_PID + 1
    ce = INF
    cc = -1
    cb = -1
    cr = -1
    for r in range(ranks):
        c = pd_cmd[r]
        src = 2
        pid = BIG_PID - 1
        if c < 0:
            c = rf_cmd[r]
            src = 1
            pid = 0
        if c < 0:
            continue
        e = chk[c, roff + r]
        if t > e:
            e = t
        key = e + clen[c]
        if key < rk or (key == rk and pid < rp):
            rk = key
            rp = pid
            re = e
            rc = c
            rb = r * bpr
            rr = r
            rs = src
    for i in range(nbusy):
        b = busy[i]
        c = bk[b, B_NEXT]
        if c < 0:
            continue
        r = brank[b]
        if pd_cmd[r] >= 0:
            continue
        cur = bk[b, B_CUR]
        e = bank_ready(c, b, t, t, chk, gcol, rcol)  # multi-cycle commands: the bus is in the rules
        v = chk[c, soff + stack[cur]]
        if v > e:
            e = v
        key = e + clen[c]
        pid = cur + 1
        if mux == MUX_RASCAS and (c == RD or c == WR or c == RDA or c == WRA):
            if key < ck or (key == ck and pid < cp):
                ck = key
                cp = pid
                ce = e
                cc = c
                cb = b
                cr = r
        elif key < rk or (key == rk and pid < rp):
            rk = key
            rp = pid
            re = e
            rc = c
            rb = b
            rr = r
            rs = 0
    if cc >= 0 and (rc < 0 or ce < re or (ce == re and cp < rp)):
        return ce, cp, cc, cb, cr, 0
    return re, rp, rc, rb, rr, rs
