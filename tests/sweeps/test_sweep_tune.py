"""Sweeps under Ray Tune on a local 2-CPU Ray session: one trial per experiment, rows exactly once,
batched best-so-far reports, retries of a raising trial, a failed trial reported, the card."""

import json

import pandas as pd
import pytest

from archgym.records import load_records
from archgym.runner import run
from archgym.sweeps.dataset import load_dataset
from archgym.sweeps.run import run_sweep
from archgym.sweeps.spec import parse_sweep_spec

ENV = "archgym/Synthetic-v0"
STABLE = ["step", "reward", "design.x0", "design.p1", "design.mode", "metric.cost"]


def _progress_rows(out):
    return [pd.read_csv(p) for p in sorted((out / "tune").rglob("progress.csv"))]


def test_sweep_runs_every_experiment_once(ray_local, tmp_path):
    spec = parse_sweep_spec({
        "name": "basic", "budget": 200, "seeds": [0, 1], "report_every": 50, "rows_per_part": 64,
        "envs": [{"id": ENV, "kwargs": {"instance": 2}}],
        "agents": [{"name": "random", "params": {"batch_size": [8, 32]}}],
    })
    res = run_sweep(spec, tmp_path / "s", progress=False)
    assert res.ok and len(res.completed) == 4 and res.evaluations == 800 and not res.resumed
    df = load_dataset(tmp_path / "s", with_runs=True)
    assert len(df) == 800
    counts = df.groupby("run_id")["step"].agg(["nunique", "size", "min", "max"])
    assert (counts["nunique"] == 200).all() and (counts["size"] == 200).all() and (counts["max"] == 199).all()
    # typed design columns from the recorded design space
    assert isinstance(df["design.mode"].dtype, pd.CategoricalDtype)
    assert list(df["design.mode"].cat.categories) == ["a", "b", "c", "d"]
    assert str(df["design.x0"].dtype) == "Int64"
    assert set(df["run.setting"]) == {"batch_size=8, budget=200", "batch_size=32, budget=200"}
    assert df["run.complete"].all() and df.groupby("run.setting_id")["seed"].nunique().eq(2).all()
    # a trial's rows are those of the same experiment run directly (deterministic under its seed)
    one = df[(df["seed"] == 1) & (df["run.setting"] == "batch_size=8, budget=200")].sort_values("step", ignore_index=True)
    direct = run(ENV, "random", 200, 1, env_kwargs={"instance": 2}, agent_params={"batch_size": 8}, progress=False).rows
    pd.testing.assert_frame_equal(one[STABLE].astype(direct[STABLE].dtypes.to_dict()), direct[STABLE])
    # best-so-far reported to Tune during the trial, batched: every 50 evaluations + the final report
    for prog in _progress_rows(tmp_path / "s"):
        assert 4 <= len(prog) <= 5, prog[["evaluations", "best_reward"]]
        assert prog["evaluations"].iloc[-1] == 200 and prog["done"].iloc[-1]
        assert prog["best_reward"].is_monotonic_increasing
        run_card = json.loads((tmp_path / "s" / "runs" / prog["run_id"].iloc[-1] / "run.json").read_text())
        assert run_card["tune_reports"] == len(prog) and run_card["result"]["best_reward"] == prog["best_reward"].iloc[-1]
    card = json.loads((tmp_path / "s" / "dataset.json").read_text())
    assert card["schema_version"] == 1 and card["kind"] == "sweep"
    assert card["counts"]["rows"] == 800 and card["counts"]["complete_runs"] == 4
    assert card["environments"][0]["env_id"] == ENV and card["environments"][0]["simulator_version"] == "synthetic-1"
    assert card["trials"] == {"completed": 4, "errored": [], "retried": [], "unfinished": 0}
    assert card["time"]["wall_seconds_total"] > 0 and card["ray_version"]


def test_raising_trial_is_retried_and_failing_trial_reported(ray_local, agents_module, tmp_path):
    marker = str(tmp_path / "failed-once")
    spec = parse_sweep_spec({
        "name": "faults", "budget": 120, "seeds": [5], "max_failures": 1, "rows_per_part": 16,
        "envs": [ENV],
        "agents": [
            {"name": f"{agents_module}:FlakyRandom", "label": "flaky", "params": {"fail_after": 40, "marker": marker}},
            {"name": f"{agents_module}:AlwaysFails", "label": "broken"},
        ],
    })
    res = run_sweep(spec, tmp_path / "s", progress=False)
    assert not res.ok
    assert [r["agent"] for r in res.retried] == ["flaky"] and res.retried[0]["attempts"] == 2
    assert len(res.errored) == 1
    err = res.errored[0]
    assert err["agent"] == "broken" and err["attempts"] == 2 and "this agent always fails" in err["error"]
    # the retried trial resumed from its 40 logged rows: every step exactly once, same rows as a clean run
    flaky = load_records(tmp_path / "s" / "runs" / res.retried[0]["run_id"]).sort_values("step", ignore_index=True)
    assert flaky["step"].tolist() == list(range(120))
    card = json.loads((tmp_path / "s" / "runs" / res.retried[0]["run_id"] / "run.json").read_text())
    assert card["n_replayed"] == 40 and card["attempt"] == 2
    clean = run(ENV, "random", 120, 5, agent_params={"batch_size": 8}, progress=False).rows
    pd.testing.assert_frame_equal(flaky[STABLE], clean[STABLE])
    dcard = json.loads((tmp_path / "s" / "dataset.json").read_text())
    assert dcard["trials"]["errored"][0]["error"] == err["error"]
    assert dcard["counts"]["complete_runs"] == 1


def test_out_holding_another_sweep_is_refused(ray_local, tmp_path):
    from archgym.sweeps.run import SweepError

    base = {"name": "a", "budget": 20, "envs": [ENV], "agents": ["random"]}
    run_sweep(parse_sweep_spec(base), tmp_path / "s", progress=False)
    with pytest.raises(SweepError, match="holds another sweep"):
        run_sweep(parse_sweep_spec({**base, "budget": 30}), tmp_path / "s", progress=False)
    # the same sweep again is a resume of a finished sweep: nothing new is written
    again = run_sweep(parse_sweep_spec(base), tmp_path / "s", progress=False)
    assert again.resumed and len(again.completed) == 1
    assert len(load_dataset(tmp_path / "s")) == 20
