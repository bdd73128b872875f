"""All-bank refresh managers (DRAMSys's RefreshManagerAllBank), one per rank, with postponing and pulling in.

Every tREFI a rank owes a refresh: PREA first if a bank is open, then REF. A busy rank (a bank machine
serving a request) may postpone it up to RefreshMaxPostponed times; at that limit the refresh is forced
and blocks the rank's bank machines until the REF. An idle rank may pull refreshes in, up to
RefreshMaxPulledin ahead. The first triggers are staggered over the ranks in bit-reversed rank order. The
managers' state is one int64 table ``rf``, a row per rank, columns ``RM_*``: the next trigger time, whether
refreshes are being pulled in, the postponed (+) / pulled-in (-) count, the number of activated banks, whether
the rank sleeps (power-down: refresh waits for the wake-up) and the rank's proposed command this cycle.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..timing import ACT, PDEA, PDEP, PDXA, PDXP, PRE, PREA, RDA, REF, SREFEN, WRA
from .banks import B_BLOCKED, B_CUR, B_NEXT, bank_cache
from .config import INF
from .powerdown import trigger_interruption

# manager table columns: RM_NEXT (next trigger), RM_PULLED (pulling in), RM_FLEX (postponed minus pulled in),
# RM_ACTIVATED (activated banks), RM_SLEEP (rank powered down), RM_CMD (this cycle's command, -1: none)
RM_NEXT, RM_PULLED, RM_FLEX, RM_ACTIVATED, RM_SLEEP, RM_CMD, RM_N = range(7)


@njit(cache=True, error_model="numpy")
def new_refresh_managers(ranks, refi, refresh_on):
    """The managers before the first cycle: first triggers staggered in bit-reversed rank order (never without
    refresh)."""
    rf = np.zeros((ranks, RM_N), dtype=np.int64)
    rf[:, RM_NEXT] = INF
    rf[:, RM_CMD] = -1
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
            rf[r, RM_NEXT] = refi - rev * (refi // ranks)
    return rf


@njit(cache=True, error_model="numpy", inline="always")
def refresh_evaluate(r, t, refi, bpr, max_postponed, rf, bk, pd_on, pdm, chkf, width, gcol, bcw, bu, bp, never):
    """RefreshManagerAllBank::evaluate: the rank's refresh command (PREA/REF) or -1."""
    if t < rf[r, RM_NEXT]:
        return -1
    if pd_on:  # powerDownManager.triggerInterruption()
        trigger_interruption(r, pdm)
    if rf[r, RM_SLEEP]:
        return -1
    if t >= rf[r, RM_NEXT] + refi:
        rf[r, RM_NEXT] += refi
        rf[r, RM_PULLED] = False
    if not rf[r, RM_PULLED]:
        if rf[r, RM_FLEX] == max_postponed:  # forced refresh: stop the rank's bank machines
            for b in range(r * bpr, (r + 1) * bpr):
                bk[b, B_BLOCKED] = True
                bk[b, B_NEXT] = -1
                bank_cache(b, -1, bk, chkf, width, gcol, bcw, bu, bp, never)
        else:
            for b in range(r * bpr, (r + 1) * bpr):
                if bk[b, B_CUR] >= 0:  # busy: postpone
                    rf[r, RM_FLEX] += 1
                    rf[r, RM_NEXT] += refi
                    return -1
        return PREA if rf[r, RM_ACTIVATED] > 0 else REF
    for b in range(r * bpr, (r + 1) * bpr):
        if bk[b, B_CUR] >= 0:  # busy: stop pulling in
            rf[r, RM_PULLED] = False
            rf[r, RM_NEXT] += refi
            return -1
    return REF


@njit(cache=True, error_model="numpy", inline="always")
def refresh_on_command(c, r, t, refi, max_pulledin, rf):
    """The manager of rank ``r`` after command ``c`` issued on the rank (RefreshManagerAllBank::update);
    ``max_pulledin`` is the negated RefreshMaxPulledin (the flex count goes negative when pulling in)."""
    if c == ACT:
        rf[r, RM_ACTIVATED] += 1
    elif c == PRE or c == RDA or c == WRA:
        rf[r, RM_ACTIVATED] -= 1
    elif c == PREA:
        rf[r, RM_ACTIVATED] = 0
    elif c == REF:
        if rf[r, RM_SLEEP]:
            rf[r, RM_PULLED] = False
            rf[r, RM_NEXT] = t + refi
            rf[r, RM_SLEEP] = False
        else:
            if rf[r, RM_PULLED]:
                rf[r, RM_FLEX] -= 1
            else:
                rf[r, RM_PULLED] = True
            if rf[r, RM_FLEX] == max_pulledin:
                rf[r, RM_PULLED] = False
                rf[r, RM_NEXT] += refi
    elif c == PDEA or c == PDEP:
        rf[r, RM_SLEEP] = True
    elif c == SREFEN:
        rf[r, RM_SLEEP] = True
        rf[r, RM_NEXT] = INF
    elif c == PDXA or c == PDXP:
        rf[r, RM_SLEEP] = False
