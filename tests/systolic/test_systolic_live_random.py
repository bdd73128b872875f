"""Seeded random cases against SCALE-Sim 3.0.0 itself (issue 15 item 1): arrays 2-40 (any aspect),
SRAMs 1-64 KiB, CALC and USER bandwidth (1-64 words/cycle), all three dataflows, convolutions
with overlapping windows (3x3, 5x5, strides 1-3, SCALE-Sim's ceil output size), 1x1s and GEMMs,
small enough that SCALE-Sim runs each in about a second. Zero allowed differences: integers equal,
percentages to 1e-9 relative.

The default run checks the committed live figures (tests/reference/systolic/live_random.csv, see
the README there); ``-m slow`` runs SCALE-Sim live on a second seeded set. Today the analytic path
is exact on the pairs ``exactness.exact_pairs`` certifies and on many others, not on all: the
all-pairs analytic test is a strict xfail until issue 15 item 1 is done (then drop the marker).

Regenerate the committed figures (about a minute)::

    .venv/bin/python tests/systolic/test_systolic_live_random.py
"""

from __future__ import annotations

import csv
import math
import random
import sys
from pathlib import Path

import pytest

from archgym.simulators.systolic import Layer, SystolicConfig, simulate, simulate_batch
from archgym.simulators.systolic.exactness import exact_pairs

FIGURES = ("total_cycles", "stall_cycles", "compute_cycles", "sram_ifmap_reads", "sram_filter_reads",
           "sram_ofmap_writes", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes", "overall_util_pct",
           "mapping_eff_pct", "compute_util_pct")
CASE_COLUMNS = ("case", "kind", "ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels", "num_filters", "stride",
                "gemm_m", "gemm_n", "gemm_k", "array_rows", "array_cols", "dataflow", "ifmap_sram_kb", "filter_sram_kb",
                "ofmap_sram_kb", "bandwidth_mode", "bandwidth")
LIVE = Path(__file__).resolve().parents[1] / "reference" / "systolic" / "live_random.csv"
COMMITTED_SEED, COMMITTED_N = 2026, 160
MAX_COMPUTE_CYCLES = 20000  # keeps one live SCALE-Sim run within a few seconds (160-240 us per cycle)


def _layer(rng: random.Random) -> Layer:
    u = rng.random()
    if u < 0.25:
        return Layer.gemm("gemm", rng.randint(1, 64), rng.randint(1, 64), rng.randint(1, 64))
    if u < 0.4:
        return Layer("conv1x1", rng.randint(1, 12), rng.randint(1, 12), 1, 1, rng.randint(1, 16), rng.randint(1, 32), 1)
    f = rng.choice((2, 3, 3, 5))
    s = rng.choice((1, 1, 2, 3))
    return Layer("conv", rng.randint(f, 16), rng.randint(f, 16), f, f, rng.randint(1, 8), rng.randint(1, 24), s)


def _config(rng: random.Random) -> SystolicConfig:
    kb = lambda: 2 ** rng.randint(0, 6)  # noqa: E731
    user = rng.random() < 0.6
    return SystolicConfig(rng.randint(2, 40), rng.randint(2, 40), rng.choice(("os", "ws", "is")), kb(), kb(), kb(),
                          bandwidth_mode="USER" if user else "CALC", bandwidth=2 ** rng.randint(0, 6) if user else 10)


def cases(seed: int, n: int) -> list[tuple[Layer, SystolicConfig]]:
    """``n`` seeded (layer, design) cases whose compute cycles stay within MAX_COMPUTE_CYCLES."""
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        layer, config = _layer(rng), _config(rng)
        cycles = simulate_batch([config], [layer], per_layer=True)["layers"]["compute_cycles"][0, 0]
        if cycles <= MAX_COMPUTE_CYCLES:
            out.append((layer, config))
    return out


def _off(got: dict, ref: dict) -> tuple:
    return tuple(k for k in FIGURES if not math.isclose(float(got[k]), float(ref[k]), rel_tol=1e-9, abs_tol=1e-9))


def _where(layer: Layer, config: SystolicConfig) -> str:
    return (f"{layer} on {config.array_rows}x{config.array_cols} {config.dataflow} SRAM {config.ifmap_sram_kb}/"
            f"{config.filter_sram_kb}/{config.ofmap_sram_kb} KiB {config.bandwidth_mode} bw {config.bandwidth}")


def _row_case(r: dict) -> tuple[Layer, SystolicConfig]:
    if r["kind"] == "gemm":
        layer = Layer.gemm("gemm", int(r["gemm_m"]), int(r["gemm_n"]), int(r["gemm_k"]))
    else:
        layer = Layer(r["kind"], *(int(r[k]) for k in ("ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels",
                                                        "num_filters", "stride")))
    config = SystolicConfig(int(r["array_rows"]), int(r["array_cols"]), r["dataflow"], int(r["ifmap_sram_kb"]),
                            int(r["filter_sram_kb"]), int(r["ofmap_sram_kb"]), bandwidth_mode=r["bandwidth_mode"],
                            bandwidth=int(r["bandwidth"]))
    return layer, config


def _committed() -> list[tuple[Layer, SystolicConfig, dict]]:
    with open(LIVE, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [(*_row_case(r), r) for r in rows]


def test_committed_cases_are_the_seeded_ones():
    """The committed file holds exactly cases(COMMITTED_SEED, COMMITTED_N), in order."""
    got = [(layer, config) for layer, config, _ in _committed()]
    want = [(_row_case(_case_row(i, layer, config))) for i, (layer, config) in
            enumerate(cases(COMMITTED_SEED, COMMITTED_N))]
    assert got == want


def test_replay_equals_committed_live_figures():
    """The exact replay gives SCALE-Sim's every figure on all committed cases (zero differences)."""
    for layer, config, ref in _committed():
        off = _off(simulate(config, [layer], memory="replay")["layers"][0], ref)
        assert not off, f"{_where(layer, config)}: replay != SCALE-Sim on {off} (zero allowed)"


def test_certified_analytic_equals_committed_live_figures():
    """Where exactness.exact_pairs certifies the analytic path, it gives SCALE-Sim's every figure."""
    n = 0
    for layer, config, ref in _committed():
        if int(exact_pairs([config], [layer])[0, 0]) == 0:
            n += 1
            off = _off(simulate(config, [layer])["layers"][0], ref)
            assert not off, f"{_where(layer, config)}: certified analytic != SCALE-Sim on {off} (zero allowed)"
    assert n >= COMMITTED_N // 2, f"only {n}/{COMMITTED_N} committed cases certified (expected >= half)"


def _analytic_differences(triples) -> list[str]:
    return [f"{_where(layer, config)}: {off}" for layer, config, ref in triples
            if (off := _off(simulate(config, [layer])["layers"][0], ref))]


@pytest.mark.xfail(strict=True, reason="issue 15 item 1 not done: overlapping-window ifmaps (USER: hits at other "
                                       "copies; CALC: epoch re-use estimate) and the USER event budget")
def test_analytic_equals_committed_live_figures_everywhere():
    """The analytic path (the environment's) gives SCALE-Sim's every figure on every committed case."""
    bad = _analytic_differences(_committed())
    assert not bad, f"{len(bad)}/{COMMITTED_N} cases differ from SCALE-Sim (zero allowed):\n" + "\n".join(bad)


def _live(seed: int, n: int):
    pytest.importorskip("scalesim")
    from archgym.simulators.systolic.validation.scalesim_runner import run_scalesim
    return [(layer, config, run_scalesim(config, [layer])["layers"][0]) for layer, config in cases(seed, n)]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_live_random_replay_and_certified_analytic():
    """40 more live cases (seed 7): the replay always, the analytic path where certified, exact."""
    for layer, config, ref in _live(7, 40):
        off = _off(simulate(config, [layer], memory="replay")["layers"][0], ref)
        assert not off, f"{_where(layer, config)}: replay != SCALE-Sim on {off} (zero allowed)"
        if int(exact_pairs([config], [layer])[0, 0]) == 0:
            off = _off(simulate(config, [layer])["layers"][0], ref)
            assert not off, f"{_where(layer, config)}: certified analytic != SCALE-Sim on {off} (zero allowed)"


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.xfail(strict=True, reason="issue 15 item 1 not done (see the committed-figures test)")
def test_live_random_analytic_everywhere():
    """40 live cases (seed 8): the analytic path exact on every figure of every case."""
    bad = _analytic_differences(_live(8, 40))
    assert not bad, f"{len(bad)}/40 cases differ from SCALE-Sim (zero allowed):\n" + "\n".join(bad)


def _case_row(i: int, layer: Layer, config: SystolicConfig) -> dict:
    return {"case": i, "kind": layer.kind if layer.kind == "gemm" else layer.name, "ifmap_h": layer.ifmap_h,
            "ifmap_w": layer.ifmap_w, "filter_h": layer.filter_h, "filter_w": layer.filter_w,
            "channels": layer.channels, "num_filters": layer.num_filters, "stride": layer.stride_h,
            "gemm_m": layer.gemm_m, "gemm_n": layer.gemm_n, "gemm_k": layer.gemm_k, "array_rows": config.array_rows,
            "array_cols": config.array_cols, "dataflow": config.dataflow, "ifmap_sram_kb": config.ifmap_sram_kb,
            "filter_sram_kb": config.filter_sram_kb, "ofmap_sram_kb": config.ofmap_sram_kb,
            "bandwidth_mode": config.bandwidth_mode, "bandwidth": config.bandwidth}


def regenerate() -> None:
    """Run SCALE-Sim on cases(COMMITTED_SEED, COMMITTED_N) and write LIVE (inputs, then its figures)."""
    from archgym.simulators.systolic.validation.scalesim_runner import run_scalesim
    rows = []
    for i, (layer, config) in enumerate(cases(COMMITTED_SEED, COMMITTED_N)):
        live = run_scalesim(config, [layer])
        ref = live["layers"][0]
        rows.append({**_case_row(i, layer, config), **{k: ref[k] for k in FIGURES}, "scalesim_s": round(live["seconds"], 3)})
        print(i, _where(layer, config), f"{live['seconds']:.2f} s", flush=True)
    with open(LIVE, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    regenerate()
    sys.exit(0)
