"""A mapping file's complete ``temporal_ordering`` allocated to the memories as ZigZag's MemoryAllocator does.

Default run: the ordering shipped in tpu_like's mapping file (entry ``example_name_of_layer0``) gives the
temporal mapping ZigZag 3.9.1 allocated for it and, through this model, ZigZag's energy with its charging
conventions (tests/reference/zigzag_inputs/zigzag_ordering_example.csv, measured on live ZigZag). Live
ZigZag (test extra): the same allocation on 160 random complete orderings over tpu_like, eyeriss_like,
generic_array_cacti and tesla_npu_like (measured: 160 of 160 identical).
"""

import copy
import csv
import warnings
from pathlib import Path

import numpy as np
import pytest

from archgym.simulators.dataflow.formats.zigzag import (
    ZIGZAG_BITS,
    layer_from_loop_sizes,
    parse_spatial,
    parse_temporal,
    zigzag_convention_energy,
)
from archgym.simulators.dataflow.formats.zigzag.allocation import allocate
from archgym.simulators.dataflow.formats.zigzag.hardware import read_hardware, read_mapping
from archgym.simulators.dataflow.mapper import prime_factors
from archgym.simulators.dataflow.mapping import MappingError
from archgym.simulators.dataflow.validation import zigzag_bridge as zz
from archgym.simulators.dataflow.workload import Layer

INPUTS = Path(__file__).resolve().parents[2] / "tests" / "reference" / "zigzag_inputs"
ZIGZAG_NAMES = {"N": "B", "P": "OY", "Q": "OX", "R": "FY", "S": "FX"}


def _hardware(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_hardware(INPUTS / "hardware" / f"{name}.yaml")


def _model_names(temporal):
    return {op: [[(d, f) for d, f in lv] for lv in lvs] for op, lvs in temporal.items()}


def test_shipped_ordering_gives_zigzags_allocation_and_energy():
    with (INPUTS / "zigzag_ordering_example.csv").open() as f:
        row = next(csv.DictReader(f))
    entry = read_mapping(INPUTS / row["mapping"]).entry_for(row["entry"])
    layer = layer_from_loop_sizes(row["entry"], row["loop_sizes"])
    za = _hardware("tpu_like").architecture(entry.links)
    mine = allocate(za, layer, entry.spatial, entry.temporal_ordering)
    assert _model_names(mine) == parse_temporal(row["temporal_mapping"])
    arch, mapping = za.mapping(mine, entry.spatial)
    got = zigzag_convention_energy(arch, layer, mapping)
    assert got == pytest.approx(float(row["energy_total_pJ"]), rel=1e-9), "energy with ZigZag's conventions (1e-9)"


def test_incomplete_or_starred_orderings_are_refused():
    za = _hardware("tpu_like").architecture()
    layer = Layer("x", dict(K=64, C=32, P=4, Q=4), bits=ZIGZAG_BITS)
    spatial = parse_spatial("{D1: {K: 32}, D2: {C: 32}}")
    with pytest.raises(MappingError, match=r"give \{dim: \(product, layer size\)\} \{'Q': \(1, 4\)\}"):
        allocate(za, layer, spatial, [("OY", 4), ("K", 2)])
    with pytest.raises(MappingError, match="need integer factors"):
        allocate(za, layer, spatial, [("OY", "*"), ("OX", 4), ("K", 2)])


CASES = [
    ("tpu_like", {"D1": [("K", 32)], "D2": [("C", 32)]}, dict(K=64, C=64, P=14, Q=14, R=3, S=3)),
    ("eyeriss_like", {"D1": [("K", 14)], "D2": [("C", 12)]}, dict(K=56, C=24, P=6, Q=4, R=3, S=3)),
    ("generic_array_cacti", {"D1": [("K", 32)], "D2": [("C", 32)]}, dict(K=128, C=64, P=28, Q=28, R=3, S=3)),
    ("tesla_npu_like", {"D1": [("K", 32)], "D2": [("OX", 4)], "D3": [("OY", 4)]}, dict(K=64, C=32, P=8, Q=8, R=3, S=3)),
]


@pytest.mark.parametrize("hw, spatial, dims", CASES, ids=[c[0] for c in CASES])
def test_live_zigzag_allocates_random_orderings_the_same(hw, spatial, dims):
    pytest.importorskip("zigzag")
    pytest.importorskip("six")
    from zigzag.datatypes import LayerDim
    from zigzag.mapping.temporal_mapping import TemporalMappingType
    from zigzag.opt.loma.memory_allocator import MemoryAllocator

    layer = Layer(hw, dims, bits=ZIGZAG_BITS)
    za = _hardware(hw).architecture()
    acc = zz.accelerator_from(str(INPUTS / "hardware" / f"{hw}.yaml"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        node = copy.copy(zz.layer_node(layer))
    sm, _ = zz.spatial_mappings(node, acc, spatial)
    rest = dict(layer.dims)
    for loops in spatial.values():
        for d, f in loops:
            rest[{"OX": "Q", "OY": "P"}.get(d, d)] //= f
    loops = [(ZIGZAG_NAMES.get(d, d), p) for d, n in rest.items() for p in prime_factors(n)]
    rng = np.random.default_rng(3)
    for trial in range(40):
        order = [loops[i] for i in rng.permutation(len(loops))]
        tm = MemoryAllocator(acc, node, sm, [(LayerDim(d), f) for d, f in order], TemporalMappingType.UNEVEN).run()
        theirs = {str(op): [[(str(d), int(f)) for d, f in lv] for lv in lvs] for op, lvs in tm.mapping_dic_origin.items()}
        mine = allocate(za, layer, spatial, order)
        mine = {op: [[(ZIGZAG_NAMES.get(d, d), f) for d, f in lv] for lv in lvs] for op, lvs in mine.items()}
        assert mine == theirs, f"{hw} trial {trial}, ordering {order}"
