"""Benchmark: the SoC model (archgym/SoC-v0) against FARSI's reference timing and figures.

For each shipped workload, on random feasible designs of ArchGym's limited space (``--designs``):
designs per second through the batched core (``LimitedEncoding.evaluate_rows``), through
``SoCEnv.simulate_batch`` (design dicts in, metric dicts out), ``SoCEnv.evaluate_many`` (adds the
base environment's design validation), ``env.step`` (gymnasium actions), and the Python path with a
full report (``SoCEnv.result``). FARSI is not installed here: its speed is the reference's
measurement (``eval_s_repeats`` of tests/reference/soc/farsi_reference.json, warm
``dse.eval_design`` calls on the steering machine; median 0.047 s per evaluation). Also re-checks the
agreement with FARSI on the 21 reference designs it could run.

    .venv/bin/python benchmarks/bench_soc.py [--designs 20000]

Writes benchmarks/results/soc.json and benchmarks/results/soc.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import timeit
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
REF = ROOT / "tests" / "reference" / "soc" / "farsi_reference.json"
WORKLOADS = ("audio_decoder", "edge_detection", "hpvm_cava")
GOAL = 10_000


def _best(fn, repeats: int = 3) -> float:
    """Best wall time of ``repeats`` calls."""
    return min(timeit.repeat(fn, number=1, repeat=repeats))


def _workload(name: str, n: int, farsi: dict) -> dict:
    from archgym.envs.soc import SoCEnv

    t0 = time.perf_counter()
    env = SoCEnv(workload=name)
    enc = env.encoding
    rows = enc.sample_feasible(n, seed=0)
    enc.evaluate_rows(rows[:2])
    first = time.perf_counter() - t0
    designs = [enc.design(r) for r in rows]
    core = _best(lambda: enc.evaluate_rows(rows))
    batch = _best(lambda: env.simulate_batch(designs))
    many = _best(lambda: env.evaluate_many(designs), 1)
    n_step = min(n, 3000)
    actions = [env.encode_action(d) for d in designs[:n_step]]

    def steps():
        env.reset(seed=0)
        for a in actions:
            env.step(a)

    step = _best(steps, 1)
    n_full = min(n, 300)
    full = _best(lambda: [env.result(d) for d in designs[:n_full]], 1)
    out = enc.evaluate_rows(rows)
    assert (out["error"] == 0).all()
    f = farsi[name]
    rate = {"core": n / core, "simulate_batch": n / batch, "evaluate_many": n / many, "step": n_step / step,
            "python_full_report": n_full / full}
    return {
        "workload": name, "designs": n, "tasks": len(enc.tasks), "parameters": len(enc.fields),
        "designs_per_second": rate, "seconds_per_design": {k: 1.0 / v for k, v in rate.items()},
        "startup_seconds_incl_jit_or_cache_load": first,
        "farsi_median_eval_seconds": f, "speedup_vs_farsi": {k: v * f for k, v in rate.items()},
        "meets_goal_simulate_batch": rate["simulate_batch"] >= GOAL,
        "latency_s_median_of_designs": float(np.median(out["latency_s"])),
    }


def _agreement() -> dict:
    sys.path.insert(0, str(ROOT))
    from archgym.simulators.soc.design_spec import design_from_dict
    from tests.soc.conftest import model, spec_from_record  # the reference test's helpers

    worst = {"latency_s": 0.0, "power_W": 0.0, "area_m2": 0.0, "energy_J": 0.0}
    n = 0
    for r in json.loads(REF.read_text())["designs"]:
        if r["status"] != "ok" or r["design"] == "L_random0":  # L_random0: known deviations, rejected
            continue
        m = model(r["workload"])
        res = m.simulate(*design_from_dict(spec_from_record(r), m.library, m.workload))
        for k in worst:
            worst[k] = max(worst[k], abs(getattr(res, k) / r[k] - 1))
        n += 1
    return {"designs_compared": n, "max_relative_error": worst}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", type=int, default=20000)
    args = ap.parse_args(argv)
    ref = json.loads(REF.read_text())["designs"]
    farsi_all = [x for r in ref if r["status"] == "ok" for x in r["eval_s_repeats"]]
    farsi = {w: statistics.median([x for r in ref if r["workload"] == w and r["status"] == "ok"
                                   for x in r["eval_s_repeats"]]) for w in WORKLOADS}
    farsi_median = statistics.median(farsi_all)
    rows = [_workload(w, args.designs, farsi) for w in WORKLOADS]
    result = {
        "benchmark": "soc", "command": "python benchmarks/bench_soc.py " + " ".join(argv or sys.argv[1:]),
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average": os.getloadavg()},
        "farsi_reference": {"source": "tests/reference/soc/farsi_reference.json eval_s_repeats (warm dse.eval_design "
                                      "on the steering machine; FARSI is not installed here)",
                            "median_eval_seconds_all": farsi_median, "median_eval_seconds_per_workload": farsi},
        "goal_designs_per_second": GOAL, "workloads": rows, "agreement_with_farsi": _agreement(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    _write(RESULTS / "soc.json", json.dumps(result, indent=2) + "\n")
    _write(RESULTS / "soc.md", _markdown(result))
    print(_markdown(result))
    return result


def _write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _markdown(r: dict) -> str:
    lines = [
        "# SoC model (archgym/SoC-v0) vs FARSI",
        "",
        f"`{r['command']}` on {r['machine']['platform']}, {r['machine']['cpus']} CPUs, load average "
        f"{r['machine']['load_average'][0]:.1f} (timings under load are pessimistic).",
        "",
        f"FARSI's time per evaluation is the reference's measurement (median {r['farsi_reference']['median_eval_seconds_all']:.3f} s "
        "over all warm evaluations; FARSI is not installed here). Designs: random feasible designs of ArchGym's "
        "limited space.",
        "",
        "| workload | core designs/s | simulate_batch designs/s | evaluate_many designs/s | env.step /s | full report /s "
        "| FARSI s/design | speed-up (simulate_batch) | goal 10k/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for w in r["workloads"]:
        d = w["designs_per_second"]
        lines.append(f"| {w['workload']} | {d['core']:,.0f} | {d['simulate_batch']:,.0f} | {d['evaluate_many']:,.0f} | "
                     f"{d['step']:,.0f} | {d['python_full_report']:,.0f} | {w['farsi_median_eval_seconds']:.4f} | "
                     f"{w['speedup_vs_farsi']['simulate_batch']:,.0f}x | "
                     f"{'yes' if w['meets_goal_simulate_batch'] else 'no'} |")
    a = r["agreement_with_farsi"]
    e = a["max_relative_error"]
    lines += ["", f"Agreement on the {a['designs_compared']} reference designs FARSI ran (the 3 L_random0 designs are "
                  "rejected as infeasible, see tests/soc/test_soc_reference.py): max relative error latency "
                  f"{e['latency_s']:.1e}, power {e['power_W']:.1e}, area {e['area_m2']:.1e}, energy {e['energy_J']:.1e}.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
