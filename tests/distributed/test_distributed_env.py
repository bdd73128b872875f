"""archgym/DistributedTraining-v0: gymnasium contract, infeasibility with reasons, and a Chakra trace
workload that reproduces ASTRA-sim 2.x's own figure (exact, in ns)."""

from __future__ import annotations

import csv
import tarfile
import warnings
from pathlib import Path

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import archgym  # noqa: F401  (registers the ids)
from archgym.envs.distributed import BASELINE, DistributedTrainingEnv

REF = Path(__file__).resolve().parents[1] / "reference" / "astrasim"


@pytest.fixture(scope="module")
def env():
    return DistributedTrainingEnv()


def test_check_env_and_make(env):
    check_env(DistributedTrainingEnv(), skip_render_check=True)
    e = gym.make("archgym/DistributedTraining-v0", workload="llama-7b", phase="decode")
    check_env(e.unwrapped, skip_render_check=True)
    obs, info = e.reset(seed=0)
    obs, r, term, trunc, info = e.step(e.action_space.sample())
    assert term and obs.shape == (4,)


def test_baseline_feasible_and_targets(env):
    m = env.unwrapped.baseline_metrics
    assert 0.1 < m["iteration_time_s"] < 100 and m["memory_per_npu_GB"] < 80
    t = env.unwrapped.default_targets
    assert t["iteration_time_s"] == pytest.approx(0.75 * m["iteration_time_s"])
    # tokens/s is the global batch over the iteration time
    assert m["tokens_per_s"] == pytest.approx(1024 * 2048 / m["iteration_time_s"])


def test_deterministic_and_batched_equals_single():
    a, b = DistributedTrainingEnv(cache_size=0), DistributedTrainingEnv()
    designs = [a.design_space.sample(i) for i in range(40)]
    many = a.evaluate_many(designs)
    for d, ev in zip(designs, many):
        one = b.evaluate(d)
        assert (one.feasible, one.metrics, one.violation) == (ev.feasible, ev.metrics, ev.violation)
    assert sum(ev.feasible for ev in many) >= 5


def test_infeasible_designs_say_why(env):
    d = dict(env.baseline_design)
    ring = {**d, "topology_d0": "Ring", "tp": 4}
    assert "part of a ring is not a ring" in env.evaluate(ring).violation
    big = {**d, "tp": 1, "pp": 1, "zero_stage": 0}
    v = env.evaluate(big).violation
    assert "GB per NPU" in v and "A100 has 80 GB" in v
    heads = {**d, "tp": 8, "sp": 8}
    assert "does not divide the 40 attention heads" in env.evaluate(heads).violation
    one_each = {**d, "tp": 1, "sp": 1, "pp": 1, "micro_batch": 2}  # dp = 1,024: one sequence per replica
    assert "micro-batch 2 does not divide the 1 sequences" in env.evaluate(one_each).violation


def test_knobs_of_one_npu_dimensions_share_results(env):
    d = dict(env.baseline_design)
    d1 = {**d, "npus_d2": 16}  # 8 x 8 x 16 = 1,024: dimension 3 has one NPU
    d2 = {**d1, "topology_d3": "Ring", "bandwidth_d3": 800}
    assert env.cache_key(d1) == env.cache_key(d2)
    assert env.evaluate(d1).metrics == DistributedTrainingEnv(cache_size=0).evaluate(d2).metrics


def test_bad_arguments():
    with pytest.raises(ValueError, match="phase 'serve' is not one of"):
        DistributedTrainingEnv(phase="serve")
    with pytest.raises(ValueError, match="neither a model"):
        DistributedTrainingEnv(workload="gpt-5")
    with pytest.raises(ValueError, match="latency_ns must be"):
        DistributedTrainingEnv(latency_ns=[1, 2])


def test_16k_npus_closed_form_scale():
    e = DistributedTrainingEnv(workload="gpt3-175b", npus=16384)
    d = {**e.baseline_design, "pp": 8, "zero_stage": 1}
    ev = e.evaluate(d)
    assert ev.feasible, ev.violation
    assert ev.metrics["iteration_time_s"] > 0


def test_chakra_trace_workload_equals_astrasim_exact_ns(tmp_path):
    """Reference run c90004 (gpt_small, 16 NPUs, Ring 4 x Switch 4, localBWAware): ASTRA-sim's sys[0] finish."""
    with open(REF / "astrasim_reference.csv", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["case_id"] == "c90004")
    with tarfile.open(REF / "inputs" / "workload_et.tar.gz") as t:
        t.extractall(tmp_path, filter="data")
    prefix = tmp_path / row["workload_prefix"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = DistributedTrainingEnv(workload=str(prefix), npus=16, latency_ns=[200, 1000, 0, 0])
    assert "tp" not in e.design_space.names
    d = {**{k: v for k, v in BASELINE.items() if k in e.design_space.names},
         "npus_d0": 4, "npus_d1": 4, "npus_d2": 1, "topology_d0": "Ring", "topology_d1": "Switch",
         "bandwidth_d0": 100, "bandwidth_d1": 50, "implementation_d0": "ring", "implementation_d1": "halvingDoubling",
         "preferred_dataset_splits": 4, "collective_optimization": "localBWAware"}
    ev = e.evaluate(d)
    assert ev.feasible, ev.violation
    assert round(ev.metrics["iteration_time_s"] * 1e9) == int(row["finish_ns_npu0"]), "tolerance: == in ns"
    assert round(ev.metrics["exposed_comm_s"] * 1e9) == int(row["exposed_comm_ns_npu0"])


def test_cache_key_is_the_designs_values_with_dead_dimensions_blanked():
    """The cache key (prepared getters) equals its definition, written out here as it was first written."""
    import math

    from archgym.envs.distributed import DIMS

    e = DistributedTrainingEnv()

    def defined(design):
        sizes = [int(design[f"npus_d{i}"]) for i in range(DIMS - 1)]
        inner = math.prod(sizes)
        sizes.append(e.npus // inner if e.npus % inner == 0 else 0)
        dead = {f"{k}_d{i}" for i, n in enumerate(sizes) if n == 1
                for k in ("topology", "bandwidth", "implementation", "all_to_all")}
        return tuple(None if n in dead else design[n] for n in e.design_space.names)

    designs = e.design_space.sample_many(300, 0) + [dict(BASELINE, npus_d0=1, npus_d1=1, npus_d2=1)]
    assert all(e.cache_key(d) == defined(d) for d in designs)
    assert sum(None in defined(d) for d in designs) > 50
