"""Ask/tell bookkeeping for agents that work in generations (GA, NSGA-II, the ant colony).

Such an agent breeds a whole generation at once (``_breed``), hands its designs out as they are
asked for, and acts when every design of the generation has been told (``_end_generation``).
``batch_size`` says how many designs the current generation still needs, so the run loop asks
for exactly one generation at a time; asking for more simply breeds the next designs from the
current state. Every told design enters ``seen``, which the breeding keeps new designs out of.
"""

from __future__ import annotations

import numpy as np

from .base import Agent
from .choices import ChoiceGrid


class GenerationalAgent(Agent):
    """Base of generation-based agents; subclasses set ``self.grid`` and implement the three hooks."""

    grid: ChoiceGrid

    def _init_generations(self) -> None:
        self.seen: set = set()
        self._queue: list[np.ndarray] = []  # bred, not yet asked
        self._outstanding = 0  # asked, not yet told
        self._brood: list[tuple[np.ndarray, float, dict | None]] = []  # told members of this generation

    # -- hooks ------------------------------------------------------------------------------------
    def _generation_size(self) -> int:
        """Designs in the generation being evaluated."""
        raise NotImplementedError

    def _breed(self) -> np.ndarray:
        """The rows of the next generation."""
        raise NotImplementedError

    def _end_generation(self, rows: np.ndarray, rewards: np.ndarray, infos: list[dict | None]) -> None:
        """Act on a complete, told generation."""
        raise NotImplementedError

    # -- ask/tell ---------------------------------------------------------------------------------
    @property
    def batch_size(self) -> int:
        """Designs still to evaluate to complete the current generation."""
        return max(1, self._generation_size() - len(self._brood) - self._outstanding)

    def ask(self, n: int = 1) -> list[dict]:
        rows = []
        for _ in range(n):
            if not self._queue:
                self._queue = list(self._breed())
            rows.append(self._queue.pop(0))
        self._outstanding += n
        return self.grid.decode(np.array(rows))

    def tell(self, designs, rewards, infos=None) -> None:
        super().tell(designs, rewards, infos)
        self._outstanding = max(0, self._outstanding - len(designs))
        for i, (row, r) in enumerate(zip(self.grid.encode(designs), rewards)):
            self.seen.add(self.grid.key(row))
            self._brood.append((row, float(r), infos[i] if infos else None))
            if len(self._brood) == self._generation_size():
                brood, self._brood = self._brood, []
                self._end_generation(np.array([b[0] for b in brood]), np.array([b[1] for b in brood]),
                                     [b[2] for b in brood])


__all__ = ["GenerationalAgent"]
