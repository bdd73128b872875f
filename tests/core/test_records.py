"""Dataset rows on disk: atomic parts, schema checks with clear errors."""

import pandas as pd
import pytest

from archgym.records import RecordsError, RecordWriter, designs_of, load_records, write_parquet_atomic


def _row(i):
    return {"schema_version": 1, "step": i, "design.a": i % 3, "design.m": "xy"[i % 2], "metric.c": float(i), "reward": -float(i)}


def test_writer_parts_and_resume(tmp_path):
    with RecordWriter(tmp_path, rows_per_part=4) as w:
        w.extend(_row(i) for i in range(10))
    assert sorted(p.name for p in tmp_path.glob("*.parquet")) == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    with RecordWriter(tmp_path, rows_per_part=4) as w:  # a resumed run appends new parts
        w.extend(_row(i) for i in range(10, 12))
    df = load_records(tmp_path)
    assert sorted(df["step"]) == list(range(12))
    assert designs_of(df.sort_values("step").head(2)) == [{"a": 0, "m": "x"}, {"a": 1, "m": "y"}]


def test_schema_mismatch_and_corruption_are_named(tmp_path):
    write_parquet_atomic(pd.DataFrame([{**_row(0), "schema_version": 99}]), tmp_path / "a" / "p.parquet")
    with pytest.raises(RecordsError, match=r"p.parquet: schema version \[99\]; this archgym reads version 1"):
        load_records(tmp_path / "a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "broken.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(RecordsError, match="broken.parquet: not a readable Parquet file"):
        load_records(tmp_path / "b")
    write_parquet_atomic(pd.DataFrame([{"x": 1}]), tmp_path / "c" / "p.parquet")
    with pytest.raises(RecordsError, match="no schema_version column"):
        load_records(tmp_path / "c")
    with pytest.raises(RecordsError, match="does not exist"):
        load_records(tmp_path / "missing")


def test_failed_write_leaves_nothing(tmp_path):
    class Boom:
        pass

    with pytest.raises(ValueError, match="Conversion failed for column x"):  # pyarrow's ArrowInvalid
        write_parquet_atomic(pd.DataFrame([{"x": Boom()}]), tmp_path / "x.parquet")
    assert list(tmp_path.iterdir()) == []
