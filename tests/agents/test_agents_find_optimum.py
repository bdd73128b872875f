"""Each search agent finds the known optimum of archgym/Synthetic-v0 within a stated budget for
most seeds; random search, at the same budget, does not (so the budgets are not trivially large).

Synthetic-v0 has ~2.6e10 designs and one optimum (cost exactly 1, reward 0, ``target_met``); the
optimum moves with ``instance``, set here to 1000 + seed so that no agent's first random draw can
coincide with it. Measured when written (default hyper-parameters unless stated): GA, ACO, NSGA-II
and PPO 10/10 seeds within 3,000 evaluations; BO 5/5 within 250; MARL 5/5 within 3,000.
"""

import pytest

from archgym.runner import run

ENV = "archgym/Synthetic-v0"

# agent -> (budget, seeds, successes required, hyper-parameters)
CASES = {
    "ga": (3000, 10, 8, {}),
    "aco": (3000, 10, 8, {}),
    "nsga2": (3000, 10, 8, {}),
    "ppo": (3000, 10, 8, {}),
    "bo": (250, 5, 4, {"batch_size": 4}),
    "marl": (3000, 5, 4, {}),
}


def _first_hit(agent, budget, seed, params):
    res = run(ENV, agent, budget, seed=seed, agent_params=params, env_kwargs={"instance": 1000 + seed},
              progress=False, plot=False)
    if res.first_target_met_step is not None:
        assert res.best_reward == 0.0 and res.best_metrics["cost"] == 1.0
    return res.first_target_met_step


@pytest.mark.parametrize("agent", sorted(CASES))
def test_agent_finds_the_optimum_for_most_seeds(agent):
    budget, n_seeds, required, params = CASES[agent]
    hits = {seed: _first_hit(agent, budget, seed, params) for seed in range(n_seeds)}
    found = sum(h is not None for h in hits.values())
    assert found >= required, (f"{agent} found the optimum within {budget} evaluations for {found}/{n_seeds} seeds "
                               f"(required {required}); first hits: {hits}")


def test_random_search_does_not_find_it_at_that_budget():
    hits = [_first_hit("random", 3000, seed, {}) for seed in range(10)]
    assert sum(h is not None for h in hits) <= 1, hits
