"""The base environment: the environment contract, written once.

A concrete environment (one file in ``archgym/envs/``) declares its design space, its metrics
(name, unit, sense), its baseline design and default targets, and implements
:meth:`ArchGymEnv.simulate` (one design -> metrics) or :meth:`ArchGymEnv.simulate_batch`. Everything
else lives here, so every environment behaves alike:

- **decoding**: an action becomes a validated design, exactly (:mod:`archgym.core.gym_spaces`);
- **evaluation**: through the simulator or another backend (:mod:`archgym.core.backend`), with a
  bounded per-instance LRU cache of simulator results keyed on :meth:`ArchGymEnv.cache_key`;
- **baseline and targets, on first use**: ``gym.make`` simulates nothing; the baseline design is
  evaluated when its metrics or targets derived from them (:class:`BaselineTargets`) are first needed;
- **metrics to observation, reward and info**, episode bookkeeping and seeding.
"""

from __future__ import annotations

import operator
import time
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from archgym.core import gym_spaces, optima
from archgym.core.backend import InfeasibleDesign, load_backend
from archgym.core.notices import first_use
from archgym.core.rewards import Reward, make_reward
from archgym.core.spaces import DesignError, DesignSpace

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


@dataclass(frozen=True)
class BaselineTargets:
    """Default targets as ``factor x`` the baseline design's metric (plus ``fixed`` values), resolved on
    first use so that constructing an environment simulates nothing."""

    factors: Mapping[str, float]
    fixed: Mapping[str, float] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [*self.factors, *self.fixed]

    def resolve(self, baseline: Mapping[str, float]) -> dict[str, float]:
        return {**{m: f * float(baseline[m]) for m, f in self.factors.items()}, **{m: float(v) for m, v in self.fixed.items()}}


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
        target costs), ``"weighted"``, a kind the environment adds (:attr:`reward_kinds`), or a
        :class:`~archgym.core.rewards.Reward` instance.
    targets:
        metric -> target value; defaults to the environment's ``default_targets``.
    weights, scales:
        for ``reward="weighted"``: metric -> weight (required), and metric -> normalising scale
        (defaults to each metric's target, so every term is relative to its target).
    observe:
        metrics in the observation vector, in order; defaults to ``observation_metrics``.
    episode_length:
        designs evaluated per episode (ArchGym uses one-step episodes by default).
    flat_action:
        if true the action space is a flat ``MultiDiscrete`` (or unit ``Box``) instead of a ``Dict``.
    infeasible_reward:
        reward of a design that cannot be built or run.
    backend, model:
        ``"simulator"`` (default) or ``"surrogate"`` with ``model`` a saved surrogate (path or object).
    cache_size:
        simulator results remembered per instance (least recently used evicted); 0 disables the cache.
    """

    metadata: ClassVar[dict] = {"render_modes": []}
    #: registered id and version, set by subclasses
    env_id: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    #: version of the simulator behind the environment (recorded with every dataset row)
    simulator_version: ClassVar[str] = "0"
    #: reward kinds this environment adds to :data:`archgym.core.rewards.REWARD_KINDS` (name -> class)
    reward_kinds: ClassVar[Mapping[str, type]] = {}
    #: the simulator package whose numba kernels the first simulation compiles (for the first-use notice)
    compiled_package: ClassVar[str | None] = None
    #: how long that compilation typically takes in a fresh installation, in seconds (2 cores)
    typical_compile_seconds: ClassVar[float] = 10.0

    def __init__(
        self,
        design_space: DesignSpace,
        metrics: Sequence[Metric],
        *,
        workload: str,
        default_targets: Mapping[str, float] | BaselineTargets,
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
        cache_size: int = 4096,
        render_mode: str | None = None,
    ):
        super().__init__()
        if render_mode is not None:
            raise ValueError(f"render_mode {render_mode!r} is not supported; allowed: None")
        if not isinstance(episode_length, (int, np.integer)) or isinstance(episode_length, bool) or episode_length < 1:
            raise ValueError(f"episode_length must be an integer >= 1, got {episode_length!r}")
        if not isinstance(cache_size, (int, np.integer)) or isinstance(cache_size, bool) or cache_size < 0:
            raise ValueError(f"cache_size must be an integer >= 0, got {cache_size!r}")
        self.design_space = design_space
        self.metrics = {m.name: m for m in metrics}
        self.workload = workload
        names = list(self.metrics)
        obs_names = list(observe or observation_metrics or names)
        unknown = [m for m in obs_names if m not in self.metrics]
        if unknown:
            raise ValueError(f"observe: unknown metric(s) {unknown}; available: {names}")
        self.observation_metrics = obs_names
        self._default_targets = default_targets if isinstance(default_targets, BaselineTargets) else dict(default_targets)
        self._reward_args = dict(kind=reward, senses={m.name: m.sense for m in metrics},
                                 targets=dict(targets) if targets is not None else None, weights=weights,
                                 scales=scales, infeasible_reward=infeasible_reward, kinds=self.reward_kinds)
        self._reward_fn: Reward | None = None
        self._baseline_metrics: dict | None = None
        if targets is not None:
            self._reward_fn = self._make_reward({})
        elif not isinstance(default_targets, BaselineTargets):
            self._reward_fn = self._make_reward(self._default_targets)
        else:  # validate the reward now (with placeholder targets); build it when it is first used
            self._make_reward({m: 1.0 for m in default_targets.names})
        self.episode_length = int(episode_length)
        self.flat_action = bool(flat_action)
        self.action_space = gym_spaces.flat_space(design_space) if flat_action else gym_spaces.dict_space(design_space)
        # metrics are unbounded above; the largest finite double keeps gymnasium's checker quiet
        self.observation_space = gym.spaces.Box(low=MISSING, high=np.finfo(np.float64).max,
                                                shape=(len(obs_names),), dtype=np.float64)
        # the step path, prepared once: the action decoder, the observation's getter, whether the plain
        # reward and info (computed together) apply, and the cache key's getter
        decoder = gym_spaces.decoder(design_space)
        self._decode = decoder.decode if decoder is not None else partial(gym_spaces.decode, design_space)
        self._obs_for: tuple[list[str] | None, Any] = (None, None)
        plain = {m: getattr(type(self), m) is getattr(ArchGymEnv, m) for m in ("reward_of", "info", "_info", "outcome")}
        self._fused_outcome = plain["reward_of"] and plain["info"]  # outcome may compute the reward's terms once
        self._plain_outcome = all(plain.values())  # step may build the info itself
        names = design_space.names
        self._key_of = operator.itemgetter(*names) if len(names) > 1 else (lambda d, k=names[0]: (d[k],))
        self.backend = backend
        self._backend = load_backend(backend, model, self)
        self.cache_size = int(cache_size)
        self._cache: OrderedDict[Hashable, dict | InfeasibleDesign] = OrderedDict()
        self._t = 0
        self._warm = False  # set once the first simulation (and any first-use compilation) is done
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

    def cache_key(self, design: dict) -> Hashable:
        """Key of a validated design in the result cache: equal keys must simulate identically (an
        environment whose knobs can be irrelevant overrides it to share results)."""
        return self._key_of(design)

    # -- baseline, targets and reward, on first use ---------------------------------------------
    @property
    def baseline_metrics(self) -> dict:
        """Metrics of :attr:`baseline_design` (simulated once, on first use)."""
        if self._baseline_metrics is None:
            ev = self.evaluate(self.baseline_design)
            if not ev.feasible:
                raise RuntimeError(f"{type(self).__name__}: the baseline design cannot be evaluated: {ev.violation}")
            self._baseline_metrics = dict(ev.metrics)
        return dict(self._baseline_metrics)

    @property
    def default_targets(self) -> dict:
        """The environment's default targets (derived from the baseline's metrics where they are)."""
        if isinstance(self._default_targets, BaselineTargets):
            return self._default_targets.resolve(self.baseline_metrics)
        return dict(self._default_targets)

    @property
    def reward_fn(self) -> Reward:
        """The reward: built on first use when its targets come from the baseline."""
        if self._reward_fn is None:
            self._reward_fn = self._make_reward(self.default_targets)
        return self._reward_fn

    def _make_reward(self, default_targets: Mapping[str, float]) -> Reward:
        args = dict(self._reward_args)
        if args["targets"] is None:
            args["targets"] = dict(default_targets)
        return make_reward(**args)

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(self, design: Mapping[str, Any]) -> Evaluation:
        """Evaluate one design (parameter values, not action indices)."""
        return self.evaluate_many([design])[0]

    def evaluate_many(self, designs: Sequence[Mapping[str, Any]], *, invalid: str = "raise") -> list[Evaluation]:
        """Evaluate many designs at once (through the vectorised path where there is one).

        A design that is not in the space raises :class:`DesignError` naming its position
        (``invalid="raise"``), or, with ``invalid="infeasible"``, comes back as an infeasible
        evaluation whose ``violation`` is the reason while the others are evaluated."""
        if invalid not in ("raise", "infeasible"):
            raise ValueError(f"invalid: value {invalid!r} is not allowed; allowed: ['raise', 'infeasible']")
        valid = self.design_space.validate_many(designs)  # column by column where it can, else None
        if valid is not None:
            return self._evaluate_valid(valid)
        valid, errors = [], {}
        for i, d in enumerate(designs):
            try:
                valid.append(self.design_space.validate(d))
            except DesignError as e:
                if invalid == "raise":
                    raise DesignError(f"design {i} of {len(designs)}: {e}") from None
                errors[i] = Evaluation(dict(d) if isinstance(d, Mapping) else {}, {}, False, f"invalid design: {e}")
        if not errors:
            return self._evaluate_valid(valid)
        done = iter(self._evaluate_valid(valid))
        return [errors[i] if i in errors else next(done) for i in range(len(designs))]

    def _results(self, valid: list[dict]) -> list[dict | InfeasibleDesign]:
        if self._backend is not None:
            return self._backend.predict(valid)
        if self.cache_size == 0:
            return self._simulate_batch(valid)
        keys = [self.cache_key(d) for d in valid]
        cache = self._cache
        todo: dict[Hashable, int] = {}
        for i, k in enumerate(keys):
            if k in cache:
                cache.move_to_end(k)
            elif k not in todo:
                todo[k] = i
        fresh: dict[Hashable, dict | InfeasibleDesign] = {}
        if todo:
            for k, r in zip(todo, self._simulate_batch([valid[i] for i in todo.values()])):
                fresh[k] = r
                cache[k] = r
        # read every result before evicting: a batch larger than the cache evicts its own hits
        out = [fresh[k] if k in fresh else cache[k] for k in keys]
        while len(cache) > self.cache_size:
            cache.popitem(last=False)
        return out

    def _result(self, design: dict) -> dict | InfeasibleDesign:
        """``_results([design])[0]``, without the batch's bookkeeping (the path of ``step``)."""
        if self._backend is not None:
            return self._backend.predict([design])[0]
        if self.cache_size == 0:
            return self._simulate_batch([design])[0]
        key = self.cache_key(design)
        cache = self._cache
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        r = cache[key] = self._simulate_batch([design])[0]
        while len(cache) > self.cache_size:
            cache.popitem(last=False)
        return r

    def _simulate_batch(self, designs: list[dict]) -> list[dict | InfeasibleDesign]:
        if self._warm:
            return self.simulate_batch(designs)
        with first_use(self.compiled_package, f"the {type(self).__name__} simulator", self.typical_compile_seconds):
            out = self.simulate_batch(designs)
        self._warm = True
        return out

    def _evaluate_valid(self, valid: list[dict]) -> list[Evaluation]:
        t0 = time.perf_counter()
        results = self._results(valid)
        per = (time.perf_counter() - t0) / max(len(valid), 1)
        predicted = self._backend is not None
        return [self._evaluation(d, r, per, predicted) for d, r in zip(valid, results)]

    def _evaluate_one(self, design: dict) -> Evaluation:
        """``_evaluate_valid([design])[0]`` (the path of ``step``)."""
        t0 = time.perf_counter()
        r = self._result(design)
        return self._evaluation(design, r, time.perf_counter() - t0, self._backend is not None)

    def _evaluation(self, design: dict, r: dict | InfeasibleDesign, per: float, predicted: bool) -> Evaluation:
        if isinstance(r, InfeasibleDesign):
            return Evaluation(design, {}, False, str(r), per, predicted)
        try:
            metrics = {m: float(r[m]) for m in self.metrics}
        except KeyError:
            missing = [m for m in self.metrics if m not in r]
            if not missing:
                raise
            raise RuntimeError(f"{type(self).__name__}.simulate returned no value for metric(s) {missing}") from None
        return Evaluation(design, metrics, True, "", per, predicted)

    def observation(self, ev: Evaluation | None) -> np.ndarray:
        names, get = self._obs_for
        if names is not self.observation_metrics:  # prepared on first use (and again if the list is replaced)
            names = self.observation_metrics
            get = operator.itemgetter(*names) if len(names) > 1 else (lambda m, k=names[0]: (m[k],))
            self._obs_for = (names, get)
        if ev is None or not ev.feasible:
            return np.full(len(names), MISSING, dtype=np.float64)
        return np.array(get(ev.metrics), dtype=np.float64)

    def info(self, ev: Evaluation) -> dict:
        _, met, objectives = self.reward_fn.terms(ev.metrics, ev.feasible)
        return self._info(ev, met, objectives)

    def _info(self, ev: Evaluation, target_met: bool, objectives: dict) -> dict:
        return {
            "design": ev.design,
            "metrics": ev.metrics,
            "feasible": ev.feasible,
            "violation": ev.violation,
            "target_met": target_met,
            "objectives": objectives,
            "predicted": ev.predicted,
            "backend": self.backend,
        }

    def reward_of(self, ev: Evaluation) -> float:
        return self.reward_fn(ev.metrics, ev.feasible)

    def outcome(self, ev: Evaluation) -> tuple[float, dict]:
        """``(self.reward_of(ev), self.info(ev))``: the reward and info of a step (the reward's terms computed
        once, unless a subclass overrides ``reward_of`` or ``info``)."""
        if not self._fused_outcome:
            return self.reward_of(ev), self.info(ev)
        reward, met, objectives = self.reward_fn.terms(ev.metrics, ev.feasible)
        return reward, self._info(ev, met, objectives)

    # -- gymnasium API ------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._t = 0
        return self.observation(None), {"step": 0}

    def step(self, action):
        # _evaluate_one and outcome, written out: this is the path of every step
        design = self._decode(action)  # exact, validated
        t0 = time.perf_counter()
        if self._backend is None and self.cache_size == 0:
            r = (self.simulate_batch if self._warm else self._simulate_batch)([design])[0]
        else:
            r = self._result(design)
        ev = self.last_evaluation = self._evaluation(design, r, time.perf_counter() - t0, self._backend is not None)
        t = self._t = self._t + 1
        if self._plain_outcome:
            reward, met, objectives = (self._reward_fn or self.reward_fn).terms(ev.metrics, ev.feasible)
            info = {"design": design, "metrics": ev.metrics, "feasible": ev.feasible, "violation": ev.violation,
                    "target_met": met, "objectives": objectives, "predicted": ev.predicted, "backend": self.backend,
                    "step": t}
        else:
            reward, info = self.outcome(ev)
            info["step"] = t
        return self.observation(ev), reward, t >= self.episode_length, False, info

    def step_design(self, design: Mapping[str, Any]):
        """``step`` with a design given as parameter values instead of an action."""
        return self.step(self.encode_action(design))

    def encode_action(self, design: Mapping[str, Any]):
        """The action (of this environment's action space) that selects ``design``."""
        if self.flat_action:
            return gym_spaces.encode_flat(self.design_space, design)
        return gym_spaces.encode_dict(self.design_space, design)

    def known_optimum(self) -> dict | None:
        """The best design of this exact problem (workload, reward, targets), where it is known:
        ``{"design", "reward", "metrics", "source"}``, or None. Enumerated optima are shipped under
        ``datasets/optima/`` (``archgym optimum ENV --workload W --save`` writes them); an environment
        with a closed form overrides this."""
        return optima.shipped_optimum(self)

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


__all__ = ["ArchGymEnv", "BaselineTargets", "DesignError", "Evaluation", "InfeasibleDesign", "Metric", "MISSING"]
