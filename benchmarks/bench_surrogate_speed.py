"""Batched surrogate speed against the simulator, and 90 % interval coverage (issue 18 items 2 and 5).

    .venv/bin/python benchmarks/bench_surrogate_speed.py [--envs DRAM-v0,Dataflow-v0] [--n 3000]
        [--data-dir /tmp/s18] [--seed 1] [--models hgb,xgb-mo]

Per environment (default workload): a random dataset of ``--n`` designs (``archgym collect``, seed
``--seed``; reused when ``--data-dir/<env>`` holds one), an 80/20 split, then for each model
configuration ``archgym.surrogates.train`` with the speed measurement (:func:`archgym.surrogates.speed.
measure_speed`: simulator and surrogate timed in the same run, single and batched), and
:func:`archgym.surrogates.uncertainty.attach_intervals` (conformalised quantile boosting, 90 %) with its
held-out coverage. Model configurations:

- ``hgb``: the registry default (early-stopped histogram gradient boosting, one ensemble per metric).
- ``xgb-mo``: XGBoost with multi-output trees (``multi_strategy="multi_output_tree"``, 200 rounds, depth 6):
  one tree walk serves every metric.

Designs/s are given on the wall clock and on this thread's CPU clock (the machine is shared: the wall
figure counts the time other processes hold the core). Writes benchmarks/results/bench_surrogate_speed.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CONFIGS = {
    "hgb": ("hgb", {}, None),
    "xgb-mo": ("xgb", {"multi_strategy": "multi_output_tree", "n_estimators": 200, "max_depth": 6}, False),
}


def dataset(env: str, n: int, seed: int, data_dir: Path) -> Path:
    out = data_dir / env
    if not (out / "run.json").is_file():
        subprocess.run([sys.executable, "-m", "archgym.cli", "collect", f"archgym/{env}", "-n", str(n), "--seed",
                        str(seed), "--out", str(out), "--no-progress"], check=True, cwd=ROOT)
    return out


def bench(env: str, cfg: str, args) -> dict:
    import importlib

    train = importlib.import_module("archgym.surrogates.train")
    from archgym.surrogates.uncertainty import attach_intervals

    model, params, per_metric = CONFIGS[cfg]
    path = dataset(env, args.n, args.seed, Path(args.data_dir))
    t0 = time.perf_counter()
    res = train.train(path, model, params=params, per_metric=per_metric, seed=args.seed)
    wall = time.perf_counter() - t0
    reg = res.surrogate.compiled[0]
    t0 = time.perf_counter()
    intervals = attach_intervals(res, seed=args.seed)
    iv_s = time.perf_counter() - t0
    r = res.report
    return {"env": env, "config": cfg, "model": model, "params": params, "n_train": r["n_train_designs"],
            "fit_seconds": r["fit_seconds"], "train_wall_s": wall, "interval_fit_s": iv_s,
            "trees": reg.n_trees if reg is not None else None, "nodes": reg.n_nodes if reg is not None else None,
            "summary": r["summary"], "reward_tau": r.get("reward", {}).get("kendall_tau"),
            "rmse_pct_mean": {m: v["rmse_pct_mean"] for m, v in r["metrics"].items()},
            "speed": r["speed"], "intervals": intervals}


def markdown(res: dict, cmd: str) -> str:
    out = ["# Surrogate speed against the simulator, and interval coverage (issue 18 items 2 and 5)", "",
           f"Command: `{cmd}` (commit {res['commit']}, {res['date']}, Python {res['python']}, load average at "
           f"start {res['load_average']}: a shared 2-core machine).", "",
           "Speed-up = the simulator's batched seconds per design over the surrogate's batched seconds per design "
           "(design dicts in, feature encoding included), both on the wall clock in the same run "
           "(`speedup_batched`). 'model' = the compiled trees on pre-encoded features (`predict_features`); "
           "'CPU' = this thread's CPU clock.", "",
           "| environment | model | trees | worst RMSE % mean (metric) | reward tau | one prediction ms | "
           "batched designs/s (wall) | batched designs/s (CPU) | model designs/s (wall) | model designs/s (CPU) | "
           "simulator batched ms/design | batched speed-up |",
           "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in res["runs"]:
        s = r["speed"]
        sm = r["summary"]
        out.append(f"| {r['env']} | {r['config']} | {r['trees']} | {sm['max_rmse_pct_mean']:.2f} ({sm['worst_metric_rmse']}) | "
                   f"{r['reward_tau']:.4f} | {s['surrogate_single_s_per_design'] * 1e3:.3f} | "
                   f"{s['surrogate_batched_designs_per_s']:,.0f} | {s['surrogate_batched_designs_per_cpu_s']:,.0f} | "
                   f"{s['model_only_designs_per_s']:,.0f} | {s['model_only_designs_per_cpu_s']:,.0f} | "
                   f"{s['sim_batched_s_per_design'] * 1e3:.3f} | {s['speedup_batched']:,.0f}x |")
    out += ["", "## 90 % prediction intervals on the held-out designs (conformalised quantile boosting)", "",
            "`attach_intervals` (report key `intervals`): HGB pinball-loss models at 0.05 and 0.95 fitted on 80 % of "
            "the training split, widened by the conformal score's quantile on the other 20 %.", "",
            "| environment | model | metric | coverage | below | above | mean width % of mean |",
            "|---|---|---|---:|---:|---:|---:|"]
    for r in res["runs"]:
        for m, v in r["intervals"]["metrics"].items():
            out.append(f"| {r['env']} | {r['config']} | {m} | {v['coverage']:.3f} | {v['below']:.3f} | "
                       f"{v['above']:.3f} | {v['mean_width_pct_mean']:.1f} |")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    import os

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--envs", default="DRAM-v0,Dataflow-v0")
    ap.add_argument("--models", default="hgb,xgb-mo")
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data-dir", default="/tmp/s18")
    ap.add_argument("--out", default=str(RESULTS / "bench_surrogate_speed"))
    args = ap.parse_args(argv)
    cfgs = [c for c in args.models.split(",") if c]
    bad = [c for c in cfgs if c not in CONFIGS]
    if bad:
        ap.error(f"--models: {bad} not allowed; allowed: {sorted(CONFIGS)}")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    res = {"commit": commit, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "python": platform.python_version(), "load_average": [round(x, 1) for x in os.getloadavg()],
           "argv": sys.argv[1:], "runs": []}
    out = Path(args.out)
    cmd = ("python benchmarks/bench_surrogate_speed.py " + " ".join(sys.argv[1:])).strip()
    for env in [e for e in args.envs.split(",") if e]:
        for c in cfgs:
            r = bench(env, c, args)
            print(json.dumps({k: r[k] for k in ("env", "config", "trees", "summary", "reward_tau")}), flush=True)
            print("  speed", {k: round(v, 6) if isinstance(v, float) else v for k, v in r["speed"].items()}, flush=True)
            res["runs"].append(r)
            out.with_suffix(".json").write_text(json.dumps(res, indent=2, default=float) + "\n")
            out.with_suffix(".md").write_text(markdown(res, cmd))
    print(f"wrote {out}.json and {out}.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
