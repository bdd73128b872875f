"""archgym/DRAM-v1: DRAM-v0's controller on a mix of four traces, with far targets, so that the top of
the reward has no plateau (measured: see DRAMV1Env's docstring)."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from archgym.envs.dram import DRAMEnv, DRAMV1Env


def test_mix_metrics_combine_the_traces():
    """Two shipped traces through DRAM-v1 equal the two DRAM-v0 runs combined by hand."""
    v1 = DRAMV1Env(workload="stream_g8, random_g1")
    d = v1.design_space.sample(3)
    got = v1.evaluate(d).metrics
    parts = [DRAMEnv(workload=w) for w in ("stream_g8", "random_g1")]
    ms = [p.evaluate(d).metrics for p in parts]
    reads = [p.channel.n_reads for p in parts]
    assert got["energy_pJ"] == pytest.approx(sum(m["energy_pJ"] for m in ms), rel=1e-12)
    assert got["total_time_ns"] == pytest.approx(sum(m["total_time_ns"] for m in ms), rel=1e-12)
    assert got["avg_power_mW"] == pytest.approx(got["energy_pJ"] / got["total_time_ns"], rel=1e-12)
    assert got["latency_ns"] == pytest.approx(sum(m["latency_ns"] * r for m, r in zip(ms, reads)) / sum(reads), rel=1e-12)
    assert got["p99_latency_ns"] == max(m["p99_latency_ns"] for m in ms)


def test_no_plateau_at_the_top_of_random_designs():
    env = DRAMV1Env()
    rng = np.random.default_rng(0)
    evs = env.evaluate_many([env.design_space.sample(int(s)) for s in rng.integers(0, 2**31, size=150)])
    r = np.array([env.reward_of(e) for e in evs])
    assert np.sum(r == r.max()) == 1, "the best reward of 150 random designs is held by one design"
    assert not any(env.reward_fn.target_met(e.metrics, e.feasible) for e in evs)
    assert env.default_targets.keys() == {"energy_pJ", "latency_ns", "total_time_ns"}


def test_contract_and_errors():
    check_env(DRAMV1Env(), skip_render_check=True)
    with pytest.raises(ValueError, match="names no trace"):
        DRAMV1Env(workload=" , ")
    with pytest.raises(ValueError, match="neither a shipped workload"):
        DRAMV1Env(workload="stream,bogus")
