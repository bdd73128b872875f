"""Stable-Baselines3's PPO, A2C and DQN behind archgym's ask/tell interface (the ``rl`` extra).

SB3 drives an environment itself (``model.learn`` calls ``step``), while an archgym agent is driven
(``ask`` hands designs out, ``tell`` brings rewards back). The bridge: SB3 learns, in a worker
thread, on a small vectorised environment of ``batch_size`` one-step episodes (ArchGym's
formulation: a constant observation, the action is a whole design, the reward is the env reward of
that design, then the episode ends). Its ``step_wait`` puts the batch of actions SB3 chose into a
queue and blocks until the rewards come back; ``ask`` takes designs from that queue, ``tell``
returns their rewards and then waits until SB3 has chosen its next batch. So exactly one of the
two threads runs at any time: SB3's own rollout, buffers, schedules and updates are untouched, and
the run is as repeatable as SB3 is. For that the worker's random state (Python's ``random``,
numpy's global generator and torch's) is saved whenever it hands control back and restored when
it resumes, and the caller's state is restored in turn, so interleaved agents do not disturb each
other; SB3 is seeded (``seed``, which seeds the three generators and the action space) and torch
runs on one thread while SB3 works.

Action spaces: PPO and A2C act on the flat ``MultiDiscrete`` of choice indices (a factored
categorical policy, one choice per parameter). DQN needs one ``Discrete`` action: the design
index in the mixed-radix numbering of the choices, refused (ValueError naming the size) when the
space has more than ``max_designs`` designs -- the Q-network's output layer has one unit per design.

A design SB3 samples again is not sent to the simulator again: its known reward is handed back to
SB3 at once (a free step, at most ``MAX_FREE_STEPS`` per asked design). Designs asked beyond the
batch SB3 has out (``ask(n)`` with ``n`` above what is outstanding) are drawn uniformly at random
and not learned from. SB3's ``learn`` runs over ``total_timesteps`` steps (the horizon its
schedules, e.g. DQN's exploration decay, are planned over) and is restarted, continuing, if the
budget is longer.
"""

from __future__ import annotations

import math
import queue
import random
import threading
import weakref
from collections import deque
from typing import Any

import numpy as np

from archgym.core.spaces import DesignSpace

from .base import Agent
from .choices import ChoiceGrid

MAX_FREE_STEPS = 64  # known designs handed back to SB3 at once, per asked design, before one is asked again
INFEASIBLE_REWARD = -100.0  # what SB3 is told for a non-finite reward (archgym's infeasibility penalty)


def _import_sb3():
    try:
        import stable_baselines3
        import torch
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise ImportError("the sb3-* agents need Stable-Baselines3 and torch: pip install \"archgym[rl]\"") from e
    return stable_baselines3, torch


class _Stop(Exception):
    """Raised inside SB3's learn when the agent is closed: unwinds the worker thread."""


def _capture(torch) -> tuple:
    return random.getstate(), np.random.get_state(), torch.get_rng_state(), torch.get_num_threads()


def _restore(torch, state: tuple) -> None:
    random.setstate(state[0])
    np.random.set_state(state[1])
    torch.set_rng_state(state[2])
    torch.set_num_threads(state[3])


def _make_vec_env(n_envs: int, action_space, to_worker: queue.Queue, to_agent: queue.Queue, torch):
    """The vectorised environment SB3 learns on: ``n_envs`` one-step episodes per step, whose
    actions go out through ``to_agent`` and whose rewards come back through ``to_worker``."""
    import gymnasium as gym
    from stable_baselines3.common.vec_env import VecEnv

    class BridgeVecEnv(VecEnv):
        def __init__(self):
            obs_space = gym.spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float32)
            super().__init__(n_envs, obs_space, action_space)
            self.state: tuple | None = None  # the worker's random state while it waits
            self._actions = None

        def _obs(self) -> np.ndarray:
            return np.ones((self.num_envs, 1), dtype=np.float32)

        def reset(self):
            return self._obs()

        def step_async(self, actions):
            self._actions = np.array(actions, copy=True)

        def step_wait(self):
            self.state = _capture(torch)
            to_agent.put(("actions", self._actions))
            rewards = to_worker.get()
            if rewards is None:
                raise _Stop
            _restore(torch, self.state)
            obs = self._obs()
            infos = [{"terminal_observation": o, "TimeLimit.truncated": False} for o in obs]
            return obs, np.asarray(rewards, dtype=np.float32), np.ones(self.num_envs, dtype=bool), infos

        def close(self):
            pass

        def get_attr(self, attr_name, indices=None):
            return [getattr(self, attr_name, None) for _ in range(self.num_envs)]

        def set_attr(self, attr_name, value, indices=None):
            pass

        def env_method(self, method_name, *args, indices=None, **kwargs):
            return [None] * self.num_envs

        def env_is_wrapped(self, wrapper_class, indices=None):
            return [False] * self.num_envs

    return BridgeVecEnv()


def _learn(sb3, torch, algorithm: str, kwargs: dict, seed: int, total_timesteps: int, venv, box: dict,
           to_agent: queue.Queue) -> None:
    """The worker thread: build the SB3 model (seeded) and learn on the bridge environment until stopped.
    It holds no reference to the agent, so that an agent dropped mid-run is collected (and its worker stopped)."""
    try:
        torch.manual_seed(seed)
        box["model"] = getattr(sb3, algorithm)("MlpPolicy", venv, seed=seed, device="cpu", verbose=0, **kwargs)
        # a logger with no outputs: SB3's default creates a folder in the temp directory for every model
        from stable_baselines3.common.logger import Logger

        box["model"].set_logger(Logger(folder=None, output_formats=[]))
        reset = True
        while True:  # a budget longer than the horizon: learn on, the schedules at their final values
            box["model"].learn(total_timesteps=total_timesteps, reset_num_timesteps=reset)
            reset = False
    except _Stop:
        return
    except BaseException as e:  # handed to the agent, raised by its next ask or tell
        to_agent.put(("error", e))


def _stop(to_worker: queue.Queue, thread: threading.Thread | None) -> None:
    """Tell a worker blocked in step_wait to unwind (used by close() and when the agent is collected)."""
    if thread is not None and thread.is_alive():
        to_worker.put(None)


class SB3Agent(Agent):
    """Base of the SB3 agents: the bridge thread, action encoding and ask/tell bookkeeping.

    Subclasses set ``algorithm`` (the SB3 class name), ``discrete`` and implement ``_model_kwargs``.
    """

    name = "sb3"
    algorithm = "PPO"
    discrete = False  # one Discrete action (DQN) instead of the flat MultiDiscrete

    def __init__(self, space: DesignSpace, seed: int | None = None, batch_size: int = 8, learning_rate: float = 3e-3,
                 total_timesteps: int = 10_000, real_bins: int = 16):
        super().__init__(space, seed)
        for key, v in (("batch_size", batch_size), ("total_timesteps", total_timesteps)):
            if int(v) < 1:
                raise ValueError(f"{key} must be >= 1, got {v!r}")
        if not float(learning_rate) > 0:
            raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")
        self.sb3, self.torch = _import_sb3()
        self.batch_size, self.learning_rate = int(batch_size), float(learning_rate)
        self.total_timesteps, self.real_bins = int(total_timesteps), int(real_bins)
        self.grid = ChoiceGrid(space, real_bins)
        self._sb3_seed = int(self.rng.integers(2**31 - 1))
        gym_spaces = __import__("gymnasium").spaces
        if self.discrete:
            self._check_discrete_size()
            self.action_space = gym_spaces.Discrete(int(np.prod(self.grid.sizes)))
        else:
            self.action_space = gym_spaces.MultiDiscrete(self.grid.sizes)
        self._to_worker: queue.Queue = queue.Queue()
        self._to_agent: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._box: dict = {}  # the worker puts the SB3 model here
        self._asked_slots: deque = deque()  # (slot in SB3's batch or None, design key), asked and not told
        self._ready: deque = deque()  # rows SB3 has chosen, not yet asked
        self._batch: list[tuple | None] = []  # keys of the rows of SB3's outstanding batch
        self._batch_rewards: list[float | None] = []  # their rewards as they are told
        self._known: dict[tuple, float] = {}  # design key -> reward
        self._finalizer = None

    def _check_discrete_size(self) -> None:
        size = self.grid.size
        limit = getattr(self, "max_designs", 100_000)
        if size > limit:
            raise ValueError(f"{self.name} needs one Discrete action per design, and this space has {size:.4g} "
                             f"designs (> max_designs={limit}): use sb3-ppo or sb3-a2c (MultiDiscrete), or a "
                             "smaller space")

    # -- actions <-> rows ---------------------------------------------------------------------------
    def _rows(self, actions: np.ndarray) -> np.ndarray:
        if self.discrete:
            return np.stack(np.unravel_index(np.asarray(actions, dtype=np.int64).ravel(), self.grid.sizes), axis=1)
        return np.asarray(actions, dtype=np.int64).reshape(-1, self.grid.n_params)

    # -- the SB3 side -------------------------------------------------------------------------------
    def _model_kwargs(self) -> dict[str, Any]:
        raise NotImplementedError

    def _resume(self, rewards: list[float] | None) -> None:
        """Let SB3 run until it has chosen its next batch of actions (first call: start it)."""
        mine = _capture(self.torch)
        self.torch.set_num_threads(1)
        try:
            if self._thread is None:
                venv = _make_vec_env(self.batch_size, self.action_space, self._to_worker, self._to_agent, self.torch)
                kwargs = {"learning_rate": self.learning_rate, **self._model_kwargs()}
                self._thread = threading.Thread(target=_learn, daemon=True, name=f"archgym-{self.name}",
                                                args=(self.sb3, self.torch, self.algorithm, kwargs, self._sb3_seed,
                                                      self.total_timesteps, venv, self._box, self._to_agent))
                self._finalizer = weakref.finalize(self, _stop, self._to_worker, self._thread)
                self._thread.start()
            else:
                self._to_worker.put(rewards)
            kind, payload = self._to_agent.get()
        finally:
            _restore(self.torch, mine)
        if kind == "error":
            raise RuntimeError(f"{self.name}: Stable-Baselines3 failed: {payload!r}") from payload
        rows = self._rows(payload)
        self._batch = [self.grid.key(r) for r in rows]
        self._batch_rewards = [None] * len(rows)
        self._ready.extend(zip(range(len(rows)), rows))

    def _give(self, slot: int, reward: float) -> None:
        """A reward for slot ``slot`` of SB3's outstanding batch; the batch complete, SB3 goes on."""
        self._batch_rewards[slot] = float(reward)
        if all(r is not None for r in self._batch_rewards):
            self._resume(list(self._batch_rewards))

    @property
    def model(self):
        """The SB3 model (None until the first ask)."""
        return self._box.get("model")

    def close(self) -> None:
        """Stop SB3's worker thread (also done when the agent is garbage-collected)."""
        if self._finalizer is not None:
            self._finalizer()

    # -- ask/tell -----------------------------------------------------------------------------------
    def ask(self, n: int = 1) -> list[dict]:
        out: list[np.ndarray] = []
        free = 0
        while len(out) < n:
            if not self._ready:
                if self._thread is None:
                    self._resume(None)
                    continue
                # SB3 waits for rewards of designs asked and not told: the rest are random, not learned from
                rows = self.grid.random(n - len(out), self.rng)
                out.extend(rows)
                self._asked_slots.extend((None, self.grid.key(r)) for r in rows)
                break
            slot, row = self._ready.popleft()
            key = self.grid.key(row)
            if key in self._known and free < MAX_FREE_STEPS * n:
                free += 1
                self._give(slot, self._known[key])  # a free step: the simulators are deterministic
                continue
            out.append(row)
            self._asked_slots.append((slot, key))
        return self.grid.decode(np.array(out))

    def tell(self, designs, rewards, infos=None) -> None:
        super().tell(designs, rewards, infos)
        slots = self._asked_slots
        for row, r in zip(self.grid.encode(designs), rewards):
            key = self.grid.key(row)
            r = float(r)
            self._known[key] = r if math.isfinite(r) else INFEASIBLE_REWARD
            match = next((i for i, (_, k) in enumerate(slots) if k == key), None)
            if match is None:
                continue  # a design this agent did not ask for: SB3 did not choose it, nothing to learn
            slot, _ = slots[match]
            del slots[match]
            if slot is not None:
                self._give(slot, self._known[key])


class SB3PPO(SB3Agent):
    """Stable-Baselines3 PPO on the flat MultiDiscrete action (one-step episodes, ask/tell bridge).

    batch_size: parallel one-step episodes SB3 steps at once (designs per ask).
    learning_rate: Adam step size.
    total_timesteps: the horizon SB3's learn (and its schedules) is planned over; learning goes on after it.
    n_steps: steps per environment per rollout (a rollout is ``n_steps * batch_size`` designs).
    minibatch_size: SB3's ``batch_size``, designs per gradient step.
    n_epochs: passes over each rollout.
    ent_coef: weight of the entropy bonus.
    real_bins: levels a continuous parameter is cut into.
    """

    name = "sb3-ppo"
    algorithm = "PPO"

    def __init__(self, space: DesignSpace, seed: int | None = None, batch_size: int = 8, learning_rate: float = 3e-3,
                 total_timesteps: int = 10_000, n_steps: int = 8, minibatch_size: int = 32, n_epochs: int = 10,
                 ent_coef: float = 0.01, real_bins: int = 16):
        for key, v in (("n_steps", n_steps), ("minibatch_size", minibatch_size), ("n_epochs", n_epochs)):
            if int(v) < 1:
                raise ValueError(f"{key} must be >= 1, got {v!r}")
        if float(ent_coef) < 0:
            raise ValueError(f"ent_coef must be >= 0, got {ent_coef!r}")
        self.n_steps, self.minibatch_size, self.n_epochs = int(n_steps), int(minibatch_size), int(n_epochs)
        self.ent_coef = float(ent_coef)
        super().__init__(space, seed, batch_size, learning_rate, total_timesteps, real_bins)

    def _model_kwargs(self) -> dict[str, Any]:
        return {"n_steps": self.n_steps, "batch_size": self.minibatch_size, "n_epochs": self.n_epochs,
                "ent_coef": self.ent_coef, "gamma": 0.0}


class SB3A2C(SB3Agent):
    """Stable-Baselines3 A2C on the flat MultiDiscrete action (one-step episodes, ask/tell bridge).

    batch_size: parallel one-step episodes SB3 steps at once (designs per ask).
    learning_rate: RMSprop step size.
    total_timesteps: the horizon SB3's learn (and its schedules) is planned over; learning goes on after it.
    n_steps: steps per environment per update.
    ent_coef: weight of the entropy bonus.
    real_bins: levels a continuous parameter is cut into.
    """

    name = "sb3-a2c"
    algorithm = "A2C"

    def __init__(self, space: DesignSpace, seed: int | None = None, batch_size: int = 8, learning_rate: float = 3e-3,
                 total_timesteps: int = 10_000, n_steps: int = 4, ent_coef: float = 0.01, real_bins: int = 16):
        if int(n_steps) < 1:
            raise ValueError(f"n_steps must be >= 1, got {n_steps!r}")
        if float(ent_coef) < 0:
            raise ValueError(f"ent_coef must be >= 0, got {ent_coef!r}")
        self.n_steps, self.ent_coef = int(n_steps), float(ent_coef)
        super().__init__(space, seed, batch_size, learning_rate, total_timesteps, real_bins)

    def _model_kwargs(self) -> dict[str, Any]:
        return {"n_steps": self.n_steps, "ent_coef": self.ent_coef, "gamma": 0.0}


class SB3DQN(SB3Agent):
    """Stable-Baselines3 DQN on one Discrete action per design (spaces of at most ``max_designs``).

    batch_size: parallel one-step episodes SB3 steps at once (designs per ask).
    learning_rate: Adam step size.
    total_timesteps: the horizon SB3's learn (and the exploration decay) is planned over.
    learning_starts: random designs before the first gradient step.
    buffer_size: replay buffer capacity.
    exploration_fraction: share of ``total_timesteps`` over which epsilon decays from 1 to ``exploration_final_eps``.
    exploration_final_eps: the final epsilon of epsilon-greedy.
    target_update_interval: steps between target-network updates.
    gradient_steps: gradient steps per batch of designs (-1: one per design).
    max_designs: the largest space accepted (the Q-network has one output per design).
    real_bins: levels a continuous parameter is cut into.
    """

    name = "sb3-dqn"
    algorithm = "DQN"
    discrete = True

    def __init__(self, space: DesignSpace, seed: int | None = None, batch_size: int = 8, learning_rate: float = 1e-3,
                 total_timesteps: int = 2_000, learning_starts: int = 64, buffer_size: int = 10_000,
                 exploration_fraction: float = 0.5, exploration_final_eps: float = 0.05,
                 target_update_interval: int = 100, gradient_steps: int = -1, max_designs: int = 100_000,
                 real_bins: int = 16):
        for key, v in (("buffer_size", buffer_size), ("target_update_interval", target_update_interval),
                       ("max_designs", max_designs)):
            if int(v) < 1:
                raise ValueError(f"{key} must be >= 1, got {v!r}")
        if int(learning_starts) < 0:
            raise ValueError(f"learning_starts must be >= 0, got {learning_starts!r}")
        for key, v in (("exploration_fraction", exploration_fraction), ("exploration_final_eps", exploration_final_eps)):
            if not 0.0 <= float(v) <= 1.0:
                raise ValueError(f"{key} must be in [0, 1], got {v!r}")
        self.learning_starts, self.buffer_size = int(learning_starts), int(buffer_size)
        self.exploration_fraction, self.exploration_final_eps = float(exploration_fraction), float(exploration_final_eps)
        self.target_update_interval, self.max_designs = int(target_update_interval), int(max_designs)
        if int(gradient_steps) < 1 and int(gradient_steps) != -1:
            raise ValueError(f"gradient_steps must be >= 1 or -1 (one per design), got {gradient_steps!r}")
        self.gradient_steps = int(gradient_steps)
        super().__init__(space, seed, batch_size, learning_rate, total_timesteps, real_bins)

    def _model_kwargs(self) -> dict[str, Any]:
        return {"learning_starts": self.learning_starts, "buffer_size": self.buffer_size,
                "exploration_fraction": self.exploration_fraction,
                "exploration_final_eps": self.exploration_final_eps,
                "target_update_interval": self.target_update_interval, "gamma": 0.0, "train_freq": 1,
                "gradient_steps": self.gradient_steps}


__all__ = ["SB3Agent", "SB3PPO", "SB3A2C", "SB3DQN"]
