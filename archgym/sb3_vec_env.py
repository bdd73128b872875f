"""Stable-Baselines3 on archgym's native vector environments: ``SB3VecEnv(id, num_envs)`` is an SB3 ``VecEnv``.

SB3 steps its own ``VecEnv`` type; this adapter gives it an :class:`~archgym.core.vector.ArchGymVectorEnv`
(flat ``MultiDiscrete`` actions, ``SameStep`` autoreset, which is SB3's convention), so the N designs of
each SB3 step are evaluated in one batched call. ``dones`` is terminated or truncated; a finished copy's
last observation is in ``infos[i]["terminal_observation"]`` and ``infos[i]["TimeLimit.truncated"]`` says
whether it was cut short, as SB3 expects. Needs the ``rl`` extra.

    from stable_baselines3 import PPO
    from archgym.sb3_vec_env import SB3VecEnv
    PPO("MlpPolicy", SB3VecEnv("archgym/SystolicArray-v0", num_envs=8), seed=0).learn(4096)
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv

from archgym.core.vector import ArchGymVectorEnv


class SB3VecEnv(VecEnv):
    """``num_envs`` copies of the archgym environment ``env_id`` (``kwargs`` go to its constructor)."""

    def __init__(self, env_id: str, num_envs: int = 8, **kwargs: Any):
        kwargs = {**kwargs, "flat_action": True}
        self.venv: ArchGymVectorEnv = gymnasium.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point",
                                                         autoreset_mode="SameStep", **kwargs)
        super().__init__(num_envs, self.venv.single_observation_space, self.venv.single_action_space)
        self._actions = None

    def reset(self) -> np.ndarray:
        seed = self._seeds[0]
        obs, _ = self.venv.reset(seed=seed)
        self.reset_infos = list(self.venv.last_infos)
        self._seeds = [None] * self.num_envs
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions).reshape(self.action_space.shape if self.num_envs == 1 else
                                                    (self.num_envs, *self.action_space.shape))

    def step_wait(self):
        obs, rewards, terminated, truncated, _ = self.venv.step(self._actions)
        dones = terminated | truncated
        infos = []
        for i, info in enumerate(self.venv.last_infos):
            info = dict(info)
            if dones[i]:
                info["terminal_observation"] = info.pop("final_obs", obs[i])
                info.pop("final_info", None)
                info["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
            infos.append(info)
        return obs, rewards.astype(np.float32), dones, infos

    def close(self) -> None:
        self.venv.close()

    def _indices(self, indices) -> list[int]:
        if indices is None:
            return list(range(self.num_envs))
        return [indices] if isinstance(indices, int) else list(indices)

    def get_attr(self, attr_name: str, indices=None) -> list[Any]:
        """Attributes of the one shared environment, once per copy."""
        return [getattr(self.venv.env, attr_name) for _ in self._indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices=None) -> None:
        setattr(self.venv.env, attr_name, value)

    def env_method(self, method_name: str, *args, indices=None, **kwargs) -> list[Any]:
        return [getattr(self.venv.env, method_name)(*args, **kwargs) for _ in self._indices(indices)]

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        return [False for _ in self._indices(indices)]


__all__ = ["SB3VecEnv"]
