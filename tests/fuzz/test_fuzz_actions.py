"""Hostile actions and designs against every environment: DesignError (a ValueError naming the parameter)
or a finite answer, the same every time."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import archgym
from archgym.core.spaces import DesignError

from .conftest import FAST, LONG, finite_numbers, hostile_values

CHEAP = ["archgym/Synthetic-v0", "archgym/SoC-v0", "archgym/Mapping-v0", "archgym/SystolicArray-v0",
         "archgym/DistributedTraining-v0", "archgym/SoC-v1"]
#: environments whose one evaluation takes tens of milliseconds: fewer examples in the default run
COSTLY = {"archgym/DRAM-v0": {"workload": "random"}, "archgym/DRAM-v1": {"workload": "random_g1"},
          "archgym/Dataflow-v0": {"mapper_budget": 16}}
ENVS = {**{e: {} for e in CHEAP}, **COSTLY}
_made: dict = {}


def _env(env_id, flat=False):
    key = (env_id, flat)
    if key not in _made:
        _made[key] = gym.make(env_id, flat_action=flat, **ENVS[env_id]).unwrapped
    return _made[key]


def _check_step(env, action):
    """One step: a DesignError naming a parameter, or a finite observation and reward; deterministic."""
    env.reset(seed=0)
    try:
        obs, reward, *_ , info = env.step(action)
    except DesignError as e:
        assert str(e), "an error must say what was wrong"
        return "error"
    assert np.all(np.isfinite(obs)) and np.isfinite(reward)
    assert finite_numbers(info["metrics"].values()), info["metrics"]
    env.reset(seed=0)
    again = env.step(action)
    assert again[1] == reward and again[4]["metrics"] == info["metrics"]
    return "ok"


def _dict_action(env, data):
    action = {}
    for p in env.design_space:
        if data.draw(st.booleans()):
            action[p.name] = data.draw(hostile_values)
        elif p.is_discrete:
            action[p.name] = data.draw(st.integers(0, p.n - 1))
        else:
            action[p.name] = np.array([data.draw(st.floats(p.low, p.high))])
    if data.draw(st.integers(0, 9)) == 0:
        action[data.draw(st.sampled_from(["bogus", env.design_space.names[0] + "x"]))] = 0
    if data.draw(st.integers(0, 9)) == 0:
        action.pop(env.design_space.names[-1])
    return action


@pytest.mark.parametrize("env_id", sorted(ENVS))
@settings(max_examples=FAST)
@given(data=st.data())
def test_hostile_dict_actions(env_id, data):
    if env_id in COSTLY and data.draw(st.integers(0, 3)) != 0:  # evaluate a quarter of the examples
        return
    _check_step(_env(env_id), _dict_action(_env(env_id), data))


@pytest.mark.parametrize("env_id", sorted(ENVS))
@settings(max_examples=FAST)
@given(data=st.data())
def test_hostile_flat_actions(env_id, data):
    if env_id in COSTLY and data.draw(st.integers(0, 3)) != 0:
        return
    env = _env(env_id, flat=True)
    n = len(env.design_space)
    kind = data.draw(st.integers(0, 4))
    if kind == 0:
        action = data.draw(hostile_values)
    elif kind == 1:
        action = np.array(data.draw(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=n, max_size=n)))
    elif kind == 2:
        action = env.action_space.sample() + data.draw(st.sampled_from([0.6, -1, 1e9, 0.5]))
    elif kind == 3:
        action = np.array(data.draw(st.lists(st.integers(-2, 300), min_size=max(n - 1, 0), max_size=n + 1)))
    else:
        env.action_space.seed(data.draw(st.integers(0, 2**31)))
        action = env.action_space.sample()
    _check_step(env, action)


@pytest.mark.parametrize("env_id", CHEAP)
@settings(max_examples=FAST)
@given(data=st.data())
def test_hostile_designs_in_a_batch_are_named_by_position(env_id, data):
    env = _env(env_id)
    designs = [env.design_space.sample(data.draw(st.integers(0, 2**31))) for _ in range(3)]
    bad = data.draw(st.integers(0, 2))
    p = data.draw(st.sampled_from(env.design_space.names))
    designs[bad] = {**designs[bad], p: data.draw(hostile_values)}
    try:
        env.design_space.validate(designs[bad])
        valid = True
    except DesignError:
        valid = False
    if valid:
        out = env.evaluate_many(designs)
        assert all(finite_numbers(e.metrics.values()) for e in out)
        return
    with pytest.raises(DesignError, match=rf"design {bad} of 3: .*{p}"):
        env.evaluate_many(designs)
    soft = env.evaluate_many(designs, invalid="infeasible")
    assert not soft[bad].feasible and p in soft[bad].violation


@pytest.mark.slow
@pytest.mark.parametrize("env_id", CHEAP)
@settings(max_examples=LONG)
@given(data=st.data())
def test_hostile_dict_actions_long(env_id, data):
    _check_step(_env(env_id), _dict_action(_env(env_id), data))


def test_every_registered_environment_is_fuzzed():
    assert set(ENVS) == set(archgym.ENVIRONMENTS)
