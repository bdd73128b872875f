"""The discrete-event queue: events at the same time run in the order they were scheduled."""

from __future__ import annotations

import heapq


class EventQueue:
    """A heap of ``(time, seq, fn, arg)``; ``now`` is the time of the event being run."""

    __slots__ = ("now", "_heap", "_seq")

    def __init__(self):
        self.now = 0
        self._heap: list = []
        self._seq = 0

    def schedule(self, delay: int, fn, arg=None):
        if delay < 0:
            raise ValueError(f"event scheduled {delay} ns in the past")
        self._seq = seq = self._seq + 1
        _push(self._heap, (self.now + int(delay), seq, fn, arg))

    def run(self):
        heap = self._heap
        pop = heapq.heappop
        while heap:
            t, _, fn, arg = pop(heap)
            self.now = t
            fn(arg)


_push = heapq.heappush
