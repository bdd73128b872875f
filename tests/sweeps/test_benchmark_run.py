"""``archgym benchmark`` end to end on a tiny plan: runs under Ray Tune, a tidy table whose scores follow
from its own best rewards and the closed-form optimum, the report, the CLI's --report-only, and a
best-known design written with its provenance and re-simulated."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from archgym.benchmark.plan import load_plan
from archgym.benchmark.run import TABLE_COLUMNS, panels, run_benchmark, save_best_known
from archgym.cli import build_app

PLAN = {"name": "tiny", "seeds": 3, "budgets": [5, 20], "agents": ["random", "ga"],
        "envs": [{"id": "archgym/Synthetic-v0", "kwargs": {"instance": 2}}]}


@pytest.fixture(scope="module")
def benchmark(ray_local, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    plan = load_plan(PLAN)
    return plan, out, run_benchmark(plan, out, progress=False)


def test_the_table_has_one_row_per_run_and_budget_with_scores_from_its_own_figures(benchmark):
    plan, out, t = benchmark
    assert list(t.columns) == TABLE_COLUMNS and len(t) == 2 * 3 * 2
    assert (out / "tiny.parquet").is_file()
    assert t["optimum_source"].str.startswith("closed form").all() and (t["optimum"] == 0.0).all()
    for _, g in t.groupby("budget"):
        rand = np.median(g[g["agent"] == "random"]["best"])
        assert (g["random_median"] == rand).all()
        expected = 100 * (g["best"] - rand) / (0.0 - rand)
        assert np.allclose(g["score"], expected) and np.allclose(g["regret"], -g["best"])
    assert (t.groupby(["run_id"])["best"].apply(lambda s: s.is_monotonic_increasing)).all(), "more budget, no worse"


def test_report_only_through_the_cli_writes_the_leaderboard(benchmark, tmp_path):
    plan, out, _ = benchmark
    spec = tmp_path / "tiny.yaml"
    spec.write_text(json.dumps(PLAN))  # JSON is YAML
    r = CliRunner().invoke(build_app(), ["benchmark", str(spec), "--out", str(out), "--report-only", "--headline", "20",
                                         "--publish", str(tmp_path / "pub")])
    assert r.exit_code == 0, r.output
    md = (out / "tiny.md").read_text()
    assert "## Normalised score at 20 evaluations" in md and "| ga |" in md and "closed form (instance 2)" in md
    for f in ("tiny.md", "tiny_scores.png", "tiny_convergence.png", "tiny.parquet"):
        assert (tmp_path / "pub" / f).stat().st_size > 0


def test_best_known_design_is_written_with_provenance_and_resimulates(benchmark, tmp_path):
    plan, out, t = benchmark
    loaded = panels(plan, out)
    for p in loaded:  # pretend the closed form were unknown
        p["env"].known_optimum = lambda: None
    [path] = save_best_known(plan, out, folder=tmp_path, loaded=loaded)
    data = json.loads(path.read_text())
    assert data["source"].startswith("best known: ") and "archgym benchmark tiny" in data["source"]
    assert data["optimum"]["reward"] == t["best"].max()
    env = loaded[0]["env"]
    assert env.reward_of(env.evaluate(data["optimum"]["design"])) == data["optimum"]["reward"]
