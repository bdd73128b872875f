"""ZigZag's answers on its own examples: shipped hardware + mapping + ONNX workload, ZigZag's chosen mapping.

The figures are ZigZag 3.9.1's, measured live and committed (tests/reference/zigzag_inputs/README.md):
per layer the mapping its search chose and its energy; per layer, operand, memory and direction its element
counts, word accesses and energy. This model reads the same files (formats/zigzag/hardware.py,
zigzag/workload.py), takes ZigZag's mapping through ``formats.zigzag.evaluation.evaluate_layer`` and gives,
measured on the 90 layers of the four examples (tpu_like with ResNet-18 and with MobileNet-V2,
generic_array_cacti and tesla_npu_like with AlexNet):

* 88 layers expressed (all 21 of ResNet-18, all 53 of MobileNet-V2 with its depthwise layers, 14 of 16 of
  AlexNet's); 2 refused by name: tesla_npu_like's AlexNet Op0 and Op4, whose output columns ZigZag unrolls
  fractionally (54 and 26 on 8 lanes: an input window's extent is not linear in that factor);
* 4 of the 88 need each operand's own view of the mapping (no single mapping of this model's chain expresses
  them): generic_array's Op16 (its shared SRAM cut at different loops for W and for I/O) and tesla_npu_like's
  Op8, Op10, Op12 (the per-MAC output register covering loops the shared weight register above it does not);
* ZigZag's fractional spatial unrolling (1000 outputs on 32 lanes as 31.25 x 32, 144 channels as 28.8 x 5,
  48 as 24 x 2, 12 as 6 x 2) on 12 of the 88 layers;
* element counts equal to ZigZag's (rel 1e-9) for every operand, memory and direction on all 88;
* energy with ZigZag's charging conventions equal to ZigZag's (rel 1e-9) per operand and memory and per
  layer on all 88, and ZigZag's ideal temporal cycles exactly;
* on hardware whose memories are shared along crossing array dimensions (edge_tpu_like and meta_prototype
  with AlexNet, zigzag_crossing_*.csv), each operand on the chain of its own memories: 12 of 16 layers with
  ZigZag's counts and energy (rel 1e-9), 4 refused by name (fractional output-column unrolling);
* this model's own energy: lower where partial sums are read back (one read fewer per output than
  ZigZag charges: O at tpu_like's rf_2B up to -12 %, sram_2MB -16 % per layer) and above ZigZag's by less
  than one word access per direction elsewhere (ZigZag truncates each total of word accesses, and rounds
  the per-transfer amounts of a fractional unrolling); per layer within -4 %..+0.01 % of ZigZag's total.
"""

import csv
import warnings
from collections import defaultdict
from pathlib import Path

import pytest

from archgym.simulators.dataflow.formats.zigzag import layer_from_loop_sizes, parse_spatial, parse_temporal
from archgym.simulators.dataflow.formats.zigzag.evaluation import evaluate_layer
from archgym.simulators.dataflow.formats.zigzag.hardware import read_hardware, read_mapping
from archgym.simulators.dataflow.formats.zigzag.workload import read_onnx
from archgym.simulators.dataflow.mapping import MappingError
from archgym.simulators.dataflow.validation import zigzag_examples as ze

pytest.importorskip("onnx")

INPUTS = Path(__file__).resolve().parents[2] / "tests" / "reference" / "zigzag_inputs"
REFUSED = {
    ("tesla_npu_like_alexnet", "Op0"): "fractional unrolling D2 Q: 7.71429 (54 on 8 lanes) is not modelled for Q",
    ("tesla_npu_like_alexnet", "Op4"): "fractional unrolling D2 Q: 6.5 (26 on 8 lanes) is not modelled for Q",
}
#: layers no single mapping of this model's chain expresses; each operand's own view of ZigZag's mapping does
PER_OPERAND = {("tesla_npu_like_alexnet", layer) for layer in ("Op8", "Op10", "Op12")} | \
    {("generic_array_alexnet", "Op16")}
#: layers with ZigZag's fractional unrolling (it divides the layer: 1000 on 32 lanes as 31.25, 144 as 28.8, 48 as 24)
FRACTIONAL = {("tpu_like_resnet18", "/fc/Gemm"), ("generic_array_alexnet", "Op22"), ("tesla_npu_like_alexnet", "Op22"),
              ("tpu_like_mobilenetv2", "/classifier/classifier.1/Gemm"), ("generic_array_alexnet", "Op4")}
for _layer in ("features.3/conv/conv.0/conv.0.0", "features.3/conv/conv.2", "features.4/conv/conv.0/conv.0.0",
               "features.4/conv/conv.2"):
    FRACTIONAL.add(("tpu_like_mobilenetv2", f"/features/{_layer}/Conv"))
FRACTIONAL |= {("tesla_npu_like_alexnet", layer) for layer in ("Op8", "Op10", "Op12")}  # 12 columns on 8 lanes: 6 x 2


#: ZigZag's crossing examples: layers refused ({experiment: {layer: words}}) and how many are expressed
CROSSING_REFUSED = {experiment: {
    "Op0": "fractional unrolling D3 Q: 3.85714 (54 on 4 lanes) is not modelled for Q",
    "Op4": "fractional unrolling D3 Q: 3.71429 (26 on 4 lanes) is not modelled for Q"}
    for experiment in ("edge_tpu_like_alexnet", "meta_prototype_alexnet")}
CROSSING_EXPRESSED = {"edge_tpu_like_alexnet": 6, "meta_prototype_alexnet": 6}
#: hardware whose memories are shared along crossing array dimensions (no single chain of levels), measured on
#: live ZigZag 3.9.1 like the examples above (zigzag_crossing_layers.csv, zigzag_crossing_accesses.csv)
CROSSING_EXAMPLES = (
    ("edge_tpu_like_alexnet", "hardware/edge_tpu_like.yaml", "mapping/edge_tpu_like.yaml", "workload/alexnet.onnx"),
    ("meta_prototype_alexnet", "hardware/meta_prototype.yaml", "mapping/meta_prototype_like.yaml",
     "workload/alexnet.onnx"),
)


def _read(name):
    with (INPUTS / name).open() as f:
        return list(csv.DictReader(f))


def _evaluate(experiment, rows):
    """{layer: evaluation or MappingError} of this model on ZigZag's mappings ``rows`` of one example."""
    hw, mp, wl = {e[0]: e[1:] for e in ze.EXAMPLES + CROSSING_EXAMPLES}[experiment]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hardware, mapping, workload = read_hardware(INPUTS / hw), read_mapping(INPUTS / mp), read_onnx(INPUTS / wl)
    layers = {ly.name: ly for ly in workload.layers}
    out = {}
    for row in rows:
        layer = layers[row["layer"]]
        za = hardware.architecture(mapping.entry_for(layer.name, workload.operator_type(layer)).links)
        try:
            out[row["layer"]] = evaluate_layer(za, layer, parse_temporal(row["temporal_mapping"]),
                                               parse_spatial(row["spatial_mapping"]), where=f"{experiment} {layer.name}")
        except MappingError as e:
            out[row["layer"]] = e
    return out


@pytest.fixture(scope="module")
def compared():
    """{(experiment, layer): [(model row, ZigZag row)]} for every expressed layer; {key: message} for refused;
    {key: layer row}; {key: evaluation}."""
    layers, accesses = _read("zigzag_example_layers.csv"), _read("zigzag_example_accesses.csv")
    ref = {(r["experiment"], r["layer"], r["operand"], r["memory"], r["direction"]): r for r in accesses}
    pairs, refused, evaluations = {}, {}, {}
    for experiment in dict.fromkeys(r["experiment"] for r in layers):
        rows = [r for r in layers if r["experiment"] == experiment]
        for name, ev in _evaluate(experiment, rows).items():
            key = (experiment, name)
            if isinstance(ev, MappingError):
                refused[key] = str(ev)
                continue
            evaluations[key] = ev
            pairs[key] = [(m, ref[(*key, m["operand"], m["memory"], m["direction"])]) for m in ev.rows]
    return pairs, refused, {(r["experiment"], r["layer"]): r for r in layers}, evaluations


def test_the_committed_figures_cover_four_examples():
    layers = _read("zigzag_example_layers.csv")
    assert {r["experiment"] for r in layers} == {e[0] for e in ze.EXAMPLES}
    assert len(layers) == 90 and len(_read("zigzag_example_accesses.csv")) == 2680
    assert {r["zigzag_version"] for r in layers} == {"3.9.1"}


def test_what_is_refused_is_refused_by_name(compared):
    pairs, refused, _, evaluations = compared
    assert set(refused) == set(REFUSED)
    for key, words in REFUSED.items():
        assert words in refused[key], f"{key}: {refused[key]}"
    assert len(pairs) == 88
    fractional = {k for k, ev in evaluations.items()
                  if any(isinstance(f, float) for loops in ev.unrolling.values() for _, f in loops)
                  or ev.unrolling != {oa: [(d, f) for d, f in loops] for oa, loops in
                                      parse_spatial(compared[2][k]["spatial_mapping"]).items()}}
    assert fractional == FRACTIONAL


def test_layers_one_mapping_cannot_express_are_evaluated_per_operand(compared):
    """generic_array's Op16 (its SRAM cut at different loops for W and for I/O) and tesla_npu_like's Op8, Op10,
    Op12 (the per-MAC output register covering loops the shared weight register above it does not) are refused
    by ZigzagArchitecture.mapping (one cut per level) and expressed by evaluate_layer's per-operand views."""
    pairs, _, layers, _ = compared
    assert PER_OPERAND <= set(pairs)
    for key in PER_OPERAND:
        hw, mp, wl = {e[0]: e[1:] for e in ze.EXAMPLES}[key[0]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hardware, workload = read_hardware(INPUTS / hw), read_onnx(INPUTS / wl)
            entry = read_mapping(INPUTS / mp).entry_for(key[1], workload.operator_type(
                next(ly for ly in workload.layers if ly.name == key[1])))
        with pytest.raises(MappingError, match="holds operands cut at different loops|fewer than"):
            hardware.architecture(entry.links).mapping(parse_temporal(layers[key]["temporal_mapping"]),
                                                       parse_spatial(layers[key]["spatial_mapping"]))


def test_element_counts_equal_zigzags(compared):
    pairs = compared[0]
    for key, rows in pairs.items():
        for m, z in rows:
            assert m["elements"] == pytest.approx(float(z["elements"]), rel=1e-9, abs=1e-9), \
                f"{key} {m['operand']} {m['memory']} {m['direction']}: {m['elements']} vs ZigZag {z['elements']} " \
                f"(rel 1e-9)"


def test_energy_per_memory_and_operand_with_zigzags_conventions(compared):
    pairs, _, layers, evaluations = compared
    for key, rows in pairs.items():
        per = defaultdict(lambda: [0.0, 0.0])
        for m, z in rows:
            per[(m["operand"], m["memory"])][0] += m["energy_zigzag_convention_pJ"]
            per[(m["operand"], m["memory"])][1] += float(z["energy_pJ"])
        for (op, mem), (mine, theirs) in per.items():
            assert mine == pytest.approx(theirs, rel=1e-9, abs=1e-6), f"{key} {op} {mem}: {mine} vs {theirs} (rel 1e-9)"
        ev, ref = evaluations[key], float(layers[key]["energy_total_pJ"])
        assert ev.mac_energy_pj == pytest.approx(float(layers[key]["mac_energy_pJ"]), rel=1e-12)
        assert ev.energy_zigzag_convention_pj == pytest.approx(ref, rel=1e-9), \
            f"{key}: {ev.energy_zigzag_convention_pj} vs ZigZag {ref} (rel 1e-9)"


def test_ideal_temporal_cycles_equal_zigzags(compared):
    _, _, layers, evaluations = compared
    for key, ev in evaluations.items():
        assert ev.temporal_cycles == float(layers[key]["ideal_temporal_cycle"]), key
        assert 0 < ev.utilization <= 1, key


def test_own_energy_differs_only_by_partial_sums_and_whole_words(compared):
    """Per row, this model's own energy minus its energy with ZigZag's conventions: for W and I between 0 and one
    word access (ZigZag truncates each total of word accesses); for O at most one word access above (ZigZag also
    charges one extra partial-sum read per output). Per layer, the own total within -4 %..+1e-4 of ZigZag's."""
    pairs, _, layers, _ = compared
    for key, rows in pairs.items():
        total = float(layers[key]["mac_energy_pJ"])
        for m, _ in rows:
            total += m["energy_pJ"]
            word = m["energy_pJ"] / m["word_accesses"] if m["word_accesses"] else 0.0
            gap = m["energy_pJ"] - m["energy_zigzag_convention_pJ"]
            where = f"{key} {m['operand']} {m['memory']} {m['direction']}: own {m['energy_pJ']}, " \
                    f"ZigZag's conventions {m['energy_zigzag_convention_pJ']}, one word {word}"
            if key in FRACTIONAL:  # ZigZag charges round(instances) of a fractional unrolling: see the total
                continue
            assert gap <= word * (1 + 1e-9) + 1e-9, where
            if m["operand"] != "O":
                assert gap >= -1e-9, where
        ref = float(layers[key]["energy_total_pJ"])
        assert -0.04 <= total / ref - 1 <= 1e-4, f"{key}: own energy {total} vs ZigZag {ref} (-4 %..+1e-4)"


@pytest.mark.slow
def test_live_zigzag_on_tpu_like_resnet18():
    """ZigZag's search live (about a minute): it picks the committed mappings again, and this model gives its
    element counts on every layer."""
    pytest.importorskip("zigzag")
    pytest.importorskip("six")
    exp, hw, mp, wl = ze.EXAMPLES[0]
    layers, accesses = ze.measure(INPUTS, exp, hw, mp, wl)
    committed = {r["layer"]: r for r in _read("zigzag_example_layers.csv") if r["experiment"] == exp}
    assert [r["layer"] for r in layers] == list(committed)
    for r in layers:
        assert r["temporal_mapping"] == committed[r["layer"]]["temporal_mapping"]
        assert r["energy_total_pJ"] == pytest.approx(float(committed[r["layer"]]["energy_total_pJ"]), rel=1e-12)
    theirs = {(a["layer"], a["operand"], a["memory"], a["direction"]): a["elements"] for a in accesses}
    for name, ev in _evaluate(exp, layers).items():
        for m in ev.rows:
            assert m["elements"] == pytest.approx(theirs[(name, m["operand"], m["memory"], m["direction"])],
                                                  rel=1e-9), (name, m)


def test_fractional_unrolling_of_an_input_window_dimension_is_refused_by_name():
    """45 output columns on tpu_like's 32 lanes: ZigZag unrolls 22.5 x 2; the input window is not linear in it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        za = read_hardware(INPUTS / "hardware/tpu_like.yaml").architecture()
    layer = layer_from_loop_sizes("cols45", "B=1 K=8 C=8 OY=4 OX=45 FY=3 FX=3")
    temporal = {op: [[("FX", 3), ("FY", 3), ("C", 8), ("K", 8), ("OY", 4), ("OX", 2)]] + [[]] * (n - 1)
                for op, n in (("O", 3), ("W", 2), ("I", 2))}
    with pytest.raises(MappingError, match=r"fractional unrolling D1 Q: 22.5 \(45 on 32 lanes\) is not modelled"):
        evaluate_layer(za, layer, temporal, {"D1": [("OX", 32)]})


def test_memories_shared_along_crossing_array_dimensions_give_zigzags_figures():
    """edge_tpu_like and meta_prototype (a weight register shared along D3, D4 beside an output register shared
    along D2) on AlexNet with ZigZag's chosen mappings: each operand on the chain of its own memories gives
    ZigZag's element counts (rel 1e-9) and energy with ZigZag's conventions (rel 1e-9), per layer."""
    layers, accesses = _read("zigzag_crossing_layers.csv"), _read("zigzag_crossing_accesses.csv")
    ref = {(r["experiment"], r["layer"], r["operand"], r["memory"], r["direction"]): r for r in accesses}
    assert {r["experiment"] for r in layers} == set(CROSSING_EXPRESSED)
    for experiment in CROSSING_EXPRESSED:
        expressed = 0
        rows = [r for r in layers if r["experiment"] == experiment]
        by_name = {r["layer"]: r for r in rows}
        for name, ev in _evaluate(experiment, rows).items():
            if isinstance(ev, MappingError):
                assert name in CROSSING_REFUSED.get(experiment, {}), f"{experiment} {name}: {ev}"
                assert CROSSING_REFUSED[experiment][name] in str(ev)
                continue
            expressed += 1
            for m in ev.rows:
                z = ref[(experiment, name, m["operand"], m["memory"], m["direction"])]
                assert m["elements"] == pytest.approx(float(z["elements"]), rel=1e-9, abs=1e-9), \
                    f"{experiment} {name} {m['operand']} {m['memory']} {m['direction']}: {m['elements']} vs " \
                    f"ZigZag {z['elements']} (rel 1e-9)"
            total = float(by_name[name]["energy_total_pJ"])
            assert ev.energy_zigzag_convention_pj == pytest.approx(total, rel=1e-9), \
                f"{experiment} {name}: {ev.energy_zigzag_convention_pj} vs ZigZag {total} (rel 1e-9)"
            assert ev.temporal_cycles == float(by_name[name]["ideal_temporal_cycle"])
        assert expressed == CROSSING_EXPRESSED[experiment]


@pytest.mark.slow
def test_live_zigzag_on_edge_tpu_like_alexnet():
    """ZigZag's search live on edge_tpu_like + AlexNet (about 5 minutes): it picks the committed mappings again,
    and this model gives its element counts on every expressed layer (rel 1e-9)."""
    pytest.importorskip("zigzag")
    pytest.importorskip("six")
    exp, hw, mp, wl = CROSSING_EXAMPLES[0]
    layers, accesses = ze.measure(INPUTS, exp, hw, mp, wl)
    committed = {r["layer"]: r for r in _read("zigzag_crossing_layers.csv") if r["experiment"] == exp}
    assert [r["layer"] for r in layers] == list(committed)
    for r in layers:
        assert r["temporal_mapping"] == committed[r["layer"]]["temporal_mapping"]
        assert r["energy_total_pJ"] == pytest.approx(float(committed[r["layer"]]["energy_total_pJ"]), rel=1e-12)
    theirs = {(a["layer"], a["operand"], a["memory"], a["direction"]): a["elements"] for a in accesses}
    for name, ev in _evaluate(exp, layers).items():
        if isinstance(ev, MappingError):
            continue
        for m in ev.rows:
            assert m["elements"] == pytest.approx(theirs[(name, m["operand"], m["memory"], m["direction"])],
                                                  rel=1e-9), (name, m)
