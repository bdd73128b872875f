"""The on-disk dataset of a sweep (or a ``collect`` or ``run`` output): layout, card, loader.

Layout of a sweep folder ``OUT``::

    OUT/sweep.json                      the sweep file as read, its experiment list and fingerprint
    OUT/dataset.json                    the dataset card (environments, versions, counts, time)
    OUT/runs/<run_id>/evaluations/      Parquet part files of one experiment (one trial writes here only)
    OUT/runs/<run_id>/run.json          the experiment's card, written when it completes
    OUT/tune/                           Ray Tune's experiment state (what ``Tuner.restore`` reads)

Every trial writes only below its own ``runs/<run_id>/``, so concurrent trials never write the
same file. :func:`load_dataset` reads one or more such folders (or any folder holding
``evaluations/`` directories) into one DataFrame, checks the schema version, and gives the design
parameters their types from the design spaces recorded in the cards.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

import archgym
from archgym.core.spaces import Categorical, DesignSpace, Discrete, Integer, PowerOfTwo
from archgym.records import (
    DESIGN_PREFIX,
    SCHEMA_VERSION,
    RecordsError,
    file_manifest,
    load_records,
    manifest_problems,
    record_files,
    write_json_atomic,
)

RUNS_DIR = "runs"
TUNE_DIR = "tune"
SPEC_FILE = "sweep.json"
DATASET_CARD = "dataset.json"
RUN_CARD = "run.json"
EVALUATIONS_DIR = "evaluations"
#: columns added by ``load_dataset(..., with_runs=True)`` from each run's card
RUN_COLUMNS = ("run.sweep", "run.setting", "run.setting_id", "run.budget", "run.complete")


def evaluation_dirs(root: str | os.PathLike) -> list[Path]:
    """Every ``evaluations`` folder under ``root`` (a sweep, a run or a collect output)."""
    p = Path(root)
    if not p.exists():
        raise RecordsError(f"dataset path {str(p)!r} does not exist")
    if p.is_file():
        return [p]
    if p.name == EVALUATIONS_DIR:
        return [p]
    found = sorted(d for d in p.rglob(EVALUATIONS_DIR) if d.is_dir() and TUNE_DIR not in d.relative_to(p).parts[:1])
    if not found:
        raise RecordsError(f"no {EVALUATIONS_DIR}/ folder with Parquet rows under {str(p)!r}")
    return found


def read_json(path: Path, what: str) -> dict:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise RecordsError(f"{path}: the {what} is not valid JSON ({e}); the file is corrupt") from None


def run_cards(root: str | os.PathLike) -> list[dict]:
    """The cards of the completed runs under ``root`` (each has the environment's design space)."""
    out = []
    for d in evaluation_dirs(root):
        card = d.parent / RUN_CARD
        if d.is_dir() and card.is_file():
            out.append(read_json(card, "run card"))
    return out


def load_dataset(paths: str | os.PathLike | Sequence[str | os.PathLike], typed: bool = True,
                 with_runs: bool = False, verify: bool = True) -> pd.DataFrame:
    """Every evaluation of one or more sweeps (or run / collect folders) as one DataFrame.

    The schema version of every part file (and of each sweep's card) is checked; a file of another
    version, or a damaged one, raises :class:`~archgym.records.RecordsError` naming it. With
    ``typed``, design columns get the types of their design space: categoricals as pandas
    ``Categorical`` (with the allowed values as categories), integers as ``Int64``, reals as floats.
    With ``with_runs``, each row also gets its run's sweep name, setting, setting id, budget and
    whether the run completed (columns ``run.*``). With ``verify`` (default), every part file listed
    by a run card or the dataset card must be there with its row count and sha256, and no unlisted
    file may sit in a completed run; otherwise :class:`~archgym.records.RecordsError` names each problem.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    frames, cards = [], []
    for root in paths:
        card = check_card(root)
        if verify:
            verify_files(root, card)
        dirs = evaluation_dirs(root)
        frames.append(load_records([d for d in dirs if record_files(d)] or dirs))
        cards += run_cards(root)
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if typed:
        df = type_design_columns(df, [DesignSpace.from_dict(c["environment"]["design_space"]) for c in cards
                                      if "environment" in c])
    if with_runs:
        df = add_run_columns(df, cards)
    return df


def check_card(root: str | os.PathLike) -> dict | None:
    """The dataset card of a sweep folder, if it has one; refuses a card of another schema version."""
    card_path = Path(root) / DATASET_CARD
    if not card_path.is_file():
        return None
    card = read_json(card_path, "dataset card")
    v = card.get("schema_version")
    if v != SCHEMA_VERSION:
        raise RecordsError(f"{card_path}: dataset schema version {v!r}; this archgym reads version {SCHEMA_VERSION} "
                           "(re-create the dataset with this version, or install the archgym that wrote it)")
    return card


def damage(root: str | os.PathLike, card: dict | None = None, checksums: bool = True) -> list[str]:
    """Every difference between the part files under ``root`` and what its cards record (empty: intact)."""
    root = Path(root)
    problems = []
    for d in evaluation_dirs(root):
        card_path = d.parent / RUN_CARD
        if card_path.is_file():
            files = read_json(card_path, "run card").get("files")
            if files is not None:
                where = d.relative_to(root).as_posix() if d != root else d.name
                problems += [f"{where}/{p}" for p in manifest_problems(d, files, checksums)]
    if card is not None and card.get("files") is not None:
        present = set(file_manifest_names(root))
        problems += [f"{name} is missing (listed in {DATASET_CARD})" for name in card["files"] if name not in present]
    return problems


def file_manifest_names(root: Path) -> list[str]:
    return [f.relative_to(root).as_posix() for d in evaluation_dirs(root) for f in record_files(d)]


def verify_files(root: str | os.PathLike, card: dict | None = None) -> None:
    """Raise :class:`RecordsError` naming every missing, changed or unlisted part file under ``root``."""
    problems = damage(root, card)
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise RecordsError(f"{root}: the dataset is damaged: {shown}. Run `archgym repair {root}` to set aside "
                           "what is corrupt and re-simulate only what is missing, or load with verify=False to read what is left")


def type_design_columns(df: pd.DataFrame, spaces: Iterable[DesignSpace]) -> pd.DataFrame:
    """Cast ``design.*`` columns to the types of the parameters in ``spaces`` (merged by name)."""
    params: dict[str, list] = {}
    for space in spaces:
        for p in space:
            params.setdefault(p.name, []).append(p)
    df = df.copy()
    for col in [c for c in df.columns if c.startswith(DESIGN_PREFIX)]:
        ps = params.get(col[len(DESIGN_PREFIX):])
        if not ps:
            if df[col].dtype == object:
                df[col] = df[col].astype("category")
            continue
        kinds = {type(p) for p in ps}
        if kinds == {Categorical}:
            cats = list(dict.fromkeys(v for p in ps for v in p.values))
            df[col] = pd.Categorical(df[col], categories=cats)
        elif kinds <= {Integer, PowerOfTwo} or (all(isinstance(p, Discrete) for p in ps)
                                                and all(isinstance(v, int) and not isinstance(v, bool) for p in ps for v in p.values)):
            df[col] = df[col].astype("Int64")
        elif all(not isinstance(p, Categorical) for p in ps):
            df[col] = df[col].astype("float64")
    return df


def add_run_columns(df: pd.DataFrame, cards: Sequence[dict]) -> pd.DataFrame:
    info = {c["run_id"]: c for c in cards}
    df = df.copy()
    ids = df["run_id"]
    df["run.sweep"] = ids.map(lambda r: info.get(r, {}).get("sweep"))
    df["run.setting"] = ids.map(lambda r: info.get(r, {}).get("setting"))
    df["run.setting_id"] = ids.map(lambda r: info.get(r, {}).get("setting_id"))
    df["run.budget"] = ids.map(lambda r: info.get(r, {}).get("budget")).astype("Int64")
    df["run.complete"] = ids.map(lambda r: r in info)
    return df


def dataset_summary(root: str | os.PathLike) -> dict:
    """Counts of a dataset folder, read from Parquet footers and run cards (no row is loaded)."""
    envs: dict[tuple, dict] = {}
    by_env: Counter = Counter()
    by_agent: Counter = Counter()
    rows = complete_rows = n_files = n_runs = n_complete = 0
    sim_seconds = 0.0
    for d in evaluation_dirs(root):
        n = 0
        for f in record_files(d):
            n_files += 1
            try:
                n += pq.ParquetFile(f).metadata.num_rows
            except Exception as e:  # pyarrow raises several types for damaged files
                raise RecordsError(f"{f}: not a readable Parquet file ({type(e).__name__}: {e})") from None
        rows += n
        n_runs += n > 0
        card_path = d.parent / RUN_CARD
        if not card_path.is_file():
            continue
        c = read_json(card_path, "run card")
        if c.get("files") is not None and manifest_problems(d, c["files"], checksums=False):
            continue  # a damaged run is not complete
        n_complete += 1
        complete_rows += n
        e = c["environment"]
        key = (e["env_id"], e["env_version"], e["simulator_version"])
        entry = envs.setdefault(key, {"env_id": e["env_id"], "env_version": e["env_version"],
                                      "simulator_version": e["simulator_version"], "workloads": [],
                                      "backend": e.get("backend"), "metrics": e.get("metrics"),
                                      "design_space": e.get("design_space")})
        if e["workload"] not in entry["workloads"]:
            entry["workloads"].append(e["workload"])
        by_env[e["env_id"]] += n
        by_agent[c["agent"]] += n
        sim_seconds += float(c.get("result", {}).get("sim_seconds", 0.0))
    return {
        "schema_version": SCHEMA_VERSION,
        "environments": list(envs.values()),
        "counts": {
            "rows": int(rows),
            "rows_of_complete_runs": int(complete_rows),
            "rows_by_env": dict(by_env),
            "rows_by_agent": dict(by_agent),
            "runs_with_rows": int(n_runs),
            "complete_runs": int(n_complete),
            "parquet_files": int(n_files),
        },
        "simulator_seconds": sim_seconds,
        "files": {f"{d.relative_to(root).as_posix()}/{k}" if d != Path(root) else k: v
                  for d in evaluation_dirs(root) for k, v in file_manifest(d).items()},
    }


def write_dataset_card(root: str | os.PathLike, extra: dict) -> Path:
    """Write ``root/dataset.json``: the summary of the folder plus ``extra`` (sweep, timing, Ray)."""
    card = {**dataset_summary(root), "archgym_version": archgym.__version__,
            "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **extra}
    return write_json_atomic(card, Path(root) / DATASET_CARD)


__all__ = ["damage", "verify_files", "load_dataset", "write_dataset_card", "dataset_summary", "type_design_columns", "check_card",
           "evaluation_dirs", "run_cards", "RUNS_DIR", "TUNE_DIR", "SPEC_FILE", "DATASET_CARD", "RUN_CARD"]
