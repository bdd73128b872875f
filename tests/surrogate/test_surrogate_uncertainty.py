"""Prediction intervals (issue 18 item 5): coverage against a known noise law, persistence, and the
backend's ``info``.

The environment is Synthetic-v0 with its cost multiplied by exp(0.2 * e), e standard normal drawn afresh
per evaluation: the exact 90 % interval of log(cost) around its noise-free value is +-1.645 * 0.2
(width 0.658), so a calibrated interval covers about 90 % of held-out designs and is no narrower than that.
"""

import gymnasium as gym
import numpy as np
import pytest

from archgym.envs.synthetic import SyntheticEnv
from archgym.records import designs_of
from archgym.runner import run
from archgym.surrogates.surrogate import SurrogateError, load
from archgym.surrogates.train import train
from archgym.surrogates.uncertainty import IntervalInfo, attach_intervals, fit_intervals

SIGMA = 0.2
Z90 = 1.6448536269514722  # standard normal 95th percentile


class NoisySynthetic(SyntheticEnv):
    env_id = "test/NoisySynthetic-v0"

    def __init__(self, **kw):
        super().__init__(**kw)
        self._noise = np.random.default_rng(123)

    def simulate(self, design: dict) -> dict:
        m = super().simulate(design)
        m["cost"] *= float(np.exp(SIGMA * self._noise.standard_normal()))
        return m


@pytest.fixture(scope="module")
def noisy(tmp_path_factory):
    out = tmp_path_factory.mktemp("noisy") / "run"
    run(NoisySynthetic(), "random", 3000, 0, out=out, agent_params={"batch_size": 500}, progress=False, plot=False)
    res = train(out, "hgb", env=NoisySynthetic(), params={"max_iter": 150}, seed=0, speed=False)
    return res


@pytest.mark.slow
@pytest.mark.parametrize("method", ["cqr", "quantile"])
def test_coverage_of_the_90pct_interval_matches_the_noise_law(noisy, method):
    entry = attach_intervals(noisy, method=method, seed=0)
    cost = entry["metrics"]["cost"]
    n = entry["n_test_feasible"]
    sd = np.sqrt(0.9 * 0.1 / n)  # binomial spread of a 90 % coverage on n designs
    if method == "cqr":  # calibrated: 90 % up to sampling error
        assert abs(cost["coverage"] - 0.9) < 4 * sd + 0.01, cost
    else:  # plain quantile boosting: below 90 % (its models fit their own training noise), not far below
        assert 0.7 < cost["coverage"] < 0.9 + 4 * sd, cost
    # width on the log scale: the noise's own 2 * 1.645 * sigma, plus some model error, not much more
    frame = noisy.test_frame
    lo, hi = noisy.surrogate.predict_interval(frame)
    j = noisy.surrogate.metric_names.index("cost")
    width = np.median(np.log(hi[:, j] / lo[:, j]))
    assert (0.8 if method == "cqr" else 0.6) * 2 * Z90 * SIGMA < width < 1.6 * 2 * Z90 * SIGMA, width
    # the existing report keys are untouched, the new one is added
    assert {"metrics", "reward"} <= set(noisy.report) and noisy.report["intervals"]["level"] == 0.9


@pytest.mark.slow
def test_intervals_persist_and_reach_the_step_info(noisy, tmp_path):
    attach_intervals(noisy, seed=0)
    path = noisy.surrogate.save(tmp_path / "s.surrogate")
    again = load(path)
    frame = noisy.test_frame.iloc[:50]
    for a, b in zip(noisy.surrogate.predict_interval(frame), again.predict_interval(frame)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    env = IntervalInfo(gym.wrappers.PassiveEnvChecker(NoisySynthetic(backend="surrogate", model=again)))
    env.reset(seed=0)
    d = designs_of(noisy.test_frame.iloc[:1])[0]
    _, _, _, _, info = env.step(env.unwrapped.encode_action(d))
    lo, hi = info["surrogate_interval"]["cost"]
    blo, bhi = again.predict_interval([d])
    j = again.metric_names.index("cost")
    assert lo == pytest.approx(blo[0, j], rel=1e-12) and hi == pytest.approx(bhi[0, j], rel=1e-12)
    assert lo <= info["metrics"]["cost"] <= hi


def test_bad_arguments_are_named(synthetic_dataset):
    res = train(synthetic_dataset, "hgb", params={"max_iter": 20}, speed=False)
    X = res.surrogate.encoder.encode(res.test_frame)
    Y = res.test_frame[["metric.cost", "metric.distance"]].to_numpy()
    with pytest.raises(SurrogateError, match="level"):
        fit_intervals(res.surrogate, X, Y, level=1.5)
    with pytest.raises(SurrogateError, match="method"):
        fit_intervals(res.surrogate, X, Y, method="bootstrap")
    with pytest.raises(SurrogateError, match="no prediction intervals"):
        res.surrogate.predict_interval(res.test_frame)
    with pytest.raises(SurrogateError, match="IntervalInfo"):
        IntervalInfo(gym.make("archgym/Synthetic-v0"))
