"""NSGA-II: non-dominated sorting and crowding as defined by Deb et al.; it recovers a known Pareto front."""

import itertools

import numpy as np
import pytest

from archgym.agents.nsga2 import NSGA2, crowding_distance, non_dominated_ranks
from archgym.core.spaces import Categorical, DesignSpace, Integer
from archgym.runner import make_env, run


def _brute_force_ranks(f):
    rank = np.full(len(f), -1)
    left = set(range(len(f)))
    r = 0
    while left:
        front = {i for i in left if not any((f[j] >= f[i]).all() and (f[j] > f[i]).any() for j in left)}
        for i in front:
            rank[i] = r
        left -= front
        r += 1
    return rank


def test_non_dominated_ranks_match_brute_force_with_ties_and_infeasible():
    rng = np.random.default_rng(0)
    f = rng.integers(0, 6, size=(60, 3)).astype(float)
    f[:5] = -np.inf  # infeasible designs: dominated by every feasible one
    np.testing.assert_array_equal(non_dominated_ranks(f), _brute_force_ranks(f))
    assert (non_dominated_ranks(f)[:5] == non_dominated_ranks(f).max()).all()


def test_crowding_distance():
    f = np.array([[0.0, 4.0], [1.0, 3.0], [3.0, 1.0], [4.0, 0.0]])
    d = crowding_distance(f)
    assert np.isinf(d[0]) and np.isinf(d[3])
    np.testing.assert_allclose(d[1:3], [3 / 4 + 3 / 4, 3 / 4 + 3 / 4])


SPACE = DesignSpace([Integer("x", 0, 15), Integer("y", 0, 15), Integer("z", 0, 15), Categorical("m", ("a", "b"))])


def _objectives(d):
    """Two conflicting costs (x and y trade off; z and m='b' only hurt), signed higher-is-better."""
    pen = 0 if d["m"] == "a" else 3
    return {"f1": -(d["x"] ** 2 / 15 + d["y"] + d["z"] + pen),
            "f2": -((15 - d["x"]) ** 2 / 15 + (15 - d["y"]) * 0.5 + d["z"] + pen)}


def _true_front():
    designs = [dict(x=x, y=y, z=z, m=m) for x, y, z, m in itertools.product(range(16), range(16), range(16), "ab")]
    f = np.array([[_objectives(d)["f1"], _objectives(d)["f2"]] for d in designs])
    return {tuple(f[i]) for i in np.flatnonzero(non_dominated_ranks(f) == 0)}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_most_of_a_known_pareto_front(seed):
    """8,192 designs, 63 Pareto-optimal objective vectors. With 800 evaluations NSGA-II returns at
    least 40 of them (measured 48-58) and only Pareto-optimal or near points; 800 random designs
    hit fewer than 15."""
    front = _true_front()
    assert len(front) == 63
    agent = NSGA2(SPACE, seed=seed, population_size=32)
    while agent.n_told < 800:
        designs = agent.ask(agent.batch_size)
        agent.tell(designs, [0.0] * len(designs), [{"feasible": True, "objectives": _objectives(d)} for d in designs])
    got = {(p["objectives"]["f1"], p["objectives"]["f2"]) for p in agent.pareto_front()}
    assert len(got & front) >= 40, len(got & front)
    assert len(got - front) <= 5
    rand = {(o["f1"], o["f2"]) for o in map(_objectives, SPACE.sample_many(800, seed))}
    assert len(rand & front) < 15


def test_reads_the_objectives_the_run_loop_passes():
    env = make_env("archgym/Synthetic-v0", instance=5, reward="weighted", weights={"cost": 1.0, "distance": 0.1})
    agent = NSGA2(env.design_space, seed=0)
    res = run(env, agent, 200, seed=0, progress=False, plot=False)
    assert agent.objective_names == ["cost", "distance"]
    assert res.best_reward > res.rows["reward"].iloc[:32].max()
    front = agent.pareto_front()
    assert front and all(p["objectives"]["cost"] <= -1.0 for p in front)  # signed: -cost, and cost >= 1


def test_infeasible_designs_before_the_first_feasible_one():
    """The objective names come from the first feasible design, however late it comes."""
    agent = NSGA2(SPACE, seed=0, population_size=4)
    for k in range(3):
        designs = agent.ask(agent.batch_size)
        feasible = [k == 2 and i == 1 for i in range(len(designs))]
        agent.tell(designs, [-1e4 if not f else -1.0 for f in feasible],
                   [{"feasible": f, "objectives": _objectives(d) if f else {}} for d, f in zip(designs, feasible)])
    assert agent.objective_names == ["f1", "f2"]
    front = agent.pareto_front()
    assert len(front) == 1 and set(front[0]["objectives"]) == {"f1", "f2"}
    assert np.isfinite(agent.objective_matrix(agent.members)).all(1).sum() == 1
