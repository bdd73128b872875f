"""Issue 13 item 6, on this machine: a Ray head started with ``ray start`` and token authentication,
a sweep that joins it by ``--address`` (with the token; refused in one line without it) and leaves it
running, and a sweep whose process is killed, which leaves no Ray process behind.

The head is stopped by its own processes (found by its temporary folder), never by ``ray stop``,
which would stop every Ray of this user."""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from archgym.sweeps.dataset import load_dataset

psutil = pytest.importorskip("psutil")
pytest.importorskip("ray")

BIN = Path(sys.executable).parent
SPEC = {"name": "head", "budget": 300, "seeds": [0, 1], "envs": ["archgym/Synthetic-v0"], "agents": ["random"]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _clean_env(home: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    return {**env, "HOME": str(home), **extra}


def _processes_of(folder: str) -> list:
    """Every process whose command line names ``folder``, with all their descendants."""
    found = {}
    for p in psutil.process_iter(["cmdline"]):
        if folder in " ".join(p.info["cmdline"] or []):
            found[p.pid] = p
            try:
                found.update({c.pid: c for c in p.children(recursive=True)})
            except psutil.Error:
                pass
    return list(found.values())


@pytest.fixture(scope="module")
def head(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")  # the token file goes to HOME/.ray/auth_token
    temp = tempfile.mkdtemp(prefix="rh", dir="/tmp")  # short: Ray's socket paths must stay under 108 bytes
    port = _free_port()
    env = _clean_env(home)
    token = subprocess.run([BIN / "ray", "get-auth-token", "--generate"], env=env, capture_output=True, text=True,
                           check=True).stdout.strip().splitlines()[-1]
    started = subprocess.run([BIN / "ray", "start", "--head", "--port", str(port), "--num-cpus", "2",
                              "--include-dashboard", "false", "--temp-dir", temp, "--disable-usage-stats"],
                             env={**env, "RAY_AUTH_MODE": "token"}, capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stdout + started.stderr
    procs = _processes_of(temp)
    try:
        yield {"address": f"127.0.0.1:{port}", "token": token, "temp": temp}
    finally:
        procs = {p.pid: p for p in procs + _processes_of(temp)}.values()
        for p in procs:
            try:
                p.terminate()
            except psutil.Error:
                pass
        _, alive = psutil.wait_procs(list(procs), timeout=10)
        for p in alive:
            p.kill()


def _sweep(tmp_path, env, *args, timeout=300):
    spec = tmp_path / "sweep.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    return subprocess.run([BIN / "archgym", "sweep", str(spec), "--out", str(tmp_path / "out"), "--no-progress", *args],
                          env=env, capture_output=True, text=True, timeout=timeout)


def test_sweep_joins_a_token_head_by_address_and_leaves_it_running(head, tmp_path):
    env = _clean_env(tmp_path / "elsewhere", RAY_AUTH_TOKEN=head["token"])  # no token file: the variable only
    r = _sweep(tmp_path, env, "--address", head["address"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2/2 experiments completed" in r.stdout
    card = json.loads((tmp_path / "out" / "dataset.json").read_text())
    assert card["sessions"][0]["ray_address"] == head["address"] and card["sessions"][0]["ray_cpus"] == 2
    assert len(load_dataset(tmp_path / "out")) == 600
    names = {p.name() for p in _processes_of(head["temp"]) if p.is_running()}
    assert {"gcs_server", "raylet"} <= names, f"the head keeps running after the sweep disconnects: {names}"


def test_a_sweep_without_the_token_is_refused_in_one_line(head, tmp_path):
    env = _clean_env(tmp_path / "elsewhere", RAY_AUTH_MODE="token")  # token mode, but no token anywhere
    r = _sweep(tmp_path, env, "--address", head["address"], timeout=120)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    line = [x for x in r.stderr.splitlines() if x.startswith("error:")]
    assert len(line) == 1 and "no token was found" in line[0] and "RAY_AUTH_TOKEN=<token>" in line[0], r.stderr


@pytest.mark.slow
def test_a_sweep_without_token_or_mode_is_refused_naming_the_token(head, tmp_path):
    """The user's usual mistake: no RAY_AUTH_* at all; Ray retries for about 20 s before giving up."""
    r = _sweep(tmp_path, _clean_env(tmp_path / "elsewhere"), "--address", head["address"], timeout=180)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "RAY_AUTH_TOKEN=<token> or RAY_AUTH_TOKEN_PATH=<file>" in r.stderr


def test_a_killed_sweep_leaves_no_ray_process(tmp_path):
    spec = tmp_path / "sweep.yaml"
    spec.write_text(yaml.safe_dump({**SPEC, "budget": 2_000_000, "rows_per_part": 1000}))
    out = tmp_path / "out"
    proc = subprocess.Popen([BIN / "archgym", "sweep", str(spec), "--out", str(out), "--num-cpus", "2", "--no-progress"],
                            env=_clean_env(Path.home()), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.time() + 120
        while not list(out.glob("runs/*/evaluations/part-*.parquet")):
            assert proc.poll() is None and time.time() < deadline, "the sweep wrote no rows within 120 s"
            time.sleep(0.2)
        ray_procs = [c for c in psutil.Process(proc.pid).children(recursive=True)
                     if "archgym.sweeps.reaper" not in " ".join(c.cmdline())]
        names = {p.name() for p in ray_procs}
        assert {"gcs_server", "raylet"} <= names, names
        os.kill(proc.pid, signal.SIGKILL)  # the driver alone, as `kill -9 PID` would
        proc.wait()
        _, alive = psutil.wait_procs(ray_procs, timeout=15)
        assert not alive, f"Ray processes outlived the killed sweep by 15 s: {[(p.pid, p.name()) for p in alive]}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
