"""Proximal policy optimisation with a factored categorical policy over the design parameters.

The action is a whole design: one categorical distribution per parameter, whose logits come from
one MLP of the observation (an independent, "factored" choice per parameter given the state), so
every value of every parameter is reachable -- unlike ArchGym's RL mapping, which could reach three
values per parameter. A separate MLP estimates the state value. Updates are PPO's clipped
surrogate (Schulman et al. 2017) with an entropy bonus, over ``epochs`` passes of ``n_minibatches``
minibatches, with Adam and global-norm gradient clipping; rewards are normalised by their running
mean and standard deviation (clipped to +-10, which also tames a -100 infeasibility penalty) and
advantages are GAE(gamma, lambda) estimates normalised per batch.

Two ways to use it:

* ask/tell (``archgym run``, one-step episodes as in ArchGym): every design is a one-step episode
  from the same (empty) observation, so the policy input is a constant: the networks reduce to
  free logits and a learned baseline, and the advantage is the normalised reward minus that
  baseline. One update per ``batch_size`` designs. A design
  the policy samples again is not sent to the simulator again: its known reward is reused as a
  free on-policy sample (the simulators are deterministic).
* ``learn(env, total_steps)`` (multi-step episodes): the agent drives a gymnasium environment
  itself -- reset, step with the design's action, GAE over the episode -- conditioning on the
  observed metrics (sign-log transformed, then normalised by running statistics).

This file also holds the learner shared with multi-agent RL (``marl.py``): a policy-gradient agent
is a list of learners, each owning a group of parameters; PPO has one group with every parameter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from archgym.core.spaces import DesignSpace

from .base import Agent
from .choices import ChoiceGrid
from .numpy_nn import MLP, Adam, RunningNorm

REWARD_CLIP = 10.0
OBS_CLIP = 10.0


class FactoredPolicy:
    """Actor-critic over a group of discrete parameters (``sizes`` choices each)."""

    def __init__(self, sizes: Sequence[int], obs_dim: int, rng: np.random.Generator, hidden: int, learning_rate: float,
                 clip_eps: float, ent_coef: float, epochs: int, n_minibatches: int, max_grad_norm: float):
        self.sizes = [int(s) for s in sizes]
        edges = np.concatenate([[0], np.cumsum(self.sizes)])
        self.segments = [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]
        self.offsets = edges[:-1]
        # a constant observation (one-step episodes) needs no hidden layers: the logits are free parameters
        layers = [hidden, hidden] if obs_dim > 1 else []
        self.actor = MLP([obs_dim, *layers, int(edges[-1])], rng, out_gain=0.01)
        self.critic = MLP([obs_dim, *layers, 1], rng, out_gain=1.0)
        self.actor_opt = Adam(self.actor.flat, learning_rate, max_grad_norm)
        self.critic_opt = Adam(self.critic.flat, learning_rate, max_grad_norm)
        self.clip_eps, self.ent_coef = clip_eps, ent_coef
        self.epochs, self.n_minibatches = epochs, n_minibatches
        self.obs_dim = obs_dim

    def _log_softmax(self, logits: np.ndarray) -> np.ndarray:
        """Log-softmax within each parameter's segment of the logits."""
        z = logits - np.repeat(np.maximum.reduceat(logits, self.offsets, axis=1), self.sizes, axis=1)
        lse = np.log(np.add.reduceat(np.exp(z), self.offsets, axis=1))
        return z - np.repeat(lse, self.sizes, axis=1)

    def act(self, obs: np.ndarray, rng: np.random.Generator):
        """Sample one choice per parameter: (rows of choice indices, log-probabilities, values)."""
        lsm = self._log_softmax(self.actor.forward(obs))
        b = obs.shape[0]
        rows = np.empty((b, len(self.sizes)), dtype=np.int64)
        for j, s in enumerate(self.segments):
            cdf = np.cumsum(np.exp(lsm[:, s]), axis=1)
            u = rng.random(b)[:, None] * cdf[:, -1:]
            rows[:, j] = np.minimum((cdf < u).sum(1), self.sizes[j] - 1)
        return rows, self._logp(lsm, rows), self.critic.forward(obs)[:, 0]

    def evaluate(self, obs: np.ndarray, rows: np.ndarray):
        """Log-probabilities and values of given choices (designs the policy did not sample itself)."""
        lsm = self._log_softmax(self.actor.forward(obs))
        return self._logp(lsm, rows), self.critic.forward(obs)[:, 0]

    def value(self, obs: np.ndarray) -> np.ndarray:
        return self.critic.forward(obs)[:, 0]

    def _logp(self, lsm: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return lsm[np.arange(len(rows))[:, None], self.offsets[None, :] + rows].sum(1)

    def actor_loss(self, logits: np.ndarray, rows: np.ndarray, logp_old: np.ndarray, adv: np.ndarray):
        """PPO's loss ``-mean(min(r A, clip(r, 1 +- eps) A)) - ent_coef * mean(entropy)`` with
        ``r = pi(a) / pi_old(a)``; returns it, its gradient with respect to the logits, and ``r``."""
        m = len(rows)
        lsm = self._log_softmax(logits)
        probs = np.exp(lsm)
        ratio = np.exp(self._logp(lsm, rows) - logp_old)
        s1 = ratio * adv
        s2 = np.clip(ratio, 1.0 - self.clip_eps, 1.0 + self.clip_eps) * adv
        entropy = -np.add.reduceat(probs * lsm, self.offsets, axis=1)  # per parameter
        loss = -np.minimum(s1, s2).mean() - self.ent_coef * entropy.sum(1).mean()
        d_logp = -(s1 <= s2).astype(float) * ratio * adv / m  # d loss / d log pi(a): zero where the clip binds
        onehot = np.zeros_like(lsm)
        onehot[np.arange(m)[:, None], self.offsets[None, :] + rows] = 1.0
        grad = d_logp[:, None] * (onehot - probs)
        grad += self.ent_coef / m * probs * (lsm + np.repeat(entropy, self.sizes, axis=1))  # d(-c H)/d logits
        return float(loss), grad, ratio

    def update(self, obs, rows, logp_old, advantages, returns, rng: np.random.Generator) -> dict:
        """PPO epochs over minibatches; returns the last epoch's approximate KL and clip fraction."""
        n = len(rows)
        advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8) if n > 1 else advantages
        kls, clips = [], []
        for epoch in range(self.epochs):
            last = epoch == self.epochs - 1
            for mb in np.array_split(rng.permutation(n), min(self.n_minibatches, n)):
                m = len(mb)
                adv = advantages[mb]
                # actor: clipped surrogate + entropy bonus
                _, grad, ratio = self.actor_loss(self.actor.forward(obs[mb]), rows[mb], logp_old[mb], adv)
                self.actor_opt.step(self.actor.backward(grad))
                # critic: squared error to the returns
                v = self.critic.forward(obs[mb])[:, 0]
                self.critic_opt.step(self.critic.backward(((v - returns[mb]) / m)[:, None]))
                if last:
                    kls.append(float(np.mean((ratio - 1.0) - np.log(ratio))))
                    clips.append(float(np.mean(np.abs(ratio - 1.0) > self.clip_eps)))
        return {"approx_kl": float(np.mean(kls)), "clip_fraction": float(np.mean(clips))}


class PolicyGradientAgent(Agent):
    """A team of factored-policy PPO learners, one per group of parameters, sharing the reward."""

    def __init__(self, space: DesignSpace, seed: int | None, groups: list[list[int]], learning_rate: float,
                 ent_coef: float, clip_eps: float, batch_size: int, epochs: int, n_minibatches: int, gamma: float,
                 gae_lambda: float, hidden: int, max_grad_norm: float, real_bins: int):
        super().__init__(space, seed)
        for key, v, low in (("batch_size", batch_size, 1), ("epochs", epochs, 1), ("n_minibatches", n_minibatches, 1),
                            ("hidden", hidden, 1)):
            if int(v) < low:
                raise ValueError(f"{key} must be >= {low}, got {v!r}")
        for key, v in (("learning_rate", learning_rate), ("clip_eps", clip_eps)):
            if not float(v) > 0:
                raise ValueError(f"{key} must be > 0, got {v!r}")
        for key, v in (("gamma", gamma), ("gae_lambda", gae_lambda)):
            if not 0.0 <= float(v) <= 1.0:
                raise ValueError(f"{key} must be in [0, 1], got {v!r}")
        if float(ent_coef) < 0:
            raise ValueError(f"ent_coef must be >= 0, got {ent_coef!r}")
        self.learning_rate, self.ent_coef, self.clip_eps = float(learning_rate), float(ent_coef), float(clip_eps)
        self.batch_size, self.epochs, self.n_minibatches = int(batch_size), int(epochs), int(n_minibatches)
        self.gamma, self.gae_lambda = float(gamma), float(gae_lambda)
        self.hidden, self.max_grad_norm, self.real_bins = int(hidden), float(max_grad_norm), int(real_bins)
        self.grid = ChoiceGrid(space, real_bins)
        self.groups = [list(g) for g in groups]
        self.learners: list[FactoredPolicy] = []
        self.reward_norm = RunningNorm()
        self.obs_norm: RunningNorm | None = None
        self.n_updates = 0
        self.last_stats: list[dict] = []
        # ask/tell state
        self._known: dict[tuple, float] = {}  # design key -> reward (told)
        self._pending: dict[tuple, list] = defaultdict(list)  # design key -> [(logps, values)] asked, not told
        self._buffer: list[tuple[np.ndarray, np.ndarray, np.ndarray, float]] = []  # (row, logps, values, reward)

    # -- the team of learners ---------------------------------------------------------------
    def _build(self, obs_dim: int) -> None:
        if self.learners:
            if self.learners[0].obs_dim != obs_dim:
                raise ValueError(f"this agent's policy takes observations of size {self.learners[0].obs_dim}, "
                                 f"got {obs_dim}: use a fresh agent for a different observation")
            return
        self.learners = [
            FactoredPolicy(self.grid.sizes[g], obs_dim, self.rng, self.hidden, self.learning_rate, self.clip_eps,
                           self.ent_coef, self.epochs, self.n_minibatches, self.max_grad_norm)
            for g in self.groups
        ]

    def _act(self, obs: np.ndarray):
        """Joint design rows, and each learner's log-probabilities and values, shape (learners, batch)."""
        rows = np.empty((obs.shape[0], self.grid.n_params), dtype=np.int64)
        logps, values = [], []
        for g, learner in zip(self.groups, self.learners):
            r, lp, v = learner.act(obs, self.rng)
            rows[:, g] = r
            logps.append(lp)
            values.append(v)
        return rows, np.array(logps), np.array(values)

    def _evaluate(self, obs: np.ndarray, rows: np.ndarray):
        out = [learner.evaluate(obs, rows[:, g]) for g, learner in zip(self.groups, self.learners)]
        return np.array([o[0] for o in out]), np.array([o[1] for o in out])

    def _values(self, obs: np.ndarray) -> np.ndarray:
        """Each learner's value of one observation."""
        return np.array([learner.value(obs)[0] for learner in self.learners])

    def _update(self, obs, rows, logps, advantages, returns) -> None:
        """One PPO update of every learner on its own parameters, log-probabilities and advantages."""
        self.last_stats = [
            learner.update(obs, rows[:, g], logps[i], advantages[i], returns[i], self.rng)
            for i, (g, learner) in enumerate(zip(self.groups, self.learners))
        ]
        self.n_updates += 1

    def _normalise_rewards(self, rewards: np.ndarray) -> np.ndarray:
        self.reward_norm.update(rewards)
        return np.clip((rewards - self.reward_norm.mean) / self.reward_norm.std, -REWARD_CLIP, REWARD_CLIP)

    # -- ask/tell: one-step episodes ----------------------------------------------------------
    @staticmethod
    def _blank(n: int) -> np.ndarray:
        """The observation of a one-step episode: always the same, so the policy input is a constant."""
        return np.ones((n, 1))

    def ask(self, n: int = 1) -> list[dict]:
        self._build(1)
        out: list[np.ndarray] = []
        proposed: set = set()
        for _ in range(4):  # sampling rounds; a known design is a free sample, not a proposal
            rows, logps, values = self._act(self._blank(n))
            for i, row in enumerate(rows):
                key = self.grid.key(row)
                if key in self._known:
                    self._buffer.append((row, logps[:, i], values[:, i], self._known[key]))
                elif key not in self._pending and key not in proposed and len(out) < n:
                    proposed.add(key)
                    self._pending[key].append((logps[:, i], values[:, i]))
                    out.append(row)
            self._learn_from_buffer()
            if len(out) == n:
                break
        while len(out) < n:  # the policy keeps proposing known designs: explore a new neighbour instead
            seen = set(self._known) | set(self._pending) | proposed
            row = self.grid.make_unseen(self._act(self._blank(1))[0][0], seen, self.rng)
            key = self.grid.key(row)
            proposed.add(key)
            lp, v = self._evaluate(self._blank(1), row[None, :])
            self._pending[key].append((lp[:, 0], v[:, 0]))
            out.append(row)
        return self.grid.decode(np.array(out))

    def tell(self, designs, rewards, infos=None) -> None:
        super().tell(designs, rewards, infos)
        self._build(1)
        for row, r in zip(self.grid.encode(designs), rewards):
            key = self.grid.key(row)
            self._known[key] = float(r)
            if self._pending.get(key):
                lp, v = self._pending[key].pop(0)
                if not self._pending[key]:
                    del self._pending[key]
            else:  # a design this agent did not propose: score it under the current policy
                lps, vs = self._evaluate(self._blank(1), row[None, :])
                lp, v = lps[:, 0], vs[:, 0]
            self._buffer.append((row, lp, v, float(r)))
        self._learn_from_buffer()

    def _learn_from_buffer(self) -> None:
        while len(self._buffer) >= self.batch_size:
            batch, self._buffer = self._buffer[: self.batch_size], self._buffer[self.batch_size:]
            rows = np.array([b[0] for b in batch])
            logps = np.array([b[1] for b in batch]).T
            values = np.array([b[2] for b in batch]).T
            returns = self._normalise_rewards(np.array([b[3] for b in batch]))
            returns = np.broadcast_to(returns, values.shape)
            self._update(self._blank(len(batch)), rows, logps, returns - values, returns)

    # -- multi-step episodes: drive a gymnasium environment --------------------------------------
    def _observe(self, obs: Any, update: bool) -> np.ndarray:
        x = np.asarray(obs, dtype=float).reshape(1, -1)
        x = np.sign(x) * np.log1p(np.abs(x))
        if update:
            self.obs_norm.update(x)
        return np.clip((x - self.obs_norm.mean) / self.obs_norm.std, -OBS_CLIP, OBS_CLIP)

    def learn(self, env, total_steps: int, callback: Callable[[dict], None] | None = None) -> list[dict]:
        """Train on ``env`` (a gymnasium environment of this agent's design space, any episode length)
        for ``total_steps`` steps, ``batch_size`` steps per update. Returns one record per update:
        steps so far, mean return of the episodes finished in that rollout, and PPO statistics.
        The policy here is an MLP of the observation: build the agent with a learning rate of about
        3e-3 (the default 0.03 is tuned for the one-step, constant-input policy of ask/tell)."""
        obs_dim = int(np.prod(env.observation_space.shape))
        self._build(obs_dim)
        if self.obs_norm is None:
            self.obs_norm = RunningNorm((1, obs_dim))
        encode = getattr(getattr(env, "unwrapped", env), "encode_action", None)
        obs, _ = env.reset(seed=self.seed)
        history: list[dict] = []
        ep_return, step = 0.0, 0
        while step < total_steps:
            n = min(self.batch_size, total_steps - step)
            buf_obs, buf_rows, buf_lp, buf_v, buf_r, buf_done, finished = [], [], [], [], [], [], []
            for _ in range(n):
                o = self._observe(obs, update=True)
                rows, lp, v = self._act(o)
                design = self.grid.decode(rows)[0]
                action = encode(design) if encode is not None else rows[0]  # archgym env, else MultiDiscrete
                obs, reward, terminated, truncated, info = env.step(action)
                super().tell([design], [reward], [info])
                ep_return += float(reward)
                if truncated and not terminated:  # bootstrap a cut-off episode with the critic
                    v_next = self._values(self._observe(obs, update=False))
                    reward = float(reward) + self.gamma * float(np.mean(v_next)) * float(self.reward_norm.std)
                buf_obs.append(o[0])
                buf_rows.append(rows[0])
                buf_lp.append(lp[:, 0])
                buf_v.append(v[:, 0])
                buf_r.append(float(reward))
                buf_done.append(terminated or truncated)
                if terminated or truncated:
                    finished.append(ep_return)
                    ep_return = 0.0
                    obs, _ = env.reset()
                step += 1
            v_last = self._values(self._observe(obs, update=False))
            values = np.array(buf_v).T  # (learners, n)
            rewards = self._normalise_rewards(np.array(buf_r))
            adv = self._gae(rewards, values, v_last, np.array(buf_done))
            self._update(np.array(buf_obs), np.array(buf_rows), np.array(buf_lp).T, adv, adv + values)
            rec = {"steps": step, "mean_return": float(np.mean(finished)) if finished else float("nan"),
                   "episodes": len(finished), **{k: float(np.mean([s[k] for s in self.last_stats])) for k in self.last_stats[0]}}
            history.append(rec)
            if callback is not None:
                callback(rec)
        return history

    def _gae(self, rewards: np.ndarray, values: np.ndarray, last_value: np.ndarray, done: np.ndarray) -> np.ndarray:
        """Generalised advantage estimates per learner (rows of ``values``), episodes cut at ``done``."""
        adv = np.zeros_like(values)
        running = np.zeros(values.shape[0])
        for t in reversed(range(values.shape[1])):
            next_v = last_value if t == values.shape[1] - 1 else values[:, t + 1]
            alive = 0.0 if done[t] else 1.0
            delta = rewards[t] + self.gamma * next_v * alive - values[:, t]
            running = delta + self.gamma * self.gae_lambda * alive * running
            adv[:, t] = running
        return adv


class PPO(PolicyGradientAgent):
    """PPO with one factored categorical policy over every design parameter.

    learning_rate: Adam step size of the actor and the critic (the default suits the one-step
        policy, whose logits are free parameters; the MLP policy of ``learn`` wants about 3e-3).
    ent_coef: weight of the policy entropy bonus.
    clip_eps: PPO's clipping range of the probability ratio.
    batch_size: designs (steps) per update.
    epochs: passes over each batch.
    n_minibatches: minibatches per pass.
    gamma, gae_lambda: discount and GAE parameter (multi-step episodes only).
    hidden: units in each of the two hidden layers.
    max_grad_norm: global gradient-norm clip.
    real_bins: levels a continuous parameter is cut into.
    """

    name = "ppo"

    def __init__(self, space: DesignSpace, seed: int | None = None, learning_rate: float = 0.03,
                 ent_coef: float = 0.01, clip_eps: float = 0.2, batch_size: int = 32, epochs: int = 10,
                 n_minibatches: int = 4, gamma: float = 0.99, gae_lambda: float = 0.95, hidden: int = 64,
                 max_grad_norm: float = 0.5, real_bins: int = 16):
        super().__init__(space, seed, [list(range(len(space)))], learning_rate, ent_coef, clip_eps, batch_size, epochs,
                         n_minibatches, gamma, gae_lambda, hidden, max_grad_norm, real_bins)


__all__ = ["PPO", "PolicyGradientAgent", "FactoredPolicy"]
