"""BO's Gaussian process (gradient, fit, posterior) and its batch suggestions."""

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from archgym.agents.bo import BayesianOptimization
from archgym.agents.gaussian_process import GaussianProcess
from archgym.core.spaces import Categorical, DesignSpace, Integer, PowerOfTwo


def test_marginal_likelihood_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    X = rng.random((30, 4))
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
    y = (y - y.mean()) / y.std()
    gp = GaussianProcess()
    theta = np.concatenate([np.log(rng.uniform(0.2, 2.0, 4)), [0.3, np.log(1e-2)]])
    analytic = gp._neg_log_posterior(theta, X, y)[1]
    numeric = approx_fprime(theta, lambda t: gp._neg_log_posterior(t, X, y)[0], 1e-6)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-4)


def test_gp_learns_a_smooth_function_and_its_irrelevant_inputs():
    """RMSE below 5 % of the target's spread on held-out points; the ARD length-scale of an input
    the function ignores grows larger than those of the inputs it uses."""
    rng = np.random.default_rng(1)
    f = lambda X: np.sin(3 * X[:, 0]) + (X[:, 1] - 0.5) ** 2  # noqa: E731  (x2 is irrelevant)
    X, Xt = rng.random((80, 3)), rng.random((300, 3))
    gp = GaussianProcess().fit(X, f(X), rng)
    mu, sd, _ = gp.predict(Xt)
    pred = mu * gp.y_std + gp.y_mean
    assert np.sqrt(np.mean((pred - f(Xt)) ** 2)) < 0.05 * f(Xt).std()
    assert gp.ell[2] > 2 * max(gp.ell[0], gp.ell[1])
    # at the training points the posterior is (almost) certain
    _, sd_train, _ = gp.predict(X[:5])
    assert (sd_train < 0.05).all()


SPACE = DesignSpace([Integer("a", 0, 20), Integer("b", 0, 20), PowerOfTwo("p", 1, 256), Categorical("c", ("u", "v"))])


def _bowl(d):
    return -((d["a"] - 13) ** 2 + (d["b"] - 4) ** 2 + (np.log2(d["p"]) - 5) ** 2) - (d["c"] == "u") * 3.0


def test_bo_encodes_with_the_space_features():
    bo = BayesianOptimization(SPACE, seed=0)
    rows = bo.grid.random(20, np.random.default_rng(0))
    np.testing.assert_allclose(bo.grid.features(rows), SPACE.to_features(bo.grid.decode(rows)))


@pytest.mark.parametrize("acquisition", ["ei", "ucb"])
def test_batches_are_distinct_unseen_designs_and_improve(acquisition):
    bo = BayesianOptimization(SPACE, seed=3, acquisition=acquisition, n_initial=8)
    seen = set()
    for _ in range(10):
        batch = bo.ask(5)
        keys = {tuple(d.values()) for d in batch}
        assert len(keys) == 5 and not keys & seen
        seen |= keys
        bo.tell(batch, [_bowl(d) for d in batch])
    best_random = max(_bowl(d) for d in SPACE.sample_many(50, 3))
    assert bo.best_reward > best_random
    assert bo.best_reward >= -2.0, bo.best_design  # within two grid steps of the optimum after 50 designs


def test_kriging_believer_spreads_a_batch():
    """After a pick, the variance at the pick collapses, so a batch does not pile onto one spot:
    its designs are farther apart than the closest pairs of the same size from the pool's top."""
    bo = BayesianOptimization(SPACE, seed=4, n_initial=12, acquisition="ucb", kappa=3.0)
    first = bo.ask(12)
    bo.tell(first, [_bowl(d) for d in first])
    batch = bo.ask(6)
    feats = SPACE.to_features(batch)
    dist = np.sqrt(((feats[:, None] - feats[None]) ** 2).sum(-1))
    assert dist[np.triu_indices(6, 1)].min() > 0


def test_infeasible_designs_do_not_flatten_the_model():
    bo = BayesianOptimization(SPACE, seed=5)
    designs = SPACE.sample_many(6, 0)
    bo.tell(designs, [-1.0, -2.0, -100.0, -3.0, -100.0, -1.5],
            [{"feasible": f} for f in (True, True, False, True, False, True)])
    y = np.array(bo.rewards, dtype=float)
    ok = np.array(bo.feasible)
    assert (bo._targets()[~ok] == bo._targets()[ok].min()).all()
    assert y[~ok].tolist() == [-100.0, -100.0]
