"""Benchmark: archgym/DistributedTraining-v0's speed per workload, and how much its design space spreads.

For each workload, a fresh environment evaluates ``--designs`` uniformly random designs (seeded) through
``evaluate_many`` (one call, the collective-time memory empty at the start; the compiled kernels are
warmed on one design first, so compilation is not counted). It reports designs/s, the feasible fraction
and the most common reasons for infeasibility, and the spread of iteration time over the feasible
designs (best / median / worst): a space worth searching has a wide one. The ASTRA-sim binary's own time
per run on the reference's 12 training workloads (``sim_wall_s`` in tests/reference/astrasim, measured on
this kind of machine for much smaller graphs) is quoted beside, as the cost of one step of ArchGym's
environment, which runs that binary once per step.

    .venv/bin/python benchmarks/bench_distributed_env.py [--designs 1000] [--save]

With --save, writes benchmarks/results/bench_distributed_env.md, .json and a histogram .png.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import statistics
import time
from collections import Counter
from pathlib import Path

import numpy as np

from archgym.envs.distributed import DistributedTrainingEnv

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CASES = [
    ("gpt3-13b", "train", 1024),
    ("gpt3-175b", "train", 1024),
    ("llama2-70b", "train", 2048),
    ("llama-7b", "prefill", 1024),
    ("llama-7b", "decode", 1024),
    ("vit-h14", "train", 1024),
    ("gpt3-175b", "train", 16384),
]


def binary_seconds_per_run() -> float:
    with open(ROOT / "tests" / "reference" / "astrasim" / "astrasim_reference.csv", newline="") as f:
        walls = [float(r["sim_wall_s"]) for r in csv.DictReader(f) if r["kind"] == "workload"]
    return statistics.median(walls)


def run_case(model: str, phase: str, npus: int, n: int, seed: int) -> dict:
    env = DistributedTrainingEnv(workload=model, phase=phase, npus=npus)
    env.evaluate(env.baseline_design)  # compile and warm (both pipeline kernels); then empty the collective memory
    env.evaluate({**env.baseline_design, "collective_optimization": "localBWAware"})
    env._collectives.clear()
    rng = np.random.default_rng(seed)
    designs = [env.design_space.sample(int(s)) for s in rng.integers(0, 2**31, size=n)]
    t = time.perf_counter()
    evs = env.evaluate_many(designs)
    dt = time.perf_counter() - t
    feas = [e for e in evs if e.feasible]
    times = sorted(e.metrics["iteration_time_s"] for e in feas)
    reasons = Counter(" ".join(e.violation.split()[:3]) for e in evs if not e.feasible)
    return {"workload": model, "phase": phase, "npus": npus, "designs": n, "seconds": dt, "designs_per_s": n / dt,
            "feasible": len(feas), "best_s": times[0] if times else None, "median_s": times[len(times) // 2] if times else None,
            "worst_s": times[-1] if times else None, "baseline_s": env.baseline_metrics["iteration_time_s"],
            "top_reasons": reasons.most_common(4), "_times": times}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--save", action="store_true")
    args = ap.parse_args()
    binary = binary_seconds_per_run()
    rows = []
    for model, phase, npus in CASES:
        r = run_case(model, phase, npus, args.designs, args.seed)
        rows.append(r)
        print(f"{model:11s} {phase:8s} {npus:6d} NPUs: {r['designs_per_s']:7.0f} designs/s, {r['feasible']}/{r['designs']} "
              f"feasible, iteration best {r['best_s']:.3f} s / median {r['median_s']:.3f} s / worst {r['worst_s']:.3f} s "
              f"(baseline {r['baseline_s']:.3f} s)", flush=True)
    lines = ["# DistributedTraining-v0: speed and spread", "",
             f"`.venv/bin/python benchmarks/bench_distributed_env.py --designs {args.designs} --seed {args.seed} --save` "
             f"({platform.processor() or platform.machine()}, Python {platform.python_version()}, one process, one core).", "",
             f"{args.designs} uniformly random designs per workload, one `evaluate_many` call, compiled code warm, "
             "collective-time memory empty at the start. Iteration time (s) over the feasible designs. ASTRA-sim's binary "
             f"takes a median {binary * 1e3:.0f} ms per run on the reference's 12 (small) training workloads "
             "(`sim_wall_s`); ArchGym's environment runs it once per step.", "",
             "| workload | phase | NPUs | designs/s | vs one binary run | feasible | best | median | worst | baseline | "
             "most common reasons for infeasibility |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        reasons = "; ".join(f"{k}... ({v})" for k, v in r["top_reasons"])
        lines.append(f"| {r['workload']} | {r['phase']} | {r['npus']:,} | {r['designs_per_s']:,.0f} | "
                     f"{r['designs_per_s'] * binary:,.0f}x | {r['feasible'] / r['designs']:.0%} | {r['best_s']:.4g} | "
                     f"{r['median_s']:.4g} | {r['worst_s']:.4g} | {r['baseline_s']:.4g} | {reasons} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "bench_distributed_env.md").write_text(text)
        (RESULTS / "bench_distributed_env.json").write_text(json.dumps(
            {"binary_seconds_per_run": binary, "rows": [{k: v for k, v in r.items() if k != "_times"} for r in rows]},
            indent=1))
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4))
        for r in rows[:3]:
            ax.hist(np.log10(r["_times"]), bins=40, alpha=0.5, label=f"{r['workload']} {r['phase']} ({r['npus']} NPUs)")
        ax.set_xlabel("log10 iteration time (s), feasible random designs")
        ax.set_ylabel("designs")
        ax.legend()
        fig.tight_layout()
        fig.savefig(RESULTS / "bench_distributed_env.png", dpi=120)


if __name__ == "__main__":
    main()
