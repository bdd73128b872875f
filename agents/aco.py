"""Ant colony optimisation (Ant Colony System) over the design parameters.

An ant builds a design by walking the parameters in order and picking one value of each. The
pheromone ``tau[p][v]`` on value ``v`` of parameter ``p`` guides the pick: with probability
``greediness`` (ACS's q0) the ant takes the value with the most pheromone, otherwise it draws a
value with probability proportional to the pheromone (no heuristic term: the agent knows nothing
about the hardware). After each ant, the local update ``tau <- (1 - decay) tau + decay tau0`` on its
values pushes later ants elsewhere; after each colony of ``ant_count`` ants, the global update

    tau <- (1 - evaporation) tau + evaporation / C_best

reinforces the values of the best design found so far, where ``C_best > 0`` is its cost: lower
costs deposit more pheromone. The cost is minus the reward (ArchGym's target reward is minus a
normalised distance, so costs are positive and 0 on target), floored at a thousandth of the
first colony's median cost so that a design exactly on target deposits a finite amount.
(ArchGym's DeepSwarm deposited the cost itself for non-loss metrics, reinforcing the worst designs.)
``tau0 = 1 / C_ref`` with ``C_ref`` the first colony's median cost, so pheromone is scale-free.

``depth`` follows DeepSwarm, whose search ends after ``max_depth`` colony iterations: after
``depth`` colonies (0: never) the pheromone is reset and a fresh colony starts. A design already
evaluated is not proposed again: an ant that rebuilds one is moved to an unseen neighbour.
"""

from __future__ import annotations

import numpy as np

from archgym.core.spaces import DesignSpace

from .choices import ChoiceGrid
from .generational import GenerationalAgent

COST_FLOOR = 1e-3  # fraction of the reference cost below which a cost is floored


class AntColony(GenerationalAgent):
    """Ant Colony System over choice indices.

    ant_count: ants (designs) per colony iteration.
    evaporation: global-update rate rho (weight of the best design's deposit).
    greediness: probability q0 of taking the value with the most pheromone instead of sampling.
    depth: colony iterations before the pheromone is reset (DeepSwarm's max_depth); 0 never resets.
    decay: local-update rate (pull of a used value's pheromone back towards tau0).
    real_bins: levels a continuous parameter is cut into.
    """

    name = "aco"

    def __init__(self, space: DesignSpace, seed: int | None = None, ant_count: int = 16, evaporation: float = 0.1,
                 greediness: float = 0.5, depth: int = 0, decay: float = 0.1, real_bins: int = 16):
        super().__init__(space, seed)
        if int(ant_count) < 1:
            raise ValueError(f"ant_count must be >= 1, got {ant_count!r}")
        for key, v in (("evaporation", evaporation), ("greediness", greediness), ("decay", decay)):
            if not 0.0 <= float(v) <= 1.0:
                raise ValueError(f"{key} must be in [0, 1], got {v!r}")
        if int(depth) < 0:
            raise ValueError(f"depth must be >= 0 (0: never reset), got {depth!r}")
        self.ant_count = int(ant_count)
        self.evaporation = float(evaporation)
        self.greediness = float(greediness)
        self.depth = int(depth)
        self.decay = float(decay)
        self.real_bins = int(real_bins)
        self.grid = ChoiceGrid(space, real_bins)
        self.tau0: float | None = None  # set from the first colony's costs
        self.tau = [np.ones(n) for n in self.grid.sizes]
        self.iteration = 0
        self.colony_best: tuple[np.ndarray, float] | None = None  # (row, cost) of this colony run
        self._init_generations()

    # -- the algorithm ----------------------------------------------------------------------------
    def _generation_size(self) -> int:
        return self.ant_count

    def _breed(self) -> np.ndarray:
        """A colony: each ant walks, is moved off a design already seen, and leaves its local update."""
        rows = []
        for _ in range(self.ant_count):
            row = self.grid.make_unseen(self._walk(), self.seen, self.rng)
            self.seen.add(self.grid.key(row))
            self._local_update(row)
            rows.append(row)
        return np.array(rows)

    def _walk(self) -> np.ndarray:
        """One ant's design: per parameter, greedy with probability q0, else pheromone-proportional."""
        row = np.empty(self.grid.n_params, dtype=np.int64)
        for p, tau in enumerate(self.tau):
            if self.rng.random() < self.greediness:
                best = np.flatnonzero(tau == tau.max())
                row[p] = best[int(self.rng.integers(len(best)))]
            else:
                row[p] = int(self.rng.choice(len(tau), p=tau / tau.sum()))
        return row

    def _local_update(self, row: np.ndarray) -> None:
        if self.tau0 is None:
            return  # pheromone still uniform: nothing to pull back
        for p, v in enumerate(row):
            self.tau[p][v] = (1.0 - self.decay) * self.tau[p][v] + self.decay * self.tau0

    def _cost(self, c: float) -> float:
        """A positive cost (floored: see the module docstring)."""
        return max(c, COST_FLOOR / self.tau0) if np.isfinite(c) else np.inf

    def _end_generation(self, rows: np.ndarray, rewards: np.ndarray, infos) -> None:
        """Global update with the best design of this colony run (the cost is minus the reward)."""
        costs = -rewards
        if self.tau0 is None:
            finite = costs[np.isfinite(costs)]
            c_ref = float(np.median(np.abs(finite))) if len(finite) else 1.0
            self.tau0 = 1.0 / (c_ref if c_ref > 0 else 1.0)
            self.tau = [np.full(n, self.tau0) for n in self.grid.sizes]
        i = int(np.argmin(costs))
        if self.colony_best is None or costs[i] < self.colony_best[1]:
            self.colony_best = (rows[i].copy(), float(costs[i]))
        row, cost = self.colony_best
        deposit = 1.0 / self._cost(cost)
        for p, v in enumerate(row):
            self.tau[p][v] = (1.0 - self.evaporation) * self.tau[p][v] + self.evaporation * deposit
        self.iteration += 1
        if self.depth and self.iteration >= self.depth:
            self.tau = [np.full(n, self.tau0) for n in self.grid.sizes]
            self.colony_best = None
            self.iteration = 0


__all__ = ["AntColony"]
