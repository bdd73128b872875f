"""``archgym simulate soc``: baseline, design files, limited-encoding files, clean errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from archgym.cli import build_app

from .conftest import REF_DIR, action_vector, reference_designs, spec_from_record

runner = CliRunner()


def run(*args):
    return runner.invoke(build_app(), ["simulate", "soc", *args])


def test_baseline_is_farsis_initial_design():
    r = run("--workload", "edge_detection", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    ref = next(d for d in reference_designs() if (d["workload"], d["design"]) == ("edge_detection", "init"))
    assert out["metrics"]["latency_s"] == pytest.approx(ref["latency_s"], rel=1e-9)
    assert out["metrics"]["area_m2"] == pytest.approx(ref["area_m2"], rel=1e-9)
    table = run("--workload", "edge_detection")
    assert table.exit_code == 0 and "bottleneck pe_0" in table.output and "GMEM_0_1_mem" in table.output


def test_design_file_and_limited_vector(tmp_path):
    rec = next(d for d in reference_designs() if (d["workload"], d["design"]) == ("audio_decoder", "C_all_IPs_fastest"))
    p = tmp_path / "design.json"
    p.write_text(json.dumps(spec_from_record(rec)))
    out = json.loads(run("-w", "audio_decoder", "--design", str(p), "--json").output)
    assert out["metrics"]["latency_s"] == pytest.approx(rec["latency_s"], rel=1e-9)
    rec = next(d for d in reference_designs() if (d["workload"], d["design"]) == ("hpvm_cava", "L_3xA53_star_fast"))
    p = tmp_path / "vec.json"
    p.write_text(json.dumps(action_vector(rec)))
    out = json.loads(run("-w", "hpvm_cava", "--limited", str(p), "--json").output)
    assert out["metrics"]["energy_J"] == pytest.approx(rec["energy_J"], rel=1e-9)
    assert REF_DIR.exists()


@pytest.mark.parametrize("content, message", [
    ('{"bus_1_mem": 0}', "infeasible design: memory 'mem_0' is on 2 buses ['bus_0', 'bus_1']"),
    ('{"nope": 1}', "unknown field(s) ['nope']"),
    ('{"pe_0": "A99"}', "field 'pe_0': value 'A99' is not allowed"),
    ("[1, 2]", "expected 54 values, got 2"),
    ("{oops", "line 1: not valid JSON"),
])
def test_bad_limited_files_exit_2_with_a_message(tmp_path, content, message):
    p = tmp_path / "l.json"
    p.write_text(content)
    r = run("-w", "audio_decoder", "--limited", str(p))
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output


def test_bad_design_file_and_workload(tmp_path):
    p = tmp_path / "d.json"
    p.write_text(json.dumps({"blocks": {"cpu": "A53_pe", "bus": "XYZ"}, "links": [], "task_pe": {}, "task_memory": {}}))
    r = run("-w", "hpvm_cava", "--design", str(p))
    assert r.exit_code == 2 and "blocks.bus" in r.output and "'XYZ' is not in the library" in r.output
    r = run("-w", "nothing_here")
    assert r.exit_code == 2 and "neither a shipped workload" in r.output
