"""A mapping: which PE runs each task, and which memory holds each task's output data.

A task writes everything it produces for its children into its memory; each child reads its
inputs from its parents' memories (FARSI's convention). Checks: every task is on a PE that can run
it, every task with children has a memory, and every PE reaches, through buses, the memories it
writes to and reads from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from .hardware import Hardware, SocInfeasible


@dataclass
class Mapping:
    """``task_pe``: task -> PE instance; ``task_memory``: task -> memory instance holding its output."""

    task_pe: dict = field(default_factory=dict)
    task_memory: dict = field(default_factory=dict)

    def validate(self, workload: nx.DiGraph, hardware: Hardware) -> None:
        """Raise :class:`SocInfeasible` with the first reason this mapping cannot run."""
        hw = hardware.graph
        unknown = [t for t in list(self.task_pe) + list(self.task_memory) if t not in workload]
        if unknown:
            raise SocInfeasible(f"mapping names task(s) {sorted(set(unknown))} that are not in the workload")
        pes, mems = hardware.instances("pe"), hardware.instances("mem")
        for t in workload.nodes:
            pe = self.task_pe.get(t)
            if pe is None:
                raise SocInfeasible(f"task {t!r} has no PE; every task runs on one PE")
            if pe not in hw or hardware.kind(pe) != "pe":
                raise SocInfeasible(f"task {t!r} is mapped to {pe!r}, which is not a PE of the hardware; PEs: {pes}")
            bt = hardware.block_type(pe)
            if not bt.runs(t):
                raise SocInfeasible(f"task {t!r} is mapped to PE {pe!r}, a {bt.name} accelerator that only runs {bt.task!r}")
            if workload.out_degree(t) > 0:
                m = self.task_memory.get(t)
                if m is None:
                    raise SocInfeasible(f"task {t!r} has children but no memory for its output")
                if m not in hw or hardware.kind(m) != "mem":
                    raise SocInfeasible(f"task {t!r} writes to {m!r}, which is not a memory of the hardware; memories: {mems}")
        group = {n: k for k, nodes in enumerate(nx.connected_components(hw)) for n in nodes}
        for p, c in workload.edges:
            m = self.task_memory[p]
            if group[self.task_pe[p]] != group[m]:
                raise SocInfeasible(f"task {p!r} on PE {self.task_pe[p]!r} cannot reach memory {m!r} that holds its output "
                                    f"(no path of buses)")
            if group[self.task_pe[c]] != group[m]:
                raise SocInfeasible(f"task {c!r} on PE {self.task_pe[c]!r} cannot reach memory {m!r} that holds its input "
                                    f"from {p!r} (no path of buses)")

    def arrays(self, task_names: tuple, hardware: Hardware) -> tuple[np.ndarray, np.ndarray]:
        """(task -> PE block index, task -> memory block index or -1), in hardware instance order."""
        idx = {n: i for i, n in enumerate(hardware.graph.nodes)}
        pe = np.array([idx[self.task_pe[t]] for t in task_names], dtype=np.int64)
        mem = np.array([idx[self.task_memory[t]] if t in self.task_memory else -1 for t in task_names], dtype=np.int64)
        return pe, mem
