"""Scheduling: the scheduler buffer, each bank machine's choice of request and command under the page policy.

- admission (Controller::manageRequests): one request at a time waits in front of the scheduler until its
  buffer has room -- Bankwise (the queue of the bank of the *last stored* request, as DRAMSys checks it),
  ReadWrite (separate read and write budgets) or Shared (one budget);
- the scheduler (Fifo, FrFcfs, FrFcfsGrp) keeps a queue per bank in arrival order (``q``, lengths ``qn``)
  and picks the bank's next request: the oldest, the oldest row hit, or for FrFcfsGrp the oldest row hit
  in the last column command's direction without an earlier access to the same address;
- the page policy (Open, OpenAdaptive, Closed, ClosedAdaptive) turns it into the bank's next command:
  ACT, PRE, or a column command with or without auto-precharge (BankMachine::evaluate).

``counts`` holds [requests in the buffer, reads, writes, bank of the last stored request].
"""

from __future__ import annotations

from numba import njit

from ..timing import ACT, PRE, RD, RDA, WR, WRA
from .banks import B_BLOCKED, B_CUR, B_KEEP, B_NEXT, B_OPEN, B_SLEEP, B_STATE, bank_cache, busy_add, busy_remove, mark_dirty
from .powerdown import request_arrives


@njit(cache=True, error_model="numpy", inline="always")
def evaluate_bank(b, page, sched, q, qn, bk, row, addr, is_write, last_cmd_write):
    """BankMachine::evaluate: pick the bank's current request and its next command.

    The scheduler's getNextRequest / hasFurtherRowHit are written out here rather than called, which
    keeps numba's reference counting of the array arguments out of this hot path."""
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
    """Whether the scheduler buffer can take one more request (Bankwise: the last stored request's bank)."""
    return (buftype == 0 and qn[counts[3]] < bufsize) or (
        buftype == 1 and counts[1] < bufread and counts[2] < bufwrite) or (buftype == 2 and counts[0] < bufsize)


@njit(cache=True, error_model="numpy", inline="always")
def admit(k, buftype, bufsize, bufread, bufwrite, counts, q, qn, bank, rank, is_write, pd_on, pdm):
    """Controller::manageRequests for the waiting request ``k``: store it if the buffer has room."""
    if buftype == 0:
        space = qn[counts[3]] + 1 <= bufsize
    elif buftype == 1:
        space = counts[1] + 1 <= bufread and counts[2] + 1 <= bufwrite
    else:
        space = counts[0] + 1 <= bufsize
    if not space:
        return False
    b = bank[k]
    q[b, qn[b]] = k
    qn[b] += 1
    counts[0] += 1
    if is_write[k]:
        counts[2] += 1
    else:
        counts[1] += 1
    counts[3] = b
    request_arrives(rank[k], pd_on, pdm)
    return True


@njit(cache=True, error_model="numpy", inline="always")
def store_request(k, t, req_accept, buftype, bufsize, bufread, bufwrite, counts, q, qn, bank, rank, is_write, pd_on,
                  pdm, busy, busy_pos, nbusy, page, sched, bk, row, addr, last_cmd_write):
    """Store the waiting request ``k`` at cycle ``t`` (the caller checked the buffer has room) and re-evaluate its
    bank machine. Returns (its bank, or -1 if it did not fit, and the busy set's size)."""
    if not admit(k, buftype, bufsize, bufread, bufwrite, counts, q, qn, bank, rank, is_write, pd_on, pdm):
        return -1, nbusy
    req_accept[k] = t
    b = bank[k]
    nbusy = busy_add(b, busy, busy_pos, nbusy)
    evaluate_bank(b, page, sched, q, qn, bk, row, addr, is_write, last_cmd_write)
    return b, nbusy


@njit(cache=True, error_model="numpy", inline="always")
def complete_request(k, b, sched, last_cmd_write, q, qn, counts, is_write, bk, cached, chkf, width, gcol, bcw, bu, bp,
                     never, busy, busy_pos, nbusy, bdirty, dlist, nd):
    """Request ``k``'s column command issued on bank ``b``: it leaves the bank's queue and the buffer (an emptied
    bank leaves the busy set); under FrFcfsGrp a change of direction re-evaluates every busy bank. Returns
    (nbusy, nd)."""
    for i in range(qn[b]):
        if q[b, i] == k:
            for j in range(i, qn[b] - 1):
                q[b, j] = q[b, j + 1]
            qn[b] -= 1
            break
    if qn[b] == 0:
        bk[b, B_NEXT] = -1
        if cached:
            bank_cache(b, -1, bk, chkf, width, gcol, bcw, bu, bp, never)
        nbusy = busy_remove(b, busy, busy_pos, nbusy)
    counts[0] -= 1
    if is_write[k]:
        counts[2] -= 1
    else:
        counts[1] -= 1
    if sched == 2 and last_cmd_write != is_write[k]:
        for i in range(nbusy):
            nd = mark_dirty(busy[i], bdirty, dlist, nd)
    return nbusy, nd


@njit(cache=True, error_model="numpy", inline="always")
def evaluate_dirty_banks(nd, dlist, bdirty, busy_pos, page, sched, q, qn, bk, row, addr, is_write, last_cmd_write,
                         cached, chkf, width, gcol, bcw, bu, bp, never):
    """Re-evaluate the bank machines whose inputs changed (only banks holding requests have a command to
    evaluate); empties the dirty list."""
    for i in range(nd):
        b = dlist[i]
        bdirty[b] = False
        if busy_pos[b] >= 0:
            evaluate_bank(b, page, sched, q, qn, bk, row, addr, is_write, last_cmd_write)
            if cached:
                bank_cache(b, bk[b, B_NEXT], bk, chkf, width, gcol, bcw, bu, bp, never)
