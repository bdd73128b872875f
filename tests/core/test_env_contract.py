"""The environment contract written once in archgym.core.env: nothing simulated at construction,
a bounded per-instance result cache keyed on the design's content, and errors that say which design."""

from __future__ import annotations

import gymnasium as gym
import pytest

import archgym
from archgym.core.env import ArchGymEnv, BaselineTargets, Metric
from archgym.core.spaces import DesignError, DesignSpace, Integer


class Counting(ArchGymEnv):
    """A one-parameter environment that counts its simulator calls."""

    env_id = "test/Counting-v0"

    def __init__(self, **kwargs):
        self.calls = 0
        super().__init__(DesignSpace([Integer("x", 0, 9)]), [Metric("cost", "a.u.")], workload="w",
                         default_targets=BaselineTargets({"cost": 0.5}), **kwargs)

    @property
    def baseline_design(self):
        return {"x": 9}

    def simulate(self, design):
        self.calls += 1
        return {"cost": 1.0 + design["x"]}


def test_construction_simulates_nothing_and_targets_come_from_the_baseline_on_first_use():
    env = Counting()
    assert env.calls == 0
    assert env.default_targets == {"cost": 0.5 * 10.0}  # 0.5 x the baseline's cost
    assert env.calls == 1
    assert env.reward_fn.targets == {"cost": 5.0}
    assert env.baseline_metrics == {"cost": 10.0}
    assert env.calls == 1  # the baseline is simulated once


@pytest.mark.parametrize("env_id", sorted(archgym.ENVIRONMENTS))
def test_gym_make_simulates_nothing(env_id, monkeypatch):
    cls = gym.spec(env_id).entry_point
    module, _, name = cls.partition(":")
    env_cls = getattr(__import__(module, fromlist=[name]), name)

    def refuse(self, designs):
        raise AssertionError(f"{env_id}: gym.make simulated {len(designs)} design(s)")

    monkeypatch.setattr(env_cls, "simulate_batch", refuse)
    env = gym.make(env_id)
    env.reset(seed=0)


def test_results_are_cached_per_instance_bounded_and_reusable():
    env = Counting(cache_size=2)
    env.evaluate({"x": 1})
    env.evaluate({"x": 1})
    assert env.calls == 1
    env.evaluate_many([{"x": 2}, {"x": 3}, {"x": 3}])
    assert env.calls == 3 and len(env._cache) == 2  # x=1 evicted (least recently used)
    env.evaluate({"x": 1})
    assert env.calls == 4
    assert Counting().evaluate({"x": 1}).metrics == {"cost": 2.0}  # another instance has its own cache


def test_a_batch_larger_than_the_cache_returns_its_cached_designs_too():
    """A batch whose fresh designs overflow the cache used to evict its own cache hits before reading
    them (KeyError at ``archgym collect``'s 8,192-design chunks against the 4,096-entry cache)."""
    env = Counting(cache_size=2)
    env.evaluate({"x": 1})
    out = env.evaluate_many([{"x": 1}, {"x": 2}, {"x": 3}, {"x": 4}, {"x": 1}])
    assert [e.metrics["cost"] for e in out] == [2.0, 3.0, 4.0, 5.0, 2.0]
    assert env.calls == 4 and len(env._cache) == 2


def test_cache_can_be_turned_off_and_its_size_is_validated():
    env = Counting(cache_size=0)
    env.evaluate({"x": 1})
    env.evaluate({"x": 1})
    assert env.calls == 2
    for bad in (-1, 1.5, True, "8"):
        with pytest.raises(ValueError, match="cache_size must be an integer >= 0"):
            Counting(cache_size=bad)


def test_an_edited_workload_file_is_read_again_by_a_new_environment(tmp_path):
    """Issue 13 item 2: no process-wide cache keyed by a file's path."""
    from archgym.envs.dataflow import DataflowEnv

    net = tmp_path / "net.csv"
    header = "layer,type,H,W,C,K,R,S,stride,padding,groups,repeat\n"
    net.write_text(header + "c1,conv,14,14,16,16,3,3,1,1,1,1\n")
    one = DataflowEnv(workload=str(net), mapper_budget=16)
    d = one.baseline_design
    m1 = one.evaluate(d).metrics
    net.write_text(header + "c1,conv,14,14,16,16,3,3,1,1,1,1\nc2,conv,14,14,16,32,3,3,1,1,1,1\n")
    m2 = DataflowEnv(workload=str(net), mapper_budget=16).evaluate(d).metrics
    assert m2["energy_uj"] > m1["energy_uj"]


def test_dram_designs_that_differ_only_in_ignored_knobs_share_one_simulation():
    env = gym.make("archgym/DRAM-v0", workload="random").unwrapped
    d = dict(env.baseline_design, RefreshPolicy="NoRefresh", RefreshMaxPostponed=0)
    e = dict(d, RefreshMaxPostponed=8)  # ignored without refresh
    assert env.cache_key(env.design_space.validate(d)) == env.cache_key(env.design_space.validate(e))
    assert env.evaluate(d).metrics == env.evaluate(e).metrics


def test_a_bad_design_in_a_batch_is_named_by_its_position():
    env = Counting()
    with pytest.raises(DesignError, match=r"design 1 of 3: .*'x'.*10"):
        env.evaluate_many([{"x": 1}, {"x": 10}, {"x": 2}])


def test_unknown_backend_and_stray_model_are_refused():
    with pytest.raises(ValueError, match="backend 'nope' is not known; allowed: \\['simulator', 'surrogate'\\]"):
        Counting(backend="nope")
    with pytest.raises(ValueError, match="model is only used"):
        Counting(model="m.surrogate")


def test_invalid_designs_can_come_back_as_infeasible_evaluations():
    env = Counting()
    out = env.evaluate_many([{"x": 1}, {"x": 10}, {"x": 2.5}, {"x": 2}], invalid="infeasible")
    assert [e.feasible for e in out] == [True, False, False, True]
    assert [e.metrics.get("cost") for e in out] == [2.0, None, None, 3.0]
    assert "invalid design" in out[1].violation and "'x'" in out[1].violation
    assert env.calls == 2
    with pytest.raises(ValueError, match="invalid: value 'skip' is not allowed"):
        env.evaluate_many([{"x": 1}], invalid="skip")
