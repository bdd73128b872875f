"""Reward families. Every reward points one way: higher is better.

- :class:`TargetDistance` -- ArchGym's target-spec form: minus the sum of each metric's
  normalised distance to its target, ``-sum |m - t| / |t|``; 0 means every metric sits on target.
- :class:`TargetHinge` -- only exceeding a target costs: ``-sum max(0, (m - t) / |t|)`` for
  lower-is-better metrics (and the mirror image for higher-is-better ones); 0 once all are met.
- :class:`Weighted` -- a plain weighted objective ``sum w * (+-m / scale)``, signed so that
  improving any metric raises the reward.

Each metric has a sense, ``"min"`` (lower is better: met when ``m <= t``) or ``"max"``
(met when ``m >= t``). ``target_met`` is true when every targeted metric meets its target.
Infeasible designs get ``infeasible_reward``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

SENSES = ("min", "max")
#: the methods a fused ``_terms`` stands for: a subclass that overrides one of them (and not ``_terms``) is
#: scored through them, never through its parent's fused form
_FUSED_FROM = ("__call__", "_score", "_excess", "_parts", "target_met", "objectives")


class RewardError(ValueError):
    """A reward specification that cannot be used."""


class Reward:
    """Base class: maps a metrics dict to a float (higher is better)."""

    kind = "base"

    def __init__(self, senses: Mapping[str, str], infeasible_reward: float = -100.0):
        for m, s in senses.items():
            if s not in SENSES:
                raise RewardError(f"sense of metric {m!r} is {s!r}; allowed: {list(SENSES)}")
        self.senses = dict(senses)
        self.infeasible_reward = float(infeasible_reward)

    @property
    def metrics(self) -> list[str]:
        return list(self.senses)

    def __call__(self, metrics: Mapping[str, float], feasible: bool = True) -> float:
        if not feasible:
            return self.infeasible_reward
        return float(self._score(metrics))

    def _score(self, metrics: Mapping[str, float]) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def target_met(self, metrics: Mapping[str, float], feasible: bool = True) -> bool:
        return False

    def objectives(self, metrics: Mapping[str, float]) -> dict[str, float]:
        """The metrics this reward reads, each signed so that higher is better."""
        return {m: (-1.0 if self.senses[m] == "min" else 1.0) * float(metrics[m]) for m in self.senses}

    def terms(self, metrics: Mapping[str, float], feasible: bool = True) -> tuple[float, bool, dict[str, float]]:
        """``(reward, target_met, objectives)`` of one evaluation (objectives ``{}`` when infeasible): what a
        ``step`` reports, exactly ``(self(metrics, feasible), self.target_met(metrics, feasible),
        self.objectives(metrics))``, computed in one pass where the class has a fused form (``_terms``) that no
        subclass below it bypasses by overriding one of the methods it stands for."""
        fused = self.__dict__.get("_fused")
        if fused is None:
            fused = self.__dict__["_fused"] = self._has_fused_terms()
        if fused:
            return self._terms(metrics) if feasible else (self.infeasible_reward, False, {})
        return self(metrics, feasible), self.target_met(metrics, feasible), (self.objectives(metrics) if feasible else {})

    def _has_fused_terms(self) -> bool:
        for cls in type(self).__mro__:
            if "_terms" in cls.__dict__:
                return True
            if any(name in cls.__dict__ for name in _FUSED_FROM):
                return False
        return False

    def check_metrics(self, available: list[str]) -> None:
        missing = [m for m in self.senses if m not in available]
        if missing:
            raise RewardError(f"reward {self.kind!r} refers to unknown metric(s) {missing}; available: {available}")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "senses": self.senses, "infeasible_reward": self.infeasible_reward}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_dict()})"


class TargetReward(Reward):
    """Base of the rewards that score metrics against per-metric targets (subclass it for a new form)."""

    def __init__(self, targets: Mapping[str, float], senses: Mapping[str, str], infeasible_reward: float = -100.0):
        if not targets:
            raise RewardError(f"reward {self.kind!r} needs at least one target")
        missing = [m for m in targets if m not in senses]
        if missing:
            raise RewardError(f"no sense (min/max) given for targeted metric(s) {missing}")
        for m, t in targets.items():
            if not (isinstance(t, (int, float, np.floating, np.integer)) and math.isfinite(t) and t != 0):
                raise RewardError(f"target of metric {m!r} must be a finite non-zero number, got {t!r}")
        super().__init__({m: senses[m] for m in targets}, infeasible_reward)
        self.targets = {m: float(t) for m, t in targets.items()}

    def _excess(self, metrics: Mapping[str, float]) -> dict[str, float]:
        """Signed normalised excess over each target: > 0 means the target is missed."""
        out = {}
        for m, t in self.targets.items():
            d = (float(metrics[m]) - t) / abs(t)
            out[m] = d if self.senses[m] == "min" else -d
        return out

    def target_met(self, metrics: Mapping[str, float], feasible: bool = True) -> bool:
        return bool(feasible) and all(e <= 0 for e in self._excess(metrics).values())

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "targets": self.targets}


class TargetDistance(TargetReward):
    """ArchGym's target-spec reward: ``-sum |m - t| / |t|`` (0 on target, more negative farther)."""

    kind = "target"

    def _score(self, metrics):
        return -sum(abs(e) for e in self._excess(metrics).values())

    def _terms(self, metrics):
        senses = self.senses
        total = 0  # as sum(): an int 0, then the terms added in order (the same float)
        met = True
        for m, t in self.targets.items():
            d = (float(metrics[m]) - t) / abs(t)
            e = d if senses[m] == "min" else -d
            total += abs(e)
            if not e <= 0:  # a NaN misses its target, as in target_met
                met = False
        return float(-total), met, {m: (-1.0 if s == "min" else 1.0) * float(metrics[m]) for m, s in senses.items()}


class TargetHinge(TargetReward):
    """Penalise only missing a target: ``-sum max(0, excess)``; 0 once every target is met."""

    kind = "hinge"

    def _score(self, metrics):
        return -sum(max(0.0, e) for e in self._excess(metrics).values())

    def _terms(self, metrics):
        senses = self.senses
        total = 0
        met = True
        for m, t in self.targets.items():
            d = (float(metrics[m]) - t) / abs(t)
            e = d if senses[m] == "min" else -d
            total += max(0.0, e)
            if not e <= 0:
                met = False
        return float(-total), met, {m: (-1.0 if s == "min" else 1.0) * float(metrics[m]) for m, s in senses.items()}


class Weighted(Reward):
    """``sum_i w_i * s_i * m_i / scale_i`` with ``s_i = -1`` for lower-is-better metrics.

    ``scales`` default to 1; set them (e.g. to a baseline design's metrics) so that the terms are
    comparable. ``targets``, if given, only decide ``target_met``.
    """

    kind = "weighted"

    def __init__(self, weights: Mapping[str, float], senses: Mapping[str, str], scales: Mapping[str, float] | None = None,
                 targets: Mapping[str, float] | None = None, infeasible_reward: float = -100.0):
        if not weights:
            raise RewardError("reward 'weighted' needs at least one weight")
        missing = [m for m in weights if m not in senses]
        if missing:
            raise RewardError(f"no sense (min/max) given for weighted metric(s) {missing}")
        super().__init__({m: senses[m] for m in weights}, infeasible_reward)
        self.weights = {m: float(w) for m, w in weights.items()}
        self.scales = {m: float((scales or {}).get(m, 1.0)) for m in weights}
        bad = {m: s for m, s in self.scales.items() if not (math.isfinite(s) and s > 0)}
        if bad:
            raise RewardError(f"scales must be finite and > 0, got {bad}")
        self.targets = {m: float(t) for m, t in (targets or {}).items()}
        self._target_senses = {m: senses[m] for m in self.targets}

    def _score(self, metrics):
        return sum(
            w * (-1.0 if self.senses[m] == "min" else 1.0) * float(metrics[m]) / self.scales[m]
            for m, w in self.weights.items()
        )

    def target_met(self, metrics, feasible: bool = True) -> bool:
        if not feasible or not self.targets:
            return False
        return all(
            (float(metrics[m]) <= t) if self._target_senses[m] == "min" else (float(metrics[m]) >= t)
            for m, t in self.targets.items()
        )

    def to_dict(self):
        return {**super().to_dict(), "weights": self.weights, "scales": self.scales, "targets": self.targets}


REWARD_KINDS = {"target": TargetDistance, "hinge": TargetHinge, "weighted": Weighted}


def make_reward(
    kind: str | Reward,
    senses: Mapping[str, str],
    targets: Mapping[str, float] | None = None,
    weights: Mapping[str, float] | None = None,
    scales: Mapping[str, float] | None = None,
    infeasible_reward: float = -100.0,
    kinds: Mapping[str, type] | None = None,
) -> Reward:
    """Build a reward of ``kind`` ("target", "hinge", "weighted", or one of ``kinds``: name -> a
    :class:`TargetReward` subclass an environment adds) for an environment's metrics."""
    if isinstance(kind, Reward):
        kind.check_metrics(list(senses))
        return kind
    all_kinds = {**REWARD_KINDS, **(kinds or {})}
    if kind not in all_kinds:
        raise RewardError(f"reward kind {kind!r} is not known; allowed: {sorted(all_kinds)}")
    unknown = [m for m in list(targets or {}) + list(weights or {}) if m not in senses]
    if unknown:
        raise RewardError(f"unknown metric(s) {unknown} in reward; available: {list(senses)}")
    if kind == "weighted":
        if not weights:
            raise RewardError(
                "reward 'weighted' needs weights= (metric -> weight; on the command line --weight metric=value), "
                f"for example {{{list(senses)[0]!r}: 1.0}}; available metrics: {list(senses)}")
        if scales is None:  # each term relative to its target, so that no metric swamps the others by its unit
            scales = {m: abs(float(t)) for m, t in (targets or {}).items()
                      if m in weights and math.isfinite(float(t)) and float(t) != 0.0}
        return Weighted(weights, senses, scales=scales, targets=targets, infeasible_reward=infeasible_reward)
    return all_kinds[kind](targets or {}, senses, infeasible_reward=infeasible_reward)
