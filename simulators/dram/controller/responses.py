"""The response queue (Controller::manageResponses): a read or write returns at the end of its data burst.

A column command's response is due ``PhyDelayFw + RL/WL + burst + PhyDelayBw + ThinkDelayBw`` cycles after
it issues. The Fifo response queue returns responses in that order (``rq_req`` / ``rq_time``, from
``rq_head`` to ``rq_tail``); the Reorder queue in request order (``ro_time`` per request, ``ro_next`` the next
one). One response is in flight at a time: the next may begin at its END_RESP (``rel_req`` until ``rel_end``),
one cycle later with the Simple arbiter, at once with the Fifo/Reorder arbiters, which take the response
into their own queues (:mod:`.frontend`).
"""

from __future__ import annotations

from numba import njit

from .config import INF
from .frontend import A_FIFO_TAIL


@njit(cache=True, error_model="numpy", inline="always")
def queue_response(k, due, respq_reorder, ro_time, rq_req, rq_time, rq_tail):
    """Request ``k``'s response is due at cycle ``due``; returns the new ``rq_tail``."""
    if respq_reorder:
        ro_time[k] = due
    else:
        rq_req[rq_tail] = k
        rq_time[rq_tail] = due
        rq_tail += 1
    return rq_tail


@njit(cache=True, error_model="numpy", inline="always")
def respond(t, arbiter, arb_bw, respq_reorder, n, rel_req, rel_end, ro_next, rq_head, rq_tail, delivered, end_time,
            ro_time, rq_req, rq_time, resp_ctrl, resp_init, resp_wait, rw_fifo, arb):
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
                rw_fifo[arb[A_FIFO_TAIL]] = k
                arb[A_FIFO_TAIL] += 1
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
    if respq_reorder:
        if ro_next < n and ro_time[ro_next] < nxt:
            nxt = ro_time[ro_next] if ro_time[ro_next] > t else t + 1
    elif rq_head < rq_tail and rq_time[rq_head] < nxt:
        nxt = rq_time[rq_head] if rq_time[rq_head] > t else t + 1
    return nxt


@njit(cache=True, error_model="numpy", inline="always")
def respond_until(other, nxt, t, n, arb_bw, respq_reorder, rel_req, rel_end, ro_next, rq_head, rq_tail, delivered,
                  end_time, ro_time, rq_req, rq_time, resp_ctrl, resp_init, resp_wait, rw_fifo, arb):
    """Simple arbiter, nothing else due before cycle ``other``: play the response queue's cycles up to then
    without the rest of the loop (responses feed nothing back but the end of the run). Returns (t, nxt, done,
    rel_req, rel_end, ro_next, rq_head, delivered, end_time); ``done`` when the last response went out."""
    done = False
    while nxt < other:
        t = nxt
        rel_req, rel_end, ro_next, rq_head, delivered, end_time = respond(
            t, 0, arb_bw, respq_reorder, n, rel_req, rel_end, ro_next, rq_head, rq_tail, delivered, end_time, ro_time,
            rq_req, rq_time, resp_ctrl, resp_init, resp_wait, rw_fifo, arb)
        if delivered == n:
            done = True
            break
        nxt = response_trigger(other, t, respq_reorder, n, rel_req, rel_end, ro_next, ro_time, rq_head, rq_tail,
                               rq_time)
    return t, nxt, done, rel_req, rel_end, ro_next, rq_head, delivered, end_time
