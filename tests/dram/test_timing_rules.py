"""The loop's rule set without dominated rules (controller.timing_table.drop_dominated) implies every rule.

The loop takes a bank command's earliest time as the maximum over its bank, bank-group and rank columns, so a
narrower rule can go only when a wider one of the same first command gives the same second command at least its
delay. Checked on every memspec of the repository (DDR3, DDR4, LPDDR4, HBM2); the DRAMSys reference rows of
tests/dram (total cycles, command counts, latencies exact) run the loop with the reduced set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archgym import datasets
from archgym.simulators.dram.controller import drop_dominated
from archgym.simulators.dram.memspec import load_memspec
from archgym.simulators.dram.timing import NCMD, constraint_arrays

ROOT = Path(__file__).resolve().parents[1] / "reference"
MEMSPECS = sorted([*(ROOT / "dram_lpddr4_hbm2" / "configs" / "memspec").glob("*.json"),
                   ROOT / "dram" / "configs" / "memspec_ddr4_8Gb_x8_2400.json",
                   datasets.path("dram", "memspec_ddr3_1Gb_x8_1600.json")])


def _rules(index, rows) -> set[tuple[int, int, int, int]]:
    return {(c, s, int(rows[i, 0]), int(rows[i, 1]))
            for c in range(NCMD) for s in range(index.shape[1] - 1) for i in range(index[c, s], index[c, s + 1])}


@pytest.mark.parametrize("path", MEMSPECS, ids=lambda p: p.name)
def test_every_dropped_rule_is_implied_by_a_kept_wider_one(path):
    full = _rules(*constraint_arrays(load_memspec(path)))
    kept = _rules(*drop_dominated(*constraint_arrays(load_memspec(path))))
    assert kept <= full
    for c, s, x, d in full - kept:
        assert s < 2, f"{path.name}: dropped a rule of scope {s} (only same-bank / same-group rules may go)"
        assert any(r[0] == c and s < r[1] <= 2 and r[2] == x and r[3] >= d for r in kept), (c, s, x, d)
    # nothing more can go: no kept narrow rule is implied by a kept wider one
    for c, s, x, d in kept:
        if s < 2:
            assert not any(r[0] == c and s < r[1] <= 2 and r[2] == x and r[3] >= d for r in kept), (c, s, x, d)
