"""The discrete-event queue: events at the same time run in the order they were scheduled."""

from __future__ import annotations

import heapq


class EventQueue:
    """A heap of ``(time, seq, fn, arg)``; ``now`` is the time of the event being run."""

    def __init__(self):
        self.now = 0
        self._heap: list = []
        self._seq = 0

    def schedule(self, delay: int, fn, arg=None):
        if delay < 0:
            raise ValueError(f"event scheduled {delay} ns in the past")
        heapq.heappush(self._heap, (self.now + int(delay), self._seq, fn, arg))
        self._seq += 1

    def run(self):
        heap = self._heap
        while heap:
            t, _, fn, arg = heapq.heappop(heap)
            self.now = t
            fn(arg)
