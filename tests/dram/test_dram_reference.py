"""Agreement with DRAMSys 5 (DRAMPower energy) on the reference table: 15 traces x 12 controllers.

Tolerances (issue 3): below saturation (gaps 8 and 32) total time and bandwidth within 3 %, average
read latency within 5 %, row-hit rate within 2 points, command counts within 2 %, energy within 5 %;
at saturation (gap 1) total time within 5 % and average read latency within 15 %. Rows that cannot
meet a tolerance must be listed in KNOWN_DEVIATIONS with the reason; the list is itself asserted.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from archgym.simulators.dram.simulation import PreparedChannel

from .conftest import MAPPING, MEMSPEC, REF

REL_BELOW = {"total_cycles": 0.03, "bandwidth_GBps": 0.03, "avg_read_latency_cycles": 0.05, "energy_pJ": 0.05}
COUNTS = ("num_act", "num_pre", "num_prea", "num_rd_cmds", "num_wr_cmds", "num_rda_cmds", "num_wra_cmds", "num_ref",
          "num_pdn_cmds")
COUNT_REL = 0.02
ROW_HIT_POINTS = 0.02
REL_SATURATED = {"total_cycles": 0.05, "avg_read_latency_cycles": 0.15}

#: (trace, variant) -> reason, for rows the model cannot match within tolerance. Empty: every row agrees.
KNOWN_DEVIATIONS: dict[tuple[str, str], str] = {}
#: rows DRAMSys produced no figures for (it hung; see the reference README): nothing to compare
DRAMSYS_TIMEOUTS = {
    ("conflict_g8.stl", "open_frfcfs_pd"), ("mixed_g32.stl", "open_frfcfs_pd"), ("seq_g1.stl", "open_frfcfs_pd"),
    ("seq_g32.stl", "open_frfcfs_pd"), ("seq_g8.stl", "open_frfcfs_pd"), ("stride_g32.stl", "open_frfcfs_pd"),
}


def _rel(model: float, ref: float) -> float:
    return abs(model - ref) / abs(ref) if ref else abs(model)


def _row_failures(row, m) -> list[str]:
    out = []
    if row.gap_cycles == 1:
        for k, tol in REL_SATURATED.items():
            if _rel(m[k], row[k]) > tol:
                out.append(f"{k} {m[k]:.4g} vs {row[k]:.4g} (> {tol:.0%})")
        return out
    for k, tol in REL_BELOW.items():
        if _rel(m[k], row[k]) > tol:
            out.append(f"{k} {m[k]:.6g} vs {row[k]:.6g} (> {tol:.0%})")
    if abs(m["row_hit_rate"] - row.row_hit_rate) > ROW_HIT_POINTS:
        out.append(f"row_hit_rate {m['row_hit_rate']:.4f} vs {row.row_hit_rate:.4f} (> 2 points)")
    for k in COUNTS:
        if _rel(m[k], row[k]) > COUNT_REL:
            out.append(f"{k} {m[k]} vs {int(row[k])} (> 2%)")
    return out


@pytest.fixture(scope="module")
def comparison(reference_traces, mcconfigs):
    """Every reference row simulated: list of (row, model metrics)."""
    ref = pd.read_csv(REF / "dramsys_full.csv")
    rows = []
    for trace, group in ref.groupby("trace"):
        channel = PreparedChannel(MEMSPEC, reference_traces / trace, MAPPING)
        for _, row in group.iterrows():
            if (trace, row.variant) in DRAMSYS_TIMEOUTS:
                assert math.isnan(row.total_cycles)
                continue
            rows.append((row, channel.run(mcconfigs[row.variant]).metrics))
    return rows


def test_reference_table_shape(comparison):
    ref = pd.read_csv(REF / "dramsys_full.csv")
    assert len(ref) == 180 and ref.total_cycles.isna().sum() == len(DRAMSYS_TIMEOUTS)
    assert len(comparison) == 180 - len(DRAMSYS_TIMEOUTS)


def test_every_row_within_issue_tolerances(comparison):
    """Per row: gap 8/32 -- time, bandwidth 3 %, latency 5 %, row hits 2 points, counts 2 %, energy 5 %;
    gap 1 -- time 5 %, latency 15 %. Failures must be exactly the documented KNOWN_DEVIATIONS."""
    failures = {}
    for row, m in comparison:
        f = _row_failures(row, m)
        if f:
            failures[(row.trace, row.variant)] = f
    unexpected = {k: v for k, v in failures.items() if k not in KNOWN_DEVIATIONS}
    assert not unexpected, f"rows outside tolerance: {unexpected}"
    assert set(failures) == set(KNOWN_DEVIATIONS), "a known deviation now agrees: remove it from the list"


def test_agreement_summary_is_tight(comparison):
    """Beyond the tolerances: the model reproduces DRAMSys's cycle counts and command counts exactly and
    DRAMPower's energy to float rounding on every row (a regression guard for the controller semantics)."""
    worst = {k: 0.0 for k in ("total_cycles", "avg_read_latency_cycles", "energy_pJ", "avg_power_mW")}
    count_mismatch = []
    for row, m in comparison:
        for k in worst:
            worst[k] = max(worst[k], _rel(m[k], row[k]))
        for k in COUNTS:
            if m[k] != row[k]:
                count_mismatch.append((row.trace, row.variant, k, m[k], row[k]))
    assert worst["total_cycles"] == 0.0, worst
    assert worst["avg_read_latency_cycles"] < 1e-4, worst  # the reference rounds to 4 decimals
    assert worst["energy_pJ"] < 1e-6 and worst["avg_power_mW"] < 1e-5, worst
    assert not count_mismatch, count_mismatch[:5]


def test_percentiles_and_row_hits_match(comparison):
    """p50/p95/p99 read latency (nearest-rank percentiles of integer cycles) and the row-hit rate agree
    exactly on every row."""
    for row, m in comparison:
        assert abs(m["row_hit_rate"] - row.row_hit_rate) < 1e-9, (row.trace, row.variant)
        for p in (50, 95, 99):
            assert m[f"p{p}_read_latency_cycles"] == row[f"p{p}_read_latency_cycles"], (row.trace, row.variant, p)
