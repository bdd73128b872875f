"""Optuna's samplers as archgym agents, driven through Optuna's own ask-and-tell API.

Each agent owns one in-memory Optuna study. ``ask(n)`` calls ``study.ask()`` ``n`` times (the
asked trials stay running until told, so TPE's constant liar and the other samplers see the
pending batch) and turns each trial's parameters into a design; ``tell`` completes the trials in
the order they were asked with ``study.tell``. The study is a maximisation of the env reward
(``optuna-tpe``, ``optuna-cmaes``, ``optuna-gp``), or, for ``optuna-nsga2``, of every objective in
``info["objectives"]`` (the metrics the reward reads, signed so that higher is better; as
``nsga2``: without objectives in the infos, the reward is the one objective).

One Optuna distribution per design parameter:

* a categorical parameter is a ``CategoricalDistribution`` over its choice indices (labels mean
  nothing to a categorical sampler; indices keep every label type storable);
* an ordered discrete parameter (``Integer``, ``PowerOfTwo``, ``Ordinal``) is an
  ``IntDistribution`` over its choice index ``0..n-1``, so that TPE's and CMA-ES's models see the
  order, and a power of two is searched on the log scale it is defined on (index = log2 step);
* a ``Real`` is a ``FloatDistribution`` over its range (log-scaled if the parameter is).

A sampled design that was already evaluated is not sent to the simulator again: the trial is
told its known value at once and another is asked (up to ``MAX_REDRAWS`` times per design; the
simulators are deterministic, so a repeat would only spend budget). Optuna's log messages and
experimental-feature warnings are silenced while the agent calls Optuna (the global verbosity
is restored afterwards). Needs the ``optuna`` extra (``pip install "archgym[optuna]"``; CMA-ES
also needs the ``cmaes`` package the extra brings, GP needs ``torch``).
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from typing import Any

from archgym.core.spaces import Categorical, DesignSpace, Discrete

from .base import Agent

MAX_REDRAWS = 10  # trials asked again when the sampler proposes a design already evaluated


def _import_optuna():
    try:
        import optuna
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise ImportError("the optuna-* agents need Optuna: pip install \"archgym[optuna]\"") from e
    return optuna


@contextlib.contextmanager
def _quiet(optuna) -> Iterator[None]:
    """Optuna silenced for the duration of a call: log level WARNING, experimental warnings off."""
    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield
    finally:
        optuna.logging.set_verbosity(level)


class OptunaAgent(Agent):
    """Base of the Optuna agents: a study, its distributions, and the ask/tell bookkeeping.

    Subclasses implement ``_sampler(optuna)``; ``multi_objective`` switches to the objectives.
    """

    name = "optuna"
    multi_objective = False

    def __init__(self, space: DesignSpace, seed: int | None = None, batch_size: int = 1):
        super().__init__(space, seed)
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
        self.batch_size = int(batch_size)
        self.optuna = _import_optuna()
        self.distributions = self._distributions()
        # Optuna takes a 32-bit seed; derive one from the agent's generator (seed None: fresh entropy)
        self._sampler_seed = int(self.rng.integers(2**31 - 1))
        self.study = None  # built on first use (the multi-objective study needs the objective names)
        self.objective_names: list[str] | None = None
        self._pending: list[Any] = []  # asked, not yet told: optuna trials, in ask order
        self._known: dict[tuple, list[float] | None] = {}  # design key -> told values (None: failed)

    # -- distributions and designs ----------------------------------------------------------------
    def _distributions(self) -> dict[str, Any]:
        d = self.optuna.distributions
        out: dict[str, Any] = {}
        for p in self.space:
            if isinstance(p, Categorical):
                out[p.name] = d.CategoricalDistribution(tuple(range(p.n)))
            elif isinstance(p, Discrete):
                out[p.name] = d.IntDistribution(0, p.n - 1)
            else:
                out[p.name] = d.FloatDistribution(float(p.low), float(p.high), log=bool(p.log))
        return out

    def _design(self, params: dict[str, Any]) -> dict:
        return {p.name: p.values[int(params[p.name])] if isinstance(p, Discrete) else float(params[p.name])
                for p in self.space}

    def _params(self, design: dict) -> dict[str, Any]:
        return {p.name: p.index(design[p.name]) if isinstance(p, Discrete) else float(design[p.name])
                for p in self.space}

    def _key(self, params: dict[str, Any]) -> tuple:
        return tuple(params[n] for n in self.space.names)

    # -- the study ----------------------------------------------------------------------------------
    def _sampler(self, optuna):
        raise NotImplementedError

    def _open_study(self, n_objectives: int = 1) -> None:
        directions = ["maximize"] * n_objectives
        self.study = self.optuna.create_study(sampler=self._sampler(self.optuna), directions=directions)

    def _values(self, reward: float, info: dict | None) -> list[float] | None:
        """What the study is told for one design: [reward], or the objectives (None: infeasible)."""
        if not self.multi_objective or self.objective_names is None:
            r = float(reward)
            return [r] if math.isfinite(r) else None
        if not (info or {}).get("feasible", True):
            return None
        obj = (info or {}).get("objectives") or {}
        if not all(n in obj for n in self.objective_names):
            return None
        return [float(obj[n]) for n in self.objective_names]

    def _tell_trial(self, trial, values: list[float] | None) -> None:
        if values is None or not all(math.isfinite(v) for v in values):
            self.study.tell(trial, state=self.optuna.trial.TrialState.FAIL)
        else:
            self.study.tell(trial, values)

    # -- ask/tell -----------------------------------------------------------------------------------
    def ask(self, n: int = 1) -> list[dict]:
        with _quiet(self.optuna):
            if self.study is None:
                self._open_study()
            out = []
            pending_keys = {self._key(t.params) for t in self._pending}
            for _ in range(n):
                for attempt in range(MAX_REDRAWS + 1):
                    trial = self.study.ask(self.distributions)
                    key = self._key(trial.params)
                    if key in self._known and attempt < MAX_REDRAWS:
                        self._tell_trial(trial, self._known[key])  # a free, known result
                        continue
                    if key in pending_keys and attempt < MAX_REDRAWS:
                        self.study.tell(trial, state=self.optuna.trial.TrialState.FAIL)  # asked already
                        continue
                    break
                pending_keys.add(key)
                self._pending.append(trial)
                out.append(self._design(trial.params))
        return out

    def tell(self, designs, rewards, infos=None) -> None:
        super().tell(designs, rewards, infos)
        with _quiet(self.optuna):
            if self.study is None:
                self._open_study()
            for i, (design, r) in enumerate(zip(designs, rewards)):
                info = infos[i] if infos else None
                params = self._params(design)
                key = self._key(params)
                values = self._values(r, info)
                self._known[key] = values
                match = next((j for j, t in enumerate(self._pending) if self._key(t.params) == key), None)
                if match is not None:
                    self._tell_trial(self._pending.pop(match), values)
                else:  # a design this agent did not ask for: add it to the study as a finished trial
                    self._add_trial(params, values)

    def _add_trial(self, params: dict, values: list[float] | None, system_attrs: dict | None = None) -> None:
        T = self.optuna.trial
        if values is None or not all(math.isfinite(v) for v in values):
            trial = T.create_trial(state=T.TrialState.FAIL, params=params, distributions=self.distributions,
                                   system_attrs=system_attrs)
        else:
            trial = T.create_trial(values=values, params=params, distributions=self.distributions,
                                   system_attrs=system_attrs)
        self.study.add_trial(trial)


class OptunaTPE(OptunaAgent):
    """Optuna's tree-structured Parzen estimator (TPESampler), maximising the reward.

    batch_size: designs per ask by default (a batch's pending trials are "constant liars").
    n_startup_trials: random trials before the Parzen estimators are used.
    multivariate: model the joint density of the parameters (multivariate TPE) instead of each alone.
    n_ei_candidates: candidates scored by the density ratio per parameter and trial.
    """

    name = "optuna-tpe"

    def __init__(self, space: DesignSpace, seed: int | None = None, batch_size: int = 1, n_startup_trials: int = 10,
                 multivariate: bool = True, n_ei_candidates: int = 24):
        if int(n_startup_trials) < 0 or int(n_ei_candidates) < 1:
            raise ValueError(f"n_startup_trials must be >= 0 and n_ei_candidates >= 1, got {n_startup_trials!r}, "
                             f"{n_ei_candidates!r}")
        self.n_startup_trials, self.multivariate = int(n_startup_trials), bool(multivariate)
        self.n_ei_candidates = int(n_ei_candidates)
        super().__init__(space, seed, batch_size)

    def _sampler(self, optuna):
        return optuna.samplers.TPESampler(seed=self._sampler_seed, n_startup_trials=self.n_startup_trials,
                                          multivariate=self.multivariate, n_ei_candidates=self.n_ei_candidates,
                                          constant_liar=True)


class OptunaCMAES(OptunaAgent):
    """Optuna's CMA-ES (CmaEsSampler) on the choice indices, maximising the reward.

    batch_size: designs per ask by default.
    sigma0: initial step size, in units of the index ranges scaled to [0, 1] (None: Optuna's, 1/6).
    popsize: designs per CMA-ES generation (0: CMA-ES's default, 4 + 3 ln(dimensions)).
    with_margin: CMA-ES with margin (Hamano et al. 2022), which keeps integer coordinates from
        getting stuck on one value; categorical parameters are sampled independently (at random).
    """

    name = "optuna-cmaes"

    def __init__(self, space: DesignSpace, seed: int | None = None, batch_size: int = 1, sigma0: float | None = None,
                 popsize: int = 0, with_margin: bool = True):
        if sigma0 is not None and not float(sigma0) > 0:
            raise ValueError(f"sigma0 must be > 0, got {sigma0!r}")
        if int(popsize) < 0:
            raise ValueError(f"popsize must be >= 0 (0: the CMA-ES default), got {popsize!r}")
        self.sigma0 = None if sigma0 is None else float(sigma0)
        self.popsize, self.with_margin = int(popsize), bool(with_margin)
        super().__init__(space, seed, batch_size)
        try:
            import cmaes  # noqa: F401
        except ImportError as e:
            raise ImportError("optuna-cmaes needs the cmaes package: pip install \"archgym[optuna]\"") from e

    def _sampler(self, optuna):
        return optuna.samplers.CmaEsSampler(seed=self._sampler_seed, sigma0=self.sigma0, popsize=self.popsize or None,
                                            with_margin=self.with_margin, warn_independent_sampling=False)


class OptunaGP(OptunaAgent):
    """Optuna's Gaussian-process Bayesian optimisation (GPSampler, needs torch), maximising the reward.

    batch_size: designs per ask by default.
    n_startup_trials: random trials before the GP is used.
    """

    name = "optuna-gp"

    def __init__(self, space: DesignSpace, seed: int | None = None, batch_size: int = 1, n_startup_trials: int = 10):
        if int(n_startup_trials) < 1:
            raise ValueError(f"n_startup_trials must be >= 1, got {n_startup_trials!r}")
        self.n_startup_trials = int(n_startup_trials)
        super().__init__(space, seed, batch_size)
        try:
            import torch  # noqa: F401
        except ImportError as e:
            raise ImportError("optuna-gp needs torch (Optuna's GPSampler): pip install \"archgym[rl]\" or torch") from e

    def _sampler(self, optuna):
        return optuna.samplers.GPSampler(seed=self._sampler_seed, n_startup_trials=self.n_startup_trials,
                                         deterministic_objective=True, warn_independent_sampling=False)

    def ask(self, n: int = 1) -> list[dict]:
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # small matrices; and one thread keeps the run repeatable
        try:
            return super().ask(n)
        finally:
            torch.set_num_threads(threads)


class OptunaNSGA2(OptunaAgent):
    """Optuna's NSGA-II (NSGAIISampler), maximising every objective in ``info["objectives"]``.

    population_size: trials per generation.
    crossover_prob: probability that two parents are recombined (else a parent is copied).
    mutation_prob: per-parameter mutation probability (None: Optuna's, 1 / number of parameters).
    batch_size: designs per ask by default (0: one generation, ``population_size``).

    The study's objectives are known at the first ``tell`` (of a feasible design); the designs asked
    before then (the first generation, which NSGA-II draws at random anyway) come from Optuna's
    RandomSampler with the same seed and join the NSGA-II study as its generation 0. ``pareto_front()`` gives the
    study's non-dominated designs.
    """

    name = "optuna-nsga2"
    multi_objective = True

    def __init__(self, space: DesignSpace, seed: int | None = None, population_size: int = 32,
                 crossover_prob: float = 0.9, mutation_prob: float | None = None, batch_size: int = 0):
        if int(population_size) < 2:
            raise ValueError(f"population_size must be >= 2, got {population_size!r}")
        if not 0.0 <= float(crossover_prob) <= 1.0:
            raise ValueError(f"crossover_prob must be in [0, 1], got {crossover_prob!r}")
        if mutation_prob is not None and not 0.0 <= float(mutation_prob) <= 1.0:
            raise ValueError(f"mutation_prob must be in [0, 1], got {mutation_prob!r}")
        if int(batch_size) < 0:
            raise ValueError(f"batch_size must be >= 0 (0: population_size), got {batch_size!r}")
        self.population_size, self.crossover_prob = int(population_size), float(crossover_prob)
        self.mutation_prob = None if mutation_prob is None else float(mutation_prob)
        super().__init__(space, seed, int(batch_size) or int(population_size))
        self._batch_param = int(batch_size)
        self._holding = None  # the RandomSampler study of the designs asked before the objectives are known
        self._held: list[tuple[dict, float, dict | None]] = []  # told before then: (params, reward, info)

    def hyperparameters(self) -> dict[str, Any]:
        return {**super().hyperparameters(), "batch_size": self._batch_param}

    def _sampler(self, optuna):
        return optuna.samplers.NSGAIISampler(seed=self._sampler_seed, population_size=self.population_size,
                                             crossover_prob=self.crossover_prob, mutation_prob=self.mutation_prob)

    def ask(self, n: int = 1) -> list[dict]:
        if self.study is not None:
            return super().ask(n)
        with _quiet(self.optuna):
            if self._holding is None:
                self._holding = self.optuna.create_study(sampler=self.optuna.samplers.RandomSampler(self._sampler_seed),
                                                         direction="maximize")
            trials = [self._holding.ask(self.distributions) for _ in range(n)]
        self._pending.extend(trials)
        return [self._design(t.params) for t in trials]

    def tell(self, designs, rewards, infos=None) -> None:
        if self.study is not None:
            return super().tell(designs, rewards, infos)
        Agent.tell(self, designs, rewards, infos)
        for i, (d, r) in enumerate(zip(designs, rewards)):
            params = self._params(d)
            key = self._key(params)
            self._pending = [t for t in self._pending if self._key(t.params) != key]
            self._held.append((params, float(r), infos[i] if infos else None))
        held_infos = [h[2] or {} for h in self._held]
        uses_reward = not infos or any("objectives" not in h for h in held_infos)
        feasible = [h["objectives"] for h in held_infos if h.get("feasible", True) and h.get("objectives")]
        if not uses_reward and not feasible:
            return  # objectives reported, but no feasible design yet to name them: stay in generation 0
        self.objective_names = None if uses_reward else sorted(feasible[0])
        with _quiet(self.optuna):
            self._open_study(1 if uses_reward else len(self.objective_names))
            for params, r, info in self._held:
                values = self._values(r, info)
                self._known[self._key(params)] = values
                self._add_trial(params, values, self._generation0())
        self._held = []

    def _tell_trial(self, trial, values) -> None:
        if trial.study is self._holding:  # asked before the study existed: it joins as generation 0
            self._add_trial(trial.params, values, self._generation0())
        else:
            super()._tell_trial(trial, values)

    def _generation0(self) -> dict:
        """System attribute that puts an added trial into NSGA-II's generation 0."""
        key_of = getattr(type(self.study.sampler), "_get_generation_key", None)
        return {key_of(): 0} if key_of is not None else {}

    def pareto_front(self) -> list[dict]:
        """The non-dominated designs of the study (its best trials)."""
        if self.study is None:
            return []
        return [self._design(t.params) for t in self.study.best_trials]


__all__ = ["OptunaAgent", "OptunaTPE", "OptunaCMAES", "OptunaGP", "OptunaNSGA2"]
