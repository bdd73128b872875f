"""Inputs of the DRAM simulator: memspecs, mcconfigs, address mappings, traces, generators, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from archgym import datasets
from archgym.cli import build_app
from archgym.simulators.dram import tracegen
from archgym.simulators.dram.addressmap import AddressMappingError, default_mapping, load_mapping, mapping_from_dict, scheme_mapping
from archgym.simulators.dram.mcconfig import DEFAULTS, McConfigError, resolve_mcconfig
from archgym.simulators.dram.memspec import MemSpecError, load_memspec, memspec_from_dict
from archgym.simulators.dram.simulation import METRICS, simulate
from archgym.simulators.dram.traces import TraceError, check_requests, make_requests, read_stl, write_stl

from .conftest import CONFIGS, MAPPING, MEMSPEC, REF

DDR4 = datasets.path("dram", "memspec_ddr4_8Gb_x8_2400.json")
DDR3 = datasets.path("dram", "memspec_ddr3_1Gb_x8_1600.json")


def test_shipped_memspecs_load():
    d4 = load_memspec(DDR4)
    assert (d4.memory_type, d4.ranks, d4.banks_per_rank, d4.bank_groups_per_rank) == ("DDR4", 2, 16, 4)
    assert (d4.t("CL"), d4.t("RCD"), d4.t("RP"), d4.refresh_cycle, d4.refresh_interval) == (17, 17, 17, 420, 9360)
    assert d4.bytes_per_burst == 64 and d4.capacity_bytes == 16 * 2**30
    d3 = load_memspec(DDR3)
    assert (d3.memory_type, d3.banks, d3.tck_ps, d3.t("CL")) == ("DDR3", 8, 1250, 10)


def test_memspec_errors_name_field_and_allowed(tmp_path):
    data = json.loads(DDR4.read_text())
    bad = {**data, "memoryType": "DDR5"}
    with pytest.raises(MemSpecError, match=r"memoryType is 'DDR5'; allowed: \['DDR3', 'DDR4', 'LPDDR4', 'HBM2'\]"):
        memspec_from_dict(bad, "x.json")
    t = dict(data["memtimingspec"])
    del t["RCD"]
    with pytest.raises(MemSpecError, match="field memtimingspec.RCD is missing"):
        memspec_from_dict({**data, "memtimingspec": t}, "x.json")
    with pytest.raises(MemSpecError, match="memtimingspec.RP is -3"):
        memspec_from_dict({**data, "memtimingspec": {**data["memtimingspec"], "RP": -3}}, "x.json")
    p = tmp_path / "broken.json"
    p.write_text("{not json")
    with pytest.raises(MemSpecError, match="broken.json: not valid JSON"):
        load_memspec(p)


def test_mcconfig_defaults_and_errors():
    assert resolve_mcconfig({}) == DEFAULTS
    assert resolve_mcconfig({"mcconfig": {"PagePolicy": "Closed"}})["PagePolicy"] == "Closed"
    assert resolve_mcconfig({"RefreshPolicy": "Rankwise"})["RefreshPolicy"] == "AllBank"
    with pytest.raises(McConfigError, match=r"Scheduler is 'LRU'; allowed: \['Fifo', 'FrFcfs', 'FrFcfsGrp'\]"):
        resolve_mcconfig({"Scheduler": "LRU"})
    with pytest.raises(McConfigError, match="unknown knob 'PagePolicyy'; allowed:"):
        resolve_mcconfig({"PagePolicyy": "Open"})
    with pytest.raises(McConfigError, match="RequestBufferSize is 0; allowed: an integer >= 1"):
        resolve_mcconfig({"RequestBufferSize": 0})


def test_per_bank_refresh_is_refused_for_ddr4():
    req = make_requests([0], [False], [0])
    with pytest.raises(McConfigError, match="RefreshPolicy is 'PerBank'; allowed for DDR4"):
        simulate(DDR4, {"RefreshPolicy": "PerBank"}, req)


def test_default_mapping_is_the_reference_mapping():
    spec = load_memspec(DDR4)
    shipped = load_mapping(datasets.path("dram", "addressmapping_ddr4_8Gb_x8_2rank_rochrababgco.json"))
    assert default_mapping(spec).bits == shipped.bits
    shipped.check(spec)
    d = default_mapping(spec).decode(np.array([0, 64, 1 << 13, 1 << 15, 1 << 17, 1 << 18]), spec)
    assert d["column"].tolist() == [0, 8, 0, 0, 0, 0]
    assert d["bankgroup"].tolist() == [0, 0, 1, 0, 4, 0]
    assert d["bank"].tolist() == [0, 0, 4, 1, 16, 0]
    assert d["row"].tolist() == [0, 0, 0, 0, 0, 1]


def test_mapping_errors_and_schemes():
    spec = load_memspec(DDR4)
    with pytest.raises(AddressMappingError, match="unknown field"):
        mapping_from_dict({"ROWS_BIT": [1]})
    with pytest.raises(AddressMappingError, match="ROW_BIT has 15 bit"):
        mapping_from_dict({**default_mapping(spec).to_dict(), "ROW_BIT": list(range(18, 33))}, "m.json").check(spec)
    with pytest.raises(AddressMappingError, match="is used by both"):
        mapping_from_dict({**default_mapping(spec).to_dict(), "BANK_BIT": [13, 14]}, "m.json").check(spec)
    m = scheme_mapping("robabgraco", spec)
    m.check(spec)
    assert m.bits["RANK_BIT"] == (13,)
    with pytest.raises(AddressMappingError, match="not known"):
        scheme_mapping("rowcol", spec)
    xor = mapping_from_dict({**default_mapping(spec).to_dict(), "XOR": [{"FIRST": 13, "SECOND": 18}]})
    d = xor.decode(np.array([1 << 18]), spec)
    assert d["bankgroup"].tolist() == [1] and d["row"].tolist() == [1]


def test_trace_round_trip_and_errors(tmp_path):
    req = make_requests([0, 5, 5, 9], [False, True, False, True], [0, 64, 0x1000, 0xFFC0])
    p = write_stl(tmp_path / "t.stl", req)
    assert np.array_equal(read_stl(p), req)
    p.write_text("# comment\n0:\tread\t0x0\n\n3:\t(64)\twrite\t0x40\n")
    assert read_stl(p)["write"].tolist() == [False, True]
    p.write_text("0:\tread\t0x0\n4:\tread\tzz\n")
    with pytest.raises(TraceError, match=r"t.stl:2: malformed trace line"):
        read_stl(p)
    p.write_text("0:\tread\t0x0\n4\tread\t0x40\n")
    with pytest.raises(TraceError, match=r"t.stl:2: .*must end with ':'"):
        read_stl(p)
    p.write_text("0:\t(128)\tread\t0x0\n")  # two bursts, as DRAMSys's controller splits it
    assert read_stl(p)["address"].tolist() == [0, 64]
    p.write_text("9:\tread\t0x0\n4:\tread\t0x40\n")  # behind schedule: issued at once (DRAMSys's player)
    with pytest.warns(UserWarning, match="1 request"):
        assert read_stl(p)["cycle"].tolist() == [9, 9]
    with pytest.raises(TraceError, match="before request 0"):  # a request array must already be in order
        check_requests(make_requests([9, 4], [False, False], [0, 64]))
    with pytest.raises(TraceError, match="trace file not found"):
        read_stl(tmp_path / "missing.stl")
    with pytest.raises(ValueError, match="beyond the device capacity"):
        simulate(DDR4, None, make_requests([0], [False], [1 << 40]))


def test_generators_are_reproducible_and_shaped():
    spec = load_memspec(DDR4)
    mapping = default_mapping(spec)
    for pat in tracegen.PATTERNS:
        a = tracegen.generate(pat, 300, 4, spec, mapping, seed=3)
        b = tracegen.generate(pat, 300, 4, spec, mapping, seed=3)
        assert np.array_equal(a, b) and np.array_equal(a["cycle"], np.arange(300) * 4)
    d = mapping.decode(tracegen.generate("conflict", 64, 1, spec, mapping)["address"], spec)
    assert set(d["bank"].tolist()) == {0, 4}  # bank 0 of bank groups 0 and 1
    for b in (0, 4):  # every visit to a bank opens another row
        rows = d["row"][d["bank"] == b]
        assert np.all(rows[1:] != rows[:-1])
    d = mapping.decode(tracegen.generate("strided", 512, 1, spec, mapping)["address"], spec)
    assert set(d["bank"].tolist()) == {0, 1, 2, 3} and len(set(d["row"].tolist())) == 1
    mixed = tracegen.generate("mixed", 3000, 1, spec, mapping, seed=1)
    assert 0.28 < mixed["write"].mean() < 0.38
    with pytest.raises(ValueError, match="pattern 'zigzag' is not known"):
        tracegen.generate("zigzag", 10, 1, spec)


def test_generator_patterns_match_the_reference_generators_banks(reference_traces):
    """Our stride/conflict generators target the same DRAM coordinates as the reference's."""
    spec = load_memspec(MEMSPEC)
    mapping = load_mapping(MAPPING)
    stream = tracegen.generate("stream", 20000, 8, spec, mapping)
    assert np.array_equal(stream, read_stl(reference_traces / "seq_g8.stl"))
    for pat, ref in (("strided", "stride_g8.stl"), ("conflict", "conflict_g8.stl")):
        ours = tracegen.generate(pat, 20000, 8, spec, mapping)
        theirs = read_stl(reference_traces / ref)
        assert np.array_equal(ours["cycle"], theirs["cycle"])
        a, b = mapping.decode(ours["address"], spec), mapping.decode(theirs["address"], spec)
        for k in ("bank", "row", "column"):
            assert np.array_equal(a[k], b[k]), (pat, k)


def test_cli_json_output_and_bad_input(tmp_path):
    runner = CliRunner()
    app = build_app()
    req = make_requests(np.arange(100) * 8, np.arange(100) % 3 == 0, np.arange(100) * 64)
    trace = write_stl(tmp_path / "s.stl", req)
    mc = tmp_path / "mc.json"
    mc.write_text(json.dumps({"mcconfig": {"PagePolicy": "ClosedAdaptive"}}))
    res = runner.invoke(app, ["simulate", "dram", "--memspec", str(DDR4), "--mcconfig", str(mc), "--trace",
                              str(trace), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert list(out) == [*METRICS, "energy_by_component_pJ"]
    direct = simulate(DDR4, {"PagePolicy": "ClosedAdaptive"}, trace).metrics
    assert {k: out[k] for k in METRICS} == {k: direct[k] for k in METRICS}
    res = runner.invoke(app, ["simulate", "dram", "--memspec", str(DDR4), "--trace", str(trace)])
    assert res.exit_code == 0 and "total cycles" in res.stdout
    mc.write_text(json.dumps({"Arbiter": "Random"}))
    res = runner.invoke(app, ["simulate", "dram", "--memspec", str(DDR4), "--mcconfig", str(mc), "--trace",
                              str(trace)])
    assert res.exit_code == 2 and "Arbiter is 'Random'; allowed: ['Simple', 'Fifo', 'Reorder']" in res.output
    assert "Traceback" not in res.output
    bad = tmp_path / "bad.stl"
    bad.write_text("0:\tread\t0x0\nfoo\n")
    res = runner.invoke(app, ["simulate", "dram", "--memspec", str(DDR4), "--trace", str(bad)])
    assert res.exit_code == 2 and "bad.stl:2: malformed trace line" in res.output


def test_cli_reproduces_a_reference_row(reference_traces):
    runner = CliRunner()
    res = runner.invoke(build_app(), ["simulate", "dram", "--memspec", str(MEMSPEC), "--mcconfig",
                                      str(CONFIGS / "mcconfig_base.json"), "--addressmapping", str(MAPPING),
                                      "--trace", str(reference_traces / "mixed_g8.stl"), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    ref = pd.read_csv(REF / "dramsys_full.csv")
    row = ref[(ref.trace == "mixed_g8.stl") & (ref.variant == "open_frfcfs")].iloc[0]
    assert out["total_cycles"] == row.total_cycles and out["num_act"] == row.num_act
    assert out["energy_pJ"] == pytest.approx(row.energy_pJ, rel=1e-6)


@pytest.mark.parametrize("line, why", [
    ("0:\tread\t0x" + format(1 << 70, "x"), "beyond 64 bits; allowed: 0 <= address < 2\\^63"),
    (f"{1 << 63}:\tread\t0x40", "beyond .* \\(2\\^62\\); allowed: 0 <= cycle < 2\\^62"),
])
def test_trace_numbers_that_do_not_fit_are_named_with_file_and_line(tmp_path, line, why):
    """Issue 13 item 5: a 2^70 address raised a bare OverflowError."""
    p = tmp_path / "big.stl"
    p.write_text("0:\tread\t0x0\n" + line + "\n")
    with pytest.raises(TraceError, match=rf"big.stl:2: malformed trace line .*{why}"):
        read_stl(p)


def test_a_broken_memspec_is_blamed_on_the_memspec(tmp_path):
    data = json.loads(DDR4.read_text())
    data["memarchitecturespec"]["nbrOfColumns"] = 3
    p = tmp_path / "spec.json"
    p.write_text(json.dumps(data))
    with pytest.raises(MemSpecError, match=r"spec.json: field memarchitecturespec.nbrOfColumns is 3; allowed: a power of two"):
        load_memspec(p)
