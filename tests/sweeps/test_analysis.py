"""``archgym analyze``: the lottery box plot, target fractions and convergence curves, computed from
a sweep-shaped dataset (written with the run loop, no Ray needed) and checked against the rows."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from archgym.cli import build_app
from archgym.runner import run
from archgym.sweeps.analysis import analyze, experiment_table

ENV = "archgym/Synthetic-v0"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    """Two agents' settings x 2 seeds, laid out as a sweep (runs/<id>/ with cards), loose target."""
    root = tmp_path_factory.mktemp("sweep")
    for batch in (4, 64):
        for budget in (50, 200):
            for seed in (0, 1):
                setting = f"batch_size={batch}, budget={budget}"
                rid = f"b{batch}-n{budget}-s{seed}"
                run(ENV, "random", budget, seed, out=root / "runs" / rid, progress=False, plot=False, run_id=rid,
                    agent_name=f"random-b{batch}", agent_params={"batch_size": batch},
                    env_kwargs={"targets": {"cost": 2.2}},
                    card_extra={"sweep": "t", "setting": setting, "setting_id": f"b{batch}-n{budget}"})
    # an interrupted experiment: rows but no card, left out by default
    run(ENV, "random", 30, 9, out=root / "runs" / "partial", progress=False, plot=False, run_id="partial")
    (root / "runs" / "partial" / "run.json").unlink()
    return root


def test_experiment_table_matches_the_rows(sweep_dir):
    exps, rows = experiment_table(sweep_dir)
    assert len(exps) == 9 and (~exps["complete"]).sum() == 1
    for _, e in exps.iterrows():
        r = rows[rows["run_id"] == e["run_id"]]
        assert e["best_reward"] == r["reward"].max() and e["evaluations"] == len(r)
        assert e["target_met"] == r["target_met"].any()
        if e["target_met"]:
            assert e["first_target_met_evaluation"] == r.loc[r["target_met"], "step"].min() + 1


def test_analyze_writes_figures_and_tables(sweep_dir, tmp_path):
    s = analyze(sweep_dir, tmp_path / "a")
    assert s["experiments"] == 8 and s["incomplete_experiments_left_out"] == 1 and s["evaluations"] == 2 * 2 * (50 + 200)
    for name in ("lottery", "target_fraction", "convergence"):
        assert (tmp_path / "a" / f"{name}.png").read_bytes()[:8] == PNG
        assert (tmp_path / "a" / f"{name}.csv").stat().st_size > 0
    exps = pd.read_csv(tmp_path / "a" / "experiments.csv")
    lot = pd.read_csv(tmp_path / "a" / "lottery.csv").set_index("agent")
    for agent, e in exps.groupby("agent"):
        assert lot.loc[agent, "experiments"] == 4 and lot.loc[agent, "settings"] == 2
        assert lot.loc[agent, "best_reward_median"] == pytest.approx(e["best_reward"].median())
        assert lot.loc[agent, "best_reward_max"] == e["best_reward"].max()
        assert lot.loc[agent, "fraction_experiments_met_target"] == pytest.approx(e["target_met"].mean())
        all_seeds = e.groupby("setting_id")["target_met"].all().mean()
        assert lot.loc[agent, "fraction_settings_met_target_all_seeds"] == pytest.approx(all_seeds)
        near = (e["best_reward"] >= exps["best_reward"].max() - 0.01).mean()
        assert lot.loc[agent, "fraction_experiments_near_best"] == pytest.approx(near)
    assert 0 < exps["target_met"].mean() < 1, "the loose target is met by some experiments, not all"
    conv = pd.read_csv(tmp_path / "a" / "convergence.csv")
    for agent, c in conv.groupby("agent"):
        c = c.sort_values("evaluations")
        assert c["evaluations"].iloc[0] == 1 and c["evaluations"].iloc[-1] == 200
        for part in (c[c["evaluations"] <= 50], c[c["evaluations"] > 50]):  # same experiments within each part
            assert part["best_reward_median"].is_monotonic_increasing and part["best_reward_max"].is_monotonic_increasing
        assert c.loc[c["evaluations"] <= 50, "experiments"].eq(4).all() and c.loc[c["evaluations"] > 50, "experiments"].eq(2).all()
        assert c["best_reward_max"].iloc[-1] == exps.loc[exps["agent"] == agent, "best_reward"].max()
        e = exps[exps["agent"] == agent]
        winner = e.loc[e["best_reward"].idxmax()]
        last = c.loc[c["evaluations"] == winner["evaluations"], "best_experiment"].iloc[0]
        assert last == winner["best_reward"] and c["best_experiment"].dropna().is_monotonic_increasing
    assert json.loads((tmp_path / "a" / "summary.json").read_text())["experiments"] == 8


def test_analyze_cli(sweep_dir, tmp_path):
    r = CliRunner().invoke(build_app(), ["analyze", str(sweep_dir), "--out", str(tmp_path / "b"), "--include-incomplete", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["experiments"] == 9
    bad = CliRunner().invoke(build_app(), ["analyze", str(tmp_path / "nothing")])
    assert bad.exit_code == 2 and "does not exist" in bad.output
