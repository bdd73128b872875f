"""The front end: the trace player and, between it and the controller, the arbiter.

With the Simple arbiter the player sends its next request after the previous END_REQ. The Fifo and
Reorder arbiters queue requests (at most ``MaxActiveTransactions`` in flight; one more waits as
*outstanding*) and forward them one at a time, and return responses in completion order (Fifo) or request
order (Reorder). The controller sees one waiting request, ``pend``, which reaches it at ``pend_arrival``.
The arbiter's own scalars live in a small vector ``arb`` (slots ``A_*``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .layout import INF
from .responses import arbiter_pick

A_RESP_REQ, A_RESP_TIME, A_LAST_END_RESP, A_THREAD_BUSY, A_OUTSTANDING, A_ACTIVE, A_Q_HEAD, A_Q_TAIL, \
    A_LAST_END_REQ, A_FWD_REQ, A_FWD_TIME, A_CHAN_BUSY, A_N = range(13)


@njit(cache=True, error_model="numpy", inline="always")
def new_arbiter():
    """The arbiter's state: no response on its way to the player, no request forwarded, nothing queued."""
    arb = np.zeros(A_N, dtype=np.int64)
    arb[A_RESP_REQ] = -1
    arb[A_RESP_TIME] = INF
    arb[A_LAST_END_RESP] = -1
    arb[A_OUTSTANDING] = -1
    arb[A_LAST_END_REQ] = -1
    arb[A_FWD_REQ] = -1
    arb[A_FWD_TIME] = INF
    return arb


@njit(cache=True, error_model="numpy", inline="always")
def player_step(t, n, ts, req_begin, arb_fw, think_fw, endreq_time, can_send, init_ready, init_next, pend,
                pend_arrival):
    """Simple arbiter, cycle ``t``: the player takes an END_REQ and sends its next request when its time has
    come. Returns (endreq_time, can_send, init_ready, init_next, pend, pend_arrival)."""
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
def player_next(at, n, ts, req_begin, arb_fw, think_fw, init_next):
    """Simple arbiter: the END_REQ of an admitted request at ``at`` lets the player send its next request as
    soon as that one's time has come. Returns (pend, pend_arrival, init_next)."""
    pend = -1
    pend_arrival = INF
    if init_next < n:
        s = ts[init_next] if ts[init_next] > at else at
        pend = init_next
        init_next += 1
        req_begin[pend] = s + arb_fw
        pend_arrival = s + arb_fw + think_fw
    return pend, pend_arrival, init_next


@njit(cache=True, error_model="numpy", inline="always")
def player_trigger(nxt, t, n, ts, can_send, init_ready, init_next):
    """Simple arbiter: the player's next send after cycle ``t``. Returns (next trigger, the send's cycle)."""
    front = INF
    if can_send and init_next < n:
        s = ts[init_next] if ts[init_next] > init_ready else init_ready
        if s <= t:
            s = t + 1
        front = s
        if s < nxt:
            nxt = s
    return nxt, front


@njit(cache=True, error_model="numpy", inline="always")
def arbiter_step(t, arbiter, n, ts, max_active, arb_fw, think_fw, arb, arb_entry, rw_fifo, rw_ptr, resp_wait,
                 resp_init, req_begin, init_next, init_ready, endreq_time, pend, pend_arrival, delivered, end_time):
    """Fifo / Reorder arbiter, cycle ``t``: responses to the player, requests from it, the next one to the
    controller. Returns (init_next, init_ready, endreq_time, pend, pend_arrival, delivered, end_time)."""
    resp_req = arb[A_RESP_REQ]
    resp_time = arb[A_RESP_TIME]
    last_end_resp = arb[A_LAST_END_RESP]
    thread_busy = arb[A_THREAD_BUSY] != 0
    outstanding = arb[A_OUTSTANDING]
    active = arb[A_ACTIVE]
    q_head = arb[A_Q_HEAD]
    q_tail = arb[A_Q_TAIL]
    last_end_req = arb[A_LAST_END_REQ]
    fwd_req = arb[A_FWD_REQ]
    fwd_time = arb[A_FWD_TIME]
    chan_busy = arb[A_CHAN_BUSY] != 0
    if resp_req >= 0 and resp_time + 1 == t:
        # the player's END_RESP reaches the arbiter: a slot frees, the next response follows
        last_end_resp = t
        resp_req = -1
        resp_time = INF
        thread_busy = False
        if outstanding >= 0:
            arb_entry[outstanding] = t + arb_fw
            q_tail = outstanding + 1
            outstanding = -1
            init_ready = t
        else:
            active -= 1
        k = arbiter_pick(arbiter, t, rw_fifo, rw_ptr, resp_wait, n)
        if k >= 0:
            thread_busy = True
            resp_req = k
            resp_time = t + 1
            resp_init[k] = t + 1
            delivered += 1
            end_time = resp_time
    if not thread_busy:
        k = arbiter_pick(arbiter, t, rw_fifo, rw_ptr, resp_wait, n)
        if k >= 0:
            thread_busy = True
            resp_req = k
            resp_time = t + 1 if last_end_resp == t else t
            resp_init[k] = resp_time
            delivered += 1
            end_time = resp_time
    if endreq_time == t:
        endreq_time = INF
        last_end_req = t
        if q_head < q_tail and arb_entry[q_head] <= t:
            fwd_req = q_head
            fwd_time = t + 1
            q_head += 1
        else:
            chan_busy = False
    while outstanding < 0 and init_next < n:
        s = ts[init_next] if ts[init_next] > init_ready else init_ready
        if s > t:
            break
        k = init_next
        init_next += 1
        if active < max_active:
            active += 1
            arb_entry[k] = t + arb_fw
            q_tail = k + 1
            init_ready = t
        else:
            outstanding = k
    if not chan_busy and q_head < q_tail and arb_entry[q_head] <= t:
        chan_busy = True
        fwd_req = q_head
        fwd_time = t + 1 if last_end_req == t else t
        q_head += 1
    if fwd_time == t:
        pend = fwd_req
        req_begin[pend] = t
        pend_arrival = t + think_fw
        fwd_time = INF
        fwd_req = -1
    arb[A_RESP_REQ] = resp_req
    arb[A_RESP_TIME] = resp_time
    arb[A_LAST_END_RESP] = last_end_resp
    arb[A_THREAD_BUSY] = thread_busy
    arb[A_OUTSTANDING] = outstanding
    arb[A_ACTIVE] = active
    arb[A_Q_HEAD] = q_head
    arb[A_Q_TAIL] = q_tail
    arb[A_LAST_END_REQ] = last_end_req
    arb[A_FWD_REQ] = fwd_req
    arb[A_FWD_TIME] = fwd_time
    arb[A_CHAN_BUSY] = chan_busy
    return init_next, init_ready, endreq_time, pend, pend_arrival, delivered, end_time


@njit(cache=True, error_model="numpy", inline="always")
def arbiter_trigger(nxt, t, arbiter, n, ts, arb, arb_entry, rw_fifo, rw_ptr, resp_wait, init_next, init_ready,
                    delivered, end_time):
    """Fifo / Reorder arbiter: the next cycle (if before ``nxt``) at which it has something to do after ``t``."""
    if arb[A_OUTSTANDING] < 0 and init_next < n:
        s = ts[init_next] if ts[init_next] > init_ready else init_ready
        if s <= t:
            s = t + 1
        if s < nxt:
            nxt = s
    if arb[A_FWD_TIME] < nxt:
        nxt = arb[A_FWD_TIME]
    q_head = arb[A_Q_HEAD]
    if not arb[A_CHAN_BUSY] and q_head < arb[A_Q_TAIL]:
        e = arb_entry[q_head] if arb_entry[q_head] > t else t + 1
        if e < nxt:
            nxt = e
    resp_end = arb[A_RESP_TIME] + 1
    if arb[A_RESP_REQ] >= 0 and resp_end < nxt:
        nxt = resp_end if resp_end > t else t + 1
    if not arb[A_THREAD_BUSY]:
        e = INF
        if arbiter == 1:
            if rw_ptr[0] < rw_ptr[1]:
                e = resp_wait[rw_fifo[rw_ptr[0]]]
        elif rw_ptr[2] < n:
            e = resp_wait[rw_ptr[2]]
        if e < INF:
            e = e if e > t else t + 1
            if e < nxt:
                nxt = e
    if delivered == n and end_time < nxt:
        nxt = end_time if end_time > t else t
    return nxt
