"""SCALE-Sim's input files read unchanged, and clear errors (file, line, field) for bad ones."""

import pytest

from archgym.simulators.systolic import Layer, SystolicConfig
from archgym.simulators.systolic.formats.scalesim import (
    SystolicFileError,
    read_config,
    read_topology,
    topology_format,
    write_config,
    write_topology,
)

GOOGLE_CFG = """[general]
run_name = GoogleTPU_v1_ws

[architecture_presets]
ArrayHeight:    256
ArrayWidth:     256
IfmapSramSzkB:    6144
FilterSramSzkB:   6144
OfmapSramSzkB:    2048
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Dataflow : ws
Bandwidth : 10
ReadRequestBuffer: 128
WriteRequestBuffer: 128

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40

[run_presets]
InterfaceBandwidth: USER
UseRamulatorTrace: False
"""

# SCALE-Sim 3.0's configs/scale.cfg: no [layout] or [sparsity] section, a legacy MemoryBanks key
SCALE_CFG = """[general]
run_name = scale_example_run_32x32_ws

[architecture_presets]
ArrayHeight:    32
ArrayWidth:     32
IfmapSramSzkB:   64
FilterSramSzkB:  64
OfmapSramSzkB:   64
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 10
Dataflow : os
MemoryBanks:   1
ReadRequestBuffer: 512
WriteRequestBuffer: 512

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_reads_scalesim_cfgs(tmp_path):
    g = read_config(_write(tmp_path, "google.cfg", GOOGLE_CFG))
    assert g.run_name == "GoogleTPU_v1_ws"
    assert g.config == SystolicConfig(256, 256, "ws", 6144, 6144, 2048, "USER", 10, 10, 10)
    s = read_config(_write(tmp_path, "scale.cfg", SCALE_CFG))
    assert s.config.dataflow == "os" and s.config.bandwidth_mode == "CALC" and s.config.array_rows == 32


def test_config_round_trip(tmp_path):
    c = SystolicConfig(16, 64, "is", 32, 128, 8, "USER", 24, 30, 7)
    write_config(c, tmp_path / "x.cfg")
    assert read_config(tmp_path / "x.cfg").config == c


@pytest.mark.parametrize("old,new,field,words", [
    ("Dataflow : ws", "Dataflow : xs", "Dataflow", "allowed: os, ws, is"),
    ("ArrayHeight:    256", "ArrayHeight:    abc", "ArrayHeight", "not an integer"),
    ("ArrayWidth:     256", "ArrayWidth:     0", "ArrayWidth", "allowed: integers >= 1"),
    ("Bandwidth : 10", "Bandwidth : ten", "Bandwidth", "not an integer"),
    ("IfmapCustomLayout: False", "IfmapCustomLayout: True", "IfmapCustomLayout", "custom SRAM layouts"),
    ("FilterCustomLayout: False", "FilterCustomLayout: yes", "FilterCustomLayout", "not a boolean"),
    ("UseRamulatorTrace: False", "UseRamulatorTrace: True", "UseRamulatorTrace", "Ramulator"),
    ("InterfaceBandwidth: USER", "InterfaceBandwidth: FAST", "InterfaceBandwidth", "allowed: CALC, USER"),
    ("IfmapSRAMBankBandwidth: 10", "IfmapSRAMBankBandwidth: 15", "IfmapSRAMBankBandwidth", "multiple of"),
])
def test_cfg_errors_name_file_line_and_field(tmp_path, old, new, field, words):
    assert old in GOOGLE_CFG
    text = GOOGLE_CFG.replace(old, new)
    line = text.splitlines().index(new) + 1
    p = _write(tmp_path, "bad.cfg", text)
    with pytest.raises(SystolicFileError) as e:
        read_config(p)
    msg = str(e.value)
    assert str(p) in msg and f"line {line}" in msg and repr(field) in msg and words in msg, msg


def test_keys_scalesim_does_not_read_are_ignored_with_a_warning_naming_file_and_line(tmp_path):
    """SCALE-Sim ignores keys it does not read (its eyeriss.cfg has OnChipMemoryBanks): so does archgym, aloud."""
    text = GOOGLE_CFG.replace("ReadRequestBuffer: 128", "ReadRequestBufer: 128\nOnChipMemoryBanks: 1")
    p = _write(tmp_path, "extra.cfg", text)
    line = text.splitlines().index("OnChipMemoryBanks: 1") + 1
    with pytest.warns(UserWarning) as got:
        cfg = read_config(p).config
    said = [str(w.message) for w in got]
    assert any(f"line {line}, field 'OnChipMemoryBanks': not a key SCALE-Sim reads" in m for m in said), said
    assert any("'ReadRequestBufer'" in m for m in said), said
    assert cfg == read_config(_write(tmp_path, "plain.cfg", GOOGLE_CFG)).config, "ignored keys change nothing"


def test_cfg_structural_errors(tmp_path):
    with pytest.warns(UserWarning, match=r"line 5: section \[extras\] is not one SCALE-Sim reads; ignored"):
        with pytest.raises(SystolicFileError, match=r"'ArrayHeight'.*missing required key"):
            read_config(_write(tmp_path, "a.cfg", "[general]\nrun_name = x\n\n\n[extras]\nArrayHeight: 3\n"))
    with pytest.raises(SystolicFileError, match=r"'ArrayHeight'.*missing required key"):
        read_config(_write(tmp_path, "b.cfg", SCALE_CFG.replace("ArrayHeight:    32\n", "")))
    with pytest.raises(SystolicFileError, match=r"line 3.*expected 'key: value'"):
        read_config(_write(tmp_path, "c.cfg", "[general]\nrun_name = x\nno separator here\n"))
    with pytest.raises(SystolicFileError, match=r"line 6, field 'ArrayHeight': duplicate key \(first given on line 5\)"):
        read_config(_write(tmp_path, "d.cfg", SCALE_CFG.replace("ArrayWidth:     32", "ArrayHeight: 8")))
    with pytest.raises(SystolicFileError, match="cannot read"):
        read_config(tmp_path / "missing.cfg")


def test_reads_conv_topology_as_scalesim_writes_it(tmp_path):
    # SCALE-Sim's own mobilenet file style: trailing commas, '#dw' comments, a row without the comma,
    # tab-indented names, blank lines
    p = _write(tmp_path, "t.csv", (
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n\n"
        "Conv1, 224, 224, 3, 3, 3, 32, 2,\n"
        "Conv2_dw, 112, 112, 3, 3, 1, 1, 1,#dw\n"
        "Conv11,28,28,1,1,256,256,1\n"
        "\tConv14_dw_0,14,14,3,3,1,1,1,\n"
        "Conv2_DP, 114, 114, 3, 3, 32, 1, 1,\n"
        "Sparse, 8, 8, 1, 1, 4, 4, 1, 1:1,\n"))
    layers = read_topology(p)
    assert [l.name for l in layers] == ["Conv1", "Conv2_dw", "Conv11", "Conv14_dw_0", "Conv2_DP", "Sparse"]
    assert layers[0] == Layer("Conv1", 224, 224, 3, 3, 3, 32, 2)
    assert layers[0].gemm_m == 112 * 112 and layers[0].gemm_k == 27
    # a depth-wise 'DP' layer runs as one single-channel layer per channel, as in SCALE-Sim
    assert layers[4].channels == 1 and layers[4].repeat == 32 and layers[4].num_filters == 1


def test_reads_gemm_csv(tmp_path):
    layers = read_topology(_write(tmp_path, "g.csv", "Layer,M,N,K,\nL0,196,192,384,\nL1,196,1176,64,\n\n"))
    assert [(l.gemm_m, l.gemm_n, l.gemm_k) for l in layers] == [(196, 192, 384), (196, 1176, 64)]
    assert all(l.kind == "gemm" for l in layers)


def test_header_detection():
    assert topology_format("Layer, M, N, K,") == "gemm"
    assert topology_format("Layer name, IFMAP Height, IFMAP Width, Filter Height,") == "conv"
    assert topology_format("name, a, b") is None


@pytest.mark.parametrize("row,line_field,words", [
    ("Conv1, 224, 224, 3, x, 3, 32, 2,", "field 'Filter Width'", "not an integer"),
    ("Conv1, 224, 224, 3, 3, 3, 0, 2,", "field 'Num Filter'", "allowed: integers >= 1"),
    ("Conv1, 224, 224, 3, 3, 3,", None, "expected 8 fields"),
    ("Conv1, 4, 4, 5, 3, 3, 8, 1,", "field 'Filter Height'", "larger than ifmap_h"),
    ("Conv1, 8, 8, 1, 1, 4, 4, 1, 3:2,", "field 'Sparsity'", "allowed: N:M with 1 <= N <= M"),
    ("Conv1, 8, 8, 1, 1, 4, 4, 1, 0:4,", "field 'Sparsity'", "out of range"),
    ("Conv1, 8, 8, 1, 1, 4, 4, 1, half,", "field 'Sparsity'", "not an N:M ratio"),
    (", 8, 8, 1, 1, 4, 4, 1,", "field 'Layer name'", "empty layer name"),
])
def test_topology_errors_name_file_line_and_field(tmp_path, row, line_field, words):
    p = _write(tmp_path, "bad.csv", "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
                                    f"Num Filter, Strides,\nOK, 8, 8, 3, 3, 2, 2, 1,\n{row}\n")
    with pytest.raises(SystolicFileError) as e:
        read_topology(p)
    msg = str(e.value)
    assert str(p) in msg and "line 3" in msg and words in msg, msg
    if line_field:
        assert line_field in msg, msg


def test_topology_structural_errors(tmp_path):
    with pytest.raises(SystolicFileError, match=r"line 1.*unrecognised header"):
        read_topology(_write(tmp_path, "a.csv", "foo,bar\n1,2\n"))
    with pytest.raises(SystolicFileError, match="no layers"):
        read_topology(_write(tmp_path, "b.csv", "Layer, M, N, K,\n\n"))
    with pytest.raises(SystolicFileError, match=r"line 2, field 'K'"):
        read_topology(_write(tmp_path, "c.csv", "Layer, M, N, K,\nL0, 4, 4, -3,\n"))


def test_topology_round_trip(tmp_path):
    layers = [Layer("c", 9, 9, 3, 3, 4, 8, 2), Layer.gemm("g", 5, 6, 7)]
    write_topology(layers, tmp_path / "t.csv")
    back = read_topology(tmp_path / "t.csv")
    assert [(l.gemm_m, l.gemm_n, l.gemm_k) for l in back] == [(l.gemm_m, l.gemm_n, l.gemm_k) for l in layers]
    write_topology([layers[1]], tmp_path / "g.csv")
    assert read_topology(tmp_path / "g.csv")[0].kind == "gemm"


SPARSE_CFG = GOOGLE_CFG.replace("SparsitySupport : false", "SparsitySupport : true")


def test_optimized_mapping_cfg_is_read(tmp_path):
    text = SPARSE_CFG.replace("OptimizedMapping : false", "OptimizedMapping : true").replace(
        "RandomNumberGeneratorSeed : 40", "RandomNumberGeneratorSeed : 7")
    cfg = read_config(_write(tmp_path, "o.cfg", text)).config
    assert (cfg.optimized_mapping, cfg.block_size, cfg.sparsity_seed) == (True, 8, 7)
    write_config(cfg, tmp_path / "back.cfg")
    assert read_config(tmp_path / "back.cfg").config == cfg


def test_sparse_cfg_is_read(tmp_path):
    cfg = read_config(_write(tmp_path, "s.cfg", SPARSE_CFG.replace("SparseRep : ellpack_block", "SparseRep : csc"))).config
    assert cfg.sparsity_support and cfg.sparse_rep == "csc"
    assert not read_config(_write(tmp_path, "d.cfg", GOOGLE_CFG)).config.sparsity_support
    write_config(cfg, tmp_path / "back.cfg")
    assert read_config(tmp_path / "back.cfg").config == cfg


@pytest.mark.parametrize("old,new,field,words", [
    ("Dataflow : ws", "Dataflow : os", "OptimizedMapping", "'Dimension mismatch between operands'"),
    ("BlockSize : 8", "BlockSize : 512", "BlockSize", "'Invalid block size'"),
    ("BlockSize : 8", "BlockSize : 6", "BlockSize", "an even block size dividing 2 * array_rows"),
    ("SparseRep : ellpack_block", "SparseRep : coo", "SparseRep", "allowed: ['ellpack_block', 'csr', 'csc']"),
    ("FilterOffset:   10000000", "FilterOffset:   0", "FilterOffset", "filter address 0 for a pruned weight"),
])
def test_sparse_cfg_refusals_name_file_line_and_field(tmp_path, old, new, field, words):
    base = SPARSE_CFG.replace("OptimizedMapping : false", "OptimizedMapping : true") if "Block" in old or "Dataflow" in old \
        else SPARSE_CFG
    text = base.replace(old, new)
    line = text.splitlines().index(new if field != "OptimizedMapping" else "OptimizedMapping : true") + 1
    p = _write(tmp_path, "bad.cfg", text)
    with pytest.raises(SystolicFileError) as e:
        read_config(p)
    msg = str(e.value)
    assert str(p) in msg and f"line {line}" in msg and repr(field) in msg and words in msg, msg


def test_sparse_cfg_needs_the_keys_scalesim_reads(tmp_path):
    p = _write(tmp_path, "m.cfg", SPARSE_CFG.replace("RandomNumberGeneratorSeed : 40\n", ""))
    with pytest.raises(SystolicFileError, match="'RandomNumberGeneratorSeed': missing key in \\[sparsity\\]"):
        read_config(p)


def test_shipped_sparse_topologies_read_with_their_ratios():
    """SCALE-Sim's own topologies/sparsity files: each row's N:M ratio reaches the layer."""
    from pathlib import Path
    root = Path(__file__).resolve().parents[1] / "reference" / "scalesim_v3" / "topologies" / "sparsity"
    conv = read_topology(root / "conv.csv")
    assert [(l.sparsity_n, l.sparsity_m, l.gemm_k, l.sparse_k) for l in conv] == [(2, 4, 18, 10)]
    gemm = read_topology(root / "gemm.csv")
    assert [(l.kind, l.sparsity_n, l.sparsity_m, l.gemm_k, l.sparse_k) for l in gemm] == [
        ("gemm", 3, 4, 16, 12), ("gemm", 1, 4, 16, 4)]
    (alex,) = read_topology(root / "alexnet_part.csv")
    assert (alex.sparsity_n, alex.sparsity_m, alex.gemm_k, alex.sparse_k) == (1, 4, 363, 91)


def test_sparse_layers_written_for_scalesim(tmp_path):
    layers = [Layer("a", 8, 8, 3, 3, 4, 4, 1, sparsity_n=2, sparsity_m=4), Layer("b", 8, 8, 1, 1, 4, 4, 1)]
    write_topology(layers, tmp_path / "t.csv")
    assert read_topology(tmp_path / "t.csv") == layers
    gemms = [Layer.gemm("g", 3, 5, 16, sparsity=(3, 4))]
    write_topology(gemms, tmp_path / "g.csv")
    assert read_topology(tmp_path / "g.csv") == gemms
