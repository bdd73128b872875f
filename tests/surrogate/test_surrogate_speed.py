"""Compiled multi-output tree ensembles and the batched kernel's block layout (issue 18 item 2)."""

import numpy as np
import pytest

from archgym.surrogates import compiled
from archgym.surrogates.compiled import compile_regressors


def _data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 6))
    X[:, 2] = np.round(X[:, 2] * 4) / 4
    Y = np.column_stack([3 * X[:, 0] + np.sin(5 * X[:, 1]), X[:, 2] ** 2 + X[:, 3], X[:, 4] * X[:, 5]])
    return X, Y


@pytest.mark.parametrize("strategy", ["multi_output_tree", "one_output_per_tree"])
def test_compiled_xgboost_multi_target_matches_xgboost(strategy):
    xgb = pytest.importorskip("xgboost")
    X, Y = _data()
    Xt, _ = _data(1000, 1)
    est = xgb.XGBRegressor(n_estimators=30, max_depth=4, n_jobs=1, tree_method="hist", multi_strategy=strategy,
                           random_state=0).fit(X, Y)
    ens = compile_regressors({"*": est}, ["a", "b", "c"])
    assert ens is not None and ens.n_outputs == 3
    np.testing.assert_allclose(ens.predict(Xt), est.predict(Xt), atol=2e-5)
    # one row walks the single-row path of the kernel: the same numbers as the batch
    np.testing.assert_allclose(ens.predict(Xt[:1]), ens.predict(Xt)[:1], atol=1e-12)


def test_batched_blocks_cover_partial_blocks():
    from sklearn.ensemble import HistGradientBoostingRegressor

    X, Y = _data()
    est = {m: HistGradientBoostingRegressor(max_iter=15, random_state=0).fit(X, Y[:, j]) for j, m in enumerate("abc")}
    ens = compile_regressors(est, list("abc"))
    n = 2 * compiled.BLOCK + 3  # two full blocks and a partial one
    Xt, _ = _data(n, 2)
    ref = np.column_stack([est[m].predict(Xt) for m in "abc"])
    np.testing.assert_allclose(ens.predict(Xt), ref, atol=1e-12)
    rows = np.stack([ens.predict(Xt[i:i + 1])[0] for i in range(0, n, 37)])
    np.testing.assert_allclose(rows, ref[::37], atol=1e-12)
