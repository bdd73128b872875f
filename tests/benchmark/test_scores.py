"""Normalised score, regret and significance on tables whose answers are worked out by hand."""

import numpy as np
import pandas as pd
import pytest

from archgym.benchmark.scores import best_at_budgets, normalised_scores, significance


def _rows(agent: str, seed: int, rewards: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"run_id": f"{agent}-{seed}", "agent": agent, "seed": seed, "step": range(len(rewards)),
                         "reward": rewards})


def test_best_at_budgets_reads_the_best_of_each_prefix():
    t = best_at_budgets(_rows("ga", 0, [-5.0, -3.0, -4.0, -1.0]), [1, 2, 4, 5])
    assert t["best"].iloc[:3].tolist() == [-5.0, -3.0, -1.0]
    assert np.isnan(t["best"].iloc[3]), "a budget longer than the run is missing, not its last value"


def test_normalised_score_is_100_at_the_optimum_and_0_at_random_searchs_median():
    # random search's best at budget 1 over seeds: 1, 2, 3 -> median 2; optimum 4
    rows = pd.concat([_rows("random", s, [v]) for s, v in enumerate([1.0, 2.0, 3.0])]
                     + [_rows("ga", s, [v]) for s, v in enumerate([4.0, 3.0, 1.0])])
    t = normalised_scores(best_at_budgets(rows, [1]), optimum=4.0).set_index("run_id")
    assert t.loc["ga-0", "score"] == 100.0 and t.loc["ga-1", "score"] == 50.0 and t.loc["ga-2", "score"] == -50.0
    assert t.loc["random-1", "score"] == 0.0
    assert t.loc["ga-2", "regret"] == 3.0 and t.loc["ga-0", "regret"] == 0.0


def test_no_score_where_random_search_already_reaches_the_optimum():
    rows = pd.concat([_rows("random", 0, [4.0]), _rows("ga", 0, [4.0])])
    t = normalised_scores(best_at_budgets(rows, [1]), optimum=4.0)
    assert t["score"].isna().all(), "0/0 is not a score"


def test_scores_need_random_search():
    with pytest.raises(ValueError, match="agent 'random'"):
        normalised_scores(best_at_budgets(_rows("ga", 0, [1.0]), [1]), optimum=2.0)


def test_significance_separates_a_clearly_better_agent_and_ties_equal_ones():
    rng = np.random.default_rng(0)
    rows = pd.concat([_rows("random", s, [float(v)]) for s, v in enumerate(rng.normal(0, 1, 10))]
                     + [_rows("good", s, [float(v)]) for s, v in enumerate(rng.normal(10, 1, 10))]
                     + [_rows("also-good", s, [float(v)]) for s, v in enumerate(rng.normal(10, 1, 10))])
    s = significance(normalised_scores(best_at_budgets(rows, [1]), optimum=20.0)).set_index("agent")
    assert s.loc["good", "beats_random"] and s.loc["also-good", "beats_random"]
    assert s.loc["good", "p_vs_random"] < 1e-3
    assert s.loc["good", "tied_with_leader"] and s.loc["also-good", "tied_with_leader"]
    assert not s.loc["random", "tied_with_leader"] and not s.loc["random", "beats_random"]
    assert s["leader"].sum() == 1


def test_equal_results_are_no_evidence_of_a_difference():
    rows = pd.concat([_rows(a, s, [1.0]) for a in ("random", "ga") for s in range(5)])
    s = significance(normalised_scores(best_at_budgets(rows, [1]), optimum=2.0)).set_index("agent")
    assert not s["beats_random"].any()
    assert s.loc["ga", "p_vs_random"] == 1.0 or s.loc["random", "p_vs_leader"] == 1.0
