"""Surrogate-assisted search against the plain agents: simulator calls to reach a normalised score.

On DRAM-v1 and Dataflow-v0 (default workloads) every agent runs ``--budget`` evaluations per seed
through ``archgym.runner.run``. Scores are the project's normalised score (``archgym.benchmark.scores``):
100 x (best - random search's median best at the budget) / (optimum - that median), where the optimum
is the environment's best-known reward, or the best any run here found if that is higher.

Calls to reach a score X: the first evaluation at which a run's best reward reached the reward that
scores X at the full budget, best >= R + X/100 (optimum - R) with R random search's median best after
``--budget`` evaluations (a fixed bar: the score's own baseline moves with the budget, and after a
few evaluations random search's median is so poor that any design scores near 100). The table gives
the median over seeds (a seed that never reached it counts as more than the budget; "-" when that is
the median), how many seeds reached it, the median score at a few budgets and the wall time per
run; the plot the median score against evaluations (interquartile band).

    .venv/bin/python benchmarks/bench_surrogate_search.py            # 200 evaluations, 5 seeds (~40 min loaded)
    .venv/bin/python benchmarks/bench_surrogate_search.py --quick    # 60 evaluations, 2 seeds
    .venv/bin/python benchmarks/bench_surrogate_search.py --seeds 8 --budget 300

Runs finished are kept in benchmarks/results/bench_surrogate_search_runs.json (a run of the same
environment, agent, seed and budget is not simulated again: delete the file to start afresh).
Writes benchmarks/results/bench_surrogate_search.{md,json,png}. One process, BLAS on one thread.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import archgym  # noqa: E402
from archgym.benchmark.scores import best_at_budgets, normalised_scores  # noqa: E402
from archgym.records import write_json_atomic  # noqa: E402
from archgym.runner import make_env, run  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
ENVS = ("archgym/DRAM-v1", "archgym/Dataflow-v0")
AGENTS = ("random", "ga", "bo", "optuna-tpe", "surrogate")
THRESHOLDS = (50, 80, 90)
#: every agent on its defaults (BO proposes one design per ask, like the surrogate agent)
AGENT_PARAMS: dict[str, dict] = {}


def load_cache(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def run_key(env_id: str, agent: str, seed: int, budget: int) -> str:
    return f"{env_id}|{agent}|{seed}|{budget}"


def run_one(env, agent: str, seed: int, budget: int) -> dict:
    t0 = time.perf_counter()
    res = run(env, agent, budget, seed=seed, agent_params=AGENT_PARAMS.get(agent, {}), progress=False, plot=False)
    wall = time.perf_counter() - t0
    rows = res.rows.sort_values("step")
    return {"rewards": [float(r) for r in rows["reward"]], "wall_seconds": wall, "sim_seconds": float(res.sim_seconds)}


def score_curves(runs: dict[tuple[str, int], dict], budget: int, optimum: float) -> pd.DataFrame:
    """One row per (agent, seed, budget 1..budget) with the project's normalised score."""
    rows = []
    for (agent, seed), r in runs.items():
        for step, reward in enumerate(r["rewards"]):
            rows.append({"run_id": f"{agent}-{seed}", "agent": agent, "seed": seed, "step": step, "reward": reward})
    table = best_at_budgets(pd.DataFrame(rows), list(range(1, budget + 1)))
    return normalised_scores(table, optimum)


def calls_to_reach(curves: pd.DataFrame, threshold: float, budget: int) -> dict[str, list]:
    """agent -> per seed, the first budget at which the best reward reached the reward that scores
    ``threshold`` at the full ``budget`` (None: never)."""
    final = curves[curves["budget"] == budget]
    base, optimum = float(final["random_median"].iloc[0]), float(final["optimum"].iloc[0])
    bar = base + threshold / 100.0 * (optimum - base)
    out: dict[str, list] = {}
    for (agent, _seed), g in curves.groupby(["agent", "seed"], sort=False):
        g = g.sort_values("budget")
        hit = g["budget"][g["best"] >= bar - 1e-12 * max(1.0, abs(bar))]
        out.setdefault(agent, []).append(int(hit.iloc[0]) if len(hit) else None)
    return out


def median_calls(calls: list) -> float | None:
    """Median over seeds, a seed that never reached counting as infinitely many calls (None if the
    median is one of those)."""
    v = np.array([np.inf if c is None else c for c in calls], dtype=float)
    m = float(np.median(v))
    return None if not np.isfinite(m) else m


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="60 evaluations, 2 seeds")
    ap.add_argument("--seeds", type=int, default=None, help="seeds per agent (default 5; --quick: 2)")
    ap.add_argument("--budget", type=int, default=None, help="evaluations per run (default 200; --quick: 60)")
    ap.add_argument("--agents", default=",".join(AGENTS), help="comma-separated agent names")
    ap.add_argument("--envs", default=",".join(ENVS), help="comma-separated environment ids")
    ap.add_argument("--out", default=str(RESULTS), help="results folder")
    args = ap.parse_args(argv)
    seeds = args.seeds if args.seeds is not None else (2 if args.quick else 5)
    budget = args.budget if args.budget is not None else (60 if args.quick else 200)
    if seeds < 1 or budget < 2:
        ap.error(f"--seeds must be >= 1 and --budget >= 2, got {seeds} and {budget}")
    agents = [a for a in args.agents.split(",") if a]
    envs = [e for e in args.envs.split(",") if e]
    if "random" not in agents:
        ap.error("--agents must include random (the normalised score is measured from random search's median)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "bench_surrogate_search" + ("_quick" if args.quick else "")
    cache_path = out / f"{stem}_runs.json"
    cache = load_cache(cache_path)

    environments = {e: make_env(e) for e in envs}
    t_start = time.perf_counter()
    for seed in range(seeds):  # seeds outermost: an interrupted benchmark has every agent on its first seeds
        for env_id, env in environments.items():
            for agent in agents:
                key = run_key(env_id, agent, seed, budget)
                if key in cache:
                    continue
                cache[key] = run_one(env, agent, seed, budget)
                write_json_atomic(cache, cache_path)
                r = cache[key]
                print(f"[{time.perf_counter() - t_start:7.0f} s] {env_id} {agent:10s} seed {seed}: best "
                      f"{max(r['rewards']):.4f}, {r['wall_seconds']:.1f} s (simulator {r['sim_seconds']:.1f} s)",
                      file=sys.stderr, flush=True)

    report = {"budget": budget, "seeds": seeds, "agents": agents, "thresholds": list(THRESHOLDS),
              "agent_params": AGENT_PARAMS, "environments": {},
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "archgym": archgym.__version__,
                          "load_average_at_end": list(os.getloadavg())},
              "command": "benchmarks/bench_surrogate_search.py" + (" --quick" if args.quick else "")
                         + (f" --seeds {args.seeds}" if args.seeds is not None else "")
                         + (f" --budget {args.budget}" if args.budget is not None else "")}
    curves_by_env = {}
    for env_id, env in environments.items():
        runs = {(a, s): cache[run_key(env_id, a, s, budget)] for a in agents for s in range(seeds)}
        known = env.known_optimum()
        found = max(max(r["rewards"]) for r in runs.values())
        optimum = max(float(known["reward"]), found) if known is not None else found
        source = known["source"] if known is not None and float(known["reward"]) >= found else "best found in this benchmark"
        curves = score_curves(runs, budget, optimum)
        curves_by_env[env_id] = curves
        entry = {"workload": str(env.workload), "optimum": optimum, "optimum_source": source, "agents": {}}
        for agent in agents:
            c = curves[curves["agent"] == agent]
            wall = [runs[(agent, s)]["wall_seconds"] for s in range(seeds)]
            sim = [runs[(agent, s)]["sim_seconds"] for s in range(seeds)]
            per = {"calls_to_reach": {}, "median_calls_to_reach": {}, "reached": {}}
            for t in THRESHOLDS:
                calls = calls_to_reach(curves, t, budget)[agent]
                per["calls_to_reach"][str(t)] = calls
                per["median_calls_to_reach"][str(t)] = median_calls(calls)
                per["reached"][str(t)] = sum(x is not None for x in calls)
            per["median_score"] = {str(b): float(c[c["budget"] == b]["score"].median())
                                   for b in sorted({budget // 4, budget // 2, budget})}
            per["median_best"] = float(c[c["budget"] == budget]["best"].median())
            per["median_wall_seconds"] = float(np.median(wall))
            per["median_agent_seconds"] = float(np.median(np.subtract(wall, sim)))
            entry["agents"][agent] = per
        report["environments"][env_id] = entry
    report["total_wall_seconds_this_invocation"] = time.perf_counter() - t_start

    write_json_atomic(report, out / f"{stem}.json")
    (out / f"{stem}.md").write_text(markdown(report))
    plot(curves_by_env, report, out / f"{stem}.png")
    print(markdown(report))
    return 0


def markdown(rep: dict) -> str:
    b = rep["budget"]
    lines = [f"# Surrogate-assisted search: simulator calls to reach a normalised score (`{rep['command']}`)", "",
             f"{len(rep['agents'])} agents x {rep['seeds']} seeds x {b} evaluations per run, on each environment's "
             "default workload. Normalised score as in `archgym.benchmark.scores`: 100 x (best - random search's median "
             "best at the same budget) / (optimum - that median); 0 is random search's median, 100 the optimum. "
             f"Calls to reach X: median over seeds of the first evaluation at which the run's best reward reached the reward "
             f"that scores X at {b} evaluations (best >= R + X/100 (optimum - R), R = random search's median best at {b}: "
             "a fixed bar on the reward); '-': fewer than half the seeds reached it within the budget; in brackets, "
             "seeds that reached it. "
             "Every agent on its defaults, one design per ask (BO, the surrogate agent).", ""]
    for env_id, e in rep["environments"].items():
        lines += [f"## {env_id} ({e['workload']})", "",
                  f"Optimum {e['optimum']:.6g} ({e['optimum_source']}).", ""]
        scores = list(next(iter(e["agents"].values()))["median_score"])
        head = (["agent"] + [f"calls to {t}" for t in rep["thresholds"]] + [f"score @{s}" for s in scores]
                + [f"best @{b}", "wall s / run", "agent s / run"])
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for agent, p in e["agents"].items():
            cells = [agent]
            for t in rep["thresholds"]:
                m = p["median_calls_to_reach"][str(t)]
                cells.append(f"{'-' if m is None else f'{m:.0f}'} ({p['reached'][str(t)]}/{rep['seeds']})")
            cells += [f"{p['median_score'][s]:.1f}" for s in scores]
            cells += [f"{p['median_best']:.4g}", f"{p['median_wall_seconds']:.1f}", f"{p['median_agent_seconds']:.1f}"]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    m = rep["machine"]
    lines += [f"Machine: {m['cpus']} CPUs shared with other jobs (load average at the end {m['load_average_at_end'][0]:.1f}), "
              f"Python {m['python']}, archgym {m['archgym']}; one process, BLAS on one thread. Wall seconds are loaded-machine "
              "figures (agent s = wall minus the simulator's own time), to compare with each other only.", ""]
    return "\n".join(lines)


def plot(curves_by_env: dict, rep: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(curves_by_env), figsize=(6 * len(curves_by_env), 4.2), squeeze=False)
    for ax, (env_id, curves) in zip(axes[0], curves_by_env.items()):
        for agent in rep["agents"]:
            g = curves[curves["agent"] == agent].groupby("budget")["score"]
            med, lo, hi = g.median(), g.quantile(0.25), g.quantile(0.75)
            line, = ax.plot(med.index, med.to_numpy(), label=agent, lw=2 if agent == "surrogate" else 1.2)
            ax.fill_between(med.index, lo.to_numpy(), hi.to_numpy(), color=line.get_color(), alpha=0.15)
        for t in rep["thresholds"]:
            ax.axhline(t, color="grey", lw=0.6, ls=":")
        ax.set_title(f"{env_id} ({rep['environments'][env_id]['workload']})")
        ax.set_xlabel("simulator calls")
        ax.set_ylabel("normalised score (median, IQR)")
        ax.set_ylim(-60, 105)
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(f"Normalised score vs simulator calls, {rep['seeds']} seeds")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
