"""Logical topologies a collective runs on (``GeneralComplexTopology`` of ASTRA-sim's system layer).

The number of logical dimensions is the length of the collective's implementation list, not the
network's: a shorter list silently leaves the remaining network dimensions out. Logical dimension d is
a ring over the NPUs that differ only in coordinate d (stride ``n0 * ... * n(d-1)``). A ``one*``
implementation at position d ends the list there with one ring over *every* NPU of the network, in id
order (stride 1); a message on it is costed by the lowest dimension in which the two ids differ.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from archgym.simulators.distributed.network import Network, require_one_dimension
from archgym.simulators.distributed.system import Implementation


@dataclass(frozen=True)
class LogicalRing:
    """One logical dimension: ``size`` NPUs, ``stride`` apart in id, running ``impl``; ``level`` picks its queues."""

    network: Network
    size: int
    stride: int
    impl: Implementation
    level: int
    aware: bool = False  # cost sends as the congestion-aware backend does when nothing else is on the route

    def send_ns(self, size_bytes: int, offset: int) -> int:
        """Time of a message to the peer ``offset`` places along this ring (the same for every NPU, by symmetry)."""
        offset %= self.size
        if self.aware:
            return uncontended_aware_send_ns(self.network, 0, offset * self.stride, size_bytes)
        return self.network.send_ns(0, offset * self.stride, size_bytes)


def uncontended_aware_send_ns(network: Network, src: int, dst: int, size_bytes: int) -> int:
    """Congestion-aware time of a message alone on its route: ``hops * floor(latency + m / B)`` (store and forward)."""
    dim = require_one_dimension(network)
    hops = 1 if dim.topology == "FullyConnected" else 2 if dim.topology == "Switch" else dim.hops(src, dst)
    return hops * int(float(dim.latency_ns) + float(size_bytes) / dim.bandwidth_Bpns)


def logical_rings(network: Network, impls: tuple[Implementation, ...], what: str = "", aware: bool = False) -> list[LogicalRing]:
    """The logical dimensions of a collective with implementation list ``impls`` on ``network``."""
    dims = network.npus_per_dim
    if len(impls) > len(dims):
        raise ValueError(f"{what or 'implementation'} list has {len(impls)} entries but the network has only {len(dims)} "
                         "dimensions (ASTRA-sim asserts in GeneralComplexTopology)")
    if not impls:
        raise ValueError(f"{what or 'implementation'} list is empty")
    if len(impls) < len(dims) and not any(i.flat for i in impls):
        warnings.warn(f"{what or 'implementation'} list has {len(impls)} entries for a {len(dims)}-dimensional network: as in "
                      f"ASTRA-sim, the collective runs over network dimensions 0..{len(impls) - 1} only", stacklevel=3)
    rings = []
    stride = 1
    for level, impl in enumerate(impls):
        if impl.flat:
            rings.append(LogicalRing(network, network.total_npus, 1, impl, level, aware))
            return rings
        rings.append(LogicalRing(network, dims[level], stride, impl, level, aware))
        stride *= dims[level]
    return rings
