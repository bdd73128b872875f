"""N:M sparse layers against SCALE-Sim 3.0 itself, run live (the test extra installs ``scalesim``).

SCALE-Sim runs with ``SparsitySupport: true`` (``OptimizedMapping: false``: each layer's own N:M
ratio from its topology row) and the model (``simulate``: sparse layers are always replayed
exactly; ``memory="replay"`` here so that the dense layers among them are too) must give
every figure SCALE-Sim reports for them with zero differences: the whole COMPUTE_REPORT (total
cycles with and without prefetch, stall cycles, the three utilisations), DETAILED_ACCESS_REPORT
(SRAM and DRAM start/stop cycles, reads and writes), BANDWIDTH_REPORT (incl. the filter-metadata
SRAM bandwidth) and SPARSE_REPORT (representation, original and new filter storage, metadata).
Percentages and the fractional figures SCALE-Sim computes in floating point are compared to 1e-12
relative (float rounding only); every count and cycle must be equal.

Both of SCALE-Sim's sparse mappings: each layer's own N:M ratio (``OptimizedMapping: false``, every
dataflow) and the optimized mapping (``OptimizedMapping: true``, weight-stationary: seeded random
kept weights per filter, two row tiles per fold), including SCALE-Sim's shipped ``sparsity.cfg``
on its shipped sparse topologies, run from the files themselves.

Default run: one small layer set on each dataflow in USER and CALC mode and each compression
format, the optimized mapping on three array/block shapes, the shipped files (about 15 s).
``-m slow`` adds seeded random sweeps: 36 per-layer-ratio cases and 30 optimized-mapping cases.
"""

import contextlib
import io
import math
import random
from pathlib import Path

import pytest

from archgym.simulators.systolic import Layer, SystolicConfig, simulate
from archgym.simulators.systolic.model import BANDWIDTH_FIELDS, TRACE_FIELDS

pytest.importorskip("scalesim")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # SCALE-Sim's own numpy idioms
from archgym.simulators.systolic.formats.scalesim import read_config, read_topology  # noqa: E402
from archgym.simulators.systolic.validation.scalesim_runner import (  # noqa: E402
    COMPUTE_COLUMNS,
    DETAIL_COLUMNS,
    SPARSE_BANDWIDTH_COLUMNS,
    SPARSE_COLUMNS,
    _report,
    run_scalesim,
)

SHIPPED = Path(__file__).resolve().parents[1] / "reference" / "scalesim_v3"

COUNTS = ("total_cycles", "stall_cycles", "compute_cycles", "sram_ifmap_reads", "sram_filter_reads",
          "sram_ofmap_writes", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes",
          "original_filter_storage") + TRACE_FIELDS
FLOATS = ("overall_util_pct", "mapping_eff_pct", "compute_util_pct", "new_filter_storage", "filter_metadata_storage",
          "avg_filter_metadata_sram_bw") + BANDWIDTH_FIELDS

LAYERS = [
    Layer("conv3x3_2of4", 12, 12, 3, 3, 8, 16, 1, sparsity_n=2, sparsity_m=4),
    Layer("conv1x1_1of3", 8, 8, 1, 1, 13, 10, 1, sparsity_n=1, sparsity_m=3),
    Layer("conv3x3_s2_2of3", 9, 9, 3, 3, 5, 7, 2, sparsity_n=2, sparsity_m=3),
    Layer("dense_3x3", 7, 7, 3, 3, 4, 6, 1),
    Layer.gemm("gemm_3of8", 10, 12, 30, sparsity=(3, 8)),
]


def _compare(config, layers, tmp_path, ref=None):
    ref = run_scalesim(config, layers, tmp_path)["layers"] if ref is None else ref
    got = simulate(config, layers, memory="replay")["layers"]
    assert len(ref) == len(layers) == len(got)
    for layer, r, g in zip(layers, ref, got):
        where = f"{layer.name} ({layer.sparsity_n}:{layer.sparsity_m}) on {config}"
        assert g["sparsity_representation"] == r["sparsity_representation"], where
        for k in COUNTS:
            assert g[k] == r[k], f"{where} {k}: model {g[k]} != SCALE-Sim {r[k]} (exact match required)"
        for k in FLOATS:
            assert math.isclose(g[k], r[k], rel_tol=1e-12), \
                f"{where} {k}: model {g[k]} != SCALE-Sim {r[k]} (1e-12 relative: float rounding only)"


@pytest.mark.parametrize("mode,bw,rep", [("USER", 10, "ellpack_block"), ("USER", 4, "csr"), ("CALC", 10, "csc")],
                         ids=["USER10-ellpack", "USER4-csr", "CALC-csc"])
@pytest.mark.parametrize("df", ["os", "ws", "is"])
def test_sparse_layers_match_scalesim(df, mode, bw, rep, tmp_path):
    config = SystolicConfig(8, 8, df, 1, 1, 1, bandwidth_mode=mode, bandwidth=bw, sparsity_support=True, sparse_rep=rep)
    _compare(config, LAYERS, tmp_path)


def _random_case(rng: random.Random):
    """A random design (array, SRAMs, bandwidth, dataflow, format) and three random sparse layers."""
    df = rng.choice(["os", "ws", "is"])
    mode = rng.choice(["CALC", "USER"])
    bw = rng.choice([2, 5, 10, 20])
    config = SystolicConfig(rng.choice([2, 4, 8, 16]), rng.choice([2, 4, 8, 16]), df, rng.choice([1, 2]),
                            rng.choice([1, 2]), rng.choice([1, 2]), bandwidth_mode=mode, bandwidth=bw,
                            sparsity_support=True, sparse_rep=rng.choice(["ellpack_block", "csr", "csc"]))
    layers = []
    for i in range(3):
        m = rng.randint(1, 8)
        n = rng.randint(1, m)
        if rng.random() < 0.3:
            layers.append(Layer.gemm(f"g{i}", rng.randint(1, 24), rng.randint(1, 24), rng.randint(1, 40), sparsity=(n, m)))
        else:
            f = rng.choice([1, 2, 3])
            size = rng.randint(f, 12)
            layers.append(Layer(f"c{i}", size, size, f, f, rng.randint(1, 9), rng.randint(1, 20), rng.choice([1, 2]),
                                sparsity_n=n, sparsity_m=m))
    if all(l.kind == "gemm" for l in layers) or not any(l.kind == "gemm" for l in layers):
        return config, layers
    return config, [l for l in layers if l.kind == "conv"]  # SCALE-Sim reads one topology format per run


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(36))
def test_random_sparse_cases_match_scalesim(seed, tmp_path):
    config, layers = _random_case(random.Random(1000 + seed))
    _compare(config, layers, tmp_path)


@pytest.mark.parametrize("mode,bw,rep", [("USER", 10, "ellpack_block"), ("USER", 4, "csr"), ("CALC", 10, "csc")],
                         ids=["USER10-ellpack", "USER4-csr", "CALC-csc"])
@pytest.mark.parametrize("rows,cols,block", [(8, 8, 4), (4, 8, 2), (8, 4, 8)], ids=["8x8-B4", "4x8-B2", "8x4-B8"])
def test_optimized_mapping_matches_scalesim(rows, cols, block, mode, bw, rep, tmp_path):
    config = SystolicConfig(rows, cols, "ws", 1, 1, 1, bandwidth_mode=mode, bandwidth=bw, sparsity_support=True,
                            sparse_rep=rep, optimized_mapping=True, block_size=block, sparsity_seed=40)
    _compare(config, LAYERS, tmp_path)


def _run_files(cfg: Path, topo: Path, work: Path) -> list[dict]:
    """SCALE-Sim on its own cfg and topology files, unchanged; its per-layer report rows."""
    from scalesim.scale_sim import scalesim

    layout = work / "layout.csv"
    layout.write_text("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n")
    gemm = topo.read_text().split(",")[1].strip().upper() == "M"
    with contextlib.redirect_stdout(io.StringIO()):
        sim = scalesim(save_disk_space=True, verbose=False, config=str(cfg), topology=str(topo), layout=str(layout),
                       input_type_gemm=gemm)
        sim.run_scale(top_path=str(work / "out"))
    (report,) = (work / "out").iterdir()
    rows = [{**c, **d, **b, **sp} for c, d, b, sp in zip(
        _report(report / "COMPUTE_REPORT.csv", COMPUTE_COLUMNS), _report(report / "DETAILED_ACCESS_REPORT.csv", DETAIL_COLUMNS),
        _report(report / "BANDWIDTH_REPORT.csv", SPARSE_BANDWIDTH_COLUMNS), _report(report / "SPARSE_REPORT.csv", SPARSE_COLUMNS))]
    for r in rows:
        r["compute_cycles"] = r["total_cycles"] - r["stall_cycles"]
    return rows


@pytest.mark.parametrize("topology", ["conv.csv", "gemm.csv"])
def test_shipped_sparsity_cfg_matches_scalesim(topology, tmp_path):
    """SCALE-Sim's configs/sparsity.cfg (128x128 ws, USER, optimized mapping, BlockSize 8) on its
    topologies/sparsity files, both read by archgym from the same files."""
    cfg, topo = SHIPPED / "configs" / "sparsity.cfg", SHIPPED / "topologies" / "sparsity" / topology
    ref = _run_files(cfg, topo, tmp_path)
    _compare(read_config(cfg).config, read_topology(topo), tmp_path, ref=ref)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(30))
def test_random_optimized_mapping_cases_match_scalesim(seed, tmp_path):
    rng = random.Random(5000 + seed)
    config, layers = _random_case(rng)
    rows = rng.choice([2, 4, 8, 16])
    block = rng.choice([b for b in (2, 4, 8, 16) if b <= rows and (2 * rows) % b == 0])
    config = SystolicConfig(rows, config.array_cols, "ws", config.ifmap_sram_kb, config.filter_sram_kb,
                            config.ofmap_sram_kb, bandwidth_mode=config.bandwidth_mode, bandwidth=config.bandwidth,
                            sparsity_support=True, sparse_rep=config.sparse_rep, optimized_mapping=True,
                            block_size=block, sparsity_seed=rng.randint(0, 1000))
    _compare(config, layers, tmp_path)
