"""One collective, event by event, on every NPU: the per-NPU finish times ASTRA-sim prints."""

from __future__ import annotations

from dataclasses import dataclass

from archgym.simulators.distributed.chunking import chunks
from archgym.simulators.distributed.events.algorithms import (
    DirectAlgorithm,
    DoubleBinaryTreeAlgorithm,
    HalvingDoublingAlgorithm,
    RingAlgorithm,
    RingView,
    binary_tree,
)
from archgym.simulators.distributed.events.network import AwareNetwork, UnawareNetwork
from archgym.simulators.distributed.events.npu import NPU, Stream
from archgym.simulators.distributed.events.queue import EventQueue
from archgym.simulators.distributed.logical import logical_rings
from archgym.simulators.distributed.network import Network
from archgym.simulators.distributed.phases import Phase, QueueAllocator, chunk_phases
from archgym.simulators.distributed.system import IMPLEMENTATION_KEYS, SystemConfig


@dataclass(frozen=True)
class PlannedPhase:
    """A chunk's phase plus, for doubleBinaryTree, which of the two trees it runs on (they alternate by chunk)."""

    phase: Phase
    root_max: bool = True

    @property
    def queue(self) -> int:
        return self.phase.queue


def _final_size(comm: str, ring, size: int) -> int:
    n = ring.size
    if ring.impl.base == "doubleBinaryTree":
        return size
    return {"AllGather": size * n, "ReduceScatter": size // n}.get(comm, size)


def plan(network: Network, system: SystemConfig, collective: str, size_bytes: int, queues_per_dim: int) -> list[list[PlannedPhase]]:
    """Every chunk's phases, in chunk order (the same on every NPU)."""
    rings = logical_rings(network, system.implementation(collective), IMPLEMENTATION_KEYS[collective])
    for r in rings:
        if r.impl.base == "doubleBinaryTree":
            if r.size & (r.size - 1):
                raise NotImplementedError(f"doubleBinaryTree on {r.size} NPUs: only powers of two are modelled")
            if r.level != len(network.dims) - 1:
                raise NotImplementedError("doubleBinaryTree below the network's last dimension is not modelled")
        if r.impl.base == "halvingDoubling" and r.size & (r.size - 1):
            raise NotImplementedError(f"halvingDoubling on {r.size} NPUs: only powers of two are modelled")
        if r.impl.base == "halvingDoubling" and collective == "AllToAll":
            raise ValueError("halvingDoubling does not implement AllToAll (ASTRA-sim exits: 'unknown communication type for "
                             "HalvingDoubling collective algorithm')")
    chunk, count = chunks(size_bytes, collective, system.preferred_dataset_splits, network.total_npus)
    alloc = QueueAllocator([queues_per_dim] * len(network.dims))
    trees: dict[int, int] = {}
    out = []
    for _ in range(count):
        phases = []
        for p in chunk_phases(collective, rings, chunk, system.collective_optimization, alloc, _final_size):
            if p.ring.impl.base == "doubleBinaryTree":
                k = trees.get(p.ring.level, 0)
                trees[p.ring.level] = k + 1
                phases.append(PlannedPhase(p, k % 2 == 0))
            else:
                phases.append(PlannedPhase(p))
        out.append(phases)
    return out


def simulate_collective(network: Network, system: SystemConfig, collective: str, size_bytes: int, *, queues_per_dim: int = 1,
                        backend: str = "congestion_unaware", max_chunks: int | None = None) -> list[int]:
    """Finish time (ns) of one collective issued at t = 0 on every NPU, NPU 0 first (``max_chunks``: only the first chunks)."""
    networks = {"congestion_unaware": UnawareNetwork, "congestion_aware": AwareNetwork}
    if backend not in networks:
        raise ValueError(f"backend {backend!r} is not one of {', '.join(networks)}")
    if int(queues_per_dim) != queues_per_dim or queues_per_dim < 1:
        raise ValueError(f"num-queues-per-dim {queues_per_dim!r} must be an integer of at least 1")
    chunk_plans = plan(network, system, collective, size_bytes, queues_per_dim)[:max_chunks]
    queue = EventQueue()
    net = networks[backend](network, queue)
    tree_cache: dict = {}

    def make(npu, stream, planned: PlannedPhase):
        p = planned.phase
        ring, impl = p.ring, p.ring.impl
        if impl.base == "doubleBinaryTree":
            view = RingView(npu.id, ring.size, ring.stride)
            key = (view.base, ring.stride, ring.size, planned.root_max)
            tree = tree_cache.get(key)
            if tree is None:
                nodes = 1 << (ring.size.bit_length() - 1)
                tree = tree_cache[key] = binary_tree(nodes, view.base, ring.stride, planned.root_max)
            return DoubleBinaryTreeAlgorithm(npu, stream, tree, p.size)
        view = RingView(npu.id, ring.size, ring.stride)
        if impl.base == "ring":
            return RingAlgorithm(npu, stream, p.comm, view, p.size, p.clockwise)
        if impl.base == "direct":
            return DirectAlgorithm(npu, stream, p.comm, view, p.size, p.clockwise, impl.window)
        return HalvingDoublingAlgorithm(npu, stream, p.comm, view, p.size, p.clockwise)

    queues = queues_per_dim * len(network.dims)
    npus = [NPU(i, queue, net, system, queues, queues_per_dim, make) for i in range(network.total_npus)]
    for npu in npus:
        npu.issue([Stream(npu, sid, phases) for sid, phases in enumerate(chunk_plans)])
    queue.run()
    stuck = [n.id for n in npus if n.unfinished]
    if stuck:
        raise RuntimeError(f"collective did not finish on NPUs {stuck[:8]}: the event-level model deadlocked")
    return [n.finish_ns for n in npus]
