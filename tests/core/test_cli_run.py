"""``archgym run``: help lists environments and agents; the run writes what it says; bad input exits 2."""

import json

import pytest
from typer.testing import CliRunner

import archgym
from archgym.agents import AGENTS
from archgym.cli import build_app

runner = CliRunner()


@pytest.fixture(scope="module")
def app():
    return build_app()


def test_help_lists_environments_and_agents(app):
    res = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    flat = " ".join(res.output.split())
    for env_id in archgym.ENVIRONMENTS:
        assert env_id in flat
    for name in AGENTS:
        assert name in flat


def test_run_writes_outputs_and_prints_summary(app, tmp_path):
    out = tmp_path / "run"
    res = runner.invoke(app, ["run", "archgym/Synthetic-v0", "--budget", "120", "--seed", "3", "--out", str(out),
                              "--no-progress", "--param", "batch_size=16", "--target", "cost=1.5", "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    assert summary["budget"] == 120 and summary["seed"] == 3 and summary["out_dir"] == str(out)
    assert (out / "evaluations").is_dir() and (out / "run.json").is_file() and (out / "convergence.png").is_file()
    card = json.loads((out / "run.json").read_text())
    assert card["environment"]["reward"]["targets"] == {"cost": 1.5}
    assert card["agent_params"] == {"batch_size": 16}


def test_run_prints_best_design_table(app, tmp_path):
    res = runner.invoke(app, ["run", "archgym/Synthetic-v0", "-n", "40", "-o", str(tmp_path / "r"), "--no-progress"],
                        env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "best design" in res.output and "its metrics" in res.output and "convergence.png" in res.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "archgym/Nope-v0"], "environment 'archgym/Nope-v0' is not registered; allowed:"),
        (["run", "archgym/Synthetic-v0", "--agent", "nope"], "--agent 'nope' is not known; allowed:"),
        (["run", "archgym/Synthetic-v0", "--budget", "0"], "--budget must be >= 1, got 0"),
        (["run", "archgym/Synthetic-v0", "--param", "oops"], "--param 'oops': expected key=value"),
        (["run", "archgym/Synthetic-v0", "--param", "popsize=3"], "has no hyper-parameter(s) ['popsize']"),
        (["run", "archgym/Synthetic-v0", "--target", "cost=abc"], "--target cost='abc': value must be a number"),
        (["run", "archgym/Synthetic-v0", "--target", "watts=3"], "unknown metric(s) ['watts']"),
        (["run", "archgym/Synthetic-v0", "--workload", "nope"], "workload 'nope' is not known"),
        (["run", "archgym/Synthetic-v0", "--reward", "weighted"], "--reward weighted needs at least one --weight"),
        (["run", "archgym/Synthetic-v0", "--weight", "cost=1"], "--weight is only used by --reward weighted"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(app, tmp_path, args, message):
    res = runner.invoke(app, args + ["--out", str(tmp_path / "x"), "--no-progress"])
    assert res.exit_code == 2, res.output
    assert message in " ".join(res.output.split())
    assert "Traceback" not in res.output
