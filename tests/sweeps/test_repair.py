"""Issue 13 item 7: a damaged run, collect or sweep folder is repaired by re-simulating only what is
missing, and ends with the rows it held before (compared with a copy taken before the damage)."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from archgym.collect import collect
from archgym.files.lock import LOCK_FILE, LockError
from archgym.records import RecordsError, RecordWriter, load_records
from archgym.repair import DAMAGED_DIR, repair
from archgym.runner import make_env, run
from archgym.sweeps.dataset import load_dataset

ARCHGYM = str(Path(sys.executable).with_name("archgym"))


def _rows(path) -> pd.DataFrame:
    """Every row, in run and step order, without the wall-clock column (timings differ between runs)."""
    df = load_records(path)
    return df.sort_values(["run_id", "step"]).drop(columns=["sim_seconds"]).reset_index(drop=True)


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _flip_a_byte(p: Path) -> None:
    b = bytearray(p.read_bytes())
    b[len(b) // 2] ^= 0xFF
    p.write_bytes(bytes(b))


@pytest.fixture
def ga_run(tmp_path):
    out = tmp_path / "r"
    run("archgym/SystolicArray-v0", "ga", 300, 3, out=out, rows_per_part=100, progress=False, plot=False)
    return out, _rows(out / "evaluations")


def test_a_run_with_a_deleted_a_changed_and_a_stray_part_is_rebuilt_as_it_was(ga_run):
    out, before = ga_run
    parts = out / "evaluations"
    kept = _sha(parts / "part-00000.parquet")
    (parts / "part-00001.parquet").unlink()
    _flip_a_byte(parts / "part-00002.parquet")
    shutil.copy(parts / "part-00000.parquet", parts / "part-00099.parquet")
    with pytest.raises(RecordsError, match="damaged: .*part-00001.parquet is missing"):
        load_dataset(out)

    dry = repair(out, dry_run=True, progress=False)
    assert [r["missing"] for r in dry.runs] == [["part-00001.parquet"]]
    assert [r["set_aside"] for r in dry.runs] == [["part-00002.parquet", "part-00099.parquet"]]
    assert not (out / DAMAGED_DIR).exists(), "a dry run changes nothing"

    report = repair(out, progress=False)
    assert report.rows_simulated == 200, "only the 200 rows of the two damaged parts are simulated again"
    assert _sha(parts / "part-00000.parquet") == kept, "the intact part is not rewritten"
    pd.testing.assert_frame_equal(_rows(parts), before)
    assert len(load_dataset(out)) == 300, "the repaired folder verifies against its card"
    assert sorted(p.name.split(".")[0] for p in (out / DAMAGED_DIR).iterdir()) == ["part-00002", "part-00099"]
    card = json.loads((out / "run.json").read_text())
    assert card["n_replayed"] == 100 and card["repairs"][-1]["rows_simulated"] == 200
    assert repair(out, progress=False).runs == [], "a second repair finds nothing to do"


def test_a_resume_over_a_gap_points_to_repair(ga_run):
    out, _ = ga_run
    (out / "evaluations" / "part-00001.parquet").unlink()
    with pytest.raises(RecordsError, match=r"rows are missing: run `archgym repair .*` to re-simulate only those"):
        run("archgym/SystolicArray-v0", "ga", 300, 3, out=out, rows_per_part=100, progress=False, plot=False, resume=True)


def test_writer_numbers_after_the_highest_part_and_overwrites_nothing(tmp_path):
    d = tmp_path / "e"
    with RecordWriter(d, rows_per_part=1) as w:
        w.extend([{"a": i} for i in range(3)])
    (d / "part-00001.parquet").unlink()
    last = _sha(d / "part-00002.parquet")
    with RecordWriter(d, rows_per_part=1) as w:
        w.add({"a": 9})
    assert _sha(d / "part-00002.parquet") == last and (d / "part-00003.parquet").is_file()


def test_a_collect_output_re_simulates_only_its_missing_chunk(tmp_path):
    out = tmp_path / "c"
    collect("archgym/SystolicArray-v0", 500, "lhs", 4, out=out, chunk=100, progress=False,
            env_kwargs={"workload": "mobilenet_v1"})
    before = _rows(out / "evaluations")
    (out / "evaluations" / "part-00002.parquet").unlink()
    report = repair(out, progress=False)
    assert report.rows_simulated == 100
    pd.testing.assert_frame_equal(_rows(out / "evaluations"), before)
    card = json.loads((out / "dataset.json").read_text())
    assert card["kind"] == "collect" and card["collect"]["seed"] == 4, "the dataset card keeps its settings"
    assert card["counts"]["rows"] == 500 and len(card["repairs"]) == 1
    assert len(load_dataset(out)) == 500


def test_a_run_of_an_environment_object_cannot_be_rebuilt_and_says_so(tmp_path):
    out = tmp_path / "r"
    run(make_env("archgym/Synthetic-v0"), "random", 20, 0, out=out, rows_per_part=10, progress=False, plot=False)
    (out / "evaluations" / "part-00001.parquet").unlink()
    with pytest.raises(RecordsError, match=r"run.json: cannot rebuild this run: its card has no recipe .*part-00001"):
        repair(out, progress=False)


def test_a_changed_environment_version_is_refused(ga_run):
    out, _ = ga_run
    card = json.loads((out / "run.json").read_text())
    (out / "run.json").write_text(json.dumps({**card, "simulator_version": "systolic-0"}))
    (out / "evaluations" / "part-00002.parquet").unlink()
    with pytest.raises(RecordsError, match=r"the environment changed since its rows were written \(simulator_version "
                                           r"'systolic-0' -> "):
        repair(out, progress=False)


def test_a_folder_being_written_is_refused(ga_run):
    out, _ = ga_run
    (out / LOCK_FILE).write_text(json.dumps({"pid": os.getpid(), "host": os.uname().nodename, "what": "archgym run"}))
    with pytest.raises(LockError, match=rf"being written by archgym run \(pid {os.getpid()}"):
        repair(out, progress=False)


def test_cli_reports_in_one_line_per_run(ga_run):
    out, _ = ga_run
    (out / "evaluations" / "part-00001.parquet").unlink()
    r = subprocess.run([ARCHGYM, "repair", str(out), "--dry-run"], capture_output=True, text=True)
    assert r.returncode == 0 and "part-00001.parquet is missing: would re-simulate its missing rows" in r.stdout
    r = subprocess.run([ARCHGYM, "repair", str(out), "--no-progress"], capture_output=True, text=True)
    assert r.returncode == 0 and "re-simulated 100 row(s)" in r.stdout and "verified against its cards" in r.stdout
    r = subprocess.run([ARCHGYM, "repair", str(out / "nothing")], capture_output=True, text=True)
    assert r.returncode != 0 and "is not a folder" in r.stderr and "Traceback" not in r.stderr


def test_a_sweep_with_a_damaged_trial_and_a_lost_trial_is_rebuilt(ray_local, tmp_path):
    from archgym.sweeps.run import run_sweep
    from archgym.sweeps.spec import parse_sweep_spec

    spec = parse_sweep_spec({"name": "mend", "budget": 60, "seeds": [0, 1, 2], "rows_per_part": 20,
                             "envs": ["archgym/Synthetic-v0"], "agents": ["random", "ga"]})
    out = tmp_path / "s"
    assert run_sweep(spec, out, progress=False).ok
    before = _rows(out / "runs")
    trials = sorted((out / "runs").iterdir())
    (trials[0] / "evaluations" / "part-00001.parquet").unlink()
    shutil.rmtree(trials[1])  # a whole trial, card included
    with pytest.raises(RecordsError, match="damaged"):
        load_dataset(out)
    report = repair(out, progress=False)
    assert report.rows_simulated == 20 + 60 and len(report.runs) == 2
    pd.testing.assert_frame_equal(_rows(out / "runs"), before)
    df = load_dataset(out, with_runs=True)
    assert len(df) == 6 * 60 and df["run.complete"].all()
    card = json.loads((out / "dataset.json").read_text())
    assert card["kind"] == "sweep" and card["sweep"]["name"] == "mend" and card["counts"]["complete_runs"] == 6
    rebuilt = json.loads((trials[1] / "run.json").read_text())
    assert rebuilt["experiment"]["seed"] in (0, 1, 2) and rebuilt["repairs"][0]["rows_simulated"] == 60
