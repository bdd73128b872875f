"""The response queue (Fifo, or Reorder by arrival) and the responses' way back through the arbiter.

A read or write is answered at the end of its data burst plus the PHY and think delays (its *strobe*
time). Fifo keeps ``rq_req`` / ``rq_time`` in completion order between ``rq_head`` and ``rq_tail``;
Reorder keeps ``ro_time`` per request and returns them in request order (``ro_next``). ``rel_req`` /
``rel_end`` hold the response on its way out until the END_RESP that frees the channel.
"""

from __future__ import annotations

from numba import njit

from .layout import INF


@njit(cache=True, error_model="numpy", inline="always")
def enqueue(k, strobe, respq_reorder, ro_time, rq_req, rq_time, rq_tail):
    """Queue request ``k``'s response for cycle ``strobe``; returns the new Fifo tail."""
    if respq_reorder:
        ro_time[k] = strobe
    else:
        rq_req[rq_tail] = k
        rq_time[rq_tail] = strobe
        rq_tail += 1
    return rq_tail


@njit(cache=True, error_model="numpy", inline="always")
def arbiter_pick(arbiter, t, rw_fifo, rw_ptr, resp_wait, n):
    """Next response the Fifo (in completion order) or Reorder (in request order) arbiter may return."""
    if arbiter == 1:
        if rw_ptr[0] < rw_ptr[1] and resp_wait[rw_fifo[rw_ptr[0]]] <= t:
            k = rw_fifo[rw_ptr[0]]
            rw_ptr[0] += 1
            return k
    elif rw_ptr[2] < n and resp_wait[rw_ptr[2]] <= t:
        k = rw_ptr[2]
        rw_ptr[2] += 1
        return k
    return -1


@njit(cache=True, error_model="numpy", inline="always")
def respond(t, arbiter, arb_bw, respq_reorder, n, rel_req, rel_end, ro_next, rq_head, rq_tail, delivered, end_time,
            ro_time, rq_req, rq_time, resp_ctrl, resp_init, resp_wait, rw_fifo, rw_ptr):
    """Controller::manageResponses at cycle ``t``: send every response whose turn has come. Returns the
    updated (rel_req, rel_end, ro_next, rq_head, delivered, end_time)."""
    while True:
        if rel_req >= 0:
            if rel_end > t:
                break
            rel_req = -1
            rel_end = INF
        k = -1
        if respq_reorder:
            if ro_next < n and ro_time[ro_next] <= t:
                k = ro_next
                ro_next += 1
        elif rq_head < rq_tail and rq_time[rq_head] <= t:
            k = rq_req[rq_head]
            rq_head += 1
        if k < 0:
            break
        resp_ctrl[k] = t
        rel_req = k
        if arbiter == 0:
            rel_end = t + 1  # the player's END_RESP one cycle later
            resp_init[k] = t
            delivered += 1
            end_time = t
        else:
            rel_end = t  # the arbiter answers END_RESP at once
            resp_wait[k] = t + arb_bw
            if arbiter == 1:
                rw_fifo[rw_ptr[1]] = k
                rw_ptr[1] += 1
    return rel_req, rel_end, ro_next, rq_head, delivered, end_time


@njit(cache=True, error_model="numpy", inline="always")
def response_trigger(nxt, t, respq_reorder, n, rel_req, rel_end, ro_next, ro_time, rq_head, rq_tail, rq_time):
    """The next cycle (if before ``nxt``) at which the response queue has something to do after cycle ``t``."""
    if rel_req >= 0 and rel_end > t and rel_end < nxt:
        # the END_RESP only matters if another response is ready by then
        if respq_reorder:
            if ro_next < n and ro_time[ro_next] <= rel_end:
                nxt = rel_end
        elif rq_head < rq_tail and rq_time[rq_head] <= rel_end:
            nxt = rel_end
    # a response already due waits for the END_RESP (handled above): it cannot trigger before t + 1, and it
    # must not postpone a trigger already due in this cycle (HBM2: a row command after a column command in the
    # same cycle, as DRAMSys's controller runs again in the next delta cycle)
    if respq_reorder:
        if ro_next < n:
            e = ro_time[ro_next] if ro_time[ro_next] > t else t + 1
            if e < nxt:
                nxt = e
    elif rq_head < rq_tail:
        e = rq_time[rq_head] if rq_time[rq_head] > t else t + 1
        if e < nxt:
            nxt = e
    return nxt
