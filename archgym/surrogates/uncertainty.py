"""Prediction intervals of a surrogate's metrics (issue 18 item 5), and how often they hold.

>>> result = train("runs/dram-random", model="hgb", seed=0)
>>> attach_intervals(result)                       # fits on the training split, reports on the held-out one
>>> result.report["intervals"]["metrics"]["latency_ns"]["coverage"]     # share of held-out designs inside
>>> lo, hi = result.surrogate.predict_interval(designs)                  # (n, n_metrics) each, metric units

Two methods, both model-agnostic (the point model is left as it is):

- ``"quantile"``: per metric, two histogram-gradient-boosting regressors with the pinball (quantile) loss
  at ``(1 - level) / 2`` and ``(1 + level) / 2``, fitted on the surrogate's transformed (log, standardised)
  targets. Quantiles commute with a monotone transform, so the interval in metric units is the inverse
  transform of the two predictions.
- ``"cqr"`` (default): conformalised quantile regression (Romano, Patterson and Candes, NeurIPS 2019):
  the quantile models are fitted on ``1 - calibration_fraction`` of the training rows; on the rest the
  score ``max(lo - z, z - hi)`` is computed and the interval widened (or narrowed) by its
  ``ceil((n + 1) level) / n`` empirical quantile, so that a new design from the same distribution falls
  inside with probability at least ``level`` (marginally, over designs).

Both compile to the same flat trees as the point model (:mod:`archgym.surrogates.compiled`), so an
interval of one design costs about what its prediction does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from archgym.core.backend import backend_info
from archgym.records import METRIC_PREFIX
from archgym.surrogates.compiled import compile_regressors
from archgym.surrogates.surrogate import Surrogate, SurrogateError, limit_threads

METHODS = ("cqr", "quantile")
#: quantile boosting: iterations at most (early stopping on 10 % of the fitting rows), leaves per tree
QUANTILE_PARAMS = {"max_iter": 500, "max_leaf_nodes": 31, "min_samples_leaf": 10, "learning_rate": 0.1,
                   "early_stopping": True, "n_iter_no_change": 20, "validation_fraction": 0.1}


class Intervals:
    """Lower and upper quantile models of every metric of a surrogate, on its transformed scale, plus
    a conformal correction ``shift`` per metric (0 for the plain quantile method)."""

    def __init__(self, metric_names: Sequence[str], lower: Mapping[str, Any], upper: Mapping[str, Any],
                 level: float, method: str, shift: Mapping[str, float], details: Mapping[str, Any] | None = None):
        self.metric_names = list(metric_names)
        self.lower, self.upper = dict(lower), dict(upper)
        self.level, self.method = float(level), method
        self.shift = {m: float(shift[m]) for m in self.metric_names}
        self.details = dict(details or {})
        self._compiled: Any = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_compiled"] = None  # rebuilt on first use
        return state

    @property
    def compiled(self):
        if self._compiled is None:
            self._compiled = (compile_regressors(self.lower, self.metric_names),
                              compile_regressors(self.upper, self.metric_names))
        return self._compiled

    def transformed(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) on the transformed scale, shifts applied, (n, n_metrics) each."""
        lo_c, hi_c = self.compiled
        if lo_c is not None and hi_c is not None:
            lo, hi = lo_c.predict(X), hi_c.predict(X)
        else:
            lo = np.column_stack([self.lower[m].predict(X) for m in self.metric_names])
            hi = np.column_stack([self.upper[m].predict(X) for m in self.metric_names])
        s = np.array([self.shift[m] for m in self.metric_names])
        lo, hi = lo - s, hi + s
        return np.minimum(lo, hi), np.maximum(lo, hi)  # quantile models may cross: an interval stays ordered

    def summary(self) -> dict:
        return {"level": self.level, "method": self.method, "shift_std_units": dict(self.shift), **self.details}


def _quantile_model(q: float, seed: int):
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(loss="quantile", quantile=q, random_state=seed, **QUANTILE_PARAMS)


def fit_intervals(surrogate: Surrogate, X: np.ndarray, Y: np.ndarray, *, level: float = 0.9, method: str = "cqr",
                  calibration_fraction: float = 0.2, seed: int = 0) -> Intervals:
    """Fit the intervals of ``surrogate`` on training designs: features ``X`` (n, n_features, the
    surrogate's encoding) and metric values ``Y`` (n, n_metrics, in ``surrogate.metric_names`` order, feasible
    designs only); attaches them as ``surrogate.intervals`` and returns them."""
    if not 0 < level < 1:
        raise SurrogateError(f"level: value {level!r} is not allowed; allowed: a coverage strictly between 0 and 1")
    if method not in METHODS:
        raise SurrogateError(f"method: value {method!r} is not allowed; allowed: {list(METHODS)}")
    if not 0 < calibration_fraction < 1:
        raise SurrogateError(f"calibration_fraction: value {calibration_fraction!r} is not allowed; "
                             "allowed: a share strictly between 0 and 1")
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    names = surrogate.metric_names
    if X.ndim != 2 or X.shape[1] != surrogate.encoder.n_features or Y.shape != (X.shape[0], len(names)):
        raise SurrogateError(f"X, Y: shapes {X.shape}, {Y.shape} are not allowed; allowed: (n, "
                             f"{surrogate.encoder.n_features}) and (n, {len(names)})")
    Z = np.column_stack([surrogate.transforms[m].forward(Y[:, j]) for j, m in enumerate(names)])
    rng = np.random.default_rng(seed)
    order = rng.permutation(X.shape[0])
    n_cal = int(round(calibration_fraction * X.shape[0])) if method == "cqr" else 0
    if method == "cqr" and (n_cal < 10 or X.shape[0] - n_cal < 20):
        raise SurrogateError(f"method 'cqr' needs at least 10 calibration and 20 fitting designs; got "
                             f"{X.shape[0]} designs (calibration_fraction {calibration_fraction})")
    cal, fit_rows = order[:n_cal], order[n_cal:]
    qlo, qhi = (1 - level) / 2, (1 + level) / 2
    lower, upper, shift = {}, {}, {}
    with limit_threads(surrogate.threads):
        for j, m in enumerate(names):
            lower[m] = _quantile_model(qlo, seed).fit(X[fit_rows], Z[fit_rows, j])
            upper[m] = _quantile_model(qhi, seed).fit(X[fit_rows], Z[fit_rows, j])
            shift[m] = 0.0
            if method == "cqr":
                z = Z[cal, j]
                score = np.maximum(lower[m].predict(X[cal]) - z, z - upper[m].predict(X[cal]))
                k = min(n_cal, math.ceil((n_cal + 1) * level))  # the finite-sample conformal rank
                shift[m] = float(np.sort(score)[k - 1])
    details = {"quantiles": [qlo, qhi], "n_fit": int(fit_rows.size), "n_calibration": int(n_cal), "seed": int(seed),
               "quantile_params": dict(QUANTILE_PARAMS)}
    surrogate.intervals = Intervals(names, lower, upper, level, method, shift, details)
    surrogate.metadata["intervals"] = surrogate.intervals.summary()
    return surrogate.intervals


def interval_report(surrogate: Surrogate, frame) -> dict:
    """Coverage of ``surrogate``'s intervals on the feasible rows of dataset ``frame`` (held-out
    designs): per metric the share of designs whose true value lies inside, the mean width as % of
    the metric's mean, and the share of point predictions inside their own interval."""
    if getattr(surrogate, "intervals", None) is None:
        raise SurrogateError("the surrogate has no intervals; fit them first (fit_intervals / attach_intervals)")
    feasible = frame["feasible"].to_numpy(dtype=bool)
    if not feasible.any():
        raise SurrogateError("no feasible design to measure interval coverage on")
    X = surrogate.encoder.encode(frame)[feasible]
    lo, hi = surrogate.predict_interval_features(X)
    point = surrogate.predict_features(X)
    per = {}
    for j, m in enumerate(surrogate.metric_names):
        y = frame.loc[feasible, METRIC_PREFIX + m].to_numpy(dtype=float)
        inside = (y >= lo[:, j]) & (y <= hi[:, j])
        mean = float(np.mean(np.abs(y))) or 1.0
        per[m] = {"coverage": float(np.mean(inside)), "below": float(np.mean(y < lo[:, j])),
                  "above": float(np.mean(y > hi[:, j])),
                  "mean_width_pct_mean": float(np.mean(hi[:, j] - lo[:, j]) / mean * 100),
                  "median_width_pct_value": float(np.median((hi[:, j] - lo[:, j]) / np.maximum(np.abs(y), 1e-300)) * 100),
                  "point_inside": float(np.mean((point[:, j] >= lo[:, j]) & (point[:, j] <= hi[:, j])))}
    cov = [v["coverage"] for v in per.values()]
    return {**surrogate.intervals.summary(), "n_test_feasible": int(feasible.sum()), "metrics": per,
            "mean_coverage": float(np.mean(cov)), "min_coverage": float(np.min(cov))}


def attach_intervals(result, *, level: float = 0.9, method: str = "cqr", calibration_fraction: float = 0.2,
                     seed: int | None = None) -> dict:
    """Fit intervals for a :class:`~archgym.surrogates.train.TrainResult`'s surrogate on its training split
    (feasible rows) and add their held-out coverage to its report under the key ``intervals`` (the other
    keys are left as they are). Returns that entry."""
    sur = result.surrogate
    seed = int(result.report.get("seed", 0)) if seed is None else int(seed)
    frame = result.data.frame.iloc[np.asarray(result.train_index)]
    frame = frame[frame["feasible"].to_numpy(dtype=bool)]
    X = sur.encoder.encode(frame)
    Y = frame[[METRIC_PREFIX + m for m in sur.metric_names]].to_numpy(dtype=float)
    fit_intervals(sur, X, Y, level=level, method=method, calibration_fraction=calibration_fraction, seed=seed)
    entry = interval_report(sur, result.test_frame)
    result.report["intervals"] = entry
    sur.metadata["intervals"] = {**sur.intervals.summary(), "held_out": {
        m: {"coverage": v["coverage"]} for m, v in entry["metrics"].items()}}
    return entry


class IntervalInfo(gym.Wrapper):
    """An environment whose surrogate backend has intervals, with ``info["surrogate_interval"]`` =
    ``{metric: (lo, hi)}`` of each step's design (metric units, level ``info["surrogate_interval_level"]``).

    >>> env = IntervalInfo(gymnasium.make("archgym/DRAM-v0", backend="surrogate", model=sur))
    """

    def __init__(self, env: gym.Env):
        super().__init__(env)
        backend = getattr(env.unwrapped, "_backend", None)
        if getattr(backend, "intervals", None) is None:
            raise SurrogateError("IntervalInfo needs backend='surrogate' with a surrogate that has intervals "
                                 f"(got backend {getattr(env.unwrapped, 'backend', None)!r})")
        self._sur = backend

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        if info.get("feasible"):
            extra = backend_info(self._sur)
            if extra:
                info.update(extra, surrogate_interval_level=self._sur.intervals.level)
        return obs, reward, terminated, truncated, info


__all__ = ["METHODS", "IntervalInfo", "Intervals", "attach_intervals", "fit_intervals", "interval_report"]
