"""All-bank refresh managers, one per rank (DRAMSys's RefreshManagerAllBank), with postponing and pulling in.

Per rank: ``rf_next`` (the next trigger), ``rf_pulled`` (pulling in), ``rf_flex`` (refreshes postponed, or
pulled in when negative), ``rf_activated`` (open banks, so a PREA precedes the REF) and ``rf_sleep``
(powered down: a due refresh waits for the wake-up).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..timing import ACT, PDEA, PDEP, PDXA, PDXP, PRE, PREA, RDA, REF, SREFEN, WRA
from .banks import bank_cache
from .layout import B_BLOCKED, B_CUR, B_NEXT, INF
from .powerdown import trigger_interruption


@njit(cache=True, error_model="numpy", inline="always")
def first_triggers(ranks, refi, refresh_on):
    """The first trigger of each rank's manager, staggered over the ranks in bit-reversed order
    (getTimeForFirstTrigger: refi - rev * refi / ranks, rounded up to a clock cycle)."""
    rf_next = np.full(ranks, INF, dtype=np.int64)
    if refresh_on:
        rank_bits = 0
        shift = ranks
        while shift > 1:
            shift >>= 1
            rank_bits += 1
        for r in range(ranks):
            rev = 0
            rid = r
            bits = rank_bits - 1
            while rid != 0:
                rev |= (rid & 1) << bits
                rid >>= 1
                bits -= 1
            rf_next[r] = (refi * ranks - rev * refi + ranks - 1) // ranks
    return rf_next


@njit(cache=True, error_model="numpy", inline="always")
def refresh_command(r, t, refi, bpr, max_postponed, rf_next, rf_pulled, rf_flex, rf_activated, rf_sleep, bk,
                    pd_on, pd_state, pd_entry, pd_exit, chkf, width, gcol, bcw, bu, bp, never):
    """RefreshManagerAllBank::evaluate: the rank's refresh command (PREA/REF) or -1."""
    if t < rf_next[r]:
        return -1
    if pd_on:
        trigger_interruption(r, pd_state, pd_entry, pd_exit)
    if rf_sleep[r]:
        return -1
    if t >= rf_next[r] + refi:
        rf_next[r] += refi
        rf_pulled[r] = False
    if not rf_pulled[r]:
        if rf_flex[r] == max_postponed:  # forced refresh: stop the rank's bank machines
            for b in range(r * bpr, (r + 1) * bpr):
                bk[b, B_BLOCKED] = True
                bk[b, B_NEXT] = -1
                bank_cache(b, -1, bk, chkf, width, gcol, bcw, bu, bp, never)
        else:
            for b in range(r * bpr, (r + 1) * bpr):
                if bk[b, B_CUR] >= 0:  # busy: postpone
                    rf_flex[r] += 1
                    rf_next[r] += refi
                    return -1
        return PREA if rf_activated[r] > 0 else REF
    for b in range(r * bpr, (r + 1) * bpr):
        if bk[b, B_CUR] >= 0:  # busy: stop pulling in
            rf_pulled[r] = False
            rf_next[r] += refi
            return -1
    return REF


@njit(cache=True, error_model="numpy", inline="always")
def refresh_on_command(c, r, t, refi, max_pulledin, rf_next, rf_pulled, rf_flex, rf_activated, rf_sleep):
    """The rank's refresh manager after command ``c`` issued in the rank (``max_pulledin`` is negative)."""
    if c == ACT:
        rf_activated[r] += 1
    elif c == PRE or c == RDA or c == WRA:
        rf_activated[r] -= 1
    elif c == PREA:
        rf_activated[r] = 0
    elif c == REF:
        if rf_sleep[r]:
            rf_pulled[r] = False
            rf_next[r] = t + refi
            rf_sleep[r] = False
        else:
            if rf_pulled[r]:
                rf_flex[r] -= 1
            else:
                rf_pulled[r] = True
            if rf_flex[r] == max_pulledin:
                rf_pulled[r] = False
                rf_next[r] += refi
    elif c == PDEA or c == PDEP:
        rf_sleep[r] = True
    elif c == SREFEN:
        rf_sleep[r] = True
        rf_next[r] = INF
    elif c == PDXA or c == PDXP:
        rf_sleep[r] = False
