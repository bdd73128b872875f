"""``archgym/Dataflow-v0``: design an Eyeriss-like DNN accelerator (ArchGym's TimeloopGym design space).

One action is one architecture; the mapper inside (:mod:`archgym.simulators.dataflow.mapper`) finds a good
mapping of every layer of the workload on it (EDP objective, fixed seed and budget, so that the score of
an architecture is deterministic), and the costs add up over the network.

Design space (ArchGym's ``parameters.ini`` / ``default_timeloop.yaml`` for TimeloopGym; the baseline's
depths 12 and 192, which ArchGym's power-of-two lists miss, are added so that the baseline is in it):

===============================  ======================================  =====================================
parameter                        values                                  meaning
===============================  ======================================  =====================================
num_pes                          14, 28, ..., 336                        processing elements (MACs)
mac_mesh_x                       2, 7, 14                                PE mesh width (= DummyBuffer count)
{ifmap,weights,psum}_spad_class  regfile, smartbuffer_SRAM,              component class (energy, area)
                                 smartbuffer_RF, SRAM
{...}_spad_depth                 2, 4, ..., 65536 (+12, +192)            rows of ``block_size`` 16-bit words
{...}_spad_block_size            1, 2, 4                                 words per row / access
{...}_spad_read_bw, _write_bw    2, 4, 8, 16                             words per cycle per PE
dummy_buffer_class/depth/        as above                                fan-out point; keeps nothing, so
block_size                                                               only its area counts (as in Timeloop)
shared_glb_class                 as above                                global buffer (inputs and outputs)
shared_glb_depth                 1024, ..., 65536                        rows of ``block_size`` words
shared_glb_n_banks               16, 32, 64, 128                         banks
shared_glb_block_size            1, 2, 4                                 words per row / access
shared_glb_read_bw, _write_bw    2, 4, 8, 16                             words per cycle
===============================  ======================================  =====================================

Metrics: ``energy_uj``, ``area_mm2``, ``cycles`` (the observation, ArchGym's [energy, area, cycles]),
``edp`` (uJ x cycles) and ``utilization`` (useful MACs / (PEs x cycles)).

Default targets, derived as ArchGym derived TimeloopGym's (``Timeloop_config.py``): 30 % less energy,
15 % less area and 20 % fewer cycles than the baseline design (ArchGym's ``get_arch_param_template``) on
the chosen workload, the baseline evaluated by this model (ArchGym's absolute figures, 29206 uJ, 2.03 mm^2
and 7885704 cycles on AlexNet, are Timeloop's at 45 nm and do not carry over).
"""

from __future__ import annotations

from pathlib import Path

from archgym import datasets
from archgym.core.env import ArchGymEnv, BaselineTargets, InfeasibleDesign, Metric
from archgym.core.spaces import Categorical, DesignSpace, Integer, Ordinal
from archgym.simulators.dataflow.architecture import ArchitectureError
from archgym.simulators.dataflow.energy_table import ComponentError
from archgym.simulators.dataflow.eyeriss import BASELINE, eyeriss_like
from archgym.simulators.dataflow.mapper import OBJECTIVES, Mapper
from archgym.simulators.dataflow.mapping import MappingError
from archgym.simulators.dataflow.network import load_layers, network_cost

WORKLOADS = ("alexnet", "resnet50", "mobilenetv2", "llama3_8b_prefill", "llama3_8b_decode_b1", "llama3_8b_decode_b16")
CLASSES = ("regfile", "smartbuffer_SRAM", "smartbuffer_RF", "SRAM")
POW2_DEPTHS = tuple(2 ** i for i in range(1, 17))
TARGET_FACTORS = {"energy_uj": 0.7, "area_mm2": 0.85, "cycles": 0.8}
METRICS = (
    Metric("energy_uj", "uJ", "min", "energy of one inference of the workload (MACs, buffers, DRAM)"),
    Metric("area_mm2", "mm^2", "min", "MACs and storage, 65 nm"),
    Metric("cycles", "cycles", "min", "total cycles of the workload's layers"),
    Metric("edp", "uJ*cycles", "min", "energy-delay product"),
    Metric("utilization", "fraction", "max", "useful MACs / (PEs x cycles)"),
)
OBSERVED = ("energy_uj", "area_mm2", "cycles")
SIMULATOR_VERSION = "dataflow-1"


def design_space() -> DesignSpace:
    params = [Integer("num_pes", 14, 336, 14), Ordinal("mac_mesh_x", (2, 7, 14))]
    for spad, base_depth in (("ifmap", 12), ("weights", 192), ("psum", 16)):
        params += [
            Categorical(f"{spad}_spad_class", CLASSES),
            Ordinal(f"{spad}_spad_depth", tuple(sorted(set(POW2_DEPTHS) | {base_depth}))),
            Ordinal(f"{spad}_spad_block_size", (1, 2, 4)),
            Ordinal(f"{spad}_spad_read_bw", (2, 4, 8, 16)),
            Ordinal(f"{spad}_spad_write_bw", (2, 4, 8, 16)),
        ]
    params += [
        Categorical("dummy_buffer_class", CLASSES),
        Ordinal("dummy_buffer_depth", POW2_DEPTHS),
        Ordinal("dummy_buffer_block_size", (1, 2, 4)),
        Categorical("shared_glb_class", CLASSES),
        Ordinal("shared_glb_depth", tuple(2 ** i for i in range(10, 17))),
        Ordinal("shared_glb_n_banks", (16, 32, 64, 128)),
        Ordinal("shared_glb_block_size", (1, 2, 4)),
        Ordinal("shared_glb_read_bw", (2, 4, 8, 16)),
        Ordinal("shared_glb_write_bw", (2, 4, 8, 16)),
    ]
    return DesignSpace(params)


def resolve_workload(workload: str | Path) -> tuple[str, Path]:
    """(name, path) of a shipped network or a layer-table CSV path."""
    return datasets.shipped_or_path(workload, WORKLOADS, "dataflow", ".csv",
                                    "a CSV with columns layer,type,H,W,C,K,R,S,stride,padding,groups,repeat", noun="network")


class DataflowEnv(ArchGymEnv):
    """Eyeriss-like accelerator design on one network (see the module docstring).

    ``workload``: ``alexnet`` (default, ArchGym's TimeloopGym workload), ``resnet50``, ``mobilenetv2``, the
    Llama-3-8B GEMMs ``llama3_8b_prefill``, ``llama3_8b_decode_b1``, ``llama3_8b_decode_b16``
    (:mod:`archgym.datasets.llm_workloads`), or a layer-table CSV path. ``mapper_budget`` (candidate
    mappings per layer) and ``mapper_objective`` (``edp``, ``energy``, ``delay``) set the mapping search
    that scores each architecture. Other keyword arguments are those of :class:`archgym.core.env.ArchGymEnv`.
    """

    compiled_package = "archgym.simulators.dataflow"
    typical_compile_seconds = 17.0

    env_id = "archgym/Dataflow-v0"
    version = "0"
    simulator_version = SIMULATOR_VERSION

    def __init__(self, workload: str = "alexnet", mapper_budget: int = 1200, mapper_objective: str = "edp",
                 **kwargs):
        name, path = resolve_workload(workload)
        if mapper_objective not in OBJECTIVES:
            raise ValueError(f"mapper_objective {mapper_objective!r} is not known; allowed: {list(OBJECTIVES)}")
        if not isinstance(mapper_budget, int) or mapper_budget < 8:
            raise ValueError(f"mapper_budget must be an integer >= 8, got {mapper_budget!r}")
        self.workload_path = path
        self.layers = load_layers(path)
        self.mapper_budget = mapper_budget
        self.mapper_objective = mapper_objective
        super().__init__(design_space(), METRICS, workload=name, default_targets=BaselineTargets(TARGET_FACTORS),
                         observation_metrics=OBSERVED, **kwargs)

    @property
    def baseline_design(self) -> dict:
        return dict(BASELINE)

    def architecture(self, design: dict):
        """The :class:`~archgym.simulators.dataflow.architecture.Architecture` of a design."""
        return eyeriss_like(dict(design))

    def simulate(self, design: dict) -> dict:
        try:
            arch = self.architecture(design)
            cost = network_cost(arch, self.layers, Mapper(arch, budget=self.mapper_budget,
                                                          objective=self.mapper_objective))
        except (ArchitectureError, ComponentError, MappingError) as e:
            raise InfeasibleDesign(str(e)) from None
        return {k: float(v) for k, v in cost.metrics().items()}
