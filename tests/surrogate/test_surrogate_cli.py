"""`archgym surrogate ...`: JSON reports, saved files, and clean exit-2 errors for bad input."""

import json

import pytest
from typer.testing import CliRunner

from archgym.cli import build_app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(build_app(), ["surrogate", *map(str, args)])


@pytest.fixture(scope="module")
def trained(synthetic_dataset, tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "syn.surrogate"
    res = invoke("train", synthetic_dataset, "--model", "rf", "-p", "n_estimators=30", "--out", path, "--no-speed")
    assert res.exit_code == 0, res.output
    return path, json.loads(res.stdout)


def test_train_prints_held_out_metrics_and_saves(trained):
    path, rep = trained
    assert path.is_file()
    assert rep["model"] == "rf" and rep["env_id"] == "archgym/Synthetic-v0"
    assert set(rep["metrics"]) == {"cost", "distance"}
    assert {"rmse_pct_mean", "rmse_pct_range", "mape_pct", "r2", "kendall_tau", "top10_overlap"} <= set(rep["metrics"]["cost"])
    assert rep["model_path"] == str(path)


def test_evaluate_held_out_reproduces_training_report(trained, synthetic_dataset):
    path, rep = trained
    res = invoke("evaluate", path, synthetic_dataset, "--held-out")
    assert res.exit_code == 0, res.output
    again = json.loads(res.stdout)
    assert again["n_test_designs"] == rep["n_test_designs"]
    assert again["metrics"]["cost"]["rmse"] == pytest.approx(rep["metrics"]["cost"]["rmse"], rel=1e-12)


def test_learning_curve_writes_csv_and_plot(synthetic_dataset, tmp_path):
    res = invoke("learning-curve", synthetic_dataset, "--model", "knn", "--sizes", "100,400,1600",
                 "--out", tmp_path / "c.csv", "--plot", tmp_path / "c.png")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    sizes = sorted({r["n_train"] for r in out["curve"]})
    assert sizes == [100, 400, 1600]
    assert (tmp_path / "c.csv").is_file() and (tmp_path / "c.png").stat().st_size > 1000
    assert "knn" in out["designs_needed_for_goal"]


def test_recheck_reports_gap(trained, tmp_path):
    path, _ = trained
    res = invoke("recheck", path, "--budget", 500, "--top", 5, "--out", tmp_path / "top.csv")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["summary"]["simulator_evaluations"] == 5 and len(out["designs"]) == 5
    assert (tmp_path / "top.csv").is_file()


def test_models_lists_registry():
    res = invoke("models")
    assert res.exit_code == 0
    assert set(json.loads(res.stdout)) == {"rf", "hgb", "xgb", "knn", "mlp", "gp"}


@pytest.mark.parametrize("args,message", [
    (["train", "{ds}", "--model", "svm"], "model 'svm' is not known; allowed:"),
    (["train", "{ds}", "-p", "trees=3", "--model", "rf"], "bad hyper-parameter"),
    (["train", "{ds}", "--test-fraction", "1.5"], "test_fraction must be in (0, 1)"),
    (["train", "{missing}"], "does not exist"),
    (["train", "{ds}", "--workload", "ring"], "no rows with workload 'ring'"),
    (["train", "{ds}", "-p", "oops"], "--param 'oops': expected key=value"),
    (["evaluate", "{missing}", "{ds}"], "does not exist"),
    (["learning-curve", "{ds}", "--sizes", "10,x"], "--sizes '10,x': expected comma-separated integers"),
    (["learning-curve", "{ds}", "--sizes", "100,999999"], "outside 2.."),
    (["recheck", "{missing}"], "does not exist"),
])
def test_bad_input_exits_2_with_message(args, message, synthetic_dataset, tmp_path):
    args = [a.format(ds=synthetic_dataset, missing=tmp_path / "nope") for a in args]
    res = invoke(*args)
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output


def test_train_says_why_it_used_fewer_rows_than_it_read(synthetic_dataset, monkeypatch):
    """20,000 collected designs trained as 19,877 without a word: now the repeats dropped are named."""
    monkeypatch.setenv("ARCHGYM_QUIET", "0")
    res = invoke("train", synthetic_dataset, synthetic_dataset, "--model", "rf", "-p", "n_estimators=5", "--no-speed")
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)["dataset"]
    assert d["n_duplicates_dropped"] >= d["n_designs"]  # the second copy of every row is a repeat
    assert f"trained on {d['n_designs']:,} distinct designs of the {d['n_rows_read']:,} rows read" in res.stderr
    assert "repeated designs" in res.stderr
