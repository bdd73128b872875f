"""The ask/tell loop: any agent against any environment for a budget of simulator evaluations.

Each batch the agent asks for is evaluated through the environment's batched path (vectorised
where the simulator has one), scored with the environment's reward, fed back with ``tell``, and
logged as dataset rows. Everything is seeded: the same seed gives the same rows.
"""

from __future__ import annotations

import functools
import json
import math
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import pandas as pd
from tqdm.auto import tqdm

import archgym  # noqa: F401  (registers the environment ids)
from archgym.agents import make_agent
from archgym.core.env import ArchGymEnv, Evaluation
from archgym.core.notices import quiet
from archgym.files.lock import DirectoryLock
from archgym.plots import plot_convergence
from archgym.records import (
    DESIGN_PREFIX,
    METRIC_PREFIX,
    RecordsError,
    RecordWriter,
    file_manifest,
    load_records,
    make_row,
    record_files,
    write_json_atomic,
)

EVALUATIONS_DIR = "evaluations"
CARD_FILE = "run.json"
PLOT_FILE = "convergence.png"


@dataclass
class RunResult:
    """What a run found, and where it wrote it."""

    env_id: str
    agent: str
    seed: int
    budget: int
    best_design: dict | None
    best_reward: float
    best_metrics: dict
    best_step: int
    first_target_met_step: int | None
    n_target_met: int
    n_infeasible: int
    wall_seconds: float
    sim_seconds: float
    rows: pd.DataFrame = field(repr=False)
    out_dir: Path | None = None

    def summary(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k not in ("rows", "out_dir")}
        d["out_dir"] = str(self.out_dir) if self.out_dir else None
        return d


def make_env(env: str | gym.Env, **env_kwargs: Any) -> ArchGymEnv:
    """An archgym environment from an id (with keyword arguments) or an existing instance."""
    if isinstance(env, str):
        if env not in archgym.ENVIRONMENTS:
            raise ValueError(f"environment {env!r} is not registered; allowed: {sorted(archgym.ENVIRONMENTS)}")
        env = gym.make(env, **env_kwargs)
    base = env.unwrapped
    if not isinstance(base, ArchGymEnv):
        raise TypeError(f"the runner needs an archgym environment, got {type(base).__name__}")
    return base


def run(*args, lock: bool = True, **kwargs) -> RunResult:
    out = kwargs.get("out")
    if out is None or not lock:  # a sweep's trials run under the sweep's own lock (lock=False)
        return _run(*args, **kwargs)
    with DirectoryLock(out, "archgym run"):
        return _run(*args, **kwargs)


def _run(
    env: str | gym.Env,
    agent: Any,
    budget: int,
    seed: int = 0,
    *,
    out: str | Path | None = None,
    agent_name: str | None = None,
    agent_params: Mapping[str, Any] | None = None,
    env_kwargs: Mapping[str, Any] | None = None,
    progress: bool = True,
    plot: bool = True,
    run_id: str | None = None,
    rows_per_part: int = 1000,
    callback: Callable[[dict], None] | None = None,
    resume: bool = False,
    card_extra: Mapping[str, Any] | None = None,
    repair: bool = False,
) -> RunResult:
    """Drive ``agent`` (an object with ask/tell, or a registered agent name) on ``env`` for ``budget``
    evaluations. With ``out``, rows go to ``out/evaluations/part-*.parquet``, a card to ``out/run.json``
    and a convergence plot to ``out/convergence.png``.

    ``callback`` is called after every batch with the progress so far (``evaluations``, ``budget``,
    ``best_reward``, ``first_target_met_step``, ``n_target_met``, ``wall_seconds``).
    With ``resume``, rows that an interrupted run of the same ``out`` already wrote are replayed to
    the (freshly seeded) agent instead of being simulated again, and only the missing evaluations are
    simulated and written: the directory ends with every step exactly once. ``repair`` (with
    ``resume``) also accepts logged steps with gaps (a part file deleted or set aside as damaged) and
    simulates only the missing steps. ``card_extra`` entries are added to the card; the card also
    records how to rebuild the run (``recipe``) when the environment and agent were given by name."""
    if not isinstance(budget, int) or budget < 1:
        raise ValueError(f"budget must be an integer >= 1 (simulator evaluations), got {budget!r}")
    base = make_env(env, **dict(env_kwargs or {}))
    base.reset(seed=seed)
    agent_arg = agent
    if isinstance(agent, str):
        agent_name = agent_name or agent
        agent = make_agent(agent, base.design_space, seed=seed, **dict(agent_params or {}))
    agent_name = agent_name or getattr(agent, "name", type(agent).__name__)
    params = dict(agent.hyperparameters()) if hasattr(agent, "hyperparameters") else dict(agent_params or {})
    identity = {
        "run_id": run_id or uuid.uuid5(uuid.NAMESPACE_URL, f"{base.env_id}|{base.workload}|{agent_name}|"
                                                          f"{json.dumps(params, sort_keys=True, default=str)}|{seed}").hex[:16],
        "env_id": base.env_id,
        "env_version": base.version,
        "simulator_version": base.simulator_version,
        "workload": str(base.workload),
        "agent": agent_name,
        "agent_params": json.dumps(params, sort_keys=True, default=str),
        "seed": int(seed),
    }
    metric_names = list(base.metrics)
    logged = _logged_rows(Path(out) / EVALUATIONS_DIR, identity["run_id"], budget, gaps=repair) if out is not None else {}
    if logged and not resume:
        raise RecordsError(f"{out} already holds {len(logged)} rows of this run; resume it (resume=True, "
                           "`archgym run --resume`, the default) to finish or replay it without duplicates, "
                           "or give another output folder")
    writer = RecordWriter(Path(out) / EVALUATIONS_DIR, rows_per_part) if out is not None else None
    rows: list[dict] = []
    best = {"reward": -math.inf, "design": None, "metrics": {}, "step": -1}
    first_met = None
    n_met = 0
    t0 = time.perf_counter()
    bar = tqdm(total=budget, desc=f"{agent_name} on {base.env_id}", unit="design", disable=not progress or quiet(), leave=True)
    try:
        step = 0
        while step < budget:
            n = max(1, min(int(getattr(agent, "batch_size", 1)), budget - step))
            designs = agent.ask(n)[: budget - step]
            evals = [_replayed(base, logged[step + i], d, step + i) if step + i in logged else None
                     for i, d in enumerate(designs)]
            todo = [i for i, ev in enumerate(evals) if ev is None]
            for i, ev in zip(todo, base.evaluate_many([designs[i] for i in todo]) if todo else []):
                evals[i] = ev
            rewards, infos = [], []
            for ev in evals:
                reward = base.reward_of(ev)
                info = base.info(ev)
                row = make_row(identity, step, ev.design, ev.metrics, metric_names, reward, ev.feasible,
                               info["target_met"], ev.violation, ev.sim_seconds, base.backend)
                rows.append(row)
                if step in logged:
                    if row["reward"] != logged[step]["reward"]:
                        raise RecordsError(f"cannot resume {out}: step {step} was logged with reward "
                                           f"{logged[step]['reward']!r} but scores {row['reward']!r} now "
                                           "(environment or reward settings changed?)")
                elif writer is not None:
                    writer.add(row)
                if reward > best["reward"]:
                    best = {"reward": reward, "design": ev.design, "metrics": ev.metrics, "step": step}
                if info["target_met"]:
                    n_met += 1
                    if first_met is None:
                        first_met = step
                rewards.append(reward)
                infos.append(info)
                step += 1
            agent.tell([ev.design for ev in evals], rewards, infos)
            bar.update(len(evals))
            bar.set_postfix(best=f"{best['reward']:.4g}")
            if callback is not None:
                callback({"evaluations": step, "budget": budget, "best_reward": float(best["reward"]),
                          "first_target_met_step": first_met, "n_target_met": n_met,
                          "wall_seconds": time.perf_counter() - t0})
    finally:
        bar.close()
        if writer is not None:
            writer.close()
    wall = time.perf_counter() - t0
    df = pd.DataFrame(rows)
    result = RunResult(
        env_id=base.env_id, agent=agent_name, seed=int(seed), budget=budget,
        best_design=best["design"], best_reward=float(best["reward"]), best_metrics=best["metrics"],
        best_step=int(best["step"]), first_target_met_step=first_met,
        n_target_met=int(df["target_met"].sum()), n_infeasible=int((~df["feasible"]).sum()),
        wall_seconds=wall, sim_seconds=float(df["sim_seconds"].sum()), rows=df,
        out_dir=Path(out) if out is not None else None,
    )
    if out is not None:
        card = {**identity, "agent_params": params, "budget": budget, "environment": base.describe(),
                "archgym_version": archgym.__version__, "result": result.summary(), "n_rows": len(df),
                "n_replayed": sum(s < budget for s in logged), "rows_per_part": rows_per_part,
                "recipe": _recipe(env, agent_arg, env_kwargs, agent_params),
                "files": file_manifest(Path(out) / EVALUATIONS_DIR), **dict(card_extra or {})}
        write_json_atomic(card, Path(out) / CARD_FILE)
        if plot:
            plot_convergence(df, Path(out) / PLOT_FILE, title=f"{agent_name} on {base.env_id} ({base.workload}), seed {seed}")
    return result


run = functools.wraps(_run)(run)  # run() is _run() holding the output folder's lock


def _logged_rows(directory: Path, run_id: str, budget: int, gaps: bool = False) -> dict[int, dict]:
    """Rows an earlier (interrupted or damaged) attempt of run ``run_id`` wrote to ``directory``, by step.

    Without ``gaps`` they must be steps 0..k-1 exactly once (parts are written whole and in order, so a
    crash leaves such a prefix); with ``gaps`` (a repair) any steps below ``budget``, each at most once."""
    if not directory.is_dir():
        return {}
    for stale in directory.glob(".part-*.tmp*"):  # temporary files of a write cut short
        stale.unlink(missing_ok=True)
    if not record_files(directory):
        return {}
    df = load_records(directory)
    other = sorted(set(df["run_id"]) - {run_id})
    if other:
        raise RecordsError(f"cannot resume {directory}: it holds rows of other run(s) {other[:3]}, not only {run_id!r}")
    steps = df["step"].to_numpy()
    if gaps:
        if len(set(steps.tolist())) != len(steps) or (len(steps) and (steps.min() < 0 or steps.max() >= budget)):
            raise RecordsError(f"cannot repair {directory}: some logged steps repeat or fall outside 0..{budget - 1}")
    elif sorted(steps.tolist()) != list(range(len(df))):
        raise RecordsError(f"cannot resume {directory}: logged steps are not 0..{len(df) - 1} exactly once (rows are "
                           f"missing: run `archgym repair {directory.parent}` to re-simulate only those)")
    return {int(r["step"]): r for r in df.to_dict("records")}


def _recipe(env: Any, agent: Any, env_kwargs: Mapping[str, Any] | None, agent_params: Mapping[str, Any] | None) -> dict | None:
    """How to build this run again (for ``archgym repair``): the environment id and keyword arguments and
    the agent's name and parameters, as given; None when either was an object, or not JSON-writable."""
    if not isinstance(env, str) or not isinstance(agent, str):
        return None
    recipe = {"env": env, "env_kwargs": dict(env_kwargs or {}), "agent": agent, "agent_params": dict(agent_params or {})}
    try:
        json.dumps(recipe)
    except (TypeError, ValueError):
        return None
    return recipe


def _replayed(base: ArchGymEnv, row: Mapping[str, Any], asked: Mapping[str, Any], step: int) -> Evaluation:
    """The evaluation logged in ``row``, after checking the agent asked for the same design again."""
    design = base.design_space.validate({k[len(DESIGN_PREFIX):]: v for k, v in row.items() if k.startswith(DESIGN_PREFIX)})
    if design != base.design_space.validate(asked):
        raise RecordsError(f"cannot resume: at step {step} the agent asked for {asked} but the log holds {design} "
                           "(the agent is not deterministic under its seed, or its settings changed)")
    feasible = bool(row["feasible"])
    metrics = {m: float(row[METRIC_PREFIX + m]) for m in base.metrics} if feasible else {}
    return Evaluation(design, metrics, feasible, str(row["violation"]), float(row["sim_seconds"]), row["backend"] == "surrogate")


def best_so_far(df: pd.DataFrame) -> pd.Series:
    """Best reward after each evaluation, in step order."""
    return df.sort_values("step")["reward"].cummax().reset_index(drop=True)


__all__ = ["run", "RunResult", "make_env", "best_so_far", "METRIC_PREFIX"]
