"""The scheduler and the bank machines' choice: per-bank request queues, buffer admission, next command.

Requests wait in one queue per bank (``q[bank, :qn[bank]]``, arrival order). ``counts`` holds
``[in buffer, reads, writes, last stored bank]`` for the buffer policies (Bankwise, ReadWrite, Shared).
"""

from __future__ import annotations

from numba import njit

from ..timing import ACT, PRE, RD, RDA, WR, WRA
from .layout import B_BLOCKED, B_CUR, B_KEEP, B_NEXT, B_OPEN, B_SLEEP, B_STATE


@njit(cache=True, error_model="numpy", inline="always")
def evaluate_bank(b, page, sched, q, qn, bk, row, addr, is_write, last_cmd_write):
    """BankMachine::evaluate: pick bank ``b``'s current request and its next command (``bk[b, B_NEXT]``).

    The scheduler's getNextRequest / hasFurtherRowHit, which DRAMSys's bank machine calls, are written out
    here for the three schedulers."""
    bk[b, B_NEXT] = -1
    if bk[b, B_SLEEP] or bk[b, B_BLOCKED]:
        return
    n = qn[b]
    if n == 0:
        return
    active = bk[b, B_STATE] == 1
    open_row = bk[b, B_OPEN]
    # Scheduler::getNextRequest
    new = q[b, 0]
    if active and sched == 1:
        for i in range(n):
            k = q[b, i]
            if row[k] == open_row:
                new = k
                break
    elif active and sched == 2:
        # FrFcfsGrp: among row hits, the first of the last CAS's direction without an earlier same-address hit
        first_hit = -1
        found = -1
        for i in range(n):
            k = q[b, i]
            if row[k] != open_row:
                continue
            if first_hit < 0:
                first_hit = k
            if is_write[k] == last_cmd_write:
                hazard = False
                for j in range(i):
                    k2 = q[b, j]
                    if row[k2] == open_row and addr[k2] == addr[k]:
                        hazard = True
                        break
                if not hazard:
                    found = k
                    break
        if found >= 0:
            new = found
        elif first_hit >= 0:
            new = first_hit
    if bk[b, B_KEEP]:
        if row[new] == open_row:
            bk[b, B_CUR] = new
    else:
        bk[b, B_CUR] = new
    cur = bk[b, B_CUR]
    if not active:
        bk[b, B_NEXT] = ACT
        return
    hit = row[cur] == open_row
    w = is_write[cur]
    if page == 0:  # Open
        bk[b, B_NEXT] = (WR if w else RD) if hit else PRE
        return
    if page == 2:  # Closed
        bk[b, B_NEXT] = WRA if w else RDA
        return
    if not hit:
        bk[b, B_NEXT] = PRE
        return
    # Scheduler::hasFurtherRowHit (Fifo: the next queued request; FR-FCFS: a second row hit)
    further = False
    if sched == 0:
        further = n >= 2 and row[q[b, 1]] == open_row
    else:
        hits = 0
        for i in range(n):
            if row[q[b, i]] == open_row:
                hits += 1
                if hits == 2:
                    further = True
                    break
    if page == 1:  # OpenAdaptive: precharge when more requests wait and none hits the row
        close = n >= 2 and not further
    else:  # ClosedAdaptive: keep the row open only for a further hit
        close = not further
    if close:
        bk[b, B_NEXT] = WRA if w else RDA
    else:
        bk[b, B_NEXT] = WR if w else RD


@njit(cache=True, error_model="numpy", inline="always")
def buffer_has_room(buftype, bufsize, bufread, bufwrite, counts, qn):
    """Whether the scheduler buffer can store one more request (Bankwise checks the bank of the *last
    stored* request, as DRAMSys does)."""
    if buftype == 0:
        return qn[counts[3]] < bufsize
    if buftype == 1:
        return counts[1] < bufread and counts[2] < bufwrite
    return counts[0] < bufsize


@njit(cache=True, error_model="numpy", inline="always")
def store(k, q, qn, counts, bank, is_write):
    """Put request ``k`` at the end of its bank's queue; returns the bank."""
    b = bank[k]
    q[b, qn[b]] = k
    qn[b] += 1
    counts[0] += 1
    if is_write[k]:
        counts[2] += 1
    else:
        counts[1] += 1
    counts[3] = b
    return b


@njit(cache=True, error_model="numpy", inline="always")
def remove(k, b, q, qn, counts, is_write):
    """Take request ``k`` out of bank ``b``'s queue (its column command issued); returns the queue length left."""
    for i in range(qn[b]):
        if q[b, i] == k:
            for j in range(i, qn[b] - 1):
                q[b, j] = q[b, j + 1]
            qn[b] -= 1
            break
    counts[0] -= 1
    if is_write[k]:
        counts[2] -= 1
    else:
        counts[1] -= 1
    return qn[b]
