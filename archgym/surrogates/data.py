"""Training data for surrogates: the rows of one environment (id, version, workload) from a dataset,
one row per distinct simulated design, a content hash, and a seeded held-out split.

Rows that a surrogate backend produced (``backend != "simulator"``) are left out -- a surrogate
learns from the simulator, never from another surrogate -- and a design evaluated several times
(random sampling repeats designs in small spaces) is kept once, so that no held-out design is also
a training design.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from archgym.records import (
    DESIGN_PREFIX,
    METRIC_PREFIX,
    design_columns,
    load_records,
    metric_columns,
)


class DatasetError(ValueError):
    """A dataset that cannot train a surrogate (empty, several environments mixed, ...)."""


@dataclass
class TrainingData:
    """Distinct simulated designs of one environment, ready to split and fit."""

    frame: pd.DataFrame
    env_id: str
    env_version: str
    simulator_version: str
    workload: str
    dataset_hash: str
    sources: list[str] = field(default_factory=list)
    n_rows_read: int = 0
    n_duplicates: int = 0
    n_not_simulated: int = 0

    @property
    def parameter_names(self) -> list[str]:
        return [c[len(DESIGN_PREFIX):] for c in design_columns(self.frame)]

    @property
    def metric_names(self) -> list[str]:
        return [c[len(METRIC_PREFIX):] for c in metric_columns(self.frame)]

    @property
    def feasible(self) -> np.ndarray:
        return self.frame["feasible"].to_numpy(dtype=bool)

    def describe(self) -> dict:
        return {
            "sources": self.sources, "dataset_hash": self.dataset_hash, "env_id": self.env_id,
            "env_version": self.env_version, "simulator_version": self.simulator_version,
            "workload": self.workload, "n_rows_read": self.n_rows_read, "n_designs": len(self.frame),
            "n_feasible": int(self.feasible.sum()), "n_duplicates_dropped": self.n_duplicates,
            "n_not_simulated_dropped": self.n_not_simulated,
        }


def load_training_data(dataset: str | os.PathLike | Sequence[str | os.PathLike] | pd.DataFrame,
                       env_id: str | None = None, workload: str | None = None) -> TrainingData:
    """The simulated rows of one environment and workload from a dataset (directories, Parquet files
    or an already loaded DataFrame). ``env_id`` / ``workload`` choose among several; a dataset holding
    several and no choice is refused with the list."""
    if isinstance(dataset, pd.DataFrame):
        df, sources = dataset, ["<DataFrame>"]
    else:
        paths = [dataset] if isinstance(dataset, (str, os.PathLike)) else list(dataset)
        df, sources = load_records(paths), [str(Path(p)) for p in paths]
    n_read = len(df)
    for col in ("env_id", "env_version", "workload", "feasible"):
        if col not in df.columns:
            raise DatasetError(f"dataset {sources}: no {col!r} column; not an archgym dataset")
    df = _only(df, "env_id", env_id, sources)
    df = _only(df, "workload", workload, sources)
    versions = sorted(df["env_version"].astype(str).unique())
    if len(versions) > 1:
        raise DatasetError(f"dataset {sources}: rows of several versions {versions} of {df['env_id'].iloc[0]}; "
                           f"train on one version")
    n_before = len(df)
    if "backend" in df.columns:
        df = df[df["backend"].astype(str) == "simulator"]
    n_not_sim = n_before - len(df)
    if df.empty:
        raise DatasetError(f"dataset {sources}: no simulator-evaluated rows (all {n_before} were predicted)")
    dcols = design_columns(df)
    if not dcols or not metric_columns(df):
        raise DatasetError(f"dataset {sources}: needs design.* and metric.* columns")
    # first evaluation of every distinct design (simulators are deterministic)
    n_before = len(df)
    df = df.drop_duplicates(subset=dcols, keep="first").reset_index(drop=True)
    first = df.iloc[0]
    return TrainingData(
        frame=df, env_id=str(first["env_id"]), env_version=str(first["env_version"]),
        simulator_version=str(first.get("simulator_version", "")), workload=str(first["workload"]),
        dataset_hash=content_hash(df), sources=sources, n_rows_read=n_read,
        n_duplicates=n_before - len(df), n_not_simulated=n_not_sim,
    )


def _only(df: pd.DataFrame, col: str, want: str | None, sources: list[str]) -> pd.DataFrame:
    values = sorted(df[col].astype(str).unique())
    if want is not None:
        if want not in values:
            raise DatasetError(f"dataset {sources}: no rows with {col} {want!r}; it holds {values}")
        return df[df[col].astype(str) == want]
    if len(values) > 1:
        option = "--env" if col == "env_id" else "--workload"
        raise DatasetError(f"dataset {sources}: rows of several {col} values {values}; choose one ({col}=..., "
                           f"or {option} on the command line)")
    return df


def content_hash(df: pd.DataFrame) -> str:
    """SHA-256 of the set of (design, metrics, feasibility) rows: independent of row order and of
    how the rows are split into files."""
    cols = sorted(design_columns(df) + metric_columns(df)) + ["feasible"]
    rows = pd.util.hash_pandas_object(df[cols], index=False).to_numpy(dtype=np.uint64)
    h = hashlib.sha256(np.sort(rows).tobytes())
    h.update(",".join(cols).encode())
    return h.hexdigest()


def split(frame: pd.DataFrame, test_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Row positions (train, test). A design's side depends only on its parameters and the seed --
    not on the row order -- so the same seed gives the same held-out designs from any copy of the data."""
    if not 0.0 < float(test_fraction) < 1.0:
        raise DatasetError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    n = len(frame)
    n_test = int(round(n * float(test_fraction)))
    if n < 2 or n_test < 1 or n_test >= n:
        raise DatasetError(f"{n} distinct designs cannot be split with test_fraction={test_fraction} "
                           f"(need at least one training and one held-out design)")
    key = hashlib.sha256(f"archgym-split-{int(seed)}".encode()).hexdigest()[:16]
    h = pd.util.hash_pandas_object(frame[design_columns(frame)], index=False, hash_key=key).to_numpy()
    order = np.argsort(h, kind="stable")
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def subsample(idx: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    """A seeded subset of ``n`` positions from ``idx`` (all of them if ``n`` is None or larger);
    subsets of growing ``n`` are nested, as a learning curve needs."""
    if n is None or n >= idx.size:
        return idx
    perm = np.random.default_rng(seed).permutation(idx.size)
    return np.sort(idx[perm[:n]])


__all__ = ["TrainingData", "DatasetError", "load_training_data", "content_hash", "split", "subsample"]
