"""``formats.zigzag.simulate_files``: ZigZag's three input files to ZigZag's figures per layer.

Against ZigZag 3.9.1's figures committed in tests/reference/zigzag_inputs/ (measured live, see its README):

* tpu_like + its mapping file + ResNet-18 (ONNX), with the mappings ZigZag's search chose: per layer ZigZag's
  energy_total (rel 1e-9), its element counts per operand, memory and direction (rel 1e-9) and its ideal
  temporal cycles (exact);
* tpu_like's mapping entry ``example_name_of_layer0`` (a complete temporal_ordering) on a workload YAML with
  that layer: ZigZag's MemoryAllocator and energy (589.25 uJ, rel 1e-9);
* what ZigZag would search (no temporal_ordering, a partial spatial mapping) is refused naming file and line.
"""

import csv
import warnings
from dataclasses import replace
from pathlib import Path

import pytest

from archgym.simulators.dataflow.formats.zigzag import ZigzagInputError, read_onnx, simulate_files

pytest.importorskip("onnx")

INPUTS = Path(__file__).resolve().parents[2] / "tests" / "reference" / "zigzag_inputs"


def _read(name):
    with (INPUTS / name).open() as f:
        return list(csv.DictReader(f))


def _simulate(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return simulate_files(*args, **kwargs)


def test_resnet18_on_tpu_like_with_zigzags_mappings_gives_its_figures():
    rows = [r for r in _read("zigzag_example_layers.csv") if r["experiment"] == "tpu_like_resnet18"]
    accesses = {(r["layer"], r["operand"], r["memory"], r["direction"]): float(r["elements"])
                for r in _read("zigzag_example_accesses.csv") if r["experiment"] == "tpu_like_resnet18"}
    given = {r["layer"]: {"spatial": r["spatial_mapping"], "temporal": r["temporal_mapping"]} for r in rows}
    results = _simulate(INPUTS / "hardware/tpu_like.yaml", INPUTS / "mapping/tpu_like.yaml",
                        INPUTS / "workload/resnet18.onnx", mappings=given)
    assert sorted(r.layer.name for r in results) == sorted(given)
    by_name = {r["layer"]: r for r in rows}
    for res in results:
        row = by_name[res.layer.name]
        assert res.energy_zigzag_convention_pj == pytest.approx(float(row["energy_total_pJ"]), rel=1e-9), \
            f"{row['layer']}: {res.energy_zigzag_convention_pj} vs ZigZag {row['energy_total_pJ']} (rel 1e-9)"
        assert res.temporal_cycles == float(row["ideal_temporal_cycle"])
        for m in res.rows:
            want = accesses[(row["layer"], m["operand"], m["memory"], m["direction"])]
            assert m["elements"] == pytest.approx(want, rel=1e-9), (row["layer"], m)
        d = res.to_dict()
        assert d["layer"] == row["layer"] and len(d["accesses"]) == len(res.rows)


def _layer_yaml(path, name, sizes):
    path.write_text(
        f"- id: 0\n  name: {name}\n  operator_type: Conv\n"
        "  equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]\n"
        "  dimension_relations: [ix=1*ox+1*fx, iy=1*oy+1*fy]\n"
        f"  loop_dims: [{', '.join(sizes)}]\n  loop_sizes: [{', '.join(map(str, sizes.values()))}]\n"
        "  operand_precision: {W: 8, I: 8, O: 16, O_final: 8}\n"
        "  operand_source: {I: 0}\n")
    return path


def test_a_complete_temporal_ordering_gives_zigzags_allocation_and_energy(tmp_path):
    ref = _read("zigzag_ordering_example.csv")[0]
    sizes = dict(tok.split("=") for tok in ref["loop_sizes"].split())
    workload = _layer_yaml(tmp_path / "layer0.yaml", "example_name_of_layer0", sizes)
    (res,) = _simulate(INPUTS / "hardware/tpu_like.yaml", INPUTS / "mapping/tpu_like.yaml", workload)
    assert res.energy_zigzag_convention_pj == pytest.approx(float(ref["energy_total_pJ"]), rel=1e-9), \
        f"{res.energy_zigzag_convention_pj} vs ZigZag {ref['energy_total_pJ']} (rel 1e-9)"
    assert res.mac_energy_pj == pytest.approx(float(ref["mac_energy_pJ"]), rel=1e-12)


def test_what_zigzag_would_search_is_refused_naming_file_and_line(tmp_path):
    with pytest.raises(ZigzagInputError, match=r"mapping/tpu_like.yaml:1: entry 'default' for layer '/conv1/Conv': "
                                               r"spatial_mapping D2 C: 32 exceeds the layer's 3 .*ZigZag would reduce"):
        _simulate(INPUTS / "hardware/tpu_like.yaml", INPUTS / "mapping/tpu_like.yaml",
                  INPUTS / "workload/resnet18.onnx")
    workload = _layer_yaml(tmp_path / "other.yaml", "other", {"B": 1, "K": 64, "C": 32, "OY": 8, "OX": 8})
    with pytest.raises(ZigzagInputError, match=r"mapping/tpu_like.yaml:1: entry 'default' for layer 'other': "
                                               r"no temporal_ordering; ZigZag's temporal mapping search \(LOMA\)"):
        _simulate(INPUTS / "hardware/tpu_like.yaml", INPUTS / "mapping/tpu_like.yaml", workload)


def test_a_workload_of_another_kind_is_refused_by_suffix(tmp_path):
    bad = tmp_path / "net.pb"
    bad.write_text("")
    with pytest.raises(ZigzagInputError, match=r"net.pb: workload suffix '.pb'; allowed: \['.onnx', '.yaml', '.yml'\]"):
        _simulate(INPUTS / "hardware/tpu_like.yaml", INPUTS / "mapping/tpu_like.yaml", bad)


def test_memories_shared_along_crossing_dimensions_through_the_files():
    """edge_tpu_like + AlexNet with ZigZag's chosen mappings (zigzag_crossing_layers.csv) for the 6 layers it
    expresses: ZigZag's energy_total per layer (rel 1e-9)."""
    rows = [r for r in _read("zigzag_crossing_layers.csv") if r["experiment"] == "edge_tpu_like_alexnet"
            and r["layer"] not in ("Op0", "Op4")]
    given = {r["layer"]: {"spatial": r["spatial_mapping"], "temporal": r["temporal_mapping"]} for r in rows}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        workload = read_onnx(INPUTS / "workload/alexnet.onnx")
    workload = replace(workload, layers=tuple(ly for ly in workload.layers if ly.name in given))
    results = _simulate(INPUTS / "hardware/edge_tpu_like.yaml", INPUTS / "mapping/edge_tpu_like.yaml", workload,
                        mappings=given)
    assert [r.layer.name for r in results] == [r["layer"] for r in rows]
    for res, row in zip(results, rows):
        assert res.energy_zigzag_convention_pj == pytest.approx(float(row["energy_total_pJ"]), rel=1e-9), \
            f"{row['layer']}: {res.energy_zigzag_convention_pj} vs ZigZag {row['energy_total_pJ']} (rel 1e-9)"
