"""archgym/SoC-v0: gymnasium conformance, determinism, reward direction, feasibility reporting,
every slot reachable, and agreement between the batched and the Python evaluation paths."""

from __future__ import annotations

import json

import gymnasium as gym
import networkx as nx
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import archgym  # noqa: F401  (registers the environments)
from archgym.core import gym_spaces
from archgym.core.env import InfeasibleDesign
from archgym.envs.soc import WORKLOADS, FarsiDistance, SoCEnv, budgets
from archgym.simulators.soc.taskgraph import random_layered_dag


@pytest.fixture(scope="module", params=WORKLOADS)
def env(request):
    return SoCEnv(workload=request.param)


def test_make_and_check_env(env):
    made = gym.make("archgym/SoC-v0", workload=env.workload)
    check_env(made.unwrapped)
    check_env(SoCEnv(workload=env.workload, flat_action=True))


def test_space_is_archgyms_limited_encoding_with_every_slot_reachable(env):
    n_t = len(env.encoding.tasks)
    assert len(env.design_space) == 18 + 2 * n_t == {"audio_decoder": 54, "edge_detection": 34, "hpvm_cava": 36}[env.workload]
    flat = gym_spaces.flat_space(env.design_space)
    assert list(flat.nvec[:18]) == [2] * 3 + [4] * 6 + [3] * 3 + [4] * 6
    assert set(flat.nvec[18:]) == {3}
    # a design that uses the last type and slot 2 everywhere it can
    d = env.baseline_design
    d.update({"pe_2": env.encoding.pe_types[0], "mem_2": env.encoding.mem_types[-1], "bus_2": env.encoding.bus_types[-1],
              "pe_0_bus": 2, "pe_1_bus": 2, "pe_2_bus": 2, "bus_0_mem": -1, "bus_2_mem": 2})
    d.update({f"{t}_pe": 2 for t in env.encoding.tasks})
    d.update({f"{t}_mem": 2 for t in env.encoding.tasks})
    ev = env.evaluate(d)
    assert ev.feasible, ev.violation
    assert env.result(d).blocks["mem_2"]["bytes_written"] > 0


def test_default_targets_are_farsis_budgets_and_reward_is_minus_farsi_distance(env):
    assert env.default_targets == budgets(env.workload)
    assert isinstance(env.reward_fn, FarsiDistance)
    env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step_design(env.baseline_design)
    m, b = info["metrics"], env.default_targets
    parts = [(m["latency_s"] - b["latency_s"]) / b["latency_s"], (m["power_W"] - b["power_W"]) / b["power_W"],
             (m["area_logic_m2"] - b["area_m2"]) / b["area_m2"], (m["area_dram_m2"] - b["area_m2"]) / b["area_m2"]]
    assert reward == pytest.approx(-sum(p if p >= 0.001 else 1e-9 for p in parts), rel=1e-12)
    assert info["feasible"] and not info["target_met"] and terminated
    np.testing.assert_array_equal(obs, [m["latency_s"], m["power_W"], m["area_m2"], m["energy_J"]])


def test_faster_design_gets_higher_reward_and_loose_targets_are_met():
    env = SoCEnv(workload="edge_detection")
    slow = env.baseline_design
    fast = dict(slow, **{f"{t}_pe": i % 3 for i, t in enumerate(env.encoding.tasks)},
                pe_1_bus=0, pe_2_bus=0, bus_0="LMEM_ic_0_8_ic", mem_0="GMEM_0_8_mem")
    r_slow, r_fast = env.reward_of(env.evaluate(slow)), env.reward_of(env.evaluate(fast))
    assert env.evaluate(fast).metrics["latency_s"] < env.evaluate(slow).metrics["latency_s"]
    assert r_fast > r_slow
    loose = SoCEnv(workload="edge_detection", targets={"latency_s": 10.0, "power_W": 1.0, "area_m2": 1e-3})
    loose.reset(seed=1)
    *_, info = loose.step_design(slow)
    assert info["target_met"]
    hinge = SoCEnv(workload="edge_detection", reward="hinge")
    assert hinge.reward_of(hinge.evaluate(fast)) > hinge.reward_of(hinge.evaluate(slow))


def test_infeasible_designs_report_the_reason_and_never_crash(env):
    env.reset(seed=3)
    rng = np.random.default_rng(3)
    n_bad = 0
    for _ in range(300):
        action = {k: int(rng.integers(s.n)) for k, s in env.action_space.spaces.items()}
        obs, reward, *_, info = env.step(action)
        if not info["feasible"]:
            n_bad += 1
            assert reward == -1e4 and info["violation"] and not info["target_met"]
            assert np.all(obs == -1.0)
    assert n_bad > 0
    d = dict(env.baseline_design, bus_1_link=1)  # a link to itself is no link (as in ArchGym's FARSIEnv.step)
    assert env.simulate(d) == env.simulate(env.baseline_design)
    d = dict(env.baseline_design, pe_1_bus=1, **{f"{env.encoding.tasks[1]}_pe": 1})
    with pytest.raises(InfeasibleDesign, match=f"task {env.encoding.tasks[1]!r} on PE 'pe_1' cannot reach memory 'mem_0'"):
        env.simulate(d)
    d = dict(env.baseline_design, bus_1_mem=0)
    *_, info = env.step_design(d)
    assert info["violation"] == "memory 'mem_0' is on 2 buses ['bus_0', 'bus_1']; a memory sits on one bus"
    t = env.encoding.tasks[-2]
    d = dict(env.baseline_design, **{f"{t}_mem": 1})
    *_, info = env.step_design(d)
    assert info["violation"] == (f"task {t!r} on PE 'pe_0' cannot reach memory 'mem_1' that holds its output "
                                 f"(no path of buses)")
    d = dict(env.baseline_design, pe_1=env.encoding.pe_types[1], **{f"{env.encoding.tasks[0]}_pe": 1})
    *_, info = env.step_design(d)
    assert "accelerator that only runs" in info["violation"]


def test_batched_path_equals_python_path_on_random_feasible_designs(env):
    enc = env.encoding
    rows = enc.sample_feasible(150, seed=11)
    designs = [enc.design(r) for r in rows]
    batch = env.simulate_batch(designs)
    for d, got in zip(designs, batch):
        assert not isinstance(got, InfeasibleDesign)
        full = env.result(d)
        for k, v in full.metrics().items():
            assert got[k] == pytest.approx(v, rel=1e-12, abs=1e-300), k
    # the encoding round-trips
    for r, d in zip(rows[:20], designs[:20]):
        np.testing.assert_array_equal(enc.row(d), r)


def test_deterministic_under_seed(env):
    def run(seed):
        e = SoCEnv(workload=env.workload)
        e.reset(seed=seed)
        e.action_space.seed(seed)
        return [(r, tuple(o)) for o, r, *_ in (e.step(e.action_space.sample()) for _ in range(20))]

    assert run(5) == run(5)


def test_result_reports_blocks_bottleneck_and_task_times():
    env = SoCEnv(workload="audio_decoder")
    res = env.result(env.baseline_design)
    assert res.bottleneck_block in ("bus_0", "mem_0")  # audio moves more bytes than the 400 MB/s bus carries fast
    assert 0 < res.blocks["pe_0"]["utilization"] <= 1 and 0 < res.blocks["bus_0"]["utilization"] <= 1
    assert not res.blocks["mem_1"]["in_design"] and res.blocks["mem_1"]["area_m2"] == 0
    assert res.task_finish_s["dummy_last"] == res.latency_s
    assert all(res.task_start_s[t] <= res.task_finish_s[t] for t in env.encoding.tasks)


def test_custom_workload_from_a_node_link_file(tmp_path):
    g = random_layered_dag(3, n_layers=3, max_width=3)
    p = tmp_path / "mine.json"
    p.write_text(json.dumps(nx.node_link_data(g, edges="links")))
    env = SoCEnv(workload=str(p))
    check_env(env)
    base = env.evaluate(env.baseline_design)
    assert base.feasible and env.default_targets["latency_s"] == base.metrics["latency_s"]
    assert env.encoding.pe_types == ("A53_pe",)  # no task of a random graph has an accelerator
    with pytest.raises(ValueError, match="neither a shipped workload"):
        SoCEnv(workload="no_such_workload")
