"""The ask/tell interface every search agent implements.

An agent is built from a :class:`~archgym.core.spaces.DesignSpace`, a seed and its hyper-parameters as
keyword arguments. ``ask(n)`` proposes ``n`` designs (dicts of parameter values); ``tell(designs,
rewards)`` reports their rewards (higher is better). The agent never sees a simulator or an
environment: the run loop in ``archgym.runner`` evaluates designs and feeds rewards back.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from archgym.core.spaces import DesignSpace


class Agent:
    """Base class: seeded generator, best-so-far bookkeeping, hyper-parameter introspection."""

    #: registry name (e.g. "random")
    name: str = "base"
    #: designs per ask the run loop should request by default
    batch_size: int = 1

    def __init__(self, space: DesignSpace, seed: int | None = None):
        if not isinstance(space, DesignSpace):
            raise TypeError(f"space must be an archgym DesignSpace, got {type(space).__name__}")
        self.space = space
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.best_design: dict | None = None
        self.best_reward: float = -math.inf
        self.n_told = 0

    def ask(self, n: int = 1) -> list[dict]:
        """Propose ``n`` designs to evaluate next."""
        raise NotImplementedError

    def tell(self, designs: Sequence[Mapping[str, Any]], rewards: Sequence[float], infos: Sequence[dict] | None = None) -> None:
        """Report the rewards of evaluated designs (in the order they were asked)."""
        if len(designs) != len(rewards):
            raise ValueError(f"tell: {len(designs)} designs but {len(rewards)} rewards")
        for d, r in zip(designs, rewards):
            self.n_told += 1
            r = float(r)
            if r > self.best_reward:
                self.best_reward, self.best_design = r, dict(d)

    # DESIGN.md's names for the same interface
    def suggest(self, n: int = 1) -> list[dict]:
        return self.ask(n)

    def observe(self, designs, rewards, infos=None) -> None:
        self.tell(designs, rewards, infos)

    @classmethod
    def hyperparameter_defaults(cls) -> dict[str, Any]:
        """The agent's hyper-parameters (keyword arguments of ``__init__``) and their defaults."""
        sig = inspect.signature(cls.__init__)
        return {
            n: p.default
            for n, p in sig.parameters.items()
            if n not in ("self", "space", "seed") and p.default is not inspect.Parameter.empty
        }

    def hyperparameters(self) -> dict[str, Any]:
        """Current values of the hyper-parameters (read from attributes of the same name)."""
        return {k: getattr(self, k, v) for k, v in self.hyperparameter_defaults().items()}

    def __repr__(self) -> str:
        hp = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}(seed={self.seed!r}{', ' if hp else ''}{hp})"
