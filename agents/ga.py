"""Genetic algorithm on integer/categorical genes.

A design is a chromosome of choice indices, one gene per parameter. The first generation is
drawn uniformly at random. Each later generation keeps the ``elitism`` best designs of the
current population unchanged (they are not evaluated again) and fills the rest with children:
parents are selected (tournament, linear rank, or roulette), recombined by uniform crossover
with probability ``crossover_prob``, and each gene is mutated with probability ``mutation_prob``
to a value drawn uniformly among its other choices (no clamping bias: see genetic_operators).

Hyper-parameters follow ArchGym's GA grid (``num_agents`` -> population_size, ``num_iter`` ->
generations, ``prob_mutation`` -> mutation_prob). The run length is the runner's budget;
``generations`` > 0 restarts the search from a fresh random population after that many
generations (so that a budget of population_size x generations reproduces one ArchGym run).
"""

from __future__ import annotations

import numpy as np

from archgym.core.spaces import DesignSpace

from .choices import ChoiceGrid
from .generational import GenerationalAgent
from .genetic_operators import breed, random_unseen

SELECTIONS = ("tournament", "rank", "roulette")


class GeneticAlgorithm(GenerationalAgent):
    """Generational GA with elitism over choice indices.

    population_size: designs per generation (ArchGym ``num_agents``).
    generations: generations before a restart from a random population; 0 never restarts.
    mutation_prob: per-gene probability of a mutation.
    crossover_prob: probability that a pair of parents is recombined (else copied).
    selection: "tournament", "rank" (linear ranking) or "roulette" (fitness-proportional on
        rewards shifted to be positive).
    tournament_size: contestants per tournament.
    elitism: best designs carried unchanged into the next generation.
    real_bins: levels a continuous parameter is cut into.
    """

    name = "ga"

    def __init__(self, space: DesignSpace, seed: int | None = None, population_size: int = 32, generations: int = 0,
                 mutation_prob: float = 0.1, crossover_prob: float = 0.9, selection: str = "tournament",
                 tournament_size: int = 3, elitism: int = 2, real_bins: int = 16):
        super().__init__(space, seed)
        if int(population_size) < 2:
            raise ValueError(f"population_size must be >= 2, got {population_size!r}")
        if int(generations) < 0:
            raise ValueError(f"generations must be >= 0 (0: never restart), got {generations!r}")
        for key, p in (("mutation_prob", mutation_prob), ("crossover_prob", crossover_prob)):
            if not 0.0 <= float(p) <= 1.0:
                raise ValueError(f"{key} must be in [0, 1], got {p!r}")
        if selection not in SELECTIONS:
            raise ValueError(f"selection {selection!r} is not known; allowed: {list(SELECTIONS)}")
        if int(tournament_size) < 1:
            raise ValueError(f"tournament_size must be >= 1, got {tournament_size!r}")
        if not 0 <= int(elitism) < int(population_size):
            raise ValueError(f"elitism must be in [0, population_size), got {elitism!r}")
        self.population_size = int(population_size)
        self.generations = int(generations)
        self.mutation_prob = float(mutation_prob)
        self.crossover_prob = float(crossover_prob)
        self.selection = selection
        self.tournament_size = int(tournament_size)
        self.elitism = int(elitism)
        self.real_bins = int(real_bins)
        self.grid = ChoiceGrid(space, real_bins)
        self.population = np.empty((0, self.grid.n_params), dtype=np.int64)
        self.fitness = np.empty(0)
        self.generation = 0
        self._init_generations()

    # -- the algorithm ----------------------------------------------------------------------------
    def _generation_size(self) -> int:
        """New designs per generation: the whole population at first, later all but the elites."""
        return self.population_size if len(self.population) == 0 else self.population_size - self.elitism

    def _breed(self) -> np.ndarray:
        n = self._generation_size()
        if len(self.population) == 0:
            return random_unseen(self.grid, n, self.seen, self.rng)
        n_pairs = (n + 1) // 2
        pa = self.population[self._select(n_pairs)]
        pb = self.population[self._select(n_pairs)]
        return breed(self.grid, pa, pb, n, self.crossover_prob, self.mutation_prob, self.seen, self.rng)

    def _select(self, k: int) -> np.ndarray:
        """Indices of ``k`` parents drawn from the population."""
        f = self.fitness
        m = len(f)
        if self.selection == "tournament":
            contestants = self.rng.integers(0, m, size=(k, min(self.tournament_size, m)))
            return contestants[np.arange(k), np.argmax(f[contestants], axis=1)]
        if self.selection == "rank":
            ranks = np.empty(m)
            ranks[np.argsort(f, kind="stable")] = np.arange(1, m + 1)  # worst 1, best m
            return self.rng.choice(m, size=k, p=ranks / ranks.sum())
        w = f - f.min()
        w = w + (1e-12 + 1e-9 * w.max())  # every member keeps a (tiny) chance
        return self.rng.choice(m, size=k, p=w / w.sum())

    def _end_generation(self, rows: np.ndarray, fit: np.ndarray, infos) -> None:
        if len(self.population):
            elite = np.argsort(-self.fitness, kind="stable")[: self.elitism]
            rows = np.vstack([self.population[elite], rows])
            fit = np.concatenate([self.fitness[elite], fit])
        self.population, self.fitness = rows, fit
        self.generation += 1
        if self.generations and self.generation >= self.generations:
            # restart: a fresh random population (the designs seen so far are not proposed again)
            self.population = np.empty((0, self.grid.n_params), dtype=np.int64)
            self.fitness = np.empty(0)
            self.generation = 0
            self._queue = []


__all__ = ["GeneticAlgorithm"]
