"""A design space as gymnasium spaces, and exact decoding of actions into designs.

Two action encodings (DESIGN.md): a ``Dict`` of choice indices (``Discrete``) and reals (``Box`` of
shape (1,)), and a flat view for RL libraries -- ``MultiDiscrete`` of choice counts when every
parameter is discrete, else a unit ``Box`` whose entries select a choice's bin or a real's position.
Decoding never coerces: a non-integer index, an out-of-range value, a wrong shape or a non-finite
number raises :class:`~archgym.core.spaces.DesignError` naming the parameter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces as gym_spaces

from archgym.core.spaces import DesignError, DesignSpace, Discrete, exact_index, unit_to_real


def dict_space(space: DesignSpace) -> gym_spaces.Dict:
    """A gymnasium ``Dict`` whose entries are choice indices (Discrete) or reals (Box of shape (1,))."""
    entries = {}
    for p in space:
        if isinstance(p, Discrete):
            entries[p.name] = gym_spaces.Discrete(p.n)
        else:
            entries[p.name] = gym_spaces.Box(low=p.low, high=p.high, shape=(1,), dtype=np.float64)
    return gym_spaces.Dict(entries)


def flat_space(space: DesignSpace) -> gym_spaces.Space:
    """``MultiDiscrete`` of choice counts when all discrete, else a unit ``Box``."""
    if space.is_discrete:
        return gym_spaces.MultiDiscrete([p.n for p in space])
    return gym_spaces.Box(low=0.0, high=1.0, shape=(len(space),), dtype=np.float64)


def _real(name: str, a: Any) -> float:
    arr = np.asarray(a)
    if arr.size != 1 or arr.ndim > 1 or arr.dtype.kind not in "iuf":
        raise DesignError(f"parameter {name!r}: action {a!r} is not one real number")
    x = float(arr.reshape(-1)[0])
    if not math.isfinite(x):
        raise DesignError(f"parameter {name!r}: action {a!r} is not a finite number")
    return x


def decode_dict(space: DesignSpace, action: Mapping[str, Any]) -> dict:
    """The design selected by an element of :func:`dict_space` (validated)."""
    unknown = [k for k in action if k not in space]
    if unknown:
        raise DesignError(f"unknown parameter(s) {unknown}; allowed: {space.names}")
    missing = [n for n in space.names if n not in action]
    if missing:
        raise DesignError(f"missing parameter(s) {missing}")
    d = {}
    reals = False
    for p in space:
        a = action[p.name]
        if isinstance(p, Discrete):
            d[p.name] = p.values[exact_index(p.name, a, len(p.values))]  # an allowed value by construction
        else:
            d[p.name] = _real(p.name, a)
            reals = True
    return space.validate(d) if reals else d


def decode_flat(space: DesignSpace, action: Any) -> dict:
    """The design selected by an element of :func:`flat_space` (validated)."""
    arr = np.asarray(action)
    if space.is_discrete:
        return space.from_indices(arr)
    if arr.ndim != 1 or arr.shape[0] != len(space) or arr.dtype.kind not in "iuf":
        raise DesignError(f"expected a vector of {len(space)} numbers in [0, 1] (one per parameter {space.names}), "
                          f"got {action!r}")
    d = {}
    for p, u in zip(space, arr.astype(float).tolist()):
        if not (math.isfinite(u) and 0.0 <= u <= 1.0):
            raise DesignError(f"parameter {p.name!r}: action {u!r} is outside the unit interval [0, 1]")
        d[p.name] = p.values[min(int(u * p.n), p.n - 1)] if isinstance(p, Discrete) else unit_to_real(p, u)
    return space.validate(d)


def decode(space: DesignSpace, action: Any) -> dict:
    """The design of an action of either encoding (a mapping is a ``Dict`` action, anything else flat)."""
    return decode_dict(space, action) if isinstance(action, Mapping) else decode_flat(space, action)


def encode_dict(space: DesignSpace, design: Mapping[str, Any]) -> dict:
    """A design as an element of :func:`dict_space`."""
    d = space.validate(design)
    out = {}
    for p in space:
        if isinstance(p, Discrete):
            out[p.name] = np.int64(p.index(d[p.name]))
        else:
            out[p.name] = np.array([d[p.name]], dtype=np.float64)
    return out


def encode_flat(space: DesignSpace, design: Mapping[str, Any]) -> np.ndarray:
    """A design as an element of :func:`flat_space` (the centre of each choice's bin for a unit Box)."""
    d = space.validate(design)
    if space.is_discrete:
        return space.to_indices(d)
    out = []
    for p in space:
        if isinstance(p, Discrete):
            out.append((p.index(d[p.name]) + 0.5) / p.n)
        else:
            out.append(float(space.to_features(d)[space.feature_names.index(p.name)]))
    return np.array(out, dtype=np.float64)


__all__ = ["decode", "decode_dict", "decode_flat", "dict_space", "encode_dict", "encode_flat", "flat_space"]
