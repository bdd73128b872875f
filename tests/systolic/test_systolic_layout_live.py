"""SCALE-Sim 3.0's custom SRAM layouts against SCALE-Sim itself, run live (slow; the test extra installs ``scalesim``).

SCALE-Sim runs a cfg with ``IfmapCustomLayout``/``FilterCustomLayout`` and a layout CSV (``-l``);
archgym reads the same files (``read_config(cfg, layout=...)``) and ``simulate(..., memory="replay")``
must give every figure SCALE-Sim reports with **zero** differences: the whole COMPUTE_REPORT,
DETAILED_ACCESS_REPORT and BANDWIDTH_REPORT. Counts and cycles must be equal; the percentages and
bandwidths SCALE-Sim computes in floating point are compared to 1e-12 relative (float rounding only).

Cases: seeded random designs (array shape, SRAM sizes, DRAM and bank bandwidths, bank counts and
ports, layouts' factors and orders, filter offset, USER and CALC, all three dataflows, conv and GEMM
layers), and SCALE-Sim's shipped ``rebuttal_test_*`` and ``tpuv5e_downscale`` cfgs with its shipped
layouts on small topologies. SCALE-Sim 3.0 cannot read the shipped cfgs as they are (they lack
``UseRamulatorTrace``, the request-buffer sizes and, tpuv5e_downscale, the [sparsity] section, which
it reads unconditionally): it runs on a copy with ``UseRamulatorTrace: False``, 32-entry request
buffers (they only matter to Ramulator traces) and ``SparsitySupport : false`` added, while archgym
reads the unchanged file.

``python tests/systolic/test_systolic_layout_live.py --save`` re-measures the figures that
``test_systolic_layout.py`` checks without SCALE-Sim (``tests/reference/systolic_layout/``).
"""

from __future__ import annotations

import contextlib
import importlib.metadata as md
import io
import json
import math
import random
import sys
import tempfile
from pathlib import Path

import pytest

from archgym.simulators.systolic import Layer, simulate
from archgym.simulators.systolic.formats.scalesim import read_config, read_topology, write_topology
from archgym.simulators.systolic.validation.scalesim_runner import (
    BANDWIDTH_COLUMNS,
    COMPUTE_COLUMNS,
    DETAIL_COLUMNS,
    _report,
)

SHIPPED = Path(__file__).resolve().parents[1] / "reference" / "scalesim_v3"
FIGURES = Path(__file__).resolve().parents[1] / "reference" / "systolic_layout"
FLOATS = ("overall_util_pct", "mapping_eff_pct", "compute_util_pct") + BANDWIDTH_COLUMNS

CFG = """[general]
run_name = run

[architecture_presets]
ArrayHeight: {rows}
ArrayWidth: {cols}
IfmapSramSzkB: {kb[0]}
FilterSramSzkB: {kb[1]}
OfmapSramSzkB: {kb[2]}
IfmapOffset: 0
FilterOffset: {foff}
OfmapOffset: 20000000
Bandwidth : {bw}
Dataflow : {df}
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: {ic}
FilterCustomLayout: {fc}
IfmapSRAMBankBandwidth: {ibw}
IfmapSRAMBankNum: {ib}
IfmapSRAMBankPort: {ip}
FilterSRAMBankBandwidth: {fbw}
FilterSRAMBankNum: {fb}
FilterSRAMBankPort: {fp}

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 4
RandomNumberGeneratorSeed : 40

[run_presets]
InterfaceBandwidth: {mode}
UseRamulatorTrace: False
"""
HEADER = ("Layer name, IFMAP Height Intraline Factor, IFMAP Width Intraline Factor, Filter Height Intraline Factor, "
          "Filter Width Intraline Factor, Channel Intraline Factor, Num Filter Intraline Factor, IFMAP Height "
          "Intraline Order, IFMAP Width Intraline Order, Channel Intraline Order, IFMAP Height Interline Order, IFMAP "
          "Width Interline Order, Channel Interline Order, Num Filter Intraline Order, Channel Intraline Order, Filter "
          "Height Intraline Order, Filter Width Intraline Order, Num Filter Interline Order, Channel Interline Order, "
          "Filter Height Interline Order, Filter Width Interline Order,")


def run_scalesim_files(cfg: Path, topo: Path, layout: Path, work: Path) -> list[dict]:
    """SCALE-Sim 3.0 on a cfg, topology and layout file; its per-layer report rows. A cfg without the
    keys SCALE-Sim reads unconditionally (UseRamulatorTrace, the request buffers, [sparsity]) runs from a copy
    with them."""
    from scalesim.scale_sim import scalesim

    work.mkdir(parents=True, exist_ok=True)
    text = cfg.read_text()
    if "UseRamulatorTrace" not in text:
        text = text.replace("[run_presets]", "[run_presets]\nUseRamulatorTrace: False")
    if "ReadRequestBuffer" not in text:
        text = text.replace("Dataflow", "ReadRequestBuffer: 32\nWriteRequestBuffer: 32\nDataflow", 1)
    if "[sparsity]" not in text:
        text = text.replace("[run_presets]", "[sparsity]\nSparsitySupport : false\n\n[run_presets]")
    run_cfg = work / ("scalesim_" + cfg.name)
    run_cfg.write_text(text)
    gemm = topo.read_text().split(",")[1].strip().upper() == "M"
    with contextlib.redirect_stdout(io.StringIO()):
        sim = scalesim(save_disk_space=True, verbose=False, config=str(run_cfg), topology=str(topo), layout=str(layout),
                       input_type_gemm=gemm)
        sim.run_scale(top_path=str(work / "out"))
    (report,) = (work / "out").iterdir()
    rows = [{**c, **d, **b} for c, d, b in zip(_report(report / "COMPUTE_REPORT.csv", COMPUTE_COLUMNS),
                                               _report(report / "DETAILED_ACCESS_REPORT.csv", DETAIL_COLUMNS),
                                               _report(report / "BANDWIDTH_REPORT.csv", BANDWIDTH_COLUMNS))]
    for r in rows:
        r["compute_cycles"] = r["total_cycles"] - r["stall_cycles"]
    return rows


def differences(ref: list[dict], cfg: Path, topo: Path, layout: Path) -> list[str]:
    """Every figure where archgym's replay of the same files differs from SCALE-Sim's ``ref`` rows."""
    got = simulate(read_config(cfg, layout=layout).config, read_topology(topo), memory="replay")["layers"]
    assert len(got) == len(ref)
    bad = []
    for i, (r, g) in enumerate(zip(ref, got)):
        for k, v in r.items():
            same = math.isclose(g[k], v, rel_tol=1e-12) if k in FLOATS else g[k] == v
            if not same:
                bad.append(f"layer {i} {k}: model {g[k]} != SCALE-Sim {v}")
    return bad


def _factors(rng: random.Random, total: int, parts: int) -> list[int]:
    """``parts`` random factors whose product is ``total``."""
    out = []
    for _ in range(parts - 1):
        f = rng.choice([d for d in range(1, total + 1) if total % d == 0])
        out.append(f)
        total //= f
    out.append(total)
    rng.shuffle(out)
    return out


def random_case(rng: random.Random, large: bool = False) -> tuple[str, str, list[Layer]]:
    """A random design with custom layouts (cfg text), its layout CSV row and 1-2 small layers
    (``large``: bigger arrays, SRAMs, bank counts and layers)."""
    banks = [1, 2, 4, 8, 16, 32] if large else [1, 2, 4, 8]
    ib, fb = rng.choice(banks), rng.choice(banks)
    per_bank = [2, 4, 8, 16, 32] if large else [1, 2, 4, 8, 16]
    ibw, fbw = ib * rng.choice(per_bank), fb * rng.choice(per_bank)
    ic = rng.random() < 0.75
    fc = (not ic) or rng.random() < 0.5
    # the channel factor is shared: it divides the filter's bank bandwidth and fits the ifmap's
    c = rng.choice([d for d in range(1, min(fbw, ibw) + 1) if fbw % d == 0])
    k, r, s = _factors(rng, fbw // c, 3)  # the filter's factors multiply to its bank bandwidth exactly
    budget = ibw // c  # the ifmap's to at most its bank bandwidth
    x = rng.randint(1, budget)
    y = rng.randint(1, budget // x)
    iperm, fperm = rng.sample(range(6), 6), rng.sample(range(8), 8)
    row = ", ".join(str(v) for v in [x, y, r, s, c, k, *iperm[3:], *iperm[:3], *fperm[4:], *fperm[:4]])
    dims, kbs = ([8, 16, 32], [2, 4, 8, 16]) if large else ([2, 4, 8, 16], [1, 2])
    cfg = CFG.format(rows=rng.choice(dims), cols=rng.choice(dims), kb=[rng.choice(kbs) for _ in range(3)],
                     foff=rng.choice([0, 10000000, 123457]),
                     bw=rng.choice([2, 5, 10, 20]), df=rng.choice(["os", "ws", "is"]), ic=ic, fc=fc, ibw=ibw, ib=ib,
                     ip=rng.choice([1, 2, 3]), fbw=fbw, fb=fb, fp=rng.choice([1, 2, 3]),
                     mode="USER" if rng.random() < 0.85 else "CALC")
    big = 2 if large else 1  # SCALE-Sim takes minutes on a layer of ~10^4 ifmap words in a 2 KiB SRAM
    if rng.random() < 0.3:
        layers = [Layer.gemm("g0", rng.randint(1, 24 * big), rng.randint(1, 24 * big), rng.randint(1, 40 * big))]
    else:
        layers = []
        for i in range(rng.choice([1, 2])):
            f = rng.choice([1, 2, 3])
            size = rng.randint(f, 16 if large else 12)
            layers.append(Layer(f"c{i}", size, size, f, f, rng.randint(1, 9 * big), rng.randint(1, 20 * big),
                                rng.choice([1, 2])))
    return cfg, f"L0, {row},", layers


def write_case(work: Path, cfg: str, row: str, layers: list[Layer]) -> tuple[Path, Path, Path]:
    work.mkdir(parents=True, exist_ok=True)
    paths = work / "design.cfg", work / "topology.csv", work / "layout.csv"
    paths[0].write_text(cfg)
    write_topology(layers, paths[1])
    paths[2].write_text(HEADER + "\n" + row + "\n")
    return paths


#: SCALE-Sim's shipped cfgs with custom layouts, each with a shipped layout that SCALE-Sim accepts for it
SHIPPED_CASES = [(name, "conv_nets/test.csv") for name in (
    "rebuttal_test_os.cfg", "rebuttal_test_ws.cfg", "rebuttal_test_is.cfg", "rebuttal_test_os_high_bw.cfg",
    "rebuttal_test_ws_high_bw.cfg", "rebuttal_test_is_high_bw.cfg")] + [
    ("tpuv5e_downscale.cfg", "GEMM_mnk/vit_s_downscale_KM_KN.csv")]


def shipped_topology(work: Path, layout: str) -> Path:
    """A small topology for a shipped cfg: a GEMM for the GEMM layouts, else a 3x3 convolution."""
    work.mkdir(parents=True, exist_ok=True)
    topo = work / "topology.csv"
    if layout.startswith("GEMM"):
        topo.write_text("Layer,M,N,K,\nL0,49,128,160,\n")
    else:
        write_topology([Layer("c0", 14, 14, 3, 3, 32, 64, 1)], topo)
    return topo


pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@pytest.mark.parametrize("seed", range(200))
def test_random_layout_cases_match_scalesim(seed, tmp_path):
    """200 seeded random designs and layers (under a second each in SCALE-Sim): zero differences."""
    pytest.importorskip("scalesim")
    cfg, topo, layout = write_case(tmp_path, *random_case(random.Random(7000 + seed)))
    ref = run_scalesim_files(cfg, topo, layout, tmp_path / "scalesim")
    bad = differences(ref, cfg, topo, layout)
    assert not bad, f"seed {seed} (exact match required; floats 1e-12 relative): " + "; ".join(bad[:10])


@pytest.mark.parametrize("seed", range(20))
def test_random_large_layout_cases_match_scalesim(seed, tmp_path):
    """20 seeded random larger designs (arrays to 32x32, SRAMs to 16 KiB, up to 32 banks): zero differences."""
    pytest.importorskip("scalesim")
    cfg, topo, layout = write_case(tmp_path, *random_case(random.Random(9000 + seed), large=True))
    ref = run_scalesim_files(cfg, topo, layout, tmp_path / "scalesim")
    bad = differences(ref, cfg, topo, layout)
    assert not bad, f"large seed {seed} (exact match required; floats 1e-12 relative): " + "; ".join(bad[:10])


@pytest.mark.parametrize("name,layout", SHIPPED_CASES, ids=[c[0] for c in SHIPPED_CASES])
def test_shipped_layout_cfgs_match_scalesim(name, layout, tmp_path):
    pytest.importorskip("scalesim")
    cfg, lay = SHIPPED / "configs" / name, SHIPPED / "layouts" / layout
    topo = shipped_topology(tmp_path, layout)
    ref = run_scalesim_files(cfg, topo, lay, tmp_path / "scalesim")
    bad = differences(ref, cfg, topo, lay)
    assert not bad, f"{name} with {layout} (exact match required; floats 1e-12 relative): " + "; ".join(bad[:10])


def save_figures(seeds=range(4)) -> None:
    """Measure the committed figures of ``test_systolic_layout.py`` on live SCALE-Sim."""
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            cfg, row, layers = random_case(random.Random(7000 + seed))
            paths = write_case(Path(tmp) / str(seed), cfg, row, layers)
            ref = run_scalesim_files(*paths, Path(tmp) / str(seed) / "scalesim")
            cases.append({"seed": 7000 + seed, "cfg": cfg, "layout_row": row,
                          "topology": paths[1].read_text(), "scalesim_layers": ref})
        for name, layout in (SHIPPED_CASES[1], SHIPPED_CASES[-1]):
            work = Path(tmp) / name
            topo = shipped_topology(work, layout)
            ref = run_scalesim_files(SHIPPED / "configs" / name, topo, SHIPPED / "layouts" / layout, work / "scalesim")
            cases.append({"shipped_cfg": name, "shipped_layout": layout, "topology": topo.read_text(),
                          "scalesim_layers": ref})
    FIGURES.mkdir(parents=True, exist_ok=True)
    (FIGURES / "layout_cases.json").write_text(json.dumps(
        {"scalesim_version": md.version("scalesim"), "cases": cases}, indent=1) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["--save"]:
        save_figures()
    else:
        sys.exit("usage: python tests/systolic/test_systolic_layout_live.py --save")
