"""The batch path (``simulate_batch``: the numba kernels of network.py and user_stalls.py, the path
environments use) against the 120 SCALE-Sim 3.0.0 runs in tests/reference/systolic/.

Each run is one layer, so the network totals are that layer's report: compute cycles and SRAM
counts must match exactly, mapping efficiency and compute utilisation to float rounding (rel 1e-9),
and in CALC mode (no stalls) total cycles, stall cycles and overall utilisation too. All 120 runs go
through one batched call per layer, and again one call per run (the one-design path)."""

import math
from collections import defaultdict

from archgym.simulators.systolic import simulate_batch

EXACT = ("compute_cycles", "sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes")
FLOATS = ("mapping_eff_pct", "compute_util_pct")


def _check(out: dict, i: int, ref: dict):
    ints, floats = EXACT, FLOATS
    if ref["bw_mode"] == "CALC":
        ints, floats = ints + ("total_cycles", "stall_cycles"), floats + ("overall_util_pct",)
    for k in ints:
        assert int(out[k][i]) == int(ref[k]), f"{k}: batch model {out[k][i]} != SCALE-Sim {ref[k]} (exact match required)"
    for k in floats:
        assert math.isclose(float(out[k][i]), float(ref[k]), rel_tol=1e-9, abs_tol=1e-9), \
            f"{k}: batch model {out[k][i]} != SCALE-Sim {ref[k]} (exact up to float rounding, rel 1e-9)"


def test_batch_of_all_runs_matches_scalesim(reference_rows):
    by_layer = defaultdict(list)
    for r in reference_rows:
        by_layer[r["layer"]].append(r)
    assert sum(len(v) for v in by_layer.values()) == 120
    for rows in by_layer.values():
        out = simulate_batch([r["_config"] for r in rows], [rows[0]["_layer"]])
        for i, r in enumerate(rows):
            _check(out, i, r)


def test_one_design_path_matches_scalesim(ref_row):
    out = simulate_batch([ref_row["_config"]], [ref_row["_layer"]])
    _check(out, 0, ref_row)

