"""Resuming an interrupted run: logged rows are replayed, not simulated again, and every step ends up
in the dataset exactly once, identical to an uninterrupted run."""

import json

import pandas as pd
import pytest

from archgym.agents import make_agent
from archgym.records import RecordsError, load_records
from archgym.runner import make_env, run

ENV = "archgym/Synthetic-v0"
STABLE = ["run_id", "step", "reward", "design.x0", "design.p0", "design.mode", "metric.cost", "target_met"]


class Interrupt(Exception):
    pass


def _interrupted_run(out, budget, stop_after, seed=3):
    """A run killed (by an exception) once ``stop_after`` evaluations were made."""

    def stop(progress):
        if progress["evaluations"] >= stop_after:
            raise Interrupt

    with pytest.raises(Interrupt):
        run(ENV, "random", budget, seed, out=out, progress=False, plot=False, rows_per_part=16,
            agent_params={"batch_size": 8}, callback=stop)


def test_resume_completes_without_duplicates_and_matches_a_clean_run(tmp_path):
    _interrupted_run(tmp_path / "r", budget=100, stop_after=40)
    partial = load_records(tmp_path / "r")
    assert 0 < len(partial) < 100
    res = run(ENV, "random", 100, 3, out=tmp_path / "r", progress=False, plot=False, rows_per_part=16,
              agent_params={"batch_size": 8}, resume=True)
    df = load_records(tmp_path / "r").sort_values("step", ignore_index=True)
    assert df["step"].tolist() == list(range(100)), "every step exactly once"
    clean = run(ENV, "random", 100, 3, progress=False, agent_params={"batch_size": 8}).rows
    pd.testing.assert_frame_equal(df[STABLE], clean[STABLE])
    card = json.loads((tmp_path / "r" / "run.json").read_text())
    assert card["n_replayed"] == len(partial) and card["n_rows"] == 100
    assert res.best_reward == clean["reward"].max()


def test_resume_of_a_complete_run_writes_nothing_new(tmp_path):
    run(ENV, "random", 50, 1, out=tmp_path / "r", progress=False, plot=False)
    n_parts = len(list((tmp_path / "r" / "evaluations").glob("part-*")))
    run(ENV, "random", 50, 1, out=tmp_path / "r", progress=False, plot=False, resume=True)
    assert len(list((tmp_path / "r" / "evaluations").glob("part-*"))) == n_parts
    assert len(load_records(tmp_path / "r")) == 50


def test_resume_refuses_a_different_agent_trajectory(tmp_path):
    _interrupted_run(tmp_path / "r", budget=100, stop_after=40, seed=3)
    env = make_env(ENV)
    other = make_agent("random", env.design_space, seed=99, batch_size=8)
    with pytest.raises(RecordsError, match="at step 0 the agent asked for"):
        run(env, other, 100, 3, out=tmp_path / "r", progress=False, plot=False, resume=True, agent_name="random",
            run_id=load_records(tmp_path / "r")["run_id"].iloc[0])


def test_resume_refuses_rows_of_another_run(tmp_path):
    run(ENV, "random", 20, 1, out=tmp_path / "r", progress=False, plot=False)
    with pytest.raises(RecordsError, match="rows of other run"):
        run(ENV, "random", 20, 2, out=tmp_path / "r", progress=False, plot=False, resume=True)


def test_callback_reports_progress():
    seen = []
    run(ENV, "random", 30, 0, progress=False, agent_params={"batch_size": 10}, callback=seen.append)
    assert [p["evaluations"] for p in seen] == [10, 20, 30]
    assert all(a["best_reward"] <= b["best_reward"] for a, b in zip(seen, seen[1:]))
