"""A gymnasium wrapper that logs every step as a dataset row, for agents that drive the
environment themselves (Stable-Baselines3, RLlib, a hand-written loop)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gymnasium as gym

from archgym.core.env import ArchGymEnv
from archgym.records import RecordWriter, make_row


class RecordEvaluations(gym.Wrapper):
    """Write a row (same schema as ``archgym run``) for each ``step`` into ``directory``.

    ``agent`` and ``agent_params`` label the rows; the seed is the one last passed to ``reset``.
    Rows are flushed every ``rows_per_part`` steps and on ``close``.
    """

    def __init__(self, env: gym.Env, directory: str | Path, agent: str = "external",
                 agent_params: Mapping[str, Any] | None = None, rows_per_part: int = 1000):
        super().__init__(env)
        base = env.unwrapped
        if not isinstance(base, ArchGymEnv):
            raise TypeError(f"RecordEvaluations wraps archgym environments, got {type(base).__name__}")
        self._base = base
        self._writer = RecordWriter(directory, rows_per_part)
        self._identity = {
            "run_id": "", "env_id": base.env_id, "env_version": base.version,
            "simulator_version": base.simulator_version, "workload": str(base.workload), "agent": agent,
            "agent_params": json.dumps(dict(agent_params or {}), sort_keys=True, default=str), "seed": -1,
        }
        self._step = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self._identity["seed"] = int(seed)
        return super().reset(seed=seed, options=options)

    def step(self, action):
        obs, reward, terminated, truncated, info = super().step(action)
        ev = self._base.last_evaluation
        self._writer.add(make_row(self._identity, self._step, info["design"], info["metrics"], list(self._base.metrics),
                                  reward, info["feasible"], info["target_met"], info["violation"],
                                  ev.sim_seconds if ev is not None else 0.0, info["backend"]))
        self._step += 1
        return obs, reward, terminated, truncated, info

    def close(self):
        self._writer.close()
        super().close()
