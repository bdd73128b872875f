"""``archgym simulate dram`` prints DRAMPower's energy by component, as the README promises."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archgym.cli import build_app

FILES = Path(__file__).resolve().parents[2] / "examples" / "files"


def test_energy_by_component_adds_up_to_the_total():
    args = ["simulate", "dram", "--memspec", str(FILES / "ddr4.json"), "--mcconfig", str(FILES / "mc.json"),
            "--trace", str(FILES / "t.stl")]
    r = CliRunner().invoke(build_app(), args + ["--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    parts = out["energy_by_component_pJ"]
    assert {"act", "pre", "rd", "wr", "ref"} <= set(parts)
    assert sum(parts.values()) == pytest.approx(out["energy_pJ"], rel=1e-9)
    table = CliRunner().invoke(build_app(), args, env={"COLUMNS": "160"})
    assert table.exit_code == 0 and "energy by component" in table.output
