"""``archgym/DRAM-v0``: design a DDR4 (or DDR3) memory controller (ArchGym's DRAMSys design space).

One action = one full controller configuration, with DRAMSys's mcconfig knob names and values:

======================  ==========================================  ==========================================
knob                    values                                      meaning
======================  ==========================================  ==========================================
PagePolicy              Open, OpenAdaptive, Closed, ClosedAdaptive  when rows are closed (auto-precharge)
Scheduler               Fifo, FrFcfs, FrFcfsGrp                     request order per bank (row hits first...)
SchedulerBuffer         Bankwise, ReadWrite, Shared                 how the request buffer is partitioned
RequestBufferSize       1, 2, 4, ..., 128                           buffer entries (per bank for Bankwise;
                                                                    ReadWrite uses DRAMSys's 8 + 8 entries)
RespQueue               Fifo, Reorder                               responses in completion or request order
RefreshPolicy           NoRefresh, AllBank                          all-bank refresh every tREFI, or none
RefreshMaxPostponed     0, 1, 2, 4, 8                               refreshes that may be postponed when busy
RefreshMaxPulledin      0, 1, 2, 4, 8                               refreshes that may be pulled in when idle
PowerDownPolicy         NoPowerDown, Staggered                      per-rank power-down / self refresh
Arbiter                 Simple, Fifo, Reorder                       front-end arbiter
MaxActiveTransactions   1, 2, 4, ..., 128                           in-flight requests (Fifo/Reorder arbiter)
======================  ==========================================  ==========================================

The simulator (:mod:`archgym.simulators.dram`) is a cycle-accurate model of DRAMSys 5's controller and
DRAMPower's energy model; on the reference traces it reproduces DRAMSys's figures (see
``tests/dram``). Metrics: ``energy_pJ`` and ``avg_power_mW`` (DRAMPower's total energy and average
power), ``latency_ns`` (DRAMSys's average read latency: BEGIN_REQ at the controller to the end of the
data burst), ``total_time_ns`` (time to serve the whole trace), ``bandwidth_GBps``, ``row_hit_rate``
and ``p99_latency_ns``. The observation holds energy, power, latency and bandwidth.

Workloads: a shipped name (``datasets/dram/workloads.json``: ``stream``, ``random``, ``mixed``,
``strided``, ``conflict``, each at gap 8 cycles, plus ``_g1`` (saturating), ``_g8`` and ``_g32``
(light load) variants; 20,000 requests of 64 B, generated reproducibly by
:mod:`archgym.simulators.dram.tracegen`) or a path to a DRAMSys ``.stl`` trace.

Rewards: ArchGym's formulations through ``objective`` -- ``"both"`` (power and latency, default),
``"power"``, ``"latency"`` or ``"energy"`` -- with any reward family of :mod:`archgym.core.rewards`.
ArchGym's absolute targets (power 1, latency 0.1 after its own scaling) are tied to its DRAMSys DDR3
set-up, so the default targets are relative to ArchGym's shipped controller policy
(:data:`BASELINE`: Fifo scheduler, one buffer entry, no refresh, one active transaction) run on the
chosen workload: :data:`TARGET_FACTORS` x its metric (20 % less power, 4.5 % less latency, 8 % less
energy). The factors were set on the default ``stream`` workload so that the targets are reachable but
rare: 1.1 % of 48,114 Latin-hypercube designs meet both power and latency (5 % of latency is all
any controller gains there over the baseline; ArchGym's own 10 % on both is met by none). Override
them with ``targets={...}`` in the metrics' own units.
"""

from __future__ import annotations

import json
from pathlib import Path

from archgym import datasets
from archgym.core.env import ArchGymEnv, BaselineTargets, Metric
from archgym.core.spaces import Categorical, DesignSpace, Ordinal, PowerOfTwo
from archgym.simulators.dram.addressmap import load_mapping
from archgym.simulators.dram.memspec import load_memspec
from archgym.simulators.dram.simulation import SIMULATOR_VERSION, PreparedChannel
from archgym.simulators.dram.tracegen import generate

#: ArchGym's shipped DRAMSys policy (its ``policy.json``), the baseline of the default targets
BASELINE = {
    "PagePolicy": "Open", "Scheduler": "Fifo", "SchedulerBuffer": "Bankwise", "RequestBufferSize": 1,
    "RespQueue": "Fifo", "RefreshPolicy": "NoRefresh", "RefreshMaxPostponed": 1, "RefreshMaxPulledin": 1,
    "PowerDownPolicy": "NoPowerDown", "Arbiter": "Simple", "MaxActiveTransactions": 1,
}
#: target = factor x baseline metric, per objective
TARGET_FACTORS = {"avg_power_mW": 0.8, "latency_ns": 0.955, "energy_pJ": 0.92}
OBJECTIVES = {
    "both": ("avg_power_mW", "latency_ns"),
    "power": ("avg_power_mW",),
    "latency": ("latency_ns",),
    "energy": ("energy_pJ",),
}
#: memory devices: name -> (memspec, address mapping) shipped in datasets/dram
MEMORIES = {
    "ddr4_2400": ("memspec_ddr4_8Gb_x8_2400.json", "addressmapping_ddr4_8Gb_x8_2rank_rochrababgco.json"),
    "ddr3_1600": ("memspec_ddr3_1Gb_x8_1600.json", "addressmapping_ddr3_1Gb_x8_rochrabaco.json"),
}

METRICS = (
    Metric("energy_pJ", "pJ", "min", "DRAMPower total energy of the trace"),
    Metric("avg_power_mW", "mW", "min", "DRAMPower average power"),
    Metric("latency_ns", "ns", "min", "average read latency (BEGIN_REQ at the controller to end of burst)"),
    Metric("bandwidth_GBps", "GB/s", "max", "bytes transferred / total time"),
    Metric("total_time_ns", "ns", "min", "time to serve the whole trace (last response)"),
    Metric("row_hit_rate", "fraction", "max", "1 - requests that needed an ACT / requests"),
    Metric("p99_latency_ns", "ns", "min", "99th percentile read latency"),
)
OBSERVED = ("energy_pJ", "avg_power_mW", "latency_ns", "bandwidth_GBps")
#: knobs the controller never reads under another knob's value: (knob, value) -> knobs it makes irrelevant
#: (the Simple arbiter has no transaction slots, NoRefresh no refresh manager, ReadWrite buffers their own
#: fixed 8 + 8 entries); designs differing only there simulate identically (tests/dram assert it)
IGNORED_UNDER = {
    ("Arbiter", "Simple"): ("MaxActiveTransactions",),
    ("RefreshPolicy", "NoRefresh"): ("RefreshMaxPostponed", "RefreshMaxPulledin"),
    ("SchedulerBuffer", "ReadWrite"): ("RequestBufferSize",),
}


def simulation_key(design: dict) -> tuple:
    """A hashable key equal for designs that simulate identically (irrelevant knobs dropped)."""
    drop = set()
    for (knob, value), knobs in IGNORED_UNDER.items():
        if design.get(knob) == value:
            drop.update(knobs)
    return tuple(sorted((k, v) for k, v in design.items() if k not in drop))


def design_space() -> DesignSpace:
    return DesignSpace([
        Categorical("PagePolicy", ("Open", "OpenAdaptive", "Closed", "ClosedAdaptive")),
        Categorical("Scheduler", ("Fifo", "FrFcfs", "FrFcfsGrp")),
        Categorical("SchedulerBuffer", ("Bankwise", "ReadWrite", "Shared")),
        PowerOfTwo("RequestBufferSize", 1, 128),
        Categorical("RespQueue", ("Fifo", "Reorder")),
        Categorical("RefreshPolicy", ("NoRefresh", "AllBank")),
        Ordinal("RefreshMaxPostponed", (0, 1, 2, 4, 8)),
        Ordinal("RefreshMaxPulledin", (0, 1, 2, 4, 8)),
        Categorical("PowerDownPolicy", ("NoPowerDown", "Staggered")),
        Categorical("Arbiter", ("Simple", "Fifo", "Reorder")),
        PowerOfTwo("MaxActiveTransactions", 1, 128),
    ])


def shipped_workloads() -> dict[str, dict]:
    return json.loads(datasets.path("dram", "workloads.json").read_text())["workloads"]


def resolve_memory(memory: str):
    """(memspec, mapping) of a shipped memory name."""
    if memory not in MEMORIES:
        raise ValueError(f"memory {memory!r} is not known; allowed: {sorted(MEMORIES)}")
    spec_file, map_file = MEMORIES[memory]
    return load_memspec(datasets.path("dram", spec_file)), load_mapping(datasets.path("dram", map_file))


def load_workload(workload: str | Path, spec, mapping):
    """(name, trace) of a shipped workload name (a request array) or an ``.stl`` path."""
    table = shipped_workloads()
    if isinstance(workload, str) and workload in table:
        w = table[workload]
        return workload, generate(w["pattern"], w["n"], w["gap"], spec, mapping, seed=w["seed"])
    p = Path(workload)
    if p.suffix.lower() == ".stl" and p.exists():
        return p.stem, p
    raise ValueError(f"workload {str(workload)!r} is neither a shipped workload nor an existing .stl file; "
                     f"allowed: {sorted(table)} or a path to a DRAMSys .stl trace")


class DRAMEnv(ArchGymEnv):
    """Memory-controller design on one request trace (see the module docstring).

    ``workload``: shipped name (default ``"stream"``) or ``.stl`` path; ``memory``: ``"ddr4_2400"``
    (default, 2 ranks of 8Gb x8 DDR4-2400) or ``"ddr3_1600"``; ``objective``: ``"both"``,
    ``"power"``, ``"latency"`` or ``"energy"`` (which metrics get default targets). Other keyword
    arguments are those of :class:`archgym.core.env.ArchGymEnv` (reward, targets, observe, ...).
    """

    compiled_package = "archgym.simulators.dram"
    typical_compile_seconds = 22.0

    env_id = "archgym/DRAM-v0"
    version = "0"
    simulator_version = f"dram-{SIMULATOR_VERSION}"

    def __init__(self, workload: str = "stream", memory: str = "ddr4_2400", objective: str = "both", **kwargs):
        if objective not in OBJECTIVES:
            raise ValueError(f"objective {objective!r} is not known; allowed: {sorted(OBJECTIVES)}")
        spec, mapping = resolve_memory(memory)
        name, trace = load_workload(workload, spec, mapping)
        self.memory = memory
        self.objective = objective
        self.channel = PreparedChannel(spec, trace, mapping)
        factors = BaselineTargets({m: TARGET_FACTORS[m] for m in OBJECTIVES[objective]})
        super().__init__(design_space(), METRICS, workload=name, default_targets=factors,
                         observation_metrics=OBSERVED, **kwargs)

    @property
    def baseline_design(self) -> dict:
        return dict(BASELINE)

    def cache_key(self, design: dict) -> tuple:
        return simulation_key(design)

    def simulate(self, design: dict) -> dict:
        m = self.channel.run(design).metrics
        tck = self.channel.spec.tck_ns
        out = {
            "energy_pJ": m["energy_pJ"],
            "avg_power_mW": m["avg_power_mW"],
            "latency_ns": m["avg_read_latency_cycles"] * tck,
            "bandwidth_GBps": m["bandwidth_GBps"],
            "total_time_ns": m["total_time_ns"],
            "row_hit_rate": m["row_hit_rate"],
            "p99_latency_ns": m["p99_read_latency_cycles"] * tck,
        }
        return out
