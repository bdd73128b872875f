"""Issue 18 item 1: accuracy from little data -- declared features (design + workload shape only),
monotonic constraints, per-metric model choice in ``--model auto``, compiled mixed ensembles."""

import math

import gymnasium as gym
import numpy as np
import pytest

import archgym  # noqa: F401
from archgym.collect import collect
from archgym.simulators.dataflow.gamma import genome_mapping
from archgym.surrogates.compiled import CompiledSum, compile_regressors
from archgym.surrogates.data import load_training_data, split
from archgym.surrogates.features import DECLARATIONS, FeatureEncoder, declared_features, monotone_constraints
from archgym.surrogates.metrics import rmse
from archgym.surrogates.models import MONOTONE, is_available
from archgym.surrogates.train import environment_for, evaluate, fit, select_model


def _env(env_id):
    return gym.make(env_id).unwrapped


# -- declared features read no simulator output --------------------------------------------------------
@pytest.mark.parametrize("env_id", sorted(DECLARATIONS))
def test_declared_features_never_call_the_simulator(env_id, monkeypatch):
    """By construction: with every simulator entry point of the environment raising, the features are
    still computed (they come from the design and the workload's shape), and the workload constants
    they keep are plain numbers and lists (no metric)."""
    env = _env(env_id)
    designs = env.design_space.sample_many(64, 11)
    before = FeatureEncoder(env.design_space, declared_features(env)).encode(designs)

    def refuse(*a, **k):
        raise AssertionError("a declared feature asked the simulator")

    for name in ("simulate", "simulate_batch", "_simulate_batch", "evaluate_many", "_evaluate", "step"):
        if hasattr(env, name):
            monkeypatch.setattr(env, name, refuse)
    derived = declared_features(env)
    enc = FeatureEncoder(env.design_space, derived)
    np.testing.assert_array_equal(enc.encode(designs), before)
    metric_names = set(env.metrics)
    assert not metric_names & set(derived.spec), "a metric name among the workload constants"
    for metric, signs in derived.monotone.items():
        assert metric in metric_names and set(signs) <= set(enc.feature_names)


def test_mapping_features_follow_the_genomes_scheduling_rules():
    """The spatial fan-outs and temporal steps of the declared features against the loop nest that the
    simulator's genome decoder (``gamma.genome_mapping``) builds from the same genomes."""
    env = _env("archgym/Mapping-v0")
    enc = FeatureEncoder(env.design_space, declared_features(env))
    designs = env.design_space.sample_many(300, 3)
    X = enc.encode(designs)
    col = {n: enc.feature_names.index(n) for n in ("log2_pes_used", "log2_temporal_steps", "pe_use_share")}
    macs = env.layer.macs
    for d, x in zip(designs, X):
        m = genome_mapping(env.layer, d, int(d["num_pes"]))
        spatial = math.prod(f for lv in m.levels for _, f in lv.spatial_x + lv.spatial_y)
        assert x[col["log2_pes_used"]] == pytest.approx(math.log2(spatial), abs=1e-12)
        assert x[col["log2_temporal_steps"]] == pytest.approx(math.log2(macs / spatial), abs=1e-9)
        assert x[col["pe_use_share"]] == pytest.approx(spatial / d["num_pes"], abs=1e-12)


def test_monotone_constraints_name_the_encoders_features():
    env = _env("archgym/SystolicArray-v0")
    enc = FeatureEncoder(env.design_space, declared_features(env))
    cst = monotone_constraints(enc, "area_mm2")
    assert len(cst) == enc.n_features and cst[enc.feature_names.index("ArrayHeight")] == 1
    assert cst[enc.feature_names.index("DramBandwidth")] == 0
    assert monotone_constraints(enc, "energy_uj") is None  # nothing declared: no constraint


# -- monotone fits, per-metric auto, compiled mixed ensembles ------------------------------------------
@pytest.fixture(scope="module")
def mapping_data(tmp_path_factory):
    out = tmp_path_factory.mktemp("mapping") / "d"
    collect("archgym/Mapping-v0", 600, "random", 0, out=out, progress=False)
    data = load_training_data(out)
    return data, environment_for(data)


def test_a_monotone_fit_is_monotone(mapping_data):
    data, env = mapping_data
    tr, _ = split(data.frame, 0.2, 0)
    sur = fit(data, tr, env, "hgb", params={MONOTONE: True, "max_iter": 60}, seed=0)
    j = list(env.metrics).index("area_mm2")
    base = env.design_space.sample_many(20, 4)
    for d in base:
        sweep = [{**d, "num_pes": p} for p in env.design_space["num_pes"].values]
        area = sur.predict_features(sur.encoder.encode(sweep))[:, j]
        assert np.all(np.diff(area) >= 0), "area must not fall as num_pes grows (monotone constraint)"


def test_auto_picks_each_metrics_best_candidate_and_compiles_exactly(mapping_data):
    data, env = mapping_data
    tr, te = split(data.frame, 0.2, 0)
    cands = [("hgb", {"max_iter": 40}), ("hgb", {"max_iter": 40, MONOTONE: True})]
    if is_available("xgb"):
        cands.append(("xgb", {"n_estimators": 60, "max_depth": 4}))
    sel = select_model(data, tr, env, candidates=tuple(cands))
    for m, win in sel["per_metric"].items():
        scored = [c for c in sel["candidates"] if c["cv_rmse_per_metric"][m] is not None]
        assert win["cv_rmse_std_units"] == min(c["cv_rmse_per_metric"][m] for c in scored)
    mono = next(c for c in sel["candidates"] if c["params"].get(MONOTONE))
    assert mono["cv_rmse_per_metric"]["area_mm2"] is not None  # the only metric with declared constraints
    assert mono["cv_rmse_per_metric"]["cycles"] is None
    sur = fit(data, tr, env, "auto", selection=sel, seed=0)
    assert set(sur.metadata["training"]["per_metric_models"]) == set(env.metrics)
    X = sur.encoder.encode(data.frame.iloc[te])
    reg = compile_regressors(sur.estimators, sur.metric_names)
    assert reg is not None
    library = np.column_stack([np.asarray(sur.estimators[m].predict(X), dtype=float) for m in sur.metric_names])
    kinds = {type(e).__name__ for e in sur.estimators.values()}
    atol = 1e-5 if "XGBRegressor" in kinds else 1e-12  # XGBoost sums in float32
    np.testing.assert_allclose(reg.predict(X), library, atol=atol)


def test_mixed_hgb_and_xgb_metrics_compile_to_the_library_numbers():
    xgb = pytest.importorskip("xgboost")
    from sklearn.ensemble import HistGradientBoostingRegressor

    rng = np.random.default_rng(0)
    X = rng.random((600, 4))
    Y = np.column_stack([np.sin(6 * X[:, 0]) + X[:, 1], X[:, 2] * X[:, 3], X[:, 0] ** 2])
    est = {"a": HistGradientBoostingRegressor(max_iter=30, random_state=0).fit(X, Y[:, 0]),
           "b": xgb.XGBRegressor(n_estimators=30, max_depth=4, n_jobs=1).fit(X, Y[:, 1]),
           "c": HistGradientBoostingRegressor(max_iter=20, random_state=0).fit(X, Y[:, 2])}
    reg = compile_regressors(est, ["a", "b", "c"])
    assert isinstance(reg, CompiledSum)
    Xt = rng.random((2000, 4))
    got = reg.predict(Xt)
    np.testing.assert_allclose(got[:, [0, 2]], np.column_stack([est["a"].predict(Xt), est["c"].predict(Xt)]),
                               rtol=1e-12, atol=1e-12)  # scikit-learn's own float64 walk, exactly
    np.testing.assert_allclose(got[:, 1], est["b"].predict(Xt), atol=1e-5)  # XGBoost sums in float32


# -- accuracy at a few hundred designs, against independent baselines ---------------------------------
def test_declared_features_beat_the_raw_design_and_the_mean_at_500_designs(mapping_data):
    """Mapping-v0, 480 training designs: the held-out cycles RMSE with the declared features is under
    a quarter of the raw-parameter model's and under a tenth of the mean predictor's; reward tau 0.9+."""
    data, env = mapping_data
    tr, te = split(data.frame, 0.2, 0)
    test = data.frame.iloc[te]
    small = {"max_iter": 150}
    rep = evaluate(fit(data, tr, env, "hgb", params=small, seed=0), test, env)
    raw = evaluate(fit(data, tr, env, "hgb", params=small, seed=0, features="space"), test, env)
    y = test.loc[test["feasible"], "metric.cycles"].to_numpy()
    mean_pred = data.frame.iloc[tr].query("feasible")["metric.cycles"].mean()
    mine = rep["metrics"]["cycles"]["rmse"]
    assert mine < 0.25 * raw["metrics"]["cycles"]["rmse"], (mine, raw["metrics"]["cycles"]["rmse"])
    assert mine < 0.1 * rmse(y, np.full_like(y, mean_pred)), mine
    assert rep["reward"]["kendall_tau"] >= 0.9 > raw["reward"]["kendall_tau"]
