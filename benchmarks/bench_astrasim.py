"""Benchmark: ``run_astrasim`` on ASTRA-sim's own input files against the real simulator's reference rows.

Runs ``run_astrasim`` (ASTRA-sim's command line as one call: network YAML, system JSON, remote-memory
JSON and every NPU's Chakra ``.et`` trace, the reference's own files from
``inputs/workload_et.tar.gz``, extracted once into a temporary folder) on every row of
tests/reference/astrasim/astrasim_reference.csv, and prints per backend and group: rows, exact
(every NPU's finish and exposed-communication time, and for workloads NPU 0's per-collective list,
== in ns), not matched, not modelled (NotImplementedError), refused (ValueError), and the speed.

What "total" is: the model's time of a row is the wall time of its ``run_astrasim`` call, which reads
every input file, parses it, builds the graphs, and simulates, in a warm process: the package is
imported and the compiled reader switched on and loaded before the pass (on a synthetic trace, not a
reference file), and every cache (``formats.filecache``: parsed files and collective times, keyed on file bytes) is
emptied just before it. The pass runs each row once, in the CSV's order, so a row only profits from
the files and collectives of the rows before it. The binary's time is the row's ``sim_wall_s``
(median of 3 runs, the whole process: start-up, about 7 ms, included). A cold start (a new Python
process: interpreter, imports, the compiled reader's cache, one row) is measured separately, in
subprocesses, and reported beside.

    .venv/bin/python benchmarks/bench_astrasim.py [--save]

With --save, writes benchmarks/results/bench_astrasim.md and .json; without it, writes nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

from archgym.simulators.distributed import WorkloadNode, run_astrasim
from archgym.simulators.distributed.formats.chakra_et import use_compiled_reader, write_chakra_workload
from archgym.simulators.distributed.formats.filecache import clear_caches

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference" / "astrasim"
INPUTS = REF / "inputs"
RESULTS = ROOT / "benchmarks" / "results"
FIELDS = ("rows", "exact", "not_matched", "not_modelled", "refused")


def run_row(row, et_dir: Path):
    return run_astrasim(et_dir / row["workload_prefix"], INPUTS / row["system_config"], INPUTS / row["network_config"],
                        INPUTS / row["remote_memory_config"], num_queues_per_dim=int(row["num_queues_per_dim"]),
                        backend=row["backend"])


def exact(row, res) -> bool:
    ok = (res.finish_ns[0] == int(row["finish_ns_npu0"]) and min(res.finish_ns) == int(row["finish_ns_min"])
          and max(res.finish_ns) == int(row["finish_ns_max"]) and res.exposed_comm_ns[0] == int(row["exposed_comm_ns_npu0"])
          and max(res.exposed_comm_ns) == int(row["exposed_comm_ns_max"]) and len(res.finish_ns) == int(row["total_npus"]))
    if row["finish_ns_per_npu"]:
        ok = ok and [int(x) for x in row["finish_ns_per_npu"].split(";")] == res.finish_ns
    if row["kind"] == "workload":
        ok = ok and [tuple(x) for x in json.loads(row["wl_per_collective_ns_npu0"])] == res.collectives
    return ok


def warm_up(tmp: Path, row) -> None:
    """Switch the compiled .et reader on (as a sweep does after its first MB of traces) and run a synthetic trace over
    ``row``'s system and network files, then forget every cache."""
    use_compiled_reader()
    nodes = [WorkloadNode(i, f"COMP_NODE_{i}", "compute", (i - 1,) if i else (), duration_us=1) for i in range(200)]
    nodes.append(WorkloadNode(200, "COMM_COLL_NODE_0_ALLREDUCE", "collective", (199,), collective="AllReduce", size_bytes=1 << 20))
    write_chakra_workload(tmp / "warm" / "w", nodes, int(row["total_npus"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_astrasim(tmp / "warm" / "w", INPUTS / row["system_config"], INPUTS / row["network_config"])
    clear_caches()


def timed_pass(rows, et_dir: Path) -> list:
    """One pass over ``rows`` with every cache emptied first: per row ``(seconds, result or the exception)``."""
    clear_caches()
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. boost-mode, which ASTRA-sim does not read
        for r in rows:
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                res = run_row(r, et_dir)
            except (NotImplementedError, ValueError) as e:
                res = e
            out.append((time.perf_counter() - t0, res, time.process_time() - c0))
    return out


def evaluate(rows, et_dir: Path, repeats: int = 3) -> dict:
    passes = [timed_pass(rows, et_dir) for _ in range(repeats)]
    table = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    model_s, binary_s, cpu_s = defaultdict(float), defaultdict(float), defaultdict(float)
    reasons = defaultdict(lambda: defaultdict(int))
    for i, r in enumerate(rows):
        key = f"{r['backend']}/{r['group']}"
        cell = table[key]
        cell["rows"] += 1
        res = passes[0][i][1]
        if isinstance(res, NotImplementedError):
            cell["not_modelled"] += 1
            reasons[key][str(res).split(":")[0]] += 1
            continue
        if isinstance(res, ValueError):
            cell["refused"] += 1
            reasons[key][str(res)] += 1
            continue
        times = sorted(p[i][0] for p in passes)
        model_s[key] += times[len(times) // 2]  # median of the passes, as sim_wall_s is the binary's median of 3
        cpu_s[key] += sorted(p[i][2] for p in passes)[len(passes) // 2]
        binary_s[key] += float(r["sim_wall_s"])
        same = all(p[i][1].finish_ns == res.finish_ns and p[i][1].collectives == res.collectives for p in passes)
        cell["exact" if same and exact(r, res) else "not_matched"] += 1

    def speed(keys):
        m, b, c = sum(model_s[k] for k in keys), sum(binary_s[k] for k in keys), sum(cpu_s[k] for k in keys)
        return {"model_s": m, "binary_s": b, "ratio": b / m if m else None, "model_cpu_s": c, "ratio_cpu": b / c if c else None}

    backends = sorted({k.split("/")[0] for k in table})
    return {"table": dict(sorted(table.items())), "reasons": {k: dict(v) for k, v in sorted(reasons.items())},
            "speed": {k: speed([k]) for k in sorted(table)},
            "speed_backend": {b: speed([k for k in table if k.startswith(b + "/")]) for b in backends},
            "speed_total": speed(list(table))}


COLD = """
import sys, time, warnings
t0 = time.perf_counter()
import archgym.simulators.distributed
from archgym.simulators.distributed import run_astrasim
t1 = time.perf_counter()
numba = "numba" in sys.modules
warnings.simplefilter("ignore")
run_astrasim(*sys.argv[1:5], num_queues_per_dim=int(sys.argv[5]), backend=sys.argv[6])
t2 = time.perf_counter()
print(t1 - t0, t2 - t1, int(numba))
"""


def cold_start(rows, et_dir: Path, repeats: int = 3) -> dict:
    """Wall time of a new process running one row (median of ``repeats``), the import and the first call separately."""
    out = {}
    picks = {"microbenchmark": next(r for r in rows if r["kind"] == "microbenchmark"),
             "workload": next(r for r in rows if r["kind"] == "workload")}
    for kind, r in picks.items():
        args = [str(et_dir / r["workload_prefix"]), str(INPUTS / r["system_config"]), str(INPUTS / r["network_config"]),
                str(INPUTS / r["remote_memory_config"]), r["num_queues_per_dim"], r["backend"]]
        walls, imports, calls = [], [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            p = subprocess.run([sys.executable, "-c", COLD, *args],
                               capture_output=True, text=True, check=True)
            walls.append(time.perf_counter() - t0)
            a, b, numba = map(float, p.stdout.split())
            imports.append(a)
            calls.append(b)
        med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
        out[kind] = {"case_id": r["case_id"], "process_s": med(walls), "import_s": med(imports), "first_call_s": med(calls),
                     "binary_s": float(r["sim_wall_s"]), "import_loads_numba": bool(numba)}
    return out


def _ratio(s, key: str = "ratio") -> str:
    return f"{s[key]:.1f}x" if s.get(key) else "-"


def markdown(res: dict) -> str:
    out = ["# `run_astrasim` against the real ASTRA-sim 2.x binaries", "",
           f"Every row of `tests/reference/astrasim/astrasim_reference.csv`, run from the row's own files (network YAML, "
           f"system JSON, remote-memory JSON, every NPU's Chakra `.et`); machine: {platform.machine()}, Python "
           f"{platform.python_version()}, 2 shared cores. Exact: every NPU's finish and exposed-communication time (and, "
           "for workloads, NPU 0's per-collective id, name, issue and finish) == in ns.", "",
           "| backend / group | " + " | ".join(FIELDS) + " | model (s) | binary `sim_wall_s` (s) | binary / model | model CPU (s) "
           "| binary / model CPU |", "|---|" + "---:|" * (len(FIELDS) + 5)]
    totals = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    for key, cell in res["table"].items():
        s = res["speed"][key]
        out.append(f"| {key} | " + " | ".join(str(cell[f]) for f in FIELDS)
                   + f" | {s['model_s']:.3f} | {s['binary_s']:.2f} | {_ratio(s)} | {s['model_cpu_s']:.3f} | {_ratio(s, 'ratio_cpu')} |")
        for f in FIELDS:
            totals[key.split("/")[0]][f] += cell[f]
            totals["all"][f] += cell[f]
    for b, cell in sorted(totals.items()):
        s = res["speed_total"] if b == "all" else res["speed_backend"][b]
        out.append(f"| **{b} total** | " + " | ".join(f"**{cell[f]}**" for f in FIELDS)
                   + f" | **{s['model_s']:.3f}** | **{s['binary_s']:.2f}** | **{_ratio(s)}** | **{s['model_cpu_s']:.3f}** "
                   f"| **{_ratio(s, 'ratio_cpu')}** |")
    if res["reasons"]:
        out += ["", "Not modelled / refused, with the reason:", ""]
        for key, why in res["reasons"].items():
            for w, n in why.items():
                out.append(f"- {key}: {n} x {w}")
    out += ["", "**Total** is per-run time in a warm process: the package imported and the compiled `.et` reader switched on "
            "and loaded beforehand (on a synthetic trace); then passes over all rows, each pass with every cache emptied just before "
            "it and each row once in the CSV's order, timing the whole `run_astrasim` call (reading every input file, "
            "parsing, building the graphs, simulating); a row's model time is its median over "
            f"{res.get('repeats', 1)} passes, as the binary's `sim_wall_s` is the median of 3 runs. Parsed files and "
            "collective times are remembered under the files' bytes, so within a pass a row profits from the identical "
            "files of the rows before it, as a sweep does, never from its own earlier run. The binary's `sim_wall_s` is "
            "its whole process (start-up, about 7 ms a run, included), so the cold start of a Python process is reported "
            "apart. Model CPU is the process time of the same calls (median of the passes): it leaves out the time the process "
            "waited for one of the 2 shared cores, busy with other work during this run (load average "
            f"{res.get('load', '?')} at its end), so it approximates the wall time on an idle machine; the ratio that counts "
            "is the wall-time one.", "",
            "| cold start (new process, one row) | case | process wall (s) | of which `import archgym.simulators.distributed` (s) "
            "| first `run_astrasim` (s) | binary `sim_wall_s` (s) |", "|---|---|---:|---:|---:|---:|"]
    for kind, c in res.get("cold", {}).items():
        out.append(f"| {kind} | {c['case_id']} | {c['process_s']:.3f} | {c['import_s']:.3f} | {c['first_call_s']:.3f} | "
                   f"{c['binary_s']:.3f} |")
    slow = [k for k, v in res["speed"].items() if v["ratio"] and v["ratio"] < 10]
    if slow:
        out += ["", "Under 10x in this run: " + ", ".join(f"{k} ({res['speed'][k]['ratio']:.1f}x)" for k in slow) + ". Their time "
                "is the event-level model (`events/`: doubleBinaryTree, and the congestion-aware backend wherever links can "
                "queue), pure Python at a few microseconds per event: 5,000 events for one 32-NPU doubleBinaryTree all-reduce."]
    cold = res.get("cold", {})
    if cold:
        numba = any(c.get("import_loads_numba") for c in cold.values())
        out += ["", "The import " + ("loads numba (imported by `scheduler.py`'s compiled pipeline loop), about half of its time. "
                                     if numba else "does not load numba. ")
                + "The compiled `.et` reader (`formats/chakra_fast.py`, numba) is used for plain traces of 2 KB or more once "
                "a process has read 1 MB of traces with protobuf (or after `chakra_et.use_compiled_reader()`, as here): its "
                "first call costs numba's start-up (about half a second, more in a fresh checkout, which compiles it), which "
                "a single small workload run would not win back, so a cold run reads its traces with protobuf."]
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--save", action="store_true", help="write benchmarks/results/bench_astrasim.md and .json")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-start subprocesses")
    ap.add_argument("--repeats", type=int, default=3, help="passes over the rows; a row's time is its median (default 3)")
    args = ap.parse_args(argv)
    with open(REF / "astrasim_reference.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        with tarfile.open(INPUTS / "workload_et.tar.gz") as t:
            t.extractall(tmp, filter="data")
        warm_up(tmp, rows[0])
        res = evaluate(rows, tmp, args.repeats)
        res["repeats"] = args.repeats
        res["load"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        if not args.no_cold:
            res["cold"] = cold_start(rows, tmp)
    text = markdown(res)
    print(text)
    if args.save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "bench_astrasim.md").write_text(text)
        (RESULTS / "bench_astrasim.json").write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
