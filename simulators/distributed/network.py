"""The physical network of ASTRA-sim's analytical backends: one basic topology per dimension.

What the network YAML of ASTRA-sim 2.x (``astra-network-analytical``) describes: per dimension a
topology (Ring, Switch, FullyConnected), its NPU count, link bandwidth in GB/s with GB = 2^30 B, and
per-hop latency in ns. An NPU id is a mixed-radix number with dimension 0 varying fastest.

The congestion-unaware send time (``BasicTopology::compute_communication_delay``) is
``floor(hops * latency + bytes / (bw * 2^30 / 1e9))`` ns, charged to the lowest dimension in which the
two addresses differ (``MultiDimTopology::send``). The floating-point operations are done in the same
order as the C++ code so that the truncation agrees to the nanosecond.
"""

from __future__ import annotations

from dataclasses import dataclass

TOPOLOGIES = ("Ring", "Switch", "FullyConnected")


def bw_GBps_to_Bpns(bandwidth_GBps: float) -> float:
    """GB/s (GB = 2^30 B) to bytes per ns, as ``NetworkAnalytical::bw_GBps_to_Bpns`` computes it."""
    return float(bandwidth_GBps) * (1 << 30) / 1_000_000_000


@dataclass(frozen=True)
class Dimension:
    """One network dimension: a basic topology of ``npus`` NPUs with uniform links."""

    topology: str
    npus: int
    bandwidth_GBps: float
    latency_ns: float

    def __post_init__(self):
        if self.topology not in TOPOLOGIES:
            raise ValueError(f"topology {self.topology!r} is not one of {', '.join(TOPOLOGIES)}")
        if int(self.npus) != self.npus or self.npus < 2:
            raise ValueError(f"npus_count {self.npus!r} must be an integer of at least 2")
        if not self.bandwidth_GBps > 0:
            raise ValueError(f"bandwidth {self.bandwidth_GBps!r} must be larger than 0 (GB/s)")
        if not self.latency_ns >= 0:
            raise ValueError(f"latency {self.latency_ns!r} must be non-negative (ns)")

    @property
    def bandwidth_Bpns(self) -> float:
        return bw_GBps_to_Bpns(self.bandwidth_GBps)

    def hops(self, src: int, dst: int) -> int:
        """Hop count between two local ids of this dimension (Ring: the shorter way round)."""
        if self.topology == "Ring":
            d = abs(src - dst)
            return min(d, self.npus - d)
        if self.topology == "Switch":
            return 2
        return 1

    def send_ns(self, size_bytes: int, hops: int) -> int:
        """Congestion-unaware time of one message: latency per hop plus one serialization, truncated."""
        return int(hops * float(self.latency_ns) + float(size_bytes) / self.bandwidth_Bpns)


@dataclass(frozen=True)
class Network:
    """A multi-dimensional network: a tuple of :class:`Dimension`, dimension 0 varying fastest in NPU ids."""

    dims: tuple[Dimension, ...]

    def __post_init__(self):
        if not self.dims:
            raise ValueError("a network needs at least one dimension")
        object.__setattr__(self, "dims", tuple(self.dims))

    @classmethod
    def of(cls, topology, npus, bandwidth_GBps, latency_ns) -> Network:
        """Build from four per-dimension lists (the network YAML's ``topology``, ``npus_count``, ``bandwidth``, ``latency``)."""
        lists = [list(topology), list(npus), list(bandwidth_GBps), list(latency_ns)]
        if len({len(x) for x in lists}) != 1:
            raise ValueError(f"topology, npus_count, bandwidth and latency must have one entry per dimension, got lengths "
                             f"{[len(x) for x in lists]}")
        return cls(tuple(Dimension(t, int(n), float(b), float(l)) for t, n, b, l in zip(*lists)))

    @property
    def npus_per_dim(self) -> tuple[int, ...]:
        return tuple(d.npus for d in self.dims)

    @property
    def total_npus(self) -> int:
        n = 1
        for d in self.dims:
            n *= d.npus
        return n

    def address(self, npu: int) -> tuple[int, ...]:
        """Mixed-radix coordinates of an NPU id, dimension 0 first."""
        out = []
        for d in self.dims:
            out.append(npu % d.npus)
            npu //= d.npus
        return tuple(out)

    def transfer_dim(self, src: int, dst: int) -> int:
        """The lowest dimension in which two NPU addresses differ (the one a message is charged to)."""
        a, b = self.address(src), self.address(dst)
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return i
        raise ValueError(f"src and dest NPU {src} have the same address")

    def send_ns(self, src: int, dst: int, size_bytes: int) -> int:
        """Congestion-unaware time of one message between two NPUs."""
        a, b = self.address(src), self.address(dst)
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                dim = self.dims[i]
                return dim.send_ns(size_bytes, dim.hops(x, y))
        raise ValueError(f"src and dest NPU {src} have the same address")


def require_one_dimension(network: Network) -> Dimension:
    """The congestion-aware backend's only dimension; ASTRA-sim's backend exits on anything else."""
    if len(network.dims) != 1:
        raise ValueError(f"the congestion-aware backend supports 1-dimensional networks only (ASTRA-sim exits: 'only support "
                         f"1-dim topology'); this one has {len(network.dims)} dimensions")
    return network.dims[0]
