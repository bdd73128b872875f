"""Tutorial: add an environment: a toy cache model, registered with gymnasium and checked.

A new environment of the repository is one file in ``archgym/envs/`` plus one line in
``archgym/envs/__init__.py`` (``ENVIRONMENTS``). This script keeps everything in one file and
registers its id by hand, so it runs without touching the package:

    python examples/tutorials/new_env.py
"""

from __future__ import annotations

import math

import gymnasium as gym
from gymnasium.utils.env_checker import check_env

import archgym  # noqa: F401  (registers the shipped ids)
from archgym.agents import make_agent
from archgym.core.env import ArchGymEnv, BaselineTargets, InfeasibleDesign, Metric
from archgym.core.spaces import Categorical, DesignSpace, Integer, PowerOfTwo
from archgym.runner import run

ENV_ID = "tutorial/Cache-v0"

METRICS = (
    Metric("miss_rate", "", "min", "misses per access of the workload's working set"),
    Metric("access_ns", "ns", "min", "hit latency"),
    Metric("area_mm2", "mm^2", "min", "data array plus tags"),
)


class CacheEnv(ArchGymEnv):
    """A set-associative cache for a working set of ``working_set_kb`` KiB (a toy analytic model).

    The design is the capacity, the associativity, the line size and the replacement policy. A
    design whose sets would not be a whole number is infeasible, with the reason.
    """

    env_id = ENV_ID
    version = "0"
    simulator_version = "toy-cache-1"

    def __init__(self, workload: str = "ws256", **kwargs):
        if not workload.startswith("ws") or not workload[2:].isdigit():
            raise ValueError(f"workload {workload!r}: expected 'ws<KiB>', e.g. 'ws256'")
        self.working_set_kb = int(workload[2:])
        space = DesignSpace([
            PowerOfTwo("size_kb", 16, 4096),
            PowerOfTwo("ways", 1, 16),
            PowerOfTwo("line_bytes", 32, 256),
            Categorical("policy", ("lru", "random")),
            Integer("banks", 1, 8),
        ])
        # targets: 30 % fewer misses than the baseline at no more than 1.5x its area
        super().__init__(space, METRICS, workload=workload,
                         default_targets=BaselineTargets({"miss_rate": 0.7, "area_mm2": 1.5}), **kwargs)

    @property
    def baseline_design(self) -> dict:
        return {"size_kb": 256, "ways": 4, "line_bytes": 64, "policy": "lru", "banks": 2}

    def simulate(self, design: dict) -> dict:
        size, ways, line = design["size_kb"], design["ways"], design["line_bytes"]
        if (size * 1024) % (ways * line * design["banks"]):
            raise InfeasibleDesign(f"{size} KiB is not a whole number of sets of {ways} ways x {line} B lines "
                                   f"in {design['banks']} banks")
        fit = min(1.0, size / self.working_set_kb)
        conflict = 0.08 / ways * (1.2 if design["policy"] == "random" else 1.0)
        spatial = 0.02 * 64 / line
        miss = (1 - fit) * 0.9 + fit * (conflict + spatial)
        access = 0.4 + 0.25 * math.log2(size) / design["banks"] ** 0.5 + 0.05 * ways
        area = 0.003 * size * (1 + 0.02 * ways) + 0.01 * design["banks"]
        return {"miss_rate": miss, "access_ns": access, "area_mm2": area}


def main(argv: list[str] | None = None) -> float:
    if ENV_ID not in gym.registry:
        gym.register(id=ENV_ID, entry_point=CacheEnv)

    env = gym.make(ENV_ID)
    check_env(env.unwrapped)           # gymnasium's own checks: spaces, seeding, determinism
    check_env(gym.make(ENV_ID, flat_action=True).unwrapped)
    print("check_env passed; default targets:", env.unwrapped.default_targets)

    agent = make_agent("ga", env.unwrapped.design_space, seed=0, population_size=16)
    result = run(env, agent, budget=200, seed=0, progress=False, plot=False)
    print(f"best reward {result.best_reward:.4f}, target met {result.n_target_met} times:", result.best_design)
    return result.best_reward


if __name__ == "__main__":
    main()
