"""Reward families: one direction (higher is better), target_met, clear errors."""

import pytest

from archgym.core.rewards import RewardError, TargetDistance, TargetHinge, Weighted, make_reward

SENSES = {"latency": "min", "energy": "min", "bandwidth": "max"}


def test_target_distance_is_archgym_normalised_distance():
    r = TargetDistance({"latency": 100.0, "bandwidth": 10.0}, SENSES)
    assert r({"latency": 100.0, "bandwidth": 10.0, "energy": 5}) == 0.0
    assert r({"latency": 150.0, "bandwidth": 10.0, "energy": 5}) == pytest.approx(-0.5)
    # overshooting a target also counts as distance (ArchGym's form)
    assert r({"latency": 50.0, "bandwidth": 12.0, "energy": 5}) == pytest.approx(-0.5 - 0.2)
    assert r.target_met({"latency": 50.0, "bandwidth": 12.0})
    assert not r.target_met({"latency": 101.0, "bandwidth": 12.0})
    assert not r.target_met({"latency": 50.0, "bandwidth": 9.0})


def test_hinge_only_penalises_missing_targets():
    r = TargetHinge({"latency": 100.0, "bandwidth": 10.0}, SENSES)
    assert r({"latency": 50.0, "bandwidth": 20.0}) == 0.0
    assert r({"latency": 120.0, "bandwidth": 5.0}) == pytest.approx(-0.2 - 0.5)


def test_higher_is_better_everywhere():
    better, worse = {"latency": 90.0, "energy": 1.0, "bandwidth": 12.0}, {"latency": 200.0, "energy": 3.0, "bandwidth": 4.0}
    for r in (
        TargetHinge({"latency": 80.0, "bandwidth": 20.0}, SENSES),
        Weighted({"latency": 1.0, "energy": 2.0, "bandwidth": 1.0}, SENSES, scales={"latency": 100, "energy": 1, "bandwidth": 10}),
    ):
        assert r(better) > r(worse)


def test_weighted_target_met_and_objectives():
    r = Weighted({"latency": 1.0}, SENSES, targets={"latency": 100.0})
    assert r({"latency": 80.0}) == -80.0
    assert r.target_met({"latency": 80.0}) and not r.target_met({"latency": 120.0})
    assert r.objectives({"latency": 80.0}) == {"latency": -80.0}


def test_infeasible_gets_the_penalty():
    r = TargetDistance({"latency": 1.0}, SENSES, infeasible_reward=-7.0)
    assert r({}, feasible=False) == -7.0
    assert not r.target_met({"latency": 0.5}, feasible=False)


def test_errors_name_the_problem():
    with pytest.raises(RewardError, match="reward kind 'best' is not known; allowed"):
        make_reward("best", SENSES, targets={"latency": 1.0})
    with pytest.raises(RewardError, match=r"unknown metric\(s\) \['power'\]"):
        make_reward("target", SENSES, targets={"power": 1.0})
    with pytest.raises(RewardError, match="finite non-zero"):
        make_reward("target", SENSES, targets={"latency": 0.0})
    with pytest.raises(RewardError, match="sense of metric"):
        TargetDistance({"latency": 1.0}, {"latency": "smaller"})


def test_weighted_needs_weights_and_scales_terms_by_their_targets():
    """Without weights raw metrics of different units would be summed 1:1 (cycles ~1e7 swamp energy ~1):
    make_reward refuses, and by default each term is relative to its target."""
    with pytest.raises(RewardError, match="reward 'weighted' needs weights="):
        make_reward("weighted", SENSES, targets={"latency": 100.0, "energy": 2.0})
    r = make_reward("weighted", SENSES, targets={"latency": 100.0, "energy": 2.0}, weights={"latency": 1.0, "energy": 1.0})
    assert r.scales == {"latency": 100.0, "energy": 2.0}
    assert r({"latency": 100.0, "energy": 2.0}) == pytest.approx(-2.0)
    r = make_reward("weighted", SENSES, targets={"latency": 100.0}, weights={"latency": 1.0}, scales={"latency": 1.0})
    assert r({"latency": 100.0}) == -100.0


def test_env_with_weighted_reward_and_no_weights_fails_at_construction():
    import gymnasium as gym

    import archgym  # noqa: F401  (registers the ids)

    with pytest.raises(RewardError, match="needs weights="):
        gym.make("archgym/SystolicArray-v0", reward="weighted")


def _three(r, metrics, feasible):
    return r(metrics, feasible), r.target_met(metrics, feasible), (r.objectives(metrics) if feasible else {})


@pytest.mark.parametrize("metrics", [{"latency": 100.0, "bandwidth": 10.0, "energy": 5.0},
                                     {"latency": 150.5, "bandwidth": 3.25, "energy": 5.0},
                                     {"latency": 10.0, "bandwidth": 30.0, "energy": 1.0},
                                     {"latency": float("nan"), "bandwidth": 10.0, "energy": 1.0}])
def test_terms_equal_reward_target_met_and_objectives(metrics):
    """``terms`` (one pass, what a step reports) is exactly the three separate calls, infeasible too; a subclass
    that overrides one of the methods a fused form stands for is scored through its own methods."""

    class Stricter(TargetDistance):
        def target_met(self, metrics, feasible=True):
            return False

    class Doubled(TargetHinge):
        def _score(self, metrics):
            return 2 * super()._score(metrics)

    targets = {"latency": 120.0, "bandwidth": 8.0}
    for r in (TargetDistance(targets, SENSES), TargetHinge(targets, SENSES), Stricter(targets, SENSES),
              Doubled(targets, SENSES), Weighted({"latency": 1.0, "energy": 2.0}, SENSES, targets={"latency": 1e3}),
              make_reward("target", SENSES, targets={"energy": 2.0})):
        for feasible in (True, False):
            got, want = r.terms(metrics, feasible), _three(r, metrics, feasible)
            assert repr(got) == repr(want), type(r).__name__
    assert TargetDistance(targets, SENSES)._has_fused_terms()
    assert not Stricter(targets, SENSES)._has_fused_terms() and not Doubled(targets, SENSES)._has_fused_terms()
