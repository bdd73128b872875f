"""Event-level model of ASTRA-sim 2.x: every NPU's system layer, collective algorithms and the network.

Used where NPUs are not in the same position (doubleBinaryTree, whose NPUs finish at different times)
and for the congestion-aware backend. It follows ASTRA-sim's own event structure (memory-bus moves,
packet bundles, send/receive matching by tag, per-dimension queues), so that the order of events,
and not only their durations, is the simulator's.
"""

from archgym.simulators.distributed.events.run import simulate_collective

__all__ = ["simulate_collective"]
