"""The list of phases one chunk goes through (``Sys::generate_collective``), with the queue of each.

Ascending inter-dimension order (the only one the JSON can select). A logical dimension of one NPU
is skipped. ReduceScatter, AllToAll and baseline AllReduce visit dimensions 0, 1, ...; AllGather visits
them in reverse; ``localBWAware`` AllReduce does ReduceScatter up to the last active dimension,
AllReduce there, then AllGather back down. Queues come from ``QueueLevelHandler``: round robin over a
dimension's queues, except that localBWAware AllReduce takes its ReduceScatter/AllReduce phases from the
first half of them and its AllGather phases from the second half. The allocators persist across chunks.
"""

from __future__ import annotations

from dataclasses import dataclass

from archgym.simulators.distributed.logical import LogicalRing


@dataclass(frozen=True)
class Phase:
    """One chunk's step: run ``comm`` of ``size`` input bytes on ``ring``, waiting in queue ``queue``."""

    comm: str
    ring: LogicalRing
    size: int
    queue: int
    clockwise: bool = True


class QueueAllocator:
    """``QueueLevels``: queue ids per level (logical dimension), numbered across levels."""

    def __init__(self, queues_per_level: list[int]):
        self.queues, start = [], 0
        for q in queues_per_level:
            self.queues.append(list(range(start, start + q)))
            start += q
        self.rr = [0] * len(queues_per_level)
        self.first = [0] * len(queues_per_level)
        self.last = [len(q) // 2 for q in self.queues]

    def next(self, level: int) -> tuple[int, bool]:
        """Round robin; the second half of a level's queues runs its rings anticlockwise."""
        qs = self.queues[level]
        clockwise = not (len(qs) > 1 and self.rr[level] >= len(qs) // 2)
        q = qs[self.rr[level]]
        self.rr[level] = (self.rr[level] + 1) % len(qs)
        return q, clockwise

    def next_first(self, level: int) -> tuple[int, bool]:
        qs = self.queues[level]
        q = qs[self.first[level]]
        self.first[level] += 1
        if self.first[level] >= len(qs) // 2:
            self.first[level] = 0
        return q, True

    def next_last(self, level: int) -> tuple[int, bool]:
        qs = self.queues[level]
        q = qs[self.last[level]]
        self.last[level] += 1
        if self.last[level] >= len(qs):
            self.last[level] = len(qs) // 2
        return q, False


def chunk_phases(collective: str, rings: list[LogicalRing], chunk: int, optimization: str, alloc: QueueAllocator,
                 final_size) -> list[Phase]:
    """The phases of one chunk of ``chunk`` bytes; ``final_size(comm, ring, size)`` gives a phase's output size."""
    active = [r for r in rings if r.size > 1]
    out, size = [], chunk
    if collective != "AllReduce" or optimization == "baseline":
        order = list(reversed(active)) if collective == "AllGather" else active
        for r in order:
            out.append(Phase(collective, r, size, *alloc.next(r.level)))
            size = final_size(collective, r, size)
        return out
    for r in active[:-1]:
        out.append(Phase("ReduceScatter", r, size, *alloc.next_first(r.level)))
        size = final_size("ReduceScatter", r, size)
    if active:
        r = active[-1]
        out.append(Phase("AllReduce", r, size, *alloc.next_first(r.level)))
        size = final_size("AllReduce", r, size)
    for r in reversed(active[:-1]):
        out.append(Phase("AllGather", r, size, *alloc.next_last(r.level)))
        size = final_size("AllGather", r, size)
    return out
