"""The model against SCALE-Sim itself, run live (the test extra installs ``scalesim``).

A spread of small layers (3x3 stride 1 and 2 with SCALE-Sim's ceil output size, 5x5, 1x1,
depth-wise-like single-channel, GEMMs) on square, non-square, small and large arrays, in each
dataflow, in CALC and USER bandwidth modes, with SRAMs small enough that data is re-fetched.
Compared: the replay reproduces every figure exactly (cycles, stalls, utilisations, SRAM and DRAM
counts, every start/stop cycle of DETAILED_ACCESS_REPORT, "Total Cycles (incl. prefetch)" and the
BANDWIDTH_REPORT averages, 1e-9 relative for the ratios); the analytic path reproduces compute
cycles, utilisations and SRAM counts exactly. The default set takes about a minute; ``-m slow`` adds a larger sweep (225 more layer runs).
"""

import math

import pytest

from archgym.simulators.systolic import Layer, SystolicConfig, simulate
from archgym.simulators.systolic.model import BANDWIDTH_FIELDS, TRACE_FIELDS

pytest.importorskip("scalesim")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # SCALE-Sim's own numpy idioms
from archgym.simulators.systolic.validation.scalesim_runner import run_scalesim  # noqa: E402

LAYERS = [
    Layer("conv3x3_s1", 12, 12, 3, 3, 8, 16, 1),
    Layer("conv3x3_s2_ceil", 11, 11, 3, 3, 6, 10, 2),
    Layer("conv5x5", 14, 14, 5, 5, 3, 8, 1),
    Layer("conv1x1", 8, 8, 1, 1, 16, 24, 1),
    Layer("single_channel", 10, 10, 3, 3, 1, 1, 1),
    Layer.gemm("gemm_24x20x36", 24, 20, 36),
    Layer.gemm("gemm_9x50x7", 9, 50, 7),
]
ARRAYS = [(4, 4), (8, 16), (16, 4), (32, 32)]
# (mode, bandwidth): USER with 10 words/cycle (SCALE-Sim's default banks) and with a narrow 4 words/cycle
MODES = [("CALC", 10), ("USER", 10), ("USER", 4)]
SRAM_KB = (1, 2, 1)

EXACT = ("total_cycles", "stall_cycles", "compute_cycles", "sram_ifmap_reads", "sram_filter_reads",
         "sram_ofmap_writes", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes") + TRACE_FIELDS
ALWAYS_EXACT = ("compute_cycles", "sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes")
PCT = ("overall_util_pct", "mapping_eff_pct", "compute_util_pct") + BANDWIDTH_FIELDS


def _config(rows, cols, df, mode, bw):
    return SystolicConfig(rows, cols, df, *SRAM_KB, bandwidth_mode=mode, bandwidth=bw)


def _compare(config, layers, tmp_path):
    ref = run_scalesim(config, layers, tmp_path)["layers"]
    replay = simulate(config, layers, memory="replay")["layers"]
    analytic = simulate(config, layers)["layers"]
    assert len(ref) == len(layers)
    for layer, r, x, a in zip(layers, ref, replay, analytic):
        for k in EXACT:
            assert x[k] == r[k], f"{layer.name} {k}: replay {x[k]} != SCALE-Sim {r[k]} (exact match required)"
        for k in ALWAYS_EXACT:
            assert a[k] == r[k], f"{layer.name} {k}: analytic {a[k]} != SCALE-Sim {r[k]} (exact match required)"
        for k in PCT:
            assert math.isclose(x[k], r[k], rel_tol=1e-9), f"{layer.name} {k}: replay {x[k]} != SCALE-Sim {r[k]}"
        for k in ("mapping_eff_pct", "compute_util_pct"):
            assert math.isclose(a[k], r[k], rel_tol=1e-9), f"{layer.name} {k}: analytic {a[k]} != SCALE-Sim {r[k]}"


@pytest.mark.parametrize("mode,bw", MODES, ids=[f"{m}{b}" for m, b in MODES])
@pytest.mark.parametrize("rows,cols", ARRAYS, ids=[f"{r}x{c}" for r, c in ARRAYS])
@pytest.mark.parametrize("df", ["os", "ws", "is"])
def test_matches_scalesim(df, rows, cols, mode, bw, tmp_path):
    _compare(_config(rows, cols, df, mode, bw), LAYERS, tmp_path)


BIG_LAYERS = [
    Layer("resnet_3x3", 12, 12, 3, 3, 16, 32, 1),
    Layer("resnet_1x1_s2", 15, 15, 1, 1, 48, 64, 2),
    Layer("alexnet_like_11x11_s4", 39, 39, 11, 11, 3, 16, 4),
    Layer.gemm("attention_64x64x32", 64, 64, 32),
    Layer.gemm("fc_1x128x96", 1, 128, 96),
]


@pytest.mark.slow
@pytest.mark.parametrize("sram,mode,bw", [((1, 1, 1), "CALC", 10), ((4, 2, 8), "USER", 20), ((2, 2, 2), "USER", 3)],
                         ids=["CALC-1KiB", "USER20-4/2/8KiB", "USER3-2KiB"])
@pytest.mark.parametrize("rows,cols", [(8, 8), (8, 32), (32, 8), (64, 64), (128, 16)], ids=lambda v: str(v))
@pytest.mark.parametrize("df", ["os", "ws", "is"])
def test_matches_scalesim_larger_sweep(df, rows, cols, sram, mode, bw, tmp_path):
    """45 designs x 5 larger layers (about 2.5 minutes of SCALE-Sim on 2 cores)."""
    _compare(SystolicConfig(rows, cols, df, *sram, bandwidth_mode=mode, bandwidth=bw), BIG_LAYERS, tmp_path)
