"""Command selection (DRAMSys's CmdMux "Oldest"): at most one command per cycle, and when the next can issue.

Candidates are each rank's power-down or refresh command and each busy bank's next command. The one that
issues has the earliest legal time (:mod:`.timing_table`), ties going to the oldest request, refreshes
and power-down before any request. After a step the same scan finds the next cycle at which a command can
issue -- and remembers the winner and the oldest bank left ready but not chosen, so that the next step
needs to look only at those and at a newly admitted bank if nothing else changed.

What keeps the scan cheap (profiled with perf on the JIT code): it is one branch-free pass over packed
(earliest time, request id) integer keys -- request ids take the low ``sh`` bits; banks without a command
read the timing table's "never" row -- over the busy banks, or, when more than four banks are busy, over
every bank's cached bank/group part (:func:`.banks.bank_cache`) in a vectorisable loop kept out of line.
Beyond ``fast_until`` simulated cycles, or when a command was ready but not issued, it falls back to
unpacked comparisons.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..timing import NCMD
from .banks import B_CUR, B_NEXT, fill_caches
from .config import BIG_PID, INF
from .powerdown import PM_CMD, PM_ENTRY, PM_EXIT, PM_SREF, powerdown_evaluate
from .refresh import RM_CMD, RM_NEXT, refresh_evaluate
from .timing_table import rank_command_earliest


@njit(cache=True, error_model="numpy")
def scan_keys(n):
    """For ``n`` requests: bits of the request id in a packed key, the "never" time, the time up to which keys
    are packed, the request-id mask."""
    sh = 1
    while (1 << sh) <= n + 1:
        sh += 1
    never = (np.int64(1) << (62 - sh)) - 1
    return sh, never, never >> 1, (np.int64(1) << sh) - 1


@njit(cache=True, error_model="numpy")
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


@njit(cache=True, error_model="numpy", inline="always")
def rank_candidates(t, ranks, bpr, refresh_on, pd_on, refi, max_postponed, rf, pdm, bk, chkf, width, gcol, bcw, bu,
                    bp, never):
    """Each rank's refresh and power-down managers evaluate; their commands are the rank candidates."""
    for r in range(ranks):
        rf[r, RM_CMD] = -1
        if refresh_on and t >= rf[r, RM_NEXT]:
            rf[r, RM_CMD] = refresh_evaluate(r, t, refi, bpr, max_postponed, rf, bk, pd_on, pdm, chkf, width, gcol,
                                             bcw, bu, bp, never)
        pdm[r, PM_CMD] = -1
        if pd_on and (pdm[r, PM_EXIT] or pdm[r, PM_ENTRY] or pdm[r, PM_SREF]):
            pdm[r, PM_CMD] = powerdown_evaluate(r, bpr, pdm, bk)


@njit(cache=True, error_model="numpy", inline="always")
def pick_command(t, bus, ranks, bpr, rf, pdm, chk, roff, gcol, rcol, brank, bk, busy, nbusy, mx_valid, mx_b1, mx_e1,
                 mx_b2, adm_b):
    """The command to issue: earliest legal time, then oldest (power-down, then refresh, then requests by
    age). Returns (its earliest time, command, bank, rank, source: 0 bank machine, 1 refresh, 2 power-down);
    command -1 if there is none."""
    best_e = INF
    best_pid = BIG_PID + 1
    best_c = -1
    best_b = -1
    best_r = -1
    best_src = 0
    for r in range(ranks):
        if pdm[r, PM_CMD] >= 0:
            e = rank_command_earliest(pdm[r, PM_CMD], r, t, chk, roff, bus)
            if e < best_e or (e == best_e and BIG_PID - 1 < best_pid):
                best_e = e
                best_pid = BIG_PID - 1
                best_c = pdm[r, PM_CMD]
                best_b = r * bpr
                best_r = r
                best_src = 2
            continue
        if rf[r, RM_CMD] >= 0:
            e = rank_command_earliest(rf[r, RM_CMD], r, t, chk, roff, bus)
            if e < best_e or (e == best_e and 0 < best_pid):
                best_e = e
                best_pid = 0
                best_c = rf[r, RM_CMD]
                best_b = r * bpr
                best_r = r
                best_src = 1
    # the bank machines' commands (bank look-ups written out: see rank_command_earliest's note)
    if mx_valid and best_c < 0 and (adm_b < 0 or (adm_b != mx_b1 and adm_b != mx_b2)):
        # nothing changed the banks since the last scan but the admitted one: candidates suffice
        for j in range(3):
            b = mx_b2 if j == 0 else (mx_b1 if j == 1 else adm_b)
            if b < 0:
                continue
            c = bk[b, B_NEXT]
            if c < 0:
                continue
            if j == 1:
                e = mx_e1 if mx_e1 > t else t
            else:
                e = chk[c, b]
                v = chk[c, gcol[b]]
                if v > e:
                    e = v
                v = chk[c, rcol[b]]
                if v > e:
                    e = v
                if bus > e:
                    e = bus
                if t > e:
                    e = t
            pid = bk[b, B_CUR] + 1
            if e < best_e or (e == best_e and pid < best_pid):
                best_e = e
                best_pid = pid
                best_c = c
                best_b = b
                best_r = brank[b]
                best_src = 0
    else:
        for i in range(nbusy):
            b = busy[i]
            c = bk[b, B_NEXT]
            if c < 0:
                continue
            r = brank[b]
            if pdm[r, PM_CMD] >= 0:
                continue
            e = chk[c, b]
            v = chk[c, gcol[b]]
            if v > e:
                e = v
            v = chk[c, rcol[b]]
            if v > e:
                e = v
            if bus > e:
                e = bus
            if t > e:
                e = t
            pid = bk[b, B_CUR] + 1
            if e < best_e or (e == best_e and pid < best_pid):
                best_e = e
                best_pid = pid
                best_c = c
                best_b = b
                best_r = r
                best_src = 0
    return best_e, best_c, best_b, best_r, best_src


@njit(cache=True, error_model="numpy", inline="always")
def next_bank_event(t, blocked, bus, busy, nbusy, bk, chk, chkf, gcol, rcol, bank, cached, bcw, bu, bp, width, never,
                    sh, fast_until, pid_mask, nbanks):
    """The earliest cycle (INF: none) at which a bank command can issue after this step, the oldest bank with
    it and that time, the oldest bank left ready at ``t`` by a blocked multiplexer (-1: none), and whether the
    scan caches are kept. Returns (nxt, mx_b1, mx_e1, mx_b2, cached)."""
    nxt = INF
    mx_b1 = -1
    mx_e1 = INF
    mx_p1 = BIG_PID
    mx_b2 = -1
    mx_p2 = BIG_PID
    if not blocked and t < fast_until:
        # the oldest of the earliest bank commands, as one minimum over packed (time, request id) keys,
        # branch-free; banks without a command read the "never" row
        floor_key = (bus if bus > t else t) << sh
        best_key = (never + 1) << sh
        if nbusy > 4:
            # many banks: one vectorisable pass over all of them (contiguous caches, one gather each)
            if not cached:
                fill_caches(bk, chkf, width, gcol, bcw, bu, bp, never, nbanks)
                cached = True
            best_key = vector_scan(bu, bcw, rcol, bp, chkf, nbanks, sh, floor_key, best_key)
        else:
            cached = False
            for i in range(nbusy):
                b = busy[i]
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
                best_key = key if key < best_key else best_key
        if best_key < never << sh:
            mx_e1 = best_key >> sh
            mx_p1 = best_key & pid_mask
            mx_b1 = bank[mx_p1 - 1]
            nxt = mx_e1
    else:
        for i in range(nbusy):
            b = busy[i]
            c = bk[b, B_NEXT]
            if c < 0:
                continue
            e = chk[c, b]
            v = chk[c, gcol[b]]
            if v > e:
                e = v
            v = chk[c, rcol[b]]
            if v > e:
                e = v
            if bus > e:
                e = bus
            if e < t:
                e = t
            pid = bk[b, B_CUR] + 1
            if e == t and blocked:
                if pid < mx_p2:
                    mx_p2 = pid
                    mx_b2 = b
            else:
                if e < nxt:
                    nxt = e
                if e < mx_e1 or (e == mx_e1 and pid < mx_p1):
                    mx_e1 = e
                    mx_p1 = pid
                    mx_b1 = b
    return nxt, mx_b1, mx_e1, mx_b2, cached


@njit(cache=True, error_model="numpy", inline="always")
def next_rank_event(nxt, t, blocked, bus, ranks, bpr, refresh_on, pd_on, refi, max_postponed, rf, pdm, bk, chk, chkf,
                    roff, width, gcol, bcw, bu, bp, never):
    """The earliest cycle (if before ``nxt``) at which a refresh or power-down command can issue after this
    step; the managers evaluate again (as DRAMSys re-triggers them), which may postpone a refresh."""
    for r in range(ranks):
        if refresh_on:
            c = -1
            if t >= rf[r, RM_NEXT]:
                c = refresh_evaluate(r, t, refi, bpr, max_postponed, rf, bk, pd_on, pdm, chkf, width, gcol, bcw, bu,
                                     bp, never)
            if c >= 0:
                e = rank_command_earliest(c, r, t, chk, roff, bus)
                if e < nxt and not (e == t and blocked):
                    nxt = e
            elif t < rf[r, RM_NEXT] < nxt:
                # a due refresh of a sleeping rank waits for the wake-up; DRAMSys re-triggers here in
                # the same cycle forever (a delta-cycle livelock), the model moves on to the next event
                nxt = rf[r, RM_NEXT]
        if pd_on and (pdm[r, PM_EXIT] or pdm[r, PM_ENTRY] or pdm[r, PM_SREF]):
            c = powerdown_evaluate(r, bpr, pdm, bk)
            if c >= 0:
                e = rank_command_earliest(c, r, t, chk, roff, bus)
                if e < nxt and not (e == t and blocked):
                    nxt = e
    return nxt
