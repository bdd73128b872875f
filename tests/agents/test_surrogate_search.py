"""The surrogate-assisted search agent: interface, reproducibility, validation, and that it searches.

The search check compares with an independent figure: Synthetic-v0's optimum is known in closed form
(reward 0 at the instance's optimum design, ``env.known_optimum()``), so the gap to it after a small
budget is measured against random search's gap at the same budget and seeds.
"""

import numpy as np
import pytest

from archgym.agents import AGENTS, make_agent
from archgym.agents.surrogate_search import SurrogateSearch
from archgym.core.spaces import Categorical, DesignSpace, Integer, Ordinal, PowerOfTwo, Real
from archgym.runner import make_env, run

ENV = "archgym/Synthetic-v0"
MIXED = DesignSpace([Integer("i", 0, 4), PowerOfTwo("p", 1, 64), Categorical("c", ("x", "y", "z")),
                     Ordinal("o", (1, 2, 3, 6, 12)), Real("r", 0.5, 8.0, log=True)])
SMALL = {"n_initial": 6, "n_trees": 8, "n_candidates": 60, "n_mutations": 20}


def test_registered_and_built_by_name():
    assert AGENTS["surrogate"] == "archgym.agents.surrogate_search:SurrogateSearch"
    agent = make_agent("surrogate", MIXED, seed=0, acquisition="lcb", n_trees="16")
    assert isinstance(agent, SurrogateSearch) and agent.name == "surrogate"
    assert agent.n_trees == 16 and agent.acquisition == "lcb"
    assert agent.hyperparameters()["n_trees"] == 16


@pytest.mark.parametrize("acquisition", ["ei", "lcb"])
@pytest.mark.parametrize("n", [1, 4])
def test_valid_distinct_designs_on_a_mixed_space(acquisition, n):
    """Categoricals, powers of two, integers, ordinals and a discretised real; never a design twice."""
    agent = SurrogateSearch(MIXED, seed=1, acquisition=acquisition, **SMALL)
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(8):
        designs = agent.ask(n)
        assert len(designs) == n
        for d in designs:
            assert MIXED.validate(d) == d
            key = tuple(sorted(d.items()))
            assert key not in seen
            seen.add(key)
        agent.tell(designs, list(rng.normal(size=n)), [{"feasible": True}] * n)
    assert agent.n_told == 8 * n and agent.model is not None


def test_infeasible_designs_do_not_flatten_the_model():
    """A -100 penalty is fitted as the worst feasible reward (then warped): targets stay in the feasible range."""
    agent = SurrogateSearch(MIXED, seed=0, y_transform="none", **SMALL)
    designs = agent.ask(4)
    agent.tell(designs, [-1.0, -2.0, -100.0, -3.0], [{"feasible": True}, {"feasible": True}, {"feasible": False},
                                                       {"feasible": True}])
    assert agent.targets().tolist() == [-1.0, -2.0, -3.0, -3.0]


def test_log_and_rank_targets_by_hand():
    agent = SurrogateSearch(MIXED, seed=0, **SMALL)
    agent.tell(agent.ask(3), [0.0, -1.0, -3.0])
    # gaps to the best 0, 1, 3; median positive gap 2; -log(1 + gap / 0.2)
    np.testing.assert_allclose(agent.targets(), [0.0, -np.log(6.0), -np.log(16.0)])
    agent.y_transform = "rank"
    np.testing.assert_allclose(agent.targets(), [2.5 / 3, 1.5 / 3, 0.5 / 3])


def test_ensemble_spread_is_the_trees_standard_deviation():
    agent = SurrogateSearch(MIXED, seed=3, **SMALL)
    rng = np.random.default_rng(1)
    for _ in range(3):
        d = agent.ask(4)
        agent.tell(d, list(rng.normal(size=4)))
    agent.fit()
    rows = agent.grid.random(10, rng)
    mu, sd = agent.predict(rows)
    per_tree = np.array([t.predict(agent.grid.features(rows)) for t in agent.model.estimators_])
    np.testing.assert_allclose(mu, per_tree.mean(axis=0))
    np.testing.assert_allclose(sd, per_tree.std(axis=0))
    np.testing.assert_allclose(mu, agent.model.predict(agent.grid.features(rows)))


def test_mutations_stay_in_the_trust_region():
    agent = SurrogateSearch(MIXED, seed=0, **SMALL)
    row = np.array([2, 3, 1, 2, 8])
    for k in (1, 2, 3, 5):
        out = agent.mutate(row, np.full(200, k))
        assert out.shape == (200, 5)
        assert ((out != row).sum(axis=1) == k).all()
        assert ((out >= 0) & (out < agent.grid.sizes)).all()
    # an ordered parameter at the end of its range steps back into it; every other value is reachable
    one = agent.mutate(np.array([4, 6, 2, 4, 15]), np.ones(2000, dtype=int))
    assert set(one[:, 0]) == {0, 1, 2, 3, 4} and set(one[:, 4]) == set(range(16))


def test_trust_region_doubles_halves_and_restarts():
    agent = SurrogateSearch(DesignSpace([Integer(f"x{i}", 0, 3) for i in range(8)]), seed=0,
                            success_tolerance=2, failure_tolerance=3)
    assert agent.trust_radius == 2  # a quarter of 8 parameters
    for _ in range(2):
        agent._update_radius(True)
    assert agent.trust_radius == 4
    for _ in range(3):
        agent._update_radius(False)
    assert agent.trust_radius == 2
    for _ in range(3):
        agent._update_radius(False)
    assert agent.trust_radius == 1
    for _ in range(3):
        agent._update_radius(False)
    assert agent.trust_radius == 2  # 1 -> 0.5, under one parameter: starts again at its initial size


def _rows(seed, budget=30):
    df = run(ENV, "surrogate", budget, seed=seed, agent_params=SMALL, progress=False, plot=False,
             env_kwargs={"instance": 5}).rows
    return df[[c for c in df.columns if c.startswith("design.")] + ["reward"]]


def test_same_seed_same_sequence_other_seed_other_sequence():
    a, b, c = _rows(3), _rows(3), _rows(4)
    assert a.equals(b)
    assert not a.equals(c)
    assert not a.drop(columns="reward").duplicated().any()


@pytest.mark.parametrize(
    "params, message",
    [
        ({"acquisition": "pi"}, "acquisition 'pi' is not known; allowed: ['ei', 'lcb']"),
        ({"y_transform": "sqrt"}, "y_transform 'sqrt' is not known; allowed: ['log', 'rank', 'none']"),
        ({"n_initial": "0"}, "n_initial must be an integer >= 1, got 0"),
        ({"n_trees": "1"}, "n_trees must be an integer >= 2, got 1"),
        ({"batch_size": "0"}, "batch_size must be an integer >= 1, got 0"),
        ({"kappa": "-1"}, "kappa must be a finite number >= 0, got -1.0"),
        ({"xi": "nan"}, "xi must be a finite number >= 0, got nan"),
        ({"n_candidates": "0", "n_incumbents": "0"}, "n_candidates + n_incumbents * n_mutations must be >= 1"),
        ({"n_trees": "x"}, "hyper-parameter n_trees='x' is not a valid int"),
    ],
)
def test_bad_hyperparameters_are_named(params, message):
    with pytest.raises(ValueError) as e:
        make_agent("surrogate", MIXED, seed=0, **params)
    assert message in str(e.value)


def test_bad_ask_is_named():
    with pytest.raises(ValueError, match="ask: n must be >= 1, got 0"):
        SurrogateSearch(MIXED, seed=0).ask(0)


def test_beats_random_search_on_synthetic_at_a_small_budget():
    """Gap to the closed-form optimum (reward 0) after 40 evaluations, 3 seeds: the surrogate agent's
    median gap is under half of random search's, and it is closer on every seed."""
    budget, gaps = 40, {"random": [], "surrogate": []}
    for seed in range(3):
        env = make_env(ENV, instance=1000 + seed)
        optimum = env.known_optimum()["reward"]
        assert optimum == 0.0
        for name in gaps:
            params = SMALL if name == "surrogate" else {}
            res = run(env, name, budget, seed=seed, agent_params=params, progress=False, plot=False)
            gaps[name].append(optimum - res.best_reward)
    assert all(s < r for s, r in zip(gaps["surrogate"], gaps["random"])), gaps
    assert np.median(gaps["surrogate"]) < 0.5 * np.median(gaps["random"]), gaps
