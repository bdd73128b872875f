"""The front end: DRAMSys's trace player and arbiter, which hand requests to the controller and take responses.

- Simple arbiter: the player sends its next request once its trace time has come and the previous one got
  its END_REQ; responses go straight back (:mod:`.responses`). Its state is a few scalars of the loop.
- Fifo and Reorder arbiters: up to MaxActiveTransactions requests are granted a slot and queue in the
  arbiter, which forwards one at a time to the controller (after ArbitrationDelayFw); responses wait
  ArbitrationDelayBw in the arbiter and return one at a time, in completion order (Fifo) or in request order
  (Reorder); a slot frees with the player's END_RESP. Their state is the int64 vector ``arb`` (``A_*``).

Shared with the controller: the request waiting in front of the scheduler (``pend``, from ``pend_arrival``)
and the time of its END_REQ (``endreq_time``); the player's next trace entry ``init_next`` and the earliest
cycle it may send (``init_ready``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .config import INF

# arbiter state vector: the response being delivered to the player and its time, the player's last
# END_RESP, whether a response is on its way; the request waiting for a slot, the queue of granted requests
# (head, tail: request ids), active slots; whether a request is with the controller, its last END_REQ, the
# request being forwarded and when; the completion-order queue of responses (head, tail) and the next
# response in request order
A_RESP_REQ, A_RESP_TIME, A_LAST_END_RESP, A_THREAD_BUSY, A_OUTSTANDING, A_Q_HEAD, A_Q_TAIL, A_ACTIVE, A_CHAN_BUSY, \
    A_LAST_END_REQ, A_FWD_TIME, A_FWD_REQ, A_FIFO_HEAD, A_FIFO_TAIL, A_REORDER_NEXT, A_N = range(16)


@njit(cache=True, error_model="numpy")
def new_arbiter():
    """An arbiter with nothing granted, queued or on its way."""
    arb = np.zeros(A_N, dtype=np.int64)
    arb[A_RESP_REQ] = -1
    arb[A_RESP_TIME] = INF
    arb[A_LAST_END_RESP] = -1
    arb[A_OUTSTANDING] = -1
    arb[A_LAST_END_REQ] = -1
    arb[A_FWD_TIME] = INF
    arb[A_FWD_REQ] = -1
    return arb


@njit(cache=True, error_model="numpy", inline="always")
def player_step(t, n, ts, req_begin, arb_fw, think_fw, endreq_time, can_send, init_ready, init_next, pend,
                pend_arrival):
    """Simple arbiter at cycle ``t``: the player receives its END_REQ, and sends its next request once due.
    Returns (endreq_time, can_send, init_ready, init_next, pend, pend_arrival)."""
    if endreq_time == t:
        endreq_time = INF
        can_send = True
        init_ready = t
    if can_send and init_next < n:
        s = ts[init_next] if ts[init_next] > init_ready else init_ready
        if s <= t:
            k = init_next
            init_next += 1
            can_send = False
            pend = k
            req_begin[k] = t + arb_fw
            pend_arrival = t + arb_fw + think_fw
    return endreq_time, can_send, init_ready, init_next, pend, pend_arrival


@njit(cache=True, error_model="numpy", inline="always")
def end_request(t_end, simple, n, ts, req_begin, arb_fw, think_fw, init_next):
    """The controller stored the waiting request and answers END_REQ at ``t_end``; with the Simple arbiter the
    player then sends its next request as soon as its time has come. Returns (endreq_time, pend, pend_arrival,
    init_next)."""
    pend = -1
    pend_arrival = INF
    endreq_time = t_end
    if simple:
        endreq_time = INF
        if init_next < n:
            s = ts[init_next] if ts[init_next] > t_end else t_end
            pend = init_next
            init_next += 1
            req_begin[pend] = s + arb_fw
            pend_arrival = s + arb_fw + think_fw
    return endreq_time, pend, pend_arrival, init_next


@njit(cache=True, error_model="numpy", inline="always")
def next_player_event(t, n, ts, can_send, init_next, init_ready):
    """Simple arbiter: the next cycle after ``t`` at which the player sends a request (INF: none)."""
    if can_send and init_next < n:
        s = ts[init_next] if ts[init_next] > init_ready else init_ready
        if s <= t:
            s = t + 1
        return s
    return INF


@njit(cache=True, error_model="numpy", inline="always")
def arbiter_pick(arbiter, t, arb, rw_fifo, resp_wait, n):
    """Next response the Fifo (in completion order) or Reorder (in request order) arbiter may return."""
    if arbiter == 1:
        if arb[A_FIFO_HEAD] < arb[A_FIFO_TAIL] and resp_wait[rw_fifo[arb[A_FIFO_HEAD]]] <= t:
            k = rw_fifo[arb[A_FIFO_HEAD]]
            arb[A_FIFO_HEAD] += 1
            return k
    elif arb[A_REORDER_NEXT] < n and resp_wait[arb[A_REORDER_NEXT]] <= t:
        k = arb[A_REORDER_NEXT]
        arb[A_REORDER_NEXT] += 1
        return k
    return -1


@njit(cache=True, error_model="numpy", inline="always")
def arbiter_step(t, n, ts, arbiter, max_active, arb_fw, think_fw, arb, arb_entry, rw_fifo, resp_wait, resp_init,
                 req_begin, init_ready, init_next, pend, pend_arrival, endreq_time, delivered, end_time):
    """Fifo/Reorder arbiter at cycle ``t``, its events in DRAMSys's order. Returns (init_ready, init_next, pend,
    pend_arrival, endreq_time, delivered, end_time)."""
    if arb[A_RESP_REQ] >= 0 and arb[A_RESP_TIME] + 1 == t:
        # the player's END_RESP reaches the arbiter: a slot frees (or goes to the request waiting for one)
        arb[A_LAST_END_RESP] = t
        arb[A_RESP_REQ] = -1
        arb[A_RESP_TIME] = INF
        arb[A_THREAD_BUSY] = False
        if arb[A_OUTSTANDING] >= 0:
            arb_entry[arb[A_OUTSTANDING]] = t + arb_fw
            arb[A_Q_TAIL] = arb[A_OUTSTANDING] + 1
            arb[A_OUTSTANDING] = -1
            init_ready = t
        else:
            arb[A_ACTIVE] -= 1
    if not arb[A_THREAD_BUSY]:
        # the next response to the player (one cycle after an END_RESP in this cycle)
        k = arbiter_pick(arbiter, t, arb, rw_fifo, resp_wait, n)
        if k >= 0:
            arb[A_THREAD_BUSY] = True
            arb[A_RESP_REQ] = k
            arb[A_RESP_TIME] = t + 1 if arb[A_LAST_END_RESP] == t else t
            resp_init[k] = arb[A_RESP_TIME]
            delivered += 1
            end_time = arb[A_RESP_TIME]
    if endreq_time == t:
        # the controller's END_REQ: forward the next queued request one cycle later, or free the channel
        endreq_time = INF
        arb[A_LAST_END_REQ] = t
        if arb[A_Q_HEAD] < arb[A_Q_TAIL] and arb_entry[arb[A_Q_HEAD]] <= t:
            arb[A_FWD_REQ] = arb[A_Q_HEAD]
            arb[A_FWD_TIME] = t + 1
            arb[A_Q_HEAD] += 1
        else:
            arb[A_CHAN_BUSY] = False
    while arb[A_OUTSTANDING] < 0 and init_next < n:
        # the player's due requests: granted a slot, or the first one waits for a slot
        s = ts[init_next] if ts[init_next] > init_ready else init_ready
        if s > t:
            break
        k = init_next
        init_next += 1
        if arb[A_ACTIVE] < max_active:
            arb[A_ACTIVE] += 1
            arb_entry[k] = t + arb_fw
            arb[A_Q_TAIL] = k + 1
            init_ready = t
        else:
            arb[A_OUTSTANDING] = k
    if not arb[A_CHAN_BUSY] and arb[A_Q_HEAD] < arb[A_Q_TAIL] and arb_entry[arb[A_Q_HEAD]] <= t:
        arb[A_CHAN_BUSY] = True
        arb[A_FWD_REQ] = arb[A_Q_HEAD]
        arb[A_FWD_TIME] = t + 1 if arb[A_LAST_END_REQ] == t else t
        arb[A_Q_HEAD] += 1
    if arb[A_FWD_TIME] == t:
        # the forwarded request reaches the controller
        pend = arb[A_FWD_REQ]
        req_begin[pend] = t
        pend_arrival = t + think_fw
        arb[A_FWD_TIME] = INF
        arb[A_FWD_REQ] = -1
    return init_ready, init_next, pend, pend_arrival, endreq_time, delivered, end_time


@njit(cache=True, error_model="numpy", inline="always")
def next_arbiter_event(nxt, t, n, ts, arbiter, arb, arb_entry, rw_fifo, resp_wait, init_next, init_ready, delivered,
                       end_time):
    """Fifo/Reorder arbiter: the next cycle (if before ``nxt``) at which the player or arbiter acts after ``t``."""
    if arb[A_OUTSTANDING] < 0 and init_next < n:
        s = ts[init_next] if ts[init_next] > init_ready else init_ready
        if s <= t:
            s = t + 1
        if s < nxt:
            nxt = s
    if arb[A_FWD_TIME] < nxt:
        nxt = arb[A_FWD_TIME]
    if not arb[A_CHAN_BUSY] and arb[A_Q_HEAD] < arb[A_Q_TAIL]:
        e = arb_entry[arb[A_Q_HEAD]] if arb_entry[arb[A_Q_HEAD]] > t else t + 1
        if e < nxt:
            nxt = e
    if arb[A_RESP_REQ] >= 0 and arb[A_RESP_TIME] + 1 < nxt:
        nxt = arb[A_RESP_TIME] + 1 if arb[A_RESP_TIME] + 1 > t else t + 1
    if not arb[A_THREAD_BUSY]:
        e = INF
        if arbiter == 1:
            if arb[A_FIFO_HEAD] < arb[A_FIFO_TAIL]:
                e = resp_wait[rw_fifo[arb[A_FIFO_HEAD]]]
        elif arb[A_REORDER_NEXT] < n:
            e = resp_wait[arb[A_REORDER_NEXT]]
        if e < INF:
            e = e if e > t else t + 1
            if e < nxt:
                nxt = e
    if delivered == n and end_time < nxt:
        nxt = end_time if end_time > t else t
    return nxt
