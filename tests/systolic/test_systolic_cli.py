"""``archgym simulate systolic --config FILE.cfg --topology FILE.csv [--json]``."""

import json

import pytest
from typer.testing import CliRunner

from archgym.cli import build_app
from archgym.simulators.systolic import TOTAL_FIELDS, SystolicConfig, load_workload, simulate
from archgym.simulators.systolic.formats.scalesim import write_config

ISSUE_NAMES = ("total_cycles", "stall_cycles", "compute_cycles", "overall_util_pct", "mapping_eff_pct",
               "compute_util_pct", "sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes", "dram_ifmap_reads",
               "dram_filter_reads", "dram_ofmap_writes", "energy_uj", "area_mm2")

runner = CliRunner()
CONFIG = SystolicConfig(16, 8, "ws", 4, 8, 2, "USER", 10)
TOPOLOGY = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
            "Conv1, 15, 15, 3, 3, 4, 16, 2,\nConv2, 7, 7, 3, 3, 16, 24, 1,\nConv3_DP, 9, 9, 3, 3, 6, 1, 1,\n")


@pytest.fixture
def files(tmp_path):
    cfg, topo = tmp_path / "a.cfg", tmp_path / "net.csv"
    write_config(CONFIG, cfg, run_name="cli_test")
    topo.write_text(TOPOLOGY)
    return cfg, topo


def _run(*args):
    return runner.invoke(build_app(), ["simulate", "systolic", *map(str, args)])


def test_json_output(files):
    cfg, topo = files
    r = _run("--config", cfg, "--topology", topo, "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["run_name"] == "cli_test" and len(out["layers"]) == 3
    assert set(ISSUE_NAMES) <= set(out["total"]) and set(TOTAL_FIELDS) <= set(out["total"])
    for row in out["layers"]:
        assert set(ISSUE_NAMES) - {"area_mm2"} <= set(row)
    expected = simulate(CONFIG, load_workload(topo), memory="replay")
    assert out["total"] == expected["total"] and out["layers"] == expected["layers"]
    assert out["layers"][2]["repeat"] == 6  # the depth-wise layer runs once per channel
    t = out["total"]
    assert t["compute_cycles"] == t["total_cycles"] - t["stall_cycles"]


def test_analytic_memory_and_gemm(files, tmp_path):
    cfg, _ = files
    gemm = tmp_path / "g.csv"
    gemm.write_text("Layer, M, N, K,\nQK, 64, 64, 32,\n")
    r = _run("--config", cfg, "--topology", gemm, "--json", "--memory", "analytic")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["layers"][0]["gemm_m"] == 64 and "analytic" in out["model"]


def test_table_output(files):
    cfg, topo = files
    r = _run("--config", cfg, "--topology", topo)
    assert r.exit_code == 0, r.output
    assert "Conv2" in r.output and "total" in r.output and "mm^2" in r.output


def test_topology_from_cfg_network_presets(files, tmp_path):
    cfg, topo = files
    text = cfg.read_text() + f'\n[network_presets]\nTopologyCsvLoc: "{topo.name}"\n'
    cfg2 = tmp_path / "b.cfg"
    cfg2.write_text(text)
    r = _run("--config", cfg2, "--json")
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.output)["layers"]) == 3


@pytest.mark.parametrize("edit,words", [
    (("Dataflow : ws", "Dataflow : rs"), "field 'Dataflow': value 'rs' is not allowed; allowed: os, ws, is"),
    (("SparsitySupport : false\nSparseRep : ellpack_block\nOptimizedMapping : false\nBlockSize : 4",
      "SparsitySupport : true\nSparseRep : ellpack_block\nOptimizedMapping : true\nBlockSize : 99"),
     "field 'BlockSize': SystolicConfig.block_size: value 99 is larger than array_rows"),
    (("IfmapCustomLayout: False", "IfmapCustomLayout: True"), "custom SRAM layouts (bank conflicts) are not modelled"),
    (("ArrayWidth:     8", "ArraWidth:     8"), "the section has the unknown key 'ArraWidth' on line"),
])
def test_bad_cfg_exit_2_with_file_line_field(files, edit, words):
    cfg, topo = files
    cfg.write_text(cfg.read_text().replace(*edit))
    r = _run("--config", cfg, "--topology", topo, "--json")
    assert r.exit_code == 2
    assert str(cfg) in r.output and "line " in r.output and words in r.output, r.output
    assert "Traceback" not in r.output


def test_bad_topology_and_options(files, tmp_path):
    cfg, topo = files
    topo.write_text(TOPOLOGY + "Conv4, 7, 7, 3, 3, sixteen, 24, 1,\n")
    r = _run("--config", cfg, "--topology", topo)
    assert r.exit_code == 2 and "line 5, field 'Channels': value 'sixteen' is not an integer" in r.output
    r = _run("--config", cfg, "--topology", topo, "--memory", "exact")
    assert r.exit_code == 2 and "allowed: replay, analytic" in r.output
    r = _run("--config", cfg)
    assert r.exit_code == 2 and "no --topology given" in r.output
    r = _run("--config", tmp_path / "none.cfg", "--topology", topo)
    assert r.exit_code == 2 and "cannot read" in r.output
