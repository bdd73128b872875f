"""Per-layer surrogates (issue 18 item 3): the layer decomposition, the features, and a fit that transfers."""

import numpy as np
import pytest

from archgym.surrogates.features import FeatureEncoder
from archgym.surrogates.per_layer import DataflowLayers, PerLayerSurrogate, SystolicLayers, adapter_for
from archgym.surrogates.surrogate import SurrogateError


def test_bad_names_are_refused_with_the_allowed_values():
    with pytest.raises(SurrogateError, match="allowed"):
        adapter_for("archgym/DRAM-v0")
    with pytest.raises(SurrogateError, match="resnet18"):
        SystolicLayers().env("no-such-net")


def test_systolic_layer_features_hold_the_gemm_shape():
    a = SystolicLayers()
    shapes, reps = a.layers("resnet18")
    designs = a.space.sample_many(3, np.random.default_rng(0))
    X = a.features(designs, shapes).reshape(3, len(shapes), -1)
    n_space = FeatureEncoder(a.space).n_features
    j = [i for i, s in enumerate(shapes) if s["filter_h"] == 7][0]
    s = shapes[j]
    # ResNet-18's first conv: a 229x229x3 input, 64 7x7 filters at stride 2 -> (229 - 7) / 2 + 1 = 112 output
    # rows and columns: GEMM M = 112 * 112 = 12544, N = 64, K = 7 * 7 * 3 = 147
    assert (s["gemm_m"], s["gemm_n"], s["gemm_k"]) == (112 * 112, 64, 7 * 7 * 3)
    np.testing.assert_allclose(X[:, j, n_space:n_space + 3], np.log2([[12544, 64, 147]] * 3))
    assert reps.sum() >= len(shapes)


@pytest.mark.slow
@pytest.mark.parametrize("adapter,workload", [(SystolicLayers, "resnet18"), (DataflowLayers, "alexnet")])
def test_network_totals_are_the_sum_of_the_layers(adapter, workload):
    a = adapter()
    designs = a.space.sample_many(4, np.random.default_rng(1))
    shapes, reps = a.layers(workload)
    per, ok = a.simulate_layers(designs, shapes)
    truth, ok2 = a.network_truth(designs, workload)
    assert (ok == ok2).all()
    np.testing.assert_allclose(np.einsum("dlm,l->dm", per[ok], reps), truth[ok], rtol=1e-9)


@pytest.mark.slow
def test_a_per_layer_surrogate_ranks_an_unseen_network():
    a = SystolicLayers()
    rng = np.random.default_rng(0)
    model = PerLayerSurrogate.fit(a, a.space.sample_many(150, rng), ["resnet18"], seed=0,
                                  params={"max_iter": 200})
    test = a.space.sample_many(40, np.random.default_rng(1))
    Y, ok = a.network_truth(test, "alexnet")
    P = model.predict_network([d for d, f in zip(test, ok) if f], "alexnet")
    from scipy.stats import kendalltau

    assert kendalltau(Y[ok, 0], P[:, 0]).statistic > 0.6  # cycles of a network it never saw


def test_random_shapes_are_seeded_valid_layers_of_wide_range():
    a = SystolicLayers()
    one = a.random_shapes(40, np.random.default_rng(3))
    assert one == a.random_shapes(40, np.random.default_rng(3))
    assert len(one) == 40 and all(s["gemm_m"] >= 1 and s["gemm_n"] >= 1 and s["gemm_k"] >= 1 for s in one)
    assert max(s["gemm_n"] * s["gemm_k"] for s in one) > 4608 * 512  # beyond ResNet's largest filter operand
    with pytest.raises(SurrogateError, match=r"random_shapes: value -1 .* allowed: an integer >= 0"):
        PerLayerSurrogate.fit(a, a.space.sample_many(10, np.random.default_rng(0)), ["resnet18"], random_shapes=-1)


def test_the_baselines_are_the_analytic_bound_and_the_macs():
    """The targets are log residuals over these baselines: cycles over max(compute, DRAM-traffic bound),
    energy over the MACs (design and shape only)."""
    a = SystolicLayers()
    shapes, _ = a.layers("resnet18")
    designs = a.space.sample_many(3, np.random.default_rng(0))
    B = a.baselines(designs, shapes).reshape(3, len(shapes), 2)
    macs = np.array([s["gemm_m"] * s["gemm_n"] * s["gemm_k"] for s in shapes], dtype=float)
    np.testing.assert_allclose(B[:, :, 1], np.log(macs)[None, :].repeat(3, 0))
    assert np.all(np.isfinite(B[:, :, 0]))
    # one 16x16 os array: the compute cycles of SCALE-Sim's os dataflow bound the cycles from below
    d = dict(designs[0], ArrayHeight=16, ArrayWidth=16, Dataflow="os")
    s = [x for x in shapes if x["filter_h"] == 7][0]
    m, n, k = s["gemm_m"], s["gemm_n"], s["gemm_k"]
    compute = np.ceil(m / 16) * np.ceil(n / 16) * (k + 16 + 16 - 2) - 1
    assert a.baselines([d], [s])[0, 0] >= np.log(compute) - 1e-9
