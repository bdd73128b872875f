"""Learning curves: held-out error and ranking of a surrogate against the number of training designs,
so that a user knows how much data to collect before a surrogate is good enough.

Every point of a curve is scored on the same held-out designs (the seeded split of
:func:`archgym.surrogates.data.split`), and the training sets are nested seeded subsets of the
training split, so that a curve shows the effect of data alone.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from archgym.core.env import ArchGymEnv
from archgym.surrogates.data import DatasetError, load_training_data, split, subsample
from archgym.surrogates.train import environment_for, evaluate, fit

CURVE_COLUMNS = ["model", "n_train", "metric", "rmse_pct_mean", "rmse_pct_range", "mape_pct", "r2", "kendall_tau",
                 "fit_seconds"]


def default_sizes(n_train: int, smallest: int = 50, points: int = 7) -> list[int]:
    """Roughly log-spaced training-set sizes from ``smallest`` up to all ``n_train`` designs."""
    if n_train <= smallest:
        return [n_train]
    sizes = np.unique(np.round(np.geomspace(smallest, n_train, points)).astype(int))
    return [int(s) for s in sizes]


def learning_curve(dataset, models: str | Sequence[str] = "hgb", sizes: Sequence[int] | None = None, *,
                   env: ArchGymEnv | None = None, env_id: str | None = None, workload: str | None = None,
                   params: Mapping[str, Mapping[str, Any]] | None = None, test_fraction: float = 0.2,
                   seed: int = 0, target_transform: str = "auto") -> pd.DataFrame:
    """One row per (model, training-set size, metric) -- and metric ``"reward"`` for the ranking of the
    environment's reward -- with the held-out error and ranking figures and the fit time."""
    data = load_training_data(dataset, env_id, workload)
    env = environment_for(data, env)
    tr, te = split(data.frame, test_fraction, seed)
    sizes = default_sizes(tr.size) if sizes is None else sorted({int(s) for s in sizes})
    too_big = [s for s in sizes if s > tr.size or s < 2]
    if too_big:
        raise DatasetError(f"learning-curve sizes {too_big} are outside 2..{tr.size} (training designs available)")
    models = [models] if isinstance(models, str) else list(models)
    test = data.frame.iloc[te]
    rows = []
    for model in models:
        for n in sizes:
            idx = subsample(tr, n, seed)
            if not data.frame["feasible"].to_numpy(dtype=bool)[idx].any():
                continue
            t0 = time.perf_counter()
            sur = fit(data, idx, env, model, params=(params or {}).get(model), seed=seed,
                      target_transform=target_transform)
            fit_s = time.perf_counter() - t0
            rep = evaluate(sur, test, env, topk=())
            per = dict(rep["metrics"])
            if "reward" in rep:
                per["reward"] = rep["reward"]
            for metric, r in per.items():
                rows.append({"model": model, "n_train": int(n), "metric": metric,
                             **{k: r.get(k, np.nan) for k in CURVE_COLUMNS[3:-1]}, "fit_seconds": fit_s})
    return pd.DataFrame(rows, columns=CURVE_COLUMNS)


def designs_needed(curve: pd.DataFrame, goal_pct: float = 0.5, column: str = "rmse_pct_mean") -> dict:
    """Per model, the smallest measured training-set size at which every metric is at or below
    ``goal_pct`` (None if no measured size reaches it)."""
    out = {}
    metrics = curve[curve["metric"] != "reward"]
    for model, g in metrics.groupby("model", sort=False):
        worst = g.groupby("n_train")[column].max()
        ok = worst[worst <= goal_pct]
        out[model] = int(ok.index.min()) if len(ok) else None
    return out


__all__ = ["learning_curve", "default_sizes", "designs_needed", "CURVE_COLUMNS"]
