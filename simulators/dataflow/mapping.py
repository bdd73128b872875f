"""The mapping specification: per storage level, temporal loops (in order) and spatial loops.

A mapping has one entry per storage level of the architecture, innermost first. Level ``l``'s
temporal loops iterate over the tiles it hands to the level below; its spatial loops spread those
tiles over its fan-out (X and Y). The tile a level holds is everything the loops at and below it
cover, as in Timeloop. Loops are listed inner to outer and a dimension may appear more than once
at one level (ZigZag's loop orders do that).

The factors of a dimension multiply to its size, or to a padded size whose outermost loop of that
dimension still has real work in its last iteration (the imperfect tiles of a spatial unrolling
that does not divide the layer, e.g. 125 output channels on a 32-wide array as 4 x 32).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .architecture import Architecture
from .workload import DIM_ALIASES, DIM_INDEX, DIMS, Layer


class MappingError(ValueError):
    """A mapping that does not fit its layer or its architecture; the message says why."""


def _loops(value, where: str) -> tuple:
    out = []
    for item in value or ():
        try:
            d, f = item
        except (TypeError, ValueError):
            raise MappingError(f"{where}: a loop is a (dimension, factor) pair, got {item!r}") from None
        d = DIM_ALIASES.get(str(d).upper(), str(d).upper())
        if d not in DIM_INDEX:
            raise MappingError(f"{where}: unknown dimension {item[0]!r}; allowed: {list(DIMS)}")
        if isinstance(f, bool) or not isinstance(f, (int, np.integer)) or int(f) < 1:
            raise MappingError(f"{where}: factor of {d} must be an integer >= 1, got {f!r}")
        out.append((d, int(f)))
    return tuple(out)


@dataclass(frozen=True)
class LevelLoops:
    temporal: tuple = ()
    spatial_x: tuple = ()
    spatial_y: tuple = ()


@dataclass(frozen=True)
class Mapping:
    levels: tuple

    def __post_init__(self):
        levels = []
        for i, lv in enumerate(self.levels):
            if isinstance(lv, dict):
                unknown = set(lv) - {"temporal", "spatial_x", "spatial_y"}
                if unknown:
                    raise MappingError(f"mapping level {i}: unknown key(s) {sorted(unknown)}; allowed: temporal, "
                                       f"spatial_x, spatial_y")
                lv = LevelLoops(lv.get("temporal", ()), lv.get("spatial_x", ()), lv.get("spatial_y", ()))
            levels.append(LevelLoops(_loops(lv.temporal, f"mapping level {i} temporal"),
                                     _loops(lv.spatial_x, f"mapping level {i} spatial_x"),
                                     _loops(lv.spatial_y, f"mapping level {i} spatial_y")))
        object.__setattr__(self, "levels", tuple(levels))

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_normal_levels(cls, levels: tuple) -> Mapping:
        """A mapping from levels already in the normal form ``__post_init__`` gives (a tuple of
        :class:`LevelLoops` of tuples of (dimension name, int factor)), without checking them again: the
        mapper's fast path."""
        mapping = object.__new__(cls)
        object.__setattr__(mapping, "levels", levels)
        return mapping

    @classmethod
    def from_factors(cls, factors, permutations=None, spatial_x=None, spatial_y=None) -> Mapping:
        """Timeloop's form: per level a ``{dim: factor}`` dict and a permutation string, inner to outer
        (e.g. ``"RSCKPQN"``); dimensions missing from a permutation go outermost in :data:`DIMS` order."""
        L = len(factors)
        out = []
        for i in range(L):
            fac = {DIM_ALIASES.get(k.upper(), k.upper()): v for k, v in dict(factors[i]).items()}
            perm = list((permutations or [""] * L)[i] or "")
            perm = [DIM_ALIASES.get(p.upper(), p.upper()) for p in perm]
            order = perm + [d for d in DIMS if d not in perm]
            bad = [p for p in order if p not in DIM_INDEX]
            if bad:
                raise MappingError(f"mapping level {i}: permutation has unknown dimension(s) {bad}")
            temporal = [(d, fac[d]) for d in order if fac.get(d, 1) > 1]
            sx = [(d, f) for d, f in dict((spatial_x or [{}] * L)[i] or {}).items() if f > 1]
            sy = [(d, f) for d, f in dict((spatial_y or [{}] * L)[i] or {}).items() if f > 1]
            out.append(LevelLoops(tuple(temporal), tuple(sx), tuple(sy)))
        return cls(tuple(out))

    # -- checks --------------------------------------------------------------------------------
    def padded_dims(self, layer: Layer) -> dict:
        """Product of the factors of each dimension (raises if it does not cover the layer)."""
        prod = {d: 1 for d in DIMS}
        outermost = {d: 1 for d in DIMS}
        for lv in self.levels:
            for d, f in lv.spatial_x + lv.spatial_y + lv.temporal:
                prod[d] *= f
                outermost[d] = f
        for d in DIMS:
            need = layer.dims[d]
            if prod[d] < need:
                raise MappingError(f"dimension {d}: the mapping's factors multiply to {prod[d]}, less than the "
                                   f"layer's {need}")
            if prod[d] - need >= prod[d] // outermost[d]:
                raise MappingError(f"dimension {d}: the mapping's factors multiply to {prod[d]}, padding the "
                                   f"layer's {need} by a whole iteration of its outermost loop")
        return prod

    def validate(self, layer: Layer, arch: Architecture) -> dict:
        """Check the mapping against a layer and an architecture; return the padded dimensions."""
        if len(self.levels) != arch.n_levels:
            raise MappingError(f"the mapping has {len(self.levels)} levels, the architecture {arch.name!r} "
                               f"has {arch.n_levels} ({[lv.name for lv in arch.levels]})")
        fan = arch.fanouts
        for i, lv in enumerate(self.levels):
            for axis, loops in ((0, lv.spatial_x), (1, lv.spatial_y)):
                used = math.prod(f for _, f in loops)
                if used > fan[i, axis]:
                    raise MappingError(f"level {arch.levels[i].name!r}: spatial-{'XY'[axis]} factors "
                                       f"{dict(loops)} use {used} instances, the fan-out is {int(fan[i, axis])}")
        return self.padded_dims(layer)

    # -- numeric form ----------------------------------------------------------------------------
    def arrays(self) -> MappingArrays:
        cached = self.__dict__.get("_arrays")
        if cached is not None:
            return cached
        t_dim, t_size, t_level = [], [], []
        sp = np.ones((len(self.levels), 2, len(DIMS)), dtype=np.int64)
        for i, lv in enumerate(self.levels):
            for axis, loops in ((0, lv.spatial_x), (1, lv.spatial_y)):
                for d, f in loops:
                    sp[i, axis, DIM_INDEX[d]] *= f
            for d, f in lv.temporal:
                if f > 1:
                    t_dim.append(DIM_INDEX[d])
                    t_size.append(f)
                    t_level.append(i)
        arr = MappingArrays(np.array(t_dim, dtype=np.int64), np.array(t_size, dtype=np.int64),
                            np.array(t_level, dtype=np.int64), sp)
        object.__setattr__(self, "_arrays", arr)
        return arr

    def text(self, arch: Architecture | None = None) -> str:
        """The loop nest, outermost first, in Timeloop's ``map.txt`` style."""
        lines, depth = [], 0
        for i in reversed(range(len(self.levels))):
            lv = self.levels[i]
            if arch is not None:
                a = arch.levels[i]
                lines.append(f"{a.name} [{' '.join(a.keeps) or '-'}]")
            else:
                lines.append(f"level {i}")
            for d, f in reversed(lv.temporal):
                lines.append("|" + "  " * depth + f" for {d} in [0:{f})")
                depth += 1
            for tag, loops in (("Spatial-Y", lv.spatial_y), ("Spatial-X", lv.spatial_x)):
                for d, f in reversed(loops):
                    lines.append("|" + "  " * depth + f" for {d} in [0:{f}) ({tag})")
                    depth += 1
        return "\n".join(lines)

    def to_dict(self) -> list:
        return [{"temporal": [list(x) for x in lv.temporal], "spatial_x": [list(x) for x in lv.spatial_x],
                 "spatial_y": [list(x) for x in lv.spatial_y]} for lv in self.levels]


@dataclass(frozen=True)
class MappingArrays:
    t_dim: np.ndarray
    t_size: np.ndarray
    t_level: np.ndarray
    spatial: np.ndarray
