"""archgym/SystolicArray-v0: gymnasium conformance, determinism, workloads, targets, batch path."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import archgym  # noqa: F401  (registers the ids)
from archgym.envs.systolic import BASELINE, TARGET_FACTORS, WORKLOADS, SystolicArrayEnv, to_config
from archgym.simulators.systolic import load_workload, simulate


def test_check_env_passes():
    env = gym.make("archgym/SystolicArray-v0", workload="resnet18")
    check_env(env.unwrapped)
    check_env(gym.make("archgym/SystolicArray-v0", workload="bert_base", flat_action=True).unwrapped)


def test_deterministic_under_seed():
    def trajectory(seed):
        env = gym.make("archgym/SystolicArray-v0")
        env.reset(seed=seed)
        env.action_space.seed(seed)
        out = []
        for _ in range(5):
            obs, reward, *_ = env.step(env.action_space.sample())
            out.append((obs.tolist(), reward))
        return out

    assert trajectory(3) == trajectory(3)
    assert trajectory(3) != trajectory(4)


@pytest.mark.parametrize("name", WORKLOADS)
def test_every_shipped_workload(name):
    env = SystolicArrayEnv(workload=name)
    obs, _ = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step_design(env.baseline_design)
    assert info["feasible"] and np.all(obs > 0) and terminated
    assert env.workload == name and len(env.layers) > 0


def test_default_targets_are_improvements_over_the_baseline():
    env = SystolicArrayEnv()
    assert env.baseline_design == BASELINE
    base = env.evaluate(BASELINE).metrics
    for metric, factor in TARGET_FACTORS.items():
        assert env.default_targets[metric] == pytest.approx(factor * base[metric])
    assert not env.reward_fn.target_met(base)  # the baseline itself does not meet them
    # ... but some designs of the space do (the spec is reachable)
    designs = env.design_space.sample_many(20000, 0)
    met = [env.reward_fn.target_met(e.metrics) for e in env.evaluate_many(designs)]
    assert 0 < np.mean(met) < 0.01


def test_metrics_match_the_simulator():
    env = SystolicArrayEnv(workload="alexnet")
    design = {**BASELINE, "Dataflow": "ws", "ArrayWidth": 64, "DramBandwidth": 32}
    m = env.evaluate(design).metrics
    t = simulate(to_config(design), load_workload(env.workload_path))["total"]
    assert m["cycles"] == t["total_cycles"] and m["energy_uj"] == pytest.approx(t["energy_uj"])
    assert m["area_mm2"] == pytest.approx(t["area_mm2"]) and m["utilization_pct"] == pytest.approx(t["overall_util_pct"])
    assert m["dram_words"] == t["dram_ifmap_reads"] + t["dram_filter_reads"] + t["dram_ofmap_writes"]


def test_batch_equals_single():
    env = SystolicArrayEnv(workload="mobilenet_v1")
    designs = env.design_space.sample_many(50, 1)
    batch = env.simulate_batch(designs)
    for d, b in zip(designs, batch):
        assert env.simulate(d) == b


def test_csv_path_workload_and_errors(tmp_path):
    p = tmp_path / "mini.csv"
    p.write_text("Layer, M, N, K,\nL0, 64, 64, 64,\n")
    env = SystolicArrayEnv(workload=str(p))
    assert env.workload == "mini"
    with pytest.raises(ValueError, match=r"'nonet'.*allowed: \['resnet18'"):
        SystolicArrayEnv(workload="nonet")
    with pytest.raises(Exception, match="DramBandwidth"):
        env.evaluate({**BASELINE, "DramBandwidth": 3})
