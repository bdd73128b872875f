"""Compiled tree ensembles, one-design encoding, declared features and the Mapping workload (issue 18)."""

import gymnasium as gym
import numpy as np
import pytest

import archgym  # noqa: F401
from archgym.surrogates.compiled import compile_classifier, compile_regressors
from archgym.surrogates.features import DECLARATIONS, FeatureEncoder, declared_features
from archgym.surrogates.train import make_environment


def _data(n=800, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 5))
    X[:, 2] = np.round(X[:, 2] * 4) / 4
    return X, np.column_stack([3 * X[:, 0] + np.sin(5 * X[:, 1]), X[:, 2] ** 2 + X[:, 3]])


def test_compiled_trees_match_their_libraries():
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor, RandomForestRegressor

    X, Y = _data()
    Xt, _ = _data(2000, 1)
    hgb = {m: HistGradientBoostingRegressor(max_iter=30, random_state=0).fit(X, Y[:, j]) for j, m in enumerate("ab")}
    np.testing.assert_allclose(compile_regressors(hgb, ["a", "b"]).predict(Xt),
                               np.column_stack([hgb[m].predict(Xt) for m in "ab"]), rtol=1e-12, atol=1e-12)
    rf = RandomForestRegressor(20, random_state=0).fit(X, Y)
    np.testing.assert_allclose(compile_regressors({"*": rf}, ["a", "b"]).predict(Xt), rf.predict(Xt), atol=1e-12)
    clf = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, Y[:, 0] > 2)
    p = 1 / (1 + np.exp(-compile_classifier(clf).predict(Xt)[:, 0]))
    np.testing.assert_allclose(p, clf.predict_proba(Xt)[:, 1], atol=1e-12)


def test_compiled_xgboost_matches():
    xgb = pytest.importorskip("xgboost")
    X, Y = _data()
    Xt, _ = _data(2000, 1)
    est = {m: xgb.XGBRegressor(n_estimators=40, max_depth=5, n_jobs=1).fit(X, Y[:, j]) for j, m in enumerate("ab")}
    np.testing.assert_allclose(compile_regressors(est, ["a", "b"]).predict(Xt),
                               np.column_stack([est[m].predict(Xt) for m in "ab"]), atol=1e-5)


def test_encode_one_equals_encode_and_declared_features():
    env = gym.make("archgym/SystolicArray-v0").unwrapped
    enc = FeatureEncoder(env.design_space, declared_features(env))
    assert enc.n_features == len(env.design_space.feature_names) + len(DECLARATIONS[env.env_id].names)
    designs = env.design_space.sample_many(50, 3)
    X = enc.encode(designs)
    np.testing.assert_allclose(np.vstack([enc.encode_one(d) for d in designs]), X)
    # a feature derived from the design alone, checked against the design: log2 of the PE count
    j = enc.feature_names.index("log2_pes")
    np.testing.assert_allclose(X[:, j], [np.log2(d["ArrayHeight"] * d["ArrayWidth"]) for d in designs])


def test_mapping_workload_rebuilds_its_layer():
    env = gym.make("archgym/Mapping-v0").unwrapped
    again = make_environment("archgym/Mapping-v0", env.workload)
    assert again.workload == env.workload and again.design_space == env.design_space
