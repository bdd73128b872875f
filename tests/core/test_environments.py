"""Every registered environment: gymnasium's checker, determinism, info contents, clear errors.

Parametrised over ``archgym.ENVIRONMENTS``, so an environment is covered the moment it is registered.
"""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import archgym
from archgym.core.env import MISSING, ArchGymEnv
from archgym.core.spaces import DesignError

ENV_IDS = sorted(archgym.ENVIRONMENTS)


@pytest.fixture(scope="module", params=ENV_IDS)
def env_id(request):
    return request.param


def test_registered_and_makeable(env_id):
    env = gym.make(env_id)
    assert isinstance(env.unwrapped, ArchGymEnv)
    assert env.unwrapped.env_id == env_id
    assert env.spec.id == env_id


def test_check_env_passes(env_id):
    check_env(gym.make(env_id).unwrapped, skip_render_check=True)


def test_check_env_passes_with_flat_actions(env_id):
    env = gym.make(env_id, flat_action=True)
    assert isinstance(env.action_space, (gym.spaces.MultiDiscrete, gym.spaces.Box))
    check_env(env.unwrapped, skip_render_check=True)


def _trajectory(env_id, seed, n=6):
    env = gym.make(env_id, episode_length=3)
    obs0, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    out = [obs0]
    for _ in range(n):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        out.append((obs, reward, terminated, info["design"], info["feasible"]))
        if terminated:
            env.reset()
    return out


def _same(a, b):
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, tuple):
        return all(_same(x, y) for x, y in zip(a, b))
    return a == b


def test_same_seed_same_trajectory_bit_for_bit(env_id):
    a, b = _trajectory(env_id, 11), _trajectory(env_id, 11)
    assert all(_same(x, y) for x, y in zip(a, b))


def test_step_info_and_observation(env_id):
    env = gym.make(env_id)
    base = env.unwrapped
    obs, _ = env.reset(seed=0)
    assert np.all(obs == MISSING)
    obs, reward, terminated, truncated, info = env.step(base.encode_action(base.baseline_design))
    for key in ("design", "metrics", "feasible", "violation", "target_met", "predicted", "backend"):
        assert key in info, key
    assert info["design"] == base.design_space.validate(base.baseline_design)
    assert isinstance(info["target_met"], bool)
    assert isinstance(reward, float) and np.isfinite(reward)
    assert terminated and not truncated  # one-step episodes by default
    assert env.observation_space.contains(obs)
    if info["feasible"]:
        assert set(info["metrics"]) == set(base.metrics)
        assert [info["metrics"][m] for m in base.observation_metrics] == obs.tolist()


def test_episode_length_and_bad_arguments(env_id):
    env = gym.make(env_id, episode_length=2)
    env.reset(seed=0)
    a = env.unwrapped.encode_action(env.unwrapped.baseline_design)
    assert env.step(a)[2] is False
    assert env.step(a)[2] is True
    with pytest.raises(ValueError, match="episode_length"):
        gym.make(env_id, episode_length=0)
    with pytest.raises(ValueError, match="reward kind 'nope' is not known"):
        gym.make(env_id, reward="nope")
    with pytest.raises(ValueError, match="backend 'gpu' is not known"):
        gym.make(env_id, backend="gpu")


def test_invalid_design_is_a_clear_error(env_id):
    base = gym.make(env_id).unwrapped
    design = dict(base.baseline_design)
    name = base.design_space.names[0]
    design[name] = "not-a-value"
    with pytest.raises(DesignError, match=f"parameter '{name}'"):
        base.evaluate(design)


def test_evaluate_many_matches_step(env_id):
    """The batched path against step, each in its own instance with the result cache off."""
    env = gym.make(env_id, cache_size=0)
    base = env.unwrapped
    designs = base.design_space.sample_many(8, 5)
    batch = gym.make(env_id, cache_size=0).unwrapped.evaluate_many(designs)
    for d, ev in zip(designs, batch):
        env.reset(seed=0)
        _, reward, _, _, info = env.step(base.encode_action(d))
        assert info["feasible"] == ev.feasible
        assert info["metrics"] == ev.metrics
        assert reward == base.reward_of(ev)
