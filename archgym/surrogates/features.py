"""Vectorised design -> feature encoding for surrogates.

The encoding is :meth:`archgym.core.spaces.DesignSpace.to_features` (categoricals one-hot, integers
and ordinals scaled to [0, 1], powers of two and log-reals log-scaled), computed column by column
with numpy so that a surrogate can encode 10^5 designs per second or more, from a list of design
dicts or straight from the ``design.*`` columns of a dataset, followed by the environment's declared
features (:class:`DerivedFeatures`: quantities derived from the design and the workload's shape, e.g.
PE count, total buffer bytes, a buffer against the workload's largest operand -- never simulator
output). One design is encoded without numpy column building (:meth:`FeatureEncoder.encode_one`),
in microseconds.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from archgym.core.spaces import (
    Categorical,
    DesignError,
    DesignSpace,
    Discrete,
    PowerOfTwo,
)
from archgym.envs import ENVIRONMENTS
from archgym.records import DESIGN_PREFIX


@dataclass
class DerivedFeatures:
    """Features an environment declares from its design space and workload shape.

    ``function(columns, spec)`` takes the raw parameter values (``name -> 1-D numpy array``, numbers as
    float64, categories as object arrays) and ``spec`` (JSON-able constants of the workload, e.g. its
    largest operand in bytes) and returns ``feature name -> 1-D float array``. The surrogate file keeps
    ``spec`` and the environment id; the function is the environment's (looked up again on load)."""

    names: list[str]
    function: Callable[[Mapping[str, np.ndarray], Mapping[str, Any]], Mapping[str, np.ndarray]]
    spec: dict = field(default_factory=dict)

    def compute(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        got = self.function(columns, self.spec)
        n = len(next(iter(columns.values()))) if columns else 0
        out = np.empty((n, len(self.names)))
        for j, name in enumerate(self.names):
            out[:, j] = np.asarray(got[name], dtype=float)
        return out


def declared_features(env) -> DerivedFeatures | None:
    """The features environment ``env`` declares for surrogates, if any: its ``surrogate_features()``
    gives ``(names, spec)`` and its static ``surrogate_feature_values(columns, spec)`` the values."""
    declare = getattr(env, "surrogate_features", None)
    if declare is None:
        return None
    names, spec = declare()
    return DerivedFeatures(list(names), type(env).surrogate_feature_values, dict(spec))


def derived_for(env_id: str, names: Sequence[str], spec: Mapping[str, Any]) -> DerivedFeatures:
    """The declared features saved with a surrogate, with the function of environment ``env_id``."""
    if env_id not in ENVIRONMENTS:
        raise DesignError(f"the surrogate uses features declared by {env_id!r}, which is not registered here")
    module, _, attr = ENVIRONMENTS[env_id].partition(":")
    cls = getattr(importlib.import_module(module), attr)
    fn = getattr(cls, "surrogate_feature_values", None)
    if fn is None:
        raise DesignError(f"{env_id} declares no surrogate features in this archgym; retrain the surrogate")
    return DerivedFeatures(list(names), fn, dict(spec))


class FeatureEncoder:
    """Encodes designs of one :class:`DesignSpace` into a float matrix (one row per design): the
    space's unit features, then any :class:`DerivedFeatures`."""

    def __init__(self, space: DesignSpace, derived: DerivedFeatures | None = None):
        self.space = space
        self.derived = derived if derived is not None and derived.names else None
        self.base_feature_names = space.feature_names
        self.feature_names = self.base_feature_names + (list(self.derived.names) if self.derived else [])
        self._plan = [self._plan_param(p) for p in space.params]
        self._single = [self._single_plan(p) for p in space.params]
        self._numeric = {p.name: _is_numeric(p) for p in space.params}

    @staticmethod
    def _single_plan(p) -> tuple:
        """(name, value -> feature segment) for a discrete parameter, (name, Real) for a real one."""
        if isinstance(p, Categorical):
            return (p.name, {v: tuple(1.0 if i == k else 0.0 for k in range(p.n)) for i, v in enumerate(p.values)})
        if isinstance(p, Discrete):
            if not _is_numeric(p):
                return (p.name, {v: (i / (p.n - 1) if p.n > 1 else 0.0,) for i, v in enumerate(p.values)})
            vals = [float(v) for v in p.values]
            if isinstance(p, PowerOfTwo):
                lo, hi = math.log2(p.low), math.log2(p.high)
                f = [(math.log2(v) - lo) / (hi - lo) if hi > lo else 0.0 for v in vals]
            else:
                lo, hi = min(vals), max(vals)
                f = [(v - lo) / (hi - lo) if hi > lo else 0.0 for v in vals]
            return (p.name, {v: (x,) for v, x in zip(p.values, f)})
        return (p.name, p)

    def encode_one(self, design: Mapping[str, Any]) -> np.ndarray:
        """Features (1, n_features) of one design dict, without building numpy columns: the same
        values as :meth:`encode` (which reports any value that is not allowed)."""
        row: list[float] = []
        try:
            for name, how in self._single:
                v = design[name]
                if isinstance(how, dict):
                    row.extend(how[v])
                else:
                    x = float(v)
                    if not how.low <= x <= how.high:
                        raise ValueError
                    if how.log:
                        row.append((math.log(x) - math.log(how.low)) / (math.log(how.high) - math.log(how.low)))
                    else:
                        row.append((x - how.low) / (how.high - how.low))
        except (KeyError, TypeError, ValueError):
            return self.encode([design])  # the vectorised path names the bad parameter
        if self.derived is None:
            return np.array([row])
        cols = {n: (np.array([float(design[n])]) if self._numeric[n] else np.array([design[n]], dtype=object))
                for n in self.space.names}
        return np.concatenate([np.array([row]), self.derived.compute(cols)], axis=1)

    @staticmethod
    def _plan_param(p) -> tuple:
        if isinstance(p, Categorical):
            return ("onehot", p, {v: i for i, v in enumerate(p.values)})
        if isinstance(p, Discrete):
            numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in p.values)
            if not numeric:
                return ("index", p, {v: i for i, v in enumerate(p.values)})
            vals = np.sort(np.array([float(v) for v in p.values]))  # sorted for searchsorted
            if isinstance(p, PowerOfTwo):
                lo, hi = math.log2(p.low), math.log2(p.high)
                return ("log2", p, vals, lo, hi)
            return ("linear", p, vals, float(vals.min()), float(vals.max()))
        if p.log:
            return ("logreal", p, math.log(p.low), math.log(p.high))
        return ("real", p, p.low, p.high)

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def encode(self, designs: Sequence[Mapping[str, Any]] | pd.DataFrame | Mapping[str, Sequence]) -> np.ndarray:
        """Features of many designs: a list of design dicts, a dataset DataFrame (``design.*``
        columns, or plain parameter-name columns) or a dict of per-parameter columns."""
        columns = self._columns(designs)
        n = len(next(iter(columns.values()))) if columns else 0
        out = np.empty((n, self.n_features), dtype=float)
        self._encode_base(columns, n, out)
        if self.derived is not None:
            raw = {p.name: (_as_float(p, columns[p.name]) if self._numeric[p.name]
                            else np.asarray(columns[p.name], dtype=object)) for p in self.space.params}
            out[:, len(self.base_feature_names):] = self.derived.compute(raw)
        return out

    def _encode_base(self, columns: Mapping[str, Sequence], n: int, out: np.ndarray) -> None:
        j = 0
        for step in self._plan:
            kind, p = step[0], step[1]
            col = columns[p.name]
            if kind == "onehot":
                idx = _lookup_indices(p, col, step[2])
                block = out[:, j:j + p.n]
                block[:] = 0.0
                block[np.arange(n), idx] = 1.0
                j += p.n
                continue
            if kind == "index":
                idx = _lookup_indices(p, col, step[2])
                out[:, j] = idx / (p.n - 1) if p.n > 1 else 0.0
            else:
                x = _as_float(p, col)
                if kind in ("log2", "linear"):
                    vals = step[2]
                    pos = np.clip(np.searchsorted(vals, x), 0, vals.size - 1)
                    bad = vals[pos] != x
                    if bad.any():
                        _refuse(p, np.asarray(col, dtype=object)[bad][0])
                    if kind == "log2":
                        lo, hi = step[3], step[4]
                        out[:, j] = (np.log2(x) - lo) / (hi - lo) if hi > lo else 0.0
                    else:
                        lo, hi = step[3], step[4]
                        out[:, j] = (x - lo) / (hi - lo) if hi > lo else 0.0
                else:
                    bad = ~((x >= p.low) & (x <= p.high))
                    if bad.any():
                        _refuse(p, np.asarray(col, dtype=object)[bad][0])
                    lo, hi = step[2], step[3]
                    out[:, j] = ((np.log(x) if kind == "logreal" else x) - lo) / (hi - lo)
            j += 1

    def _columns(self, designs) -> dict[str, Sequence]:
        names = self.space.names
        if isinstance(designs, pd.DataFrame):
            cols = {}
            for n in names:
                if DESIGN_PREFIX + n in designs.columns:
                    cols[n] = designs[DESIGN_PREFIX + n].to_numpy()
                elif n in designs.columns:
                    cols[n] = designs[n].to_numpy()
                else:
                    raise DesignError(f"missing parameter(s) [{n!r}] (no column {DESIGN_PREFIX + n!r} or {n!r})")
            return cols
        if isinstance(designs, Mapping):
            missing = [n for n in names if n not in designs]
            if missing:
                raise DesignError(f"missing parameter(s) {missing}")
            return {n: designs[n] for n in names}
        designs = list(designs)
        try:
            return {n: [d[n] for d in designs] for n in names}
        except KeyError as e:
            raise DesignError(f"missing parameter(s) [{e.args[0]!r}]") from None
        except TypeError:
            bad = next(d for d in designs if not isinstance(d, Mapping))
            raise DesignError(f"a design must be a mapping of parameter name to value, got {type(bad).__name__}") from None


def _is_numeric(p) -> bool:
    if not isinstance(p, Discrete):
        return True
    return (not isinstance(p, Categorical)
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in p.values))


def _lookup_indices(p, col, lookup: dict) -> np.ndarray:
    get = lookup.get
    try:
        idx = np.fromiter((get(v, -1) for v in col), dtype=np.int64, count=len(col))
    except TypeError:  # unhashable value
        idx = np.array([get(v, -1) if _hashable(v) else -1 for v in col], dtype=np.int64)
    if (idx < 0).any():
        _refuse(p, col[int(np.flatnonzero(idx < 0)[0])])
    return idx


def _hashable(v) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


def _as_float(p, col) -> np.ndarray:
    try:
        x = np.asarray(col, dtype=float)
    except (TypeError, ValueError):
        for v in col:
            try:
                float(v)
            except (TypeError, ValueError):
                _refuse(p, v)
        raise
    if x.ndim != 1:
        _refuse(p, col[0])
    return x


def _refuse(p, value) -> None:
    if isinstance(value, np.generic):
        value = value.item()
    raise DesignError(f"parameter {p.name!r}: value {value!r} is not allowed; allowed: {p.allowed()}")


__all__ = ["DerivedFeatures", "FeatureEncoder", "declared_features", "derived_for"]
