"""ZigZag's answers on its own examples: shipped hardware + mapping + ONNX workload, ZigZag's chosen mapping.

The figures are ZigZag 3.9.1's, measured live and committed (tests/reference/zigzag_inputs/README.md):
per layer the mapping its search chose and its energy; per layer, operand, memory and direction its element
counts, word accesses and energy. This model reads the same files (formats/zigzag/hardware.py,
zigzag/workload.py), takes ZigZag's mapping and gives, measured on the 90 layers of the four examples
(tpu_like with ResNet-18 and with MobileNet-V2, generic_array_cacti and tesla_npu_like with AlexNet):

* 79 layers expressed (all 21 of ResNet-18, 49 of 53 of MobileNet-V2 with its depthwise layers); 11 refused
  by name: tesla_npu_like's 5 AlexNet convolutions (ZigZag keeps outputs over loops in the per-MAC register
  that the shared weight register above it does not cover), on generic_array one layer whose shared SRAM
  holds W and I/O cut at different loops, and 5 layers whose fractional unrolling (48 or 144 channels on 32
  lanes) pads a whole outer iteration;
* element counts equal to ZigZag's for every operand, memory and direction on all 79, except one row pair:
  generic_array's last FC (1000 outputs on 32 lanes, padded to 1024): its per-MAC input registers are
  filled 1024/1000 times as often here (the padded lanes still fetch inputs);
* energy with ZigZag's charging conventions (``zigzag_convention_energy``): per operand and memory equal to
  ZigZag's (1e-9) on every layer without fractional unrolling; on the four FC layers with 1000 outputs
  on 32 lanes within 0.21 % per layer, and per memory within 14 % (tpu_like's FC, O at sram_2MB: a small
  total, 3.9 words per transfer here for ZigZag's 4; ZigZag rounds the scaled-down padded transfers to
  words, this model rounds the padded tile and then scales it);
* this model's own energy: lower where partial sums are read back (one read fewer per output than
  ZigZag charges: O at tpu_like's rf_2B up to -12 %, sram_2MB -16 % per layer) and above ZigZag's by less
  than one word access per direction elsewhere (ZigZag truncates each total of word accesses); per layer
  within -4 %..+0.01 % of ZigZag's total.
"""

import csv
import warnings
from collections import defaultdict
from pathlib import Path

import pytest

from archgym.simulators.dataflow.mapping import MappingError
from archgym.simulators.dataflow.validation import zigzag_examples as ze

pytest.importorskip("onnx")

INPUTS = Path(__file__).resolve().parents[2] / "tests" / "reference" / "zigzag_inputs"
REFUSED = {
    ("tesla_npu_like_alexnet", layer): "memory 'rf_1B' covers 0 loops, fewer than ['rf_4B']"
    for layer in ("Op0", "Op4", "Op8", "Op10", "Op12")
}
REFUSED[("generic_array_alexnet", "Op16")] = "memory 'sram_32MB' holds operands cut at different loops"
REFUSED[("generic_array_alexnet", "Op4")] = "dimension C: the mapping's factors multiply to 64"
for _layer, _dim in (("features.3/conv/conv.0/conv.0.0", "K"), ("features.3/conv/conv.2", "C"),
                     ("features.4/conv/conv.0/conv.0.0", "K"), ("features.4/conv/conv.2", "C")):
    REFUSED[("tpu_like_mobilenetv2", f"/features/{_layer}/Conv")] = \
        f"dimension {_dim}: the mapping's factors multiply to 160, padding the layer's 144"
#: layers with ZigZag's fractional unrolling of 1000 outputs on 32 lanes
FRACTIONAL = {("tpu_like_resnet18", "/fc/Gemm"), ("generic_array_alexnet", "Op22"), ("tesla_npu_like_alexnet", "Op22"),
              ("tpu_like_mobilenetv2", "/classifier/classifier.1/Gemm")}
#: (experiment, layer, operand, memory): this model / ZigZag element count, where they differ
COUNT_DEVIATIONS = {("generic_array_alexnet", "Op22", "I", "rf_I"): 1024 / 1000}


def _read(name):
    with (INPUTS / name).open() as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def compared():
    """{(experiment, layer): [(model row, ZigZag row)]} for every expressed layer; {key: message} for refused."""
    layers, accesses = _read("zigzag_example_layers.csv"), _read("zigzag_example_accesses.csv")
    ref = {(r["experiment"], r["layer"], r["operand"], r["memory"], r["direction"]): r for r in accesses}
    files = {e[0]: e[1:] for e in ze.EXAMPLES}
    pairs, refused = {}, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for row in layers:
            key = (row["experiment"], row["layer"])
            try:
                mine = ze.model_rows(INPUTS, [row], *files[row["experiment"]])
            except MappingError as e:
                refused[key] = str(e)
                continue
            pairs[key] = [(m, ref[(*key, m["operand"], m["memory"], m["direction"])]) for m in mine]
    return pairs, refused, {(r["experiment"], r["layer"]): r for r in layers}


def test_the_committed_figures_cover_four_examples():
    layers = _read("zigzag_example_layers.csv")
    assert {r["experiment"] for r in layers} == {e[0] for e in ze.EXAMPLES}
    assert len(layers) == 90 and len(_read("zigzag_example_accesses.csv")) == 2680
    assert {r["zigzag_version"] for r in layers} == {"3.9.1"}


def test_what_is_refused_is_refused_by_name(compared):
    pairs, refused, _ = compared
    assert set(refused) == set(REFUSED)
    for key, words in REFUSED.items():
        assert words in refused[key], f"{key}: {refused[key]}"
    assert len(pairs) == 79


def test_element_counts_equal_zigzags(compared):
    pairs, _, _ = compared
    for key, rows in pairs.items():
        for m, z in rows:
            ratio = COUNT_DEVIATIONS.get((*key, m["operand"], m["memory"]), 1.0)
            want = float(z["elements"]) * ratio
            assert m["elements"] == pytest.approx(want, rel=1e-9, abs=1e-9), \
                f"{key} {m['operand']} {m['memory']} {m['direction']}: {m['elements']} vs ZigZag {z['elements']} " \
                f"(x {ratio:g}, rel 1e-9)"


def test_energy_per_memory_and_operand_with_zigzags_conventions(compared):
    pairs, _, layers = compared
    for key, rows in pairs.items():
        per = defaultdict(lambda: [0.0, 0.0])
        for m, z in rows:
            per[(m["operand"], m["memory"])][0] += m["energy_zigzag_convention_pJ"]
            per[(m["operand"], m["memory"])][1] += float(z["energy_pJ"])
        tol = 0.14 if key in FRACTIONAL else 1e-9
        for (op, mem), (mine, theirs) in per.items():
            assert mine == pytest.approx(theirs, rel=tol, abs=1e-6), f"{key} {op} {mem}: {mine} vs {theirs} (rel {tol})"
        total = sum(a for a, _ in per.values()) + float(layers[key]["mac_energy_pJ"])
        ref = float(layers[key]["energy_total_pJ"])
        tol = 2.1e-3 if key in FRACTIONAL else 1e-9
        assert total == pytest.approx(ref, rel=tol), f"{key}: {total} vs ZigZag {ref} (rel {tol})"


def test_own_energy_differs_only_by_partial_sums_and_whole_words(compared):
    """Per row, this model's own energy minus its energy with ZigZag's conventions: for W and I between 0 and one
    word access (ZigZag truncates each total of word accesses); for O at most one word access above (ZigZag also
    charges one extra partial-sum read per output). Per layer, the own total within -4 %..+1e-4 of ZigZag's."""
    pairs, _, layers = compared
    for key, rows in pairs.items():
        total = float(layers[key]["mac_energy_pJ"])
        for m, _ in rows:
            total += m["energy_pJ"]
            word = m["energy_pJ"] / m["word_accesses"] if m["word_accesses"] else 0.0
            gap = m["energy_pJ"] - m["energy_zigzag_convention_pJ"]
            where = f"{key} {m['operand']} {m['memory']} {m['direction']}: own {m['energy_pJ']}, " \
                    f"ZigZag's conventions {m['energy_zigzag_convention_pJ']}, one word {word}"
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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mine = ze.model_rows(INPUTS, layers, hw, mp, wl)
    theirs = {(a["layer"], a["operand"], a["memory"], a["direction"]): a["elements"] for a in accesses}
    for m in mine:
        assert m["elements"] == theirs[(m["layer"], m["operand"], m["memory"], m["direction"])], m
