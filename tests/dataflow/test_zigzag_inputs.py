"""ZigZag's own input files (tests/reference/zigzag_inputs/, copied from zigzag-dse 3.9.1) read into this model.

Every shipped hardware, mapping and ONNX file either reads or is refused with a message naming the file,
the line (or node) and the feature; what is read is checked against ZigZag's own figures: the ResNet-18
layers and mappings ZigZag's search chose on its tpu_like accelerator (tests/reference/dataflow/
zigzag_reference.csv) give ZigZag's energy through the hardware file, the ONNX file and this model, and
the live ZigZag's parsers (when installed) give the same layer shapes, precisions and memory sizes.
"""

import csv
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from archgym.simulators.dataflow.access_counts import analyse_mapping
from archgym.simulators.dataflow.cost import evaluate
from archgym.simulators.dataflow.formats.zigzag import (
    TPU_LIKE_MEMORIES,
    ZIGZAG_BITS,
    mapping_from_zigzag,
    parse_spatial,
    parse_temporal,
    tpu_like,
    zigzag_convention_energy,
)
from archgym.simulators.dataflow.formats.zigzag.hardware import ZIGZAG_DIMS, ZigzagInputError, read_hardware, read_mapping
from archgym.simulators.dataflow.formats.zigzag.workload import read_onnx, read_workload_yaml
from archgym.simulators.dataflow.mapping import MappingError
from archgym.simulators.dataflow.validation import zigzag_bridge as zz
from archgym.simulators.dataflow.workload import Layer

ROOT = Path(__file__).resolve().parents[2]
INPUTS = ROOT / "tests" / "reference" / "zigzag_inputs"
REF_CSV = ROOT / "tests" / "reference" / "dataflow" / "zigzag_reference.csv"

#: hardware file -> None (reads), "per operand" (reads as one chain of memories per operand: memories shared
#: along crossing array dimensions) or (line, words the refusal must contain)
HARDWARE = {
    "aimc.yaml": (127, "in-memory computing"),
    "dimc.yaml": (127, "in-memory computing"),
    "ascend_like.yaml": (176, "memory 'dram' holds I1 above 'sram_1MB_A' (line 128) but is repeated 4 times "
                              "(once per position along ['D3', 'D4'], which it does not serve) where 'sram_1MB_A' has "
                              "1 instance(s): a memory unrolled above one with fewer instances is not modelled"),
    "edge_tpu_like.yaml": "per operand",
    "meta_prototype.yaml": "per operand",
    "gemm_l1.yaml": (46, "ports of different widths (bandwidth_max [512, 2048], bandwidth_min [64]); this model has "
                          "one access width per level, ZigZag one per operand and direction: rw_port_1 (512/64 bits)"),
    "gemm_l1_l3.yaml": (46, "ports of different widths"),
    "eyeriss_like.yaml": None,
    "generic_array_cacti.yaml": None,
    "tesla_npu_like.yaml": None,
    "tpu_like.yaml": None,
}
ENERGY_TOLERANCE = 1e-4


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


def test_every_shipped_hardware_file_is_listed():
    assert sorted(p.name for p in (INPUTS / "hardware").glob("*.yaml")) == sorted(HARDWARE)


@pytest.mark.parametrize("name", sorted(HARDWARE))
def test_hardware_file_reads_or_is_refused_by_name(name):
    path = INPUTS / "hardware" / name
    expected = HARDWARE[name]
    if expected is None:
        za = _quiet(read_hardware, path).architecture()
        assert za.arch.levels[-1].keeps == ("W", "I", "O")
        return
    if expected == "per operand":
        za = _quiet(read_hardware, path).architecture()
        assert za.arch is None and "rf_1B" in za.chain_error and "crossing array dimensions" in za.chain_error
        assert {t: [lv.name for lv in a.levels] for t, a in za.operand_archs.items()} == \
            {t: list(names) for t, names in za.memories.items()}
        with pytest.raises(MappingError, match="crossing array dimensions"):
            za.mapping({"O": [], "W": [], "I": []}, {})
        return
    line, words = expected
    with pytest.raises(ZigzagInputError) as err:
        _quiet(read_hardware, path).architecture()
    msg = str(err.value)
    assert str(path) in msg and words in msg
    if line is not None:
        assert f"{name}:{line}:" in msg


def test_tpu_like_memories_as_written():
    """Figures from tpu_like.yaml: 32 x 32 MACs at 0.04 pJ; the 128 B weight and 2 B output registers once per MAC;
    the 2 MB SRAM (2048-bit ports, 64-bit minimum, 416.16 / 378.4 pJ) and the DRAM shared by all."""
    with pytest.warns(UserWarning, match=r"tpu_like.yaml:74: key 'ports' given again"):
        hw = read_hardware(INPUTS / "hardware" / "tpu_like.yaml")
    arch = hw.architecture().arch
    assert arch.compute.instances == 1024 and arch.compute.energy == 0.04
    rf_w, rf_o, sram, dram = (arch.levels[arch.level_index(n)] for n in ("rf_128B", "rf_2B", "sram_2MB", "dram"))
    assert (rf_w.instances, rf_w.keeps, rf_w.capacity_bits, rf_w.read_energy) == (1024, ("W",), 1024, 0.095)
    assert (rf_o.instances, rf_o.keeps, rf_o.capacity_bits) == (1024, ("O",), 16)
    assert (sram.instances, sram.keeps, sram.capacity_bits, sram.width_bits, sram.granularity_bits) == \
        (1, ("I", "O"), 16777216, 2048, 64)
    assert (sram.read_energy, sram.write_energy) == (416.16, 378.4)
    assert (dram.width_bits, dram.read_energy, dram.write_energy) == (64, 700.0, 750.0)
    assert tuple(arch.fanouts[arch.level_index("sram_2MB")]) == (32, 32)


@pytest.mark.parametrize("path", sorted((INPUTS / "mapping").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_mapping_file_reads(path):
    m = read_mapping(path)
    default = m.entry_for("no such layer", "NoSuchOp")
    assert default.name == "default" and (default.spatial or default.spatial_hint)
    assert set(default.links) == {"W", "I", "O"}


def test_mapping_entry_choice_and_constraints():
    m = read_mapping(INPUTS / "mapping" / "tpu_like.yaml")
    assert m.entry_for("x", "Add").name == "Add"
    e = m.entry_for("example_name_of_layer0", "Add")
    assert e.spatial == {"D1": [("C", 32)], "D2": [("K", 32)]}
    assert e.temporal_ordering == (("OX", 112), ("OY", 112), ("FX", 7), ("FY", 7), ("K", 2))
    mixed = read_mapping(INPUTS / "mapping" / "tpu_like_mixed.yaml").entry_for("x")
    assert mixed.spatial_hint == {"D1": ["K"], "D2": ["C", "FX", "FY"], "D3": ["K", "OX"], "D4": ["OX", "OY"]}


def _resnet18_rows():
    with REF_CSV.open() as f:
        return [r for r in csv.DictReader(f) if r["experiment"] == "resnet18_onnx_example"]


def test_resnet18_on_tpu_like_gives_zigzags_energy():
    """Hardware YAML + ONNX + ZigZag's chosen mapping (from the reference CSV) through this model: ZigZag's total
    energy within 1e-4 on every one of the 21 layers, charged with ZigZag's partial-sum and whole-word conventions
    (largest gap measured here 8.4e-6, ResNet-18's FC: ZigZag's fractional unrolling of 1000 output channels on 32
    columns); this model's own energy (partial sums read once fewer per output) is 0.4 % lower at most, and on
    the FC 7.1e-6 higher."""
    pytest.importorskip("onnx")
    hw = _quiet(read_hardware, INPUTS / "hardware" / "tpu_like.yaml")
    maps = read_mapping(INPUTS / "mapping" / "tpu_like.yaml")
    wl = _quiet(read_onnx, INPUTS / "workload" / "resnet18.onnx")
    layers = {ly.name: ly for ly in wl.layers}
    rows = _resnet18_rows()
    assert len(rows) == 21 == len(layers)
    for row in rows:
        layer = layers[row["layer"]]
        za = hw.architecture(maps.entry_for(layer.name, wl.operator_type(layer)).links)
        arch, mapping = za.mapping(parse_temporal(row["temporal_mapping"]), parse_spatial(row["spatial_mapping"]))
        ref = float(row["energy_total_pJ"])
        got = zigzag_convention_energy(arch, layer, mapping)
        assert abs(got / ref - 1) <= ENERGY_TOLERANCE, f"{layer.name}: {got} pJ vs ZigZag {ref} (tolerance 1e-4)"
        own = evaluate(arch, layer, mapping).energy_pj
        assert 0.996 * ref <= own <= ref * (1 + 1e-5), f"{layer.name}: own energy {own} vs ZigZag {ref} (-0.4 %, +1e-5)"


def test_onnx_files_read_with_non_mac_nodes_skipped_as_zigzag_does():
    pytest.importorskip("onnx")
    counts = {"resnet18": (21, 28), "mobilenetv2": (53, 117), "alexnet": (8, 16)}
    for model, (n_layers, n_skipped) in counts.items():
        with pytest.warns(UserWarning, match="without MACs skipped"):
            wl = read_onnx(INPUTS / "workload" / f"{model}.onnx")
        assert (len(wl.layers), len(wl.skipped)) == (n_layers, n_skipped), model
    with pytest.raises(ZigzagInputError, match=r"resnet18.onnx: node 1 '/relu/Relu' \(Relu\).*carries no MACs"):
        read_onnx(INPUTS / "workload" / "resnet18.onnx", strict=True)


def test_onnx_layers_match_known_shapes():
    """ResNet-18's first convolution (7x7, stride 2, 224 x 224 input, 64 channels) and MobileNet-V2's first
    depthwise layer (32 channels, 3x3 on 112 x 112), at ZigZag's precisions (8-bit operands, 16-bit sums)."""
    pytest.importorskip("onnx")
    conv1 = _quiet(read_onnx, INPUTS / "workload" / "resnet18.onnx").layers[0]
    assert conv1.dims == {"N": 1, "G": 1, "K": 64, "C": 3, "P": 112, "Q": 112, "R": 7, "S": 7}
    assert conv1.stride == (2, 2) and conv1.input_size == (224, 224)
    assert conv1.bits == {"W": 8, "I": 8, "O": 16, "O_final": 8}
    dw = _quiet(read_onnx, INPUTS / "workload" / "mobilenetv2.onnx").layers[1]
    assert dw.kind == "depthwise" and dw.dims["G"] == 32 and dw.dims["P"] == 112 and dw.dims["R"] == 3


def test_tesla_mapping_with_crossing_cuts_is_refused_by_name():
    """ZigZag's choice for AlexNet's first convolution on tesla_npu_like keeps outputs over C, FX, FY in the per-MAC
    register while the weight register (shared along D2, D3) holds none: no nested chain of levels expresses it."""
    hw = read_hardware(INPUTS / "hardware" / "tesla_npu_like.yaml")
    temporal = parse_temporal("{O: [[(C, 3), (FX, 11), (FY, 11)], [(OY, 14), (OX, 7), (K, 3)], []], W: [[], [(C, 3)], "
                              "[(FX, 11), (FY, 11), (OY, 14), (OX, 7), (K, 3)], []], I: [[(C, 3), (FX, 11)], "
                              "[(FY, 11), (OY, 14), (OX, 7), (K, 3)], []]}")
    spatial = parse_spatial("{D1: {K: 32}, D2: {OX: 8}, D3: {OY: 4}}")
    with pytest.raises(MappingError, match=r"memory 'rf_1B' covers 0 loops, fewer than \['rf_4B'\]"):
        hw.architecture().mapping(temporal, spatial)


# -- malformed inputs: refused naming the file, the line and the feature ------------------------------------
TPU = (INPUTS / "hardware" / "tpu_like.yaml").read_text()


@pytest.mark.parametrize("edit, match", [
    (("    r_cost: 0.095\n", "    r_cost: 0.095\n    colour: red\n"), r":4: memory 'rf_128B': unknown key\(s\) \['colour'\]"),
    (("operands: [I2]", "operands: [X9]"), r":10: memory 'rf_128B': operands \['X9'\]"),
    (("served_dimensions: [] # Fully", "served_dimensions: [D7] # Fully"), r":24: memory 'rf_128B': served_dimensions"),
    (("    size: 1024\n", "    size: 1024\n    auto_cost_extraction: true\n"), r":6: memory 'rf_128B': auto_cost"),
    (("        bandwidth_max: 8\n", "        bandwidth_max: 4\n", 1), r"bandwidth_min 8 > bandwidth_max 4"),
    (("          - I2, fh\n", "          - I2, tl\n"), r"a write port cannot serve 'I2, tl'"),
    (("sizes: [32, 32]", "sizes: [32]"), r":117: operational_array needs 'dimensions' and 'sizes'"),
])
def test_malformed_hardware_is_refused_with_file_and_line(tmp_path, edit, match):
    old, new, *count = edit
    text = TPU.replace(old, new, *count)
    assert text != TPU
    path = tmp_path / "hw.yaml"
    path.write_text(text)
    with pytest.raises(ZigzagInputError, match=match) as err:
        _quiet(read_hardware, path).architecture()
    assert str(path) in str(err.value)


def test_malformed_mapping_is_refused(tmp_path):
    p = tmp_path / "m.yaml"
    p.write_text("- name: conv1\n  spatial_mapping:\n    D1:\n      - K, 32\n")
    with pytest.raises(ZigzagInputError, match=r"m.yaml: no 'default' entry"):
        read_mapping(p)
    p.write_text("- name: default\n  spatial_mapping:\n    D1:\n      - K, many\n")
    with pytest.raises(ZigzagInputError, match=r"m.yaml:3: spatial_mapping D1: 'K, many' is not 'DIM, factor'"):
        read_mapping(p)
    p.write_text("- name: default\n  temporal_ordering:\n    - [OX, -2]\n")
    with pytest.raises(ZigzagInputError, match=r"m.yaml:2: temporal_ordering \[OX, -2\]"):
        read_mapping(p)


CONV_YAML = """\
- id: 0
  name: conv_a
  operator_type: Conv
  equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]
  dimension_relations: [ix=2*ox+1*fx, iy=2*oy+1*fy]
  loop_dims: [B, K, C, OY, OX, FY, FX]
  loop_sizes: [1, 32, 16, 28, 28, 3, 3]
  operand_precision: {W: 8, I: 8, O: 16, O_final: 8}
  pr_loop_dims: [IX, IY]
  pr_loop_sizes: [56, 56]
- id: 1
  name: fc
  operator_type: Gemm
  equation: O[d][k]+=I[d][c]*W[c][k]
  loop_dims: [D, C, K]
  loop_sizes: [4, 512, 10]
  operand_precision: {W: 4, I: 8, O: 24, O_final: 8}
"""


def test_workload_yaml_reads(tmp_path):
    p = tmp_path / "w.yaml"
    p.write_text(CONV_YAML)
    wl = read_workload_yaml(p)
    conv, fc = wl.layers
    assert conv.dims == {"N": 1, "G": 1, "K": 32, "C": 16, "P": 28, "Q": 28, "R": 3, "S": 3}
    assert conv.stride == (2, 2) and conv.input_size == (56, 56) and conv.kind == "conv"
    assert fc.kind == "gemm" and fc.dims["N"] == 4 and fc.dims["C"] == 512 and fc.dims["K"] == 10
    assert fc.bits == {"W": 4, "I": 8, "O": 24, "O_final": 8}
    assert wl.operator_type(fc) == "Gemm"


@pytest.mark.parametrize("old, new, match", [
    ("loop_dims: [D, C, K]", "loop_dims: [H, C, K]", r"w.yaml:11: layer 'fc': loop dimension 'H' has no equivalent"),
    ("O[d][k]+=I[d][c]*W[c][k]", "O[d][k]+=I[d][k]*W[c][k]", r"w.yaml:11: layer 'fc': I is indexed by \['d', 'k'\]"),
    ("ix=2*ox+1*fx", "ix=2*oy+1*fx", r"w.yaml:1: layer 'conv_a': dimension relation 'ix=2\*oy\+1\*fx'"),
])
def test_malformed_workload_yaml_is_refused(tmp_path, old, new, match):
    p = tmp_path / "w.yaml"
    p.write_text(CONV_YAML.replace(old, new))
    with pytest.raises(ZigzagInputError, match=match):
        read_workload_yaml(p)


# -- against the live ZigZag's own parsers (test extra zigzag-dse + six) --------------------------------------
def test_live_zigzag_parses_the_same_layers():
    pytest.importorskip("onnx")
    pytest.importorskip("zigzag")
    pytest.importorskip("six")
    from zigzag.parser.onnx.onnx_model_parser import ONNXModelParser

    for model in ("resnet18", "mobilenetv2", "alexnet"):
        path = INPUTS / "workload" / f"{model}.onnx"
        nodes = {n.name: n for n in _quiet(ONNXModelParser(str(path), str(INPUTS / "mapping" / "default.yaml")).run)
                 .node_list if hasattr(n, "layer_dim_sizes")}
        wl = _quiet(read_onnx, path)
        assert sorted(nodes) == sorted(ly.name for ly in wl.layers), model
        for ly in wl.layers:
            n = nodes[ly.name]
            theirs = {str(d): s for d, s in n.layer_dim_sizes.items()}
            assert {d: ly.dims[ZIGZAG_DIMS[d]] for d in theirs} == theirs, f"{model} {ly.name}"
            prec = {str(k): v for k, v in n.operand_precision.data.items()}
            assert prec == {k: ly.bits[k] for k in prec}, f"{model} {ly.name}"


def test_live_zigzag_reads_the_same_memories():
    pytest.importorskip("zigzag")
    pytest.importorskip("six")
    from zigzag.stages.parser.accelerator_parser import AcceleratorParserStage

    for name in ("tpu_like", "eyeriss_like", "tesla_npu_like", "generic_array_cacti"):
        path = INPUTS / "hardware" / f"{name}.yaml"
        acc = _quiet(AcceleratorParserStage.parse_accelerator, str(path))
        arch = _quiet(read_hardware, path).architecture().arch
        theirs = {lv.name: lv for lv in acc.memory_hierarchy.mem_level_list}
        assert sorted(theirs) == sorted(lv.name for lv in arch.levels)
        for lv in arch.levels:
            z = theirs[lv.name]
            assert lv.instances == z.unroll_count, f"{name} {lv.name}"
            double = 2 if z.memory_instance.force_double_buffering else 1
            assert lv.capacity_bits * double == pytest.approx(z.memory_instance.size), f"{name} {lv.name}"
            assert (lv.read_energy, lv.write_energy) == (z.read_energy, z.write_energy)


def test_live_zigzag_cost_model_on_eyeriss_like_random_mappings():
    """eyeriss_like read from its file (three PE registers, a 14 x 12 array, separate O and W SRAMs below the shared
    one): ZigZag's cost model (milliseconds a mapping) and this model give the same element counts for every
    operand, memory and direction, and the same energy with ZigZag's conventions (1e-9), on 30 random mappings
    that this chain of levels can express."""
    pytest.importorskip("zigzag")
    pytest.importorskip("six")
    from zigzag.stages.parser.accelerator_parser import AcceleratorParserStage

    path = INPUTS / "hardware" / "eyeriss_like.yaml"
    za = _quiet(read_hardware, path).architecture()

    acc = _quiet(AcceleratorParserStage.parse_accelerator, str(path))
    layer = Layer("c", dict(K=56, C=24, P=6, Q=4, R=3, S=3), bits=ZIGZAG_BITS)
    node = _quiet(zz.layer_node, layer)
    spatial = {"D1": [("K", 14)], "D2": [("C", 12)]}
    loops = [("K", 2), ("K", 2), ("C", 2), ("OY", 2), ("OY", 3), ("OX", 2), ("OX", 2), ("FY", 3), ("FX", 3)]
    rng = np.random.default_rng(19)
    for trial in range(30):
        order = [loops[i] for i in rng.permutation(len(loops))]
        n = len(order)
        s = int(rng.integers(0, n + 1))
        a_i, a_w, a_o = (int(x) for x in rng.integers(0, s + 1, size=3))
        b_w, b_o = (int(x) for x in rng.integers(s, n + 1, size=2))
        c = int(rng.integers(b_o, n + 1))
        temporal = {"O": [order[:a_o], order[a_o:b_o], order[b_o:c], order[c:]],
                    "W": [order[:a_w], order[a_w:b_w], order[b_w:]],
                    "I": [order[:a_i], order[a_i:c], order[c:]]}
        cme = _quiet(zz.cost_model, node, acc, spatial, temporal)
        arch, mapping = za.mapping(temporal, spatial)
        mine, _ = analyse_mapping(layer.arrays(), arch.arrays(), mapping.arrays())
        theirs = zz.counts(cme, {op: list(v) for op, v in za.memories.items()}, arch.level_index)
        bad = [(arch.levels[lv].name, op, kind, v, mine[lv, "WIO".index(op), kind])
               for (lv, op, kind), v in theirs.items() if v != mine[lv, "WIO".index(op), kind]]
        assert len(theirs) == 4 * 10 and any(v > 0 for v in theirs.values())
        assert not bad, f"trial {trial} {temporal}: (level, operand, kind, ZigZag, model) {bad}"
        assert zigzag_convention_energy(arch, layer, mapping) == pytest.approx(cme.energy_total, rel=1e-9), trial


def test_live_zigzag_parses_the_same_workload_yaml(tmp_path):
    """ZigZag's own workload parser on the same YAML file: the same loop sizes and precisions per layer, and
    the same input extent (ZigZag's ``pr_layer_dim_sizes``) for the convolution."""
    pytest.importorskip("zigzag")
    pytest.importorskip("six")
    from zigzag.stages.parser.workload_parser import WorkloadParserStage

    p = tmp_path / "w.yaml"
    p.write_text(CONV_YAML)
    stage = WorkloadParserStage([lambda *a, **k: None], workload=str(p),
                                mapping=str(INPUTS / "mapping" / "default.yaml"))
    nodes = {n.name: n for n in _quiet(stage.parse_workload).node_list}
    for ly in read_workload_yaml(p).layers:
        n = nodes[ly.name]
        theirs = {str(d): s for d, s in n.layer_dim_sizes.items()}
        assert {d: ly.dims[ZIGZAG_DIMS[d]] for d in theirs} == theirs, ly.name
        assert {str(k): v for k, v in n.operand_precision.data.items()} == \
            {k: ly.bits[k] for k in ("W", "I", "O", "O_final")}, ly.name
        if ly.kind == "conv":
            pr = {str(k): v for k, v in n.pr_layer_dim_sizes.items()}
            assert (pr["IY"], pr["IX"]) == ly.input_size


@pytest.mark.parametrize("temporal, words", [
    ({"O": [[("K", 2)], [("C", 4)], []], "W": [[("K", 2), ("C", 4)], []], "I": [[("K", 2)], [("C", 4)]]},
     "memory 'sram_2MB' holds operands cut at different loops (2 and 1)"),
    ({"O": [[("K", 2)], [("C", 4)], []], "W": [[("C", 4), ("K", 2)], []], "I": [[("K", 2)], [("C", 4)]]},
     "operand W's loops [('C', 4), ('K', 2)] are not in the same order as O's [('K', 2), ('C', 4)]"),
    ({"O": [[("K", 2)], [("C", 4)]], "W": [[("K", 2), ("C", 4)], []], "I": [[("K", 2)], [("C", 4)]]},
     "operand O has 2 memory levels in the mapping, the hardware 3"),
])
def test_both_mapping_readers_check_cuts_with_one_wording(temporal, words):
    """tpu_like as the Python model (mapping_from_zigzag) and as read from its YAML (ZigzagArchitecture.mapping)
    refuse the same inconsistent ZigZag mappings with the same message."""
    with pytest.raises(MappingError, match=re.escape(words)):
        mapping_from_zigzag(tpu_like(), temporal, {"D1": [("K", 32)]}, TPU_LIKE_MEMORIES, "sram_2MB")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        za = read_hardware(INPUTS / "hardware" / "tpu_like.yaml").architecture()
    with pytest.raises(MappingError, match=re.escape(words)):
        za.mapping(temporal, {"D1": [("K", 32)]})
