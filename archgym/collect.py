"""Sampled designs at high throughput, for training surrogate cost models.

:func:`collect` draws ``n`` designs from an environment's design space, uniformly at random or by
Latin hypercube sampling (each parameter's range cut into ``n`` equal strata, one draw per stratum,
strata shuffled independently per parameter; a discrete parameter with ``k`` values then takes
each value ``floor(n/k)`` or ``ceil(n/k)`` times: evenly spread marginals for the same budget),
evaluates them through the environment's batched path in chunks, and writes the rows in the same
format as ``archgym run`` (``OUT/evaluations/part-*.parquet``, ``OUT/run.json``) plus a dataset card
(``OUT/dataset.json``). The sample depends only on the seed, not on the chunk size.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import archgym
from archgym.core.env import ArchGymEnv
from archgym.core.notices import quiet
from archgym.core.spaces import DesignSpace, Discrete
from archgym.files.lock import DirectoryLock
from archgym.records import RecordsError, file_manifest, make_frame, write_json_atomic, write_parquet_atomic
from archgym.runner import make_env
from archgym.sweeps.dataset import EVALUATIONS_DIR, RUN_CARD, write_dataset_card

SAMPLERS = ("random", "lhs")


@dataclass
class CollectResult:
    out: Path
    n: int
    n_feasible: int
    n_target_met: int
    wall_seconds: float
    sim_seconds: float

    @property
    def designs_per_second(self) -> float:
        return self.n / max(self.wall_seconds, 1e-12)

    def summary(self) -> dict:
        return {**{k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()},
                "designs_per_second": self.designs_per_second}


def sample_columns(space: DesignSpace, n: int, sampler: str, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-parameter columns of ``n`` draws: choice indices for discrete parameters, unit floats for
    reals (the input of :meth:`DesignSpace.decode_unit_columns`)."""
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler {sampler!r} is not known; allowed: {list(SAMPLERS)}")
    cols = {}
    for p in space:
        discrete = isinstance(p, Discrete)
        if sampler == "random":
            cols[p.name] = rng.integers(0, p.n, n) if discrete else rng.random(n)
        elif discrete:  # stratum j of n takes value floor(j * k / n): every value floor(n/k) or ceil(n/k) times
            cols[p.name] = (rng.permutation(n).astype(np.int64) * p.n) // n
        else:  # one uniform draw inside each of n equal strata
            cols[p.name] = (rng.permutation(n) + rng.random(n)) / n
    return cols


def collect(env_id: str, n: int, sampler: str = "random", seed: int = 0, *, out: str | Path,
            env_kwargs: Mapping[str, Any] | None = None, chunk: int = 8192, progress: bool = True) -> CollectResult:
    """Evaluate ``n`` sampled designs of ``env_id`` and write them as dataset rows under ``out``
    (holding ``out``'s lock: a second writer on the same folder stops with a message)."""
    with DirectoryLock(out, "archgym collect"):
        return _collect(env_id, n, sampler, seed, out=out, env_kwargs=env_kwargs, chunk=chunk, progress=progress)


def part_name(part: int) -> str:
    """File name of the ``part``-th chunk of a collect output."""
    return f"part-{part:05d}.parquet"


def simulate_part(env: ArchGymEnv, identity: dict, cols: Mapping[str, np.ndarray], start: int, stop: int,
                  path: Path) -> pd.DataFrame:
    """Evaluate sample rows ``start:stop`` of ``cols`` and write them, as steps ``start..stop-1``, to ``path``."""
    designs = [env.design_space.decode_unit_columns(cols, i) for i in range(start, stop)]
    evals = env.evaluate_many(designs)
    reward_fn = env.reward_fn
    rewards = [reward_fn(ev.metrics, ev.feasible) for ev in evals]
    met = [reward_fn.target_met(ev.metrics, ev.feasible) for ev in evals]
    frame = make_frame(identity, start, [ev.design for ev in evals], [ev.metrics for ev in evals], list(env.metrics),
                       rewards, [ev.feasible for ev in evals], met, [ev.violation for ev in evals],
                       [ev.sim_seconds for ev in evals], env.backend)
    write_parquet_atomic(frame, path)
    return frame


def _collect(env_id: str, n: int, sampler: str, seed: int, *, out: str | Path,
             env_kwargs: Mapping[str, Any] | None, chunk: int, progress: bool) -> CollectResult:
    from tqdm.auto import tqdm

    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be an integer >= 1 (designs to sample), got {n!r}")
    if not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk must be an integer >= 1, got {chunk!r}")
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler {sampler!r} is not known; allowed: {list(SAMPLERS)}")
    out = Path(out)
    evals_dir = out / EVALUATIONS_DIR
    if evals_dir.is_dir() and any(evals_dir.glob("part-*.parquet")):
        raise RecordsError(f"{out} already holds a dataset; choose another --out (or delete it)")
    env_kwargs = dict(env_kwargs or {})
    env = make_env(env_id, **env_kwargs)
    env.reset(seed=seed)
    params = {"sampler": sampler, "n": n}
    identity = {
        "run_id": uuid.uuid5(uuid.NAMESPACE_URL, f"collect|{env.env_id}|{env.workload}|{sampler}|{n}|{seed}|"
                                                 f"{json.dumps(env_kwargs, sort_keys=True, default=str)}").hex[:16],
        "env_id": env.env_id, "env_version": env.version, "simulator_version": env.simulator_version,
        "workload": str(env.workload), "agent": f"sampler:{sampler}",
        "agent_params": json.dumps(params, sort_keys=True), "seed": int(seed),
    }
    cols = sample_columns(env.design_space, n, sampler, np.random.default_rng(seed))
    n_feasible = n_met = 0
    sim = 0.0
    t0 = time.perf_counter()
    with tqdm(total=n, unit="design", desc=f"collect {env.env_id}", disable=not progress or quiet()) as bar:
        for part, start in enumerate(range(0, n, chunk)):
            stop = min(start + chunk, n)
            frame = simulate_part(env, identity, cols, start, stop, evals_dir / part_name(part))
            n_feasible += int(frame["feasible"].sum())
            n_met += int(frame["target_met"].sum())
            sim += float(frame["sim_seconds"].sum())
            bar.update(stop - start)
    wall = time.perf_counter() - t0
    result = CollectResult(out=out, n=n, n_feasible=n_feasible, n_target_met=n_met, wall_seconds=wall, sim_seconds=sim)
    write_json_atomic({**identity, "agent_params": params, "budget": n, "environment": env.describe(),
                       "archgym_version": archgym.__version__, "result": result.summary(), "n_rows": n,
                       "chunk": chunk, "recipe": {"env": env_id, "env_kwargs": env_kwargs, "sampler": sampler},
                       "files": file_manifest(evals_dir)}, out / RUN_CARD)
    write_dataset_card(out, {"kind": "collect", "collect": {"sampler": sampler, "n": n, "seed": seed, "chunk": chunk,
                                                            "env_kwargs": env_kwargs},
                             "time": {"wall_seconds_total": wall, "designs_per_second": result.designs_per_second}})
    return result


__all__ = ["collect", "sample_columns", "simulate_part", "part_name", "CollectResult", "SAMPLERS"]
