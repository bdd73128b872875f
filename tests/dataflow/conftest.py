"""Shared fixtures of the dataflow tests: small architectures, random valid mappings, ZigZag's reference rows."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest

from archgym.simulators.dataflow.architecture import Architecture, ComputeUnit, StorageLevel
from archgym.simulators.dataflow.formats.zigzag import (
    TPU_LIKE_MEMORIES,
    layer_from_loop_sizes,
    mapping_from_zigzag,
    parse_spatial,
    parse_temporal,
    tpu_like,
)
from archgym.simulators.dataflow.mapper import prime_factors
from archgym.simulators.dataflow.mapping import LevelLoops, Mapping
from archgym.simulators.dataflow.workload import DIMS, Layer

ROOT = Path(__file__).resolve().parents[2]
REF_DIR = ROOT / "tests" / "reference" / "dataflow"
REF_CSV = REF_DIR / "zigzag_reference.csv"


def small_archs() -> list[Architecture]:
    """Hierarchies with bypassing levels, a keep-nothing fan-out level, fan-outs at several levels, both
    spatial-reduction rules and both MAC operand-reuse settings."""
    a = Architecture("toy", (
        StorageLevel("rf_o", ("O",), depth=64, instances=4, mesh_x=2),
        StorageLevel("rf_w", ("W",), depth=64, instances=4, mesh_x=2),
        StorageLevel("mid", (), instances=2, mesh_x=2),
        StorageLevel("buf", ("I", "O"), depth=4096, instances=1),
        StorageLevel("dram", ("W", "I", "O")),
    ), ComputeUnit(instances=4, mesh_x=2))
    b = Architecture("toy2", (
        StorageLevel("rf", ("W", "O"), depth=64, instances=8, mesh_x=4),
        StorageLevel("mid", ("I",), depth=512, instances=4, mesh_x=2),
        StorageLevel("buf", ("I", "O"), depth=4096, instances=1),
        StorageLevel("dram", ("W", "I", "O")),
    ), ComputeUnit(instances=16, mesh_x=4), mac_operand_reuse={"W": False, "I": False, "O": True},
        spatial_reduction="chain")
    c = Architecture("toy3", (
        StorageLevel("mid", (), instances=2, mesh_x=2),
        StorageLevel("buf", ("W", "I", "O"), depth=4096, instances=1),
        StorageLevel("dram", ("W", "I", "O")),
    ), ComputeUnit(instances=6, mesh_x=2))
    return [a, b, c]


def random_mapping(layer: Layer, arch: Architecture, rng: np.random.Generator) -> Mapping:
    """A mapping whose factors multiply exactly to the layer: every prime factor goes to a random temporal
    slot or to a fan-out axis it fits in; each level's temporal loops in random order."""
    L = arch.n_levels
    cap = arch.fanouts.copy()
    levels = [{"temporal": [], "spatial_x": [], "spatial_y": []} for _ in range(L)]
    for d in DIMS:
        for p in prime_factors(layer.dims[d]):
            slots = [(lv, "t") for lv in range(L)]
            slots += [(lv, a) for lv in range(L) for a in (0, 1) if cap[lv, a] % p == 0]
            lv, a = slots[rng.integers(len(slots))]
            if a == "t":
                levels[lv]["temporal"].append((d, p))
            else:
                cap[lv, a] //= p
                levels[lv]["spatial_x" if a == 0 else "spatial_y"].append((d, p))
    for lv in levels:
        order = rng.permutation(len(lv["temporal"]))
        lv["temporal"] = [lv["temporal"][i] for i in order]
    return Mapping(tuple(LevelLoops(tuple(lv["temporal"]), tuple(lv["spatial_x"]), tuple(lv["spatial_y"]))
                         for lv in levels))


def reference_rows() -> list[dict]:
    if not REF_CSV.exists():
        pytest.skip(f"ZigZag reference figures not found at {REF_CSV}")
    with REF_CSV.open() as f:
        return list(csv.DictReader(f))


def _resnet18_geometry(name: str) -> tuple[int, tuple | None]:
    """Stride and real input size of a ResNet-18 ONNX layer (torchvision's ResNet-18 on 224 x 224)."""
    if name == "/conv1/Conv":
        return 2, (224, 224)
    m = re.match(r"/layer(\d)/layer\d\.(\d)/(conv\d|downsample)", name)
    if not m:
        return 1, None
    stage, block, kind = int(m.group(1)), int(m.group(2)), m.group(3)
    size = {1: 56, 2: 28, 3: 14, 4: 7}[stage]
    if stage > 1 and block == 0 and kind in ("conv1", "downsample"):
        return 2, (2 * size, 2 * size)
    return 1, (size, size)


#: strides of the SCALE-Sim layer set ZigZag ran (from ../systolic's layer definitions)
SCALESIM_STRIDES = {"mobilenet_Conv1": 2, "resnet18_Conv4_s": 2}


def reference_case(row: dict):
    """(layer, architecture, mapping) of a reference row: ZigZag's tpu_like with the mapping ZigZag chose."""
    name = row["layer"]
    if row["experiment"] == "scalesim_layer_set":
        stride, size = SCALESIM_STRIDES.get(name, 1), None
    else:
        stride, size = _resnet18_geometry(name)
    layer = layer_from_loop_sizes(name, row["loop_sizes"], stride, size)
    arch, mapping = mapping_from_zigzag(tpu_like(), parse_temporal(row["temporal_mapping"]),
                                        parse_spatial(row["spatial_mapping"]), TPU_LIKE_MEMORIES, "sram_2MB")
    return layer, arch, mapping
