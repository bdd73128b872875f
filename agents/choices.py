"""Designs as rows of choice indices: the representation the discrete search agents work on.

Every parameter becomes a list of choices. Discrete parameters keep their own values; a
continuous (``Real``) parameter is cut into ``real_bins`` evenly spaced levels (log-spaced for a
log-scaled range), so that GA, ACO, PPO and the others can treat every space alike. A design is
then one int64 row; a batch is an ``(n, n_params)`` array. The grid also gives each choice's
feature vector (the space's own encoding: one-hot, scaled, log-scaled), for models such as BO's GP.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from archgym.core.spaces import Categorical, DesignSpace, Discrete, Real


class ChoiceGrid:
    """Index view of a :class:`DesignSpace` (reals discretised into ``real_bins`` levels)."""

    def __init__(self, space: DesignSpace, real_bins: int = 16):
        if int(real_bins) < 2:
            raise ValueError(f"real_bins must be >= 2, got {real_bins!r}")
        self.space = space
        self.names = space.names
        self.values: list[tuple] = []
        for p in space:
            if isinstance(p, Discrete):
                self.values.append(tuple(p.values))
            else:
                self.values.append(_real_levels(p, int(real_bins)))
        self.sizes = np.array([len(v) for v in self.values], dtype=np.int64)
        self.n_params = len(self.values)
        self._features: np.ndarray | None = None
        self._feature_slices: list[slice] | None = None

    # -- conversions ----------------------------------------------------------------------
    def decode(self, rows: np.ndarray) -> list[dict]:
        """Designs (dicts of values) from a 2-D array of choice indices."""
        rows = np.atleast_2d(np.asarray(rows, dtype=np.int64))
        return [{n: vals[int(i)] for n, vals, i in zip(self.names, self.values, r)} for r in rows]

    def encode(self, designs: Iterable[Mapping[str, Any]]) -> np.ndarray:
        """Choice indices of designs (a real value maps to its nearest level)."""
        out = []
        for d in designs:
            row = []
            for p, vals in zip(self.space, self.values):
                if isinstance(p, Discrete):
                    row.append(p.index(d[p.name]))
                else:
                    row.append(int(np.argmin(np.abs(np.asarray(vals) - float(d[p.name])))))
            out.append(row)
        return np.array(out, dtype=np.int64).reshape(-1, self.n_params)

    def random(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` rows drawn uniformly."""
        return rng.integers(0, self.sizes, size=(n, self.n_params))

    @staticmethod
    def key(row: Sequence[int]) -> tuple:
        """Hashable key of one row (for the set of designs already evaluated)."""
        return tuple(np.asarray(row, dtype=np.int64).tolist())

    # -- features -------------------------------------------------------------------------
    def features(self, rows: np.ndarray) -> np.ndarray:
        """The space's feature encoding of rows of indices (vectorised through per-choice tables)."""
        if self._features is None:
            self._build_feature_tables()
        rows = np.atleast_2d(np.asarray(rows, dtype=np.int64))
        return np.hstack([tab[rows[:, j]] for j, tab in enumerate(self._features)])

    def _build_feature_tables(self) -> None:
        """Per parameter: its feature columns for each of its choices, read from ``space.to_features``."""
        widths = [len(v) if isinstance(p, Categorical) else 1 for p, v in zip(self.space, self.values)]
        starts = np.concatenate([[0], np.cumsum(widths)])
        tables = []
        base = {n: vals[0] for n, vals in zip(self.names, self.values)}
        for j, (name, vals) in enumerate(zip(self.names, self.values)):
            feats = self.space.to_features([{**base, name: v} for v in vals])
            tables.append(feats[:, starts[j]:starts[j + 1]])
        self._features = tables

    # -- neighbourhoods -------------------------------------------------------------------
    def neighbours(self, row: Sequence[int], rng: np.random.Generator | None = None,
                   max_per_param: int | None = None) -> np.ndarray:
        """Rows that differ from ``row`` in exactly one parameter: every one, or at most
        ``max_per_param`` per parameter drawn at random (for parameters with hundreds of choices)."""
        row = np.asarray(row, dtype=np.int64)
        out = []
        for j, n in enumerate(self.sizes):
            others = np.array([i for i in range(n) if i != row[j]], dtype=np.int64)
            if max_per_param is not None and len(others) > max_per_param:
                others = np.sort(rng.choice(others, max_per_param, replace=False))
            block = np.repeat(row[None, :], len(others), axis=0)
            block[:, j] = others
            out.append(block)
        return np.vstack(out) if out else np.empty((0, self.n_params), dtype=np.int64)

    def resample_gene(self, row: np.ndarray, j: int, rng: np.random.Generator) -> None:
        """Give gene ``j`` of ``row`` a different value drawn uniformly among its other choices
        (in place). Uniform over the alternatives: no value, and no end of a range, is favoured."""
        n = int(self.sizes[j])
        if n > 1:
            r = int(rng.integers(n - 1))
            row[j] = r if r < row[j] else r + 1

    def make_unseen(self, row: np.ndarray, seen: set, rng: np.random.Generator, tries: int = 50) -> np.ndarray:
        """``row`` if not yet in ``seen``; else the row after random single-gene changes until it is
        (up to ``tries``), so that a deterministic simulator is not asked twice for one design.
        Returns the row unchanged if every attempt was already seen (a nearly exhausted space)."""
        row = np.array(row, dtype=np.int64)
        if self.key(row) not in seen:
            return row
        cand = row.copy()
        for _ in range(tries):
            self.resample_gene(cand, int(rng.integers(self.n_params)), rng)
            if self.key(cand) not in seen:
                return cand
        return row

    @property
    def size(self) -> float:
        return float(np.prod(self.sizes.astype(float)))


def _real_levels(p: Real, bins: int) -> tuple:
    if p.log:
        return tuple(float(v) for v in np.geomspace(p.low, p.high, bins))
    return tuple(float(v) for v in np.linspace(p.low, p.high, bins))


__all__ = ["ChoiceGrid"]
