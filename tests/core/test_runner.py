"""The ask/tell run loop and its outputs: rows, card, plot; determinism; clean failures."""

import json

import pandas as pd
import pytest

from archgym.agents import make_agent
from archgym.records import SCHEMA_VERSION, load_records
from archgym.runner import make_env, run

ENV = "archgym/Synthetic-v0"


def test_run_writes_rows_card_and_plot(tmp_path):
    res = run(ENV, "random", 300, seed=4, out=tmp_path / "r", progress=False, rows_per_part=128)
    parts = sorted((tmp_path / "r" / "evaluations").glob("part-*.parquet"))
    assert len(parts) == 3  # 128 + 128 + 44 rows
    df = load_records(tmp_path / "r")
    assert len(df) == 300 and df["step"].tolist() == list(range(300))
    assert (df["schema_version"] == SCHEMA_VERSION).all()
    assert {"design.x0", "design.mode", "metric.cost", "metric.distance", "reward", "feasible", "target_met",
            "sim_seconds", "agent", "agent_params", "seed", "env_id", "env_version", "workload"} <= set(df.columns)
    assert pd.api.types.is_string_dtype(df["design.mode"]) and pd.api.types.is_integer_dtype(df["design.x0"])
    assert df["reward"].max() == res.best_reward
    best_row = df.loc[df["reward"].idxmax()]
    assert best_row["step"] == res.best_step
    card = json.loads((tmp_path / "r" / "run.json").read_text())
    assert card["n_rows"] == 300 and card["agent"] == "random" and card["seed"] == 4
    assert card["result"]["best_reward"] == res.best_reward
    png = (tmp_path / "r" / "convergence.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list((tmp_path / "r").rglob(".*.tmp*")), "temporary files left behind"


def test_same_seed_same_rows(tmp_path):
    a = run(ENV, "random", 200, seed=9, progress=False).rows
    b = run(ENV, "random", 200, seed=9, progress=False).rows
    c = run(ENV, "random", 200, seed=10, progress=False).rows
    cols = [x for x in a.columns if x != "sim_seconds"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert not a[cols].equals(c[cols])
    assert a["run_id"].iloc[0] == b["run_id"].iloc[0] != c["run_id"].iloc[0]


def test_budget_is_exact_whatever_the_batch_size():
    for batch in (1, 7, 64, 1000):
        res = run(ENV, "random", 50, seed=0, agent_params={"batch_size": batch}, progress=False)
        assert len(res.rows) == 50


def test_agent_instance_and_env_instance():
    env = make_env(ENV, instance=3)
    agent = make_agent("random", env.design_space, seed=1)
    res = run(env, agent, 64, seed=1, progress=False)
    assert agent.best_reward == res.best_reward and agent.n_told == 64


def test_bad_arguments_are_clear():
    with pytest.raises(ValueError, match="budget must be an integer >= 1"):
        run(ENV, "random", 0)
    with pytest.raises(ValueError, match="environment 'archgym/Nope-v0' is not registered; allowed"):
        run("archgym/Nope-v0", "random", 5)
    with pytest.raises(ValueError, match="agent 'nope' is not known; allowed"):
        run(ENV, "nope", 5)
    with pytest.raises(ValueError, match=r"agent 'random' has no hyper-parameter\(s\) \['popsize'\]"):
        run(ENV, "random", 5, agent_params={"popsize": 3})
    with pytest.raises(ValueError, match="hyper-parameter batch_size='x' is not a valid int"):
        run(ENV, "random", 5, agent_params={"batch_size": "x"})


def test_record_evaluations_wrapper_logs_every_step(tmp_path):
    import gymnasium as gym

    from archgym.trajectory import RecordEvaluations

    env = RecordEvaluations(gym.make(ENV, episode_length=5), tmp_path / "log", agent="sb3-ppo", rows_per_part=4)
    env.reset(seed=2)
    env.action_space.seed(2)
    for _ in range(10):
        *_, terminated, _, _ = env.step(env.action_space.sample())
        if terminated:
            env.reset()
    env.close()
    df = load_records(tmp_path / "log")
    assert len(df) == 10 and (df["agent"] == "sb3-ppo").all() and (df["seed"] == 2).all()
    assert df["step"].tolist() == list(range(10))
