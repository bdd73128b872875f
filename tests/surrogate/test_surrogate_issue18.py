"""Issue 18: log targets recorded at fit time, declared features, early-stopped boosting, --model auto on
the training split only, and the one-design prediction path (same numbers as the batched one)."""

import warnings

import gymnasium as gym
import numpy as np
import pytest

import archgym  # noqa: F401
from archgym.records import designs_of, load_records
from archgym.surrogates import TargetTransform, load, train
from archgym.surrogates.data import load_training_data, split
from archgym.surrogates.features import DECLARATIONS, FeatureEncoder, declared_features
from archgym.surrogates.models import EarlyStoppedHGB, is_available
from archgym.surrogates.train import environment_for, select_model


def _env(env_id):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DRAM-v0 is out of date (v1 exists)
        return gym.make(env_id).unwrapped


# -- log targets ------------------------------------------------------------------------------------
def test_heavy_tailed_positive_metric_is_fitted_in_log_space_and_comes_back():
    rng = np.random.default_rng(0)
    y = np.exp(rng.normal(10, 3, 500))  # four orders of magnitude and more
    t = TargetTransform.fit("cycles", y, "auto")
    assert t.log and t.offset == 0 and t.lower == 0.0
    z = t.forward(y)
    assert abs(z.mean()) < 1e-9 and abs(z.std() - 1) < 1e-9  # standardised log
    np.testing.assert_allclose(t.inverse(z), y, rtol=1e-12)
    np.testing.assert_allclose([t.inverse_one(v) for v in z[:50]], t.inverse(z[:50]), rtol=1e-13)
    signed = TargetTransform.fit("delta", rng.normal(0, 1, 100), "auto")
    assert not signed.log and signed.lower is None
    np.testing.assert_allclose([signed.inverse_one(v) for v in (-1.0, 0.5)], signed.inverse(np.array([-1.0, 0.5])))


def test_transform_is_a_fit_time_decision_saved_with_the_model(synthetic_dataset, fast, tmp_path):
    res = train(synthetic_dataset, "hgb", params=fast["hgb"], speed=False)
    sur = res.surrogate
    assert all(t.log for t in sur.transforms.values())  # Synthetic-v0's metrics are positive
    path = sur.save(tmp_path / "s.surrogate")
    again = load(path)
    assert again.transforms == sur.transforms  # recorded, not recomputed on load
    designs = designs_of(res.test_frame)
    np.testing.assert_allclose(again.predict_arrays(designs)[0], sur.predict_arrays(designs)[0], rtol=1e-12)
    none = train(synthetic_dataset, "hgb", params=fast["hgb"], speed=False, target_transform="none").surrogate
    assert not any(t.log for t in none.transforms.values())
    assert none.to_json()["transforms"]["cost"]["log"] is False


# -- declared features ------------------------------------------------------------------------------
@pytest.mark.parametrize("env_id", sorted(DECLARATIONS))
def test_declared_features_derive_from_the_design_alone(env_id):
    env = _env(env_id)
    derived = declared_features(env)
    assert derived.names == list(DECLARATIONS[env_id].names) and derived.source == "archgym.surrogates.features"
    enc = FeatureEncoder(env.design_space, derived)
    designs = env.design_space.sample_many(300, 5)
    X = enc.encode(designs)
    assert X.shape == (300, enc.n_features) and np.isfinite(X).all()
    # one design at a time (compiled kernel on one row) = the batch, and a pure function of the design
    np.testing.assert_array_equal(np.vstack([enc.encode_one(d) for d in designs[:40]]), X[:40])
    np.testing.assert_array_equal(enc.encode(list(reversed(designs)))[::-1], X)
    for p in derived.replaces:  # replaced parameters have no one-hot columns of their own
        assert not any(n == p or n.startswith(p + "=") for n in enc.feature_names)


def test_systolic_features_match_the_environments_own_declaration():
    env = _env("archgym/SystolicArray-v0")
    enc = FeatureEncoder(env.design_space, declared_features(env))
    designs = env.design_space.sample_many(200, 1)
    X = enc.encode(designs)
    names, spec = env.surrogate_features()
    cols = {p: np.array([d[p] for d in designs], dtype=object if p == "Dataflow" else float)
            for p in env.design_space.names}
    theirs = type(env).surrogate_feature_values(cols, spec)
    for n in names:
        np.testing.assert_allclose(X[:, enc.feature_names.index(n)], theirs[n], rtol=1e-12, err_msg=n)
    j = enc.feature_names.index("log2_dram_words_per_pe_cycle")
    np.testing.assert_allclose(X[:, j], [np.log2(d["DramBandwidth"] / (d["ArrayHeight"] * d["ArrayWidth"]))
                                         for d in designs])


def test_dram_features_are_the_knobs_the_controller_reads():
    env = _env("archgym/DRAM-v0")
    enc = FeatureEncoder(env.design_space, declared_features(env))
    f = lambda d, name: enc.encode_one(d)[0, enc.feature_names.index(name)]  # noqa: E731
    base = dict(env.baseline_design)
    simple = {**base, "Arbiter": "Simple", "MaxActiveTransactions": 128}
    fifo = {**base, "Arbiter": "Fifo", "MaxActiveTransactions": 128}
    assert f(simple, "log2_inflight") == 8 and f(fifo, "log2_inflight") == 7  # Simple: no arbiter limit
    assert f({**fifo, "RequestBufferSize": 4}, "log2_queue_depth") == 2
    assert f({**fifo, "MaxActiveTransactions": 2, "RequestBufferSize": 64}, "log2_queue_depth") == 1
    assert f({**simple, "SchedulerBuffer": "Shared", "RequestBufferSize": 64}, "log2_queue_depth") == 6
    closed = {**simple, "SchedulerBuffer": "Shared", "RequestBufferSize": 64, "PagePolicy": "Closed"}
    assert f(closed, "closed_log2_queue_depth") == 6 and f({**closed, "PagePolicy": "Open"}, "closed_log2_queue_depth") == 0
    rw = {**base, "SchedulerBuffer": "ReadWrite", "RequestBufferSize": 1}
    shared = {**base, "SchedulerBuffer": "Shared", "RequestBufferSize": 4}
    bankwise = {**base, "SchedulerBuffer": "Bankwise", "RequestBufferSize": 4}
    assert f(rw, "log2_buffer_entries") == 4 and f(shared, "log2_buffer_entries") == 2
    assert f(bankwise, "log2_buffer_entries") == 2 + np.log2(env.channel.spec.banks)
    off = {**base, "RefreshPolicy": "NoRefresh", "RefreshMaxPostponed": 8}
    on = {**base, "RefreshPolicy": "AllBank", "RefreshMaxPostponed": 8}
    assert f(off, "refresh_postponed") == 0 and f(on, "refresh_postponed") == 8


def test_mapping_loop_positions_replace_the_one_hot_orders():
    env = _env("archgym/Mapping-v0")
    enc = FeatureEncoder(env.design_space, declared_features(env))
    plain = FeatureEncoder(env.design_space)
    assert enc.n_features < plain.n_features - 1000  # 2 x 720 one-hot columns gone
    d = {**env.design_space.sample(np.random.default_rng(0)), "l2_order": "KCYXRS", "l1_order": "SRXYCK"}
    x = enc.encode_one(d)[0]
    pos = lambda lvl, dim: x[enc.feature_names.index(f"{lvl}_pos_{dim}")]  # noqa: E731
    assert [pos("l2", k) * 5 for k in "KCYXRS"] == [0, 1, 2, 3, 4, 5]
    assert [pos("l1", k) * 5 for k in "KCYXRS"] == [5, 4, 3, 2, 1, 0]


def test_surrogate_with_declared_features_saves_and_loads(tmp_path):
    env = _env("archgym/Mapping-v0")
    from archgym.collect import collect

    collect(env.env_id, 300, "random", 0, out=tmp_path / "d", progress=False)
    res = train(tmp_path / "d", "hgb", params={"max_iter": 30}, speed=False)
    meta = res.surrogate.to_json()["derived_features"]
    assert meta["source"] == "archgym.surrogates.features" and meta["replaces"] == ["l2_order", "l1_order"]
    again = load(res.surrogate.save(tmp_path / "m.surrogate"))
    designs = designs_of(res.test_frame)
    np.testing.assert_allclose(again.predict_arrays(designs)[0], res.surrogate.predict_arrays(designs)[0])


# -- early-stopped boosting -------------------------------------------------------------------------
def test_early_stopped_hgb_follows_sklearn_conventions():
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    rng = np.random.default_rng(0)
    X = rng.random((600, 4))
    y = 3 * X[:, 0] + np.sin(6 * X[:, 1])
    est = EarlyStoppedHGB(max_iter=500, random_state=0)
    with pytest.raises(NotFittedError):
        est.predict(X)
    assert clone(est).get_params() == est.get_params()
    est.fit(X, y)
    assert est.stopped_at_ < 500 and est.n_iter_ == est.stopped_at_ and est.n_features_in_ == 4
    assert est.estimator_.n_iter_ == est.stopped_at_  # refit on every row with the stopping point
    assert est.score(X, y) > 0.95
    np.testing.assert_array_equal(est.predict(X), clone(est).fit(X, y).predict(X))  # seeded
    tiny = EarlyStoppedHGB(max_iter=20, random_state=0).fit(X[:15], y[:15])  # too few rows to hold out
    assert tiny.n_iter_ == 20
    assert EarlyStoppedHGB(max_iter=1000, random_state=0).fit(X[:15], y[:15]).n_iter_ == 100  # no 1000 on 15 rows


# -- --model auto: cross-validation on the training split only ------------------------------------
def test_auto_selection_never_sees_the_held_out_designs(synthetic_dataset):
    data = load_training_data(synthetic_dataset)
    env = environment_for(data)
    tr, te = split(data.frame, 0.2, 0)
    cands = (("hgb", {"max_iter": 40}), ("knn", {}), ("rf", {"n_estimators": 20}))
    a = select_model(data, tr, env, candidates=cands)
    # scramble every held-out metric: the selection and its CV scores do not move
    data.frame.loc[data.frame.index[te], [c for c in data.frame.columns if c.startswith("metric.")]] *= 1000.0
    b = select_model(data, tr, env, candidates=cands)
    assert a["model"] == b["model"]
    assert [c["cv_rmse_std_units"] for c in a["candidates"]] == [c["cv_rmse_std_units"] for c in b["candidates"]]
    assert {c["model"] for c in a["candidates"]} == {"hgb", "knn", "rf"}
    assert a["model"] == min(a["candidates"], key=lambda c: c["cv_rmse_std_units"])["model"]


# -- one design at a time -------------------------------------------------------------------------
MODELS = ["hgb", "rf", "knn"] + (["xgb"] if is_available("xgb") else [])


@pytest.mark.parametrize("model", MODELS)
def test_one_design_path_gives_the_batched_numbers(model, synthetic_dataset, fast):
    res = train(synthetic_dataset, model, params=fast[model], speed=False)
    sur = res.surrogate
    designs = designs_of(res.test_frame)[:80]
    batched = sur.predict(designs)
    one = [sur.predict([d])[0] for d in designs]
    for a, b in zip(one, batched):
        assert a.keys() == b.keys()
        np.testing.assert_allclose([a[k] for k in a], [b[k] for k in b], rtol=1e-12)
    assert sur.predict_one(designs[0]) == one[0]


def test_one_design_path_keeps_feasibility(infeasible_dataset, partly_infeasible_env):
    res = train(infeasible_dataset, "hgb", env=partly_infeasible_env, params={"max_iter": 60}, speed=False)
    sur = res.surrogate
    designs = designs_of(load_records(infeasible_dataset))[:200]
    batched = sur.predict(designs)
    one = [sur.predict_one(d) for d in designs]
    assert [isinstance(x, dict) for x in one] == [isinstance(x, dict) for x in batched]
    assert not all(isinstance(x, dict) for x in one)  # some predicted infeasible
    for a, b in zip(one, batched):
        if isinstance(a, dict):
            np.testing.assert_allclose(list(a.values()), list(b.values()), rtol=1e-12)
