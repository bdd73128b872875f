"""Bank machines: the state of every bank (open row, current request, next command) and how commands change it.

DRAMSys runs one BankMachine per bank; here they are the rows of one int64 table ``bk`` (columns ``B_*``):
whether the bank is activated and which row is open, the request it is serving (kept across an ACT so
that the scheduler cannot swap it), whether a refresh blocks it or power-down put it to sleep, and the
next command it wants (-1: none). A command changes the machines of its bank, or of all the rank's banks
for a rank command (PREA, REF, power-down); those machines are marked *dirty* so that the loop
re-evaluates only banks whose inputs changed.

Also kept per bank, for the multiplexer's scan when many banks hold requests: a cache of the bank's next
command's row offset in the flat timing table, the bank- and group-scope part of its earliest time, and its
request id (:func:`bank_cache`; the rank part is read at scan time as it moves with almost every command),
and the set of *busy* banks (holding requests; only they can have a command).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..timing import ACT, NCMD, PDEA, PDEP, PDXA, PDXP, PRE, PREA, RD, RDA, REF, SREFEN, SREFEX, WR, WRA

# bank machine table columns: B_STATE (0 precharged / 1 activated), B_OPEN (open row), B_CUR (current
# request), B_KEEP (keep the current request: its row was opened for it), B_BLOCKED (a forced refresh
# holds the bank), B_SLEEP (power-down), B_NEXT (next command, -1: none)
B_STATE, B_OPEN, B_CUR, B_KEEP, B_BLOCKED, B_SLEEP, B_NEXT, B_N = range(8)


@njit(cache=True, error_model="numpy")
def new_bank_table(nbanks):
    """All banks precharged, idle, awake."""
    bk = np.zeros((nbanks, B_N), dtype=np.int64)
    bk[:, B_OPEN] = -1
    bk[:, B_CUR] = -1
    bk[:, B_NEXT] = -1
    return bk


@njit(cache=True, error_model="numpy", inline="always")
def mark_dirty(b, bdirty, dlist, nd):
    """Put bank ``b`` on the list of machines to re-evaluate (once); returns the list's new length."""
    if not bdirty[b]:
        bdirty[b] = True
        dlist[nd] = b
        nd += 1
    return nd


@njit(cache=True, error_model="numpy", inline="always")
def banks_on_command(c, b, r, bpr, bk, row, needed_act, bdirty, dlist, nd):
    """The bank machines' reaction to command ``c`` issued to bank ``b`` (all of rank ``r``'s banks for a rank
    command); an ACT also records that its request needed one. Returns the dirty list's new length."""
    rank_cmd = c == PREA or c == REF or c == PDEA or c == PDEP or c == PDXA or c == PDXP or c == SREFEN \
        or c == SREFEX
    lo = r * bpr if rank_cmd else b
    hi = (r + 1) * bpr if rank_cmd else b + 1
    for bb in range(lo, hi):
        nd = mark_dirty(bb, bdirty, dlist, nd)
        if c == ACT:
            bk[bb, B_STATE] = 1
            bk[bb, B_OPEN] = row[bk[bb, B_CUR]]
            bk[bb, B_KEEP] = True
            needed_act[bk[bb, B_CUR]] = True
        elif c == PRE or c == PREA:
            bk[bb, B_STATE] = 0
            bk[bb, B_KEEP] = False
        elif c == RD or c == WR:
            bk[bb, B_CUR] = -1
            bk[bb, B_KEEP] = False
        elif c == RDA or c == WRA:
            bk[bb, B_STATE] = 0
            bk[bb, B_CUR] = -1
            bk[bb, B_KEEP] = False
        elif c == PDEA or c == PDEP or c == SREFEN:
            bk[bb, B_SLEEP] = True
        elif c == REF:
            bk[bb, B_SLEEP] = False
            bk[bb, B_BLOCKED] = False
        elif c == PDXA or c == PDXP:
            bk[bb, B_SLEEP] = False
    return nd


@njit(cache=True, error_model="numpy", inline="always")
def busy_add(b, busy, busy_pos, nbusy):
    """Bank ``b`` now holds a request: add it to the busy set (if not there); returns the set's size."""
    if busy_pos[b] < 0:
        busy_pos[b] = nbusy
        busy[nbusy] = b
        nbusy += 1
    return nbusy


@njit(cache=True, error_model="numpy", inline="always")
def busy_remove(b, busy, busy_pos, nbusy):
    """Bank ``b``'s queue emptied: remove it from the busy set (the last member takes its place)."""
    last = busy[nbusy - 1]
    busy[busy_pos[b]] = last
    busy_pos[last] = busy_pos[b]
    busy_pos[b] = -1
    return nbusy - 1


@njit(cache=True, error_model="numpy", inline="always")
def bank_cache(b, c, bk, chkf, width, gcol, bcw, bu, bp, never):
    """Cache bank ``b``'s next command ``c`` (-1: none) for the vectorised bank scan: the offset of its row in
    the flat timing table ``bcw`` (the "never" row for none), the bank and bank-group part of its earliest
    legal time ``bu`` and its request id ``bp``."""
    if c < 0:
        bcw[b] = NCMD * width
        bu[b] = never
        bp[b] = 0
        return
    o = c * width
    e = chkf[o + b]
    v = chkf[o + gcol[b]]
    bcw[b] = o
    bu[b] = v if v > e else e
    bp[b] = bk[b, B_CUR] + 1


@njit(cache=True, error_model="numpy")
def fill_caches(bk, chkf, width, gcol, bcw, bu, bp, never, nbanks):
    """Fill every bank's scan cache (when many banks start holding requests)."""
    for b in range(nbanks):
        bank_cache(b, bk[b, B_NEXT], bk, chkf, width, gcol, bcw, bu, bp, never)


@njit(cache=True, error_model="numpy", inline="always")
def refresh_group_caches(g, bpg, bcw, bu, chkf, gcol):
    """After a command: bank- and group-scope constraints reach only its bank group ``g``; refresh the cached
    parts of that group's banks."""
    for bb in range(g * bpg, (g + 1) * bpg):
        o = bcw[bb]
        e = chkf[o + bb]
        v = chkf[o + gcol[bb]]
        bu[bb] = v if v > e else e
