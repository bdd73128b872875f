"""The base environment: one full design in, a simulator call, metrics out, a reward.

A concrete environment (one file in ``archgym/envs/``) declares its design space, its metrics
(name, unit, sense) and default targets, and implements :meth:`ArchGymEnv.simulate` (one design
-> metrics dict). Everything else -- action decoding, validation, reward, observation, ``info``,
episode bookkeeping, seeding and timing -- lives here so every environment behaves alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping, Sequence

import gymnasium as gym
import numpy as np

from archgym.rewards import Reward, make_reward
from archgym.spaces import DesignError, DesignSpace

#: value an observation entry takes when the metric could not be computed (infeasible design,
#: or no design evaluated yet in this episode)
MISSING = -1.0


@dataclass(frozen=True)
class Metric:
    """One output of a simulator: its name, unit and whether lower (``min``) or higher (``max``) is better."""

    name: str
    unit: str
    sense: str = "min"
    description: str = ""


class InfeasibleDesign(Exception):
    """Raised by :meth:`ArchGymEnv.simulate` for a design that is in the space but cannot be built
    or run (e.g. no valid mapping); the message is the reason, reported in ``info["violation"]``."""


@dataclass
class Evaluation:
    """What one evaluation of one design produced."""

    design: dict
    metrics: dict
    feasible: bool = True
    violation: str = ""
    sim_seconds: float = 0.0
    predicted: bool = False
    extra: dict = field(default_factory=dict)


class ArchGymEnv(gym.Env):
    """Base class of every archgym environment.

    Parameters common to all environments (subclasses add their own, e.g. ``workload``):

    reward:
        ``"target"`` (ArchGym's normalised distance to targets), ``"hinge"`` (only exceeding a
        target costs), ``"weighted"``, or a :class:`~archgym.rewards.Reward` instance.
    targets:
        metric -> target value; defaults to the environment's ``default_targets``.
    weights, scales:
        for ``reward="weighted"``: metric -> weight, and metric -> normalising scale.
    observe:
        metrics in the observation vector, in order; defaults to ``observation_metrics``.
    episode_length:
        designs evaluated per episode (ArchGym uses one-step episodes by default).
    flat_action:
        if true the action space is a flat ``MultiDiscrete`` (or unit ``Box``) instead of a ``Dict``.
    infeasible_reward:
        reward of a design that cannot be built or run.
    """

    metadata: ClassVar[dict] = {"render_modes": []}
    #: registered id and version, set by subclasses
    env_id: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    #: version of the simulator behind the environment (recorded with every dataset row)
    simulator_version: ClassVar[str] = "0"

    def __init__(
        self,
        design_space: DesignSpace,
        metrics: Sequence[Metric],
        *,
        workload: str,
        default_targets: Mapping[str, float],
        observation_metrics: Sequence[str] | None = None,
        reward: str | Reward = "target",
        targets: Mapping[str, float] | None = None,
        weights: Mapping[str, float] | None = None,
        scales: Mapping[str, float] | None = None,
        observe: Sequence[str] | None = None,
        episode_length: int = 1,
        flat_action: bool = False,
        infeasible_reward: float = -100.0,
        backend: str = "simulator",
        model: Any = None,
        render_mode: str | None = None,
    ):
        super().__init__()
        if render_mode is not None:
            raise ValueError(f"render_mode {render_mode!r} is not supported; allowed: None")
        if not isinstance(episode_length, (int, np.integer)) or episode_length < 1:
            raise ValueError(f"episode_length must be an integer >= 1, got {episode_length!r}")
        self.design_space = design_space
        self.metrics = {m.name: m for m in metrics}
        self.workload = workload
        self.default_targets = dict(default_targets)
        names = list(self.metrics)
        obs_names = list(observe or observation_metrics or names)
        unknown = [m for m in obs_names if m not in self.metrics]
        if unknown:
            raise ValueError(f"observe: unknown metric(s) {unknown}; available: {names}")
        self.observation_metrics = obs_names
        senses = {m.name: m.sense for m in metrics}
        self.reward_fn: Reward = make_reward(
            reward,
            senses,
            targets=dict(targets) if targets is not None else self.default_targets,
            weights=weights,
            scales=scales,
            infeasible_reward=infeasible_reward,
        )
        self.episode_length = int(episode_length)
        self.flat_action = bool(flat_action)
        self.action_space = design_space.gym_flat() if flat_action else design_space.gym_dict()
        # metrics are unbounded above; the largest finite double keeps gymnasium's checker quiet
        self.observation_space = gym.spaces.Box(low=MISSING, high=np.finfo(np.float64).max,
                                                shape=(len(obs_names),), dtype=np.float64)
        self.backend = backend
        self._surrogate = self._load_backend(backend, model)
        self._t = 0
        #: the last evaluation made by step() (its sim_seconds is not in info: info must be deterministic)
        self.last_evaluation: Evaluation | None = None

    # -- what a subclass implements ---------------------------------------------------------
    def simulate(self, design: dict) -> dict:
        """Metrics of one validated design (every declared metric); raise InfeasibleDesign if it cannot run."""
        raise NotImplementedError

    def simulate_batch(self, designs: Sequence[dict]) -> list[dict | InfeasibleDesign]:
        """Metrics of many designs; override with a vectorised path where the simulator has one."""
        out: list[dict | InfeasibleDesign] = []
        for d in designs:
            try:
                out.append(self.simulate(d))
            except InfeasibleDesign as e:
                out.append(e)
        return out

    @property
    def baseline_design(self) -> dict:
        """A reference design of the space (e.g. the one ArchGym ships); subclasses override."""
        return self.design_space.sample(0)

    # -- evaluation ---------------------------------------------------------------------------
    def _load_backend(self, backend: str, model: Any):
        if backend == "simulator":
            if model is not None:
                raise ValueError("model is only used with backend='surrogate'")
            return None
        if backend == "surrogate":
            from archgym.surrogate import load_backend  # imported here: optional heavy dependency

            return load_backend(model, self)
        raise ValueError(f"backend {backend!r} is not known; allowed: ['simulator', 'surrogate']")

    def evaluate(self, design: Mapping[str, Any]) -> Evaluation:
        """Evaluate one design (parameter values, not action indices)."""
        return self.evaluate_many([design])[0]

    def evaluate_many(self, designs: Sequence[Mapping[str, Any]]) -> list[Evaluation]:
        """Evaluate many designs at once (through the vectorised path where there is one)."""
        return self._evaluate_valid([self.design_space.validate(d) for d in designs])

    def _evaluate_valid(self, valid: list[dict]) -> list[Evaluation]:
        t0 = time.perf_counter()
        if self._surrogate is not None:
            results = self._surrogate.predict(valid)
        else:
            results = self.simulate_batch(valid)
        per = (time.perf_counter() - t0) / max(len(valid), 1)
        out = []
        for d, r in zip(valid, results):
            if isinstance(r, InfeasibleDesign):
                out.append(Evaluation(d, {}, False, str(r), per, self._surrogate is not None))
            else:
                missing = [m for m in self.metrics if m not in r]
                if missing:
                    raise RuntimeError(f"{type(self).__name__}.simulate returned no value for metric(s) {missing}")
                out.append(Evaluation(d, {m: float(r[m]) for m in self.metrics}, True, "", per, self._surrogate is not None))
        return out

    def observation(self, ev: Evaluation | None) -> np.ndarray:
        if ev is None or not ev.feasible:
            return np.full(len(self.observation_metrics), MISSING, dtype=np.float64)
        return np.array([ev.metrics[m] for m in self.observation_metrics], dtype=np.float64)

    def info(self, ev: Evaluation) -> dict:
        return {
            "design": ev.design,
            "metrics": ev.metrics,
            "feasible": ev.feasible,
            "violation": ev.violation,
            "target_met": self.reward_fn.target_met(ev.metrics, ev.feasible),
            "objectives": self.reward_fn.objectives(ev.metrics) if ev.feasible else {},
            "predicted": ev.predicted,
            "backend": self.backend,
        }

    def reward_of(self, ev: Evaluation) -> float:
        return self.reward_fn(ev.metrics, ev.feasible)

    # -- gymnasium API ------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._t = 0
        return self.observation(None), {"step": 0}

    def step(self, action):
        design = self.design_space.from_gym(action)  # validated
        ev = self.last_evaluation = self._evaluate_valid([design])[0]
        self._t += 1
        reward = self.reward_of(ev)
        info = self.info(ev)
        info["step"] = self._t
        return self.observation(ev), reward, self._t >= self.episode_length, False, info

    def step_design(self, design: Mapping[str, Any]):
        """``step`` with a design given as parameter values instead of an action."""
        return self.step(self.encode_action(design))

    def encode_action(self, design: Mapping[str, Any]):
        """The action (of this environment's action space) that selects ``design``."""
        d = self.design_space.validate(design)
        if self.flat_action:
            return self.design_space.to_indices(d) if self.design_space.is_discrete else _unit_vector(self.design_space, d)
        return self.design_space.to_gym(d)

    def describe(self) -> dict:
        """Identity of the environment, for dataset rows and cards."""
        return {
            "env_id": self.env_id,
            "env_version": self.version,
            "simulator_version": self.simulator_version,
            "workload": self.workload,
            "reward": self.reward_fn.to_dict(),
            "design_space": self.design_space.to_dict(),
            "metrics": {m.name: {"unit": m.unit, "sense": m.sense} for m in self.metrics.values()},
            "backend": self.backend,
        }


def _unit_vector(space: DesignSpace, design: Mapping[str, Any]) -> np.ndarray:
    """Inverse of the flat Box decoding of :meth:`DesignSpace.from_gym` (centre of each choice's bin)."""
    out = []
    for p in space:
        if p.is_discrete:
            out.append((p.index(design[p.name]) + 0.5) / p.n)
        else:
            out.append(float(space.to_features({**design})[space.feature_names.index(p.name)]))
    return np.array(out, dtype=np.float64)


__all__ = ["ArchGymEnv", "Evaluation", "InfeasibleDesign", "Metric", "MISSING", "DesignError"]
