"""Sweep throughput under Ray Tune, and what Ray costs per trial and per report.

    .venv/bin/python benchmarks/bench_sweep.py [--trials 16] [--budget 5000] [--cpus 2]

One Ray session (``--cpus`` CPUs) runs the same sweep (``--trials`` experiments of random search on
SystolicArray-v0, ``--budget`` evaluations each) with 1 and with 2 concurrent trials ("workers"):
trials/s, evaluations/s and the scaling ratio. The same experiments run directly (no Ray, one
process) give the baseline; Ray's overhead per trial is the worker time not spent inside the run
loop: ``(wall x workers - sum of in-trial run time) / trials``, and the wall-time difference to the
direct runs. A small sweep is run with a report to Tune after every evaluation and with the default
batching (a tenth of the budget), giving the cost of one ``tune.report``; another with actor reuse
off shows what reuse saves. Writes benchmarks/results/sweep.json and sweep.md (with the machine's
load average: on a shared machine other processes' load distorts the 2-worker figure most).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _spec(name: str, env: str, trials: int, budget: int, report_every="auto", batch_size: int = 64):
    from archgym.sweeps.spec import parse_sweep_spec

    return parse_sweep_spec({"name": name, "budget": budget, "seeds": list(range(trials)), "report_every": report_every,
                             "envs": [env], "agents": [{"name": "random", "params": {"batch_size": batch_size}}]})


def _sweep(spec, workers: int, tmp: Path, reuse_actors: bool = True) -> dict:
    from archgym.sweeps.run import run_sweep

    out = tmp / f"{spec.name}-{workers}-{reuse_actors}"
    t0 = time.perf_counter()
    res = run_sweep(spec, out, max_concurrent_trials=workers, progress=False, reuse_actors=reuse_actors)
    wall = time.perf_counter() - t0
    assert res.ok and len(res.completed) == res.n_experiments, res.errored
    cards = [json.loads(p.read_text()) for p in (out / "runs").glob("*/run.json")]
    in_trial = sum(c["result"]["wall_seconds"] for c in cards)
    reports = sum(c.get("tune_reports", 1) for c in cards)
    n = res.n_experiments
    return {"workers": workers, "trials": n, "evaluations": res.evaluations, "wall_seconds": wall,
            "trials_per_second": n / wall, "evaluations_per_second": res.evaluations / wall,
            "in_trial_run_seconds": in_trial, "tune_reports": reports,
            "ray_overhead_per_trial_seconds": (wall * workers - in_trial) / n, "reuse_actors": reuse_actors}


def _direct(env: str, trials: int, budget: int, batch_size: int = 64) -> dict:
    from archgym.runner import run

    t0 = time.perf_counter()
    for s in range(trials):
        run(env, "random", budget, s, progress=False, agent_params={"batch_size": batch_size})
    wall = time.perf_counter() - t0
    return {"trials": trials, "evaluations": trials * budget, "wall_seconds": wall,
            "trials_per_second": trials / wall, "evaluations_per_second": trials * budget / wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--budget", type=int, default=5000)
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--env", default=None, help="environment id [default: SystolicArray-v0, else Synthetic-v0]")
    args = ap.parse_args()

    import archgym
    from archgym.sweeps.run import prepare_ray_environment

    env = args.env or ("archgym/SystolicArray-v0" if "archgym/SystolicArray-v0" in archgym.ENVIRONMENTS else "archgym/Synthetic-v0")
    prepare_ray_environment()
    import ray

    load_before = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        direct = _direct(env, args.trials, args.budget)
        t0 = time.perf_counter()
        ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
        ray_start = time.perf_counter() - t0
        main_spec = _spec("main", env, args.trials, args.budget)
        one = _sweep(main_spec, 1, tmp)
        two = _sweep(main_spec, 2, tmp)
        no_reuse = _sweep(main_spec, 1, tmp, reuse_actors=False)
        small_trials, small_budget = 4, 2000
        rep_auto = _sweep(_spec("rep-auto", env, small_trials, small_budget, "auto", batch_size=1), 1, tmp)
        rep_each = _sweep(_spec("rep-each", env, small_trials, small_budget, 1, batch_size=1), 1, tmp)
        ray.shutdown()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    per_report = (rep_each["wall_seconds"] - rep_auto["wall_seconds"]) / max(rep_each["tune_reports"] - rep_auto["tune_reports"], 1)
    result = {
        "command": "python benchmarks/bench_sweep.py " + f"--trials {args.trials} --budget {args.budget} --cpus {args.cpus}",
        "env": env, "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "ray": ray.__version__,
                                "load_average_1min_before_after": [load_before[0], os.getloadavg()[0]]},
        "ray_start_seconds": ray_start,
        "direct_no_ray": direct,
        "sweep_1_worker": one,
        "sweep_2_workers": two,
        "scaling_ratio_2_vs_1_workers": two["evaluations_per_second"] / one["evaluations_per_second"],
        "ray_overhead_per_trial_seconds": one["ray_overhead_per_trial_seconds"],
        "ray_overhead_vs_direct_per_trial_seconds": (one["wall_seconds"] - direct["wall_seconds"]) / args.trials,
        "sweep_1_worker_no_actor_reuse": no_reuse,
        "report_every_evaluation": rep_each,
        "report_batched_auto": rep_auto,
        "seconds_per_tune_report": per_report,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sweep.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "sweep.md").write_text(_markdown(result))
    print(_markdown(result))


def _markdown(r: dict) -> str:
    rows = [("direct, no Ray (1 process)", r["direct_no_ray"], None),
            ("sweep, 1 worker", r["sweep_1_worker"], r["sweep_1_worker"]["ray_overhead_per_trial_seconds"]),
            ("sweep, 2 workers", r["sweep_2_workers"], r["sweep_2_workers"]["ray_overhead_per_trial_seconds"]),
            ("sweep, 1 worker, no actor reuse", r["sweep_1_worker_no_actor_reuse"],
             r["sweep_1_worker_no_actor_reuse"]["ray_overhead_per_trial_seconds"])]
    d = r["sweep_1_worker"]
    out = [f"# Sweep throughput under Ray Tune ({r['env']})", "",
           f"`{r['command']}` on {r['machine']['cpus']} CPUs (load average before/after: "
           f"{r['machine']['load_average_1min_before_after'][0]:.1f} / {r['machine']['load_average_1min_before_after'][1]:.1f}), "
           f"Ray {r['machine']['ray']}; "
           f"{d['trials']} trials x {d['evaluations'] // d['trials']:,} evaluations (random search).", "",
           "| configuration | wall s | trials/s | evaluations/s | Ray overhead per trial (s) |",
           "|---|---:|---:|---:|---:|"]
    for name, x, ov in rows:
        out.append(f"| {name} | {x['wall_seconds']:.2f} | {x['trials_per_second']:.2f} | {x['evaluations_per_second']:,.0f} | "
                   + (f"{ov:.3f}" if ov is not None else "-") + " |")
    out += ["", f"- scaling 2 vs 1 workers: **{r['scaling_ratio_2_vs_1_workers']:.2f}x** evaluations/s",
            f"- Ray overhead per trial (worker time outside the run loop, 1 worker): **{r['ray_overhead_per_trial_seconds']:.3f} s**; "
            f"wall time over direct runs: {r['ray_overhead_vs_direct_per_trial_seconds']:.3f} s per trial",
            f"- one `tune.report`: **{1e3 * r['seconds_per_tune_report']:.2f} ms** "
            f"({r['report_every_evaluation']['tune_reports']:,} reports: {r['report_every_evaluation']['wall_seconds']:.1f} s, "
            f"vs {r['report_batched_auto']['tune_reports']} batched reports: {r['report_batched_auto']['wall_seconds']:.1f} s, "
            f"same {r['report_batched_auto']['evaluations']:,} evaluations)",
            f"- Ray start-up: {r['ray_start_seconds']:.1f} s (once per sweep)", ""]
    return "\n".join(out)


if __name__ == "__main__":
    main()
