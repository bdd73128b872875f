"""The mapper: valid, seeded, finds the optimum of a small space, honours its objective, clear failures."""

import itertools

import numpy as np
import pytest

from archgym import datasets
from archgym.simulators.dataflow.architecture import Architecture, ComputeUnit, StorageLevel
from archgym.simulators.dataflow.cost import CapacityError, evaluate
from archgym.simulators.dataflow.eyeriss import eyeriss_like
from archgym.simulators.dataflow.formats.zigzag import tpu_like
from archgym.simulators.dataflow.mapper import Mapper, NoMappingError
from archgym.simulators.dataflow.mapping import LevelLoops, Mapping
from archgym.simulators.dataflow.network import load_layers
from archgym.simulators.dataflow.workload import Layer


def test_same_seed_same_mapping_and_valid_on_every_alexnet_and_mobilenet_shape():
    arch = eyeriss_like()
    layers = load_layers(datasets.path("dataflow", "alexnet.csv"))
    layers += [ly for ly in load_layers(datasets.path("dataflow", "mobilenetv2.csv"))[:6]]  # incl. depthwise
    for ly in layers:
        m1, _ = Mapper(arch, seed=3, budget=300).search_layer(ly)
        m2, _ = Mapper(arch, seed=3, budget=300).search_layer(ly)
        assert m1 == m2
        ev = evaluate(arch, ly, m1)  # validates factors, fan-out and capacity
        assert ev.cycles >= ev.compute_cycles >= ly.macs / arch.compute.instances


def _tiny():
    arch = Architecture("tiny", (
        StorageLevel("rf", ("W", "O"), depth=4, instances=2, read_bandwidth=2, write_bandwidth=2, read_energy=0.1,
                     write_energy=0.1),
        StorageLevel("buf", ("W", "I", "O"), depth=24, read_bandwidth=2, write_bandwidth=2, read_energy=2.0,
                     write_energy=2.0),
        StorageLevel("dram", ("W", "I", "O"), read_bandwidth=1, write_bandwidth=1, read_energy=50.0,
                     write_energy=50.0),
    ), ComputeUnit(instances=2, energy=0.5))
    return arch, Layer("t", {"K": 4, "C": 2, "P": 4})


def _exhaustive(arch, layer):
    """Every mapping of the tiny space: each prime factor on a temporal slot (in any order) or on the fan-out."""
    primes = [("K", 2), ("K", 2), ("C", 2), ("P", 2), ("P", 2)]
    best = np.inf
    for spatial in [None] + sorted(set(primes)):
        rest = list(primes)
        if spatial:
            rest.remove(spatial)
        for order in set(itertools.permutations(rest)):
            for a in range(len(order) + 1):
                for b in range(a, len(order) + 1):
                    m = Mapping((LevelLoops(order[:a]), LevelLoops(order[a:b], (spatial,) if spatial else ()),
                                 LevelLoops(order[b:])))
                    try:
                        ev = evaluate(arch, layer, m)
                    except CapacityError:
                        continue
                    best = min(best, ev.edp)
    return best


def test_mapper_finds_the_optimum_of_an_exhaustively_enumerated_space():
    arch, layer = _tiny()
    optimum = _exhaustive(arch, layer)
    found = Mapper(arch, budget=600, objective="edp").best(layer)
    assert found.edp == pytest.approx(optimum, rel=1e-12)


def test_objectives_trade_energy_against_delay():
    arch = eyeriss_like()
    layer = load_layers(datasets.path("dataflow", "alexnet.csv"))[2]
    fast = Mapper(arch, objective="delay").best(layer)
    lean = Mapper(arch, objective="energy").best(layer)
    assert fast.cycles <= lean.cycles
    assert lean.energy_pj <= fast.energy_pj


def test_hybrid_search_no_worse_than_random_pruned():
    arch = tpu_like()
    layer = Layer("l", {"K": 64, "C": 64, "P": 28, "Q": 28, "R": 3, "S": 3}, bits={"W": 8, "I": 8, "O": 16, "O_final": 8})
    hybrid = [Mapper(arch, search="hybrid", seed=s, budget=600).best(layer).edp for s in range(3)]
    rand = [Mapper(arch, search="random-pruned", seed=s, budget=600).best(layer).edp for s in range(3)]
    assert np.mean(hybrid) <= np.mean(rand)


def test_nothing_fits_is_a_clear_error():
    arch = Architecture("small", (StorageLevel("rf", depth=1, word_bits=8, instances=1), StorageLevel("dram")),
                        ComputeUnit(instances=1))
    with pytest.raises(NoMappingError, match="level 'rf' holds 8 bits per instance, less than one element"):
        Mapper(arch, budget=16).best(Layer("x", {"K": 2}))


def test_bad_arguments():
    arch = eyeriss_like()
    with pytest.raises(ValueError, match="search 'annealing' is not known"):
        Mapper(arch, search="annealing")
    with pytest.raises(ValueError, match="objective 'area' is not known"):
        Mapper(arch, objective="area")
    with pytest.raises(ValueError, match="budget must be an integer >= 8"):
        Mapper(arch, budget=2)
