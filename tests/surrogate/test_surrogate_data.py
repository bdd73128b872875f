"""Training data: one environment, distinct simulated designs, order-independent hash and split."""

import numpy as np
import pandas as pd
import pytest

from archgym.records import load_records
from archgym.surrogates.data import DatasetError, content_hash, load_training_data, split, subsample


def test_distinct_designs_and_identity(synthetic_dataset):
    data = load_training_data(synthetic_dataset)
    assert data.env_id == "archgym/Synthetic-v0" and data.env_version == "0" and data.workload == "bowl"
    dcols = [c for c in data.frame.columns if c.startswith("design.")]
    assert not data.frame.duplicated(dcols).any()
    assert data.n_rows_read == 3000 and len(data.frame) + data.n_duplicates == 3000
    assert data.metric_names == ["cost", "distance"]


def test_split_reproducible_disjoint_and_order_independent(synthetic_dataset):
    data = load_training_data(synthetic_dataset)
    tr, te = split(data.frame, 0.25, seed=7)
    assert np.intersect1d(tr, te).size == 0 and tr.size + te.size == len(data.frame)
    assert te.size == round(0.25 * len(data.frame))
    tr2, te2 = split(data.frame, 0.25, seed=7)
    np.testing.assert_array_equal(te, te2)
    shuffled = data.frame.sample(frac=1.0, random_state=3).reset_index(drop=True)
    _, te3 = split(shuffled, 0.25, seed=7)
    key = [c for c in data.frame.columns if c.startswith("design.")]
    held = data.frame.iloc[te][key].sort_values(key).reset_index(drop=True)
    held3 = shuffled.iloc[te3][key].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(held, held3)
    _, te_other = split(data.frame, 0.25, seed=8)
    assert not np.array_equal(te, te_other)


def test_split_refuses_bad_fraction(synthetic_dataset):
    data = load_training_data(synthetic_dataset)
    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(DatasetError, match="test_fraction"):
            split(data.frame, bad, 0)


def test_subsample_nested():
    idx = np.arange(100, 200)
    a, b = subsample(idx, 10, 0), subsample(idx, 30, 0)
    assert set(a) <= set(b) and a.size == 10 and b.size == 30
    assert subsample(idx, None, 0) is idx


def test_content_hash_ignores_order_but_not_values(synthetic_dataset):
    df = load_records(synthetic_dataset)
    h = content_hash(df)
    assert content_hash(df.iloc[::-1].reset_index(drop=True)) == h
    changed = df.copy()
    changed.loc[0, "metric.cost"] += 1.0
    assert content_hash(changed) != h


def test_mixed_datasets_refused_and_predicted_rows_dropped(synthetic_dataset):
    df = load_records(synthetic_dataset)
    other = df.copy()
    other["env_id"] = "archgym/Other-v0"
    with pytest.raises(DatasetError, match=r"several env_id values .*Other-v0.*Synthetic-v0"):
        load_training_data(pd.concat([df, other]))
    assert load_training_data(pd.concat([df, other]), env_id="archgym/Synthetic-v0").env_id == "archgym/Synthetic-v0"
    with pytest.raises(DatasetError, match="no rows with workload 'nope'"):
        load_training_data(df, workload="nope")
    predicted = df.copy()
    predicted["backend"] = "surrogate"
    with pytest.raises(DatasetError, match="no simulator-evaluated rows"):
        load_training_data(predicted)
    half = df.copy()
    half.loc[half.index[:1000], "backend"] = "surrogate"
    assert load_training_data(half).n_not_simulated == 1000
