"""Surrogate-assisted search: a tree ensemble learnt as the search goes picks what to simulate next.

The simulators are the expensive part of a search; a tree ensemble fitted on a few hundred designs
costs milliseconds. So each ask:

1. The first ``n_initial`` designs are drawn uniformly at random (distinct).
2. An extremely randomised trees ensemble (scikit-learn's ``ExtraTreesRegressor``, ``n_trees``
   trees) is fitted on every design evaluated so far: inputs are the space's features (categoricals
   one-hot, integers scaled, powers of two log-scaled: ``DesignSpace.to_features`` through
   :class:`~archgym.agents.choices.ChoiceGrid`), the target is the reward with infeasible designs
   set to the worst feasible reward and warped by ``y_transform`` (as BO does: the -100 penalty
   would otherwise flatten the model).
3. Candidates: ``n_candidates`` random unseen designs plus ``n_mutations`` mutations of each of the
   ``n_incumbents`` best designs. A mutation changes at most ``radius`` parameters of an incumbent
   (the trust region around the best designs); an ordered parameter (integer, power of two,
   ordinal) steps to a neighbouring value half of the time, otherwise any parameter takes another
   of its values uniformly.
4. Every candidate is scored by the acquisition over the ensemble: ``mu`` is the trees' mean,
   ``sigma`` their spread (standard deviation across trees). ``"ei"``: expected improvement over the
   best target seen (margin ``xi`` in standard deviations of the targets); ``"lcb"``: the lower
   confidence bound of the loss (-reward), that is ``mu + kappa * sigma`` on the reward.
5. The ``n`` best-scored candidates (distinct, never evaluated before) are returned; only they are
   simulated.

The trust region adapts as in TuRBO (Eriksson et al., 2019), counted in parameters changed: after
``success_tolerance`` asks in a row that improved the best reward the radius doubles (at most every
parameter), after ``failure_tolerance`` asks in a row without improvement it halves; once it is
below one parameter it starts again at its initial size (the random candidates keep the search
global throughout).

Same seed, same sequence: the trees' seeds are drawn from the agent's generator.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr
from sklearn.ensemble import ExtraTreesRegressor

from archgym.core.spaces import Categorical, DesignSpace

from .base import Agent
from .choices import ChoiceGrid
from .genetic_operators import random_unseen
from .reward_warp import fill_infeasible, log_gap

ACQUISITIONS = ("ei", "lcb")
Y_TRANSFORMS = ("log", "rank", "none")


class SurrogateSearch(Agent):
    """Tree-ensemble surrogate with an acquisition function and a trust region around the incumbents.

    n_initial: random designs before the first model-based ask.
    batch_size: designs proposed per ask by default (one model fit per ask).
    n_trees: trees of the ensemble (their spread is the uncertainty).
    min_samples_leaf: smallest leaf of a tree (larger: smoother model).
    acquisition: "ei" (expected improvement) or "lcb" (lower confidence bound of -reward).
    xi: EI's improvement margin, in standard deviations of the targets.
    kappa: LCB's weight of the trees' spread.
    n_candidates: random unseen designs scored per ask.
    n_incumbents: best designs whose mutations are scored per ask.
    n_mutations: mutations scored per incumbent.
    radius: initial trust-region size, in parameters a mutation may change (0: a quarter of them).
    success_tolerance, failure_tolerance: improving / non-improving asks in a row that double / halve the radius.
    y_transform: the target the trees fit: "log" (log of the gap to the best), "rank" or "none".
    real_bins: levels a continuous parameter is cut into.
    """

    name = "surrogate"

    def __init__(self, space: DesignSpace, seed: int | None = None, n_initial: int = 10, batch_size: int = 1,
                 n_trees: int = 32, min_samples_leaf: int = 1, acquisition: str = "ei", xi: float = 0.01,
                 kappa: float = 1.0, n_candidates: int = 500, n_incumbents: int = 5, n_mutations: int = 100,
                 radius: int = 0, success_tolerance: int = 3, failure_tolerance: int = 10,
                 y_transform: str = "log", real_bins: int = 16):
        super().__init__(space, seed)
        if acquisition not in ACQUISITIONS:
            raise ValueError(f"acquisition {acquisition!r} is not known; allowed: {list(ACQUISITIONS)}")
        if y_transform not in Y_TRANSFORMS:
            raise ValueError(f"y_transform {y_transform!r} is not known; allowed: {list(Y_TRANSFORMS)}")
        for key, v, low in (("n_initial", n_initial, 1), ("batch_size", batch_size, 1), ("n_trees", n_trees, 2),
                            ("min_samples_leaf", min_samples_leaf, 1), ("n_candidates", n_candidates, 0),
                            ("n_incumbents", n_incumbents, 0), ("n_mutations", n_mutations, 0), ("radius", radius, 0),
                            ("success_tolerance", success_tolerance, 1), ("failure_tolerance", failure_tolerance, 1),
                            ("real_bins", real_bins, 2)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or int(v) < low:
                raise ValueError(f"{key} must be an integer >= {low}, got {v!r}")
        for key, v in (("xi", xi), ("kappa", kappa)):
            if not isinstance(v, (int, float)) or not math.isfinite(float(v)) or float(v) < 0:
                raise ValueError(f"{key} must be a finite number >= 0, got {v!r}")
        if int(n_candidates) + int(n_incumbents) * int(n_mutations) < 1:
            raise ValueError("n_candidates + n_incumbents * n_mutations must be >= 1 (no candidates to score), got "
                             f"n_candidates={n_candidates!r}, n_incumbents={n_incumbents!r}, n_mutations={n_mutations!r}")
        self.n_initial = int(n_initial)
        self.batch_size = int(batch_size)
        self.n_trees = int(n_trees)
        self.min_samples_leaf = int(min_samples_leaf)
        self.acquisition = acquisition
        self.xi = float(xi)
        self.kappa = float(kappa)
        self.n_candidates = int(n_candidates)
        self.n_incumbents = int(n_incumbents)
        self.n_mutations = int(n_mutations)
        self.radius = int(radius)
        self.success_tolerance = int(success_tolerance)
        self.failure_tolerance = int(failure_tolerance)
        self.y_transform = y_transform
        self.real_bins = int(real_bins)

        self.grid = ChoiceGrid(space, self.real_bins)
        self.ordered = np.array([not isinstance(p, Categorical) for p in space], dtype=bool)
        self.initial_radius = self.radius or max(1, self.grid.n_params // 4)
        self.trust_radius = float(self.initial_radius)
        self.n_success = self.n_fail = 0
        self.seen: set = set()  # evaluated or proposed: never proposed again (the simulators are deterministic)
        self.rows: list[np.ndarray] = []
        self.rewards: list[float] = []
        self.feasible: list[bool] = []
        self.n_random = 0
        self.model: ExtraTreesRegressor | None = None

    # -- ask/tell -------------------------------------------------------------------------------
    def ask(self, n: int = 1) -> list[dict]:
        if int(n) < 1:
            raise ValueError(f"ask: n must be >= 1, got {n!r}")
        n_random = min(n, self.n_initial - self.n_random) if len(self.rows) < self.n_initial else 0
        n_random = max(0, n_random)
        rows = []
        if n_random:  # 1. the initial random designs
            rows.append(random_unseen(self.grid, n_random, self.seen, self.rng))
            self.n_random += n_random
        if n - n_random:
            rows.append(self._suggest(n - n_random) if self.rows else random_unseen(self.grid, n - n_random, self.seen, self.rng))
        return self.grid.decode(np.vstack(rows))

    def tell(self, designs, rewards, infos=None) -> None:
        before = self.best_reward
        super().tell(designs, rewards, infos)
        for i, (row, r) in enumerate(zip(self.grid.encode(designs), rewards)):
            self.seen.add(self.grid.key(row))
            self.rows.append(row)
            self.rewards.append(float(r))
            self.feasible.append(bool(infos[i].get("feasible", True)) if infos else math.isfinite(float(r)))
        if len(self.rows) > self.n_initial:  # trust region: only model-based asks count
            self._update_radius(self.best_reward > before)

    # -- 2. the model ---------------------------------------------------------------------------
    def targets(self) -> np.ndarray:
        """What the trees fit: rewards, infeasible ones set to the worst feasible reward, warped."""
        y = fill_infeasible(self.rewards, self.feasible)
        if self.y_transform == "rank":
            return (np.argsort(np.argsort(y, kind="stable"), kind="stable") + 0.5) / len(y)
        if self.y_transform == "log":
            return log_gap(y)
        return y

    def fit(self) -> np.ndarray:
        """Fit the ensemble on every design told so far; returns the targets it fitted."""
        y = self.targets()
        self.model = ExtraTreesRegressor(n_estimators=self.n_trees, min_samples_leaf=self.min_samples_leaf,
                                         max_features=1.0, bootstrap=False, n_jobs=1,
                                         random_state=int(self.rng.integers(2**31 - 1)))
        self.model.fit(self.grid.features(np.array(self.rows)), y)
        return y

    def predict(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ensemble's mean and spread (standard deviation across trees) at rows of choice indices."""
        x = np.ascontiguousarray(self.grid.features(rows), dtype=np.float32)  # what sklearn's trees compare in
        per_tree = np.stack([t.tree_.predict(x).reshape(len(x)) for t in self.model.estimators_])
        return per_tree.mean(axis=0), per_tree.std(axis=0)

    # -- 3. candidates ----------------------------------------------------------------------------
    def mutate(self, row: np.ndarray, n_changes: np.ndarray) -> np.ndarray:
        """One mutation of ``row`` per entry of ``n_changes``, with that many distinct parameters changed
        (a parameter with one value stays): an ordered parameter steps to a neighbouring value half of
        the time (back from the end of its range), otherwise a parameter takes another value uniformly."""
        n_changes = np.asarray(n_changes, dtype=np.int64).reshape(-1)
        m, p = len(n_changes), self.grid.n_params
        sizes = np.broadcast_to(self.grid.sizes, (m, p))
        old = np.broadcast_to(np.asarray(row, dtype=np.int64), (m, p))
        # the genes to change: the n_changes smallest of random keys in each row
        ranks = np.argsort(np.argsort(self.rng.random((m, p)), axis=1), axis=1)
        change = (ranks < n_changes[:, None]) & (sizes > 1)
        other = self.rng.integers(0, np.maximum(sizes - 1, 1))  # uniform among the other values
        uniform = other + (other >= old)
        step = np.where(self.rng.random((m, p)) < 0.5, 1, -1)
        step = np.where((old + step < 0) | (old + step >= sizes), -step, step)
        stepped = old + step
        use_step = self.ordered[None, :] & (self.rng.random((m, p)) < 0.5)
        return np.where(change, np.where(use_step, stepped, uniform), old)

    def candidates(self) -> np.ndarray:
        """Random unseen designs plus trust-region mutations of the best designs; distinct, unseen."""
        pool = [random_unseen(self.grid, self.n_candidates, set(self.seen), self.rng)] if self.n_candidates else []
        y = self.targets()
        radius = max(1, min(self.grid.n_params, int(self.trust_radius)))
        for i in np.argsort(-y, kind="stable")[: self.n_incumbents]:
            pool.append(self.mutate(self.rows[i], self.rng.integers(1, radius + 1, size=self.n_mutations)))
        pool = np.vstack(pool)
        keep, uniq = [], set()
        for i, row in enumerate(pool):
            k = self.grid.key(row)
            if k not in self.seen and k not in uniq:
                uniq.add(k)
                keep.append(i)
        return pool[keep]

    # -- 4. acquisition and 5. picks ---------------------------------------------------------------
    def acquire(self, mu: np.ndarray, sd: np.ndarray, y: np.ndarray) -> np.ndarray:
        if self.acquisition == "lcb":
            return mu + self.kappa * sd
        sd = np.maximum(sd, 1e-12)
        imp = mu - y.max() - self.xi * (float(np.std(y)) or 1.0)
        z = imp / sd
        return imp * ndtr(z) + sd * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)

    def _suggest(self, n: int) -> np.ndarray:
        y = self.fit()
        pool = self.candidates()
        picks = np.empty((0, self.grid.n_params), dtype=np.int64)
        if len(pool):
            mu, sd = self.predict(pool)
            order = np.argsort(-self.acquire(mu, sd, y), kind="stable")[:n]
            picks = pool[order]
        for r in picks:
            self.seen.add(self.grid.key(r))
        if len(picks) < n:  # fewer unseen candidates than asked for (a nearly exhausted space)
            picks = np.vstack([picks, random_unseen(self.grid, n - len(picks), self.seen, self.rng)])
        return picks

    def _update_radius(self, improved: bool) -> None:
        if improved:
            self.n_success, self.n_fail = self.n_success + 1, 0
        else:
            self.n_success, self.n_fail = 0, self.n_fail + 1
        if self.n_success >= self.success_tolerance:
            self.trust_radius, self.n_success = min(2 * self.trust_radius, float(self.grid.n_params)), 0
        elif self.n_fail >= self.failure_tolerance:
            self.trust_radius, self.n_fail = self.trust_radius / 2, 0
            if self.trust_radius < 1:
                self.trust_radius = float(self.initial_radius)


__all__ = ["SurrogateSearch"]
