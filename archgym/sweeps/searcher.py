"""One design per Ray Tune trial: an archgym agent as a Tune searcher, or Tune's own searchers
(Optuna, HyperOpt) driving an archgym environment.

This is the mode for users who want Tune's scheduling around each simulator call (schedulers,
Tune's searchers, its dashboards). It costs Ray's per-trial overhead on every design, so a sweep
(:mod:`archgym.sweeps.run`, many designs per trial) is the fast path for analytic simulators.
Needs the ``ray`` extra; ``optuna`` and ``hyperopt`` come with the ``searchers`` extra.

    from archgym.sweeps.searcher import tune_design
    result = tune_design("archgym/SystolicArray-v0", "optuna", budget=200, seed=0, out="runs/optuna")

The designs evaluated are logged as dataset rows (same schema as ``archgym run``), with the agent
column ``tune:optuna``, ``tune:hyperopt`` or ``tune:<agent>``.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

import archgym
from archgym.agents import AGENTS, make_agent
from archgym.core.spaces import DesignSpace, Discrete
from archgym.records import METRIC_PREFIX, RecordWriter, file_manifest, make_row, write_json_atomic
from archgym.runner import RunResult, make_env
from archgym.sweeps.run import prepare_ray_environment, ray_session

TUNE_SEARCHERS = ("optuna", "hyperopt")


def tune_param_space(space: DesignSpace) -> dict:
    """The design space as a Tune search space: discrete parameters as ``tune.choice`` of their
    values, reals as ``tune.uniform`` (or ``tune.loguniform``)."""
    from ray import tune

    out = {}
    for p in space:
        if isinstance(p, Discrete):
            out[p.name] = tune.choice(list(p.values))
        else:
            out[p.name] = tune.loguniform(p.low, p.high) if p.log else tune.uniform(p.low, p.high)
    return out


def _searcher_base():
    from ray.tune.search import Searcher

    return Searcher


class AgentSearcher(_searcher_base()):
    """A Tune ``Searcher`` that asks an archgym agent for designs, one per trial, and tells it the
    rewards once every design of an ask has completed (so population-based agents see whole batches).

    Trials that fail are told ``failed_reward``.
    """

    def __init__(self, agent, metric: str = "reward", mode: str = "max", failed_reward: float = -100.0):
        super().__init__(metric=metric, mode=mode)
        self.agent = agent
        self.failed_reward = float(failed_reward)
        self._queue: list[dict] = []
        self._round: list[tuple[str, dict]] = []
        self._rewards: dict[str, float] = {}

    def suggest(self, trial_id: str) -> dict | None:
        if not self._queue:
            if len(self._rewards) < len(self._round):
                return None  # the agent waits for the rest of its batch before asking again
            self._tell_round()
            self._queue = list(self.agent.ask(max(1, int(getattr(self.agent, "batch_size", 1)))))
        design = self._queue.pop(0)
        self._round.append((trial_id, design))
        return dict(design)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        if trial_id not in {t for t, _ in self._round}:
            return
        ok = result is not None and not error and self.metric in result
        self._rewards[trial_id] = float(result[self.metric]) if ok else self.failed_reward
        if not self._queue and len(self._rewards) == len(self._round):
            self._tell_round()

    def save(self, checkpoint_path: str) -> None:
        """Pickle the agent and the pending batch (Tune calls this to checkpoint the search)."""
        import pickle

        with open(checkpoint_path, "wb") as f:
            pickle.dump(self.__dict__, f)

    def restore(self, checkpoint_path: str) -> None:
        import pickle

        with open(checkpoint_path, "rb") as f:
            self.__dict__.update(pickle.load(f))

    def _tell_round(self) -> None:
        if self._round:
            self.agent.tell([d for _, d in self._round], [self._rewards[t] for t, _ in self._round])
            self._round, self._rewards = [], {}


_ENV_CACHE: dict[str, Any] = {}


def design_trial(config: dict, settings: dict) -> None:
    """One Tune trial: evaluate the design in ``config`` and report its reward and metrics."""
    from ray import tune

    key = json.dumps([settings["env_id"], settings["env_kwargs"]], sort_keys=True, default=str)
    env = _ENV_CACHE.get(key)
    if env is None:  # one environment per worker process (actors are reused between trials)
        env = _ENV_CACHE[key] = make_env(settings["env_id"], **settings["env_kwargs"])
    design = {name: config[name] for name in env.design_space.names}
    ev = env.evaluate(design)
    info = env.info(ev)
    tune.report({"reward": env.reward_of(ev), "feasible": ev.feasible, "target_met": info["target_met"],
                 "violation": ev.violation, "sim_seconds": ev.sim_seconds, "design": json.dumps(ev.design, default=str),
                 **{METRIC_PREFIX + m: ev.metrics.get(m, math.nan) for m in env.metrics}})


def tune_design(env_id: str, searcher: str | Any, budget: int, seed: int = 0, *, out: str | Path | None = None,
                env_kwargs: Mapping[str, Any] | None = None, agent_params: Mapping[str, Any] | None = None,
                max_concurrent_trials: int = 1, address: str | None = None, num_cpus: int | None = None):
    """Search ``env_id`` with one design per Tune trial for ``budget`` trials.

    ``searcher``: ``"optuna"``, ``"hyperopt"``, the name of an archgym agent (driven through
    :class:`AgentSearcher`, with ``agent_params``), or a ready Tune ``Searcher`` instance.
    With ``max_concurrent_trials=1`` (the default) the search is deterministic under ``seed``.
    Returns a :class:`~archgym.runner.RunResult`; with ``out``, rows and a card are written as by
    ``archgym run``.
    """
    if not isinstance(budget, int) or budget < 1:
        raise ValueError(f"budget must be an integer >= 1 (trials, one design each), got {budget!r}")
    prepare_ray_environment()
    from ray import tune
    from ray.tune.logger import JsonLoggerCallback

    env_kwargs = dict(env_kwargs or {})
    env = make_env(env_id, **env_kwargs)
    env.reset(seed=seed)
    alg, name, params = _make_searcher(searcher, env, seed, dict(agent_params or {}))
    settings = {"env_id": env_id, "env_kwargs": env_kwargs}
    trainable = tune.with_parameters(design_trial, settings=settings)
    t0 = time.perf_counter()
    with ray_session(address, num_cpus), _tune_storage(out) as storage:
        tuner = tune.Tuner(
            trainable,
            param_space=tune_param_space(env.design_space) if not isinstance(alg, AgentSearcher) else {},
            tune_config=tune.TuneConfig(metric="reward", mode="max", search_alg=alg, num_samples=budget,
                                        max_concurrent_trials=max_concurrent_trials, reuse_actors=True,
                                        trial_dirname_creator=_trial_dirname),
            run_config=tune.RunConfig(name="tune_design", storage_path=storage, verbose=0, callbacks=[JsonLoggerCallback()]),
        )
        grid = tuner.fit()
    wall = time.perf_counter() - t0
    results = [r for r in grid if r.error is None and r.metrics]  # in the order the trials were created
    identity = {
        "run_id": uuid.uuid5(uuid.NAMESPACE_URL, f"tune|{env.env_id}|{env.workload}|{name}|"
                                                 f"{json.dumps(params, sort_keys=True, default=str)}|{seed}").hex[:16],
        "env_id": env.env_id, "env_version": env.version, "simulator_version": env.simulator_version,
        "workload": str(env.workload), "agent": name, "agent_params": json.dumps(params, sort_keys=True, default=str),
        "seed": int(seed),
    }
    rows = []
    for step, r in enumerate(results):
        m = r.metrics
        metrics = {k: m[METRIC_PREFIX + k] for k in env.metrics if not _isnan(m.get(METRIC_PREFIX + k))}
        rows.append(make_row(identity, step, json.loads(m["design"]), metrics, list(env.metrics), m["reward"],
                             m["feasible"], m["target_met"], m["violation"], m["sim_seconds"], env.backend))
    df = pd.DataFrame(rows)
    best = df.loc[df["reward"].idxmax()] if len(df) else None
    met = df.index[df["target_met"]].tolist() if len(df) else []
    result = RunResult(
        env_id=env.env_id, agent=name, seed=int(seed), budget=budget,
        best_design=json.loads(results[int(best["step"])].metrics["design"]) if best is not None else None,
        best_reward=float(best["reward"]) if best is not None else -math.inf,
        best_metrics={k: float(best[METRIC_PREFIX + k]) for k in env.metrics} if best is not None else {},
        best_step=int(best["step"]) if best is not None else -1, first_target_met_step=met[0] if met else None,
        n_target_met=len(met), n_infeasible=int((~df["feasible"]).sum()) if len(df) else 0, wall_seconds=wall,
        sim_seconds=float(df["sim_seconds"].sum()) if len(df) else 0.0, rows=df, out_dir=Path(out) if out else None,
    )
    if out is not None:
        with RecordWriter(Path(out) / "evaluations", rows_per_part=max(len(rows), 1)) as w:
            w.extend(rows)
        write_json_atomic({**identity, "agent_params": params, "budget": budget, "environment": env.describe(),
                           "archgym_version": archgym.__version__, "result": result.summary(), "n_rows": len(df),
                           "n_failed_trials": len(grid) - len(results), "mode": "one design per Tune trial",
                           "files": file_manifest(Path(out) / "evaluations")},
                          Path(out) / "run.json")
    return result


def _make_searcher(searcher: Any, env, seed: int, agent_params: dict):
    if not isinstance(searcher, str):
        return searcher, f"tune:{type(searcher).__name__}", {}
    if searcher == "optuna":
        from ray.tune.search.optuna import OptunaSearch

        return OptunaSearch(seed=seed), "tune:optuna", {}
    if searcher == "hyperopt":
        from ray.tune.search.hyperopt import HyperOptSearch

        return HyperOptSearch(random_state_seed=seed), "tune:hyperopt", {}
    if searcher not in AGENTS:
        raise ValueError(f"searcher {searcher!r} is not known; allowed: {list(TUNE_SEARCHERS)} or an agent {sorted(AGENTS)}")
    agent = make_agent(searcher, env.design_space, seed=seed, **agent_params)
    alg = AgentSearcher(agent, failed_reward=env.reward_fn.infeasible_reward)
    return alg, f"tune:{searcher}", dict(agent.hyperparameters())


class _tune_storage:
    """Tune's storage: ``out/tune`` when there is an ``out``, else a temporary folder removed afterwards."""

    def __init__(self, out):
        self.out = out
        self.tmp = None

    def __enter__(self) -> str:
        if self.out is not None:
            return str((Path(self.out) / "tune").resolve())
        import tempfile

        self.tmp = tempfile.TemporaryDirectory(prefix="archgym-tune-")
        return self.tmp.name

    def __exit__(self, *exc) -> None:
        if self.tmp is not None:
            self.tmp.cleanup()


def _trial_dirname(trial) -> str:
    return trial.trial_id


def _isnan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


__all__ = ["AgentSearcher", "tune_design", "tune_param_space", "design_trial", "TUNE_SEARCHERS"]
