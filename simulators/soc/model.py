"""The task-graph SoC model's entry point: simulate a mapped design on a workload.

>>> model = SocModel.from_files("audio_decoder.json", "block_library.json", "memory_cacti.csv")
>>> result = model.simulate(hardware, mapping)          # SocResult
>>> result.latency_s, result.energy_J, result.power_W, result.area_m2

The defaults reproduce FARSI's modelling choices (see the scheduler, cost and block-library
modules); :class:`SocOptions` names the few knobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np

from .block_library import BlockLibrary
from .evaluate import evaluate_design, hardware_tuple, memory_tuple, workload_tuple
from .hardware import Hardware, SocInfeasible
from .mapping import Mapping
from .scheduler import OK
from .taskgraph import DEFAULT_BURST_BYTES, load_task_graph, validate_task_graph, workload_arrays

MODEL_VERSION = "1"


@dataclass(frozen=True)
class SocOptions:
    """``early_completion``: a task at least this close to done finishes with the phase (FARSI: 1 %);
    ``power_window_s``: FARSI's power-collection window; ``burst_bytes``: FARSI's burst size;
    ``include_leakage``: add block leakage power x time (FARSI's performance simulation does not)."""

    early_completion: float = 0.01
    power_window_s: float = 0.01
    burst_bytes: int = DEFAULT_BURST_BYTES
    include_leakage: bool = False

    def __post_init__(self):
        if not 0.0 <= self.early_completion < 1.0:
            raise ValueError(f"early_completion = {self.early_completion!r}; allowed: 0 <= x < 1")
        if not self.power_window_s > 0:
            raise ValueError(f"power_window_s = {self.power_window_s!r}; allowed: > 0")
        if not isinstance(self.burst_bytes, int) or self.burst_bytes < 1:
            raise ValueError(f"burst_bytes = {self.burst_bytes!r}; allowed: an integer >= 1")


@dataclass
class SocResult:
    """Metrics of one simulated design. Areas in m^2, energy in J, power in W, times in s."""

    workload: str
    latency_s: float
    energy_J: float
    power_W: float          # FARSI's system power: highest ~10 ms window average
    avg_power_W: float      # energy / latency
    area_m2: float
    area_dram_m2: float
    area_logic_m2: float    # everything but DRAM (FARSI compares both parts to the area budget)
    end_time_s: float       # when the last task (of any kind) finished
    task_start_s: dict
    task_finish_s: dict
    blocks: dict            # instance -> per-block report
    bottleneck_block: str | None
    phases: int
    phase_energy_J: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))

    def metrics(self) -> dict[str, float]:
        return {"latency_s": self.latency_s, "energy_J": self.energy_J, "power_W": self.power_W,
                "avg_power_W": self.avg_power_W, "area_m2": self.area_m2, "area_dram_m2": self.area_dram_m2,
                "area_logic_m2": self.area_logic_m2}

    def energy_breakdown(self) -> dict[str, float]:
        """Energy per block and component (``<instance>/dynamic``, ``<instance>/leakage``); sums to ``energy_J``."""
        out = {}
        for name, b in self.blocks.items():
            out[f"{name}/dynamic"] = b["dynamic_energy_J"]
            out[f"{name}/leakage"] = b["leakage_energy_J"]
        return out


class SocModel:
    """A workload and a block library, ready to simulate designs."""

    def __init__(self, workload: nx.DiGraph, library: BlockLibrary, options: SocOptions | None = None):
        validate_task_graph(workload, where=str(workload.graph.get("name", "workload")))
        self.workload = workload
        self.library = library
        self.options = options or SocOptions()
        self.arrays = workload_arrays(workload, self.options.burst_bytes)
        self._wl = workload_tuple(self.arrays)
        self._mem = memory_tuple(library.memory)

    @classmethod
    def from_files(cls, task_graph: str | Path, library_json: str | Path, memory_csv: str | Path,
                   options: SocOptions | None = None) -> SocModel:
        g = load_task_graph(task_graph)
        return cls(g, BlockLibrary.from_files(library_json, memory_csv, g), options)

    @property
    def name(self) -> str:
        return self.arrays.name

    def simulate(self, hardware: Hardware, mapping: Mapping) -> SocResult:
        """Simulate; raise :class:`SocInfeasible` (with the reason) for a design that cannot run."""
        if hardware.library is not self.library:
            raise ValueError("the hardware was built from another block library than this model's")
        hardware.validate()
        mapping.validate(self.workload, hardware)
        hw = hardware.arrays()
        task_pe, task_mem = mapping.arrays(self.arrays.names, hardware)
        o = self.options
        r = evaluate_design(self._wl, self.arrays.last_task, hardware_tuple(hw), task_pe, task_mem, self._mem,
                            o.early_completion, o.power_window_s, o.include_leakage)
        if r[0] != OK:  # validation above catches what the core reports; anything else is a bug
            raise RuntimeError(f"SoC core failed with code {r[0]} ({r[1]}, {r[2]}) on a validated design")
        return _result(self.arrays, list(hardware.graph.nodes), hardware, hw, r)


def _result(wa, instances, hardware, hw, r) -> SocResult:
    (_, _, _, scal, in_design, n_ph, start, finish, dyn, leak_e, area, mem_size, mem_peak, bytes_rw, work_pe,
     bott_time, ph_e, chan_time) = r
    lat, energy, power, a_tot, a_dram, t_end = (float(x) for x in scal)
    blocks = {}
    for b, name in enumerate(instances):
        kind = hardware.kind(name)
        if t_end <= 0:
            util = 0.0
        elif kind == "pe":
            util = float(work_pe[b]) / (float(hw["peak"][b]) * t_end) if np.isfinite(hw["peak"][b]) else 0.0
        else:
            util = float(chan_time[b]) / t_end
        blocks[name] = {
            "kind": kind, "block": hardware.graph.nodes[name]["block"], "in_design": bool(in_design[b]),
            "dynamic_energy_J": float(dyn[b]), "leakage_energy_J": float(leak_e[b]), "area_m2": float(area[b]),
            "utilization": util,
            "bytes_read": float(bytes_rw[b, 1]), "bytes_written": float(bytes_rw[b, 0]),
            "instructions": float(work_pe[b]) if kind == "pe" else 0.0,
            "bottleneck_s": float(bott_time[b]),
            "memory_bytes": float(mem_size[b]) if kind == "mem" else 0.0,
            "peak_live_bytes": float(mem_peak[b]) if kind == "mem" else 0.0,
        }
    bott = None
    if bott_time.size and bott_time.max() > 0:
        bott = instances[int(np.argmax(bott_time))]
    return SocResult(
        workload=wa.name, latency_s=lat, energy_J=energy, power_W=power,
        avg_power_W=energy / lat if lat > 0 else 0.0, area_m2=a_tot, area_dram_m2=a_dram, area_logic_m2=a_tot - a_dram,
        end_time_s=t_end, task_start_s=dict(zip(wa.names, map(float, start))),
        task_finish_s=dict(zip(wa.names, map(float, finish))), blocks=blocks, bottleneck_block=bott, phases=int(n_ph),
        phase_energy_J=np.asarray(ph_e),
    )


__all__ = ["Hardware", "Mapping", "SocInfeasible", "SocModel", "SocOptions", "SocResult", "MODEL_VERSION"]
