"""Exact optima by enumeration: every design of a discrete space through the batched simulator.

:func:`find_optimum` evaluates every design of an environment's space (in mixed-radix order of the
parameters' values, in chunks through ``evaluate_many``), and keeps the best reward (ties: the first
in that order, with how many designs share it) and the Pareto front of the reward's objectives.
:func:`save_optimum` writes it to ``datasets/optima/`` (atomically), where
``env.unwrapped.known_optimum()`` finds it for the same problem (see :mod:`archgym.core.optima`).

    archgym optimum archgym/SystolicArray-v0 --workload resnet18 --save
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import archgym
from archgym.core.notices import quiet
from archgym.core.optima import optimum_file, problem, problem_key
from archgym.core.spaces import DesignSpace
from archgym.records import write_json_atomic
from archgym.runner import make_env

#: the largest space enumerated unless asked for more (SystolicArray-v0's is 1.57 M)
MAX_DESIGNS = 5_000_000


@dataclass
class OptimumResult:
    """The enumeration's outcome; :meth:`to_dict` is the shipped file's content."""

    problem: dict
    problem_key: str
    n_designs: int
    n_feasible: int
    best: dict
    n_optimal: int
    front_objectives: list[str]
    front: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    command: str = ""

    def to_dict(self) -> dict:
        return {"problem": self.problem, "problem_key": self.problem_key,
                "source": f"exact: enumeration of all {self.n_designs:,} designs by `{self.command}` "
                          f"(archgym {archgym.__version__}, {time.strftime('%Y-%m-%d')}, {self.seconds:.0f} s)",
                "n_designs": self.n_designs, "n_feasible": self.n_feasible, "n_optimal": self.n_optimal,
                "optimum": self.best, "pareto_front": {"objectives": self.front_objectives, "points": self.front}}


def designs_in_order(space: DesignSpace, start: int, stop: int) -> list[dict]:
    """Designs ``start..stop-1`` of the space in mixed-radix order (the last parameter varies fastest)."""
    sizes = space.cardinalities
    idx = np.arange(start, stop, dtype=np.int64)
    digits = []
    for n in reversed(sizes):
        digits.append(idx % n)
        idx //= n
    digits.reverse()
    params = list(space)
    cols = [[p.values[int(i)] for i in d] for p, d in zip(params, digits)]
    names = space.names
    return [dict(zip(names, row)) for row in zip(*cols)]


def pareto_mask(points: np.ndarray) -> np.ndarray:
    """Which rows of ``points`` (higher is better in every column) no other row dominates."""
    n = points.shape[0]
    order = np.lexsort(points.T[::-1])[::-1]  # by the first column, then the next, descending
    keep = np.zeros(n, dtype=bool)
    front: list[np.ndarray] = []
    for i in order:
        p = points[i]
        if front:
            f = np.asarray(front)
            if np.any(np.all(f >= p, axis=1)):
                continue  # dominated or equalled by a point already kept
        front.append(p)
        keep[i] = True
    return keep


def find_optimum(env_id: str, *, env_kwargs: Mapping[str, Any] | None = None, chunk: int = 20_000,
                 max_designs: int = MAX_DESIGNS, progress: bool = True) -> OptimumResult:
    """Enumerate every design of ``env_id`` (with ``env_kwargs``) and return its exact optimum and front."""
    from tqdm.auto import tqdm

    env = make_env(env_id, **{**dict(env_kwargs or {}), "cache_size": 0})
    space = env.design_space
    if not space.is_discrete:
        raise ValueError(f"{env_id}: its design space has continuous parameters; only a discrete space can be enumerated")
    n = math.prod(space.cardinalities)
    if n > max_designs:
        raise ValueError(f"{env_id}: {n:,} designs; allowed: at most max_designs={max_designs:,} (raise it to enumerate "
                         "a larger space, at about 20,000 designs/s for the fastest environments)")
    reward_fn = env.reward_fn
    obj_names = list(reward_fn.objectives({m: 1.0 for m in reward_fn.senses}))
    best = {"reward": -math.inf}
    n_best = n_feasible = 0
    objs = np.full((n, len(obj_names)), -np.inf)
    t0 = time.perf_counter()
    with tqdm(total=n, unit="design", desc=f"optimum of {env.env_id} ({env.workload})", disable=not progress or quiet()) as bar:
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            for i, ev in enumerate(env.evaluate_many(designs_in_order(space, start, stop)), start=start):
                if not ev.feasible:
                    continue
                n_feasible += 1
                r = reward_fn(ev.metrics, True)
                o = reward_fn.objectives(ev.metrics)
                objs[i] = [o[k] for k in obj_names]
                if r > best["reward"]:
                    best, n_best = {"index": i, "design": ev.design, "reward": float(r), "metrics": dict(ev.metrics)}, 1
                elif r == best["reward"]:
                    n_best += 1
            bar.update(stop - start)
    feasible_rows = np.flatnonzero(np.isfinite(objs).all(axis=1))
    uniq, first = np.unique(objs[feasible_rows], axis=0, return_index=True)
    kept = feasible_rows[first][pareto_mask(uniq)]
    front = []
    for i in sorted(kept.tolist()):
        ev = env.evaluate(designs_in_order(space, i, i + 1)[0])
        front.append({"design": ev.design, "metrics": dict(ev.metrics)})
    if best["reward"] == -math.inf:
        raise ValueError(f"{env_id}: none of its {n:,} designs is feasible")
    return OptimumResult(problem=problem(env), problem_key=problem_key(env), n_designs=n, n_feasible=n_feasible,
                         best={k: v for k, v in best.items() if k != "index"}, n_optimal=n_best,
                         front_objectives=obj_names, front=front, seconds=time.perf_counter() - t0)


def optimum_path(result: OptimumResult, folder: str | Path | None = None) -> Path:
    """Where :func:`save_optimum` writes: ``<env>-<workload>-<problem key>.json`` under ``datasets/optima``."""
    return optimum_file(result.problem, result.problem_key, folder)


def save_optimum(result: OptimumResult, folder: str | Path | None = None) -> Path:
    """Write the optimum where ``known_optimum()`` looks (or into ``folder``), atomically."""
    path = optimum_path(result, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_json_atomic(result.to_dict(), path)


__all__ = ["find_optimum", "save_optimum", "optimum_path", "designs_in_order", "pareto_mask", "OptimumResult", "MAX_DESIGNS"]
