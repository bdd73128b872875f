"""NSGA-II (Deb et al. 2002): multi-objective genetic search returning a Pareto front.

The objectives are the metrics the environment's reward reads, each signed so that higher is
better (``info["objectives"]`` from the run loop; without infos, the scalar reward is the one
objective). A generation of ``population_size`` children is bred from the current population by
binary tournaments (lower non-domination rank wins, then larger crowding distance), uniform
crossover and per-gene uniform mutation (the operators of the GA, shared in genetic_operators).
Parents and children are then merged, sorted into non-dominated fronts, and the next population
is filled front by front, the last front cut by crowding distance. Infeasible designs are
dominated by every feasible one.

``pareto_front()`` returns the non-dominated designs among everything evaluated so far.
"""

from __future__ import annotations

import numpy as np

from archgym.core.spaces import DesignSpace

from .choices import ChoiceGrid
from .generational import GenerationalAgent
from .genetic_operators import breed, random_unseen


def dominates(f: np.ndarray) -> np.ndarray:
    """``D[i, j]``: row ``i`` of ``f`` Pareto-dominates row ``j`` (maximisation)."""
    ge = (f[:, None, :] >= f[None, :, :]).all(-1)
    gt = (f[:, None, :] > f[None, :, :]).any(-1)
    return ge & gt


def non_dominated_ranks(f: np.ndarray) -> np.ndarray:
    """Front number of each row (0: non-dominated), by repeatedly peeling the non-dominated set."""
    d = dominates(f)
    n_dominators = d.sum(0)
    rank = np.full(len(f), -1)
    current = np.flatnonzero(n_dominators == 0)
    r = 0
    while current.size:
        rank[current] = r
        n_dominators = n_dominators - d[current].sum(0)
        n_dominators[rank >= 0] = -1
        current = np.flatnonzero(n_dominators == 0)
        r += 1
    return rank


def crowding_distance(f: np.ndarray) -> np.ndarray:
    """Crowding distance of rows of one front (boundary points: infinite)."""
    n, m = f.shape
    dist = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for k in range(m):
        col = f[:, k]
        if not np.isfinite(col).all():
            continue  # infeasible designs (-inf objectives) have no spread to measure
        order = np.argsort(col, kind="stable")
        span = col[order[-1]] - col[order[0]]
        dist[order[0]] = dist[order[-1]] = np.inf
        if span > 0:
            dist[order[1:-1]] += (col[order[2:]] - col[order[:-2]]) / span
    return dist


class NSGA2(GenerationalAgent):
    """NSGA-II over choice indices.

    population_size: designs per generation.
    crossover_prob: probability that a pair of parents is recombined.
    mutation_prob: per-gene mutation probability.
    real_bins: levels a continuous parameter is cut into.
    """

    name = "nsga2"

    def __init__(self, space: DesignSpace, seed: int | None = None, population_size: int = 32,
                 crossover_prob: float = 0.9, mutation_prob: float = 0.1, real_bins: int = 16):
        super().__init__(space, seed)
        if int(population_size) < 4:
            raise ValueError(f"population_size must be >= 4, got {population_size!r}")
        for key, p in (("mutation_prob", mutation_prob), ("crossover_prob", crossover_prob)):
            if not 0.0 <= float(p) <= 1.0:
                raise ValueError(f"{key} must be in [0, 1], got {p!r}")
        self.population_size = int(population_size)
        self.crossover_prob = float(crossover_prob)
        self.mutation_prob = float(mutation_prob)
        self.real_bins = int(real_bins)
        self.grid = ChoiceGrid(space, real_bins)
        self.objective_names: list[str] | None = None  # known once a feasible design reports objectives
        self.population = np.empty((0, self.grid.n_params), dtype=np.int64)
        self.members = np.empty(0, dtype=np.int64)  # archive index of each population member
        self.rank = np.empty(0, dtype=int)
        self.crowding = np.empty(0)
        # every evaluated design: its row, objectives (None: infeasible or not reported) and reward
        self.archive_rows: list[np.ndarray] = []
        self.archive_obj: list[dict | None] = []
        self.archive_reward: list[float] = []
        self._uses_reward = False  # no objectives in the infos: the scalar reward is the one objective
        self._generation_start = 0  # archive index of the first member of the generation being told
        self.generation = 0
        self._init_generations()

    def tell(self, designs, rewards, infos=None) -> None:
        for i, (row, r) in enumerate(zip(self.grid.encode(designs), rewards)):
            info = (infos[i] if infos else None) or {}
            if "objectives" not in info:
                self._uses_reward = True
            objectives = info.get("objectives") if info.get("feasible", True) else None
            if objectives and self.objective_names is None:
                self.objective_names = sorted(objectives)
            self.archive_rows.append(row)
            self.archive_obj.append(dict(objectives) if objectives else None)
            self.archive_reward.append(float(r))
        super().tell(designs, rewards, infos)

    def objective_matrix(self, idx: np.ndarray) -> np.ndarray:
        """Objectives (higher is better) of archived designs; infeasible ones are -inf everywhere,
        below every feasible design."""
        if self._uses_reward or self.objective_names is None:
            r = np.array([self.archive_reward[i] for i in idx], dtype=float)
            if self._uses_reward:
                return np.where(np.isfinite(r), r, -np.inf)[:, None]
            return np.full((len(idx), 1), -np.inf)  # no feasible design reported objectives yet
        out = np.full((len(idx), len(self.objective_names)), -np.inf)
        for k, i in enumerate(idx):
            obj = self.archive_obj[i]
            if obj:
                out[k] = [float(obj[name]) for name in self.objective_names]
        return out

    # -- the algorithm ----------------------------------------------------------------------------
    def _generation_size(self) -> int:
        return self.population_size

    def _breed(self) -> np.ndarray:
        n = self.population_size
        if len(self.population) == 0:
            return random_unseen(self.grid, n, self.seen, self.rng)
        n_pairs = (n + 1) // 2
        pa = self.population[self._tournament(n_pairs)]
        pb = self.population[self._tournament(n_pairs)]
        return breed(self.grid, pa, pb, n, self.crossover_prob, self.mutation_prob, self.seen, self.rng)

    def _tournament(self, k: int) -> np.ndarray:
        """Binary tournaments: lower rank wins, ties broken by larger crowding distance."""
        a, b = self.rng.integers(0, len(self.population), size=(2, k))
        a_wins = (self.rank[a] < self.rank[b]) | ((self.rank[a] == self.rank[b]) & (self.crowding[a] >= self.crowding[b]))
        return np.where(a_wins, a, b)

    def _end_generation(self, rows: np.ndarray, rewards: np.ndarray, infos) -> None:
        """Merge parents and children; keep the best fronts, the last one cut by crowding distance."""
        children = np.arange(self._generation_start, self._generation_start + len(rows))
        self._generation_start += len(rows)
        members = np.concatenate([self.members, children])
        obj = self.objective_matrix(members)
        rank = non_dominated_ranks(obj)
        crowd = np.zeros(len(members))
        for r in np.unique(rank):
            idx = np.flatnonzero(rank == r)
            crowd[idx] = crowding_distance(obj[idx])
        order = np.lexsort((-crowd, rank))[: self.population_size]  # by rank, then crowding (descending)
        self.members = members[order]
        self.population = np.array([self.archive_rows[i] for i in self.members])
        self.rank, self.crowding = rank[order], crowd[order]
        self.generation += 1

    # -- results --------------------------------------------------------------------------------
    def pareto_front(self) -> list[dict]:
        """Non-dominated designs among all evaluated: ``{"design": ..., "objectives": {name: value}}``
        with objectives signed as in ``info["objectives"]`` (higher is better)."""
        if not self.archive_rows:
            return []
        obj = self.objective_matrix(np.arange(len(self.archive_rows)))
        keep = np.flatnonzero((non_dominated_ranks(obj) == 0) & np.isfinite(obj).all(1))
        names = ["reward"] if self._uses_reward else self.objective_names
        designs = self.grid.decode(np.array(self.archive_rows)[keep]) if len(keep) else []
        return [{"design": d, "objectives": dict(zip(names, map(float, obj[i])))} for d, i in zip(designs, keep)]


__all__ = ["NSGA2", "non_dominated_ranks", "crowding_distance", "dominates"]
