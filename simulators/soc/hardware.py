"""Hardware as a graph: processing elements, memories and buses (nodes) and their links (edges).

Rules (FARSI's): a PE sits on one bus; a memory sits on one bus; buses link to buses. Blocks
that no task-running PE can reach are not part of the design (no area, no energy). Data moves
between a PE and a memory along the shortest path of buses (breadth-first, in the order links
were made). Every block is an instance of a :class:`~.block_library.BlockType`.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from .block_library import BlockLibrary, BlockType

KIND_CODE = {"pe": 0, "bus": 1, "mem": 2}
SUBTYPE_CODE = {"dram": 0, "sram": 1}


class HardwareError(ValueError):
    """Malformed hardware input: an unknown block type or instance, a duplicate name."""


class SocInfeasible(ValueError):
    """A design that cannot be built or run (the message says why, naming blocks and tasks)."""


class Hardware:
    """A networkx graph of block instances. Node attribute ``block`` is the library name."""

    def __init__(self, library: BlockLibrary):
        self.library = library
        self.graph = nx.Graph()

    def add(self, instance: str, block: str) -> str:
        """Add a block instance of library type ``block``; returns ``instance``."""
        if not isinstance(instance, str) or not instance:
            raise HardwareError(f"instance name {instance!r}; allowed: a non-empty string")
        if instance in self.graph:
            raise HardwareError(f"instance {instance!r} already exists ({self.graph.nodes[instance]['block']})")
        t = self.library[block]
        self.graph.add_node(instance, block=block, kind=t.kind)
        return instance

    def connect(self, a: str, b: str) -> None:
        """Link two instances (PE-bus, bus-bus or bus-memory)."""
        for x in (a, b):
            if x not in self.graph:
                raise HardwareError(f"instance {x!r} is not in the hardware; instances: {list(self.graph.nodes)}")
        if a == b:
            raise SocInfeasible(f"bus {a!r} is linked to itself")
        ka, kb = self.kind(a), self.kind(b)
        if "bus" not in (ka, kb):
            raise SocInfeasible(f"{ka} {a!r} cannot link to {kb} {b!r}: PEs and memories link to buses only")
        self.graph.add_edge(a, b)

    def kind(self, instance: str) -> str:
        return self.graph.nodes[instance]["kind"]

    def block_type(self, instance: str) -> BlockType:
        return self.library[self.graph.nodes[instance]["block"]]

    def instances(self, kind: str | None = None) -> list[str]:
        return [n for n, k in self.graph.nodes(data="kind") if kind is None or k == kind]

    def validate(self) -> None:
        """Raise :class:`SocInfeasible` if a PE or a memory sits on more than one bus (one on no bus
        is simply not connected: it is not part of the design unless a task needs it)."""
        for n in self.graph.nodes:
            k = self.kind(n)
            if k in ("pe", "mem"):
                buses = list(self.graph.neighbors(n))
                if len(buses) > 1:
                    what = "PE" if k == "pe" else "memory"
                    raise SocInfeasible(f"{what} {n!r} is on {len(buses)} buses {buses}; a {what} sits on one bus")

    def reachable(self, a: str, b: str) -> bool:
        return nx.has_path(self.graph, a, b)

    def arrays(self) -> dict[str, np.ndarray]:
        """Per-block arrays in instance order (the order blocks were added), for the scheduler."""
        names = list(self.graph.nodes)
        idx = {n: i for i, n in enumerate(names)}
        nb = len(names)
        types = [self.block_type(n) for n in names]
        deg = max((self.graph.degree(n) for n in names), default=0)
        nbr = np.full((nb, max(deg, 1)), -1, dtype=np.int64)
        for i, n in enumerate(names):
            for j, m in enumerate(self.graph.adj[n]):
                nbr[i, j] = idx[m]
        return {
            "kind": np.array([KIND_CODE[t.kind] for t in types], dtype=np.int64),
            "peak": np.array([t.peak_rate for t in types], dtype=np.float64),
            "inst_per_joule": np.array([t.inst_per_joule for t in types], dtype=np.float64),
            "fixed_area": np.array([t.area_m2 for t in types], dtype=np.float64),
            "work_per_m2": np.array([t.work_per_m2 for t in types], dtype=np.float64),
            "mem_subtype": np.array([SUBTYPE_CODE.get(t.subtype, -1) for t in types], dtype=np.int64),
            "joule_per_byte": np.array([t.joule_per_byte for t in types], dtype=np.float64),
            "leakage": np.array([t.leakage_W for t in types], dtype=np.float64),
            "nbr": nbr,
        }
