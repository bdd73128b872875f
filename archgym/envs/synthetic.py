"""archgym/Synthetic-v0: a cheap design space with a known optimum, for testing search agents.

Not a hardware model. Its cost is a shifted, ill-conditioned quadratic bowl over integer,
power-of-two and categorical parameters (plus an interaction term so that the parameters are not
separable), with a single optimum whose cost is exactly 1. An agent that finds a design with
``cost == 1`` has found the optimum; ``target_met`` says so. The optimum's location depends on
``instance`` so that agents cannot be tuned to one fixed answer.
"""

from __future__ import annotations

import numpy as np

from archgym.core.env import ArchGymEnv, Metric
from archgym.core.spaces import Categorical, DesignSpace, Integer, PowerOfTwo


class SyntheticEnv(ArchGymEnv):
    """A known-optimum test function with the shape of a design space (7 integer parameters of
    16 values, 2 powers of two, 1 four-way categorical: about 2.6e10 designs)."""

    env_id = "archgym/Synthetic-v0"
    version = "0"
    simulator_version = "synthetic-1"

    def __init__(self, workload: str = "bowl", instance: int = 0, **kwargs):
        if workload not in ("bowl",):
            raise ValueError(f"workload {workload!r} is not known; allowed: ['bowl']")
        params = [Integer(f"x{i}", 0, 15) for i in range(7)]
        params += [PowerOfTwo("p0", 1, 1024), PowerOfTwo("p1", 1, 1024)]
        params += [Categorical("mode", ("a", "b", "c", "d"))]
        space = DesignSpace(params)
        rng = np.random.default_rng(instance)
        self.optimum = {p.name: p.values[int(rng.integers(p.n))] for p in space}
        self._scale = np.linspace(1.0, 4.0, 9)
        self.instance = int(instance)
        metrics = [Metric("cost", "a.u.", "min", "1 at the optimum, larger elsewhere"),
                   Metric("distance", "steps", "min", "grid steps from the optimum (L1)")]
        super().__init__(space, metrics, workload=workload, default_targets={"cost": 1.0}, **kwargs)

    def _coords(self, design: dict) -> np.ndarray:
        return np.array([self.design_space[n].index(design[n]) for n in self.design_space.names[:9]], dtype=float)

    def simulate(self, design: dict) -> dict:
        x = self._coords(design)
        o = self._coords(self.optimum)
        d = (x - o) / 15.0
        cost = 1.0 + float(np.sum(self._scale * d**2)) + 2.0 * float(d[0] * d[1]) ** 2
        cost += 0.0 if design["mode"] == self.optimum["mode"] else 0.5
        dist = float(np.abs(x - o).sum()) + (design["mode"] != self.optimum["mode"])
        return {"cost": cost, "distance": dist}

    def known_optimum(self) -> dict:
        """The closed-form optimum: ``self.optimum``, where cost (1) and distance (0) are both at their least,
        so it is the best design for every reward that prefers less of each."""
        metrics = self.simulate(self.optimum)
        return {"design": dict(self.optimum), "reward": float(self.reward_fn(metrics, True)) + 0.0, "metrics": metrics,
                "source": f"closed form (instance {self.instance})"}

    @property
    def baseline_design(self) -> dict:
        return {p.name: p.values[0] for p in self.design_space}
