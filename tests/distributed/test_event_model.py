"""The closed forms (every NPU in the same position) against the independent event-level model.

The event-level model plays ASTRA-sim's events one by one on every NPU; the closed forms skip them.
Both are checked against ASTRA-sim in test_reference_unaware.py; here they must agree exactly with
each other on configurations beyond the reference rows (sizes not divisible by the NPU count,
baseline vs localBWAware, several queues, flat implementations).
"""

from __future__ import annotations

import itertools
import random

import pytest

from archgym.simulators.distributed import Network, SystemConfig, collective_ns
from archgym.simulators.distributed.events import simulate_collective
from archgym.simulators.distributed.events.algorithms import binary_tree

NETWORKS = [
    Network.of(["Ring"], [8], [50], [500]),
    Network.of(["Switch"], [4], [100], [1000]),
    Network.of(["FullyConnected"], [4], [25], [250]),
    Network.of(["Ring", "Switch"], [4, 2], [50, 100], [500, 1000]),
    Network.of(["FullyConnected", "Ring", "Switch"], [2, 2, 4], [200, 100, 50], [100, 300, 900]),
]
IMPLS = {"AllReduce": ["ring", "direct", "halvingDoubling"], "AllGather": ["ring", "direct", "halvingDoubling"],
         "ReduceScatter": ["ring", "direct", "halvingDoubling"], "AllToAll": ["ring", "direct"]}


def cases(n=60, seed=7):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        net = rng.choice(NETWORKS)
        coll = rng.choice(sorted(IMPLS))
        if rng.random() < 0.15:
            impl = [rng.choice(["oneRing", "oneDirect"] + (["oneHalvingDoubling"] if coll != "AllToAll" else []))] * len(net.dims)
        else:
            impl = [rng.choice(IMPLS[coll]) for _ in net.dims]
        sysc = SystemConfig(endpoint_delay=rng.choice([1, 10, 100]), active_chunks_per_dimension=rng.choice([1, 2, 3]),
                            preferred_dataset_splits=rng.choice([1, 3, 4]), local_mem_bw_GBps=rng.choice([50, 1600]),
                            collective_optimization=rng.choice(["baseline", "localBWAware"]),
                            implementations={coll: tuple(impl)})
        out.append((net, sysc, coll, rng.choice([1000, 65536 + 7, 1 << 20]), rng.choice([1, 2])))
    return out


@pytest.mark.parametrize("net, sysc, coll, size, queues", cases())
def test_closed_form_equals_event_model_exact_ns(net, sysc, coll, size, queues):
    events = simulate_collective(net, sysc, coll, size, queues_per_dim=queues)
    assert len(set(events)) == 1, f"NPUs finish at different times: {events}"
    assert collective_ns(net, sysc, coll, size, queues_per_dim=queues) == events[0]


def test_double_binary_tree_npus_differ():
    net = Network.of(["Switch"], [8], [100], [1000])
    sysc = SystemConfig(preferred_dataset_splits=4, local_mem_bw_GBps=1600, implementations={"AllReduce": ("doubleBinaryTree",)})
    t = simulate_collective(net, sysc, "AllReduce", 1 << 20)
    assert len(set(t)) > 1 and collective_ns(net, sysc, "AllReduce", 1 << 20) == max(t)


def test_binary_trees_as_astrasim_builds_them():
    root_max = binary_tree(8, 0, 1, True)
    assert root_max[7] == (-1, 3, -1) and root_max[3] == (7, 1, 5) and root_max[1] == (3, 0, 2) and root_max[0] == (1, -1, -1)
    root_min = binary_tree(8, 0, 1, False)
    assert root_min[0] == (-1, -1, 4) and root_min[4] == (0, 2, 6) and root_min[6] == (4, 5, 7)
    assert set(itertools.chain(root_max, root_min)) == set(range(8))


def aware_cases(n=40, seed=11):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        net = Network.of([rng.choice(["Ring", "Switch", "FullyConnected"])], [rng.choice([4, 8])], [rng.choice([25, 100])],
                         [rng.choice([0, 250, 1000])])
        coll = rng.choice(sorted(IMPLS))
        impl = (rng.choice(IMPLS[coll]),)
        sysc = SystemConfig(endpoint_delay=rng.choice([1, 10]), preferred_dataset_splits=rng.choice([1, 4]),
                            local_mem_bw_GBps=1600, collective_optimization="localBWAware", implementations={coll: impl})
        out.append((net, sysc, coll, rng.choice([4096, 1 << 20, 3 << 20])))
    return out


@pytest.mark.parametrize("net, sysc, coll, size", aware_cases())
def test_aware_short_cuts_equal_full_event_model_exact_ns(net, sysc, coll, size):
    """The congestion-aware short cuts (closed forms, one chunk repeated) against every chunk simulated."""
    full = simulate_collective(net, sysc, coll, size, backend="congestion_aware")
    assert collective_ns(net, sysc, coll, size, backend="congestion_aware") == max(full)


@pytest.mark.parametrize("backend", ["congestion_unaware", "congestion_aware"])
@pytest.mark.parametrize("coll", ["AllReduce", "AllToAll", "AllGather", "ReduceScatter"])
def test_direct_window_of_all_peers_is_direct(coll, backend):
    """``direct7`` on 8 NPUs opens all 7 peers at once: the event-level model must give direct's time."""
    net = Network.of(["Switch"], [8], [100], [500])
    mk = lambda impl: SystemConfig(preferred_dataset_splits=4, local_mem_bw_GBps=1600, implementations={coll: (impl,)})
    t = collective_ns(net, mk("direct"), coll, 1 << 20, backend=backend)
    assert max(simulate_collective(net, mk("direct7"), coll, 1 << 20, backend=backend)) == t
    # a narrower window is never faster (with congestion the sender's uplink may serialise the sends anyway)
    assert collective_ns(net, mk("direct3"), coll, 1 << 20, backend=backend) >= t
