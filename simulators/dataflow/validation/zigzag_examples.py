"""ZigZag's own examples (a shipped hardware, mapping and ONNX workload) through ZigZag and through this model.

:func:`measure` runs ZigZag's search (``zigzag.api.get_hardware_performance_zigzag``) on one example
and returns, per layer, the mapping ZigZag chose with its totals, and per layer, operand, memory and
direction ZigZag's element counts, word accesses and energy: the figures committed under
``tests/reference/zigzag_inputs/`` (``python -m archgym.simulators.dataflow.validation.zigzag_examples
OUT_DIR`` writes them). :func:`model_rows` gives this model's counts and energy for the same layers and
mappings, read from the same files by :mod:`..formats.zigzag.hardware` and :mod:`..formats.zigzag.workload`,
in the same long form, so that both can be compared row by row.
"""

from __future__ import annotations

import csv
import logging
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from ..access_counts import DRAINS, FILLS, READS, UPDATES, analyse
from ..cost import level_bits, moved_bits
from ..formats.zigzag import layer_from_loop_sizes, parse_spatial, parse_temporal
from ..formats.zigzag.hardware import read_hardware, read_mapping
from ..formats.zigzag.workload import read_onnx
from . import zigzag_bridge

#: (experiment, hardware file, mapping file, workload file) under ZigZag's ``inputs/``
EXAMPLES = (
    ("tpu_like_resnet18", "hardware/tpu_like.yaml", "mapping/tpu_like.yaml", "workload/resnet18.onnx"),
    ("generic_array_alexnet", "hardware/generic_array_cacti.yaml", "mapping/default.yaml", "workload/alexnet.onnx"),
    ("tesla_npu_like_alexnet", "hardware/tesla_npu_like.yaml", "mapping/tesla_npu_like.yaml", "workload/alexnet.onnx"),
    ("tpu_like_mobilenetv2", "hardware/tpu_like.yaml", "mapping/tpu_like.yaml", "workload/mobilenetv2.onnx"),
)
#: ZigZag's data directions and this model's count kinds
DIRECTIONS = {"rd_out_to_low": READS, "wr_in_by_high": FILLS, "wr_in_by_low": UPDATES, "rd_out_to_high": DRAINS}
LAYER_FIELDS = ("experiment", "layer", "operator_type", "loop_sizes", "spatial_mapping", "temporal_mapping",
                "energy_total_pJ", "mac_energy_pJ", "latency_total2_cycles", "ideal_temporal_cycle", "zigzag_version")
ACCESS_FIELDS = ("experiment", "layer", "operand", "memory", "direction", "elements", "word_accesses", "energy_pJ")


def spatial_text(spatial: dict) -> str:
    """``{D1: {K: 32}, D2: {C: 32}}``: ZigZag's printed spatial mapping (read back by ``parse_spatial``)."""
    return "{" + ", ".join(f"{oa}: {{" + ", ".join(f"{d}: {f}" for d, f in m.items()) + "}"
                           for oa, m in spatial.items()) + "}"


def temporal_text(temporal: dict) -> str:
    """``{O: [[(FX, 3), ...], ...], W: ..., I: ...}``: ZigZag's printed temporal mapping."""
    return "{" + ", ".join(f"{op}: [" + ", ".join("[" + ", ".join(f"({d}, {f})" for d, f in lv) + "]" for lv in lvs)
                           + "]" for op, lvs in temporal.items()) + "}"


def measure(inputs: Path, experiment: str, hardware: str, mapping: str, workload: str, opt: str = "latency",
            lpf_limit: int = 6) -> tuple[list[dict], list[dict]]:
    """(layer rows, access rows) of ZigZag's search on one example (needs ``zigzag-dse`` and ``six``)."""
    from importlib.metadata import version

    from zigzag.api import get_hardware_performance_zigzag
    from zigzag.datatypes import LayerOperand
    from zigzag.mapping.data_movement import DataDirection, DataMoveAttr

    logging.getLogger("zigzag").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        _, _, cmes = get_hardware_performance_zigzag(
            str(inputs / workload), str(inputs / hardware), str(inputs / mapping), opt=opt, dump_folder=tmp,
            lpf_limit=lpf_limit, loma_show_progress_bar=False)
    zz_version = version("zigzag-dse")
    layers, accesses = [], []
    for cme, _ in cmes[0][1]:
        node = cme.layer
        sizes = " ".join(f"{d}={s}" for d, s in node.layer_dim_sizes.items())
        spatial = {str(oa): {str(d): int(f) for d, f in m.items()} for oa, m in node.spatial_mapping.items()}
        temporal = {str(op): [[(str(d), int(f)) for d, f in lv] for lv in lvs]
                    for op, lvs in cme.temporal_mapping.mapping_dic_origin.items()}
        layers.append({"experiment": experiment, "layer": node.name, "operator_type": node.type,
                       "loop_sizes": sizes, "spatial_mapping": spatial_text(spatial),
                       "temporal_mapping": temporal_text(temporal), "energy_total_pJ": cme.energy_total,
                       "mac_energy_pJ": cme.mac_energy, "latency_total2_cycles": cme.latency_total2,
                       "ideal_temporal_cycle": cme.ideal_temporal_cycle, "zigzag_version": zz_version})
        hierarchy = cme.accelerator.memory_hierarchy
        for op in (LayerOperand("W"), LayerOperand("I"), LayerOperand("O")):
            mem_op = cme.memory_operand_links.layer_to_mem_op(op)
            for i, level in enumerate(hierarchy.get_memory_levels(mem_op)):
                moves = cme.mapping.unit_mem_data_movement[op][i].get_attribute(DataMoveAttr.DATA_ELEM_MOVE_COUNT)
                words = cme.memory_word_access[op][i]
                energy = cme.mem_energy_breakdown_further[op][i]
                for name in DIRECTIONS:
                    direction = DataDirection(name)
                    accesses.append({"experiment": experiment, "layer": node.name, "operand": str(op),
                                     "memory": level.name, "direction": name,
                                     "elements": float(moves.get(direction)), "word_accesses": words.get(direction),
                                     "energy_pJ": energy.get(direction)})
    return layers, accesses


#: (hardware, mapping file, its entry with a complete temporal_ordering, the layer it is for)
ORDERING_EXAMPLE = ("hardware/tpu_like.yaml", "mapping/tpu_like.yaml", "example_name_of_layer0",
                    "B=1 K=64 C=32 OY=112 OX=112 FY=7 FX=7")
ORDERING_FIELDS = ("hardware", "mapping", "entry", "loop_sizes", "spatial_mapping", "temporal_ordering",
                   "temporal_mapping", "energy_total_pJ", "mac_energy_pJ", "latency_total2_cycles", "zigzag_version")


def measure_ordering(inputs: Path, hardware: str, mapping: str, entry: str, loop_sizes: str) -> dict:
    """ZigZag's ``MemoryAllocator`` on a mapping-file entry's complete ``temporal_ordering`` and its cost model on
    the result: the row of ``zigzag_ordering_example.csv``."""
    from importlib.metadata import version

    from zigzag.datatypes import LayerDim
    from zigzag.mapping.temporal_mapping import TemporalMappingType
    from zigzag.opt.loma.memory_allocator import MemoryAllocator

    e = read_mapping(inputs / mapping).entry_for(entry)
    layer = layer_from_loop_sizes(entry, loop_sizes)
    acc = zigzag_bridge.accelerator_from(str(inputs / hardware))
    node = zigzag_bridge.layer_node(layer)
    sm, sm_int = zigzag_bridge.spatial_mappings(node, acc, e.spatial)
    tm = MemoryAllocator(acc, node, sm, [(LayerDim(d), f) for d, f in e.temporal_ordering],
                         TemporalMappingType.UNEVEN).run()
    temporal = {str(op): [[(str(d), int(f)) for d, f in lv] for lv in lvs] for op, lvs in tm.mapping_dic_origin.items()}
    cme = zigzag_bridge.cost_model(node, acc, e.spatial, temporal)
    return {"hardware": hardware, "mapping": mapping, "entry": entry, "loop_sizes": loop_sizes,
            "spatial_mapping": spatial_text({k: dict(v) for k, v in e.spatial.items()}),
            "temporal_ordering": " ".join(f"{d}={f}" for d, f in e.temporal_ordering),
            "temporal_mapping": temporal_text(temporal), "energy_total_pJ": cme.energy_total,
            "mac_energy_pJ": cme.mac_energy, "latency_total2_cycles": cme.latency_total2,
            "zigzag_version": version("zigzag-dse")}


def model_rows(inputs: Path, layer_rows: list[dict], hardware: str, mapping: str, workload: str) -> list[dict]:
    """This model's access rows (the form of :func:`measure`'s) for ZigZag's mappings ``layer_rows``.

    ``elements`` are this model's counts; ``word_accesses`` its bits moved over the access width (each
    transfer rounded up to the level's ``bandwidth_min``, as ZigZag rounds) and ``energy_pJ`` its energy.
    ``energy_zigzag_convention_pJ`` charges the same counts as ZigZag does (see
    ``formats.zigzag.mappings.zigzag_convention_energy``): partial sums read back down (and filled back from above)
    as many times as they are written (drained), and each total of word accesses truncated to an integer.
    Raises ``MappingError`` for a ZigZag mapping this model cannot express (the message says why)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hw = read_hardware(inputs / hardware)
        maps = read_mapping(inputs / mapping)
        wl = read_onnx(inputs / workload)
    by_name = {ly.name: ly for ly in wl.layers}
    out = []
    for row in layer_rows:
        layer = by_name[row["layer"]]
        entry = maps.entry_for(layer.name, wl.operator_type(layer))
        za = hw.architecture(entry.links)
        arch, m = za.mapping(parse_temporal(row["temporal_mapping"]), parse_spatial(row["spatial_mapping"]),
                             where=f"{row['experiment']} {layer.name}")
        m.validate(layer, arch)  # refuses what this model cannot express (e.g. ZigZag's fractional unrolling)
        aa, la, ma = arch.arrays(), layer.arrays(), m.arrays()
        L = arch.n_levels
        counts, amounts, info = np.zeros((L, 3, 5)), np.zeros((L, 3, 5)), np.zeros(3 + 2 * L)
        analyse(la.dims, la.stride, la.dilation, la.input_real, aa.keeps, aa.latch, aa.chain, ma.t_dim, ma.t_size,
                ma.t_level, ma.spatial, counts, amounts, info)
        for t, op in enumerate("WIO"):
            for name in za.memories[op]:
                lv = arch.level_index(name)
                o_rw, o_df, _ = level_bits(counts, info, la.bits, lv, L)
                for direction, kind in DIRECTIONS.items():
                    elems = float(counts[lv, t, kind])
                    bits = la.bits[t] if t < 2 else (o_rw if kind in (READS, UPDATES) else o_df)
                    amount_kind = UPDATES if (t == 2 and kind == READS) else kind
                    moved = moved_bits(elems, amounts[lv, t, amount_kind], bits, aa.granule_bits[lv])
                    e = moved / aa.width_bits[lv] * (aa.read_energy[lv] if kind in (READS, DRAINS)
                                                      else aa.write_energy[lv])
                    charged = elems
                    if t == 2 and kind in (READS, FILLS) and elems > 0:
                        charged = float(counts[lv, t, UPDATES if kind == READS else DRAINS])
                    zz_moved = moved_bits(charged, amounts[lv, t, amount_kind], bits, aa.granule_bits[lv])
                    zz_words = np.floor(zz_moved / aa.width_bits[lv] + 1e-9)
                    per_access = aa.read_energy[lv] if kind in (READS, DRAINS) else aa.write_energy[lv]
                    out.append({"experiment": row["experiment"], "layer": layer.name, "operand": op, "memory": name,
                                "direction": direction, "elements": elems,
                                "word_accesses": moved / aa.width_bits[lv], "energy_pJ": e,
                                "energy_zigzag_convention_pJ": float(zz_words * per_access)})
    return out


def _write(path: Path, fields, rows) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)


def main(argv=None) -> int:
    """``zigzag_examples OUT_DIR [INPUTS_DIR]``: measure every example with ZigZag and write the three CSVs."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print(main.__doc__)
        return 2
    out = Path(argv[0])
    if len(argv) > 1:
        inputs = Path(argv[1])
    else:
        import zigzag

        inputs = Path(zigzag.__file__).parent / "inputs"
    layers, accesses = [], []
    for experiment, hw, mp, wl in EXAMPLES:
        t0 = time.perf_counter()
        a, b = measure(inputs, experiment, hw, mp, wl)
        print(f"{experiment}: {len(a)} layers in {time.perf_counter() - t0:.1f} s", flush=True)
        layers += a
        accesses += b
    _write(out / "zigzag_example_layers.csv", LAYER_FIELDS, layers)
    _write(out / "zigzag_example_accesses.csv", ACCESS_FIELDS, accesses)
    _write(out / "zigzag_ordering_example.csv", ORDERING_FIELDS, [measure_ordering(inputs, *ORDERING_EXAMPLE)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
