"""``archgym simulate dataflow --zigzag-*``: ZigZag's own files through the CLI, against ZigZag 3.9.1's figures
committed in tests/reference/zigzag_inputs/ (measured live; see its README)."""

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archgym.cli import build_app

pytest.importorskip("onnx")

INPUTS = Path(__file__).resolve().parents[2] / "tests" / "reference" / "zigzag_inputs"
runner = CliRunner()


def _run(*args):
    return runner.invoke(build_app(), ["simulate", "dataflow", *args])


def _rows(name):
    with (INPUTS / name).open() as f:
        return list(csv.DictReader(f))


def test_resnet18_on_tpu_like_with_zigzags_mappings_gives_its_energy_per_layer_and_total(tmp_path):
    rows = [r for r in _rows("zigzag_example_layers.csv") if r["experiment"] == "tpu_like_resnet18"]
    given = tmp_path / "chosen.json"
    given.write_text(json.dumps({r["layer"]: {"spatial": r["spatial_mapping"], "temporal": r["temporal_mapping"]}
                                 for r in rows}))
    res = _run("--zigzag-hardware", str(INPUTS / "hardware/tpu_like.yaml"),
               "--zigzag-mapping", str(INPUTS / "mapping/tpu_like.yaml"),
               "--zigzag-workload", str(INPUTS / "workload/resnet18.onnx"), "--zigzag-mappings", str(given), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    want = {r["layer"]: float(r["energy_total_pJ"]) for r in rows}
    got = {ly["layer"]: ly["energy_zigzag_convention_pJ"] for ly in out["layers"]}
    assert sorted(got) == sorted(want)
    for name, e in got.items():
        assert e == pytest.approx(want[name], rel=1e-9), f"{name}: {e} vs ZigZag {want[name]} pJ (rel 1e-9)"
    assert out["energy_zigzag_convention_uj"] == pytest.approx(sum(want.values()) * 1e-6, rel=1e-9)
    assert any("without MACs skipped" in w for w in out["warnings"])
    table = _run("--zigzag-hardware", str(INPUTS / "hardware/tpu_like.yaml"),
                 "--zigzag-mapping", str(INPUTS / "mapping/tpu_like.yaml"),
                 "--zigzag-workload", str(INPUTS / "workload/resnet18.onnx"), "--zigzag-mappings", str(given))
    assert table.exit_code == 0 and "ZigZag's conventions" in table.output and "total" in table.output


def test_what_zigzag_would_search_is_refused_naming_the_file_and_line():
    res = _run("--zigzag-hardware", str(INPUTS / "hardware/tpu_like.yaml"),
               "--zigzag-mapping", str(INPUTS / "mapping/tpu_like.yaml"),
               "--zigzag-workload", str(INPUTS / "workload/resnet18.onnx"))
    assert res.exit_code != 0
    assert "mapping/tpu_like.yaml:1: entry 'default'" in res.output and "ZigZag would reduce" in res.output


def test_all_three_zigzag_files_are_needed_and_not_mixed_with_timeloop_files(tmp_path):
    res = _run("--zigzag-hardware", str(INPUTS / "hardware/tpu_like.yaml"))
    assert res.exit_code != 0 and "missing: --zigzag-mapping, --zigzag-workload" in res.output
    res = _run("--zigzag-hardware", "h.yaml", "--zigzag-mapping", "m.yaml", "--zigzag-workload", "w.onnx",
               "--problem", "p.yaml")
    assert res.exit_code != 0 and "--problem: Timeloop inputs" in res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a\n- b\n")
    res = _run("--zigzag-hardware", str(INPUTS / "hardware/tpu_like.yaml"),
               "--zigzag-mapping", str(INPUTS / "mapping/tpu_like.yaml"),
               "--zigzag-workload", str(INPUTS / "workload/resnet18.onnx"), "--zigzag-mappings", str(bad))
    assert res.exit_code != 0 and "expected a mapping of layer name" in res.output
