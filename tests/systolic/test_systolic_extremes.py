"""Issue 13 items 1-2: no count wraps. Extreme but valid layers and designs either give non-negative,
finite, consistent metrics or are refused (CountOverflow from the model; an infeasible design with the
reason from the environment); never wrapped, negative numbers."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archgym  # noqa: F401
from archgym.envs.systolic import design_space, to_config
from archgym.simulators import systolic as model

SPACE = design_space()
# log-uniform sizes: about 85 % of (layer, design) pairs are countable, the rest are refused
dims = st.integers(0, 20).flatmap(lambda e: st.integers(1 << e, 2 << e))
chs = st.integers(0, 14).flatmap(lambda e: st.integers(1 << e, 2 << e))
layers = st.builds(
    lambda h, w, fh, fw, c, k, s: model.Layer("x", max(h, fh), max(w, fw), fh, fw, c, k, s),
    dims, dims, st.integers(1, 11), st.integers(1, 11), chs, chs, st.integers(1, 4))
designs = st.builds(lambda seed: SPACE.sample(seed), st.integers(0, 2**31))


def _check(total: dict) -> None:
    for k in ("total_cycles", "stall_cycles", "compute_cycles", "dram_ifmap_reads", "dram_filter_reads",
              "dram_ofmap_writes", "sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes", "macs",
              "energy_uj", "power_mw", "area_mm2", "overall_util_pct"):
        v = float(np.asarray(total[k]).reshape(-1)[0])
        assert np.isfinite(v) and v >= 0, f"{k} = {v}"
    assert total["total_cycles"] == total["compute_cycles"] + total["stall_cycles"]
    assert total["overall_util_pct"] <= 100.0 + 1e-9
    assert total["energy_uj"] >= total["energy_dram_uj"] >= 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layer=layers, design=designs)
def test_extreme_layers_give_sane_metrics_or_a_clear_refusal(layer, design):
    config = to_config(design)
    cfg, lay = model.config_arrays([config]), model.layer_arrays([layer])
    if model.count_bound(cfg, lay)[0] >= model.COUNT_LIMIT:
        with pytest.raises(model.CountOverflow, match="beyond the 64-bit range"):
            model.simulate_batch([config], [layer])
        return
    _check({k: v[0] for k, v in model.simulate_batch([config], [layer]).items()})


def test_the_issue_reproducer_is_refused_not_negative(tmp_path):
    """Issue 13 item 1: one 10000x10000 layer with 1000 channels and 1000 filters (inside the documented ranges)."""
    wl = tmp_path / "big.csv"
    wl.write_text("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
                  "c1, 10000, 10000, 3, 3, 1000, 1000, 1,\n")
    env = gym.make("archgym/SystolicArray-v0", workload=str(wl)).unwrapped
    ev = env.evaluate(env.baseline_design)
    assert not ev.feasible and "exceed 2^62" in ev.violation
    big = env.evaluate(dict(env.baseline_design, ArrayHeight=256, ArrayWidth=256))  # fewer folds: countable
    assert big.feasible and min(big.metrics.values()) >= 0
    with pytest.raises(model.CountOverflow, match=r"design 0 \(32x32 array, os\).*M=99960004, N=1000, K=9000"):
        model.simulate(to_config(env.baseline_design), model.load_workload(wl))


def test_a_million_by_million_layer_has_no_negative_stalls(tmp_path):
    wl = tmp_path / "huge.csv"
    wl.write_text("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
                  "c1, 1000000, 1000000, 3, 3, 3, 8, 1,\n")
    env = gym.make("archgym/SystolicArray-v0", workload=str(wl)).unwrapped
    for ev in env.evaluate_many(SPACE.sample_many(40, 3)):
        assert (not ev.feasible and "2^62" in ev.violation) or min(ev.metrics.values()) >= 0
