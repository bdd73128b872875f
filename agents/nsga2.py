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

from archgym.spaces import DesignSpace

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
        self.objective_names: list[str] | None = None
        self.population = np.empty((0, self.grid.n_params), dtype=np.int64)
        self.objectives = np.empty((0, 0))
        self.rank = np.empty(0, dtype=int)
        self.crowding = np.empty(0)
        self.archive_rows: list[np.ndarray] = []
        self.archive_obj: list[np.ndarray] = []
        self.generation = 0
        self._init_generations()

    def tell(self, designs, rewards, infos=None) -> None:
        for i, (row, r) in enumerate(zip(self.grid.encode(designs), rewards)):
            self.archive_rows.append(row)
            self.archive_obj.append(self._objective_vector(infos[i] if infos else None, float(r)))
        super().tell(designs, rewards, infos)

    def _objective_vector(self, info: dict | None, reward: float) -> np.ndarray:
        info = info or {}
        objectives = info.get("objectives")
        if self.objective_names is None:
            self.objective_names = sorted(objectives) if objectives else ["reward"]
        if self.objective_names == ["reward"] and not objectives:
            return np.array([reward if np.isfinite(reward) else -np.inf])
        feasible = bool(info.get("feasible", True)) and bool(objectives)
        if not feasible:
            return np.full(len(self.objective_names), -np.inf)
        return np.array([float(objectives[k]) for k in self.objective_names])

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
        obj = np.array([self._objective_vector(info, r) for info, r in zip(infos, rewards)])
        if len(self.population):
            rows, obj = np.vstack([self.population, rows]), np.vstack([self.objectives, obj])
        rank = non_dominated_ranks(obj)
        crowd = np.zeros(len(rows))
        for r in np.unique(rank):
            idx = np.flatnonzero(rank == r)
            crowd[idx] = crowding_distance(obj[idx])
        order = np.lexsort((-crowd, rank))[: self.population_size]  # by rank, then crowding (descending)
        self.population, self.objectives = rows[order], obj[order]
        self.rank, self.crowding = rank[order], crowd[order]
        self.generation += 1

    # -- results --------------------------------------------------------------------------------
    def pareto_front(self) -> list[dict]:
        """Non-dominated designs among all evaluated: ``{"design": ..., "objectives": {name: value}}``
        with objectives signed as in ``info["objectives"]`` (higher is better)."""
        if not self.archive_rows:
            return []
        obj = np.array(self.archive_obj)
        keep = np.flatnonzero((non_dominated_ranks(obj) == 0) & np.isfinite(obj).all(1))
        designs = self.grid.decode(np.array(self.archive_rows)[keep])
        return [{"design": d, "objectives": dict(zip(self.objective_names, map(float, obj[i])))}
                for d, i in zip(designs, keep)]


__all__ = ["NSGA2", "non_dominated_ranks", "crowding_distance", "dominates"]
