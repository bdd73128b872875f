"""One NPU's system layer (``Sys``): memory-bus moves, packet bundles, streams and the per-dimension queues.

- A move between the NPU and its memory agent costs ``endpoint-delay`` cycles (``MemBus``); a bundle
  that must be reduced then costs ``3 * floor(size / local-mem-bw)`` more (``PacketBundle::call``).
- Events of one NPU at one time run as one batch, in the order they were registered; an event
  registered with no delay while that batch runs joins it (``Sys::try_register_event``, ``call_events``).
- Streams (chunks) wait in the queue of their current phase; a queue runs at most
  ``ceil(active-chunks / queues-per-dim)`` of them (``SchedulerUnit``); a finished phase moves the stream
  to its next queue at once (``proceed_to_next_vnet_baseline``).
"""

from __future__ import annotations

import math
from functools import partial
from heapq import heappush as _push


def _memo(fn):
    """``fn`` of one argument, remembered per argument (successful calls only)."""
    memo: dict = {}

    def call(x):
        v = memo.get(x)
        if v is None:
            v = memo[x] = fn(x)
        return v

    return call


class Bundle:
    """``PacketBundle``: a move to or from the memory agent, then (if ``processed``) the local reduction."""

    __slots__ = ("npu", "stream", "processed", "size")

    def __init__(self, npu, stream, processed: bool, size: int):
        self.npu, self.stream, self.processed, self.size = npu, stream, processed, size

    def send(self):
        self.npu.register(self.call, self.npu.endpoint_delay)

    def call(self):
        if self.processed:
            self.processed = False
            self.npu.register(self.call, self.npu.reduction_ns(self.size))
            return
        self.stream.algorithm.general()


class Stream:
    """One chunk of a collective on one NPU: its remaining phases and the algorithm of the current one."""

    __slots__ = ("id", "phases", "algorithm", "queue", "initialized", "priority", "npu")

    def __init__(self, npu, stream_id: int, phases: list, priority: int = 0):
        self.npu, self.id, self.phases, self.priority = npu, stream_id, list(phases), priority
        self.algorithm = None
        self.queue = -1
        self.initialized = False

    def init(self):
        self.initialized = True
        self.algorithm.init()

    def general(self):
        """A bundle of this stream is done: its current algorithm's ``general`` (looked up now, as ``Bundle.call``)."""
        self.algorithm.general()


class NPU:
    """The system layer of NPU ``id``; ``make_algorithm(npu, stream, phase)`` builds a phase's algorithm."""

    def __init__(self, npu_id: int, queue, net, system, queues: int, queues_per_dim: int, make_algorithm):
        self.id = npu_id
        self.queue = queue
        self.net = net
        self.endpoint_delay = int(system.endpoint_delay)
        self.reduction_ns = _memo(system.reduction_ns)
        self.threshold = math.ceil(system.active_chunks_per_dimension / queues_per_dim)
        self.active = [[] for _ in range(queues)]
        self.running = [0] * queues
        self.pending: dict[int, list] = {}
        self.make_algorithm = make_algorithm
        self.finish_ns = 0
        self.unfinished = 0

    # events -----------------------------------------------------------------------------------------
    def bundle(self, stream, processed: bool, size: int):
        """``Bundle(self, stream, processed, size).send()`` without the object: the memory-bus move, then (if
        ``processed``) the local reduction, then the stream's ``general``."""
        if processed:
            self.register(partial(self._reduce, stream, size), self.endpoint_delay)
        else:
            self.register(stream.general, self.endpoint_delay)

    def _reduce(self, stream, size: int):
        self.register(stream.general, self.reduction_ns(size))

    def register(self, fn, delay: int):
        q = self.queue
        t = q.now + delay
        batch = self.pending.get(t)
        if batch is None:
            if delay < 0:
                raise ValueError(f"event scheduled {delay} ns in the past")
            self.pending[t] = [fn]
            q._seq = seq = q._seq + 1  # EventQueue.schedule, inline
            _push(q._heap, (t, seq, self._call_events, t))
        else:
            batch.append(fn)

    def _call_events(self, t):
        batch = self.pending[t]
        for fn in batch:  # a list grown while it is iterated: events registered with no delay join the batch
            fn()
        del self.pending[t]

    # streams ----------------------------------------------------------------------------------------
    def issue(self, streams: list[Stream]):
        """Issue a collective's chunks at the current time, in order (each goes straight to its first queue)."""
        self.unfinished += len(streams)
        for s in streams:
            self.proceed(s)

    def proceed(self, s: Stream):
        prev = s.queue
        if prev >= 0:
            self.active[prev].remove(s)
        if not s.phases:
            self.unfinished -= 1
            self.finish_ns = max(self.finish_ns, self.queue.now)
            if prev >= 0:
                self._removed(prev)
            return
        phase = s.phases.pop(0)
        s.queue = phase.queue
        s.algorithm = self.make_algorithm(self, s, phase)
        s.initialized = False
        lst = self.active[s.queue]
        i = 0
        while i < len(lst) and (lst[i].initialized or lst[i].priority >= s.priority):
            i += 1
        lst.insert(i, s)
        if prev >= 0:
            self._removed(prev)
        self._start(s.queue)

    def _removed(self, q: int):
        self.running[q] -= 1
        self._start(q)

    def _start(self, q: int):
        lst = self.active[q]
        i = self.running[q]
        while i < len(lst) and self.running[q] < self.threshold:
            lst[i].init()
            self.running[q] += 1
            i += 1
