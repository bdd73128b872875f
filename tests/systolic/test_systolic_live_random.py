"""The environment's path (``simulate``, ``memory="analytic"``) against the live SCALE-Sim 3.0 package
on seeded random designs and layers: every figure SCALE-Sim reports, zero differences allowed.

Each case draws an array shape (2..40 rows and columns, not only powers of two), a dataflow, the
three SRAM sizes (1..6 KiB, so that operands are re-fetched), CALC or USER mode with independent
ifmap, filter and ofmap bandwidths (1..24 words/cycle), and two small layers: a convolution
(overlapping windows, strides up to 3, SCALE-Sim's ceil output size, single channels) and a GEMM.
SCALE-Sim takes about 5 s per case on a loaded 2-core machine (process work and its own set-up,
even for tiny layers), so every case is slow-marked: ``-m slow`` runs two quick-look cases and the
sweep of :data:`SWEEP` cases.
"""

import math

import numpy as np
import pytest

from archgym.simulators.systolic import Layer, SystolicConfig, simulate

pytest.importorskip("scalesim")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # SCALE-Sim's own numpy idioms
from archgym.simulators.systolic.validation.scalesim_runner import run_scalesim  # noqa: E402

COUNTS = ("total_cycles", "stall_cycles", "compute_cycles", "sram_ifmap_reads", "sram_filter_reads",
          "sram_ofmap_writes", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes")
PCT = ("overall_util_pct", "mapping_eff_pct", "compute_util_pct")
SWEEP = 150


def case(seed: int) -> tuple[SystolicConfig, list[Layer]]:
    """One random design and two small layers (seeded)."""
    rng = np.random.default_rng(seed)
    i = lambda lo, hi: int(rng.integers(lo, hi + 1))  # noqa: E731
    user = bool(rng.random() < 0.7)
    config = SystolicConfig(
        array_rows=i(2, 40), array_cols=i(2, 40), dataflow=str(rng.choice(["os", "ws", "is"])),
        ifmap_sram_kb=i(1, 6), filter_sram_kb=i(1, 6), ofmap_sram_kb=i(1, 6),
        bandwidth_mode="USER" if user else "CALC", bandwidth=i(1, 24),
        ifmap_bandwidth=i(1, 24) if user else None, filter_bandwidth=i(1, 24) if user else None)
    h, w = i(3, 18), i(3, 18)
    fh, fw = i(1, min(h, 5)), i(1, min(w, 5))
    conv = Layer(f"conv{seed}", h, w, fh, fw, i(1, 8), i(1, 24), i(1, 3))
    gemm = Layer.gemm(f"gemm{seed}", i(1, 60), i(1, 60), i(1, 60))
    return config, [conv, gemm]


def differences(config: SystolicConfig, layers: list[Layer], tmp_path) -> list[str]:
    ref = run_scalesim(config, layers, tmp_path)["layers"]
    ours = simulate(config, layers)["layers"]
    out = []
    for layer, r, a in zip(layers, ref, ours, strict=True):
        out += [f"{layer.name} {k}: model {a[k]} != SCALE-Sim {r[k]:g}" for k in COUNTS if a[k] != r[k]]
        out += [f"{layer.name} {k}: model {a[k]} != SCALE-Sim {r[k]}" for k in PCT
                if not math.isclose(a[k], r[k], rel_tol=1e-9, abs_tol=1e-9)]
    return out


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_random_case_matches_live_scalesim(seed, tmp_path):
    config, layers = case(seed)
    assert differences(config, layers, tmp_path) == [], f"{config} {layers}"


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 100 + SWEEP))
def test_random_sweep_matches_live_scalesim(seed, tmp_path):
    config, layers = case(seed)
    assert differences(config, layers, tmp_path) == [], f"{config} {layers}"
