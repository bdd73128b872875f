"""exactness.exact_pairs says, from design and layer shape, where the analytic path is certainly
exact. Checked with zero allowed differences (integers equal, floats to 1e-9 relative) against
independent figures: the 120 SCALE-Sim 3.0.0 reference runs and the exact replay (which
reproduces SCALE-Sim, test_systolic_reference.py) on seeded random pairs of both bandwidth modes.
The rule must also not be vacuous: it certifies a stated share of the random pairs."""

import math
import random

import pytest

from archgym.simulators.systolic import Layer, SystolicConfig, simulate
from archgym.simulators.systolic.exactness import REASONS, exact_pairs

FIGURES = ("total_cycles", "stall_cycles", "compute_cycles", "sram_ifmap_reads", "sram_filter_reads",
           "sram_ofmap_writes", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes", "overall_util_pct",
           "mapping_eff_pct", "compute_util_pct")


def _off(a: dict, ref: dict) -> tuple:
    return tuple(k for k in FIGURES if not math.isclose(a[k], float(ref[k]), rel_tol=1e-9, abs_tol=1e-9))


def random_pairs(n: int, seed: int, mode: str):
    """``n`` seeded (layer, design) pairs: GEMMs and convolutions (1x1 to 5x5, strides 1-3) on
    2..64 x 2..64 arrays with 1-32 KiB SRAMs and 1-64 words/cycle (small enough to re-fetch)."""
    rng = random.Random(seed)
    p2 = lambda lo, hi: 2 ** rng.randint(lo, hi)  # noqa: E731
    out = []
    for _ in range(n):
        if rng.random() < 0.3:
            layer = Layer.gemm("gemm", rng.randint(1, 96), rng.randint(1, 96), rng.randint(1, 96))
        else:
            f = rng.choice((1, 1, 2, 3, 3, 5))
            layer = Layer("conv", rng.randint(f, 20), rng.randint(f, 20), f, f, rng.randint(1, 12), rng.randint(1, 40),
                          rng.choice((1, 1, 2, 3)))
        config = SystolicConfig(p2(1, 6), p2(1, 6), rng.choice(("os", "ws", "is")), p2(0, 5), p2(0, 5), p2(0, 5),
                                bandwidth_mode=mode, bandwidth=p2(0, 6))
        out.append((layer, config))
    return out


def test_certified_reference_rows_are_exact_against_scalesim(reference_rows):
    """Every reference run certified exact (code 0) gives SCALE-Sim's reported figures (zero
    differences, floats 1e-9)."""
    certified = 0
    for r in reference_rows:
        code = int(exact_pairs([r["_config"]], [r["_layer"]])[0, 0])
        assert code in REASONS
        if code == 0:
            certified += 1
            ref = {k: float(r[k]) for k in FIGURES}
            off = _off(simulate(r["_config"], [r["_layer"]])["layers"][0], ref)
            assert not off, f"run {r['run_id']}: certified exact but differs from SCALE-Sim on {off} (zero allowed)"
    assert certified >= 100, f"only {certified}/120 reference runs certified exact (expected >= 100)"


def _check(n, seed, mode, share):
    certified = 0
    for layer, config in random_pairs(n, seed, mode):
        if int(exact_pairs([config], [layer])[0, 0]) != 0:
            continue
        certified += 1
        a = simulate(config, [layer])["layers"][0]
        x = simulate(config, [layer], memory="replay")["layers"][0]
        off = _off(a, x)
        assert not off, f"{layer} on {config}: certified exact but analytic != replay on {off} (zero allowed)"
    assert certified >= share * n, f"{mode}: only {certified}/{n} random pairs certified (expected >= {share:.0%})"


def test_certified_random_calc_pairs_equal_the_replay():
    """120 random CALC pairs: every certified one exact; >= 85 % certified."""
    _check(120, 21, "CALC", 0.85)


def test_certified_random_user_pairs_equal_the_replay():
    """120 random USER pairs: every certified one exact; >= 60 % certified."""
    _check(120, 22, "USER", 0.60)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(30, 33))
def test_certified_many_random_pairs_equal_the_replay(seed):
    """3 x (600 CALC + 600 USER) more pairs."""
    _check(600, seed, "CALC", 0.85)
    _check(600, seed, "USER", 0.60)


def test_reasons_name_the_route():
    """A conv with overlapping windows whose ifmap far exceeds a 1 KiB SRAM is not certified, with
    the reason of its mode; a GEMM on ample SRAM is."""
    conv = Layer("c", 40, 40, 3, 3, 16, 8, 1)
    gemm = Layer.gemm("g", 16, 16, 16)
    calc = SystolicConfig(8, 8, "os", 1, 64, 64, bandwidth_mode="CALC")
    user = SystolicConfig(8, 8, "os", 1, 64, 64, bandwidth_mode="USER", bandwidth=4)
    codes = exact_pairs([calc, user], [conv, gemm])
    assert codes.tolist() == [[1, 0], [3, 0]]
