"""Native vector environments: N copies of one archgym environment whose designs are evaluated in one batched call.

``gymnasium.make_vec(id, num_envs=N)`` uses this for every archgym id (each registers it as its
``vector_entry_point``). A step decodes the N actions, evaluates the designs through the
environment's batched path (``evaluate_many``'s, with its cache), and gives each copy exactly the
reward, observation and info that a single environment gives for that design. The copies share one
environment object, since an archgym environment holds no per-episode state beyond its step count
(kept here per copy).

Autoreset follows gymnasium (``metadata["autoreset_mode"]``): ``NextStep`` (gymnasium's default: the
step after an episode ends resets that copy, ignores its action and returns reward 0) or ``SameStep``
(the copy resets in the step that ends it; the last observation and info are in ``infos["final_obs"]``
and ``infos["final_info"]``), which suits one-design episodes.

Each id registers ``vector_entry_point="archgym.core.vector:<id>"``: gymnasium loads it as an attribute
of this module, which :func:`__getattr__` answers with this class bound to the id's own entry point
(read from gymnasium's registry, so this module needs no import of the environments above it).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import gymnasium
import numpy as np
from gymnasium.envs.registration import load_env_creator
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space, iterate

from archgym.core import gym_spaces
from archgym.core.env import ArchGymEnv
from archgym.core.spaces import DesignError


class ArchGymVectorEnv(VectorEnv):
    """``num_envs`` copies of one :class:`~archgym.core.env.ArchGymEnv` (built from ``entry_point`` and ``kwargs``,
    or given as ``env``), stepped with one batched evaluation."""

    def __init__(self, num_envs: int, entry_point: str | None = None, *, env: ArchGymEnv | None = None,
                 autoreset_mode: str | AutoresetMode = AutoresetMode.NEXT_STEP, **kwargs: Any):
        if int(num_envs) != num_envs or num_envs < 1:
            raise ValueError(f"num_envs must be an integer of at least 1, got {num_envs!r}")
        try:
            mode = AutoresetMode(autoreset_mode)
        except ValueError:
            raise ValueError(f"autoreset_mode {autoreset_mode!r} is not allowed; allowed: "
                             f"{[m.value for m in AutoresetMode if m != AutoresetMode.DISABLED]}") from None
        if mode == AutoresetMode.DISABLED:
            raise ValueError("autoreset_mode 'Disabled' is not supported; use 'NextStep' or 'SameStep'")
        kwargs.pop("max_episode_steps", None)  # archgym ends episodes itself (episode_length)
        if env is None:
            if entry_point is None:
                raise ValueError("give the environment's entry_point or an env")
            env = load_env_creator(entry_point)(**kwargs)
        if not isinstance(env, ArchGymEnv):
            raise TypeError(f"ArchGymVectorEnv needs an archgym environment, got {type(env).__name__}")
        self.env = env
        self.num_envs = int(num_envs)
        self.single_action_space = env.action_space
        self.single_observation_space = env.observation_space
        self.action_space = batch_space(env.action_space, self.num_envs)
        self.observation_space = batch_space(env.observation_space, self.num_envs)
        self.metadata = {**env.metadata, "autoreset_mode": mode}
        self.autoreset_mode = mode
        self._t = np.zeros(self.num_envs, dtype=np.int64)
        self._pending_reset = np.zeros(self.num_envs, dtype=bool)
        #: the per-copy info dicts of the last step (as N single environments would return them)
        self.last_infos: list[dict] = [{} for _ in range(self.num_envs)]

    @classmethod
    def from_entry_point(cls, entry_point: str, num_envs: int = 1, **kwargs) -> ArchGymVectorEnv:
        """The ``vector_entry_point`` archgym registers (bound to each id's entry point)."""
        return cls(num_envs, entry_point, **kwargs)

    def reset(self, *, seed: int | list[int | None] | None = None, options: dict | None = None):
        seeds = [seed + i for i in range(self.num_envs)] if isinstance(seed, int) else seed or [None] * self.num_envs
        if len(seeds) != self.num_envs:
            raise ValueError(f"reset: {len(seeds)} seeds for {self.num_envs} environments")
        if seeds[0] is not None:
            self._np_random_seed = seeds[0]
        self.env.reset(seed=seeds[0], options=options)
        self._t[:] = 0
        self._pending_reset[:] = False
        self.last_infos = [{"step": 0} for _ in range(self.num_envs)]
        return self._missing(self.num_envs), stack_infos(self.last_infos)

    def _missing(self, n: int) -> np.ndarray:
        return np.stack([self.env.observation(None) for _ in range(n)]) if n else \
            np.empty((0, *self.single_observation_space.shape))

    def step(self, actions):
        env, n = self.env, self.num_envs
        obs = np.empty(self.observation_space.shape, dtype=np.float64)
        rewards = np.zeros(n, dtype=np.float64)
        terminated = np.zeros(n, dtype=bool)
        truncated = np.zeros(n, dtype=bool)
        infos_list: list[dict] = [{} for _ in range(n)]
        todo, designs = [], []
        for i, action in enumerate(iterate(self.action_space, actions)):
            if self._pending_reset[i]:  # NextStep autoreset: this step resets copy i
                self._pending_reset[i] = False
                self._t[i] = 0
                obs[i] = env.observation(None)
                infos_list[i] = {"step": 0}
                continue
            try:
                designs.append(gym_spaces.decode(env.design_space, action))
            except DesignError as e:
                raise DesignError(f"environment {i} of {n}: {e}") from None
            todo.append(i)
        evaluations = env._evaluate_valid(designs) if designs else []
        for i, ev in zip(todo, evaluations):
            self._t[i] += 1
            rewards[i], info = env.outcome(ev)
            info["step"] = int(self._t[i])
            obs[i] = env.observation(ev)
            terminated[i] = self._t[i] >= env.episode_length
            if terminated[i] and self.autoreset_mode == AutoresetMode.SAME_STEP:
                info = {**info, "final_obs": obs[i].copy(), "final_info": dict(info)}
                obs[i] = env.observation(None)
                self._t[i] = 0
            elif terminated[i]:
                self._pending_reset[i] = True
            infos_list[i] = info
        if evaluations:
            env.last_evaluation = evaluations[-1]
        self.last_infos = infos_list
        return obs, rewards, terminated, truncated, stack_infos(infos_list)

    def close_extras(self, **kwargs):
        self.env.close()


def stack_infos(infos: list[dict]) -> dict:
    """Per-copy info dicts as gymnasium's vector info: ``infos[key]`` an array over copies and
    ``infos["_" + key]`` the mask of copies that have the key; nested dicts likewise (what
    ``VectorEnv._add_info`` builds one copy at a time, built here one key at a time)."""
    if infos and all(d.keys() == infos[0].keys() for d in infos):  # the usual case: one column per key, in one pass
        out = {}
        every = np.ones(len(infos), dtype=bool)
        for k, col in zip(infos[0], zip(*(d.values() for d in infos))):
            dicts = [isinstance(v, dict) for v in col]
            if any(dicts):  # a copy whose value is not a dict (e.g. None) has no entry there
                out[k] = stack_infos([v if isinstance(v, dict) else {} for v in col])
                out[f"_{k}"] = np.array(dicts, dtype=bool)
                continue
            out[k] = _column(col)
            out[f"_{k}"] = every
        return out
    keys: dict = {}
    for d in infos:
        keys.update(dict.fromkeys(d))
    out = {}
    for k in keys:
        present = np.fromiter((k in d for d in infos), dtype=bool, count=len(infos))
        vals = [d.get(k) for d in infos]
        if any(isinstance(v, dict) for v in vals):
            out[k] = stack_infos([v if isinstance(v, dict) else {} for v in vals])
        elif present.all() and all(isinstance(v, (bool, np.bool_)) for v in vals):
            out[k] = np.array(vals, dtype=bool)
        elif present.all() and all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                                   for v in vals):
            out[k] = np.array(vals)
        else:
            arr = np.empty(len(infos), dtype=object)
            arr[:] = vals if not any(isinstance(v, np.ndarray) for v in vals) else [v for v in vals]
            out[k] = arr
        out[f"_{k}"] = present
    return out


def _column(col: tuple) -> np.ndarray:
    """One key's values over the copies: a numeric or bool array when they all are, else an object array."""
    first = type(col[0])
    if first in (bool, np.bool_) and all(type(v) is first for v in col):
        return np.array(col, dtype=bool)
    if first in (int, float, np.int64, np.float64) and all(type(v) is first for v in col):
        return np.array(col)
    arr = np.empty(len(col), dtype=object)
    arr[:] = list(col)
    return arr


def __getattr__(name: str):
    """``archgym.core.vector:<id>``, the vector entry point of a registered archgym id."""
    if name.startswith("archgym/") and name in gymnasium.registry:
        return partial(ArchGymVectorEnv.from_entry_point, gymnasium.registry[name].entry_point)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ArchGymVectorEnv"]
