"""Specifications: validation with clear reasons, Timeloop YAML reading/writing, layer tables, energy table."""

from pathlib import Path

import numpy as np
import pytest

from archgym import datasets
from archgym.simulators.dataflow import energy_table as table
from archgym.simulators.dataflow.architecture import Architecture, ArchitectureError, ComputeUnit, StorageLevel
from archgym.simulators.dataflow.cost import CapacityError, evaluate
from archgym.simulators.dataflow.eyeriss import BASELINE, eyeriss_like
from archgym.simulators.dataflow.formats.timeloop import (
    SpecError,
    mapping_to_yaml,
    read_architecture,
    read_bypass,
    read_mapping,
    read_problem,
)
from archgym.simulators.dataflow.mapper import Mapper
from archgym.simulators.dataflow.mapping import Mapping, MappingError
from archgym.simulators.dataflow.network import load_layers
from archgym.simulators.dataflow.workload import Layer, WorkloadError, axis_count, conv

TL = datasets.path("dataflow", "timeloop")


# -- workload -------------------------------------------------------------------------------------------
def test_layer_errors_name_the_field():
    with pytest.raises(WorkloadError, match="unknown dimension 'Z'"):
        Layer("x", {"Z": 3})
    with pytest.raises(WorkloadError, match="dimension K must be an integer >= 1"):
        Layer("x", {"K": 0})
    with pytest.raises(WorkloadError, match="kind 'pool' is not known"):
        Layer("x", {"K": 2}, kind="pool")
    with pytest.raises(WorkloadError, match="depthwise layer has K = C = 1"):
        Layer("x", {"K": 2, "G": 4}, kind="depthwise")
    with pytest.raises(WorkloadError, match="leaves no output"):
        conv("x", K=1, C=1, H=2, R=5)


def test_conv_helper_matches_framework_shapes():
    ly = conv("c", K=64, C=3, H=224, R=7, stride=2, padding=3)
    assert (ly.dims["P"], ly.dims["Q"]) == (112, 112)
    assert ly.input_extent(0) == 224 and ly.input_extent(0, padded=True) == 229
    dw = conv("dw", K=96, C=96, H=112, R=3, stride=2, padding=1, groups=96)
    assert dw.kind == "depthwise" and dw.dims["G"] == 96 and dw.dims["P"] == 56
    assert axis_count(4, 3, 2, 1) == 9 and axis_count(4, 1, 2, 1) == 4 and axis_count(3, 3, 1, 1) == 5


@pytest.mark.parametrize("net, layers, gmacs", [("alexnet", 5, 1.0766), ("resnet50", 30, 4.0892),
                                               ("mobilenetv2", 53, 0.3008)])
def test_shipped_layer_tables(net, layers, gmacs):
    lys = load_layers(datasets.path("dataflow", f"{net}.csv"))
    assert len(lys) == layers
    assert sum(ly.macs * ly.repeat for ly in lys) / 1e9 == pytest.approx(gmacs, abs=1e-4)


def test_layer_table_errors_name_file_line_column(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("layer,type,H,W,C,K,R,S,stride,padding,groups,repeat\nc1,conv,8,8,3,x,3,3,1,1,1,1\n")
    with pytest.raises(WorkloadError, match=r"bad.csv, line 2, column K: 'x' is not an integer"):
        load_layers(p)
    p.write_text("layer,type,H,W,C,K,R,S,stride,padding,groups,repeat\nc1,pool,8,8,3,4,3,3,1,1,1,1\n")
    with pytest.raises(WorkloadError, match=r"line 2: type 'pool' is not known"):
        load_layers(p)
    p.write_text("layer,H\n")
    with pytest.raises(WorkloadError, match="line 1: header must hold the columns"):
        load_layers(p)


# -- architecture and mapping ---------------------------------------------------------------------------
def test_architecture_errors():
    with pytest.raises(ArchitectureError, match="must keep every tensor; it bypasses \\['W'\\]"):
        Architecture("a", (StorageLevel("dram", ("I", "O")),), ComputeUnit(instances=1))
    with pytest.raises(ArchitectureError, match="do not divide"):
        Architecture("a", (StorageLevel("rf", instances=3), StorageLevel("dram")), ComputeUnit(instances=4))
    with pytest.raises(ArchitectureError, match="keeps unknown tensor"):
        Architecture("a", (StorageLevel("dram", ("W", "I", "O", "X")),), ComputeUnit(instances=1))
    with pytest.raises(ArchitectureError, match="unknown Eyeriss-like parameter"):
        eyeriss_like({"num_pe": 3})
    with pytest.raises(ArchitectureError, match="multiple of mac_mesh_x"):
        eyeriss_like({"num_pes": 20, "mac_mesh_x": 7})


def test_mapping_errors_say_why():
    arch = eyeriss_like()
    layer = conv("c", K=8, C=4, H=6, R=3)
    full = Mapping(tuple({} for _ in range(5)) + ({"temporal": [(d, v) for d, v in layer.dims.items() if v > 1]},))
    evaluate(arch, layer, full)
    with pytest.raises(MappingError, match="the mapping has 2 levels"):
        evaluate(arch, layer, Mapping(({}, {})))
    short = Mapping(tuple({} for _ in range(5)) + ({"temporal": [("K", 4), ("C", 4), ("P", 4), ("Q", 4), ("R", 3),
                                                                  ("S", 3)]},))
    with pytest.raises(MappingError, match="dimension K: the mapping's factors multiply to 4, less than the layer's 8"):
        evaluate(arch, layer, short)
    wide = Mapping(({}, {}, {}, {}, {"spatial_x": [("K", 8), ("C", 4)]},
                    {"temporal": [("P", 4), ("Q", 4), ("R", 3), ("S", 3)]}))
    with pytest.raises(MappingError, match="spatial-X factors .* use 32 instances, the fan-out is 14"):
        evaluate(arch, layer, wide)
    big = Mapping(({"temporal": [("K", 8), ("P", 4)]}, {}, {}, {}, {},
                   {"temporal": [("C", 4), ("Q", 4), ("R", 3), ("S", 3)]}))
    with pytest.raises(CapacityError, match="level 'psum_spad': the mapping's tiles need 512 bits per instance, the "
                                            "level holds 256"):
        evaluate(arch, layer, big)
    with pytest.raises(MappingError, match="padding the layer's 5 by a whole iteration"):
        Mapping(({"temporal": [("K", 8)]},)).padded_dims(Layer("x", {"K": 5}))


def test_padded_dimension_scales_counts_to_the_real_work():
    arch = eyeriss_like()
    real = Layer("r", {"K": 12, "C": 4})
    m = Mapping(({}, {}, {}, {"spatial_y": [("K", 4)]}, {}, {"temporal": [("C", 4), ("K", 3)]}))
    padded_layer = Layer("p", {"K": 11, "C": 4})
    a, b = evaluate(arch, real, m), evaluate(arch, padded_layer, m)
    assert b.compute_cycles == a.compute_cycles  # padded lanes idle, they still take their slot
    assert b.count("DRAM", "W", "reads") == pytest.approx(a.count("DRAM", "W", "reads") * 11 / 12)
    assert b.count("DRAM", "I", "reads") == a.count("DRAM", "I", "reads")


# -- Timeloop YAML --------------------------------------------------------------------------------------
def test_shipped_timeloop_files_read_as_the_eyeriss_builder():
    arch = read_architecture(TL / "eyeriss_like_arch.yaml", read_bypass(TL / "eyeriss_like_bypass.yaml"))
    ref = eyeriss_like()
    for a, b in zip(arch.levels, ref.levels):
        assert (a.name, a.keeps, a.depth, a.block_size, a.instances, a.read_bandwidth) == \
            (b.name, b.keeps, b.depth, b.block_size, b.instances, b.read_bandwidth)
        assert a.read_energy == pytest.approx(b.read_energy) and a.area == pytest.approx(b.area)
    assert arch.compute == ref.compute
    layer = read_problem(TL / "alexnet_conv1_problem.yaml")
    assert layer.dims == load_layers(datasets.path("dataflow", "alexnet.csv"))[0].dims
    assert layer.stride == (4, 4)


def test_mapping_yaml_round_trip(tmp_path):
    arch = read_architecture(TL / "eyeriss_like_arch.yaml", read_bypass(TL / "eyeriss_like_bypass.yaml"))
    layer = read_problem(TL / "alexnet_conv1_problem.yaml")
    m, _ = Mapper(arch, seed=0).search_layer(layer)
    p = tmp_path / "map.yaml"
    p.write_text(mapping_to_yaml(m, arch))
    back = read_mapping(p, arch)
    assert np.array_equal(evaluate(arch, layer, m).counts, evaluate(arch, layer, back).counts)
    assert read_bypass(p) == {lv.name: lv.keeps for lv in arch.levels}


def test_yaml_errors_name_file_and_key(tmp_path):
    p = tmp_path / "a.yaml"
    p.write_text("architecture:\n  version: 0.3\n  subtree:\n  - name: s\n    local:\n    - name: DRAM\n"
                 "      class: DRAM\n      attributes: {width: 64, colour: red}\n")
    with pytest.raises(SpecError, match=r"a.yaml/s/DRAM: unknown key\(s\) \['colour'\]"):
        read_architecture(p)
    p.write_text("architecture:\n  subtree:\n  - name: s\n    local:\n    - name: X\n      class: flux\n")
    with pytest.raises(SpecError, match="class 'flux' is not known"):
        read_architecture(p)
    p.write_text("problem:\n  instance: {C: 3, Z: 4}\n")
    with pytest.raises(SpecError, match=r"problem.instance: unknown key\(s\) \['Z'\]"):
        read_problem(p)
    p.write_text("mapping:\n- {target: DRAM, type: temporal, factors: C=0}\n")
    with pytest.raises(SpecError, match="must be >= 1"):
        read_mapping(p, eyeriss_like())
    p.write_text("mapping:\n- {target: GLB, type: temporal, factors: C=3}\n")
    with pytest.raises(SpecError, match="target 'GLB' is not a level"):
        read_mapping(p, eyeriss_like())
    p.write_text("mapping: [\n")
    with pytest.raises(SpecError, match="not valid YAML"):
        read_mapping(p, eyeriss_like())


# -- energy table ---------------------------------------------------------------------------------------
def test_energy_table_follows_its_anchors():
    mac = table.mac_energy(16)
    assert mac == pytest.approx(table.MAC16_PJ)
    assert table.access_energy("regfile", 256) == pytest.approx(mac)          # 0.5 kB register file: 1x
    assert table.access_energy("SRAM", 256) == pytest.approx(mac)             # both laws meet there
    assert table.access_energy("SRAM", 108 * 512) == pytest.approx(6 * mac)   # ~100 kB buffer: 6x
    assert table.access_energy("DRAM", 1) == pytest.approx(200 * mac)         # DRAM: 200x
    assert table.access_energy("regfile", 16) < table.access_energy("SRAM", 16)
    assert table.access_energy("regfile", 65536) > table.access_energy("SRAM", 65536)
    # the same 1024 words in rows of 4: a 4-word access costs less than 4 one-word accesses
    assert table.access_energy("SRAM", 256, block_size=4) / 4 < table.access_energy("SRAM", 1024)
    assert table.area("SRAM", 1024) < table.area("regfile", 1024)
    with pytest.raises(table.ComponentError, match="class 'flash' is not known"):
        table.access_energy("flash", 16)


def test_baseline_is_archgyms_template():
    assert BASELINE["num_pes"] == 168 and BASELINE["shared_glb_depth"] == 16384
    arch = eyeriss_like()
    assert [lv.name for lv in arch.levels] == ["psum_spad", "weights_spad", "ifmap_spad", "DummyBuffer", "shared_glb",
                                               "DRAM"]
    assert arch.levels[4].depth * arch.levels[4].width_bits == 16384 * 64
    assert tuple(arch.fanouts[3]) == (1, 12) and tuple(arch.fanouts[4]) == (14, 1)


def test_reference_dir_layout_is_documented():
    card = Path(datasets.path("dataflow", "README.md")).read_text()
    for name in ("alexnet.csv", "resnet50.csv", "mobilenetv2.csv", "eyeriss_like_arch.yaml"):
        assert name in card
