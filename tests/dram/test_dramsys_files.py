"""Issue 19 item 1: DRAMSys's own shipped files (``tests/reference/dramsys_configs/``, its whole
``configs/`` folder) as DRAMSys ships them: simulation files, traces with late requests and with
request sizes and data, every mcconfig. What simulates gives finite, positive figures; what is
refused names the feature."""

import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from archgym.simulators.dram.mcconfig import McConfigError, load_mcconfig
from archgym.simulators.dram.simfile import SimulationFileError, load_simulation
from archgym.simulators.dram.simulation import simulate, simulate_file
from archgym.simulators.dram.traces import TraceError, make_requests, read_stl

D = Path(__file__).resolve().parents[1] / "reference" / "dramsys_configs"
ARCHGYM = str(Path(sys.executable).with_name("archgym"))
DDR4 = D / "memspec" / "JEDEC_4Gb_DDR4-1866_8bit_A.json"

SIMULATIONS = {  # simulation file -> None (simulates) or the words of its refusal
    "ddr3-example.json": None,
    "ddr4-example.json": None,
    "ddr4-full-example.json": None,
    "ddr3-gem5-se.json": "simulation.tracesetup is missing",  # driven by gem5, no trace player
    "hbm2-example.json": "is a 'generator' initiator",
    "lpddr4-example.json": None,
    "stt-mram-example.json": "memoryType is 'STT-MRAM'",
}


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


def test_every_shipped_simulation_file_is_listed():
    assert sorted(p.name for p in D.glob("*.json")) == sorted(SIMULATIONS)


@pytest.mark.parametrize("name", sorted(SIMULATIONS))
def test_shipped_simulation_files(name):
    refusal = SIMULATIONS[name]
    if refusal is None:
        m = _quiet(simulate_file, D / name).metrics
        assert m["total_cycles"] > 0 and math.isfinite(m["energy_pJ"]) and m["energy_pJ"] > 0
        assert m["num_rd_cmds"] + m["num_wr_cmds"] + m["num_rda_cmds"] + m["num_wra_cmds"] > 0
    else:
        with pytest.raises(ValueError, match=refusal):
            _quiet(simulate_file, D / name)


def test_sub_files_and_trace_are_resolved_against_the_simulation_files_folder():
    sim = load_simulation(D / "ddr4-example.json")
    assert sim.trace == D / "traces" / "example.stl" and sim.player_clk_mhz == 200 and sim.data_length == 64
    assert sim.memspec["memoryId"] == "MICRON_4Gb_DDR4-1866_8bit_A" and sim.mcconfig["Scheduler"] == "FrFcfs"


def test_the_same_run_given_as_separate_files_or_as_the_simulation_file(tmp_path):
    """--config is a way of naming the files, not another model: equal figures either way."""
    sim = load_simulation(D / "ddr4-full-example.json")  # every part inline
    whole = _quiet(simulate_file, D / "ddr4-full-example.json").metrics
    parts = _quiet(simulate, sim.memspec, sim.mcconfig, sim.trace, sim.addressmapping, player_clk_mhz=sim.player_clk_mhz).metrics
    assert whole == parts


def test_late_requests_are_issued_at_once_as_the_trace_player_does(tmp_path):
    late = tmp_path / "late.stl"
    late.write_text("0:\tread\t0x0\n100:\tread\t0x40\n40:\twrite\t0x80\n120:\tread\t0xc0\n")
    with pytest.warns(UserWarning, match=r"1 request\(s\) are behind schedule \(the first is request 2, cycle 40, after cycle 100\)"):
        req = read_stl(late)
    assert req["cycle"].tolist() == [0, 100, 100, 120]
    on_time = make_requests([0, 100, 100, 120], [False, False, True, False], [0, 0x40, 0x80, 0xC0])
    assert _quiet(simulate, DDR4, None, late).metrics == simulate(DDR4, None, on_time).metrics


def test_request_sizes_and_data_as_the_trace_player_reads_them(tmp_path):
    req = read_stl(D / "traces" / "pct.stl")  # "(16) write 0x0 0xff..": 16-byte writes with data
    assert len(req) == 100 and req["write"].all()
    m = _quiet(simulate, DDR4, None, D / "traces" / "pct.stl").metrics
    assert m["num_wr_cmds"] + m["num_wra_cmds"] == 100, "a request shorter than a burst is one burst"
    big = tmp_path / "big.stl"
    big.write_text("0:\t(256)\tread\t0x100\n")
    assert read_stl(big)["address"].tolist() == [0x100, 0x140, 0x180, 0x1C0], "256 bytes: four 64-byte bursts"
    for line, why in (("0:\t(48)\tread\t0x0\n", "length 48 bytes; allowed: a power of two"),
                      ("0:\t(64)\tread\t0x20\n", "not aligned to the request length 64")):
        big.write_text(line)
        with pytest.raises(TraceError, match=rf"big.stl:1: .*{why}"):
            read_stl(big)


MCCONFIGS = {"fifo.json": None, "fr_fcfs.json": None, "fr_fcfs_grp.json": None, "fr_fcfs_noref.json": None,
             "fifoStrict.json": "CmdMux is 'Strict'", "fr_fcfs_refp2b.json": "RefreshPolicy is 'Per2Bank'",
             "fr_fcfs_rfm.json": "RefreshManagement is true"}


def test_every_shipped_mcconfig_simulates_or_names_what_is_not_modelled():
    assert sorted(p.name for p in (D / "mcconfig").glob("*.json")) == sorted(MCCONFIGS)
    for name, refusal in MCCONFIGS.items():
        if refusal is None:
            assert _quiet(simulate, DDR4, D / "mcconfig" / name, D / "traces" / "pct.stl").metrics["total_cycles"] > 0
        else:
            with pytest.raises(McConfigError, match=rf"{name}: {refusal}"):
                load_mcconfig(D / "mcconfig" / name)


@pytest.mark.parametrize("change, match", [
    ({"tracesetup": []}, r"tracesetup is \[\]; allowed: a list with one trace player"),
    ({"tracesetup": [{"name": "traces/example.stl"}] * 2}, r"has 2 initiators; allowed: 1"),
    ({"tracesetup": [{"name": "traces/example.rstl"}]}, r"allowed: an absolute .stl trace"),
    ({"tracesetup": [{"name": "traces/example.stl", "clkMhz": 0}]}, r"clkMhz is 0; allowed: a positive number"),
    ({"memspec": "memspec/none.json"}, r"none.json: memspec \(named by .*\) file not found"),
    ({"simconfig": {"AddressOffset": 64}}, r"AddressOffset is 64; allowed: 0"),
])
def test_bad_simulation_files_are_refused_naming_the_key(tmp_path, change, match):
    data = json.loads((D / "ddr4-example.json").read_text())
    data["simulation"].update(change)
    for sub in ("memspec", "mcconfig", "addressmapping", "simconfig", "traces"):  # the names resolve beside the file
        (tmp_path / sub).symlink_to(D / sub)
    f = tmp_path / "sim.json"
    f.write_text(json.dumps(data))
    with pytest.raises(SimulationFileError, match=match):
        load_simulation(f)


def test_cli_config_prints_warnings_in_one_line_each():
    r = subprocess.run([ARCHGYM, "simulate", "dram", "--config", str(D / "ddr4-example.json"), "--json"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["total_cycles"] > 0
    warns = [x for x in r.stderr.splitlines() if x.strip()]
    assert warns and all(x.startswith("warning: ") for x in warns), r.stderr
    r = subprocess.run([ARCHGYM, "simulate", "dram", "--config", str(D / "ddr4-example.json"), "--memspec", str(DDR4)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--config names every file itself; drop --memspec" in r.stderr
