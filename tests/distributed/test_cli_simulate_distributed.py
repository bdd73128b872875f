"""``archgym simulate distributed`` via subprocess: ASTRA-sim's flags and its "sys[i] finished" lines, exact on reference rows."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REF = Path(__file__).resolve().parents[1] / "reference" / "astrasim"
INPUTS = REF / "inputs"
with open(REF / "astrasim_reference.csv", newline="") as f:
    ROWS = {r["case_id"]: r for r in csv.DictReader(f)}
# a doubleBinaryTree microbenchmark (NPUs differ), an aware direct one (links contend), one with 2 queues,
# an unaware 3-D workload and an aware workload
PICK = [next(r for r in ROWS.values() if r["finish_ns_per_npu"]),
        next(r for r in ROWS.values() if r["backend"] == "congestion_aware" and r["impl_under_test"] == "direct"),
        next(r for r in ROWS.values() if r["num_queues_per_dim"] == "2"),
        next(r for r in ROWS.values() if r["kind"] == "workload" and r["num_dims"] == "3"),
        next(r for r in ROWS.values() if r["kind"] == "workload" and r["backend"] == "congestion_aware")]


def cli(*args):
    exe = str(Path(sys.executable).with_name("archgym"))
    return subprocess.run([exe, "simulate", "distributed", *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def et_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("astrasim_et_cli")
    with tarfile.open(INPUTS / "workload_et.tar.gz") as t:
        t.extractall(d, members=[m for m in t.getmembers() if any(m.name.startswith(r["workload_prefix"] + ".") for r in PICK)],
                     filter="data")
    return d


def _flags(row, prefix):
    return ["--workload-configuration", prefix, "--system-configuration", INPUTS / row["system_config"],
            "--network-configuration", INPUTS / row["network_config"], "--remote-memory-configuration",
            INPUTS / row["remote_memory_config"], "--num-queues-per-dim", row["num_queues_per_dim"], "--backend", row["backend"]]


@pytest.mark.parametrize("row", PICK, ids=[r["case_id"] for r in PICK])
def test_lines_and_json_exact(row, et_dir):
    p = cli(*_flags(row, et_dir / row["workload_prefix"]))
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    n = int(row["total_npus"])
    per = [int(x) for x in row["finish_ns_per_npu"].split(";")] if row["finish_ns_per_npu"] else [int(row["finish_ns_npu0"])] * n
    assert len(lines) == n and lines[0].startswith("sys[0] finished, ")
    assert [int(x.split(", ")[1].removesuffix(" cycles")) for x in lines] == per
    assert lines[0].endswith(f"exposed communication {row['exposed_comm_ns_npu0']} cycles.")
    j = json.loads(cli(*_flags(row, et_dir / row["workload_prefix"]), "--json").stdout)
    assert j["finish_ns"] == per and j["exposed_comm_ns"][0] == int(row["exposed_comm_ns_npu0"])
    if row["kind"] == "workload":
        assert j["collectives_npu0"] == json.loads(row["wl_per_collective_ns_npu0"])
        assert j["wall_time_ns_npu0"] == int(row["wall_time_ns_npu0"])


def test_text_workload():
    row = PICK[3]
    p = cli(*_flags(row, INPUTS / (row["workload_prefix"] + ".txt")), "--num-passes", "2")
    assert p.returncode == 0 and p.stdout.splitlines()[0] == (f"sys[0] finished, {row['finish_ns_npu0']} cycles, exposed communication "
                                                              f"{row['exposed_comm_ns_npu0']} cycles.")


def test_bad_input_one_line_exit_2(tmp_path):
    row = PICK[0]
    p = cli(*_flags(row, tmp_path / "none"))
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.strip().splitlines()[-1].startswith("error: workload file: ") and "none.0.et does not exist" in p.stderr
    net = tmp_path / "net.yml"
    net.write_text("topology: [Ring]\nnpus_count: [1]\nbandwidth: [50]\nlatency: [500]\n")
    flags = _flags(row, tmp_path / "none")
    flags[flags.index("--network-configuration") + 1] = net
    p = cli(*flags)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.strip().splitlines()[-1] == f"error: {net}: dimension 0: npus_count 1 must be an integer larger than 1"
    p = cli(*_flags(row, tmp_path / "none")[:-2], "--backend", "ns3")
    assert p.returncode == 2 and p.stderr.strip().splitlines()[-1].startswith("error: backend 'ns3' is not one of")
