"""Run a benchmark plan under Ray Tune and turn its runs into one tidy table of scores.

:func:`run_benchmark` runs every entry of a plan as a sweep (``OUT/sweeps/<label>/``: parallel trials
under Ray Tune, resumable, one dataset per entry, see :mod:`archgym.sweeps.run`), then
:func:`score_table` reads them back into one row per (entry, workload, agent, seed, budget) with the
best reward, normalised score, simple regret and hypervolume ratio (see :mod:`.scores`), written to
``OUT/<plan>.parquet``; :mod:`.report` draws the leaderboard from it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

import archgym
from archgym.benchmark.plan import BenchmarkPlan, load_plan
from archgym.benchmark.scores import best_at_budgets, hypervolume_ratios, normalised_scores
from archgym.core.optima import forget_shipped, optimum_file, problem, problem_key, shipped_front
from archgym.files.atomic import atomic_path
from archgym.records import load_records, write_json_atomic
from archgym.runner import make_env
from archgym.sweeps.dataset import evaluation_dirs
from archgym.sweeps.run import run_sweep

SWEEPS_DIR = "sweeps"
TABLE_COLUMNS = ["plan", "entry", "env_id", "workload", "agent", "seed", "run_id", "budget", "evaluations", "best",
                 "optimum", "optimum_source", "random_median", "score", "regret", "hypervolume"]


class BenchmarkError(RuntimeError):
    """A benchmark whose trials failed after their retries."""


class BenchmarkInterrupted(BenchmarkError):
    """A benchmark stopped before every trial finished (resumable)."""


def run_benchmark(plan: BenchmarkPlan | str | os.PathLike | dict, out: str | os.PathLike, *, address: str | None = None,
                  num_cpus: int | None = None, resume: bool = True, progress: bool = True) -> pd.DataFrame:
    """Run (or resume) every entry of ``plan`` into ``out`` and return :func:`score_table`'s table."""
    if not isinstance(plan, BenchmarkPlan):
        plan = load_plan(plan)
    run_sweeps(plan, out, address=address, num_cpus=num_cpus, resume=resume, progress=progress)
    return score_table(plan, out)


def run_sweeps(plan: BenchmarkPlan, out: str | os.PathLike, *, address: str | None = None, num_cpus: int | None = None,
               resume: bool = True, progress: bool = True) -> None:
    """Run (or resume) the sweep of every entry of ``plan`` into ``OUT/sweeps/<label>/``; score nothing."""
    out = Path(out)
    for entry in plan.entries:
        result = run_sweep(entry.sweep, out / SWEEPS_DIR / entry.label, address=address, num_cpus=num_cpus,
                           resume=resume, progress=progress)
        if result.unfinished:
            raise BenchmarkInterrupted(f"benchmark entry {entry.label}: {len(result.unfinished)} experiment(s) unfinished; "
                                       "run the same command again to resume")
        if result.errored:
            first = result.errored[0]
            raise BenchmarkError(f"benchmark entry {entry.label}: {len(result.errored)} trial(s) failed, e.g. "
                               f"{first['agent']} seed {first['seed']}: {first['error']}")


def panels(plan: BenchmarkPlan, out: str | os.PathLike) -> list[dict]:
    """Each panel (entry x workload) of a benchmark run into ``out``: ``entry``, ``budgets``, the ``env``
    (built as the plan says) and its evaluation ``rows`` (this plan's runs only)."""
    out = Path(out)
    found = []
    for entry in plan.entries:
        folder = out / SWEEPS_DIR / entry.label
        dirs = evaluation_dirs(folder) if folder.is_dir() else []
        if not dirs:
            raise FileNotFoundError(f"benchmark entry {entry.label}: no runs under {folder}; run the benchmark first")
        env_entry = entry.sweep.envs[0]
        rows = load_records(dirs)
        wanted = {e.run_id for e in entry.sweep.experiments()}
        rows = rows[rows["run_id"].isin(wanted)]  # runs of this plan only (an earlier, larger plan may share the folder)
        for workload in env_entry.workloads:
            env = make_env(env_entry.id, **dict(env_entry.kwargs, **({"workload": workload} if workload else {})))
            panel = rows[rows["workload"] == str(env.workload)]
            if panel.empty:
                raise ValueError(f"benchmark entry {entry.label}: no rows for workload {env.workload!r}")
            found.append({"entry": entry.label, "budgets": entry.budgets, "env": env, "rows": panel})
    return found


def score_table(plan: BenchmarkPlan, out: str | os.PathLike, write: bool = True,
                loaded: list[dict] | None = None) -> pd.DataFrame:
    """The tidy table of a benchmark whose sweeps are in ``out`` (written to ``OUT/<plan>.parquet``)."""
    out = Path(out)
    loaded = panels(plan, out) if loaded is None else loaded
    frames = [_panel_table(plan.name, p["entry"], p["env"], p["rows"], p["budgets"]) for p in loaded]
    table = pd.concat(frames, ignore_index=True)[TABLE_COLUMNS]
    if write:
        out.mkdir(parents=True, exist_ok=True)
        with atomic_path(out / f"{plan.name}.parquet") as tmp:
            table.to_parquet(tmp, index=False)
    return table


def _panel_table(plan: str, label: str, env, rows: pd.DataFrame, budgets: list[int]) -> pd.DataFrame:
    table = best_at_budgets(rows, budgets)
    known = env.known_optimum()
    found = float(rows["reward"].max())
    if known is not None and np.isfinite(known["reward"]):
        optimum, source = float(known["reward"]), known["source"]
        if found > optimum + 1e-12 * max(1.0, abs(optimum)) and source.startswith("exact"):
            raise ValueError(f"{label}: a run found reward {found} above the exact optimum {optimum}: the shipped "
                             "optimum does not belong to this problem")
        optimum = max(optimum, found)  # a best-known design may be beaten
    else:
        optimum, source = found, "best found in this benchmark (no known optimum)"
    table = normalised_scores(table, optimum)
    front = shipped_front(env)
    if front is not None:
        senses = {m: env.reward_fn.senses[m] for m in front["objectives"]}
        table = table.merge(hypervolume_ratios(rows, budgets, senses, front["points"]), on=["run_id", "budget"])
    else:
        table["hypervolume"] = np.nan
    table.insert(0, "workload", str(env.workload))
    table.insert(0, "env_id", env.env_id)
    table.insert(0, "entry", label)
    table.insert(0, "plan", plan)
    table["optimum_source"] = source
    return table


def best_runs(plan: BenchmarkPlan, out: str | os.PathLike, loaded: list[dict] | None = None) -> list[dict]:
    """Per panel, the best design any run found, with its provenance (for :func:`save_best_known`)."""
    found = []
    for p in panels(plan, out) if loaded is None else loaded:
        rows, env = p["rows"], p["env"]
        feasible = rows[rows["feasible"]]
        if feasible.empty:
            continue
        top = feasible.loc[feasible["reward"].idxmax()]
        design = {c.removeprefix("design."): _plain(top[c]) for c in rows.columns if c.startswith("design.")}
        seeds = sorted(int(s) for s in rows["seed"].unique())
        found.append({"entry": p["entry"], "env": env, "design": design, "reward": float(top["reward"]),
                      "agent": str(top["agent"]), "seed": int(top["seed"]), "evaluation": int(top["step"]) + 1,
                      "budget": max(p["budgets"]), "seeds": seeds, "agents": sorted(rows["agent"].unique()),
                      "n_evaluations": int(len(rows))})
    return found


def save_best_known(plan: BenchmarkPlan, out: str | os.PathLike, folder: str | os.PathLike | None = None,
                    loaded: list[dict] | None = None) -> list[Path]:
    """Write each panel's best design as its best-known optimum (where no exact optimum is shipped), with
    provenance, where ``env.unwrapped.known_optimum()`` finds it; the design is re-simulated first."""
    written = []
    for b in best_runs(plan, out, loaded):
        env = b["env"]
        known = env.known_optimum()
        if known is not None and (not known["source"].startswith("best known") or known["reward"] >= b["reward"]):
            continue
        ev = env.evaluate(b["design"])
        reward = float(env.reward_of(ev))
        if reward != b["reward"]:
            raise ValueError(f"{b['entry']}: the best design re-simulates to reward {reward}, not the {b['reward']} "
                             "its run recorded; the simulator changed since the benchmark ran")
        source = (f"best known: {b['agent']} seed {b['seed']}, evaluation {b['evaluation']} of {b['budget']}, in "
                  f"`archgym benchmark {plan.name}` ({len(b['agents'])} agents x seeds {b['seeds'][0]}-{b['seeds'][-1]}, "
                  f"{b['n_evaluations']:,} evaluations; archgym {archgym.__version__}, {time.strftime('%Y-%m-%d')})")
        data = {"problem": problem(env), "problem_key": problem_key(env), "source": source,
                "optimum": {"design": ev.design, "reward": reward, "metrics": dict(ev.metrics)}}
        path = optimum_file(data["problem"], data["problem_key"], folder)
        path.parent.mkdir(parents=True, exist_ok=True)
        written.append(write_json_atomic(json.loads(json.dumps(data, default=_plain)), path))
    forget_shipped()
    return written


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


__all__ = ["BenchmarkError", "BenchmarkInterrupted", "run_benchmark", "run_sweeps", "panels", "score_table", "best_runs", "save_best_known",
           "SWEEPS_DIR", "TABLE_COLUMNS"]
