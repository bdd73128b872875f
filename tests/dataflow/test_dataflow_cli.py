"""``archgym simulate dataflow``: networks, Timeloop files, mappings in and out, clean errors."""

import json

from typer.testing import CliRunner

from archgym import datasets
from archgym.cli import build_app

TL = datasets.path("dataflow", "timeloop")
runner = CliRunner()


def _run(*args):
    return runner.invoke(build_app(), ["simulate", "dataflow", *args])


def test_network_json():
    r = _run("--workload", "alexnet", "--budget", "200", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["architecture"] == "eyeriss_like" and len(out["layers"]) == 5
    assert set(out["metrics"]) == {"energy_uj", "area_mm2", "cycles", "edp", "utilization"}
    assert out["metrics"]["cycles"] == sum(ly["cycles"] * ly["repeat"] for ly in out["layers"])


def test_timeloop_files_and_mapping_round_trip(tmp_path):
    spec = ["--arch", str(TL / "eyeriss_like_arch.yaml"), "--bypass", str(TL / "eyeriss_like_bypass.yaml"),
            "--problem", str(TL / "alexnet_conv1_problem.yaml")]
    out_map = tmp_path / "map.yaml"
    r = _run(*spec, "--write-mapping", str(out_map), "--json")
    assert r.exit_code == 0, r.output
    first = json.loads(r.output)["metrics"]
    r = _run(*spec, "--mapping", str(out_map), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["metrics"] == first
    r = _run(*spec, "--show-mapping")
    assert r.exit_code == 0 and "(Spatial-" in r.output and "DRAM [W I O]" in r.output


def test_errors_exit_2_with_a_message(tmp_path):
    r = _run("--workload", "nope")
    assert r.exit_code == 2 and "neither a shipped network" in r.output
    r = _run("--mapping", str(tmp_path / "m.yaml"))
    assert r.exit_code == 2 and "--mapping needs --problem" in r.output
    bad = tmp_path / "arch.yaml"
    bad.write_text("architecture:\n  subtree:\n  - name: s\n    local:\n    - {name: D, class: DRAM, attributes: {x: 1}}\n")
    r = _run("--arch", str(bad))
    assert r.exit_code == 2 and "unknown key(s) ['x']" in r.output
    assert "Traceback" not in r.output
