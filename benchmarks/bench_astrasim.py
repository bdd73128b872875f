"""Benchmark: archgym's ASTRA-sim 2.x model against the real simulator's reference rows.

Runs the model on every row of tests/reference/astrasim/astrasim_reference.csv (both analytical
backends), from the row's own network YAML and system JSON (workloads: from the row's ASTRA-sim 1.0
text layer table, from which its Chakra traces were made), and prints per backend and group: rows,
exact (== in ns on NPU 0's finish time), within 1 %, not matched, not modelled (the model raises
NotImplementedError) and refused (ValueError). Speed: the model's total wall time (file reading
included) on the rows it ran against the sum of the binary's ``sim_wall_s`` on the same rows (median of
3 runs of the binary, process start-up included).

    .venv/bin/python benchmarks/bench_astrasim.py [--save]

With --save, writes benchmarks/results/bench_astrasim.md and .json; without it, writes nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import time
import warnings
from collections import defaultdict
from pathlib import Path

from archgym.simulators.distributed.collective import collective_from_files, collective_ns
from archgym.simulators.distributed.formats import read_network_yaml, read_system_json, read_text_workload
from archgym.simulators.distributed.workload import schedule_workload

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference" / "astrasim"
RESULTS = ROOT / "benchmarks" / "results"
FIELDS = ("rows", "exact", "within_1pct", "not_matched", "not_modelled", "refused")


def run_row(row) -> int:
    if row["kind"] != "microbenchmark":
        # the row's .et traces were made from this layer table by Chakra's TextConverter (DATA mode)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net = read_network_yaml(REF / "inputs" / row["network_config"])
            sysc = read_system_json(REF / "inputs" / row["system_config"])
        nodes = read_text_workload(REF / "inputs" / (row["workload_prefix"] + ".txt"), int(float(row["num_passes"])))
        return schedule_workload(nodes, lambda c, s: collective_ns(net, sysc, c, s, backend=row["backend"])).finish_ns
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return collective_from_files(REF / "inputs" / row["network_config"], REF / "inputs" / row["system_config"],
                                     row["collective"], int(float(row["msg_size_bytes"])),
                                     num_queues_per_dim=int(row["num_queues_per_dim"]), backend=row["backend"])[0]


def evaluate(rows) -> dict:
    table = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    model_s = defaultdict(float)
    binary_s = defaultdict(float)
    reasons = defaultdict(lambda: defaultdict(int))
    for r in rows:
        key = (r["backend"], r["group"])
        cell = table[key]
        cell["rows"] += 1
        t0 = time.perf_counter()
        try:
            got = run_row(r)
        except NotImplementedError as e:
            cell["not_modelled"] += 1
            reasons[key][str(e).split(":")[0]] += 1
            continue
        except ValueError as e:
            cell["refused"] += 1
            reasons[key][str(e)] += 1
            continue
        model_s[r["backend"]] += time.perf_counter() - t0
        binary_s[r["backend"]] += float(r["sim_wall_s"])
        want = int(r["finish_ns_npu0"])
        if got == want:
            cell["exact"] += 1
        elif abs(got - want) <= 0.01 * want:
            cell["within_1pct"] += 1
        else:
            cell["not_matched"] += 1
    return {"table": {f"{b}/{g}": v for (b, g), v in sorted(table.items())},
            "reasons": {f"{b}/{g}": dict(v) for (b, g), v in sorted(reasons.items())},
            "speed": {b: {"model_s": model_s[b], "binary_s": binary_s[b],
                          "ratio": binary_s[b] / model_s[b] if model_s[b] else None} for b in sorted(binary_s)}}


def markdown(res: dict) -> str:
    out = ["# archgym's ASTRA-sim 2.x model against the real simulator", "",
           f"Rows of `tests/reference/astrasim/astrasim_reference.csv`; machine: {platform.machine()}, Python "
           f"{platform.python_version()}. Exact is `==` in ns on NPU 0's finish time.", "",
           "| backend / group | " + " | ".join(FIELDS) + " |", "|---|" + "---:|" * len(FIELDS)]
    totals = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    for key, cell in res["table"].items():
        out.append(f"| {key} | " + " | ".join(str(cell[f]) for f in FIELDS) + " |")
        for f in FIELDS:
            totals[key.split("/")[0]][f] += cell[f]
    for b, cell in sorted(totals.items()):
        out.append(f"| **{b} total** | " + " | ".join(f"**{cell[f]}**" for f in FIELDS) + " |")
    if res["reasons"]:
        out += ["", "Not modelled / refused, with the reason:", ""]
        for key, why in res["reasons"].items():
            for w, n in why.items():
                out.append(f"- {key}: {n} x {w}")
    out += ["", "| backend | model total (s) | binary total `sim_wall_s` (s) | binary / model |", "|---|---:|---:|---:|"]
    for b, s in res["speed"].items():
        ratio = f"{s['ratio']:.0f}x" if s["ratio"] else "-"
        out.append(f"| {b} | {s['model_s']:.3f} | {s['binary_s']:.2f} | {ratio} |")
    out += ["", "Model time is over the rows it ran, file reading included; the binary's is the same rows' "
            "median wall time, process start-up (about 7 ms a run) included. Workload rows are read from the ASTRA-sim 1.0 "
            "text layer tables their Chakra traces were made from (no .et reader yet)."]
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--save", action="store_true", help="write benchmarks/results/bench_astrasim.md and .json")
    args = ap.parse_args(argv)
    with open(REF / "astrasim_reference.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    res = evaluate(rows)
    text = markdown(res)
    print(text)
    if args.save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "bench_astrasim.md").write_text(text)
        (RESULTS / "bench_astrasim.json").write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
