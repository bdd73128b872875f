"""The system-layer knobs of ASTRA-sim 2.x (its ``--system-configuration`` JSON, ``Sys::initialize_sys``).

Only what the timing of the analytical backends depends on is modelled; the reader in
``formats/system_json.py`` warns about keys ASTRA-sim reads but this model ignores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COLLECTIVES = ("AllReduce", "AllGather", "ReduceScatter", "AllToAll")
IMPLEMENTATIONS = ("ring", "direct", "halvingDoubling", "doubleBinaryTree", "oneRing", "oneDirect", "oneHalvingDoubling")
SCHEDULING_POLICIES = ("LIFO", "FIFO", "EXPLICIT")
COLLECTIVE_OPTIMIZATIONS = ("baseline", "localBWAware")
#: the JSON key holding each collective's per-dimension implementation list
IMPLEMENTATION_KEYS = {
    "AllReduce": "all-reduce-implementation",
    "AllGather": "all-gather-implementation",
    "ReduceScatter": "reduce-scatter-implementation",
    "AllToAll": "all-to-all-implementation",
}


@dataclass(frozen=True)
class Implementation:
    """One entry of an implementation list: the algorithm and, for ``directN``/``oneDirectN``, its window."""

    name: str
    window: int = -1  # -1: all peers at once (ASTRA-sim's default for direct)

    @property
    def flat(self) -> bool:
        """``one*`` implementations run a single ring over every NPU of the network."""
        return self.name.startswith("one")

    @property
    def base(self) -> str:
        """The algorithm without the ``one`` prefix: ring, direct, halvingDoubling or doubleBinaryTree."""
        return {"oneRing": "ring", "oneDirect": "direct", "oneHalvingDoubling": "halvingDoubling"}.get(self.name, self.name)

    @classmethod
    def parse(cls, text: str) -> Implementation:
        """Read one entry as ``CollectiveImplLookup`` does (``direct8`` is direct with a window of 8)."""
        if text in ("ring", "oneRing", "doubleBinaryTree", "halvingDoubling", "oneHalvingDoubling", "direct", "oneDirect"):
            return cls(text)
        for prefix in ("direct", "oneDirect"):
            rest = text[len(prefix):]
            if text.startswith(prefix) and rest.isdigit():
                return cls(prefix, int(rest[:5]))
        raise ValueError(f"collective implementation {text!r} is not one of {', '.join(IMPLEMENTATIONS)} (or directN/oneDirectN)")


def _impls(names) -> tuple[Implementation, ...]:
    return tuple(n if isinstance(n, Implementation) else Implementation.parse(n) for n in names)


@dataclass(frozen=True)
class SystemConfig:
    """ASTRA-sim's system JSON, with ASTRA-sim's own defaults where the file may leave a key out.

    ``endpoint_delay`` is in cycles (1 cycle = 1 ns), ``local_mem_bw_GBps`` in GB/s with GB = 1e9 B
    (unlike the network bandwidth). ``implementations`` maps a collective to its per-dimension list.
    """

    scheduling_policy: str = "LIFO"
    endpoint_delay: int = 10
    active_chunks_per_dimension: int = 1
    preferred_dataset_splits: int = 1
    collective_optimization: str = "baseline"
    local_mem_bw_GBps: float = 0.0
    implementations: dict = field(default_factory=lambda: {c: ("ring",) for c in COLLECTIVES})

    def __post_init__(self):
        impls = {c: _impls(self.implementations.get(c, ())) for c in COLLECTIVES}
        object.__setattr__(self, "implementations", impls)
        if self.scheduling_policy not in SCHEDULING_POLICIES:
            raise ValueError(f"scheduling-policy {self.scheduling_policy!r} is not one of {', '.join(SCHEDULING_POLICIES)}")
        if self.collective_optimization not in COLLECTIVE_OPTIMIZATIONS:
            raise ValueError(f"collective-optimization {self.collective_optimization!r} is not one of "
                             f"{', '.join(COLLECTIVE_OPTIMIZATIONS)}")
        if int(self.endpoint_delay) != self.endpoint_delay or self.endpoint_delay < 1:
            raise ValueError(f"endpoint-delay {self.endpoint_delay!r} must be an integer of at least 1 cycle: ASTRA-sim aborts "
                             "on 0 (an event scheduled at the current time fails an assertion in EventQueue.cpp)")
        if int(self.active_chunks_per_dimension) != self.active_chunks_per_dimension or self.active_chunks_per_dimension < 1:
            raise ValueError(f"active-chunks-per-dimension {self.active_chunks_per_dimension!r} must be an integer of at least 1")
        if int(self.preferred_dataset_splits) != self.preferred_dataset_splits or self.preferred_dataset_splits < 1:
            raise ValueError(f"preferred-dataset-splits {self.preferred_dataset_splits!r} must be an integer of at least 1 "
                             "(ASTRA-sim divides the collective's size by it)")
        if not self.local_mem_bw_GBps >= 0:
            raise ValueError(f"local-mem-bw {self.local_mem_bw_GBps!r} must be non-negative (GB/s, GB = 1e9 B)")

    def implementation(self, collective: str) -> tuple[Implementation, ...]:
        if collective not in COLLECTIVES:
            raise ValueError(f"collective {collective!r} is not one of {', '.join(COLLECTIVES)}")
        return self.implementations[collective]

    def reduction_ns(self, size_bytes: int) -> int:
        """Local reduction of a received message (``PacketBundle::call``): one write and two reads, each truncated."""
        if size_bytes == 0:
            return 0
        if self.local_mem_bw_GBps <= 0:
            raise ValueError("local-mem-bw is 0 or missing, but this collective reduces data: ASTRA-sim would divide by zero")
        bw = float(self.local_mem_bw_GBps) * 1000000000
        one = int(float(size_bytes) / bw * 1e9)
        return 3 * one
