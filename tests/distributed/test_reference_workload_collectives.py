"""Each collective inside ASTRA-sim's training workloads against the stand-alone single-collective model.

ASTRA-sim runs one collective at a time per NPU in these workloads, so each all-reduce's
``finish - issue`` on NPU 0 (the reference's ``wl_per_collective_ns_npu0``, from ASTRA-sim's trace
log) must equal the model's time for that layer's gradient size (from the layer table) on the row's
network and system files. Tolerance: exact (== in ns), every collective of every workload row, both
backends. The workload schedule itself (compute nodes, dependencies) is not modelled yet.
"""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

import pytest

from archgym.simulators.distributed.collective import collective_from_files

REF = Path(__file__).resolve().parents[1] / "reference" / "astrasim"
with open(REF / "astrasim_reference.csv", newline="") as f:
    ROWS = [r for r in csv.DictReader(f) if r["kind"] == "workload"]


def gradient_bytes(prefix: str) -> dict[str, int]:
    """Layer name -> weight-gradient all-reduce bytes, from the row's ASTRA-sim 1.0 text layer table."""
    table = REF / "inputs" / (prefix + ".txt")
    lines = table.read_text().split("\n")
    assert lines[0].strip() == "DATA"
    out = {}
    for line in lines[2:2 + int(lines[1])]:
        f = line.split()
        assert f[9] == "ALLREDUCE", line
        out[f[0]] = int(f[10])
    return out


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['case_id']}-{r['backend']}-{r['workload_model']}-{r['topology']}" for r in ROWS])
def test_workload_collectives_exact_ns(row):
    sizes = gradient_bytes(row["workload_prefix"])
    colls = json.loads(row["wl_per_collective_ns_npu0"])
    assert len(colls) == int(row["wl_num_collectives"]) > 0
    memo, misses = {}, []
    for node_id, name, issue, finish in colls:
        layer = name.removeprefix("COMM_COLL_NODE_").removesuffix("_ALLREDUCE")
        size = sizes[layer]
        if size not in memo:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                memo[size] = collective_from_files(REF / "inputs" / row["network_config"], REF / "inputs" / row["system_config"],
                                                   "AllReduce", size, backend=row["backend"])[0]
        if memo[size] != finish - issue:
            misses.append(f"node {node_id} {name} ({size} B): model {memo[size]} ns, ASTRA-sim {finish - issue} ns")
    assert not misses, f"{len(misses)}/{len(colls)} collectives not exact (tolerance: == in ns):\n" + "\n".join(misses)
