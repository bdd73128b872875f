"""How close the analytic path (the one environments use) comes to SCALE-Sim on the 120 reference runs.

Compute cycles, utilisations and SRAM counts are exact (test_systolic_reference.py). DRAM traffic
and USER-mode stalls are closed-form estimates of SCALE-Sim's buffer state machines (the exact
figures come from ``memory="replay"``):

* CALC mode never stalls, so total cycles are exact. DRAM reads are exact whenever an operand fits
  the live half of its SRAM (most runs); otherwise the re-use-distance estimate is within
  -10 % / +120 % here. Ofmap DRAM writes differ by SCALE-Sim's line-padding bookkeeping (< 0.5 %).
* USER mode: SCALE-Sim's circular prefetch window sometimes has to go all the way round the
  operand ("wraps") when its demand order runs backwards across a window edge; how often depends on
  the arithmetic of set counts and is only estimated. Median errors are ~10 %; the rows beyond
  +-50 % are listed below as known deviations (and asserted, so that any change is noticed).
"""

import statistics

import pytest

from archgym.simulators.systolic import simulate

# (run_id, quantity) -> why the analytic estimate is more than 50 % off SCALE-Sim
KNOWN_DEVIATIONS = {
    ("34", "total_cycles"): "googlenet 3x3 os: ifmap copies of overlapping windows hit in the window; the model counts wraps",
    ("34", "dram_ifmap_reads"): "same run: duplicate-address hits not modelled",
    ("36", "dram_ifmap_reads"): "googlenet 3x3 ws: duplicate-address hits not modelled",
    ("38", "dram_ifmap_reads"): "googlenet 3x3 is: duplicate-address hits not modelled",
    ("51", "total_cycles"): "yolo 1x1 ws: each wrap leaves the window nsets mod P sets short: a wrap storm",
    ("51", "dram_ifmap_reads"): "same run",
    ("51", "dram_filter_reads"): "same run: the wrap storm re-streams the filter ~37 times",
    ("53", "dram_ifmap_reads"): "yolo 1x1 is: the flipped ifmap tiles wrap less often than estimated",
    ("66", "total_cycles"): "resnet18 FC ws: wrap storm (as run 51)",
    ("66", "dram_filter_reads"): "same run",
    ("109", "dram_filter_reads"): "vit GEMM os: filter slabs re-read per row fold wrap more often than estimated",
    ("117", "dram_filter_reads"): "vit GEMM os CALC 16x64: slab re-reads straddling epoch edges (re-use model)",
}


def _ratios(rows, mode):
    out = {}
    for r in rows:
        if r["bw_mode"] != mode:
            continue
        a = simulate(r["_config"], [r["_layer"]])["layers"][0]
        for k in ("total_cycles", "stall_cycles", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes"):
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
            if kk == k and (i, kk) not in KNOWN_DEVIATIONS:
                assert 0.85 <= v <= 1.5, f"run {i} {k}: analytic/SCALE-Sim = {v:.3f} (tolerance -15 %/+50 %)"
    for (i, k), v in calc.items():
        if k == "dram_ofmap_writes":
            assert abs(v - 1) <= 0.005, f"run {i}: ofmap DRAM writes off by {v - 1:.2%} (tolerance 0.5 %: line padding)"


def test_user_estimates_within_stated_tolerance(user):
    for k in ("total_cycles", "dram_ifmap_reads", "dram_filter_reads"):
        vals = [v for (_, kk), v in user.items() if kk == k]
        med = statistics.median(abs(v - 1) for v in vals)
        assert med <= 0.15, f"{k}: median error {med:.1%} over USER rows (tolerance 15 %)"
    for (i, k), v in user.items():
        if k == "dram_ofmap_writes":
            assert abs(v - 1) <= 0.005, f"run {i}: ofmap DRAM writes off by {v - 1:.2%} (tolerance 0.5 %)"
        elif k != "stall_cycles" and (i, k) not in KNOWN_DEVIATIONS:
            assert 0.5 <= v <= 1.5, f"run {i} {k}: analytic/SCALE-Sim = {v:.3f} (tolerance +-50 % unless listed)"


def test_known_deviations_are_exactly_the_listed_ones(calc, user):
    """The list above is complete and current: every listed run is still > 50 % off, no other is."""
    off = {key for key, v in {**calc, **user}.items()
           if key[1] in ("total_cycles", "dram_ifmap_reads", "dram_filter_reads") and abs(v - 1) > 0.5}
    assert off == set(KNOWN_DEVIATIONS)
