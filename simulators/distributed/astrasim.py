"""``run_astrasim``: ASTRA-sim 2.x's analytical binaries as one in-process call, on ASTRA-sim's own input files.

The arguments are the binary's command-line options: ``--workload-configuration`` (a Chakra trace
prefix, read as ``PREFIX.<npu>.et`` for every NPU of the network, or an ASTRA-sim 1.0 text workload
file, converted as Chakra's TextConverter does), ``--system-configuration``,
``--network-configuration``, ``--remote-memory-configuration`` and ``--num-queues-per-dim``; the
binary (``AstraSim_Analytical_Congestion_Unaware`` or ``..._Aware``) is ``backend``.

Each NPU's graph is list-scheduled by ``schedule_workload`` (ASTRA-sim's workload layer) with every
collective timed by ``collective_finish_ns`` for that NPU. NPUs whose graphs are the same up to their
node ids and whose collectives take the same time share one schedule. Where NPUs finish one
collective at different times (doubleBinaryTree), each NPU's own time is used: exact for a single
collective, an approximation in a graph of several, because ASTRA-sim couples the NPUs through the
next collective's messages.

Speed: every input file is read on every call, but what it parses to is remembered under its bytes
(``formats/filecache.py``; ``clear_caches()`` forgets), and so is each collective's time per
network and system file contents; plain Chakra traces are decoded by a compiled reader
(``formats/chakra_fast.py``) once the process has read 1 MB of traces, and only the NPUs' distinct
graphs become :class:`WorkloadNode` lists. ``benchmarks/bench_astrasim.py`` compares it with the binary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from archgym.simulators.distributed.collective import BACKENDS, collective_finish_ns
from archgym.simulators.distributed.formats import filecache
from archgym.simulators.distributed.formats.chakra_et import BROADCAST, Trace, read_chakra_traces, read_trace
from archgym.simulators.distributed.formats.network_yaml import network_from_bytes
from archgym.simulators.distributed.formats.remote_memory_json import remote_memory_from_bytes
from archgym.simulators.distributed.formats.system_json import system_from_bytes
from archgym.simulators.distributed.formats.text_workload import read_text_workload
from archgym.simulators.distributed.workload import WorkloadResult, schedule_workload


@dataclass
class AstraSimResult:
    """What ASTRA-sim prints per NPU ("sys[i] finished, T cycles, exposed communication E cycles."; 1 cycle = 1 ns),
    NPU 0's ``(node_id, node_name, issue_ns, finish_ns)`` per collective in finishing order (what its
    ``trace-enabled`` log gives), and each NPU's full :class:`WorkloadResult` (wall/comm/GPU time, overlap)."""

    finish_ns: list[int]
    exposed_comm_ns: list[int]
    collectives: list[tuple]
    npus: list[WorkloadResult] = field(default_factory=list, repr=False)

    def lines(self) -> list[str]:
        """ASTRA-sim's closing line of every NPU, NPU 0 first."""
        return [f"sys[{i}] finished, {t} cycles, exposed communication {e} cycles."
                for i, (t, e) in enumerate(zip(self.finish_ns, self.exposed_comm_ns))]

    def to_dict(self) -> dict:
        r0 = self.npus[0] if self.npus else None
        return {"finish_ns": self.finish_ns, "exposed_comm_ns": self.exposed_comm_ns,
                "collectives_npu0": [list(c) for c in self.collectives],
                **({"wall_time_ns_npu0": r0.wall_time_ns, "comm_time_ns_npu0": r0.comm_time_ns, "gpu_time_ns_npu0": r0.gpu_time_ns,
                    "comp_comm_overlap_ns_npu0": r0.comp_comm_overlap_ns} if r0 else {})}


_TIMES = filecache.cache()


def _config_bytes(what: str, path) -> bytes:
    try:
        return filecache.read_bytes(path)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise FileNotFoundError(f"{what} configuration file: {path} does not exist") from None


def run_astrasim(workload_configuration, system_configuration, network_configuration, remote_memory_configuration=None,
                 num_queues_per_dim: int = 1, backend: str = "congestion_unaware", *, num_passes: int = 1) -> AstraSimResult:
    """Run ASTRA-sim 2.x's analytical backend on its own input files, in process (see the module docstring).

    ``num_passes`` is the TextConverter's pass count, used only for a text workload. Input ASTRA-sim
    refuses raises ``ValueError`` (``FileNotFoundError`` for a missing file) naming the file, key and
    value; input ASTRA-sim accepts but this model does not cover raises ``NotImplementedError``.
    Every file is read on every call; what a file parses to, and each collective's time, are
    remembered under the files' bytes (``formats.filecache``; ``clear_caches`` forgets them).
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend {backend!r} is not one of {', '.join(BACKENDS)}")
    if isinstance(num_queues_per_dim, bool) or int(num_queues_per_dim) != num_queues_per_dim or num_queues_per_dim < 1:
        raise ValueError(f"num-queues-per-dim {num_queues_per_dim!r} must be an integer of at least 1")
    sys_b = _config_bytes("system", system_configuration)
    net_b = _config_bytes("network", network_configuration)
    rem_b = None if remote_memory_configuration is None else _config_bytes("remote-memory", remote_memory_configuration)
    network = network_from_bytes(net_b, str(Path(network_configuration)))
    system, raw = system_from_bytes(sys_b, str(Path(system_configuration)))
    if not isinstance(raw, dict):
        raw = {}
    if rem_b is not None:
        remote_memory_from_bytes(rem_b, str(Path(remote_memory_configuration)))
    if raw.get("replay-only"):
        raise NotImplementedError(f"{system_configuration}: replay-only {raw['replay-only']!r}: replaying every node with its "
                                  "recorded duration is not modelled (only 0, the default)")
    npus = network.total_npus
    prefix = str(workload_configuration)
    first = f"{prefix}.0.et"
    try:
        first_b = filecache.read_bytes(first)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        first_b = None
    if first_b is not None:
        ndims = len(network.dims)
        traces = [read_trace(first, first_b, ndims)]
        traces += read_chakra_traces(prefix, npus, ndims, first=1)
    elif Path(prefix).is_file():
        traces = [Trace(nodes=read_text_workload(prefix, num_passes))] * npus
    else:
        raise FileNotFoundError(f"workload file: {prefix}.0.et does not exist (--workload-configuration is a Chakra trace "
                                "prefix PREFIX, read as PREFIX.<npu>.et, or an ASTRA-sim 1.0 text workload file)")
    if raw.get("roofline-enabled") and any(t.has_compute for t in traces):
        raise NotImplementedError(f"{system_configuration}: roofline-enabled {raw['roofline-enabled']!r}: compute times from "
                                  "num_ops and peak-perf are not modelled; set it to 0 to use each node's duration_micros")

    def finish_per_npu(collective, size):
        if collective == BROADCAST:  # not simulated by ASTRA-sim: size_bytes holds its duration in ns
            return (size,) * npus
        key = (net_b, sys_b, collective, size, num_queues_per_dim, backend)
        hit = _TIMES.get(key)
        if hit is None:
            hit = filecache.remember(_TIMES, key, tuple(collective_finish_ns(network, system, collective, size,
                                                                             queues_per_dim=num_queues_per_dim, backend=backend)))
        return hit

    per_key: dict = {}
    cache: dict = {}
    results = []
    for npu, trace in enumerate(traces):
        mine = []
        for c, s in trace.collectives:
            t = per_key.get((c, s))
            if t is None:
                t = per_key[(c, s)] = finish_per_npu(c, s)
            mine.append(t[npu])
        sig = (trace.signature, trace.collectives, tuple(mine))
        res = cache.get(sig)
        if res is None:
            own = dict(zip(trace.collectives, mine))
            res = cache[sig] = schedule_workload(trace.nodes, lambda c, s, own=own: own[(c, s)])
        results.append(res)
    return AstraSimResult([r.finish_ns for r in results], [r.exposed_comm_ns for r in results], list(results[0].collectives), results)


__all__ = ["run_astrasim", "AstraSimResult"]
