"""Known optima of environments: the best design for a given workload, reward and targets, where known.

An optimum is only meaningful for one exact problem, so a shipped optimum (``datasets/optima/*.json``,
written by ``archgym optimum``) is keyed by the environment's id and versions, its workload and its
reward with every setting (kind, targets, weights, senses, infeasible reward): :func:`problem_key`.
An environment whose problem has no shipped optimum knows none (``None``).
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from archgym import datasets

OPTIMA_DIR = "optima"


def problem(env: Any) -> dict:
    """What an optimum depends on: environment id and versions, workload and the reward's settings."""
    return {"env_id": env.env_id, "env_version": str(env.version), "simulator_version": str(env.simulator_version),
            "workload": str(env.workload), "reward": env.reward_fn.to_dict()}


def problem_key(env: Any) -> str:
    """A digest of :func:`problem` (floats by their shortest exact repr, keys sorted)."""
    return hashlib.sha256(json.dumps(problem(env), sort_keys=True).encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def _shipped() -> dict[str, Path]:
    folder = datasets.path(OPTIMA_DIR)
    out = {}
    for f in sorted(Path(folder).glob("*.json")) if Path(folder).is_dir() else []:
        out[json.loads(f.read_text())["problem_key"]] = f
    return out


def shipped_optimum(env: Any) -> dict | None:
    """The shipped optimum of ``env``'s exact problem (``design``, ``reward``, ``metrics``, ``source``), or None."""
    f = _shipped().get(problem_key(env))
    if f is None:
        return None
    data = json.loads(f.read_text())
    return {"design": data["optimum"]["design"], "reward": data["optimum"]["reward"],
            "metrics": data["optimum"]["metrics"], "source": data["source"], "file": f.name}


def optimum_file(problem_: dict, key: str, folder: str | Path | None = None) -> Path:
    """Where an optimum of ``problem_`` (with :func:`problem_key` ``key``) is written:
    ``<env>-<workload>-<key>.json`` under ``datasets/optima`` (or ``folder``). The workload is a file's
    stem, or its name with every character outside [A-Za-z0-9_.-] as '_' (``resnet50:layer1.0.conv2``)."""
    workload = Path(problem_["workload"])
    word = workload.stem if workload.suffix.lower() in (".csv", ".json", ".yaml", ".yml", ".stl", ".txt") \
        else problem_["workload"]
    name = f"{problem_['env_id'].split('/')[-1]}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', word)}-{key}.json"
    return Path(folder if folder is not None else datasets.path(OPTIMA_DIR)) / name


def shipped_front(env: Any) -> dict | None:
    """The true Pareto front shipped with ``env``'s exact problem (``objectives`` and ``points``, each point a
    ``design`` and its ``metrics``), or None where no enumeration shipped one."""
    f = _shipped().get(problem_key(env))
    if f is None:
        return None
    return json.loads(f.read_text()).get("pareto_front")


def forget_shipped() -> None:
    """Read ``datasets/optima/`` again on the next look-up (after a new optimum was written)."""
    _shipped.cache_clear()


__all__ = ["problem", "problem_key", "optimum_file", "shipped_optimum", "shipped_front", "forget_shipped", "OPTIMA_DIR"]
