"""Quality of a surrogate on held-out designs: error and ranking metrics, per simulator metric.

Errors (RMSE absolute, as a % of the metric's mean -- the form of ArchGym's "0.61%" -- and of its
range; MAPE; R2) say how close predictions are. A search only needs the surrogate to *order*
designs right, so ranking metrics come with them: Kendall's tau-b between true and predicted
values, and top-k overlap, the fraction of the k truly best designs that are also among the k the
surrogate ranks best (best meaning lowest for a ``min`` metric, highest for ``max``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

DEFAULT_TOPK = (10, 100)


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    d = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return float(np.sqrt(np.mean(d * d)))


def mape_pct(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute percentage error over the designs whose true value is not zero."""
    t = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    nz = t != 0
    if not nz.any():
        return float("nan")
    return float(100.0 * np.mean(np.abs(p[nz] - t[nz]) / np.abs(t[nz])))


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    t = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    ss_tot = float(np.sum((t - t.mean()) ** 2))
    ss_res = float(np.sum((t - p) ** 2))
    if ss_tot == 0.0:
        return 1.0 if ss_res == 0.0 else float("nan")
    return 1.0 - ss_res / ss_tot


def kendall_tau(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Kendall's tau-b (handles ties); NaN when either side is constant."""
    t = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    if t.size < 2 or np.ptp(t) == 0 or np.ptp(p) == 0:
        return float("nan")
    return float(stats.kendalltau(t, p).statistic)


def top_k_overlap(y_true: np.ndarray, y_pred: np.ndarray, k: int, sense: str = "min") -> float:
    """|true top-k ∩ predicted top-k| / k. Ties at the true k-th value count as top-k, so a model
    is not penalised for picking either of two equally good designs."""
    if sense not in ("min", "max"):
        raise ValueError(f"sense must be 'min' or 'max', got {sense!r}")
    t = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    if sense == "max":
        t, p = -t, -p
    k = int(min(k, t.size))
    if k < 1:
        return float("nan")
    kth = np.partition(t, k - 1)[k - 1]
    truly_best = t <= kth
    picked = np.argsort(p, kind="stable")[:k]
    return float(np.count_nonzero(truly_best[picked]) / k)


def metric_report(y_true: np.ndarray, y_pred: np.ndarray, sense: str = "min",
                  topk: Sequence[int] = DEFAULT_TOPK) -> dict:
    """Every error and ranking figure of one metric."""
    t = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    e = rmse(t, p)
    mean = float(np.mean(t))
    span = float(np.ptp(t))
    out = {
        "n": int(t.size),
        "mean": mean,
        "rmse": e,
        "rmse_pct_mean": 100.0 * e / abs(mean) if mean != 0 else float("nan"),
        "rmse_pct_range": 100.0 * e / span if span > 0 else float("nan"),
        "mape_pct": mape_pct(t, p),
        "r2": r2(t, p),
        "kendall_tau": kendall_tau(t, p),
    }
    for k in topk:
        out[f"top{k}_overlap"] = top_k_overlap(t, p, k, sense)
    return out


def regression_report(y_true: Mapping[str, np.ndarray], y_pred: Mapping[str, np.ndarray],
                      senses: Mapping[str, str], topk: Sequence[int] = DEFAULT_TOPK) -> dict:
    """``metric -> metric_report`` for every metric in ``y_true``."""
    return {m: metric_report(y_true[m], y_pred[m], senses.get(m, "min"), topk) for m in y_true}


def worst(report: Mapping[str, Mapping[str, float]], key: str, largest: bool = True) -> tuple[str, float]:
    """The metric with the worst value of ``key`` (largest error, or smallest tau with largest=False)."""
    items = [(m, r[key]) for m, r in report.items() if np.isfinite(r.get(key, np.nan))]
    if not items:
        return "", float("nan")
    return max(items, key=lambda x: x[1]) if largest else min(items, key=lambda x: x[1])


__all__ = ["rmse", "mape_pct", "r2", "kendall_tau", "top_k_overlap", "metric_report", "regression_report",
           "worst", "DEFAULT_TOPK"]
