"""Learning curves: nested training sets, one held-out set, error falling with data."""

import pandas as pd
import pytest

from archgym.surrogates.curves import default_sizes, designs_needed, learning_curve
from archgym.surrogates.data import DatasetError


def test_learning_curve_error_falls_with_data(synthetic_dataset, fast):
    curve = learning_curve(synthetic_dataset, ["knn", "rf"], [100, 400, 1600], seed=0, params={"rf": fast["rf"]})
    assert set(curve["metric"]) == {"cost", "distance", "reward"}
    assert sorted(set(curve["n_train"])) == [100, 400, 1600]
    for model in ("knn", "rf"):
        c = curve[(curve["model"] == model) & (curve["metric"] == "cost")].set_index("n_train")
        # 16x more designs: the error falls (by far more than noise), the ranking improves
        assert c.loc[1600, "rmse_pct_mean"] < 0.8 * c.loc[100, "rmse_pct_mean"], c
        assert c.loc[1600, "kendall_tau"] > c.loc[100, "kendall_tau"], c


def test_designs_needed():
    curve = pd.DataFrame({"model": ["a"] * 4 + ["b"] * 2, "n_train": [10, 10, 100, 100, 10, 100],
                          "metric": ["x", "y", "x", "y", "x", "x"], "rmse_pct_mean": [2.0, 0.3, 0.4, 0.5, 9, 8]})
    assert designs_needed(curve, 0.5) == {"a": 100, "b": None}


def test_default_sizes_and_bad_sizes(synthetic_dataset):
    s = default_sizes(2400)
    assert s[0] == 50 and s[-1] == 2400 and s == sorted(s)
    assert default_sizes(30) == [30]
    with pytest.raises(DatasetError, match=r"sizes \[99999\] are outside 2\.\."):
        learning_curve(synthetic_dataset, "knn", [100, 99999])
