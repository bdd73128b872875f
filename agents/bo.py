"""Bayesian optimisation with a Gaussian process over the encoded design.

Each design is encoded with the space's features (categoricals one-hot, integers scaled to
[0, 1], powers of two log-scaled) and a Matérn-5/2 GP (see gaussian_process) models the reward.
The first ``n_initial`` designs are drawn at random. After that, every ask:

1. fits the GP to every design evaluated so far (infeasible designs are given the worst feasible
   reward, so the -100 penalty does not flatten the model; hyper-parameters are re-estimated each
   time the data grew by 5 %);
2. scores a candidate pool -- ``n_candidates`` random unseen designs plus the single-parameter
   neighbours of the ``n_incumbents`` best designs (at most 32 random ones along a parameter with
   more choices, e.g. Mapping-v0's 720 loop orders) -- with expected improvement (``acquisition="ei"``,
   exploration margin ``xi``) or the upper confidence bound (``"ucb"``, ``mu + kappa * sigma``);
3. picks a batch of ``n`` designs greedily with the kriging believer: after each pick the model
   believes the pick's outcome equals its predicted mean, which leaves the mean unchanged and
   shrinks the variance around the pick (an exact rank-one update of the posterior covariance
   over the pool), so the next pick goes elsewhere.

Designs already evaluated are never proposed again (the simulators are deterministic). One ask
costs one O(n^3) Cholesky plus O(n^2) per candidate: see benchmarks/bench_agents.py for the
measured time per suggestion at 1,000 observations.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr, ndtri
from scipy.stats import rankdata

from archgym.core.spaces import DesignSpace

from .base import Agent
from .choices import ChoiceGrid
from .gaussian_process import GaussianProcess
from .genetic_operators import random_unseen
from .reward_warp import fill_infeasible, log_gap

try:  # one BLAS thread: faster on these small matrices, and immune to an oversubscribed machine
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
    threadpool_limits = None

ACQUISITIONS = ("ei", "ucb")
MAX_NEIGHBOURS_PER_PARAM = 32  # an incumbent's neighbours along a parameter with more choices: a random 32
Y_TRANSFORMS = ("standard", "rank", "log")


class BayesianOptimization(Agent):
    """GP-based Bayesian optimisation over a discrete design space.

    n_initial: random designs before the first model-based suggestion (ArchGym/skopt's initial points).
    acquisition: "ei" (expected improvement) or "ucb" (upper confidence bound).
    xi: EI's improvement margin, in standard deviations of the observed rewards.
    kappa: UCB's weight of the predictive standard deviation.
    batch_size: designs suggested per ask by default (kriging-believer batches).
    n_candidates: random designs scored per ask (plus the incumbents' neighbours).
    n_incumbents: best designs whose single-parameter neighbours join the pool.
    real_bins: levels a continuous parameter is cut into.
    """

    name = "bo"

    def __init__(self, space: DesignSpace, seed: int | None = None, n_initial: int = 10, acquisition: str = "ei",
                 xi: float = 0.01, kappa: float = 2.0, batch_size: int = 1, n_candidates: int = 1000,
                 n_incumbents: int = 5, y_transform: str = "log", real_bins: int = 16):
        super().__init__(space, seed)
        if acquisition not in ACQUISITIONS:
            raise ValueError(f"acquisition {acquisition!r} is not known; allowed: {list(ACQUISITIONS)}")
        for key, v, low in (("n_initial", n_initial, 1), ("batch_size", batch_size, 1),
                            ("n_candidates", n_candidates, 1), ("n_incumbents", n_incumbents, 0)):
            if int(v) < low:
                raise ValueError(f"{key} must be >= {low}, got {v!r}")
        if float(xi) < 0 or float(kappa) < 0:
            raise ValueError(f"xi and kappa must be >= 0, got xi={xi!r}, kappa={kappa!r}")
        self.n_initial = int(n_initial)
        self.acquisition = acquisition
        self.xi = float(xi)
        self.kappa = float(kappa)
        self.batch_size = int(batch_size)
        self.n_candidates = int(n_candidates)
        self.n_incumbents = int(n_incumbents)
        if y_transform not in Y_TRANSFORMS:
            raise ValueError(f"y_transform {y_transform!r} is not known; allowed: {list(Y_TRANSFORMS)}")
        self.y_transform = y_transform
        self.real_bins = int(real_bins)
        self.grid = ChoiceGrid(space, real_bins)
        self.gp = GaussianProcess()
        self.seen: set = set()  # evaluated or proposed
        self.rows: list[np.ndarray] = []
        self.rewards: list[float] = []
        self.feasible: list[bool] = []
        self._n_random = 0
        self._n_at_last_fit = 0

    # -- ask/tell -------------------------------------------------------------------------------
    def ask(self, n: int = 1) -> list[dict]:
        n_random = min(n, max(0, self.n_initial - self._n_random)) if len(self.rows) < self.n_initial else 0
        rows = []
        if n_random:
            rows.append(random_unseen(self.grid, n_random, self.seen, self.rng))
            self._n_random += n_random
        if n - n_random:
            if threadpool_limits is not None:
                with threadpool_limits(1):
                    rows.append(self._suggest(n - n_random))
            else:  # pragma: no cover
                rows.append(self._suggest(n - n_random))
        return self.grid.decode(np.vstack(rows))

    def tell(self, designs, rewards, infos=None) -> None:
        super().tell(designs, rewards, infos)
        for i, (row, r) in enumerate(zip(self.grid.encode(designs), rewards)):
            self.seen.add(self.grid.key(row))
            self.rows.append(row)
            self.rewards.append(float(r))
            self.feasible.append(bool(infos[i].get("feasible", True)) if infos else math.isfinite(float(r)))

    # -- the model ------------------------------------------------------------------------------
    def _targets(self) -> np.ndarray:
        """What the GP models: rewards with infeasible designs set to the worst feasible reward,
        then warped by ``y_transform``."""
        y = fill_infeasible(self.rewards, self.feasible)
        if self.y_transform == "rank":
            ranks = rankdata(y, method="average")
            return ndtri((ranks - 0.5) / len(y))
        if self.y_transform == "log":
            return log_gap(y)
        return y

    def _fit(self) -> None:
        n = len(self.rows)
        optimize = n - self._n_at_last_fit >= max(1, int(0.05 * self._n_at_last_fit))
        self.gp.fit(self.grid.features(np.array(self.rows)), self._targets(), self.rng, optimize=optimize)
        if optimize:
            self._n_at_last_fit = n

    def _pool(self) -> np.ndarray:
        """Random unseen designs plus the unseen single-parameter neighbours of the best designs."""
        pool = [random_unseen(self.grid, self.n_candidates, set(self.seen), self.rng)]
        y = self._targets()
        for i in np.argsort(-y, kind="stable")[: self.n_incumbents]:
            pool.append(self.grid.neighbours(self.rows[i], self.rng, MAX_NEIGHBOURS_PER_PARAM))
        pool = np.vstack(pool)
        keys = [self.grid.key(r) for r in pool]
        keep, uniq = [], set()
        for i, k in enumerate(keys):
            if k not in self.seen and k not in uniq:
                uniq.add(k)
                keep.append(i)
        return pool[keep] if keep else pool[:1]

    def _suggest(self, n: int) -> np.ndarray:
        """A batch of ``n`` designs: acquisition maximised over the pool, kriging believer between picks."""
        if not self.rows:
            out = random_unseen(self.grid, n, self.seen, self.rng)
            return out
        self._fit()
        pool = self._pool()
        feats = self.grid.features(pool)
        mu, sd, v = self.gp.predict(feats)
        var = sd**2
        best = self.gp.y_best
        picks: list[int] = []
        updates: list[np.ndarray] = []
        for _ in range(min(n, len(pool))):
            acq = self._acquisition(mu, np.sqrt(np.maximum(var, 1e-12)), best)
            acq[picks] = -np.inf
            j = int(np.argmax(acq))
            picks.append(j)
            # posterior covariance of every candidate with the pick, given the earlier picks' beliefs
            c = self.gp.kernel(feats, feats[j:j + 1])[:, 0] - v.T @ v[:, j]
            for u in updates:
                c -= u * u[j]
            u = c / math.sqrt(max(c[j] + self.gp.noise, 1e-12))
            updates.append(u)
            var = var - u * u
            best = max(best, float(mu[j]))
        rows = pool[picks]
        for r in rows:
            self.seen.add(self.grid.key(r))
        if len(rows) < n:  # the pool was smaller than the batch
            rows = np.vstack([rows, random_unseen(self.grid, n - len(rows), self.seen, self.rng)])
        return rows

    def _acquisition(self, mu: np.ndarray, sd: np.ndarray, best: float) -> np.ndarray:
        if self.acquisition == "ucb":
            return mu + self.kappa * sd
        imp = mu - best - self.xi
        z = imp / sd
        return imp * ndtr(z) + sd * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


__all__ = ["BayesianOptimization"]
