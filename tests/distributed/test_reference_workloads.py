"""The 12 training workloads of the reference (data-parallel, 2 passes) against ASTRA-sim 2.x, both backends.

The graph comes from the row's ASTRA-sim 1.0 text layer table (the table Chakra's TextConverter turned
into the row's .et traces), scheduled by ``schedule_workload`` with the single-collective model.
Tolerance: exact (== in ns) on NPU 0's finish time, exposed communication, wall/comm/GPU time and
overlap, and on every collective's node id, name, issue and finish time.
"""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

import pytest

from archgym.simulators.distributed import collective_ns
from archgym.simulators.distributed.formats import read_network_yaml, read_system_json, read_text_workload
from archgym.simulators.distributed.workload import WorkloadNode, schedule_workload

REF = Path(__file__).resolve().parents[1] / "reference" / "astrasim"
with open(REF / "astrasim_reference.csv", newline="") as f:
    ROWS = [r for r in csv.DictReader(f) if r["kind"] == "workload"]


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['case_id']}-{r['backend']}-{r['workload_model']}-{r['topology']}" for r in ROWS])
def test_workload_exact_ns(row):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = read_network_yaml(REF / "inputs" / row["network_config"])
        sysc = read_system_json(REF / "inputs" / row["system_config"])
    nodes = read_text_workload(REF / "inputs" / (row["workload_prefix"] + ".txt"), int(float(row["num_passes"])))
    res = schedule_workload(nodes, lambda c, s: collective_ns(net, sysc, c, s, backend=row["backend"]))
    got = {"finish": res.finish_ns, "exposed": res.exposed_comm_ns, "wall": res.wall_time_ns, "comm": res.comm_time_ns,
           "gpu": res.gpu_time_ns, "overlap": res.comp_comm_overlap_ns}
    want = {"finish": row["finish_ns_npu0"], "exposed": row["exposed_comm_ns_npu0"], "wall": row["wall_time_ns_npu0"],
            "comm": row["comm_time_ns_npu0"], "gpu": row["gpu_time_ns_npu0"], "overlap": row["comp_comm_overlap_ns_npu0"]}
    want = {k: int(v) for k, v in want.items()}
    assert got == want, f"tolerance: == in ns; model {got}, ASTRA-sim {want}"
    ref_colls = [tuple(x) for x in json.loads(row["wl_per_collective_ns_npu0"])]
    assert res.collectives == ref_colls
    assert int(row["finish_ns_max"]) == int(row["finish_ns_min"]) == res.finish_ns  # data parallel: every NPU alike


def test_schedule_rules():
    """One node per resource at a time, issued in ascending id; 0 us of compute lasts 1 ns."""
    nodes = [WorkloadNode(0, "a", "compute", duration_us=2), WorkloadNode(1, "b", "compute", duration_us=0),
             WorkloadNode(2, "c", "collective", (0,), collective="AllReduce", size_bytes=8),
             WorkloadNode(3, "d", "collective", (), collective="AllReduce", size_bytes=8)]
    res = schedule_workload(nodes, lambda c, s: 500)
    # d (id 3) takes the free comm resource at t=0; c must wait for it after a finishes at 2000
    assert res.collectives == [(3, "d", 0, 500), (2, "c", 2000, 2500)] and res.finish_ns == 2500
    assert res.compute_ns == 2001 and res.exposed_comm_ns == 499


def test_text_workload_errors(tmp_path):
    p = tmp_path / "w.txt"
    p.write_text("MODEL\n1\nl0 -1 1 NONE 0 1 NONE 0 1 ALLREDUCE 8 10\n")
    with pytest.raises(NotImplementedError, match="only DATA"):
        read_text_workload(p)
    p.write_text("DATA\n2\nl0 -1 1 NONE 0 1 NONE 0 1 ALLREDUCE 8 10\n")
    with pytest.raises(ValueError, match="says 2 layers but has 1"):
        read_text_workload(p)
    p.write_text("DATA\n1\nl0 -1 1 NONE 0 1 NONE 0 1 NONE 8 10\n")
    with pytest.raises(ValueError, match="'NONE' is not one of"):
        read_text_workload(p)
    p.write_text("DATA\n1\nl0 -1 x NONE 0 1 NONE 0 1 ALLREDUCE 8 10\n")
    with pytest.raises(ValueError, match="line 1 cannot be parsed"):
        read_text_workload(p)
