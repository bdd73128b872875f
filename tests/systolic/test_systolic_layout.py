"""SCALE-Sim 3.0's custom SRAM layouts (simulators/systolic/layout.py): reading, errors, and figures
measured on live SCALE-Sim 3.0.0 (``tests/reference/systolic_layout/``, made by
``python tests/systolic/test_systolic_layout_live.py --save``; the live comparison itself is
``test_systolic_layout_live.py``, slow). Figures must match exactly (counts and cycles equal; the
percentages and bandwidths SCALE-Sim computes in floating point to 1e-12 relative)."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from archgym.cli import build_app
from archgym.simulators.systolic import Layer, SystolicConfig, SystolicFileError, read_config, read_topology, simulate
from archgym.simulators.systolic.formats.scalesim import read_layout, write_topology
from archgym.simulators.systolic.layout import LayoutConfig, OperandLayout, fetch_order, set_columns

REF = Path(__file__).resolve().parents[1] / "reference"
SHIPPED = REF / "scalesim_v3"
FIGURES = json.loads((REF / "systolic_layout" / "layout_cases.json").read_text())
FLOATS = ("overall_util_pct", "mapping_eff_pct", "compute_util_pct", "avg_ifmap_sram_bw", "avg_filter_sram_bw",
          "avg_ofmap_sram_bw", "avg_ifmap_dram_bw", "avg_filter_dram_bw", "avg_ofmap_dram_bw")
HEADER = "Layer name, factors and orders,\n"
ROW = "L0, 2, 2, 1, 1, 4, 16, 0, 1, 2, 4, 5, 3, 3, 2, 1, 0, 4, 5, 6, 7,\n"


def _files(tmp_path, case):
    cfg, topo, lay = tmp_path / "design.cfg", tmp_path / "topology.csv", tmp_path / "layout.csv"
    if "shipped_cfg" in case:
        cfg, lay = SHIPPED / "configs" / case["shipped_cfg"], SHIPPED / "layouts" / case["shipped_layout"]
    else:
        cfg.write_text(case["cfg"])
        lay.write_text(HEADER + case["layout_row"] + "\n")
    topo.write_text(case["topology"])
    return cfg, topo, lay


@pytest.mark.parametrize("case", FIGURES["cases"], ids=lambda c: c.get("shipped_cfg", f"seed{c.get('seed')}"))
def test_replay_matches_figures_measured_on_scalesim(case, tmp_path):
    """Every figure of SCALE-Sim's three reports, exact (floats 1e-12 relative)."""
    cfg, topo, lay = _files(tmp_path, case)
    got = simulate(read_config(cfg, layout=lay).config, read_topology(topo), memory="replay")["layers"]
    assert len(got) == len(case["scalesim_layers"])
    for i, (g, r) in enumerate(zip(got, case["scalesim_layers"])):
        for k, v in r.items():
            ok = math.isclose(g[k], v, rel_tol=1e-12) if k in FLOATS else g[k] == v
            assert ok, f"layer {i} {k}: model {g[k]} != SCALE-Sim {v} (exact match required; floats 1e-12 relative)"


def test_bank_conflicts_change_the_figures():
    """The committed shipped rebuttal_test_ws case: SCALE-Sim stalls on bank conflicts where the
    default layout of the same design does not stall at all."""
    case = next(c for c in FIGURES["cases"] if c.get("shipped_cfg") == "rebuttal_test_ws.cfg")
    assert case["scalesim_layers"][0]["stall_cycles"] > 0
    cfg = read_config(SHIPPED / "configs" / "rebuttal_test_ws.cfg").config
    plain = {f: getattr(cfg, f) for f in cfg.__dataclass_fields__ if f not in ("ifmap_layout", "filter_layout",
                                                                              "filter_offset")}
    layer = Layer("c0", 14, 14, 3, 3, 32, 64, 1)
    assert simulate(SystolicConfig(**plain), [layer], memory="replay")["layers"][0]["stall_cycles"] == 0


def test_shipped_cfg_reads_its_layout_as_scalesim_does():
    """rebuttal_test_ws.cfg with SCALE-Sim's default layout (layouts/conv_nets/test.csv beside configs/):
    the first row's ifmap factors (2, 2, 16), orders, and the cfg's 32 single-port banks of 1024 words."""
    parsed = read_config(SHIPPED / "configs" / "rebuttal_test_ws.cfg")
    c = parsed.config
    assert isinstance(c, LayoutConfig) and c.filter_layout is None
    assert c.ifmap_layout == OperandLayout((2, 2, 16), (0, 1, 2), (4, 5, 3), 32, 1)
    assert (c.ifmap_bandwidth, c.filter_bandwidth, c.bandwidth, c.filter_offset) == (1024, 1024, 60, 10000000)
    row = read_layout(SHIPPED / "layouts" / "conv_nets" / "test.csv")
    assert (row.name, row.line) == ("Inc5b_3x3", 2)
    assert row.values == [2, 2, 1, 1, 16, 4, 0, 1, 2, 4, 5, 3, 3, 2, 1, 0, 4, 5, 6, 7]


def test_set_columns_follow_python_set_order():
    """CPython puts a small int in slot ``value & mask`` (8 slots for a small set), probing linearly:
    {9, 1} iterates 9 (slot 1) then 1 (slot 2), not in sorted order."""
    cols = set_columns(np.array([9, 1]), per_set=2, space=10)
    assert cols[9] == 0 and cols[1] == 1
    cols = set_columns(np.array([1, 9, 3]), per_set=2, space=10)  # sets {1, 9} and {3}
    assert (cols[1], cols[9], cols[3]) == (0, 1, 0)


def test_fetch_order_pads_and_transposes():
    """A 3x1x1 ifmap with X factor 2: padded to 4 rows with -1; interline (X) outer, intraline (X) inner."""
    lay = OperandLayout((2, 1, 1), (3, 4, 5), (0, 1, 2), 1, 1)
    assert fetch_order(lay, (3, 1, 1)).tolist() == [0, 1, 2, -1]
    lay = OperandLayout((2, 1, 1), (0, 1, 2), (3, 4, 5), 1, 1)  # intraline axes outermost
    assert fetch_order(lay, (3, 1, 1)).tolist() == [0, 2, 1, -1]


def _cfg(tmp_path, edits=(), layout=ROW):
    text = (SHIPPED / "configs" / "rebuttal_test_ws.cfg").read_text()
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    (tmp_path / "configs").mkdir(exist_ok=True)
    cfg = tmp_path / "configs" / "x.cfg"
    cfg.write_text(text)
    lay = tmp_path / "layout.csv"
    if layout is not None:
        lay.write_text(HEADER + layout)
    return cfg, lay, text


def test_missing_layout_file_names_cfg_line_key_and_file(tmp_path):
    cfg, lay, text = _cfg(tmp_path, layout=None)
    line = text.splitlines().index("IfmapCustomLayout: True") + 1
    with pytest.raises(SystolicFileError) as e:
        read_config(cfg, layout=lay)
    msg = str(e.value)
    assert str(cfg) in msg and f"line {line}" in msg and "'IfmapCustomLayout'" in msg and str(lay) in msg, msg
    assert "does not exist; allowed:" in msg
    with pytest.raises(SystolicFileError, match="layouts/conv_nets/test.csv does not exist"):
        read_config(cfg)  # SCALE-Sim's default -l, in the cfg folder's parent


@pytest.mark.parametrize("row,field,words", [
    ("L0, 2, 2, 1, 1, 4, 16, 0, 1, 2, 4, 5, 3, 3, 2, 1, 0, 4, 5, 6, 7\n", "Filter Width Interline Order",
     "has 19 values after the layer name"),  # no trailing comma: SCALE-Sim drops the 7
    ("L0, 2, two, 1, 1, 4, 16, 0, 1, 2, 4, 5, 3, 3, 2, 1, 0, 4, 5, 6, 7,\n", "IFMAP Width Intraline Factor",
     "value 'two' is not an integer"),
    ("L0, 2, 2, 1, 1, 4, 16, 0, 1, 2, 4, 5, 5, 3, 2, 1, 0, 4, 5, 6, 7,\n", "IFMAP Height Interline Order",
     "not a permutation of 0..5"),
    ("L0, 0, 2, 1, 1, 4, 16, 0, 1, 2, 4, 5, 3, 3, 2, 1, 0, 4, 5, 6, 7,\n", "IFMAP Height Intraline Factor",
     "value 0 out of range"),
    ("L0, 32, 2, 1, 1, 32, 16, 0, 1, 2, 4, 5, 3, 3, 2, 1, 0, 4, 5, 6, 7,\n", "IFMAP Height Intraline Factor",
     "multiply to 2048; allowed: at most IfmapSRAMBankBandwidth = 1024"),
])
def test_bad_layout_rows_name_file_line_field_and_allowed(tmp_path, row, field, words):
    edits = [("FilterCustomLayout: False", "FilterCustomLayout: True")] if "19 values" in words else []
    cfg, lay, _ = _cfg(tmp_path, edits, layout=row)
    with pytest.raises(SystolicFileError) as e:
        read_config(cfg, layout=lay)
    msg = str(e.value)
    assert str(lay) in msg and "line 2" in msg and repr(field) in msg and words in msg and "allowed" in msg, msg


def test_filter_factors_must_equal_the_bank_bandwidth_as_scalesim_asserts(tmp_path):
    """tpuv5e_downscale.cfg with SCALE-Sim's default layout: the filter factors 4*16*1*1 = 64 != 1024."""
    with pytest.raises(SystolicFileError) as e:
        read_config(SHIPPED / "configs" / "tpuv5e_downscale.cfg")
    msg = str(e.value)
    assert "test.csv, line 2" in msg and "'Num Filter Intraline Factor'" in msg
    assert "multiply to 64; allowed: exactly FilterSRAMBankBandwidth = 1024" in msg, msg
    c = read_config(SHIPPED / "configs" / "tpuv5e_downscale.cfg",
                    layout=SHIPPED / "layouts" / "GEMM_mnk" / "vit_s_downscale_KM_KN.csv").config
    assert c.filter_layout.factors == (128, 1, 1, 8) and c.ifmap_layout.factors == (49, 20, 1)


@pytest.mark.parametrize("edits,field,words", [
    ([("IfmapSRAMBankBandwidth: 1024", "IfmapSRAMBankBandwidth: 1000")], "IfmapSRAMBankBandwidth",
     "value 1000 is not a multiple of IfmapSRAMBankNum = 32"),
    ([("IfmapOffset:    0", "IfmapOffset:    5")], "IfmapOffset", "allowed: 0"),
    ([("SparsitySupport : false", "SparsitySupport : true")], "IfmapCustomLayout", "SparsitySupport"),
])
def test_bad_cfg_with_layout_names_file_line_key(tmp_path, edits, field, words):
    cfg, lay, text = _cfg(tmp_path, edits)
    with pytest.raises(SystolicFileError) as e:
        read_config(cfg, layout=lay)
    msg = str(e.value)
    assert str(cfg) in msg and "line " in msg and repr(field) in msg and words in msg, msg


def test_cli_simulates_a_shipped_layout_cfg(tmp_path):
    """``archgym simulate systolic --config rebuttal_test_ws.cfg`` (its default layout) gives the
    figures measured on SCALE-Sim."""
    case = next(c for c in FIGURES["cases"] if c.get("shipped_cfg") == "rebuttal_test_ws.cfg")
    topo = tmp_path / "t.csv"
    topo.write_text(case["topology"])
    r = CliRunner().invoke(build_app(), ["simulate", "systolic", "--config", str(SHIPPED / "configs" / "rebuttal_test_ws.cfg"),
                                 "--topology", str(topo), "--json"])
    assert r.exit_code == 0, r.output
    row = json.loads(r.output)["layers"][0]
    for k in ("total_cycles", "stall_cycles", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes"):
        assert row[k] == case["scalesim_layers"][0][k], k


def test_topology_writer_round_trip_for_cases(tmp_path):
    """The committed cases' topologies are SCALE-Sim files archgym reads back unchanged."""
    for case in FIGURES["cases"]:
        p = tmp_path / "t.csv"
        p.write_text(case["topology"])
        layers = read_topology(p)
        write_topology(layers, tmp_path / "u.csv")
        assert read_topology(tmp_path / "u.csv") == layers


def test_the_analytic_paths_refuse_a_custom_layout_instead_of_ignoring_it(tmp_path):
    """Only the exact replay models the layout's bank conflicts: simulate(memory='analytic'), simulate_batch and
    the CLI's --memory analytic refuse a LayoutConfig with a layout, naming the keys and what is allowed."""
    c = read_config(SHIPPED / "configs" / "rebuttal_test_ws.cfg").config
    layer = [Layer("l", 8, 8, 3, 3, 4, 8, 1, 1)]
    with pytest.raises(ValueError, match=r"memory: value 'analytic' is not allowed with a custom SRAM layout "
                                         r"\(IfmapCustomLayout/FilterCustomLayout\).*allowed: 'replay'"):
        simulate(c, layer, memory="analytic")
    from archgym.simulators.systolic import simulate_batch

    with pytest.raises(ValueError, match=r"custom SRAM layout .* not modelled by the batched analytic path"):
        simulate_batch([c], layer)
    topo = tmp_path / "t.csv"
    write_topology(layer, topo)
    r = CliRunner().invoke(build_app(), ["simulate", "systolic", "--config", str(SHIPPED / "configs" / "rebuttal_test_ws.cfg"),
                                 "--topology", str(topo), "--memory", "analytic"])
    assert r.exit_code != 0 and "custom SRAM layout" in r.output
    assert simulate(c, layer, memory="replay")["total"]["total_cycles"] > 0
