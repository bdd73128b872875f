"""Native vector environments: ``gymnasium.make_vec`` of every archgym id steps N copies in one batched
call, with rewards, observations and infos identical to N single environments on the same designs."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import archgym
from archgym.core.vector import ArchGymVectorEnv

IDS = sorted(archgym.ENVIRONMENTS)
KWARGS = {"archgym/DRAM-v0": {"workload": "random"}, "archgym/DRAM-v1": {"workload": "random_g1"},
          "archgym/Dataflow-v0": {"mapper_budget": 16}}


def _per_env(infos: dict, i: int) -> dict:
    out = {}
    for k, v in infos.items():
        if k.startswith("_") or not infos.get(f"_{k}", np.ones(i + 1, bool))[i]:
            continue
        out[k] = _per_env(v, i) if isinstance(v, dict) else v[i]
    return out


@pytest.mark.parametrize("env_id", IDS)
def test_make_vec_uses_the_native_vector_env_and_equals_single_envs(env_id):
    n = 3
    venv = gym.make_vec(env_id, num_envs=n, **KWARGS.get(env_id, {}))
    assert isinstance(venv, ArchGymVectorEnv) and venv.metadata["autoreset_mode"] == gym.vector.AutoresetMode.NEXT_STEP
    singles = [gym.make(env_id, **KWARGS.get(env_id, {})) for _ in range(n)]
    venv.reset(seed=0)
    for s in singles:
        s.reset(seed=0)
    venv.action_space.seed(1)
    for step in range(4):  # one-design episodes: steps 1 and 3 are NextStep resets
        actions = venv.action_space.sample()
        obs, rew, term, trunc, infos = venv.step(actions)
        if step % 2 == 1:
            assert np.all(rew == 0) and not term.any() and np.all(obs == -1.0)
            for s in singles:
                s.reset()
            continue
        for i, (a, s) in enumerate(zip(gym.vector.utils.iterate(venv.action_space, actions), singles)):
            o1, r1, t1, tr1, info1 = s.step(a)
            assert r1 == rew[i] and t1 == term[i] and tr1 == trunc[i]
            np.testing.assert_array_equal(o1, obs[i])
            assert venv.last_infos[i] == info1
            got = _per_env(infos, i)
            assert got["metrics"] == info1["metrics"] and got["feasible"] == info1["feasible"]


def test_same_step_autoreset_and_errors():
    venv = gym.make_vec("archgym/Synthetic-v0", num_envs=2, autoreset_mode="SameStep")
    venv.reset(seed=0)
    obs, rew, term, _, infos = venv.step(venv.action_space.sample())
    assert term.all() and np.all(obs == -1.0) and "final_obs" in infos
    assert np.all(np.stack(list(infos["final_obs"])) > 0)
    obs, rew, term, _, _ = venv.step(venv.action_space.sample())
    assert term.all() and np.all(rew != 0)  # no reset step in between
    with pytest.raises(ValueError, match="autoreset_mode 'Later' is not allowed"):
        gym.make_vec("archgym/Synthetic-v0", num_envs=2, autoreset_mode="Later")
    bad = venv.action_space.sample()
    bad["x0"] = np.array([0, 99])
    with pytest.raises(ValueError, match="environment 1 of 2"):
        venv.step(bad)


def test_sb3_ppo_trains_on_the_vector_env():
    """SB3's PPO learns directly on SB3VecEnv (8 copies of Synthetic-v0): the mean reward of its last 256
    episodes is above that of its first 256 (tolerance: any improvement, over 2,048 episodes)."""
    pytest.importorskip("stable_baselines3")
    torch = pytest.importorskip("torch")
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback

    from archgym.sb3_vec_env import SB3VecEnv

    torch.set_num_threads(1)
    venv = SB3VecEnv("archgym/Synthetic-v0", num_envs=8)
    rewards: list[float] = []

    class Log(BaseCallback):
        def _on_step(self) -> bool:
            rewards.extend(float(r) for r in self.locals["rewards"])
            return True

    PPO("MlpPolicy", venv, n_steps=32, batch_size=64, learning_rate=3e-3, seed=0, device="cpu").learn(2048, callback=Log())
    assert len(rewards) == 2048
    assert np.mean(rewards[-256:]) > np.mean(rewards[:256])
