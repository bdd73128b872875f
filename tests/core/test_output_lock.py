"""One writer per output folder (issue 13 item 7), and a re-run that never duplicates rows (issue 14 item 3)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from archgym.cli import build_app
from archgym.files.lock import LOCK_FILE, DirectoryLock, LockError
from archgym.records import RecordsError, load_records
from archgym.runner import run


def test_a_second_writer_is_stopped_with_the_owners_pid_and_host(tmp_path):
    with DirectoryLock(tmp_path, "archgym run"):
        with pytest.raises(LockError, match=rf"being written by archgym run \(pid {os.getpid()} on host "
                                            rf"{socket.gethostname()}.*delete .*{LOCK_FILE}"):
            DirectoryLock(tmp_path, "archgym sweep").acquire()
        with pytest.raises(LockError):
            run("archgym/Synthetic-v0", "random", 10, 0, out=tmp_path, progress=False, plot=False)
    assert not (tmp_path / LOCK_FILE).exists()  # released


def test_a_lock_of_a_dead_process_is_taken_over_with_a_warning(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    (tmp_path / LOCK_FILE).write_text(json.dumps({"pid": pid, "host": socket.gethostname(), "what": "archgym run"}))
    with pytest.warns(UserWarning, match=rf"taking over the lock of archgym run \(pid {pid}, no longer running\)"):
        run("archgym/Synthetic-v0", "random", 10, 0, out=tmp_path, progress=False, plot=False)


def test_a_lock_from_another_host_is_never_taken_over(tmp_path):
    (tmp_path / LOCK_FILE).write_text(json.dumps({"pid": 1, "host": "elsewhere", "what": "archgym sweep"}))
    with pytest.raises(LockError, match="archgym sweep .pid 1 on host elsewhere"):
        run("archgym/Synthetic-v0", "random", 10, 0, out=tmp_path, progress=False, plot=False)


def test_rerunning_the_same_command_replays_instead_of_duplicating(tmp_path):
    out = tmp_path / "r"
    args = ["run", "archgym/Synthetic-v0", "-n", "300", "--out", str(out), "--no-progress", "--json"]
    first = CliRunner().invoke(build_app(), args)
    again = CliRunner().invoke(build_app(), args)
    assert first.exit_code == again.exit_code == 0, again.output
    assert json.loads(again.output)["best_reward"] == json.loads(first.output)["best_reward"]
    rows = load_records(out / "evaluations")
    assert len(rows) == 300 and sorted(rows["step"]) == list(range(300))
    refused = CliRunner().invoke(build_app(), [*args, "--no-resume"])
    assert refused.exit_code != 0 and "already holds 300 rows of this run" in refused.output
    with pytest.raises(RecordsError, match="already holds 300 rows"):
        run("archgym/Synthetic-v0", "random", 300, 0, out=out, progress=False, plot=False)
