"""Exact hypervolume of a set of points (higher is better in every column), in 1 to 3 dimensions.

The hypervolume of a front is the volume it dominates above a reference point; the benchmark reports
the found front's hypervolume as a fraction of the true front's (1.0 = the whole true front found).
Two dimensions: one sweep over the points sorted by the first column. Three: slices along the third
column, each a two-dimensional hypervolume (O(n^2 log n), fine for fronts of a few thousand points).
"""

from __future__ import annotations

import numpy as np


def hypervolume(points: np.ndarray, reference: np.ndarray) -> float:
    """Volume dominated by ``points`` (rows, maximised) and bounded below by ``reference``.

    Points that do not strictly exceed the reference in every column contribute nothing.
    """
    pts = np.asarray(points, dtype=float)
    ref = np.asarray(reference, dtype=float)
    if pts.ndim != 2 or ref.shape != (pts.shape[1],):
        raise ValueError(f"points must be (n, d) and reference (d,), got {pts.shape} and {ref.shape}")
    d = pts.shape[1]
    if not 1 <= d <= 3:
        raise ValueError(f"hypervolume is implemented for 1 to 3 objectives, got {d}")
    if not np.isfinite(ref).all():
        raise ValueError(f"reference point must be finite, got {ref}")
    pts = pts[np.isfinite(pts).all(axis=1)]
    pts = pts[(pts > ref).all(axis=1)] - ref  # shift: the reference becomes the origin
    if len(pts) == 0:
        return 0.0
    if d == 1:
        return float(pts[:, 0].max())
    if d == 2:
        return _hv2(pts)
    return _hv3(pts)


def _hv2(pts: np.ndarray) -> float:
    """Area dominated by 2-D points above the origin: by decreasing x, each point that rises above
    the best height so far adds the rectangle [0, x] x [best height, its height]."""
    order = np.argsort(-pts[:, 0], kind="stable")
    area, best_y = 0.0, 0.0
    for x, y in pts[order]:
        if y > best_y:
            area += x * (y - best_y)
            best_y = y
    return float(area)


def _hv3(pts: np.ndarray) -> float:
    """Volume dominated by 3-D points above the origin: slabs between consecutive z levels."""
    order = np.argsort(-pts[:, 2], kind="stable")
    pts = pts[order]
    zs = pts[:, 2]
    volume = 0.0
    for i in range(len(pts)):
        z_next = zs[i + 1] if i + 1 < len(pts) else 0.0
        height = zs[i] - z_next
        if height > 0:
            volume += _hv2(pts[: i + 1, :2]) * height
    return float(volume)


def normalised_hypervolume(found: np.ndarray, true_front: np.ndarray, margin: float = 0.1) -> float:
    """Hypervolume of ``found`` as a fraction of ``true_front``'s (both maximised, same columns).

    Objectives are scaled by the true front's range (ideal 1, nadir 0) so that no unit dominates, and
    the reference point lies ``margin`` below the nadir, the usual choice, so that the front's extreme
    points count. Points of ``found`` beyond the true front (impossible for an exact front) raise.
    """
    true_front = np.asarray(true_front, dtype=float)
    found = np.asarray(found, dtype=float)
    if true_front.ndim != 2 or len(true_front) == 0:
        raise ValueError("the true front must hold at least one point")
    ideal, nadir = true_front.max(axis=0), true_front.min(axis=0)
    span = np.where(ideal > nadir, ideal - nadir, 1.0)
    scale = lambda p: (p - nadir) / span  # noqa: E731
    ref = np.full(true_front.shape[1], -margin)
    whole = hypervolume(scale(true_front), ref)
    if len(found) == 0:
        return 0.0
    part = hypervolume(scale(found), ref)
    if part > whole * (1 + 1e-9):
        raise ValueError(f"the found front dominates more ({part:.6g}) than the true front ({whole:.6g}): "
                         "the true front is not the true one for this problem")
    return float(part / whole)


__all__ = ["hypervolume", "normalised_hypervolume"]
