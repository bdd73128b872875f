"""Multi-agent RL: one PPO learner per group of design parameters, all sharing the reward.

The formulation of Krishnan et al., "Multi-Agent Reinforcement Learning for Microprocessor Design
Space Exploration" (2022), which beat single-agent PPO on DRAM controller design: the design
parameters are split among agents; each agent has its own factored policy, critic and optimiser
over its parameters only, all act on the same observation, and each learns from the one shared
reward (independent PPO with a common reward). Against single-agent PPO (``ppo.py``, whose
learner this reuses) the difference is that each agent's probability ratio is clipped on its own,
so one group can move while another stays, and each group has its own baseline.

Groups are given by ``groups`` ("a,b;c,d": semicolon-separated groups of comma-separated parameter
names, covering every parameter exactly once), else by ``n_agents`` contiguous groups of the
parameters in the space's order (0: one agent per parameter).
"""

from __future__ import annotations

import numpy as np

from archgym.core.spaces import DesignSpace

from .ppo import PolicyGradientAgent


def parameter_groups(space: DesignSpace, groups: str = "", n_agents: int = 0) -> list[list[int]]:
    """Indices of the parameters of each agent (see the module docstring)."""
    names = space.names
    if groups.strip():
        out, used = [], []
        for part in groups.split(";"):
            members = [m.strip() for m in part.split(",") if m.strip()]
            unknown = [m for m in members if m not in names]
            if unknown:
                raise ValueError(f"groups: unknown parameter(s) {unknown}; allowed: {names}")
            if not members:
                raise ValueError(f"groups: empty group in {groups!r}")
            out.append([names.index(m) for m in members])
            used += members
        dupes = sorted({m for m in used if used.count(m) > 1})
        missing = [m for m in names if m not in used]
        if dupes or missing:
            raise ValueError(f"groups must cover every parameter exactly once; repeated: {dupes}, missing: {missing}")
        return out
    n = len(names) if int(n_agents) == 0 else int(n_agents)
    if not 1 <= n <= len(names):
        raise ValueError(f"n_agents must be in 0..{len(names)} (0: one agent per parameter), got {n_agents!r}")
    return [list(map(int, g)) for g in np.array_split(np.arange(len(names)), n)]


class MultiAgentPPO(PolicyGradientAgent):
    """Independent PPO learners, one per parameter group, trained on the shared reward.

    n_agents: number of agents splitting the parameters in order (0: one agent per parameter).
    groups: explicit groups, "a,b;c,d" (overrides n_agents).
    The other hyper-parameters are PPO's, applied to every agent.
    """

    name = "marl"

    def __init__(self, space: DesignSpace, seed: int | None = None, n_agents: int = 0, groups: str = "",
                 learning_rate: float = 0.03, ent_coef: float = 0.01, clip_eps: float = 0.2, batch_size: int = 32,
                 epochs: int = 10, n_minibatches: int = 4, gamma: float = 0.99, gae_lambda: float = 0.95,
                 hidden: int = 64, max_grad_norm: float = 0.5, real_bins: int = 16):
        self.n_agents = int(n_agents)
        self.groups_spec = groups
        super().__init__(space, seed, parameter_groups(space, groups, n_agents), learning_rate, ent_coef, clip_eps,
                         batch_size, epochs, n_minibatches, gamma, gae_lambda, hidden, max_grad_norm, real_bins)

    def hyperparameters(self) -> dict:
        hp = super().hyperparameters()
        hp["groups"] = self.groups_spec
        return hp


__all__ = ["MultiAgentPPO", "parameter_groups"]
