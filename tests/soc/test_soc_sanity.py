"""Sanity properties of the SoC model on random FARSI-shaped task graphs (hypothesis).

- one PE and unlimited bandwidth: latency = sum of the task times;
- one PE per task and unlimited bandwidth: latency = the critical path (exactly with FARSI's 1 %
  completion tolerance off; within 1 % of it with the tolerance on);
- adding buses never slows a mapping whose transfers they carry (one task at a time: with several
  tasks running, FARSI's arbitration -- equal shares per incoming pipe, then by burst size within a
  pipe -- can give a task a smaller share once its traffic merges with others' on a new hop; in
  random 2-3 PE mappings of wider graphs this slowed 22 of 1,500 designs, by up to 10 %);
- energy is conserved across the per-block and per-phase breakdowns, and equals instructions and
  bytes times their unit energies;
- infeasible topologies are rejected with a reason naming the task, PE and memory.
"""

from __future__ import annotations

import math

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archgym.simulators.soc.hardware import Hardware, HardwareError, SocInfeasible
from archgym.simulators.soc.mapping import Mapping
from archgym.simulators.soc.model import SocModel, SocOptions
from archgym.simulators.soc.taskgraph import random_layered_dag

from .conftest import WORKLOADS, library, model

A53_RATE = 2e9
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
dags = st.builds(random_layered_dag, seed=st.integers(0, 10_000), n_layers=st.integers(1, 5),
                 max_width=st.integers(1, 4))


def _model(g: nx.DiGraph, early: float = 0.01, leakage: bool = False) -> SocModel:
    return SocModel(g, library(g), SocOptions(early_completion=early, include_leakage=leakage))


def one_pe(m: SocModel, bus: str = "inf_bus", mem: str = "inf_dram") -> tuple[Hardware, Mapping]:
    hw = Hardware(m.library)
    hw.add("cpu", "A53_pe")
    hw.add("bus", bus)
    hw.add("dram", mem)
    hw.connect("cpu", "bus")
    hw.connect("bus", "dram")
    tasks = list(m.workload.nodes)
    return hw, Mapping({t: "cpu" for t in tasks}, {t: "dram" for t in tasks})


def pe_per_task(m: SocModel) -> tuple[Hardware, Mapping]:
    hw = Hardware(m.library)
    hw.add("bus", "inf_bus")
    hw.add("dram", "inf_dram")
    hw.connect("bus", "dram")
    for t in m.workload.nodes:
        hw.add(f"pe:{t}", "A53_pe")
        hw.connect(f"pe:{t}", "bus")
    tasks = list(m.workload.nodes)
    return hw, Mapping({t: f"pe:{t}" for t in tasks}, {t: "dram" for t in tasks})


def critical_path(g: nx.DiGraph) -> float:
    longest = {}
    for t in nx.topological_sort(g):
        w = g.nodes[t]["work_instructions"] / A53_RATE
        longest[t] = w + max((longest[p] for p in g.predecessors(t)), default=0.0)
    return longest[g.graph["last_task"]]


@SETTINGS
@given(g=dags)
def test_one_pe_unlimited_bandwidth_is_the_sum_of_task_times(g):
    m = _model(g)
    res = m.simulate(*one_pe(m))
    total = sum(w for _, w in g.nodes(data="work_instructions")) / A53_RATE
    assert res.latency_s == pytest.approx(total, rel=1e-12)
    assert res.bottleneck_block == "cpu"


@pytest.mark.parametrize("workload", WORKLOADS)
def test_shipped_workloads_on_one_pe_are_the_sum_of_a53_times(workload):
    m = model(workload)
    res = m.simulate(*one_pe(m))
    nodes = m.workload.nodes
    assert res.latency_s == pytest.approx(sum(nodes[t]["a53_time_s"] for t in nodes), rel=1e-12)


@SETTINGS
@given(g=dags)
def test_pe_per_task_unlimited_bandwidth_is_the_critical_path(g):
    exact = _model(g, early=0.0)
    cp = critical_path(g)
    assert exact.simulate(*pe_per_task(exact)).latency_s == pytest.approx(cp, rel=1e-12)
    farsi = _model(g)  # FARSI ends a task 99 % done together with the phase
    lat = farsi.simulate(*pe_per_task(farsi)).latency_s
    assert cp * 0.99 * (1 - 1e-12) <= lat <= cp * (1 + 1e-12)


def split_buses(m: SocModel, n_pe: int, placement: dict, hub: str, local: str | None,
                mem: str = "GMEM_0_8_mem") -> tuple[Hardware, Mapping]:
    """n_pe A53s, each with its own DRAM; one shared bus ``hub`` (local=None), or additionally a
    ``local`` bus per PE-memory pair, linked to the hub (PE 0 and its DRAM stay on the hub)."""
    hw = Hardware(m.library)
    hw.add("hub", hub)
    for i in range(n_pe):
        hw.add(f"pe{i}", "A53_pe")
        hw.add(f"mem{i}", mem)
        bus = "hub"
        if local is not None and i > 0:
            bus = hw.add(f"bus{i}", local)
            hw.connect(bus, "hub")
        hw.connect(f"pe{i}", bus)
        hw.connect(bus, f"mem{i}")
    return hw, Mapping({t: f"pe{placement[t]}" for t in m.workload.nodes},
                       {t: f"mem{placement[t]}" for t in m.workload.nodes})


buses = st.sampled_from(["LMEM_ic_0_1_ic", "LMEM_ic_0_4_ic", "LMEM_ic_0_8_ic", "LMEM_ic_1_1_ic"])


@SETTINGS
@given(seed=st.integers(0, 10_000), n_layers=st.integers(1, 8), n_pe=st.integers(2, 3), hub=buses, local=buses,
       data=st.data())
def test_adding_buses_never_slows_a_mapping_whose_transfers_they_carry(seed, n_layers, n_pe, hub, local, data):
    g = random_layered_dag(seed, n_layers=n_layers, max_width=1, bytes_range=(1e4, 1e7))  # one task at a time
    m = _model(g)
    if m.library[local].peak_rate < m.library[hub].peak_rate:
        hub, local = local, hub  # the added buses are at least as fast as the shared one
    place = {t: data.draw(st.integers(0, n_pe - 1), label=t) for t in g.nodes}
    shared = m.simulate(*split_buses(m, n_pe, place, hub, None))
    split = m.simulate(*split_buses(m, n_pe, place, hub, local))
    assert split.latency_s <= shared.latency_s * (1 + 1e-12)
    assert split.blocks["hub"]["bytes_read"] <= shared.blocks["hub"]["bytes_read"] * (1 + 1e-12)


def test_adding_a_faster_local_bus_speeds_up_a_bus_bound_mapping():
    g = random_layered_dag(7, n_layers=6, max_width=1, work_range=(1e4, 1e5), bytes_range=(1e6, 1e7))
    m = _model(g)
    place = {t: 0 if t == "souurce" else 1 for t in g.nodes}  # PE 1 and its DRAM do the work
    shared = m.simulate(*split_buses(m, 2, place, "LMEM_ic_0_1_ic", None))
    split = m.simulate(*split_buses(m, 2, place, "LMEM_ic_0_1_ic", "LMEM_ic_0_8_ic"))
    assert shared.bottleneck_block == "hub"
    assert split.bottleneck_block in ("bus1", "mem1", "pe1")
    assert split.latency_s < 0.5 * shared.latency_s


@SETTINGS
@given(g=dags, n_pe=st.integers(1, 3), leakage=st.booleans(), data=st.data())
def test_energy_is_conserved_across_the_breakdowns(g, n_pe, leakage, data):
    m = _model(g, early=0.0, leakage=leakage)
    place = {t: data.draw(st.integers(0, n_pe - 1), label=t) for t in g.nodes}
    hw, mp = split_buses(m, n_pe, place, "LMEM_ic_0_4_ic", "LMEM_ic_0_1_ic")
    res = m.simulate(hw, mp)
    assert sum(res.energy_breakdown().values()) == pytest.approx(res.energy_J, rel=1e-12)
    assert float(res.phase_energy_J.sum()) == pytest.approx(res.energy_J, rel=1e-12)
    lib = m.library
    for i in range(n_pe):
        mine = [t for t in g.nodes if place[t] == i]
        b = res.blocks[f"pe{i}"]
        assert b["instructions"] == pytest.approx(sum(g.nodes[t]["work_instructions"] for t in mine), rel=1e-9)
        assert b["dynamic_energy_J"] == pytest.approx(b["instructions"] / lib["A53_pe"].inst_per_joule, rel=1e-12)
        mem = res.blocks[f"mem{i}"]
        written = sum(by for p, c, by in g.edges(data="bytes") if place[p] == i and g.nodes[p]["work_instructions"] > 0)
        read = sum(by for p, c, by in g.edges(data="bytes") if place[p] == i and g.nodes[c]["work_instructions"] > 0)
        assert mem["bytes_written"] == pytest.approx(written, rel=1e-9, abs=1e-6)
        assert mem["bytes_read"] == pytest.approx(read, rel=1e-9, abs=1e-6)
        cost = lib.memory.lookup("dram", mem["peak_live_bytes"])
        assert mem["dynamic_energy_J"] == pytest.approx(
            written * cost["write_J_per_byte"] + read * cost["read_J_per_byte"], rel=1e-9, abs=1e-18)
        assert mem["leakage_energy_J"] == pytest.approx(cost["leakage_W"] * res.end_time_s if leakage else 0.0, rel=1e-9)
    assert res.energy_J > 0 and res.power_W >= res.energy_J / res.end_time_s * (1 - 1e-9)


def _islands(m: SocModel) -> Hardware:
    hw = Hardware(m.library)
    for i in (1, 2):
        hw.add(f"pe{i}", "A53_pe")
        hw.add(f"bus{i}", "LMEM_ic_0_1_ic")
        hw.add(f"mem{i}", "GMEM_0_1_mem")
        hw.connect(f"pe{i}", f"bus{i}")
        hw.connect(f"bus{i}", f"mem{i}")
    return hw


def test_a_pe_that_cannot_reach_its_input_memory_is_rejected_with_the_reason():
    m = model("edge_detection")
    hw = _islands(m)
    tasks = list(m.workload.nodes)
    mp = Mapping({t: "pe1" for t in tasks}, {t: "mem1" for t in tasks})
    mp.task_pe["laplacianEstimate"] = "pe2"
    mp.task_memory["laplacianEstimate"] = "mem2"
    with pytest.raises(SocInfeasible, match="task 'laplacianEstimate' on PE 'pe2' cannot reach memory 'mem1' that "
                                            "holds its input from 'gaussianSmoothing'"):
        m.simulate(hw, mp)
    mp.task_memory["laplacianEstimate"] = "mem1"
    with pytest.raises(SocInfeasible, match="task 'laplacianEstimate' on PE 'pe2' cannot reach memory 'mem1'"):
        m.simulate(hw, mp)
    hw.connect("bus1", "bus2")  # linking the islands makes it feasible
    assert m.simulate(hw, mp).latency_s > 0


def test_other_infeasible_topologies_are_rejected_with_the_reason():
    m = model("audio_decoder")
    hw = _islands(m)
    with pytest.raises(SocInfeasible, match="bus 'bus1' is linked to itself"):
        hw.connect("bus1", "bus1")
    with pytest.raises(SocInfeasible, match="PEs and memories link to buses only"):
        hw.connect("pe1", "mem2")
    hw.connect("bus2", "mem1")
    with pytest.raises(SocInfeasible, match="memory 'mem1' is on 2 buses"):
        m.simulate(hw, Mapping({t: "pe1" for t in m.workload.nodes}, {t: "mem1" for t in m.workload.nodes}))
    hw = _islands(m)
    hw.add("ip", "rotatorSet_fxp_cloned_IP0_1_1_pe")
    hw.connect("ip", "bus1")
    mp = Mapping({t: "pe1" for t in m.workload.nodes}, {t: "mem1" for t in m.workload.nodes})
    mp.task_pe["zoomSet_fxp_cloned"] = "ip"
    with pytest.raises(SocInfeasible, match="accelerator that only runs 'rotatorSet_fxp_cloned'"):
        m.simulate(hw, mp)
    del mp.task_memory["zoomSet_fxp_cloned"]
    mp.task_pe["zoomSet_fxp_cloned"] = "pe1"
    with pytest.raises(SocInfeasible, match="task 'zoomSet_fxp_cloned' has children but no memory"):
        m.simulate(hw, mp)
    with pytest.raises(HardwareError, match="already exists"):
        hw.add("pe1", "A53_pe")
    with pytest.raises(ValueError, match="not in the library"):
        hw.add("x", "A99_pe")


def test_unconnected_blocks_cost_nothing_and_idle_pes_have_no_area():
    m = model("hpvm_cava")
    hw, mp = one_pe(m, "LMEM_ic_0_1_ic", "GMEM_0_1_mem")
    base = m.simulate(hw, mp)
    hw.add("spare_mem", "GMEM_0_1_mem")   # on no bus
    hw.add("idle_cpu", "A53_pe")
    hw.connect("idle_cpu", "bus")         # in the design but runs nothing (FARSI: no area)
    more = m.simulate(hw, mp)
    assert more.area_m2 == base.area_m2 and more.latency_s == base.latency_s and more.energy_J == base.energy_J
    assert not more.blocks["spare_mem"]["in_design"] and more.blocks["idle_cpu"]["in_design"]
    hw.connect("bus", "spare_mem")        # a memory in the design costs its minimum size even if empty
    assert m.simulate(hw, mp).area_m2 == pytest.approx(base.area_m2 + m.library.memory.lookup("dram", 0)["area_m2"])
    assert math.isclose(m.library.memory.lookup("dram", 0)["size_bytes"], 256000)
