"""A chain of compute and collective nodes on one NPU, timed as ASTRA-sim's workload layer times it, in O(n).

One micro-batch of a transformer is a chain: each compute node waits for the node before it, a
*blocking* collective (tensor- or sequence-parallel) is waited for by the next compute node, and an
*asynchronous* collective (a data-parallel gradient reduction) is waited for by nobody. ASTRA-sim's
workload layer (``workload.py``, :func:`~archgym.simulators.distributed.workload.schedule_workload`) runs
one compute node and one collective at a time per NPU and, when its communication resource frees, issues
the ready collective with the lowest node id. Node ids follow the chain, so an asynchronous collective
that is ready always goes before a later blocking one. That gives the recurrence used here:

- compute ``d``: ``t += d`` (the compute resource is only ever wanted by the chain);
- blocking collective ``d``: it starts at ``max(t, end of the queued asynchronous ones)``, then ``t`` is its end;
- asynchronous collective ``d``: it starts at ``max(t, end of the queued ones)`` and extends that queue.

The chain finishes at ``max(t, end of the queue)``. Compute durations are whole nanoseconds (ASTRA-sim
uses ``duration_micros x 1,000``, and 1 ns for 0). :func:`as_workload_nodes` writes the same chain as
workload nodes; tests/distributed/test_llm_chain.py checks that the two agree on random chains.
"""

from __future__ import annotations

from dataclasses import dataclass

from archgym.simulators.distributed.workload import WorkloadNode

COMPUTE, BLOCKING, ASYNC = 0, 1, 2


@dataclass(frozen=True)
class ChainTime:
    """Finish time of the chain, its compute time and its communication busy time, in ns."""

    finish_ns: int
    compute_ns: int
    comm_ns: int


def chain_time(items: list[tuple[int, int]]) -> ChainTime:
    """Time a chain of ``(kind, duration_ns)`` items (``COMPUTE``, ``BLOCKING`` or ``ASYNC``)."""
    t = queue_end = compute = comm = 0
    for kind, d in items:
        if kind == COMPUTE:
            d = d if d > 0 else 1
            t += d
            compute += d
        elif kind == BLOCKING:
            t = max(t, queue_end) + d
            comm += d
        elif kind == ASYNC:
            queue_end = max(t, queue_end) + d
            comm += d
        else:
            raise ValueError(f"chain item kind {kind!r} is not COMPUTE (0), BLOCKING (1) or ASYNC (2)")
    return ChainTime(max(t, queue_end), compute, comm)


def as_workload_nodes(items: list[tuple[int, int]]):
    """The chain as :class:`~archgym.simulators.distributed.workload.WorkloadNode` s with durations in whole
    microseconds (compute) and a collective "size" that is the duration (for a ``collective_ns`` that returns it)."""
    nodes, last = [], None
    for i, (kind, d) in enumerate(items):
        deps = (last,) if last is not None else ()
        if kind == COMPUTE:
            if d % 1000:
                raise ValueError(f"item {i}: a compute node must last whole microseconds to be a workload node, got {d} ns")
            nodes.append(WorkloadNode(i, f"compute_{i}", "compute", deps, duration_us=d // 1000))
            last = i
        else:
            nodes.append(WorkloadNode(i, f"comm_{i}", "collective", deps, collective="AllReduce", size_bytes=max(d, 1)))
            if kind == BLOCKING:
                last = i
    return nodes
