"""archgym/SoC-v1: SoC-v0's space read with three repair rules. Most random designs run, and every
repaired design is a v0 design with v0's (FARSI-validated) metrics."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import archgym  # noqa: F401
from archgym.envs.soc import SoCEnv, SoCV1Env
from archgym.simulators.soc.repaired_encoding import repair_rows


@pytest.mark.parametrize("workload", ["audio_decoder", "edge_detection", "hpvm_cava"])
def test_at_least_20pct_of_random_designs_run(workload):
    env = SoCV1Env(workload=workload)
    rng = np.random.default_rng(0)
    evs = env.evaluate_many([env.design_space.sample(int(s)) for s in rng.integers(0, 2**31, size=400)])
    share = sum(e.feasible for e in evs) / len(evs)
    assert share >= 0.2, f"{share:.0%} of random designs run (at least 20 % asked)"
    assert all(e.violation for e in evs if not e.feasible)


def test_repaired_designs_have_v0_metrics():
    v1, v0 = SoCV1Env(), SoCEnv()
    for seed in range(40):
        d = v1.design_space.sample(seed)
        ev = v1.evaluate(d)
        fixed = v1.repaired_design(d)
        if fixed is None:
            assert not ev.feasible
            continue
        ref = v0.evaluate(fixed)
        assert ev.feasible == ref.feasible and ev.metrics == ref.metrics and ev.violation == ref.violation


def test_each_rule():
    env = SoCV1Env()
    base = dict(env.baseline_design)
    # rule 1: two buses naming memory 0 -> only bus 0 holds it
    assert env.repaired_design({**base, "bus_1_mem": 0, "pe_1_bus": 1})["bus_1_mem"] == -1
    # rule 2: a task on an accelerator built for another task moves to the A53 (slot 0)
    acc = {**base, "pe_1": env.design_space["pe_1"].values[1], "souurce_pe": 1}
    assert env.repaired_design(acc)["souurce_pe"] == 0
    # rule 3: output in a memory the PE cannot reach -> the first one it reaches
    d = {**base, "mem_1": base["mem_1"], "bus_1_mem": 1, "souurce_mem": 1}  # mem 1 on bus 1, no link to bus 0
    assert env.repaired_design(d)["souurce_mem"] == 0
    # not repairable: every PE an accelerator for another task
    ip = env.design_space["pe_0"].values[1]
    ev = env.evaluate({**base, "pe_0": ip, "pe_1": ip, "pe_2": ip})
    assert not ev.feasible and "no PE can run task" in ev.violation


def test_gymnasium_contract():
    check_env(SoCV1Env(), skip_render_check=True)
    env = gym.make("archgym/SoC-v1")
    env.reset(seed=0)
    _, _, _, _, info = env.step(env.action_space.sample())
    assert "repaired_design" in info


@pytest.mark.parametrize("workload", ["audio_decoder", "hpvm_cava"])
def test_kept_repairs_give_what_repairing_anew_gives(workload):
    """A design's repair is kept between the cache key, the simulation and the info of a step: the repaired
    design and key equal those computed from scratch by the encoding, also for a design changed in place."""
    env = SoCV1Env(workload=workload)
    fresh = SoCV1Env(workload=workload)

    def from_scratch(design):
        rows, code, where = repair_rows(fresh.encoding, SoCEnv._rows(fresh, [design]))
        if code[0]:
            return None, (int(code[0]), int(where[0]))
        return fresh.encoding.design(rows[0]), tuple(rows[0].tolist())

    repaired = 0
    for seed in range(60):
        d = env.design_space.sample(seed)
        want_design, want_key = from_scratch(d)
        env.simulate_batch([d])  # keeps d's repair
        assert env.cache_key(d) == want_key
        got = env._repaired_design_of(d)
        assert got == want_design and list(got or ()) == list(want_design or ())  # values and key order
        repaired += want_design is not None and want_design != d
        other = env.design_space.sample(seed + 1000)
        d.update(other)  # the same dict object, another design: its kept repair must not be used
        assert env.cache_key(d) == from_scratch(other)[1]
        assert env._repaired_design_of(d) == from_scratch(other)[0]
    assert repaired >= 10
