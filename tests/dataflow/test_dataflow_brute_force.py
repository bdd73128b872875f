"""The analytic access counts equal a brute-force walk of the loop nest, exactly, on small layers.

The walk (``loop_nest_walk.walk``) enumerates every iteration and builds the actual coordinate sets each
buffer instance holds; it shares no formula with the model. Random mappings cover bypassing levels, a
keep-nothing fan-out level, fan-outs at several levels, both spatial-reduction rules, MAC operand reuse on
and off, strides, dilations, depthwise layers and matrix multiplies.
"""

import numpy as np
import pytest

from archgym.simulators.dataflow.access_counts import COUNT_KINDS, analyse_mapping
from archgym.simulators.dataflow.mapping import Mapping
from archgym.simulators.dataflow.workload import Layer

from .conftest import random_mapping, small_archs
from .loop_nest_walk import walk

LAYERS = [
    Layer("conv", dict(N=2, K=4, C=3, P=3, Q=2, R=3, S=2), stride=(2, 1), dilation=(1, 2)),
    Layer("conv_s1", dict(K=2, C=2, P=4, Q=3, R=3, S=1), stride=(1, 2)),
    Layer("depthwise", dict(G=4, P=4, Q=2, R=3, S=2), kind="depthwise", stride=(2, 2)),
    Layer("gemm", dict(N=6, C=4, K=6), kind="gemm"),
    Layer("batch", dict(N=2, K=4, C=2, P=2, Q=2, R=2, S=2)),
]


def _compare(layer, arch, mapping):
    mapping.validate(layer, arch)
    counts, _ = analyse_mapping(layer.arrays(), arch.arrays(), mapping.arrays())
    expected = np.array(walk(layer, arch, mapping), dtype=float)
    if not np.array_equal(counts, expected):
        bad = [(arch.levels[lv].name, "WIO"[t], COUNT_KINDS[k], counts[lv, t, k], expected[lv, t, k])
               for lv, t, k in np.argwhere(counts != expected)]
        pytest.fail(f"{layer.name} on {arch.name}: analytic != brute force (level, tensor, kind, model, walk): "
                    f"{bad[:8]}\n{mapping.text(arch)}")


@pytest.mark.parametrize("layer", LAYERS, ids=lambda ly: ly.name)
@pytest.mark.parametrize("arch_index", [0, 1, 2], ids=["bypass-levels", "chain-no-operand-reuse", "one-buffer"])
def test_access_counts_equal_loop_nest_walk_exactly(layer, arch_index):
    arch = small_archs()[arch_index]
    rng = np.random.default_rng(1000 + arch_index * 10 + LAYERS.index(layer))
    for _ in range(6):
        _compare(layer, arch, random_mapping(layer, arch, rng))


def test_tree_and_chain_reduction_differ_only_in_first_touches():
    arch = small_archs()[1]
    from dataclasses import replace

    tree = replace(arch, spatial_reduction="tree")
    layer = LAYERS[0]
    rng = np.random.default_rng(7)
    differs = 0
    for _ in range(8):
        m = random_mapping(layer, arch, rng)
        _compare(layer, tree, m)
        a, _ = analyse_mapping(layer.arrays(), arch.arrays(), m.arrays())
        b, _ = analyse_mapping(layer.arrays(), tree.arrays(), m.arrays())
        assert np.array_equal(a[:, :2], b[:, :2]), "weights and inputs do not depend on the reduction rule"
        differs += int(not np.array_equal(a, b))
    assert differs > 0


def test_gapped_union_of_input_windows_is_exact():
    """Spatial output rows above a temporal output-row loop of an intermediate level: the children's input
    windows form separate blocks whose halos do not all overlap (5 rows, not the 4 of one block)."""
    arch = small_archs()[2]
    layer = Layer("g", dict(P=4, R=3))
    m = Mapping(({"temporal": [("P", 2)], "spatial_y": [("R", 3)]}, {"spatial_x": [("P", 2)]}, {}))
    _compare(layer, arch, m)
    counts, _ = analyse_mapping(layer.arrays(), arch.arrays(), m.arrays())
    assert counts[1, 1, 1] == 2 * 5  # two refills of the MACs' inputs, 5 distinct input rows each


def test_walk_catches_a_wrong_count(monkeypatch):
    """The comparison can fail: a model whose count is off by one access is caught by _compare."""
    arch, layer = small_archs()[0], LAYERS[0]
    m = random_mapping(layer, arch, np.random.default_rng(3))
    _compare(layer, arch, m)  # the real model passes

    real = analyse_mapping

    def off_by_one(*args):
        counts, rest = real(*args)
        counts = counts.copy()
        counts[-1, 0, 1] += 1
        return counts, rest

    monkeypatch.setitem(globals(), "analyse_mapping", off_by_one)
    with pytest.raises(pytest.fail.Exception, match="analytic != brute force"):
        _compare(layer, arch, m)
