"""What a model-based agent fits instead of raw rewards (shared by BO and the surrogate search).

Infeasible designs carry a penalty reward (-100 in most environments) that would dominate a
regression; they are set to the worst feasible reward instead. The "log" warp then spreads the
designs near the best one: ``-log(1 + gap / (LOG_SCALE * median gap))`` with ``gap = best - reward``,
so the model spends its capacity where the search is, not on how bad the worst designs are.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

LOG_SCALE = 0.1  # the log warp's scale, as a fraction of the median gap to the best reward


def fill_infeasible(rewards: Sequence[float], feasible: Sequence[bool]) -> np.ndarray:
    """Rewards as floats, infeasible or non-finite ones set to the worst feasible reward (all 0 when
    none is feasible)."""
    y = np.array(rewards, dtype=float)
    ok = np.array(feasible, dtype=bool) & np.isfinite(y)
    y[~ok] = y[ok].min() if ok.any() else 0.0
    return y


def log_gap(y: np.ndarray) -> np.ndarray:
    """The log warp of ``y`` (larger is better, the best maps to 0)."""
    gap = y.max() - y
    scale = np.median(gap[gap > 0]) if (gap > 0).any() else 1.0
    return -np.log1p(gap / (LOG_SCALE * scale))
