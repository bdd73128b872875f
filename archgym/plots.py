"""Plots of runs: convergence of the best reward with the number of evaluations."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from archgym.files.atomic import atomic_path  # noqa: E402


def save_figure_atomic(fig, path: str | os.PathLike, dpi: int = 120) -> Path:
    """Save a matplotlib figure atomically (format from the suffix), then close it."""
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=Path(path).suffix.lstrip(".") or "png")
    finally:
        plt.close(fig)
    return Path(path)


def plot_convergence(df: pd.DataFrame, path: str | os.PathLike, title: str = "") -> Path:
    """Reward of every evaluated design (dots), best so far (line), designs meeting the target (marks)."""
    d = df.sort_values("step")
    steps = d["step"].to_numpy() + 1
    reward = d["reward"].to_numpy(dtype=float)
    feasible = d["feasible"].to_numpy(dtype=bool)
    met = d["target_met"].to_numpy(dtype=bool)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter(steps[feasible], reward[feasible], s=6, alpha=0.35, color="tab:gray", label="evaluated design")
    if (~feasible).any():
        ax.scatter(steps[~feasible], reward[~feasible], s=8, marker="x", color="tab:red", alpha=0.5, label="infeasible")
    if met.any():
        ax.scatter(steps[met], reward[met], s=14, color="tab:green", label="meets target", zorder=3)
    ax.plot(steps, np.maximum.accumulate(reward), color="tab:blue", lw=2, label="best so far", zorder=4)
    if feasible.any():
        lo = np.percentile(reward[feasible], 5)
        hi = reward.max()
        pad = 0.05 * (hi - lo if hi > lo else 1.0)
        ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("simulator evaluations")
    ax.set_ylabel("reward (higher is better)")
    if len(steps) > 50:
        ax.set_xscale("log")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return save_figure_atomic(fig, path)
