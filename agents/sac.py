"""Soft actor-critic for discrete, factored design spaces, in numpy (one-step episodes).

After Christodoulou, "Soft Actor-Critic for Discrete Action Settings", arXiv:1910.07207 (2019):
a stochastic policy over discrete actions, twin soft Q-critics, an entropy-regularised policy
objective whose expectation over actions is computed exactly rather than sampled, and automatic
temperature tuning against a target entropy. Here a design is one action and an episode is one
step (ArchGym's formulation), so:

* the critics are regressors ``Q(design) ~ reward``: two MLPs (numpy_nn) of the design's features
  (the space's encoding: one-hot categoricals, scaled integers, log-scaled powers of two), trained
  by squared error on a replay of every evaluated design (rewards standardised over the replay and
  clipped to +-10, so a -100 infeasibility penalty does not flatten the fit). There is no
  bootstrapped next state: the soft Bellman target of a one-step episode is the reward;
* the actor is a factored categorical policy, one softmax per parameter, ``pi(a) = prod_j pi_j(a_j)``
  (the observation is constant, so the logits are free parameters). Its loss is
  ``E_a~pi [alpha log pi(a) - min(Q1, Q2)(a)]``. The paper's exact expectation ``pi(s)^T [alpha log
  pi(s) - Q(s)]`` over all actions is intractable for a product of parameters; it is kept exact
  per parameter: for each sampled design and each parameter ``j``, Q is evaluated at every choice
  of ``j`` with the other parameters as sampled, and ``pi_j^T [alpha log pi_j - Q_j]`` gives the
  gradient of ``pi_j``'s logits (a local-expectation gradient, Titsias & Lazaro-Gredilla 2015);
* the temperature follows the paper's ``J(alpha) = pi^T [-alpha (log pi + H_target)]`` with the
  exact entropy of the factored policy, ``H_target = target_entropy_ratio * sum_j log n_j``.
  The paper's 0.98 of the maximum entropy keeps a design search almost uniform; the default here
  is lower (Zhou et al. 2022, "Revisiting Discrete Soft Actor-Critic", report the same issue).

Each ``tell`` adds the designs to the replay and makes ``updates_per_design`` gradient steps per
design told (critics, then actor, then temperature, Adam throughout). ``ask`` samples designs from
the policy; one already evaluated or proposed is moved to an unseen neighbour (the simulators are
deterministic). Seeded: every random draw is from the agent's generator.
"""

from __future__ import annotations

import math

import numpy as np

from archgym.core.spaces import DesignSpace

from .base import Agent
from .choices import ChoiceGrid
from .numpy_nn import MLP, Adam

try:  # one BLAS thread: faster on these small matrices, and immune to an oversubscribed machine
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
    threadpool_limits = None

REWARD_CLIP = 10.0


class DiscreteSAC(Agent):
    """Discrete soft actor-critic (Christodoulou 2019) over a factored categorical policy, numpy.

    batch_size: designs per ask by default.
    learning_rate: Adam step size of the critics and the actor.
    alpha_learning_rate: Adam step size of log(alpha), the temperature.
    initial_alpha: the temperature before tuning.
    target_entropy_ratio: target entropy as a share of the uniform policy's, sum_j log n_j.
    minibatch_size: replayed designs per critic step.
    actor_samples: designs sampled from the policy per actor step (Q is evaluated at every choice of
        every parameter of each: sum_j n_j critic evaluations per sample).
    updates_per_design: gradient steps per design told.
    learning_starts: designs told before the actor and temperature are updated (the critics learn from the start).
    hidden: units in each of the critics' two hidden layers.
    real_bins: levels a continuous parameter is cut into.
    """

    name = "sac"

    def __init__(self, space: DesignSpace, seed: int | None = None, batch_size: int = 8, learning_rate: float = 0.01,
                 alpha_learning_rate: float = 0.01, initial_alpha: float = 1.0, target_entropy_ratio: float = 0.3,
                 minibatch_size: int = 64, actor_samples: int = 16, updates_per_design: int = 1, learning_starts: int = 16,
                 hidden: int = 32, real_bins: int = 16):
        super().__init__(space, seed)
        for key, v, low in (("batch_size", batch_size, 1), ("minibatch_size", minibatch_size, 1), ("actor_samples", actor_samples, 1),
                            ("updates_per_design", updates_per_design, 1), ("learning_starts", learning_starts, 0),
                            ("hidden", hidden, 1)):
            if int(v) < low:
                raise ValueError(f"{key} must be >= {low}, got {v!r}")
        for key, v in (("learning_rate", learning_rate), ("alpha_learning_rate", alpha_learning_rate),
                       ("initial_alpha", initial_alpha)):
            if not float(v) > 0:
                raise ValueError(f"{key} must be > 0, got {v!r}")
        if not 0.0 <= float(target_entropy_ratio) <= 1.0:
            raise ValueError(f"target_entropy_ratio must be in [0, 1], got {target_entropy_ratio!r}")
        self.batch_size, self.learning_rate = int(batch_size), float(learning_rate)
        self.alpha_learning_rate, self.initial_alpha = float(alpha_learning_rate), float(initial_alpha)
        self.target_entropy_ratio, self.minibatch_size = float(target_entropy_ratio), int(minibatch_size)
        self.actor_samples = int(actor_samples)
        self.updates_per_design, self.learning_starts = int(updates_per_design), int(learning_starts)
        self.hidden, self.real_bins = int(hidden), int(real_bins)

        self.grid = ChoiceGrid(space, real_bins)
        sizes = self.grid.sizes
        self.offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        # actor: free logits, one segment per parameter (zeros: the uniform policy, i.e. random search)
        self.logits = np.zeros(int(sizes.sum()))
        self.actor_opt = Adam(self.logits, self.learning_rate, max_grad_norm=0.0)
        # twin critics on the design's features
        n_features = self.grid.features(np.zeros((1, self.grid.n_params), dtype=np.int64)).shape[1]
        self.critics = [MLP([n_features, self.hidden, self.hidden, 1], self.rng) for _ in range(2)]
        self.critic_opts = [Adam(q.flat, self.learning_rate, max_grad_norm=10.0) for q in self.critics]
        # temperature
        self.log_alpha = np.array([math.log(self.initial_alpha)])
        self.alpha_opt = Adam(self.log_alpha, self.alpha_learning_rate, max_grad_norm=0.0)
        self.target_entropy = self.target_entropy_ratio * float(np.log(sizes.astype(float)).sum())
        # replay of every evaluated design, and designs proposed (never proposed twice)
        self.rows: list[np.ndarray] = []
        self.rewards: list[float] = []
        self.seen: set = set()
        self.last_stats: dict = {}

    # -- the policy -------------------------------------------------------------------------------
    @property
    def alpha(self) -> float:
        return float(np.exp(self.log_alpha[0]))

    def _log_probs(self) -> list[np.ndarray]:
        """Log-softmax of each parameter's logits."""
        out = []
        for j, n in enumerate(self.grid.sizes):
            z = self.logits[self.offsets[j]:self.offsets[j] + n]
            z = z - z.max()
            out.append(z - np.log(np.exp(z).sum()))
        return out

    def entropy(self) -> float:
        """Entropy of the factored policy (the sum of the parameters' entropies)."""
        return float(sum(-(np.exp(lp) * lp).sum() for lp in self._log_probs()))

    def _sample(self, n: int) -> np.ndarray:
        rows = np.empty((n, self.grid.n_params), dtype=np.int64)
        for j, lp in enumerate(self._log_probs()):
            cdf = np.cumsum(np.exp(lp))
            rows[:, j] = np.minimum(np.searchsorted(cdf, self.rng.random(n) * cdf[-1], side="right"), len(lp) - 1)
        return rows

    # -- ask/tell ---------------------------------------------------------------------------------
    def ask(self, n: int = 1) -> list[dict]:
        rows = []
        for row in self._sample(n):
            row = self.grid.make_unseen(row, self.seen, self.rng)
            self.seen.add(self.grid.key(row))
            rows.append(row)
        return self.grid.decode(np.array(rows))

    def tell(self, designs, rewards, infos=None) -> None:
        super().tell(designs, rewards, infos)
        for row, r in zip(self.grid.encode(designs), rewards):
            self.seen.add(self.grid.key(row))
            self.rows.append(row)
            self.rewards.append(float(r))
        if threadpool_limits is None:  # pragma: no cover
            for _ in range(self.updates_per_design * len(designs)):
                self._update()
            return
        with threadpool_limits(1):
            for _ in range(self.updates_per_design * len(designs)):
                self._update()

    # -- learning ---------------------------------------------------------------------------------
    def _targets(self) -> np.ndarray:
        """Replayed rewards, standardised over the replay (infeasible: the worst feasible), clipped."""
        y = np.array(self.rewards, dtype=float)
        ok = np.isfinite(y)
        y[~ok] = y[ok].min() if ok.any() else 0.0
        sd = y.std()
        return np.clip((y - y.mean()) / (sd if sd > 0 else 1.0), -REWARD_CLIP, REWARD_CLIP)

    def _q(self, rows: np.ndarray) -> np.ndarray:
        """min(Q1, Q2) of rows of choice indices."""
        x = self.grid.features(rows)
        return np.minimum(*(q.forward(x)[:, 0] for q in self.critics))

    def _update(self) -> None:
        y = self._targets()
        # critics: squared error to the (one-step) soft Bellman target, the reward
        idx = self.rng.integers(0, len(y), size=min(self.minibatch_size, len(y)))
        x = self.grid.features(np.array(self.rows)[idx])
        critic_loss = 0.0
        for q, opt in zip(self.critics, self.critic_opts):
            err = q.forward(x)[:, 0] - y[idx]
            critic_loss += float(np.mean(err**2))
            opt.step(q.backward((2.0 * err / len(idx))[:, None]))
        self.last_stats = {"critic_loss": critic_loss / 2}
        if len(y) < self.learning_starts:
            return
        # actor: per parameter, the exact expectation pi_j^T [alpha log pi_j - Q_j] given the sampled others
        alpha = self.alpha
        log_probs = self._log_probs()
        rows = self._sample(self.actor_samples)
        grad = np.zeros_like(self.logits)
        actor_loss = 0.0
        for j, (lp, n) in enumerate(zip(log_probs, self.grid.sizes)):
            alt = np.repeat(rows, n, axis=0)
            alt[:, j] = np.tile(np.arange(n), len(rows))
            qj = self._q(alt).reshape(len(rows), n)  # Q at every choice of parameter j
            p = np.exp(lp)
            c = alpha * lp[None, :] - qj  # per choice: alpha log pi - Q
            actor_loss += float(np.mean(c @ p))
            # d/dlogits of p^T c (c held fixed but for log pi, whose extra term sums to zero): softmax Jacobian
            g = p[None, :] * (c - (c @ p)[:, None])
            grad[self.offsets[j]:self.offsets[j] + n] = g.mean(0)
        self.actor_opt.step(grad)
        # temperature: J(alpha) = alpha (H - H_target); d/dlog alpha = alpha (H - H_target)
        entropy = self.entropy()
        self.alpha_opt.step(np.array([alpha * (entropy - self.target_entropy)]))
        self.last_stats.update(actor_loss=actor_loss, alpha=alpha, entropy=entropy)


__all__ = ["DiscreteSAC"]
