"""One collective on ASTRA-sim 2.x's congestion-unaware analytical backend, to the nanosecond.

``collective_ns`` = chunking (``chunking.py``) -> phases per chunk (``phases.py``) -> each phase's
duration (``algorithms.py``) -> the chunks pipelined through the per-dimension queues (``scheduler.py``).
The result is what ASTRA-sim prints as "sys[i] finished, X cycles" for a microbenchmark of one
collective issued at t = 0 (1 cycle = 1 ns).
"""

from __future__ import annotations

import warnings

from archgym.simulators.distributed.algorithms import phase_ns
from archgym.simulators.distributed.chunking import chunks
from archgym.simulators.distributed.events.run import simulate_collective
from archgym.simulators.distributed.formats.network_yaml import read_network_yaml
from archgym.simulators.distributed.formats.system_json import read_system_json
from archgym.simulators.distributed.logical import logical_rings
from archgym.simulators.distributed.network import Network, require_one_dimension
from archgym.simulators.distributed.phases import QueueAllocator, chunk_phases
from archgym.simulators.distributed.scheduler import identical_chunks_finish_ns, identical_plan_finish_ns, pipeline_finish_ns
from archgym.simulators.distributed.system import IMPLEMENTATION_KEYS, SystemConfig

BACKENDS = ("congestion_unaware", "congestion_aware")


def collective_ns(network: Network, system: SystemConfig, collective: str, size_bytes: int, *, queues_per_dim: int = 1,
                  backend: str = "congestion_unaware") -> int:
    """Time until one ``collective`` of ``size_bytes`` (AllGather: the per-NPU input) has finished on every NPU, in ns.

    Closed forms per phase when every NPU is in the same position; the event-level model
    (``events/``) for doubleBinaryTree, whose NPUs finish at different times, and for the
    congestion-aware backend, whose links queue.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend {backend!r} is not one of {', '.join(BACKENDS)}")
    if int(queues_per_dim) != queues_per_dim or queues_per_dim < 1:
        raise ValueError(f"num-queues-per-dim {queues_per_dim!r} must be an integer of at least 1")
    if backend == "congestion_aware":
        return max(_aware_finish_ns(network, system, collective, size_bytes, queues_per_dim))
    impls = system.implementation(collective)
    rings = logical_rings(network, impls, IMPLEMENTATION_KEYS[collective])
    if any(_needs_events(r) for r in rings):
        return max(simulate_collective(network, system, collective, size_bytes, queues_per_dim=queues_per_dim))
    return _closed_form_ns(network, system, collective, size_bytes, queues_per_dim, rings)


def _needs_events(ring) -> bool:
    """doubleBinaryTree (NPUs in different positions) and windowed direct (``directN`` with N < peers) have no closed form here."""
    impl = ring.impl
    return impl.base == "doubleBinaryTree" or (impl.base == "direct" and impl.window != -1 and impl.window < ring.size - 1)


def _closed_form_ns(network, system, collective, size_bytes, queues_per_dim, rings) -> int:
    chunk, count = chunks(size_bytes, collective, system.preferred_dataset_splits, network.total_npus)
    alloc = QueueAllocator([queues_per_dim] * len(network.dims))
    memo: dict = {}

    def timed(comm, ring, size):
        key = (comm, ring.level, size)
        if key not in memo:
            memo[key] = phase_ns(comm, ring, size, system)
        return memo[key]

    if queues_per_dim == 1:  # every chunk gets the same plan; with distinct queues per phase it is a tandem pipeline
        plan = chunk_phases(collective, rings, chunk, system.collective_optimization, alloc,
                            lambda comm, ring, size: timed(comm, ring, size)[1])
        each = [timed(p.comm, p.ring, p.size)[0] for p in plan]
        if len({p.queue for p in plan}) == len(plan):
            return identical_chunks_finish_ns(each, count, system.active_chunks_per_dimension)
        return identical_plan_finish_ns(each, [p.queue for p in plan], count, system.active_chunks_per_dimension, 1)
    durations, queues = [], []
    for _ in range(count):
        plan = chunk_phases(collective, rings, chunk, system.collective_optimization, alloc,
                            lambda comm, ring, size: timed(comm, ring, size)[1])
        durations.append([timed(p.comm, p.ring, p.size)[0] for p in plan])
        queues.append([p.queue for p in plan])
    return pipeline_finish_ns(durations, queues, system.active_chunks_per_dimension, queues_per_dim)


def _aware_finish_ns(network, system, collective, size_bytes, queues_per_dim) -> list[int]:
    """Congestion-aware finish per NPU, with two exact short cuts when chunks run strictly one after another.

    With one queue and one active chunk per dimension on a 1-D network, chunk k+1 starts on every NPU
    when chunk k ends there. If one chunk ends at the same time T on every NPU, every message has
    arrived and every link is idle by then, so each chunk repeats the first: the collective takes
    ``chunks * T``. A ring phase in that case sends one message at a time to a neighbour over links no
    other message uses, and on FullyConnected every ordered pair of NPUs has its own link, which ring,
    direct and halving-doubling never load with two messages at once: there the closed forms hold
    with the aware backend's uncontended send time.
    Anything else (several active chunks or queues, doubleBinaryTree) runs the event-level model.
    """
    require_one_dimension(network)
    rings = logical_rings(network, system.implementation(collective), IMPLEMENTATION_KEYS[collective], aware=True)
    serial = queues_per_dim == 1 and system.active_chunks_per_dimension == 1
    contention_free = all(r.impl.base == "ring" for r in rings) or (
        network.dims[0].topology == "FullyConnected" and not any(_needs_events(r) for r in rings))
    if serial and contention_free:
        return [_closed_form_ns(network, system, collective, size_bytes, queues_per_dim, rings)] * network.total_npus
    kw = dict(queues_per_dim=queues_per_dim, backend="congestion_aware")
    if serial and not any(r.impl.base == "doubleBinaryTree" for r in rings):
        first = simulate_collective(network, system, collective, size_bytes, max_chunks=1, **kw)
        if len(set(first)) == 1:
            _, count = chunks(size_bytes, collective, system.preferred_dataset_splits, network.total_npus)
            return [first[0] * count] * network.total_npus
    return simulate_collective(network, system, collective, size_bytes, **kw)


def collective_finish_ns(network: Network, system: SystemConfig, collective: str, size_bytes: int, *, queues_per_dim: int = 1,
                         backend: str = "congestion_unaware") -> list[int]:
    """Finish time of the collective on every NPU (NPU 0 first): they differ only under doubleBinaryTree."""
    impls = system.implementation(collective)
    if backend == "congestion_aware":
        return _aware_finish_ns(network, system, collective, size_bytes, queues_per_dim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # collective_ns / simulate_collective warn about the same list
        rings = logical_rings(network, impls, IMPLEMENTATION_KEYS[collective])
    if any(_needs_events(r) for r in rings):
        return simulate_collective(network, system, collective, size_bytes, queues_per_dim=queues_per_dim, backend=backend)
    return [collective_ns(network, system, collective, size_bytes, queues_per_dim=queues_per_dim, backend=backend)] * network.total_npus


def collective_from_files(network_configuration, system_configuration, collective: str, size_bytes: int, *,
                          num_queues_per_dim: int = 1, backend: str = "congestion_unaware") -> list[int]:
    """:func:`collective_finish_ns` (one per NPU) from ASTRA-sim's network YAML and system JSON files."""
    return collective_finish_ns(read_network_yaml(network_configuration), read_system_json(system_configuration), collective,
                                size_bytes, queues_per_dim=num_queues_per_dim, backend=backend)
