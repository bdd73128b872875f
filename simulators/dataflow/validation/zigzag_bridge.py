"""Run ZigZag's own cost model on one fixed mapping (optional: needs ``zigzag-dse`` and ``six``).

ZigZag's search (``zigzag.api.get_hardware_performance_zigzag``) takes seconds per layer; its cost model
on one given spatial and temporal mapping takes milliseconds. This module builds ZigZag's objects for a
layer and a mapping in ZigZag's own format and returns its ``CostModelEvaluation``, so that tests and
benchmarks can compare access counts, energy and latency mapping by mapping.
"""

from __future__ import annotations

import copy
import logging
import os

import numpy as np

from ..access_counts import DRAINS, FILLS, READS, UPDATES
from ..workload import Layer


def _zigzag():
    try:
        import zigzag  # noqa: F401
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise ImportError("the ZigZag bridge needs the reference extra: pip install zigzag-dse six") from e
    logging.getLogger("zigzag").setLevel(logging.WARNING)
    return zigzag


def shipped_path(*parts: str) -> str:
    """Path of a file shipped with ZigZag (e.g. ``inputs/hardware/tpu_like.yaml``)."""
    return os.path.join(os.path.dirname(_zigzag().__file__), *parts)


def accelerator(name: str = "tpu_like"):
    """One of ZigZag's shipped accelerators."""
    _zigzag()
    from zigzag.stages.parser.accelerator_parser import AcceleratorParserStage

    return AcceleratorParserStage.parse_accelerator(shipped_path("inputs", "hardware", f"{name}.yaml"))


def accelerator_from(path: str):
    """ZigZag's accelerator object of a hardware YAML file."""
    _zigzag()
    from zigzag.stages.parser.accelerator_parser import AcceleratorParserStage

    return AcceleratorParserStage.parse_accelerator(str(path))


def onnx_layers(model: str = "resnet18", mapping: str = "tpu_like") -> dict:
    """ZigZag's layer nodes of one of its shipped ONNX models, by name."""
    _zigzag()
    from zigzag.parser.onnx.onnx_model_parser import ONNXModelParser

    wl = ONNXModelParser(shipped_path("inputs", "workload", f"{model}.onnx"),
                         shipped_path("inputs", "mapping", f"{mapping}.yaml")).run()
    return {n.name: n for n in wl.node_list}


def layer_spec(layer: Layer) -> dict:
    """ZigZag's workload entry (dict form) of a convolution or GEMM layer of this model."""
    d = layer.dims
    if layer.kind == "gemm":
        sizes = {"B": d["N"], "C": d["C"], "K": d["K"]}
        eq, rel = "O[b][k]+=W[k][c]*I[b][c]", []
    else:
        sizes = {"B": d["N"], "K": d["K"], "C": d["C"], "OY": d["P"], "OX": d["Q"], "FY": d["R"], "FX": d["S"]}
        eq = "O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]"
        rel = [f"ix={layer.stride[1]}*ox+{layer.dilation[1]}*fx", f"iy={layer.stride[0]}*oy+{layer.dilation[0]}*fy"]
    spec = {"id": 0, "name": layer.name, "operator_type": "Gemm" if layer.kind == "gemm" else "Conv", "equation": eq,
            "loop_dims": list(sizes), "loop_sizes": list(sizes.values()),
            "operand_precision": {"W": layer.bits["W"], "I": layer.bits["I"], "O": layer.bits["O"],
                                  "O_final": layer.bits["O_final"]},
            "operand_source": {"I": 0}}
    if rel:
        spec["dimension_relations"] = rel
    return spec


def layer_node(layer: Layer, mapping: str = "tpu_like"):
    """ZigZag's layer node of a convolution or GEMM layer of this model."""
    _zigzag()
    from zigzag.parser.workload_factory import WorkloadFactory
    from zigzag.parser.workload_validator import WorkloadValidator
    from zigzag.stages.parser.workload_parser import WorkloadParserStage

    v = WorkloadValidator([layer_spec(layer)])
    data = v.normalized_data
    if not v.validate():
        raise ValueError(f"ZigZag rejects layer {layer.name!r}: {v.validator.errors}")
    maps = WorkloadParserStage.parse_mapping_data(shipped_path("inputs", "mapping", f"{mapping}.yaml"))
    return WorkloadFactory(data, maps).create().node_list[0]


def search(layer: Layer, accelerator: str = "tpu_like", opt: str = "latency", lpf_limit: int = 6):
    """ZigZag's own mapping search (LOMA) for one layer: (its best CostModelEvaluation, seconds taken)."""
    import tempfile
    import time

    _zigzag()
    from zigzag.api import get_hardware_performance_zigzag

    with tempfile.TemporaryDirectory() as tmp:
        logging.disable(logging.CRITICAL)
        try:
            t0 = time.perf_counter()
            _, _, cmes = get_hardware_performance_zigzag(
                [layer_spec(layer)], shipped_path("inputs", "hardware", f"{accelerator}.yaml"),
                shipped_path("inputs", "mapping", f"{accelerator}.yaml"), opt=opt, dump_folder=tmp,
                lpf_limit=lpf_limit, loma_show_progress_bar=False)
            seconds = time.perf_counter() - t0
        finally:
            logging.disable(logging.NOTSET)
    return cmes[0][1][0][0], seconds


def mapping_of(cme) -> tuple[dict, dict]:
    """(spatial, temporal) of a CostModelEvaluation in this model's dimension names (see zigzag_format)."""
    names = {"B": "N", "OY": "P", "OX": "Q", "FY": "R", "FX": "S", "D": "N"}
    spatial = {str(oa): [(names.get(str(d), str(d)), int(f)) for d, f in m.items()]
               for oa, m in cme.layer.spatial_mapping.items()}
    temporal = {str(op): [[(names.get(str(d), str(d)), int(f)) for d, f in lv] for lv in levels]
                for op, levels in cme.temporal_mapping.mapping_dic_origin.items()}
    return spatial, temporal


def spatial_mappings(node, acc, spatial: dict):
    """ZigZag's (SpatialMappingInternal, its integer form) of ``spatial`` {array dim: [(dim, factor)]} on ``acc``;
    sets it as the node's spatial mapping (pass a copy of a shared node)."""
    _zigzag()
    from zigzag.datatypes import LayerDim, OADimension
    from zigzag.mapping.spatial_mapping import MappingSingleOADim, SpatialMapping
    from zigzag.stages.mapping.spatial_mapping_conversion import SpatialMappingConversionStage

    usm = SpatialMapping({OADimension(oa): MappingSingleOADim({LayerDim(d): f for d, f in loops})
                          for oa, loops in spatial.items()})
    usm.initialize_oa_dims(acc.operational_array.dimension_sizes)
    node.spatial_mapping = usm
    conv = SpatialMappingConversionStage([lambda *a, **k: None], accelerator=acc, layer=node)
    return conv.convert_user_spatial_mapping(usm)


def cost_model(node, acc, spatial: dict, temporal: dict):
    """ZigZag's CostModelEvaluation of one mapping: ``spatial`` {array dim: [(dim, factor)]}, ``temporal``
    {operand: [[(dim, factor), ...] per memory level]} with ZigZag's dimension names."""
    _zigzag()
    from zigzag.cost_model.cost_model import CostModelEvaluation
    from zigzag.datatypes import LayerDim, LayerOperand, OADimension
    from zigzag.mapping.spatial_mapping import MappingSingleOADim, SpatialMapping
    from zigzag.mapping.temporal_mapping import TemporalMapping, TemporalMappingType
    from zigzag.stages.mapping.spatial_mapping_conversion import SpatialMappingConversionStage

    node = copy.copy(node)
    usm = SpatialMapping({OADimension(oa): MappingSingleOADim({LayerDim(d): f for d, f in loops})
                          for oa, loops in spatial.items()})
    usm.initialize_oa_dims(acc.operational_array.dimension_sizes)
    node.spatial_mapping = usm
    conv = SpatialMappingConversionStage([lambda *a, **k: None], accelerator=acc, layer=node)
    sm, sm_int = conv.convert_user_spatial_mapping(usm)
    tm = TemporalMapping({LayerOperand(op): [[(LayerDim(d), f) for d, f in lv] for lv in levels]
                          for op, levels in temporal.items()}, node, TemporalMappingType.UNEVEN)
    return CostModelEvaluation(accelerator=acc, layer=node, spatial_mapping=sm, spatial_mapping_int=sm_int,
                               temporal_mapping=tm, access_same_data_considered_as_no_access=True)


def counts(cme, memories: dict, level_index) -> dict:
    """ZigZag's element counts in this model's terms: ``{(level index, tensor, kind): count}``.

    ``memories``: ZigZag operand -> its memory names innermost first; ``level_index``: name -> level."""
    from zigzag.datatypes import LayerOperand
    from zigzag.mapping.data_movement import DataDirection, DataMoveAttr

    dirs = {READS: DataDirection.RD_OUT_TO_LOW, FILLS: DataDirection.WR_IN_BY_HIGH,
            UPDATES: DataDirection.WR_IN_BY_LOW, DRAINS: DataDirection.RD_OUT_TO_HIGH}
    out = {}
    for op, names in memories.items():
        for i, name in enumerate(names):
            moves = cme.mapping.unit_mem_data_movement[LayerOperand(op)][i].get_attribute(DataMoveAttr.DATA_ELEM_MOVE_COUNT)
            for kind, direction in dirs.items():
                out[(level_index(name), op, kind)] = float(moves.get(direction))
    return out


def to_zigzag_names(loops) -> list:
    """This model's (dim, factor) loops in ZigZag's dimension names."""
    names = {"N": "B", "K": "K", "C": "C", "P": "OY", "Q": "OX", "R": "FY", "S": "FX", "G": "G"}
    return [(names[d], int(f)) for d, f in loops]


def as_array(c: dict, shape) -> np.ndarray:
    a = np.zeros(shape)
    for (lv, op, kind), v in c.items():
        a[lv, "WIO".index(op), kind] = v
    return a
