"""Bank and rank state: the bank machines' table, the list of banks holding requests, the scan caches.

``bk`` has one row per bank (columns in :mod:`.layout`). Banks whose machine inputs changed since their
last evaluation are flagged in ``bdirty`` and listed in ``dlist``; banks holding requests are listed in
``busy`` (``busy_pos`` gives each bank's place, -1 if none). While many banks hold requests, three caches
let one vectorisable pass find the earliest bank command: per bank, the offset of its next command's row in
the flat timing table (``bcw``), the bank and bank-group part of that command's earliest time (``bu``; the
rank part is read at scan time, it moves with almost every command) and its request id + 1 (``bp``).
"""

from __future__ import annotations

from numba import njit

from ..timing import ACT, NCMD, PDEA, PDEP, PDXA, PDXP, PRE, PREA, RD, RDA, REF, SREFEN, SREFEX, WR, WRA
from .layout import B_BLOCKED, B_CUR, B_KEEP, B_NEXT, B_OPEN, B_SLEEP, B_STATE


@njit(cache=True, error_model="numpy", inline="always")
def is_rank_command(c):
    """Whether command ``c`` addresses a whole rank (all of its bank machines see it)."""
    return c == PREA or c == REF or c == PDEA or c == PDEP or c == PDXA or c == PDXP or c == SREFEN or c == SREFEX


@njit(cache=True, error_model="numpy", inline="always")
def apply_command(c, b, r, bpr, bk, row, needed_act, bdirty, dlist, nd):
    """The bank machines' update for an issued command (a rank command reaches all of the rank's banks);
    flags the banks it touches for re-evaluation. Returns the new length of the dirty list."""
    rank_cmd = is_rank_command(c)
    lo = r * bpr if rank_cmd else b
    hi = (r + 1) * bpr if rank_cmd else b + 1
    for bb in range(lo, hi):
        if not bdirty[bb]:
            bdirty[bb] = True
            dlist[nd] = bb
            nd += 1
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
def mark_all_dirty(busy, nbusy, bdirty, dlist, nd):
    """Flag every bank holding requests for re-evaluation (FrFcfsGrp: the last command's direction changed)."""
    for i in range(nbusy):
        bb = busy[i]
        if not bdirty[bb]:
            bdirty[bb] = True
            dlist[nd] = bb
            nd += 1
    return nd


@njit(cache=True, error_model="numpy", inline="always")
def add_busy(b, busy, busy_pos, nbusy):
    """List bank ``b`` among the banks holding requests (if not yet); returns the list's length."""
    if busy_pos[b] < 0:
        busy_pos[b] = nbusy
        busy[nbusy] = b
        nbusy += 1
    return nbusy


@njit(cache=True, error_model="numpy", inline="always")
def drop_busy(b, busy, busy_pos, nbusy):
    """Take bank ``b`` (its queue emptied) off the list; returns the list's length."""
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


@njit(cache=True, error_model="numpy", inline="always")
def refresh_group_cache(g, bpg, chkf, gcol, bcw, bu):
    """Bank- and group-scope constraints of a command reach only its bank group: refresh the group's ``bu``."""
    for bb in range(g * bpg, (g + 1) * bpg):
        o = bcw[bb]
        e = chkf[o + bb]
        v = chkf[o + gcol[bb]]
        bu[bb] = v if v > e else e


@njit(cache=True, error_model="numpy", _nrt=False)
def vector_scan(bu, bcw, rcol, bp, chkf, nbanks, sh, floor_key, best_key):
    """The smallest packed (earliest time, request id) key over all banks, from the per-bank caches: one
    vectorisable pass (kept out of line: inlined, its registers slow every other step of the loop)."""
    for bb in range(nbanks):
        e = bu[bb]
        v = chkf[bcw[bb] + rcol[bb]]
        e = v if v > e else e
        pid = bp[bb]
        key = (e << sh) | pid
        v = floor_key | pid
        key = v if v > key else key
        best_key = key if key < best_key else best_key
    return best_key


@njit(cache=True, error_model="numpy", _nrt=False)
def fill_caches(bk, chkf, width, gcol, bcw, bu, bp, never, nbanks):
    """Fill every bank's scan cache (when many banks start holding requests)."""
    for b in range(nbanks):
        bank_cache(b, bk[b, B_NEXT], bk, chkf, width, gcol, bcw, bu, bp, never)
