"""ACO: lower (positive) costs deposit more pheromone; greediness, evaporation and depth act as named."""

import numpy as np

from archgym.agents.aco import AntColony
from archgym.core.spaces import DesignSpace, Integer

SPACE = DesignSpace([Integer("a", 0, 4), Integer("b", 0, 4)])


def _colony(aco, costs_by_row):
    designs = aco.ask(aco.ant_count)
    aco.tell(designs, [-costs_by_row(d) for d in designs])
    return designs


def test_lower_cost_deposits_more_pheromone():
    """Two colonies whose best designs cost 0.5 and 5: the cheap one's values gain more pheromone
    (ArchGym's DeepSwarm deposited the cost itself for non-loss metrics, the opposite)."""
    gains = {}
    for best_cost in (0.5, 5.0):
        aco = AntColony(SPACE, seed=0, ant_count=4, evaporation=0.5)
        designs = aco.ask(4)
        costs = [10.0] * 4
        costs[0] = best_cost
        aco.tell(designs, [-c for c in costs])
        a0 = SPACE["a"].index(designs[0]["a"])
        gains[best_cost] = aco.tau[0][a0] / aco.tau0
    assert gains[0.5] > gains[5.0] > 0


def test_pheromone_concentrates_on_the_best_design():
    aco = AntColony(SPACE, seed=1, ant_count=5, greediness=0.0)
    cost = lambda d: 1.0 + abs(d["a"] - 3) + abs(d["b"] - 1)  # noqa: E731
    for _ in range(12):
        _colony(aco, cost)
    assert int(np.argmax(aco.tau[0])) == 3 and int(np.argmax(aco.tau[1])) == 1
    assert aco.best_design == {"a": 3, "b": 1}


def test_a_design_on_target_deposits_a_finite_amount():
    aco = AntColony(SPACE, seed=2, ant_count=3)
    designs = aco.ask(3)
    aco.tell(designs, [0.0, -1.0, -2.0])  # reward 0: cost 0, floored
    assert all(np.isfinite(t).all() for t in aco.tau)


def test_greediness_one_follows_the_strongest_trail():
    aco = AntColony(SPACE, seed=3, greediness=1.0)
    aco.tau = [np.array([1.0, 1.0, 9.0, 1.0, 1.0]), np.array([1.0, 1.0, 1.0, 1.0, 9.0])]
    rows = np.array([aco._walk() for _ in range(50)])
    assert (rows[:, 0] == 2).all() and (rows[:, 1] == 4).all()


def test_depth_resets_the_trail_after_that_many_colonies():
    aco = AntColony(SPACE, seed=4, ant_count=2, depth=3)
    cost = lambda d: 1.0 + d["a"]  # noqa: E731
    for k in range(3):
        _colony(aco, cost)
        if k < 2:
            assert aco.iteration == k + 1
    assert aco.iteration == 0 and aco.colony_best is None
    assert all(np.allclose(t, aco.tau0) for t in aco.tau)


def test_local_update_pulls_a_used_value_towards_tau0():
    aco = AntColony(SPACE, seed=5, ant_count=2, decay=0.5)
    _colony(aco, lambda d: 1.0 + d["a"])
    aco.tau[0][:] = 10 * aco.tau0
    row = aco._walk()
    before = aco.tau[0][row[0]]
    aco._local_update(row)
    assert aco.tau[0][row[0]] == 0.5 * before + 0.5 * aco.tau0
