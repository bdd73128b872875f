"""Chunks through the per-dimension queues (``Sys::SchedulerUnit``, ``Sys::insert_stream``).

Every chunk of a collective enters the queue of its first phase at t = 0, in chunk order. A queue
runs at most ``ceil(active-chunks-per-dimension / queues-per-dim)`` chunks at once; waiting chunks start
in arrival order (all chunks of one collective share a priority). When a chunk's phase ends it joins
the queue of its next phase at once, so chunks pipeline across dimensions. Phase durations do not
depend on when a phase starts (the congestion-unaware network has no contention), so this is a small
discrete-event loop over ``(chunk, phase)`` durations.
"""

from __future__ import annotations

import heapq
import math

import numpy as np


def identical_chunks_finish_ns(phase_ns: list[int], count: int, active_chunks: int) -> int:
    """Finish time of ``count`` identical chunks whose phases each have a queue of their own, ``active_chunks`` at once.

    A tandem of stations with ``k`` servers each and identical jobs in arrival order: chunk c leaves
    phase p at ``F(c, p) = max(F(c, p-1), F(c-k, p)) + d_p``, whose solution is ``sum(d_1..d_p) +
    floor(c / k) * max(d_1..d_p)`` (by induction on p). So the last chunk finishes at
    ``sum(d) + floor((count-1) / k) * max(d)``: what :func:`pipeline_finish_ns` gives in O(count x phases)
    (checked against it in tests/distributed/test_scheduler_closed_form.py).
    """
    if not phase_ns or count <= 0:
        return 0
    return sum(phase_ns) + (count - 1) // active_chunks * max(phase_ns)


def pipeline_finish_ns(durations: list[list[int]], queues: list[list[int]], active_chunks: int, queues_per_dim: int) -> int:
    """Finish time of the last chunk; ``durations[c][p]``, ``queues[c][p]``: chunk c's phase p and its queue."""
    limit = math.ceil(active_chunks / queues_per_dim)
    waiting: dict[int, list[int]] = {}
    running: dict[int, int] = {}
    pos = [0] * len(durations)
    events: list[tuple[int, int, int]] = []
    seq = 0
    finish = 0

    def start_waiting(q: int, now: int):
        nonlocal seq
        w = waiting.get(q)
        while w and running.get(q, 0) < limit:
            c = w.pop(0)
            running[q] = running.get(q, 0) + 1
            heapq.heappush(events, (now + durations[c][pos[c]], seq, c))
            seq += 1

    for c, qs in enumerate(queues):
        if qs:
            waiting.setdefault(qs[0], []).append(c)
            start_waiting(qs[0], 0)
    while events:
        now, _, c = heapq.heappop(events)
        q = queues[c][pos[c]]
        running[q] -= 1
        pos[c] += 1
        if pos[c] == len(durations[c]):
            finish = max(finish, now)
        else:
            nq = queues[c][pos[c]]
            waiting.setdefault(nq, []).append(c)
        start_waiting(q, now)
        if pos[c] < len(durations[c]):
            start_waiting(queues[c][pos[c]], now)
    return finish


def _pipeline_loop(dur, que, nq, limit):  # pragma: no cover - compiled by _kernel()
    c_n, p_n = dur.shape
    cap = c_n * p_n + 1
    wait = np.empty((nq, cap), dtype=np.int64)  # FIFO per queue
    head = np.zeros(nq, dtype=np.int64)
    tail = np.zeros(nq, dtype=np.int64)
    running = np.zeros(nq, dtype=np.int64)
    pos = np.zeros(c_n, dtype=np.int64)
    heap = [(np.int64(0), np.int64(0), np.int64(0))]
    heap.pop()
    seq = 0
    finish = 0
    for c in range(c_n):
        q = que[c, 0]
        wait[q, tail[q]] = c
        tail[q] += 1
        while head[q] < tail[q] and running[q] < limit:
            x = wait[q, head[q]]
            head[q] += 1
            running[q] += 1
            heapq.heappush(heap, (dur[x, pos[x]], np.int64(seq), np.int64(x)))
            seq += 1
    while len(heap) > 0:
        now, _, c = heapq.heappop(heap)
        q = que[c, pos[c]]
        running[q] -= 1
        pos[c] += 1
        done = pos[c] == p_n
        if done:
            finish = max(finish, now)
        else:
            nxt = que[c, pos[c]]
            wait[nxt, tail[nxt]] = c
            tail[nxt] += 1
        for qq in (q, -1 if done else que[c, pos[c]]):
            if qq < 0:
                continue
            while head[qq] < tail[qq] and running[qq] < limit:
                x = wait[qq, head[qq]]
                head[qq] += 1
                running[qq] += 1
                heapq.heappush(heap, (now + dur[x, pos[x]], np.int64(seq), np.int64(x)))
                seq += 1
    return finish


_compiled = None


def _kernel():
    """:func:`_pipeline_loop` compiled (numba, cached on disk) on first use, so that importing the package
    does not load numba: most collectives never need it."""
    global _compiled
    if _compiled is None:
        import numba

        _compiled = numba.njit(cache=True)(_pipeline_loop)
    return _compiled


def identical_plan_finish_ns(phase_ns: list[int], phase_queues: list[int], count: int, active_chunks: int,
                             queues_per_dim: int) -> int:
    """:func:`pipeline_finish_ns` for ``count`` chunks that all have the same phases and queues (compiled;
    for plans that reuse a queue, e.g. localBWAware's ReduceScatter and AllGather on one dimension)."""
    if not phase_ns or count <= 0:
        return 0
    dur = np.tile(np.asarray(phase_ns, dtype=np.int64), (count, 1))
    que = np.tile(np.asarray(phase_queues, dtype=np.int64), (count, 1))
    limit = math.ceil(active_chunks / queues_per_dim)
    return int(_kernel()(dur, que, int(que.max()) + 1, limit))
