"""The sweep dataset on disk: loader over several sweeps with typed design columns, the card, and
clear errors for another schema version or a damaged file."""

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from archgym.records import RecordsError
from archgym.runner import run
from archgym.sweeps.dataset import dataset_summary, load_dataset, write_dataset_card


def _sweep(root, env, seeds=(0, 1), budget=40, **env_kwargs):
    for s in seeds:
        run(env, "random", budget, s, out=root / "runs" / f"{s}", progress=False, plot=False, env_kwargs=env_kwargs)
    write_dataset_card(root, {"kind": "sweep"})
    return root


def test_loader_types_columns_across_environments(tmp_path):
    a = _sweep(tmp_path / "a", "archgym/Synthetic-v0")
    b = _sweep(tmp_path / "b", "archgym/SystolicArray-v0", seeds=(3,), budget=30)
    df = load_dataset([a, b], with_runs=True)
    assert len(df) == 2 * 40 + 30 and set(df["env_id"]) == {"archgym/Synthetic-v0", "archgym/SystolicArray-v0"}
    assert str(df["design.x0"].dtype) == "Int64" and df["design.x0"].isna().sum() == 30, "ints stay ints beside NaN"
    assert str(df["design.ArrayHeight"].dtype) == "Int64"
    assert list(df["design.Dataflow"].cat.categories) == ["os", "ws", "is"]
    assert df["run.complete"].all() and set(df["run.budget"].dropna()) == {40, 30}
    untyped = load_dataset(a, typed=False)
    assert untyped["design.mode"].dtype != "category"


def test_card_counts(tmp_path):
    a = _sweep(tmp_path / "a", "archgym/Synthetic-v0")
    card = json.loads((a / "dataset.json").read_text())
    assert card["counts"]["rows"] == 80 and card["counts"]["complete_runs"] == 2
    assert card["counts"]["rows_by_agent"] == {"random": 80}
    env = card["environments"][0]
    assert (env["env_id"], env["env_version"], env["simulator_version"], env["workloads"]) == \
        ("archgym/Synthetic-v0", "0", "synthetic-1", ["bowl"])
    # the card's row count against the Parquet files themselves, read without archgym
    files = sorted(a.rglob("part-*.parquet"))
    assert sum(pq.ParquetFile(f).metadata.num_rows for f in files) == card["counts"]["rows"] == 80


def test_other_schema_version_or_damage_is_named(tmp_path):
    a = _sweep(tmp_path / "a", "archgym/Synthetic-v0")
    card = json.loads((a / "dataset.json").read_text())
    (a / "dataset.json").write_text(json.dumps({**card, "schema_version": 99}))
    with pytest.raises(RecordsError, match=r"dataset.json: dataset schema version 99; this archgym reads version 1"):
        load_dataset(a)
    (a / "dataset.json").write_text("{not json")
    with pytest.raises(RecordsError, match=r"dataset.json: the dataset card is not valid JSON"):
        load_dataset(a)
    (a / "dataset.json").write_text(json.dumps(card))
    part = sorted((a / "runs" / "1" / "evaluations").glob("part-*.parquet"))[0]
    df = pd.read_parquet(part)
    df["schema_version"] = 2
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), part)
    with pytest.raises(RecordsError, match=rf"{part.name} has another sha256"):
        load_dataset(a)
    with pytest.raises(RecordsError, match=rf"{part.name}: schema version \[2\]; this archgym reads version 1"):
        load_dataset(a, verify=False)
    part.write_bytes(part.read_bytes()[:100])
    with pytest.raises(RecordsError, match=rf"{part.name} is not a readable Parquet file"):
        load_dataset(a)
    with pytest.raises(RecordsError, match=rf"{part.name}: not a readable Parquet file"):
        load_dataset(a, verify=False)
    with pytest.raises(RecordsError, match=rf"{part.name}: not a readable Parquet file"):
        dataset_summary(a)


def test_a_deleted_part_file_is_named_and_the_run_is_no_longer_complete(tmp_path):
    """Issue 13 item 3: the cards list every part file with rows and sha256; loading checks them."""
    a = _sweep(tmp_path / "a", "archgym/Synthetic-v0")
    card = json.loads((a / "dataset.json").read_text())
    assert len(card["files"]) == card["counts"]["parquet_files"] and all(len(v["sha256"]) == 64
                                                                         for v in card["files"].values())
    victim = sorted(a.rglob("part-*.parquet"))[0]
    victim.unlink()
    with pytest.raises(RecordsError, match=rf"damaged: .*{victim.name} is missing"):
        load_dataset(a)
    assert len(load_dataset(a, verify=False)) < 80  # what is left can still be read, on request
    assert dataset_summary(a)["counts"]["complete_runs"] == 1  # the damaged run no longer counts as complete


def test_a_changed_or_added_part_file_is_named(tmp_path):
    a = _sweep(tmp_path / "a", "archgym/Synthetic-v0")
    f = sorted(a.rglob("part-*.parquet"))[0]
    df = pd.read_parquet(f)
    df.loc[0, "reward"] = 123.0
    df.to_parquet(f)
    (f.parent / "part-99999.parquet").write_bytes(f.read_bytes())
    with pytest.raises(RecordsError, match=r"another sha256 .*part-99999.parquet is not listed"):
        load_dataset(a)
