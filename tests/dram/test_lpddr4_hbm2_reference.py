"""Issue 19 item 1: LPDDR4 and HBM2 against DRAMSys 5 (commit 6b01467), the 160 shared reference rows of
``tests/reference/dram_lpddr4_hbm2`` (3 devices x 15 traces x 6 controllers, see its README).

One test per figure group, each exact (cycles, commands, row hits, nearest-rank percentiles; averages to
the CSV's 4 decimals). The default run compares a stratified subset (one row per device and controller,
18 rows); ``-m slow`` compares all 160. Rows the model does not reproduce exactly are listed in
KNOWN_DEVIATIONS with what differs; the list is asserted, so a fix shows up. The traces are rebuilt from
the README's generator rules (``lpddr4_hbm2_traces.py``) and checked against the manifests' sha256.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from archgym.simulators.dram.mcconfig import load_mcconfig
from archgym.simulators.dram.memspec import load_memspec, memspec_from_dict
from archgym.simulators.dram.power import current_energy
from archgym.simulators.dram.simulation import PreparedChannel, simulate
from archgym.simulators.dram.timing import ACT, PRE, RD, REF
from archgym.simulators.dram.traces import make_requests

from . import lpddr4_hbm2_traces as traces

REF_DIR = Path(__file__).resolve().parents[1] / "reference" / "dram_lpddr4_hbm2"
CONFIGS = REF_DIR / "configs"
#: device -> trace set (the address mapping the generator wrote it for)
TRACE_SET = {"LPDDR4-3200_8Gb_x16": "lpddr4_8Gbx16_brc", "LPDDR4-2133_16Gb_x16": "lpddr4_1Gbx16_robaco",
             "HBM2": "hbm2_8Gb_pc_brc"}
#: model metric -> CSV column
COUNTS = {"num_act": "num_act", "num_pre": "num_pre", "num_prea": "num_prea", "num_rd_cmds": "num_rd",
          "num_rda_cmds": "num_rda", "num_wr_cmds": "num_wr", "num_wra_cmds": "num_wra", "num_ref": "num_refab",
          "num_pdna": "num_pdna", "num_pdnp": "num_pdnp", "num_sref": "num_sref"}
PERCENTILES = ("p50_read_latency_cycles", "p95_read_latency_cycles", "p99_read_latency_cycles",
               "max_read_latency_cycles")
AVERAGES = ("avg_read_latency_cycles", "avg_read_latency_accept_cycles")
#: (device, trace, variant) -> (the figures that differ, how much): none. The 7 HBM2 ``mixed`` rows that used to
#: differ (gap 1 total cycles +0.7 % / +1.3 %, gap 8 average read latency) came from the model's next-trigger
#: search: a response already due but held behind an END_RESP moved the next step to t + 1 even when a row
#: command could still issue in this cycle after a column command (HBM2's two buses; DRAMSys runs its controller
#: again in the next delta cycle). Found by diffing the command stream against DRAMSys's trace database
#: (``test_hbm2_command_stream.py``).
KNOWN_DEVIATIONS: dict = {}
#: the rows DRAMSys never finished (README): HBM2 with Staggered power-down; the model simulates them
DRAMSYS_HANGS = {("HBM2", t, "open_frfcfs_pd") for t in ("conflict_g8.stl", "mixed_g32.stl", "rand_g8.stl",
                                                         "rand_g32.stl", "seq_g32.stl", "stride_g32.stl")}


def _table() -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "dramsys_lpddr4_hbm2.csv")


def _subset(ref: pd.DataFrame) -> pd.DataFrame:
    """One row per (device, variant), rotating over the group's rows so that every pattern and gap appears."""
    picks = []
    for i, ((_dev, _var), g) in enumerate(sorted(ref.groupby(["device", "variant"]), key=lambda kv: kv[0])):
        g = g.sort_values(["pattern", "gap_cycles"])
        picks.append(g.iloc[(5 * i) % len(g)])
    return pd.DataFrame(picks)


def _run_rows(rows: pd.DataFrame, tmp: Path) -> list[tuple]:
    out = []
    for (dev, trace), g in rows.groupby(["device", "trace"]):
        tset = TRACE_SET[dev]
        manifest = json.loads((REF_DIR / "traces_manifests" / f"{tset}.manifest.json").read_text())
        (tmp / tset).mkdir(exist_ok=True)
        path = traces.write_traces(tset, tmp / tset, manifest, names={trace})[trace]
        first = g.iloc[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # HBM2 / LPDDR4-2133: no currents, energy NaN (tested below)
            channel = PreparedChannel(CONFIGS / "memspec" / first.memspec_file, path,
                                      CONFIGS / "addressmapping" / first.addressmapping_file)
        for _, row in g.iterrows():
            mc = load_mcconfig(CONFIGS / "mcconfig" / f"{row.variant}.json")
            out.append((row, channel.run(mc).metrics))
    return out


@pytest.fixture(scope="module", params=["subset", pytest.param("all", marks=pytest.mark.slow)])
def comparison(request, tmp_path_factory):
    ref = _table()
    rows = ref if request.param == "all" else _subset(ref)
    return request.param, _run_rows(rows, tmp_path_factory.mktemp(f"lpddr4_hbm2_{request.param}"))


def _key(row) -> tuple:
    return row.device, row.trace, row.variant


def _mismatches(comparison, pairs, tol=0.0) -> dict:
    _, rows = comparison
    bad = {}
    for row, m in rows:
        diffs = [f"{mk} {m[mk]} vs {row[rk]}" for mk, rk in pairs if abs(m[mk] - row[rk]) > tol]
        if diffs:
            bad[_key(row)] = diffs
    return bad


def _known(key, figure: str) -> bool:
    cols = KNOWN_DEVIATIONS.get(key, ((),))[0]
    return cols == "*" or figure in cols


def _check(comparison, pairs, tol=0.0) -> None:
    bad = _mismatches(comparison, pairs, tol)
    unexpected = {k: [d for d in v if not _known(k, d.split()[0])] for k, v in bad.items()}
    unexpected = {k: v for k, v in unexpected.items() if v}
    assert not unexpected, f"rows not exact: {unexpected}"


def test_reference_table_and_split():
    ref = _table()
    assert len(ref) == 160 and ref.completed.all() and ref.repeats_identical.all()
    assert ref.groupby("device").size().to_dict() == {"HBM2": 50, "LPDDR4-2133_16Gb_x16": 55,
                                                      "LPDDR4-3200_8Gb_x16": 55}
    assert not {_key(r) for _, r in ref.iterrows()} & DRAMSYS_HANGS
    assert len(_subset(ref)) == 18 and set(_subset(ref).pattern) == set(traces.PATTERNS)


def test_total_cycles_exact(comparison):
    _check(comparison, [("total_cycles", "total_cycles")])


def test_command_counts_exact(comparison):
    """ACT, PRE, PREA, RD, RDA, WR, WRA, REFAB and PDNA/PDNP/SREF entries."""
    _check(comparison, list(COUNTS.items()))


def test_row_hit_rate_exact(comparison):
    _check(comparison, [("row_hit_rate", "row_hit_rate")], tol=1e-9)


def test_read_latency_percentiles_exact(comparison):
    """p50/p95/p99 (nearest rank, the README's rounding) and the maximum, in cycles."""
    _check(comparison, [(p, p) for p in PERCENTILES])


def test_average_read_latencies_exact_to_the_csv_rounding(comparison):
    """From BEGIN_REQ and from END_REQ (acceptance), to the 4 decimals the CSV keeps."""
    _check(comparison, [(a, a) for a in AVERAGES], tol=5.1e-5)


def test_bandwidth_exact_to_the_csv_rounding(comparison):
    _check(comparison, [("bandwidth_GBps", "bandwidth_GBps")], tol=5.1e-5)


def test_known_deviations_are_still_off_and_small(comparison):
    """The listed rows (none now) differ (else remove them from the list): total cycles by < 1.5 % at
    saturation, the average read latency by < 0.01 % at gap 8."""
    scope, rows = comparison
    seen = {_key(row): (row, m) for row, m in rows if _key(row) in KNOWN_DEVIATIONS}
    if scope == "all":
        assert set(seen) == set(KNOWN_DEVIATIONS)
    for key, (row, m) in seen.items():
        assert m["avg_read_latency_cycles"] != pytest.approx(row.avg_read_latency_cycles, abs=5.1e-5), \
            f"{key} now agrees: remove it from KNOWN_DEVIATIONS"
        if KNOWN_DEVIATIONS[key][0] == "*":
            assert abs(m["total_cycles"] / row.total_cycles - 1) < 0.015, key
        else:
            assert m["total_cycles"] == row.total_cycles, key
            assert abs(m["avg_read_latency_cycles"] / row.avg_read_latency_cycles - 1) < 1e-4, key


def test_energy_is_nan_without_currents_and_finite_with_them(comparison):
    """DRAMSys 6b01467 has no LPDDR4/HBM2 power model (the CSV's energy is empty): archgym's own energy is
    finite for the LPDDR4-3200 memspec, which gives currents, and NaN for the two that give none."""
    _, rows = comparison
    for row, m in rows:
        assert math.isnan(row.energy_pJ)
        if row.device == "LPDDR4-3200_8Gb_x16":
            assert math.isfinite(m["energy_pJ"]) and m["energy_pJ"] > 0 and m["avg_power_mW"] > 0
        else:
            assert math.isnan(m["energy_pJ"]) and math.isnan(m["avg_power_mW"])


def test_missing_currents_warn_that_energy_is_nan():
    with pytest.warns(UserWarning, match=r"HBM2.json: mempowerspec lacks idd0, .*energy and power are reported as NaN"):
        load_memspec(CONFIGS / "memspec" / "HBM2.json")


def test_lpddr4_energy_against_a_hand_computation():
    """ACT at 0, RD at 29, PRE at 100, REFAB at 200, end at cycle 1000 on the LPDDR4-3200 memspec (tCK 0.625 ns).
    By hand, V x I summed over VDD1 1.8 V, VDD2 1.1 V, VDDQ 1.1 V (mW): IDD0 56.625, IDD2N 34.125, IDD3N 37.875,
    IDD4R 471.55, IDD5 117.825. ACT: (56.625 x 97 - 37.875 x 68 - 34.125 x 29) x 0.625 = 1204.6875 pJ;
    RD: (471.55 - 37.875) x 8 x 0.625 = 2168.375; REF: (117.825 - 37.875) x 448 x 0.625 = 22386;
    active standby 100 cycles x 37.875 x 0.625 = 2367.1875; precharge standby 900 x 34.125 x 0.625 =
    19195.3125; total 47321.5625 pJ over 625 ns = 75.7145 mW."""
    spec = load_memspec(CONFIGS / "memspec" / "JEDEC_8Gb_LPDDR4-3200_16bit.json")
    t = np.array([0, 29, 100, 200])
    c = np.array([ACT, RD, PRE, REF])
    b = np.array([0, 0, 0, 0])
    e = current_energy(t, c, b, 4, 1000, spec)
    hand = {"energy_act_pJ": 1204.6875, "energy_rd_pJ": 2168.375, "energy_wr_pJ": 0.0, "energy_ref_pJ": 22386.0,
            "energy_act_standby_pJ": 2367.1875, "energy_pre_standby_pJ": 19195.3125, "energy_powerdown_pJ": 0.0,
            "energy_selfrefresh_pJ": 0.0}
    for k, v in hand.items():
        assert e[k] == pytest.approx(v, rel=1e-12, abs=1e-9), k
    assert e["energy_pJ"] == pytest.approx(47321.5625, rel=1e-12)
    assert e["avg_power_mW"] == pytest.approx(75.7145, rel=1e-12)


def test_hbm2_energy_from_currents_given_in_the_memspec():
    """HBM2 with currents added (one supply, ``vdd``): finite, and the sum of its parts."""
    data = json.loads((CONFIGS / "memspec" / "HBM2.json").read_text())["memspec"]
    data["mempowerspec"] = {"idd0": 60.0, "idd2n": 30.0, "idd2p": 10.0, "idd3n": 40.0, "idd3p": 15.0, "idd4r": 200.0,
                            "idd4w": 190.0, "idd5": 150.0, "idd6": 5.0, "vdd": 1.2}
    spec = memspec_from_dict(data)
    req = make_requests(np.arange(64) * 4, np.arange(64) % 3 == 0, np.arange(64) * 32)
    res = simulate(spec, None, req, CONFIGS / "addressmapping" / "am_hbm2_8Gb_pc_brc.json")
    assert math.isfinite(res.metrics["energy_pJ"]) and res.metrics["energy_pJ"] > 0
    assert res.metrics["energy_pJ"] == pytest.approx(sum(res.energy_breakdown.values()), rel=1e-12)


def test_hbm2_power_down_runs_that_hang_in_dramsys_are_simulated():
    """DRAMSys 6b01467 never finishes HBM2 + Staggered power-down on these traces (it spins in
    CheckerHBM2::timeToSatisfyConstraints once a refresh falls due while a pseudo channel sleeps; README). archgym
    does not emulate the hang: it simulates them, power-down entries and refreshes included."""
    req = traces.requests("hbm2_8Gb_pc_brc", "seq", n=400)
    arr = make_requests(np.arange(len(req)) * 32, [w for _, w in req], [a for a, _ in req])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = simulate(CONFIGS / "memspec" / "HBM2.json", CONFIGS / "mcconfig" / "open_frfcfs_pd.json", arr,
                       CONFIGS / "addressmapping" / "am_hbm2_8Gb_pc_brc.json")
    m = res.metrics
    assert m["n_requests"] == 400 and m["total_cycles"] > 399 * 32 and m["num_ref"] >= 3
    assert m["num_pdna"] + m["num_pdnp"] > 0


@pytest.mark.parametrize("memspec,mapping,tset", [
    ("HBM2.json", "am_hbm2_8Gb_pc_brc.json", "hbm2_8Gb_pc_brc"),
    ("JEDEC_8Gb_LPDDR4-3200_16bit.json", "am_lpddr4_8Gbx16_brc.json", "lpddr4_8Gbx16_brc"),
])
def test_cli_simulates_lpddr4_and_hbm2_memspecs(tmp_path, memspec, mapping, tset):
    """``archgym simulate dram --memspec`` gives the same figures as the library (energy NaN printed as NaN)."""
    from typer.testing import CliRunner

    from archgym.cli import build_app

    trace = tmp_path / "mixed.stl"
    trace.write_text(traces.stl_text(traces.requests(tset, "mixed", n=300), 8))
    args = ["simulate", "dram", "--memspec", str(CONFIGS / "memspec" / memspec), "--trace", str(trace),
            "--addressmapping", str(CONFIGS / "addressmapping" / mapping),
            "--mcconfig", str(CONFIGS / "mcconfig" / "open_frfcfs.json"), "--json"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # HBM2: no currents (the CLI prints the warning)
        r = CliRunner().invoke(build_app(), args)
    assert r.exit_code == 0, r.output
    out = json.loads(r.output[r.output.index("{"):])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = simulate(CONFIGS / "memspec" / memspec, CONFIGS / "mcconfig" / "open_frfcfs.json", trace,
                     CONFIGS / "addressmapping" / mapping).metrics
    assert out["total_cycles"] == m["total_cycles"] and out["num_act"] == m["num_act"]
    assert math.isnan(out["energy_pJ"]) == (memspec == "HBM2.json")
