"""The simulator API: validation errors, batch = single, totals, energy/area table."""

import numpy as np
import pytest

from archgym.simulators.systolic import (
    LAYER_FIELDS,
    TOTAL_FIELDS,
    Layer,
    SystolicConfig,
    config_arrays,
    layer_arrays,
    simulate,
    simulate_batch,
)
from archgym.simulators.systolic.energy import DEFAULT_TABLE, EnergyTable, area_mm2

NET = [Layer("c1", 34, 34, 3, 3, 16, 32, 1), Layer("c2", 17, 17, 3, 3, 32, 64, 2),
       Layer("dw_DP", 18, 18, 3, 3, 1, 1, 1, repeat=64), Layer.gemm("fc", 1, 10, 1024)]


@pytest.mark.parametrize("kwargs,words", [
    ({"array_rows": 0}, "SystolicConfig.array_rows: value 0 out of range; allowed: integers 1..65536"),
    ({"array_cols": 2.5}, "SystolicConfig.array_cols: value 2.5 is not an integer"),
    ({"dataflow": "rs"}, "SystolicConfig.dataflow: value 'rs' is not allowed; allowed: ['os', 'ws', 'is']"),
    ({"bandwidth_mode": "AUTO"}, "SystolicConfig.bandwidth_mode: value 'AUTO' is not allowed; allowed: ['CALC', 'USER']"),
    ({"bandwidth": 0}, "SystolicConfig.bandwidth: value 0 out of range"),
    ({"ifmap_sram_kb": 0}, "SystolicConfig.ifmap_sram_kb: value 0 out of range"),
    ({"filter_sram_kb": 1, "word_size_bytes": 16}, "SystolicConfig.filter_sram_kb: value 1 holds fewer than 100 words"),
    ({"frequency_mhz": -1.0}, "SystolicConfig.frequency_mhz: value -1.0 is not allowed"),
])
def test_config_validation(kwargs, words):
    with pytest.raises(ValueError) as e:
        SystolicConfig(**kwargs)
    assert words in str(e.value)


def test_config_normalises():
    c = SystolicConfig(dataflow="WS", bandwidth_mode="user", bandwidth=7)
    assert c.dataflow == "ws" and c.bandwidth_mode == "USER" and c.ifmap_bandwidth == 7 == c.filter_bandwidth


def test_layer_validation_and_sizes():
    with pytest.raises(ValueError, match=r"Layer 'x'.filter_h: value 5 is larger than ifmap_h 4"):
        Layer("x", 4, 4, 5, 3, 1, 1)
    with pytest.raises(ValueError, match=r"Layer 'x'.channels: value 0 out of range"):
        Layer("x", 4, 4, 3, 3, 0, 1)
    with pytest.raises(ValueError, match=r"Layer 'g'.M: value 0 out of range"):
        Layer.gemm("g", 0, 1, 1)
    l = Layer("r", 224, 224, 3, 3, 3, 32, 2)  # SCALE-Sim's ceil output size: ceil((224-3+2)/2) = 112
    assert (l.ofmap_h, l.gemm_m, l.gemm_k, l.macs) == (112, 112 * 112, 27, 112 * 112 * 27 * 32)
    g = Layer.gemm("g", 7, 5, 3)
    assert (g.gemm_m, g.gemm_n, g.gemm_k) == (7, 5, 3)


def test_simulate_structure_and_totals():
    c = SystolicConfig(16, 32, "os", 8, 8, 8, "USER", 16)
    out = simulate(c, NET)
    assert set(out) >= {"config", "layers", "total"} and len(out["layers"]) == len(NET)
    assert set(TOTAL_FIELDS) <= set(out["total"])
    for k in ("total_cycles", "stall_cycles", "sram_ifmap_reads", "dram_filter_reads", "macs", "energy_uj"):
        assert out["total"][k] == pytest.approx(sum(r[k] * r["repeat"] for r in out["layers"]))
    t = out["total"]
    assert t["macs"] == sum(l.macs * l.repeat for l in NET)
    assert t["overall_util_pct"] == pytest.approx(100 * t["macs"] / (t["total_cycles"] * 16 * 32))
    assert t["latency_ms"] == pytest.approx(t["total_cycles"] / 1e6)
    assert t["power_mw"] == pytest.approx(t["energy_uj"] / t["latency_ms"])
    with pytest.raises(ValueError, match="memory: value 'exact' is not allowed"):
        simulate(c, NET, memory="exact")


def test_batch_equals_single_for_every_field():
    rng = np.random.default_rng(0)
    configs = [SystolicConfig(int(2 ** rng.integers(2, 8)), int(2 ** rng.integers(2, 8)), str(rng.choice(["os", "ws", "is"])),
                              int(2 ** rng.integers(1, 10)), int(2 ** rng.integers(1, 10)), int(2 ** rng.integers(1, 10)),
                              str(rng.choice(["CALC", "USER"])), int(rng.integers(1, 64))) for _ in range(40)]
    batch = simulate_batch(configs, NET, per_layer=True)
    for i, c in enumerate(configs):
        single = simulate(c, NET)
        for k in TOTAL_FIELDS:
            assert batch[k][i] == pytest.approx(single["total"][k], rel=1e-12), k
        for k in LAYER_FIELDS:
            assert batch["layers"][k][i].tolist() == pytest.approx([r[k] for r in single["layers"]], rel=1e-12), k
    # the same designs as columns (what agents and the environment pass)
    cols = {f: [getattr(c, f) for c in configs] for f in ("array_rows", "array_cols", "dataflow", "ifmap_sram_kb",
                                                           "filter_sram_kb", "ofmap_sram_kb", "bandwidth_mode", "bandwidth")}
    again = simulate_batch(cols, layer_arrays(NET))
    assert np.array_equal(again["total_cycles"], batch["total_cycles"])


def test_config_arrays_errors():
    with pytest.raises(ValueError, match=r"configs.dataflow: value 'xs' is not allowed"):
        config_arrays({"dataflow": ["os", "xs"]})
    with pytest.raises(ValueError, match=r"configs.array_rows: value 0 out of range"):
        config_arrays({"array_rows": [0, 4]})
    with pytest.raises(ValueError, match=r"configs.bandwidth_mode: value 'X'"):
        config_arrays({"bandwidth_mode": ["X"]})
    with pytest.raises(ValueError, match="workload: no layers"):
        layer_arrays([])


def test_energy_and_area_table():
    t = DEFAULT_TABLE
    assert "45 nm" in t.process
    assert t.sram_pj_per_byte(8) == pytest.approx(1.25) and t.sram_pj_per_byte(32) == pytest.approx(2.5)
    assert area_mm2(32, 32, 64, 64, 64) == pytest.approx(1024 * 700e-6 + 192 * 0.01)
    c = SystolicConfig(32, 32, "ws", 64, 64, 64)
    base = simulate(c, NET)["total"]
    pricier = simulate(c, NET, table=EnergyTable(dram_pj_per_byte=500.0))["total"]
    assert pricier["energy_dram_uj"] == pytest.approx(2 * base["energy_dram_uj"])
    parts = sum(base[f"energy_{k}_uj"] for k in ("compute", "sram", "dram", "static"))
    assert base["energy_uj"] == pytest.approx(parts)
    # bigger SRAMs cost area and leakage; a bigger array costs area
    assert simulate(SystolicConfig(32, 32, "ws", 512, 64, 64), NET)["total"]["area_mm2"] > base["area_mm2"]
    assert simulate(SystolicConfig(64, 32, "ws", 64, 64, 64), NET)["total"]["area_mm2"] > base["area_mm2"]
