"""Random walk: every design drawn uniformly and independently from the space.

ArchGym's "random walk" agent, and the baseline every other agent must beat at equal budget.
"""

from __future__ import annotations

from archgym.core.spaces import DesignSpace

from .base import Agent


class RandomSearch(Agent):
    """Uniform random sampling of the design space.

    batch_size: designs proposed per ask by default (sampling needs no feedback, so any size works).
    """

    name = "random"

    def __init__(self, space: DesignSpace, seed: int | None = None, batch_size: int = 64):
        super().__init__(space, seed)
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
        self.batch_size = int(batch_size)

    def ask(self, n: int = 1) -> list[dict]:
        return self.space.sample_many(n, self.rng)
