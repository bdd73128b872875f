"""Error and ranking metrics against hand-computed values."""

import math

import numpy as np
import pytest
from scipy import stats

from archgym.surrogates.metrics import kendall_tau, mape_pct, metric_report, r2, rmse, top_k_overlap, worst


def test_errors_hand_computed():
    t = np.array([1.0, 2.0, 3.0, 4.0])
    p = np.array([1.0, 2.0, 3.0, 6.0])
    assert rmse(t, p) == pytest.approx(1.0)  # sqrt(4/4)
    assert mape_pct(t, p) == pytest.approx(100 * 0.5 / 4)  # only the last design errs, by 50 %
    assert r2(t, p) == pytest.approx(1 - 4 / 5)
    rep = metric_report(t, p, "min", topk=(1, 2))
    assert rep["rmse_pct_mean"] == pytest.approx(100 / 2.5)
    assert rep["rmse_pct_range"] == pytest.approx(100 / 3)
    assert rep["kendall_tau"] == pytest.approx(1.0)
    assert rep["top1_overlap"] == 1.0 and rep["top2_overlap"] == 1.0


def test_perfect_prediction():
    t = np.random.default_rng(0).random(50)
    rep = metric_report(t, t.copy(), "max", topk=(5,))
    assert rep["rmse"] == 0 and rep["r2"] == 1 and rep["kendall_tau"] == pytest.approx(1.0)
    assert rep["top5_overlap"] == 1.0


def test_mape_skips_zero_truths():
    assert mape_pct([0.0, 2.0], [5.0, 3.0]) == pytest.approx(50.0)
    assert math.isnan(mape_pct([0.0], [1.0]))


def test_kendall_tau_matches_scipy_with_ties():
    rng = np.random.default_rng(1)
    t = rng.integers(0, 5, 200).astype(float)
    p = t + rng.normal(0, 1, 200)
    assert kendall_tau(t, p) == pytest.approx(stats.kendalltau(t, p).statistic)
    assert math.isnan(kendall_tau(np.ones(5), np.arange(5.0)))


def test_top_k_overlap_sense_and_ties():
    t = np.array([5.0, 1.0, 3.0, 2.0, 4.0])
    p_good = np.array([50.0, 10.0, 30.0, 20.0, 40.0])
    p_reversed = -p_good
    assert top_k_overlap(t, p_good, 2, "min") == 1.0
    assert top_k_overlap(t, p_reversed, 2, "min") == 0.0
    assert top_k_overlap(t, p_good, 2, "max") == 1.0  # best = highest: designs 0 and 4 on both sides
    assert top_k_overlap(t, p_reversed, 2, "max") == 0.0
    # two designs tie for best: picking either counts
    t_tie = np.array([1.0, 1.0, 3.0])
    assert top_k_overlap(t_tie, np.array([0.0, 5.0, 1.0]), 1, "min") == 1.0
    with pytest.raises(ValueError, match="sense"):
        top_k_overlap(t, p_good, 2, "lowest")


def test_worst_picks_largest_error_and_smallest_tau():
    rep = {"a": {"e": 1.0, "tau": 0.9}, "b": {"e": 3.0, "tau": 0.99}, "c": {"e": float("nan"), "tau": 0.5}}
    assert worst(rep, "e") == ("b", 3.0)
    assert worst(rep, "tau", largest=False) == ("c", 0.5)
