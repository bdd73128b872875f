"""How close the analytic path (the one environments use) comes to SCALE-Sim: on the 120 reference
runs, and on random (shipped layer, environment design) pairs against the exact replay.

Compute cycles, utilisations and SRAM counts are exact (test_systolic_reference.py). For DRAM
traffic and stalls:

* CALC mode: every figure is exact (test_systolic_analytic_exact.py) except the ifmap DRAM reads of
  convolutions whose windows overlap and whose ifmap does not fit one epoch: the re-use-distance
  estimate of simulators/systolic/traffic.py is within a few % here.
* USER mode replays the read buffers run by run (simulators/systolic/prefetch.py): DRAM reads are
  exact whenever every address occurs once in the operand's stream (filters, GEMMs, 1x1
  convolutions). Convolution ifmaps with overlapping windows hold each pixel several times and
  SCALE-Sim hits at another copy where the run replay follows the demand's own copy and may wrap
  the window: those are the listed deviations. Stalls and ofmap writes are exact within the event
  budget (simulators/systolic/events.py, writes.py); beyond it the three DRAM channels are
  combined by simulators/systolic/drain.py, within 5 % of the total cycles on the reference runs.
"""

import statistics

import numpy as np
import pytest

from archgym.envs.systolic import calibration_pairs
from archgym.simulators.systolic import simulate

QUANTITIES = ("total_cycles", "stall_cycles", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes")
CHECKED = ("total_cycles", "dram_ifmap_reads", "dram_filter_reads")

# CALC: (run_id, quantity) -> why the estimate is more than 50 % off SCALE-Sim
KNOWN_CALC: dict = {}  # filter reads are exact now (epoch block recurrence, traffic.calc_exact)
# USER: (run_id, quantity) -> why the analytic figure is more than 5 % off SCALE-Sim
KNOWN_USER = {
    ("4", "total_cycles"): "mobilenet Conv1 3x3/2 os: overlapping windows, SCALE-Sim hits at other copies (123 window "
                           "advances, the run replay 165)",
    ("4", "dram_ifmap_reads"): "same run",
    ("6", "total_cycles"): "mobilenet Conv1 ws: ifmap reads exact, but ifmap stalls and ofmap drains interleave "
                           "(-6.4 %: the drain chain is combined with the read stall profile, not replayed with it)",
    ("34", "total_cycles"): "googlenet 3x3 os: the window settles where every pixel has a copy in it (11 advances "
                            "in 12 sweeps); the run replay sweeps the whole stream each time (44)",
    ("34", "dram_ifmap_reads"): "same run",
    ("36", "dram_ifmap_reads"): "googlenet 3x3 ws: as run 34 (the filter channel dominates its cycles, which match)",
}


# random pairs more than 10 % off (name, rows, cols, dataflow, ofmap KiB) -> why
KNOWN_RANDOM = {
    ("Conv3_PW", 256, 256, "ws", 8): "98 ofmap drains, beyond the event budget (model.MAX_DRAINS): the drain model "
                                     "over-counts the drain waits (+38 %)",
}


def _ratios(rows, mode):
    out = {}
    for r in rows:
        if r["bw_mode"] != mode:
            continue
        a = simulate(r["_config"], [r["_layer"]])["layers"][0]
        for k in QUANTITIES:
            ref = float(r[k])
            out[(r["run_id"], k)] = a[k] / ref if ref else (1.0 if a[k] == 0 else float("inf"))
    return out


@pytest.fixture(scope="module")
def calc(reference_rows):
    return _ratios(reference_rows, "CALC")


@pytest.fixture(scope="module")
def user(reference_rows):
    return _ratios(reference_rows, "USER")


def test_calc_cycles_exact_dram_close(calc):
    assert all(v == 1.0 for (_, k), v in calc.items() if k in ("total_cycles", "stall_cycles"))
    for k in ("dram_ifmap_reads", "dram_filter_reads"):
        vals = [v for (i, kk), v in calc.items() if kk == k]
        exact = sum(abs(v - 1) < 1e-12 for v in vals) / len(vals)
        assert exact >= 0.8, f"{k}: only {exact:.0%} of CALC rows exact (expected >= 80 %: operands that fit)"
        for (i, kk), v in calc.items():
            if kk == k and (i, kk) not in KNOWN_CALC:
                assert 0.85 <= v <= 1.5, f"run {i} {k}: analytic/SCALE-Sim = {v:.3f} (tolerance -15 %/+50 %)"
    for (i, k), v in calc.items():
        if k == "dram_ofmap_writes":
            assert abs(v - 1) <= 0.005, f"run {i}: ofmap DRAM writes off by {v - 1:.2%} (tolerance 0.5 %: line padding)"


def test_calc_known_deviations_are_exactly_the_listed_ones(calc):
    off = {key for key, v in calc.items() if key[1] in CHECKED and abs(v - 1) > 0.5}
    assert off == set(KNOWN_CALC)


def test_user_dram_reads_exact_where_every_address_occurs_once(reference_rows):
    """Filters always; ifmaps of GEMMs and non-overlapping convolutions: the run replay is exact."""
    n = 0
    for r in reference_rows:
        if r["bw_mode"] != "USER":
            continue
        a = simulate(r["_config"], [r["_layer"]])["layers"][0]
        assert a["dram_filter_reads"] == int(r["dram_filter_reads"]), f"run {r['run_id']} filter reads (exact)"
        if not r["_layer"].windows_overlap:
            assert a["dram_ifmap_reads"] == int(r["dram_ifmap_reads"]), f"run {r['run_id']} ifmap reads (exact)"
            n += 1
    assert n >= 15  # GEMMs, 1x1 convolutions and the FC layer in three dataflows


def test_user_within_5pct_unless_listed(user):
    for (i, k), v in user.items():
        if k == "dram_ofmap_writes":
            assert abs(v - 1) <= 0.005, f"run {i}: ofmap DRAM writes off by {v - 1:.2%} (tolerance 0.5 %)"
        elif k in CHECKED and (i, k) not in KNOWN_USER:
            assert abs(v - 1) <= 0.05, f"run {i} {k}: analytic/SCALE-Sim = {v:.4f} (tolerance 5 % unless listed)"
    for k in CHECKED:
        med = statistics.median(abs(v - 1) for (_, kk), v in user.items() if kk == k)
        assert med <= 0.002, f"{k}: median error {med:.2%} over USER rows (tolerance 0.2 %)"


def test_user_known_deviations_are_exactly_the_listed_ones(user):
    """The list above is complete and current: every listed run is still > 5 % off, no other is."""
    off = {key for key, v in user.items() if key[1] in CHECKED and abs(v - 1) > 0.05}
    assert off == set(KNOWN_USER)


def test_user_stalls_within_5pct_of_total_cycles_unless_listed(reference_rows):
    for r in reference_rows:
        if r["bw_mode"] != "USER" or (r["run_id"], "total_cycles") in KNOWN_USER:
            continue
        a = simulate(r["_config"], [r["_layer"]])["layers"][0]
        err = abs(a["stall_cycles"] - int(r["stall_cycles"])) / int(r["total_cycles"])
        assert err <= 0.05, f"run {r['run_id']}: stall error {err:.2%} of total cycles (tolerance 5 %)"


def test_random_environment_designs_against_the_replay():
    """80 random shipped layers x environment designs (USER mode): DRAM reads exact where every
    address occurs once, total cycles within 5 % of the exact replay on >= 95 % of them and within
    10 % on all."""
    errors = []
    for layer, config in calibration_pairs(80, 7, 3e6):
        a = simulate(config, [layer])["layers"][0]
        x = simulate(config, [layer], memory="replay")["layers"][0]
        where = f"{layer.name} on {config}"
        assert a["dram_filter_reads"] == x["dram_filter_reads"], f"{where}: filter reads (exact)"
        if not layer.windows_overlap:
            assert a["dram_ifmap_reads"] == x["dram_ifmap_reads"], f"{where}: ifmap reads (exact)"
        err = abs(a["total_cycles"] / x["total_cycles"] - 1)
        if (layer.name, config.array_rows, config.array_cols, config.dataflow, config.ofmap_sram_kb) not in KNOWN_RANDOM:
            assert err <= 0.10, f"{where}: total cycles off by {err:.2%} (tolerance 10 %)"
        errors.append(err)
    assert np.mean(np.array(errors) <= 0.05) >= 0.95, "fewer than 95 % of the pairs within 5 % of the replay"
