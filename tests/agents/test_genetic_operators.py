"""Genes are choice indices: mutation has no clamping bias, crossover only swaps, children are new."""

import numpy as np
from scipy.stats import chisquare

from archgym.agents.choices import ChoiceGrid
from archgym.agents.ga import GeneticAlgorithm
from archgym.agents.genetic_operators import breed, mutate, uniform_crossover
from archgym.core.spaces import Categorical, DesignSpace, Integer, PowerOfTwo, Real

SPACE = DesignSpace([Integer("i", 0, 9), PowerOfTwo("p", 1, 8), Categorical("c", ("a", "b", "c"))])


def test_mutation_is_uniform_over_the_other_values_even_at_the_ends():
    """From the lowest and the highest value alike, a mutated gene lands on each other value with
    equal probability (chi-square p > 0.001 over 20,000 draws): no pile-up at the range's ends."""
    grid = ChoiceGrid(SPACE)
    rng = np.random.default_rng(0)
    for start in (0, 9, 4):
        draws = []
        for _ in range(20000):
            row = np.array([start, 0, 0])
            grid.resample_gene(row, 0, rng)
            draws.append(row[0])
        counts = np.bincount(draws, minlength=10)
        assert counts[start] == 0
        others = np.delete(counts, start)
        assert chisquare(others).pvalue > 1e-3, (start, counts)


def test_mutation_probability_is_per_gene():
    grid = ChoiceGrid(DesignSpace([Integer(f"g{k}", 0, 3) for k in range(50)]))
    rng = np.random.default_rng(1)
    row = np.zeros(50, dtype=np.int64)
    changed = np.mean([(mutate(row, 0.2, grid, rng) != row).mean() for _ in range(400)])
    assert abs(changed - 0.2) < 0.01


def test_uniform_crossover_swaps_genes_and_keeps_every_allele():
    rng = np.random.default_rng(2)
    a, b = np.arange(20), np.arange(20) + 100
    c1, c2 = uniform_crossover(a, b, 1.0, rng)
    assert ((c1 == a) | (c1 == b)).all() and ((c2 == a) | (c2 == b)).all()
    assert (np.where(c1 == a, b, a) == c2).all()  # complementary children
    assert 3 < (c1 == a).sum() < 17
    n1, n2 = uniform_crossover(a, b, 0.0, rng)
    assert (n1 == a).all() and (n2 == b).all()


def test_children_are_never_designs_already_seen():
    grid = ChoiceGrid(SPACE)
    rng = np.random.default_rng(3)
    parent = np.array([[1, 1, 1]] * 8)
    seen = {grid.key(parent[0])}
    kids = breed(grid, parent, parent, 16, 1.0, 0.0, seen, rng)  # crossover of clones, no mutation
    keys = [grid.key(k) for k in kids]
    assert len(set(keys)) == 16 and grid.key(parent[0]) not in keys


def test_ga_selection_pressure_prefers_fitter_parents():
    for selection in ("tournament", "rank", "roulette"):
        ga = GeneticAlgorithm(SPACE, seed=0, population_size=10, selection=selection)
        ga.population = np.zeros((10, 3), dtype=np.int64)
        ga.fitness = -np.arange(10, dtype=float) - 5.0  # negative rewards: member 0 is the fittest
        picks = ga._select(5000)
        counts = np.bincount(picks, minlength=10)
        assert counts[0] > counts[9], (selection, counts)
        assert counts[0] == counts.max(), (selection, counts)


def test_reals_are_searched_on_a_grid_of_levels():
    grid = ChoiceGrid(DesignSpace([Real("r", 1.0, 100.0, log=True)]), real_bins=3)
    assert grid.values[0] == (1.0, 10.0, 100.0)
    assert grid.encode([{"r": 12.0}])[0, 0] == 1
