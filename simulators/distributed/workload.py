"""A workload as a dependency graph of compute and collective nodes, scheduled as ASTRA-sim's workload layer does.

``Workload.cc`` / ``HardwareResource.cc``: each NPU has one compute resource and one communication
resource, each running one node at a time. Whenever a node finishes (and at t = 0), the nodes whose
dependencies are all finished are visited in ascending node id and each is issued if its resource is
free. A compute node lasts ``duration_micros * 1000`` ns (1 ns when it is 0: the roofline model is
off); a collective lasts its stand-alone time, because only one collective is ever in flight per NPU
(checked on every collective of the reference training workloads).

Data-parallel workloads put every NPU in the same position, so one NPU's schedule is every NPU's.
Where NPUs finish a collective at different times (doubleBinaryTree), ``collective_ns`` gives the
slowest NPU's time, which is an approximation for the others. ``scheduling-policy`` (LIFO/FIFO) orders
collectives that wait together in a queue; with one collective in flight that never happens, so, as
in ASTRA-sim, it changes nothing here.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field


@dataclass(frozen=True)
class WorkloadNode:
    """One node: ``kind`` ``"compute"`` (``duration_us``) or ``"collective"`` (``collective``, ``size_bytes``)."""

    id: int
    name: str
    kind: str
    deps: tuple[int, ...] = ()
    duration_us: int = 0
    collective: str = ""
    size_bytes: int = 0


@dataclass
class WorkloadResult:
    """ASTRA-sim's figures for the simulated NPU: "sys[i] finished" and "exposed communication", its statistics
    lines (the union of node intervals per type; overlap = GPU + comm - wall) and
    ``(node_id, name, issue_ns, finish_ns)`` per collective in finishing order."""

    finish_ns: int
    compute_ns: int
    exposed_comm_ns: int
    collectives: list = field(default_factory=list)
    wall_time_ns: int = 0
    comm_time_ns: int = 0
    gpu_time_ns: int = 0

    @property
    def comp_comm_overlap_ns(self) -> int:
        return self.gpu_time_ns + self.comm_time_ns - self.wall_time_ns


def _union_ns(intervals) -> int:
    total, end = 0, None
    for a, b in sorted(intervals):
        if end is None or a > end:
            total += b - a
            end = b
        elif b > end:
            total += b - end
            end = b
    return total


def schedule_workload(nodes: list[WorkloadNode], collective_ns) -> WorkloadResult:
    """List-schedule ``nodes``; ``collective_ns(collective, size_bytes)`` times one collective in ns."""
    by_id = {n.id: n for n in nodes}
    if len(by_id) != len(nodes):
        raise ValueError("workload node ids must be unique")
    waiting = {n.id: len(n.deps) for n in nodes}
    children: dict[int, list[int]] = {n.id: [] for n in nodes}
    for n in nodes:
        for d in n.deps:
            if d not in by_id:
                raise ValueError(f"node {n.id} ({n.name}) depends on unknown node {d}")
            children[d].append(n.id)
    ready = sorted(i for i, w in waiting.items() if w == 0)
    busy = {"compute": False, "collective": False}
    events: list = []
    seq = 0
    now = compute = 0
    issued: dict[int, int] = {}
    colls, comps = [], []
    memo: dict = {}

    def issue_free():
        nonlocal seq, compute
        for i in list(ready):
            n = by_id[i]
            if busy[n.kind]:
                continue
            ready.remove(i)
            busy[n.kind] = True
            issued[i] = now
            if n.kind == "compute":
                d = n.duration_us * 1000 if n.duration_us else 1
                compute += d
            else:
                key = (n.collective, n.size_bytes)
                if key not in memo:
                    memo[key] = collective_ns(n.collective, n.size_bytes)
                d = memo[key]
            heapq.heappush(events, (now + d, seq, i))
            seq += 1

    issue_free()
    done = 0
    while events:
        now, _, i = heapq.heappop(events)
        n = by_id[i]
        busy[n.kind] = False
        done += 1
        if n.kind == "collective":
            colls.append((i, n.name, issued[i], now))
        else:
            comps.append((issued[i], now))
        for c in children[i]:
            waiting[c] -= 1
            if waiting[c] == 0:
                ready.append(c)
        ready.sort()
        issue_free()
    if done != len(nodes):
        raise ValueError(f"{len(nodes) - done} workload nodes never became ready: the dependency graph has a cycle")
    comm_iv = [(a, b) for _, _, a, b in colls]
    return WorkloadResult(now, compute, now - compute, colls, wall_time_ns=_union_ns(comm_iv + comps),
                          comm_time_ns=_union_ns(comm_iv), gpu_time_ns=_union_ns(comps))
