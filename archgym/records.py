"""Trajectory records: one row per evaluated design, written to Parquet atomically.

Row schema (``SCHEMA_VERSION``): identity columns (``run_id``, ``env_id``, ``env_version``,
``simulator_version``, ``workload``, ``agent``, ``agent_params`` as JSON, ``seed``, ``step``),
then one ``design.<parameter>`` column per design parameter (typed: strings for categoricals,
integers, floats), one ``metric.<name>`` column per metric, and ``reward``, ``feasible``,
``target_met``, ``violation``, ``sim_seconds``, ``backend``.

A run writes its rows into a directory of part files (``part-00000.parquet``, ...), each written
to a temporary name and renamed into place, so a reader never sees a half-written file and a
crashed run keeps every part it completed. ``pandas.read_parquet(directory)`` reads them too;
:func:`load_records` adds the schema check.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from archgym.files.atomic import atomic_path

SCHEMA_VERSION = 1
DESIGN_PREFIX = "design."
METRIC_PREFIX = "metric."
IDENTITY_COLUMNS = [
    "schema_version", "run_id", "env_id", "env_version", "simulator_version", "workload",
    "agent", "agent_params", "seed", "step",
]
OUTCOME_COLUMNS = ["reward", "feasible", "target_met", "violation", "sim_seconds", "backend"]


class RecordsError(ValueError):
    """A dataset that cannot be read: missing, corrupt, or of another schema version."""


def make_row(identity: Mapping[str, Any], step: int, design: Mapping[str, Any], metrics: Mapping[str, float],
             metric_names: Sequence[str], reward: float, feasible: bool, target_met: bool, violation: str,
             sim_seconds: float, backend: str) -> dict:
    """One dataset row. ``metric_names`` fixes the metric columns (NaN where a metric is missing)."""
    row = {"schema_version": SCHEMA_VERSION}
    for k in IDENTITY_COLUMNS[1:-1]:
        row[k] = identity[k]
    row["step"] = int(step)
    for k, v in design.items():
        row[DESIGN_PREFIX + k] = v
    for m in metric_names:
        row[METRIC_PREFIX + m] = float(metrics[m]) if m in metrics else float("nan")
    row.update(reward=float(reward), feasible=bool(feasible), target_met=bool(target_met),
               violation=str(violation), sim_seconds=float(sim_seconds), backend=str(backend))
    return row


def make_frame(identity: Mapping[str, Any], first_step: int, designs: Sequence[Mapping[str, Any]],
               metrics: Sequence[Mapping[str, float]], metric_names: Sequence[str], rewards: Sequence[float],
               feasible: Sequence[bool], target_met: Sequence[bool], violations: Sequence[str],
               sim_seconds: Sequence[float], backend: str) -> pd.DataFrame:
    """Many rows at once, column by column: the same columns, order and types as ``make_row`` gives
    (steps ``first_step, first_step + 1, ...``). For high-throughput writers such as ``collect``."""
    n = len(designs)
    cols: dict[str, Any] = {"schema_version": [SCHEMA_VERSION] * n}
    for k in IDENTITY_COLUMNS[1:-1]:
        cols[k] = [identity[k]] * n
    cols["step"] = list(range(int(first_step), int(first_step) + n))
    for k in (designs[0] if n else {}):
        cols[DESIGN_PREFIX + k] = [d[k] for d in designs]
    nan = float("nan")
    for m in metric_names:
        cols[METRIC_PREFIX + m] = [float(x[m]) if m in x else nan for x in metrics]
    cols.update(reward=[float(r) for r in rewards], feasible=[bool(f) for f in feasible],
                target_met=[bool(t) for t in target_met], violation=[str(v) for v in violations],
                sim_seconds=[float(s) for s in sim_seconds], backend=[str(backend)] * n)
    return pd.DataFrame(cols)


def write_parquet_atomic(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``df`` to ``path`` atomically, tagged with the schema version."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           b"archgym.schema_version": str(SCHEMA_VERSION).encode()})
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return Path(path)


def write_json_atomic(data: Any, path: str | os.PathLike) -> Path:
    """Write ``data`` as indented JSON atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, default=_json_default) + "\n")
    return Path(path)


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


class RecordWriter:
    """Buffers rows and writes them as numbered part files in ``directory``.

    ``rows_per_part`` bounds how many rows a crash can lose. Existing parts are kept and numbering
    continues after the highest of them (not after their count: with a part deleted, that would
    overwrite the last one), so a resumed or repaired run appends.
    """

    def __init__(self, directory: str | os.PathLike, rows_per_part: int = 1000):
        if rows_per_part < 1:
            raise ValueError(f"rows_per_part must be >= 1, got {rows_per_part!r}")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.rows_per_part = int(rows_per_part)
        self._buffer: list[dict] = []
        self._next = 1 + max((_part_number(f) for f in self.directory.glob("part-*.parquet")), default=-1)
        self.n_written = 0

    def add(self, row: dict) -> None:
        self._buffer.append(row)
        if len(self._buffer) >= self.rows_per_part:
            self.flush()

    def extend(self, rows: Iterable[dict]) -> None:
        for r in rows:
            self.add(r)

    def flush(self) -> Path | None:
        if not self._buffer:
            return None
        path = self.directory / f"part-{self._next:05d}.parquet"
        write_parquet_atomic(pd.DataFrame(self._buffer), path)
        self.n_written += len(self._buffer)
        self._buffer = []
        self._next += 1
        return path

    def close(self) -> None:
        self.flush()

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _part_number(path: Path) -> int:
    """The number of ``part-00012.parquet`` (12); -1 for a name that carries none."""
    digits = path.name[len("part-"):].split(".", 1)[0]
    return int(digits) if digits.isdigit() else -1


def record_files(path: str | os.PathLike) -> list[Path]:
    """Parquet files of a dataset: a file, or every ``*.parquet`` under a directory (recursively)."""
    p = Path(path)
    if p.is_file():
        return [p]
    if p.is_dir():
        return sorted(f for f in p.rglob("*.parquet") if not f.name.startswith("."))
    raise RecordsError(f"dataset path {str(p)!r} does not exist")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_manifest(directory: str | os.PathLike) -> dict[str, dict]:
    """Every part file under ``directory`` (path relative to it) with its row count and sha256: what a
    card records so that a deleted, truncated or replaced file is noticed when the data is read."""
    root = Path(directory)
    out = {}
    for f in record_files(root) if root.exists() else []:
        try:
            rows = pq.ParquetFile(f).metadata.num_rows
        except Exception as e:  # pyarrow raises several types for damaged files
            raise RecordsError(f"{f}: not a readable Parquet file ({type(e).__name__}: {e})") from None
        out[f.relative_to(root).as_posix()] = {"rows": int(rows), "sha256": _sha256(f)}
    return out


#: what :func:`part_status` can say of a part file, and how :func:`manifest_problems` words it
PART_PROBLEMS = {
    "missing": "is missing",
    "unlisted": "is not listed (written after the card, or by another run)",
    "unreadable": "is not a readable Parquet file",
    "rows": "has another row count than the card's",
    "changed": "has another sha256 than the card's (the file was changed)",
}


def part_status(directory: str | os.PathLike, manifest: Mapping[str, Mapping], checksums: bool = True) -> dict[str, str]:
    """Each part file that differs from a card's ``manifest``, with what is wrong: a key of
    :data:`PART_PROBLEMS` (``missing``, ``unlisted``, ``unreadable``, ``rows``, ``changed``). Empty when intact."""
    root = Path(directory)
    present = {f.relative_to(root).as_posix(): f for f in (record_files(root) if root.exists() else [])}
    status = {name: "missing" for name in manifest if name not in present}
    for name, f in present.items():
        if name not in manifest:
            status[name] = "unlisted"
            continue
        try:
            rows = pq.ParquetFile(f).metadata.num_rows
        except Exception:  # pyarrow raises several types for damaged files
            status[name] = "unreadable"
            continue
        if rows != manifest[name]["rows"]:
            status[name] = "rows"
        elif checksums and _sha256(f) != manifest[name]["sha256"]:
            status[name] = "changed"
    return status


def manifest_problems(directory: str | os.PathLike, manifest: Mapping[str, Mapping], checksums: bool = True) -> list[str]:
    """What differs between the part files under ``directory`` and a card's ``manifest``, one phrase per
    file: missing files, files whose rows or checksum changed, files the card does not list (empty when intact)."""
    out = []
    for name, what in part_status(directory, manifest, checksums).items():
        if what == "rows":
            rows = pq.ParquetFile(Path(directory) / name).metadata.num_rows
            out.append(f"{name} has {rows} rows, the card says {manifest[name]['rows']}")
        else:
            out.append(f"{name} {PART_PROBLEMS[what]}")
    return out


def load_records(paths: str | os.PathLike | Sequence[str | os.PathLike],
                 columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Every row of one or more datasets (files or directories) as one DataFrame, schema-checked.

    ``columns`` restricts the columns read (those a file lacks are left out), for speed."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    frames = []
    for root in paths:
        files = record_files(root)
        if not files:
            raise RecordsError(f"no Parquet files under {str(root)!r}")
        for f in files:
            try:
                if columns is None:
                    df = pd.read_parquet(f)
                else:
                    names = set(pq.read_schema(f).names)
                    df = pd.read_parquet(f, columns=[c for c in dict.fromkeys(["schema_version", *columns]) if c in names])
            except Exception as e:  # pyarrow raises several types for damaged files
                raise RecordsError(f"{f}: not a readable Parquet file ({type(e).__name__}: {e})") from None
            if "schema_version" not in df.columns:
                raise RecordsError(f"{f}: no schema_version column; not an archgym dataset")
            versions = set(df["schema_version"].unique().tolist())
            if versions != {SCHEMA_VERSION}:
                raise RecordsError(f"{f}: schema version {sorted(versions)}; this archgym reads version {SCHEMA_VERSION}")
            frames.append(df)
    return pd.concat(frames, ignore_index=True)


def design_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c.startswith(DESIGN_PREFIX)]


def metric_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c.startswith(METRIC_PREFIX)]


def designs_of(df: pd.DataFrame) -> list[dict]:
    """The design dicts of the rows (prefix stripped, numpy scalars turned into Python values)."""
    cols = design_columns(df)
    names = [c[len(DESIGN_PREFIX):] for c in cols]
    return [dict(zip(names, (v.item() if hasattr(v, "item") else v for v in vals)))
            for vals in df[cols].itertuples(index=False, name=None)]
