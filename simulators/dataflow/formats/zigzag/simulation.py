"""ZigZag's three input files (hardware YAML, mapping YAML, ONNX or workload YAML) to ZigZag's figures per layer.

:func:`simulate_files` is the file-level entry point (``archgym simulate dataflow --zigzag-hardware H
--zigzag-mapping M --zigzag-workload W``). ZigZag itself searches each layer's temporal mapping (LOMA) and
completes a partial spatial mapping (its ``SpatialMappingGeneratorStage``, which also limits unrollings by
memory bandwidth and capacity); neither search is modelled here. A layer's mapping therefore comes from:

1. ``mappings[layer name]``: the mapping ZigZag chose (its ``spatial_mapping`` and
   ``temporal_mapping.mapping_dic_origin``, as dicts or as ZigZag prints them), or
2. the mapping file's entry for the layer (by name, operator type, ``default``), if it gives a spatial
   mapping over every array dimension, no larger than the layer and the array, and a complete
   ``temporal_ordering`` (every factor an integer): the ordering is allocated to the memories as ZigZag's
   ``MemoryAllocator`` does (:mod:`.allocation`).

Any other layer is refused naming the mapping file, its line, the layer and what is missing.
"""

from __future__ import annotations

from pathlib import Path

from ...mapping import MappingError
from .allocation import allocate
from .evaluation import LayerEvaluation, evaluate_layer
from .hardware import ZigzagInputError, model_dim, read_hardware, read_mapping
from .mappings import parse_spatial, parse_temporal
from .workload import ZigzagWorkload, read_onnx, read_workload_yaml

WORKLOAD_SUFFIXES = (".onnx", ".yaml", ".yml")


def read_workload(workload) -> ZigzagWorkload:
    """A :class:`ZigzagWorkload` from an ONNX file (``.onnx``), a ZigZag workload YAML (``.yaml``/``.yml``)
    or an already read workload."""
    if isinstance(workload, ZigzagWorkload):
        return workload
    path = Path(workload)
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        return read_onnx(path)
    if suffix in (".yaml", ".yml"):
        return read_workload_yaml(path)
    raise ZigzagInputError(f"{path}: workload suffix {suffix or '(none)'!r}; allowed: {list(WORKLOAD_SUFFIXES)}")


def _given(mapping, where: str) -> tuple[dict, dict]:
    if not isinstance(mapping, dict) or set(mapping) != {"spatial", "temporal"}:
        raise ZigzagInputError(f"{where}: a given mapping is {{'spatial': ..., 'temporal': ...}}, got {mapping!r}")
    spatial, temporal = mapping["spatial"], mapping["temporal"]
    spatial = parse_spatial(spatial) if isinstance(spatial, str) else \
        {str(oa): list(dict(v).items()) if isinstance(v, dict) else list(v) for oa, v in spatial.items()}
    temporal = parse_temporal(temporal) if isinstance(temporal, str) else temporal
    return spatial, temporal


def _from_entry(za, layer, entry) -> tuple[dict, dict]:
    at = f"{entry.where}: entry {entry.name!r} for layer {layer.name!r}"
    dims = za.hardware.array_dims
    spatial = entry.spatial or {}
    missing = [oa for oa in dims if oa not in spatial]
    if missing:
        raise ZigzagInputError(f"{at}: no spatial_mapping for array dimension(s) {missing}; ZigZag would search "
                               f"them (SpatialMappingGeneratorStage), not modelled here: give them, or pass the "
                               f"mapping ZigZag chose")
    for oa, loops in spatial.items():
        for d, f in loops:
            n = layer.dims[model_dim(d, at)]
            if f > n or f > za.hardware.array_sizes.get(oa, 0):
                raise ZigzagInputError(
                    f"{at}: spatial_mapping {oa} {d}: {f} exceeds the layer's {n} or the array's "
                    f"{za.hardware.array_sizes.get(oa)}; ZigZag would reduce it (also to memory bandwidth and "
                    f"capacity), not modelled here")
    if not entry.temporal_ordering:
        raise ZigzagInputError(f"{at}: no temporal_ordering; ZigZag's temporal mapping search (LOMA) is not "
                               f"modelled here: give a complete temporal_ordering, or pass the mapping ZigZag chose")
    stars = [d for d, f in entry.temporal_ordering if f == "*"]
    if stars:
        raise ZigzagInputError(f"{at}: temporal_ordering leaves {stars} to ZigZag's search ('*'), not modelled "
                               f"here; give every factor")
    try:
        temporal = allocate(za, layer, spatial, entry.temporal_ordering, where=at)
    except MappingError as e:
        raise ZigzagInputError(str(e)) from None
    return spatial, temporal


def simulate_files(hardware, mapping, workload, mappings: dict | None = None) -> list[LayerEvaluation]:
    """ZigZag's access counts and energy for every layer (with MACs) of ``workload`` on ``hardware``.

    ``hardware``, ``mapping``: paths of ZigZag's hardware and mapping YAML files; ``workload``: an ONNX
    model, a ZigZag workload YAML or a :class:`ZigzagWorkload`; ``mappings``: optional ``{layer name:
    {"spatial": ..., "temporal": ...}}``, the mappings ZigZag chose (see the module docstring for where a
    layer's mapping comes from otherwise).

    Returns one :class:`~.evaluation.LayerEvaluation` per layer, in the workload's order: ``layer`` (its
    ``name``), ``rows`` (per operand W/I/O, memory and ZigZag data direction ``rd_out_to_low``,
    ``wr_in_by_high``, ``wr_in_by_low``, ``rd_out_to_high``: ``elements`` (ZigZag's element counts),
    ``word_accesses``, ``energy_pJ`` (this model's charging) and ``energy_zigzag_convention_pJ`` (ZigZag's,
    whose sum with ``mac_energy_pj`` is ZigZag's ``energy_total``)), ``energy_zigzag_convention_pj``,
    ``energy_pj``, ``mac_energy_pj``, ``temporal_cycles`` (ZigZag's ``ideal_temporal_cycle``; its stall and
    on/off-loading latency is not modelled), ``utilization`` (MACs / (cycles x MAC units)) and
    ``unrolling`` (ZigZag's effective spatial unrolling, fractional where it does not divide the layer);
    :meth:`~.evaluation.LayerEvaluation.to_dict` gives the same as plain data.

    Raises :class:`ZigzagInputError` (a ``ValueError``) naming the file and line for bad or unsupported
    input, and ``MappingError`` naming the layer for a mapping this model cannot express.
    """
    hw = read_hardware(hardware)
    maps = read_mapping(mapping)
    wl = read_workload(workload)
    mappings = dict(mappings or {})
    names = {ly.name for ly in wl.layers}
    unknown = sorted(set(mappings) - names)
    if unknown:
        raise ZigzagInputError(f"mappings given for layers {unknown} that {wl.path} does not have")
    out = []
    for layer in wl.layers:
        entry = maps.entry_for(layer.name, wl.operator_type(layer))
        za = hw.architecture(entry.links)
        if layer.name in mappings:
            where = f"layer {layer.name!r} (given mapping)"
            spatial, temporal = _given(mappings[layer.name], where)
        else:
            where = f"{entry.where}: layer {layer.name!r}"
            spatial, temporal = _from_entry(za, layer, entry)
        out.append(evaluate_layer(za, layer, temporal, spatial, where=where))
    return out
