"""An interrupted sweep resumes with Tuner.restore, and afterwards the dataset holds every evaluation
exactly once, identical to uninterrupted runs: the sweep's process group killed with SIGKILL mid-run
(default test), and a Ctrl-C (SIGINT: Tune stops cleanly, exit code 130) followed by that kill (slow)."""

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import yaml

from archgym.records import load_records
from archgym.runner import run
from archgym.sweeps.dataset import load_dataset

pytest.importorskip("ray")

ENV = "archgym/Synthetic-v0"
BUDGET = 30_000
SPEC = {
    "name": "killme", "budget": BUDGET, "seeds": [0, 1], "rows_per_part": 250, "report_every": 3000,
    "envs": [ENV], "agents": [{"name": "random", "params": {"batch_size": [8, 16]}}],
}
CLI = [sys.executable, "-c", "from archgym.cli import main; main()"]


def _parts(out):
    return list((out / "runs").glob("*/evaluations/part-*.parquet"))


def _sweep(spec_file, out):
    return subprocess.Popen(CLI + ["sweep", str(spec_file), "--out", str(out), "--num-cpus", "2", "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, text=True)


def _wait_for_parts(proc, out, n):
    deadline = time.time() + 120
    while len(_parts(out)) < n:
        assert proc.poll() is None, proc.stdout.read()
        assert time.time() < deadline, f"the sweep wrote fewer than {n} part files within 120 s"
        time.sleep(0.2)


def test_killed_sweep_resumes_with_every_evaluation_exactly_once(tmp_path):
    _check_interrupted_sweep(tmp_path, ctrl_c_first=False)


@pytest.mark.slow
def test_ctrl_c_then_killed_sweep_resumes_with_every_evaluation_exactly_once(tmp_path):
    _check_interrupted_sweep(tmp_path, ctrl_c_first=True)


def _check_interrupted_sweep(tmp_path, ctrl_c_first):
    spec_file = tmp_path / "sweep.yaml"
    spec_file.write_text(yaml.safe_dump(SPEC))
    out = tmp_path / "out"
    if ctrl_c_first:
        proc = _sweep(spec_file, out)
        try:
            _wait_for_parts(proc, out, 20)  # trials under way (~5,000 rows written)
            proc.send_signal(signal.SIGINT)
            output, _ = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        assert proc.returncode == 130, output
        assert "run the same command again to resume" in output

    before = len(_parts(out)) if out.exists() else 0
    proc = _sweep(spec_file, out)
    try:
        _wait_for_parts(proc, out, before + 30)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and everything it started (its own session)
        proc.wait()
    complete = list((out / "runs").glob("*/run.json"))
    assert len(complete) < 4, "the sweep finished before it could be killed; raise BUDGET"
    partial = len(load_dataset(out))
    assert 0 < partial < 4 * BUDGET

    resumed = subprocess.run(CLI + ["sweep", str(spec_file), "--out", str(out), "--num-cpus", "2", "--no-progress",
                                    "--json"], capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    summary = json.loads(resumed.stdout[resumed.stdout.index("{"):])
    assert summary["n_completed"] == 4 and summary["errored"] == [] and summary["resumed"], "restored with Tuner.restore"

    df = load_dataset(out)
    assert len(df) == 4 * BUDGET, "no row lost, none duplicated"
    per_run = df.groupby("run_id")["step"]
    assert (per_run.nunique() == BUDGET).all() and (per_run.max() == BUDGET - 1).all()
    cards = [json.loads(p.read_text()) for p in (out / "runs").glob("*/run.json")]
    assert any(0 < c["n_replayed"] < BUDGET for c in cards), "at least one trial resumed mid-run from its rows"
    card = json.loads((out / "dataset.json").read_text())
    assert card["counts"]["rows"] == 4 * BUDGET and card["sessions"][-1]["resumed"]

    # the resumed experiment's rows equal an uninterrupted run of the same experiment
    c = next(c for c in cards if 0 < c["n_replayed"] < BUDGET)
    exp = c["experiment"]
    got = load_records(out / "runs" / c["run_id"]).sort_values("step", ignore_index=True)
    want = run(ENV, "random", BUDGET, exp["seed"], agent_params=exp["params"], progress=False).rows
    cols = ["step", "reward", "design.x0", "design.x6", "design.p0", "design.mode"]
    pd.testing.assert_frame_equal(got[cols], want[cols])
