"""Search on the surrogate, re-check on the simulator: the table holds what the simulator really says."""

import gymnasium as gym
import numpy as np
import pytest

from archgym.surrogates import train
from archgym.surrogates.recheck import search_and_recheck


def test_recheck_compares_predicted_with_simulated(synthetic_dataset, fast):
    sur = train(synthetic_dataset, "rf", params=fast["rf"], speed=False).surrogate
    res = search_and_recheck(sur, "random", budget=2000, top=6, seed=2, baseline_budget=6)
    t, s = res.table, res.summary
    assert len(t) == 6 and list(t["rank_predicted"]) == [1, 2, 3, 4, 5, 6]
    assert (np.diff(t["reward_predicted"]) <= 0).all()  # best predicted first
    env = gym.make("archgym/Synthetic-v0").unwrapped
    names = env.design_space.names
    assert not t.duplicated(names).any()
    for _, row in t.iterrows():
        design = {n: row[n] for n in names}
        sim = env.simulate(design)
        assert row["cost_simulated"] == pytest.approx(sim["cost"], rel=1e-12)
        assert row["reward_simulated"] == pytest.approx(env.reward_fn(sim), rel=1e-12)
        pred = sur.predict([design])[0]
        assert row["cost_predicted"] == pytest.approx(pred["cost"], rel=1e-12)
        assert row["cost_error_pct"] == pytest.approx(100 * (pred["cost"] - sim["cost"]) / sim["cost"], rel=1e-9)
    assert s["reward_gap"] == pytest.approx(t["reward_predicted"].iloc[0] - t["reward_simulated"].iloc[0])
    assert s["best_simulated_reward"] == t["reward_simulated"].max()
    assert s["surrogate_evaluations"] == 2000 and s["simulator_evaluations"] == 6
    assert s["baseline"]["simulator_evaluations"] == 6
    with pytest.raises(ValueError, match="top must be an integer >= 1"):
        search_and_recheck(sur, top=0)
