"""Variation operators on rows of choice indices, shared by the genetic algorithm and NSGA-II.

Genes are choice indices (see :mod:`archgym.agents.choices`), never numbers to be rounded or
clamped: a mutated gene takes a value drawn uniformly among its *other* choices, so no value and
no end of a range is favoured (the clamping bias of real-coded GAs on integer parameters).
"""

from __future__ import annotations

import numpy as np

from .choices import ChoiceGrid


def uniform_crossover(a: np.ndarray, b: np.ndarray, prob: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """With probability ``prob`` swap each gene between the parents with probability 1/2 (two
    complementary children); otherwise the children are copies of the parents."""
    c1, c2 = a.copy(), b.copy()
    if rng.random() < prob:
        swap = rng.random(a.shape[0]) < 0.5
        c1[swap], c2[swap] = b[swap], a[swap]
    return c1, c2


def mutate(row: np.ndarray, prob: float, grid: ChoiceGrid, rng: np.random.Generator) -> np.ndarray:
    """Each gene, with probability ``prob``, takes a different value drawn uniformly among its choices."""
    out = row.copy()
    for j in np.flatnonzero(rng.random(row.shape[0]) < prob):
        grid.resample_gene(out, int(j), rng)
    return out


def breed(grid: ChoiceGrid, parents_a: np.ndarray, parents_b: np.ndarray, n: int, crossover_prob: float,
          mutation_prob: float, seen: set, rng: np.random.Generator) -> np.ndarray:
    """``n`` children of the parent pairs (rows of ``parents_a`` with rows of ``parents_b``): uniform
    crossover, then mutation; a child equal to a design already evaluated or proposed is moved to
    an unseen neighbour (the simulators are deterministic: a second evaluation would teach nothing).
    Each child is added to ``seen``."""
    children = []
    for a, b in zip(parents_a, parents_b):
        for child in uniform_crossover(a, b, crossover_prob, rng):
            if len(children) == n:
                break
            child = grid.make_unseen(mutate(child, mutation_prob, grid, rng), seen, rng)
            seen.add(grid.key(child))
            children.append(child)
    return np.array(children, dtype=np.int64).reshape(-1, grid.n_params)


def random_unseen(grid: ChoiceGrid, n: int, seen: set, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random rows, none already in ``seen`` (if the space allows); adds them to ``seen``."""
    rows = []
    for row in grid.random(n, rng):
        row = grid.make_unseen(row, seen, rng)
        seen.add(grid.key(row))
        rows.append(row)
    return np.array(rows, dtype=np.int64).reshape(-1, grid.n_params)


__all__ = ["uniform_crossover", "mutate", "breed", "random_unseen"]
