"""A design space as gymnasium spaces, and exact decoding of actions into designs.

Two action encodings (DESIGN.md): a ``Dict`` of choice indices (``Discrete``) and reals (``Box`` of
shape (1,)), and a flat view for RL libraries -- ``MultiDiscrete`` of choice counts when every
parameter is discrete, else a unit ``Box`` whose entries select a choice's bin or a real's position.
Decoding never coerces: a non-integer index, an out-of-range value, a wrong shape or a non-finite
number raises :class:`~archgym.core.spaces.DesignError` naming the parameter.

:func:`decode` is on the path of every ``step``: an all-discrete space gets an :class:`ActionDecoder`, built
once per space, whose lookup tables turn the common actions (a ``Dict`` of integer indices, an integer
``MultiDiscrete`` vector) into the design in a few C-level passes; anything else, and every action that is
not exactly valid, takes the general path, which gives the same design or the same error.
"""

from __future__ import annotations

import math
import operator
from collections import OrderedDict
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


#: types of an index the fast path takes as they are (a Python int or a numpy integer; never a bool)
_INDEX_TYPES = frozenset({int, np.int64, np.int32, np.int16, np.int8, np.uint64, np.uint32, np.uint16, np.uint8})
_PLAIN_DICTS = (dict, OrderedDict)


class ActionDecoder:
    """Exact decoding of the actions of one all-discrete space through per-parameter lookup tables (index ->
    value): the result, and every error, is that of :func:`decode_dict` / :func:`decode_flat`, which any action
    outside the fast path (other index types, a wrong shape, an invalid index) is handed to."""

    def __init__(self, space: DesignSpace):
        if not space.is_discrete:
            raise ValueError("ActionDecoder needs an all-discrete design space")
        self.space = space
        self.names = tuple(space.names)
        n = len(self.names)
        self._n = n
        self._get = operator.itemgetter(*self.names) if n > 1 else (lambda a, k=self.names[0]: (a[k],))
        # index -> value; a dict, not the tuple of values, so that a negative index is not counted from the end
        self._tables = tuple(dict(enumerate(p.values)) for p in space)
        self._shape = (n,)

    def decode(self, action: Any) -> dict:
        """The design selected by a ``Dict`` action (a mapping) or a flat ``MultiDiscrete`` one."""
        if type(action) in _PLAIN_DICTS:  # no subclass whose lookup could answer a missing key (defaultdict)
            if len(action) == self._n:
                try:
                    raw = self._get(action)
                except KeyError:
                    raw = None  # a parameter missing (and another unknown): the general path says which
                # a table lookup alone would take True for 1 and 2.0 for 2: only exact integer types pass here
                if raw is not None and set(map(type, raw)) <= _INDEX_TYPES:
                    try:
                        return dict(zip(self.names, map(operator.getitem, self._tables, map(operator.index, raw))))
                    except KeyError:
                        pass  # an index out of range: the general path raises the error naming it
            return decode_dict(self.space, action)
        if type(action) is np.ndarray and action.shape == self._shape and action.dtype.kind in "iu":
            try:
                return dict(zip(self.names, map(operator.getitem, self._tables, action.tolist())))
            except KeyError:
                pass
        return decode_dict(self.space, action) if isinstance(action, Mapping) else decode_flat(self.space, action)


def decoder(space: DesignSpace) -> ActionDecoder | None:
    """The :class:`ActionDecoder` of an all-discrete space (built on first use, kept with the space), else None."""
    try:
        return space.__dict__["_action_decoder"]
    except KeyError:
        dec = ActionDecoder(space) if space.is_discrete else None
        space.__dict__["_action_decoder"] = dec
        return dec


def decode(space: DesignSpace, action: Any) -> dict:
    """The design of an action of either encoding (a mapping is a ``Dict`` action, anything else flat)."""
    dec = decoder(space)
    if dec is not None:
        return dec.decode(action)
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


__all__ = ["ActionDecoder", "decode", "decode_dict", "decode_flat", "decoder", "dict_space", "encode_dict", "encode_flat",
           "flat_space"]
