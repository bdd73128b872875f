"""Plots of surrogate quality: predicted against simulated, error by metric, ranking quality,
learning curves. Each function returns the matplotlib figure (and saves it atomically with ``path``)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from archgym.plots import save_figure_atomic
from archgym.records import METRIC_PREFIX


def _grid(n: int, width: float = 3.2):
    cols = min(n, 4)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, width * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def _done(fig, path):
    fig.tight_layout()
    if path is not None:
        save_figure_atomic(fig, path)
    return fig


def plot_predicted_vs_simulated(test: pd.DataFrame, predicted: pd.DataFrame, metrics: Sequence[str],
                                title: str = "", path: str | os.PathLike | None = None, max_points: int = 5000):
    """One panel per metric: predicted against simulated value on held-out designs (log axes for
    positive metrics), with the identity line."""
    ok = test["feasible"].to_numpy(dtype=bool)
    n = int(ok.sum())
    pick = np.random.default_rng(0).permutation(n)[:max_points]
    fig, axes = _grid(len(metrics))
    for ax, m in zip(axes, metrics):
        t = test.loc[ok, METRIC_PREFIX + m].to_numpy(dtype=float)[pick]
        p = predicted.loc[ok, METRIC_PREFIX + m].to_numpy(dtype=float)[pick]
        ax.scatter(t, p, s=3, alpha=0.3)
        lo, hi = float(min(t.min(), p.min())), float(max(t.max(), p.max()))
        ax.plot([lo, hi], [lo, hi], color="k", lw=0.8)
        if lo > 0 and hi / lo > 20:
            ax.set_xscale("log")
            ax.set_yscale("log")
        ax.set_title(m, fontsize=9)
        ax.set_xlabel("simulated", fontsize=8)
        ax.set_ylabel("predicted", fontsize=8)
    if title:
        fig.suptitle(title)
    return _done(fig, path)


def plot_by_metric(reports: Mapping[str, Mapping], key: str = "rmse_pct_mean", ylabel: str | None = None,
                   goal: float | None = None, log: bool = True, path: str | os.PathLike | None = None):
    """Grouped bars: ``key`` of every metric (x) for every model (one bar colour per model).
    ``reports``: model -> report of :func:`archgym.surrogates.surrogate.train` (its ``metrics`` entry)."""
    models = list(reports)
    metrics = list(next(iter(reports.values()))["metrics"])
    x = np.arange(len(metrics))
    w = 0.8 / max(len(models), 1)
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(metrics)), 3.6))
    for i, model in enumerate(models):
        vals = [reports[model]["metrics"][m][key] for m in metrics]
        ax.bar(x + (i - (len(models) - 1) / 2) * w, vals, w, label=model)
    if goal is not None:
        ax.axhline(goal, color="k", ls="--", lw=0.8, label=f"goal {goal:g}")
    ax.set_xticks(x, metrics, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(ylabel or key)
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=8, ncol=min(len(models) + 1, 4))
    return _done(fig, path)


def plot_learning_curve(curve: pd.DataFrame, column: str = "rmse_pct_mean", goal: float | None = None,
                        path: str | os.PathLike | None = None):
    """``column`` against training-set size: one panel per model, one line per metric."""
    models = list(dict.fromkeys(curve["model"]))
    fig, axes = _grid(len(models), width=4.0)
    for ax, model in zip(axes, models):
        g = curve[curve["model"] == model]
        for metric, h in g.groupby("metric", sort=False):
            if column.startswith("rmse") and metric == "reward":
                continue
            ax.plot(h["n_train"], h[column], marker="o", ms=3, label=metric)
        if goal is not None:
            ax.axhline(goal, color="k", ls="--", lw=0.8)
        ax.set_xscale("log")
        if column.startswith(("rmse", "mape")):
            ax.set_yscale("log")
        ax.set_title(model)
        ax.set_xlabel("training designs")
        ax.set_ylabel(column)
        ax.legend(fontsize=7)
    return _done(fig, path)


__all__ = ["plot_predicted_vs_simulated", "plot_by_metric", "plot_learning_curve"]
