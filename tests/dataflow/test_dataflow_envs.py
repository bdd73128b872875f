"""archgym/Dataflow-v0 and archgym/Mapping-v0 beyond the checks every environment gets (tests/core)."""

import gymnasium as gym
import pytest

import archgym  # noqa: F401  (registers the ids)
from archgym.envs.dataflow import TARGET_FACTORS, DataflowEnv
from archgym.envs.mapping import MappingEnv
from archgym.simulators.dataflow.eyeriss import BASELINE

#: a genome for the default layer (ResNet-50 layer1.0.conv2) found by hill climbing: 31 % less energy than
#: the baseline at the same cycles and area
MAPPING_WITNESS = {
    "l2_order": "YXRSKC", "l2_parallel": "C", "l2_tile_K": 64, "l2_tile_C": 16, "l2_tile_Y": 28, "l2_tile_X": 14,
    "l1_order": "XCYKSR", "l1_parallel": "K", "l1_tile_K": 1, "l1_tile_C": 1, "l1_tile_Y": 14, "l1_tile_X": 28,
    "num_pes": 256,
}


#: an Eyeriss-like design meeting all three AlexNet targets (found by archgym's GA in 1,500 evaluations, then a
#: local search): 31 % less energy, 18 % less area, 21 % fewer cycles than the baseline -- tiny weight and
#: partial-sum register files, wide ifmap rows, more PEs in a 7-wide mesh, a half-size global buffer
DATAFLOW_WITNESS = {
    "num_pes": 224, "mac_mesh_x": 7, "ifmap_spad_class": "SRAM", "ifmap_spad_depth": 16, "ifmap_spad_block_size": 4,
    "ifmap_spad_read_bw": 8, "ifmap_spad_write_bw": 16, "weights_spad_class": "regfile", "weights_spad_depth": 2,
    "weights_spad_block_size": 2, "weights_spad_read_bw": 4, "weights_spad_write_bw": 16, "psum_spad_class": "regfile",
    "psum_spad_depth": 2, "psum_spad_block_size": 1, "psum_spad_read_bw": 2, "psum_spad_write_bw": 4,
    "dummy_buffer_class": "regfile", "dummy_buffer_depth": 2, "dummy_buffer_block_size": 1, "shared_glb_class": "SRAM",
    "shared_glb_depth": 16384, "shared_glb_n_banks": 16, "shared_glb_block_size": 4, "shared_glb_read_bw": 16,
    "shared_glb_write_bw": 16,
}


@pytest.fixture(scope="module")
def dataflow():
    return DataflowEnv()


def test_dataflow_targets_are_archgyms_improvements_over_the_baseline(dataflow):
    assert dataflow.baseline_design == BASELINE
    base = dataflow.evaluate(BASELINE)
    assert base.feasible
    for m, f in TARGET_FACTORS.items():
        assert dataflow.default_targets[m] == pytest.approx(f * base.metrics[m])
    assert dataflow.observation_metrics == ["energy_uj", "area_mm2", "cycles"]
    assert not dataflow.reward_fn.target_met(base.metrics)


def test_dataflow_targets_are_reachable(dataflow):
    ev = dataflow.evaluate(DATAFLOW_WITNESS)
    assert dataflow.reward_fn.target_met(ev.metrics, ev.feasible), {
        m: ev.metrics[m] / dataflow.baseline_metrics[m] for m in TARGET_FACTORS}


def test_dataflow_better_designs_move_toward_the_targets(dataflow):
    """Fewer, cheaper buffers cut area; more PEs cut cycles; the metrics respond as the hardware would."""
    small = dict(BASELINE, shared_glb_depth=4096, weights_spad_depth=64, dummy_buffer_depth=2)
    more = dict(BASELINE, num_pes=252)
    b, s, m = (dataflow.evaluate(d).metrics for d in (BASELINE, small, more))
    assert s["area_mm2"] < b["area_mm2"]
    assert m["cycles"] < b["cycles"] and m["area_mm2"] > b["area_mm2"]


def test_dataflow_is_deterministic_across_instances(dataflow):
    d = dataflow.design_space.sample(5)
    a = dataflow.evaluate(d)
    b = DataflowEnv(cache_size=0).evaluate(d)
    assert a.metrics == b.metrics


def test_dataflow_workloads_and_errors(tmp_path):
    p = tmp_path / "net.csv"
    p.write_text("layer,type,H,W,C,K,R,S,stride,padding,groups,repeat\nc,conv,14,14,16,32,3,3,1,1,1,2\n")
    env = DataflowEnv(workload=str(p), mapper_budget=200)
    assert env.workload == "net" and env.layers[0].repeat == 2
    with pytest.raises(ValueError, match="neither a shipped network"):
        DataflowEnv(workload="vgg")
    with pytest.raises(ValueError, match="mapper_objective 'area'"):
        DataflowEnv(mapper_objective="area")


def test_mapping_env_witness_meets_the_targets():
    env = gym.make("archgym/Mapping-v0").unwrapped
    ev = env.evaluate(MAPPING_WITNESS)
    assert ev.feasible
    assert env.reward_fn.target_met(ev.metrics, ev.feasible)
    assert ev.metrics["energy_uj"] <= 0.7 * env.baseline_metrics["energy_uj"]


def test_mapping_env_infeasible_genome_reports_why():
    env = MappingEnv()
    big = dict(env.baseline_design, l2_tile_K=64, l2_tile_C=64, l2_tile_Y=56, l2_tile_X=56, l1_tile_K=64,
               l1_tile_C=64, l1_tile_Y=56, l1_tile_X=56)
    env.reset(seed=0)
    obs, reward, _, _, info = env.step(env.encode_action(big))
    assert not info["feasible"]
    assert "level 'L1'" in info["violation"] and "bits per instance" in info["violation"]
    assert reward == env.reward_fn.infeasible_reward


def test_mapping_env_is_deterministic_and_selects_layers():
    env = MappingEnv(workload="mobilenetv2", layer="features.2.dw")
    assert env.layer.kind == "depthwise"
    d = env.design_space.sample(1)
    assert env.evaluate(d).metrics == env.evaluate(d).metrics
    with pytest.raises(ValueError, match="layer 'nope' is not in mobilenetv2"):
        MappingEnv(workload="mobilenetv2", layer="nope")
    with pytest.raises(ValueError, match="layer index 99 is out of range"):
        MappingEnv(layer=99)
