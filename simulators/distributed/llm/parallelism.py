"""Parallel groups laid out on a multi-dimensional network, and the network each group's collectives see.

NPUs are numbered as ASTRA-sim numbers them (mixed radix, dimension 0 fastest). The groups are laid out
innermost first in Megatron-LM's order, tensor (``tp``), sequence (``sp``), data (``dp``), pipeline
(``pp``): a tensor-parallel group is ``tp`` consecutive NPU ids, a sequence-parallel group ``sp`` ids
``tp`` apart, and so on. A group therefore spans whole network dimensions, or part of one: ``tp = 4`` on
a first dimension of 8 NPUs takes 4 of them, and the group above it takes the other factor of 2 (ids 4
apart) before moving on to dimension 1.

A group's collectives run on the network made of its parts of each dimension, with that dimension's
topology, bandwidth, latency and collective implementation. Part of a Switch or FullyConnected dimension
is exactly a smaller Switch or FullyConnected for ASTRA-sim's congestion-unaware backend (every pair is
two hops, resp. one hop, apart, whatever the size). Part of a Ring is not a ring (its last NPU is
several hops from its first), so a Ring cannot be split between groups: such a design is refused with
the reason (:class:`LayoutError`). ASTRA-sim itself selects whole dimensions per collective (Chakra's
``involved_dim``); a layout in which every group spans whole dimensions is exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

from archgym.simulators.distributed.network import Dimension, Network

GROUPS = ("tp", "sp", "dp", "pp")


class LayoutError(ValueError):
    """The parallel degrees do not fit the network (the message says how)."""


@dataclass(frozen=True)
class Parallelism:
    """Degrees of tensor, sequence (DeepSpeed-Ulysses), data and pipeline parallelism; their product is the NPU count."""

    tp: int = 1
    sp: int = 1
    dp: int = 1
    pp: int = 1

    def __post_init__(self):
        for g in GROUPS:
            v = getattr(self, g)
            if int(v) != v or v < 1:
                raise ValueError(f"parallelism {g} must be a positive integer, got {v!r}")

    @property
    def npus(self) -> int:
        return self.tp * self.sp * self.dp * self.pp


@dataclass(frozen=True)
class GroupNetwork:
    """The network one group's collectives run on (None when the group has one NPU), and the network
    dimensions (indices) it uses, each with the factor of that dimension it takes."""

    network: Network | None
    dims: tuple[tuple[int, int], ...]  # (network dimension, NPUs of it in the group)
    stride: int  # NPU-id distance between neighbours of the group


def group_networks(network: Network, par: Parallelism) -> dict[str, GroupNetwork]:
    """Each group's network, laying ``tp, sp, dp, pp`` out innermost first (see the module docstring)."""
    if par.npus != network.total_npus:
        raise LayoutError(f"tp x sp x dp x pp = {par.tp} x {par.sp} x {par.dp} x {par.pp} = {par.npus} NPUs, but the "
                          f"network has {network.total_npus}")
    left = [d.npus for d in network.dims]  # NPUs of each dimension not yet given to a group
    dim, stride, out = 0, 1, {}
    for g in GROUPS:
        need, parts, first = getattr(par, g), [], stride
        while need > 1:
            while left[dim] == 1:
                dim += 1
            take = _common_factor(need, left[dim])
            if take == 1:
                raise LayoutError(f"{g}={getattr(par, g)} does not divide the NPUs left in dimension {dim} "
                                  f"({left[dim]} of {network.dims[dim].npus}): a group must take a factor of each dimension")
            d = network.dims[dim]
            if d.topology == "Ring" and take != d.npus:
                raise LayoutError(f"{g}={getattr(par, g)} takes {take} of the {d.npus} NPUs of dimension {dim}, a Ring: part "
                                  "of a ring is not a ring, so a Ring dimension must belong to one group (use Switch or "
                                  "FullyConnected there, or degrees that align with the dimensions)")
            parts.append((dim, take))
            left[dim] //= take
            need //= take
            stride *= take
        sub = Network(tuple(Dimension(network.dims[i].topology, k, network.dims[i].bandwidth_GBps,
                                      network.dims[i].latency_ns) for i, k in parts)) if parts else None
        out[g] = GroupNetwork(sub, tuple(parts), first)
    return out


def _common_factor(a: int, b: int) -> int:
    return gcd(a, b)
