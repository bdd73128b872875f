"""Design spaces: the one vocabulary environments, agents, datasets and surrogates share.

A design is a plain ``dict`` mapping parameter names to values. A :class:`DesignSpace` is an
ordered list of named parameters; it validates designs (with errors that name the parameter,
the value and what is allowed), samples them from a seeded generator, and converts them to and
from the encodings other libraries want: a flat vector of choice indices and a numeric feature
vector in [0, 1] for models. Nothing here imports gymnasium (agents use this module); the gymnasium
spaces and the action decoding live in :mod:`archgym.core.gym_spaces`.

Every conversion is exact: a value or index that is not exactly one of the allowed ones (1.7 for an
index, ``"1"``, ``True``, NaN, a vector of the wrong length) raises :class:`DesignError` naming the
parameter, the value and what is allowed; nothing is rounded, truncated or clipped.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class DesignError(ValueError):
    """A design (or design-space definition) that is not allowed."""


@dataclass(frozen=True)
class Param:
    """Base of every parameter kind; ``name`` is the key of the parameter in a design."""

    name: str

    #: number of distinct values, or None for a continuous parameter
    @property
    def n(self) -> int | None:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def is_discrete(self) -> bool:
        return self.n is not None

    def allowed(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def to_dict(self) -> dict:
        raise NotImplementedError  # pragma: no cover


@dataclass(frozen=True)
class Discrete(Param):
    """A parameter with a finite, ordered list of values."""

    values: tuple = field(default=())

    def __post_init__(self) -> None:
        if len(self.values) == 0:
            raise DesignError(f"parameter {self.name!r}: needs at least one value")
        if len(set(self.values)) != len(self.values):
            raise DesignError(f"parameter {self.name!r}: values must be distinct, got {list(self.values)}")

    @property
    def n(self) -> int:
        return len(self.values)

    def index(self, value: Any) -> int:
        """Position of ``value`` among the allowed values (raises DesignError if not allowed)."""
        lookup = self._lookup()
        key = _normal(value)
        try:
            known = key in lookup
        except TypeError:  # unhashable (a list, a dict, an array)
            known = False
        if not known or (isinstance(value, (bool, np.bool_)) != isinstance(self.values[lookup[key]], bool)):
            raise DesignError(f"parameter {self.name!r}: value {value!r} is not allowed; allowed: {self.allowed()}")
        return lookup[key]

    def value(self, index: Any) -> Any:
        """The value at choice ``index`` (an exact integer in ``0..n-1``, else DesignError)."""
        return self.values[exact_index(self.name, index, self.n)]

    def _lookup(self) -> dict:
        cache = self.__dict__.get("_cache")
        if cache is None:
            cache = {_normal(v): i for i, v in enumerate(self.values)}
            object.__setattr__(self, "_cache", cache)
        return cache

    def allowed(self) -> str:
        vals = list(self.values)
        if len(vals) > 12:
            return f"{vals[:5]} ... {vals[-3:]} ({len(vals)} values)"
        return str(vals)


@dataclass(frozen=True)
class Categorical(Discrete):
    """Unordered choices (strings, usually): one-hot when encoded as features."""

    def to_dict(self) -> dict:
        return {"kind": "categorical", "name": self.name, "values": list(self.values)}


@dataclass(frozen=True)
class Integer(Discrete):
    """Integers ``low, low+step, ..., high`` (inclusive)."""

    low: int = 0
    high: int = 0
    step: int = 1

    def __init__(self, name: str, low: int, high: int, step: int = 1):
        if step <= 0 or high < low:
            raise DesignError(f"parameter {name!r}: need low <= high and step > 0, got {low}, {high}, {step}")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "low", int(low))
        object.__setattr__(self, "high", int(high))
        object.__setattr__(self, "step", int(step))
        object.__setattr__(self, "values", tuple(range(int(low), int(high) + 1, int(step))))
        self.__post_init__()

    def allowed(self) -> str:
        s = f" step {self.step}" if self.step != 1 else ""
        return f"integers {self.low}..{self.high}{s}"

    def to_dict(self) -> dict:
        return {"kind": "integer", "name": self.name, "low": self.low, "high": self.high, "step": self.step}


@dataclass(frozen=True)
class PowerOfTwo(Discrete):
    """Powers of two ``low, 2*low, ..., high`` (log-scaled when encoded as features)."""

    low: int = 1
    high: int = 1

    def __init__(self, name: str, low: int, high: int):
        if low < 1 or high < low or low & (low - 1) or high & (high - 1):
            raise DesignError(f"parameter {name!r}: low and high must be powers of two with low <= high, got {low}, {high}")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "low", int(low))
        object.__setattr__(self, "high", int(high))
        vals = []
        v = int(low)
        while v <= high:
            vals.append(v)
            v *= 2
        object.__setattr__(self, "values", tuple(vals))
        self.__post_init__()

    def allowed(self) -> str:
        return f"powers of two {self.low}..{self.high}"

    def to_dict(self) -> dict:
        return {"kind": "pow2", "name": self.name, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class Ordinal(Discrete):
    """Ordered numeric choices that are not a regular grid (e.g. 1, 2, 3, 4, 6, 8, 12)."""

    def to_dict(self) -> dict:
        return {"kind": "ordinal", "name": self.name, "values": list(self.values)}


@dataclass(frozen=True)
class Real(Param):
    """A continuous parameter in ``[low, high]``, optionally log-scaled."""

    low: float = 0.0
    high: float = 1.0
    log: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.high <= self.low:
            raise DesignError(f"parameter {self.name!r}: need finite low < high, got {self.low}, {self.high}")
        if self.log and self.low <= 0:
            raise DesignError(f"parameter {self.name!r}: a log-scaled range needs low > 0, got {self.low}")

    @property
    def n(self) -> None:
        return None

    def allowed(self) -> str:
        return f"reals in [{self.low}, {self.high}]" + (" (log scale)" if self.log else "")

    def to_dict(self) -> dict:
        return {"kind": "real", "name": self.name, "low": self.low, "high": self.high, "log": self.log}


_KINDS = {
    "categorical": lambda d: Categorical(d["name"], tuple(d["values"])),
    "ordinal": lambda d: Ordinal(d["name"], tuple(d["values"])),
    "integer": lambda d: Integer(d["name"], d["low"], d["high"], d.get("step", 1)),
    "pow2": lambda d: PowerOfTwo(d["name"], d["low"], d["high"]),
    "real": lambda d: Real(d["name"], d["low"], d["high"], d.get("log", False)),
}


def _normal(value: Any) -> Any:
    """Hashable, type-tolerant key: numpy scalars and integral floats compare as Python ints."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class DesignSpace:
    """An ordered collection of named parameters."""

    def __init__(self, params: Iterable[Param]):
        self.params: tuple[Param, ...] = tuple(params)
        if not self.params:
            raise DesignError("a design space needs at least one parameter")
        names = [p.name for p in self.params]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise DesignError(f"duplicate parameter names: {dupes}")
        self._by_name = {p.name: p for p in self.params}
        self._names = names
        self._discrete = all(p.is_discrete for p in self.params)

    # -- basic protocol -------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Parameter names in order (one shared list: do not modify it)."""
        return self._names

    def __getitem__(self, name: str) -> Param:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self):
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DesignSpace) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"DesignSpace({', '.join(p.name for p in self.params)})"

    @property
    def is_discrete(self) -> bool:
        return self._discrete

    @property
    def cardinalities(self) -> list[int | None]:
        return [p.n for p in self.params]

    @property
    def size(self) -> float:
        """Number of distinct designs (inf if any parameter is continuous)."""
        if not self.is_discrete:
            return math.inf
        return float(np.prod([float(p.n) for p in self.params]))

    # -- validation -----------------------------------------------------------------------
    def validate(self, design: Mapping[str, Any]) -> dict:
        """Return ``design`` with values in canonical types; raise DesignError naming the problem."""
        if not isinstance(design, Mapping):
            raise DesignError(f"a design must be a mapping of parameter name to value, got {type(design).__name__}")
        unknown = [k for k in design if k not in self._by_name]
        if unknown:
            raise DesignError(f"unknown parameter(s) {unknown}; allowed: {self.names}")
        missing = [n for n in self.names if n not in design]
        if missing:
            raise DesignError(f"missing parameter(s) {missing}")
        out = {}
        for p in self.params:
            v = design[p.name]
            if isinstance(p, Discrete):
                out[p.name] = p.values[p.index(v)]
            else:
                if not _is_number(v) or not math.isfinite(float(v)):
                    raise DesignError(f"parameter {p.name!r}: value {v!r} is not a finite number; allowed: {p.allowed()}")
                x = float(v)
                if not p.low <= x <= p.high:
                    raise DesignError(f"parameter {p.name!r}: value {v!r} out of range; allowed: {p.allowed()}")
                out[p.name] = x
        return out

    def validate_many(self, designs: Sequence[Mapping[str, Any]]) -> list[dict] | None:
        """``[self.validate(d) for d in designs]``, column by column, when every design is a plain dict of exactly
        the space's parameters and every value has a type the columns check exactly (str, int, numpy integers, and
        float for a ``Real``); else None, and nothing is coerced: the caller validates design by design, which
        raises the error naming the design's parameter, value and what is allowed."""
        names = self._names
        n = len(names)
        if not designs or any(type(d) is not dict or len(d) != n for d in designs):
            return None
        get = self.__dict__.get("_get_all")
        if get is None:
            get = self._get_all = operator.itemgetter(*names) if n > 1 else (lambda d, k=names[0]: (d[k],))
        try:
            columns = list(zip(*map(get, designs)))
        except KeyError:  # a parameter missing (and an unknown one in its place)
            return None
        checks = self.__dict__.get("_column_checks")
        if checks is None:
            checks = self._column_checks = [_column_check(p) for p in self.params]
        out = []
        for (types, table, p), col in zip(checks, columns):
            if types is None or not set(map(type, col)) <= types:
                return None
            if table is not None:
                try:
                    out.append(list(map(table.__getitem__, col)))
                except (KeyError, TypeError):
                    return None
            else:  # a Real: finite and within its bounds, as floats
                x = [float(v) for v in col]
                a = np.array(x, dtype=np.float64)
                if not (np.isfinite(a).all() and (a >= p.low).all() and (a <= p.high).all()):
                    return None
                out.append(x)
        return [dict(zip(names, row)) for row in zip(*out)]

    # -- sampling -------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator | int | None = None) -> dict:
        """One design drawn uniformly (log-uniformly for log-scaled reals)."""
        return self.sample_many(1, rng)[0]

    def sample_many(self, n: int, rng: np.random.Generator | int | None = None) -> list[dict]:
        rng = np.random.default_rng(rng)
        cols = {}
        for p in self.params:
            if isinstance(p, Discrete):
                cols[p.name] = rng.integers(0, p.n, size=n)
            else:
                cols[p.name] = rng.random(n)
        return [self.decode_unit_columns(cols, i) for i in range(n)]

    def decode_unit_columns(self, cols: Mapping[str, np.ndarray], i: int) -> dict:
        """Design ``i`` from per-parameter columns of choice indices (discrete) or unit floats (reals)."""
        d = {}
        for p in self.params:
            x = cols[p.name][i]
            d[p.name] = p.values[int(x)] if isinstance(p, Discrete) else unit_to_real(p, float(x))
        return d

    # -- index encoding (MultiDiscrete) ---------------------------------------------------
    def to_indices(self, design: Mapping[str, Any]) -> np.ndarray:
        """Choice index of each discrete parameter, in order (the flat MultiDiscrete action)."""
        self._require_discrete("to_indices")
        return np.array([p.index(design[p.name]) for p in self.params], dtype=np.int64)

    def from_indices(self, indices: Sequence[int]) -> dict:
        self._require_discrete("from_indices")
        idx = np.asarray(indices)
        if idx.ndim != 1 or idx.shape[0] != len(self.params):
            raise DesignError(f"expected a vector of {len(self.params)} indices (one per parameter {self.names}), "
                              f"got shape {idx.shape}")
        return {p.name: p.value(i) for p, i in zip(self.params, idx.tolist())}

    def _require_discrete(self, what: str) -> None:
        if not self.is_discrete:
            cont = [p.name for p in self.params if not p.is_discrete]
            raise DesignError(f"{what} needs an all-discrete space; continuous parameters: {cont}")

    # -- unit encoding (features in [0, 1]) -----------------------------------------------
    @property
    def feature_names(self) -> list[str]:
        out = []
        for p in self.params:
            if isinstance(p, Categorical):
                out += [f"{p.name}={v}" for v in p.values]
            else:
                out.append(p.name)
        return out

    def to_features(self, designs: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> np.ndarray:
        """Numeric features in [0, 1]: categoricals one-hot, integers scaled, powers of two and
        log-reals log-scaled. One row per design."""
        single = isinstance(designs, Mapping)
        rows = [designs] if single else list(designs)
        cols = []
        for p in self.params:
            vals = [r[p.name] for r in rows]
            if isinstance(p, Categorical):
                idx = np.array([p.index(v) for v in vals])
                cols.append(np.eye(p.n)[idx])
            elif isinstance(p, PowerOfTwo):
                x = np.log2(np.array(vals, dtype=float))
                lo, hi = math.log2(p.low), math.log2(p.high)
                cols.append(((x - lo) / (hi - lo) if hi > lo else np.zeros_like(x))[:, None])
            elif isinstance(p, Discrete):
                x = np.array([float(v) if _is_number(v) else p.index(v) for v in vals])
                nums = [float(v) for v in p.values] if all(_is_number(v) for v in p.values) else list(range(p.n))
                lo, hi = min(nums), max(nums)
                cols.append(((x - lo) / (hi - lo) if hi > lo else np.zeros_like(x))[:, None])
            else:
                x = np.array(vals, dtype=float)
                if p.log:
                    x, lo, hi = np.log(x), math.log(p.low), math.log(p.high)
                else:
                    lo, hi = p.low, p.high
                cols.append(((x - lo) / (hi - lo))[:, None])
        out = np.hstack(cols).astype(float)
        return out[0] if single else out

    # -- serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"params": [p.to_dict() for p in self.params]}

    @classmethod
    def from_dict(cls, data: Mapping) -> DesignSpace:
        try:
            return cls(_KINDS[d["kind"]](d) for d in data["params"])
        except KeyError as e:
            raise DesignError(f"malformed design-space description: missing or unknown {e}") from None


def unit_to_real(p: Real, u: float) -> float:
    """The value of real parameter ``p`` at position ``u`` in [0, 1] of its (log-)range."""
    if p.log:
        return float(math.exp(math.log(p.low) + u * (math.log(p.high) - math.log(p.low))))
    return float(p.low + u * (p.high - p.low))


def exact_index(name: str, index: Any, n: int) -> int:
    """``index`` as a Python int if it is exactly an integer in ``0..n-1`` (an int, a numpy integer, an
    integral float, or a one-element array of those); otherwise DesignError naming parameter ``name``."""
    t = type(index)
    if (t is int or t is np.int64) and 0 <= index < n:  # the common case, first
        return int(index)
    raw = index
    if isinstance(index, np.ndarray):
        if index.size != 1 or index.ndim > 1:
            raise DesignError(f"parameter {name!r}: index {raw!r} is not one integer; allowed: an integer in 0..{n - 1}")
        index = index.reshape(-1)[0]
    if isinstance(index, np.generic):
        index = index.item()
    if isinstance(index, float) and math.isfinite(index) and index.is_integer():
        index = int(index)
    if not isinstance(index, int) or isinstance(index, bool):
        raise DesignError(f"parameter {name!r}: index {raw!r} is not an integer; allowed: an integer in 0..{n - 1}")
    if not 0 <= index < n:
        raise DesignError(f"parameter {name!r}: index {raw!r} is out of range; allowed: an integer in 0..{n - 1}")
    return index


_INT_TYPES = frozenset({int, np.int64, np.int32, np.int16, np.int8, np.uint64, np.uint32, np.uint16, np.uint8})


def _column_check(p: Param) -> tuple[frozenset | None, dict | None, Param]:
    """``(value types taken as they are, value -> canonical value or None for a Real, p)`` of one parameter for
    :meth:`DesignSpace.validate_many`: types None when its values are neither all str nor all int (then the
    general path validates them). A bool is never among the types (``validate`` refuses True for 1)."""
    if isinstance(p, Real):
        return frozenset({float, int, np.float64, np.float32, *_INT_TYPES}), None, p
    vals = p.values
    if all(type(v) is str for v in vals):
        return frozenset({str}), {v: v for v in vals}, p
    if all(type(v) is int for v in vals):
        return _INT_TYPES, {v: v for v in vals}, p
    return None, None, p


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
