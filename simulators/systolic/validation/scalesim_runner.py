"""Run the real SCALE-Sim 3.0 (PyPI ``scalesim``, optional) on a design and layers, read its reports.

Used by the comparison tests and the benchmark. SCALE-Sim needs a layout CSV even when custom
layouts are off (a header-only file is written), writes its reports under a run folder, and is run
with ``save_disk_space=True`` so that it writes no per-cycle traces. It crashes with numpy >= 2.4.
"""

from __future__ import annotations

import contextlib
import csv
import io
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from ..formats.scalesim import write_config, write_topology
from ..spec import Layer, SystolicConfig

COMPUTE_COLUMNS = ("total_cycles_incl_prefetch", "total_cycles", "stall_cycles", "overall_util_pct", "mapping_eff_pct",
                   "compute_util_pct")
DETAIL_COLUMNS = ("sram_ifmap_start_cycle", "sram_ifmap_stop_cycle", "sram_ifmap_reads", "sram_filter_start_cycle",
                  "sram_filter_stop_cycle", "sram_filter_reads", "sram_ofmap_start_cycle", "sram_ofmap_stop_cycle",
                  "sram_ofmap_writes", "dram_ifmap_start_cycle", "dram_ifmap_stop_cycle", "dram_ifmap_reads",
                  "dram_filter_start_cycle", "dram_filter_stop_cycle", "dram_filter_reads", "dram_ofmap_start_cycle",
                  "dram_ofmap_stop_cycle", "dram_ofmap_writes")


BANDWIDTH_COLUMNS = ("avg_ifmap_sram_bw", "avg_filter_sram_bw", "avg_ofmap_sram_bw", "avg_ifmap_dram_bw",
                     "avg_filter_dram_bw", "avg_ofmap_dram_bw")
SPARSE_BANDWIDTH_COLUMNS = BANDWIDTH_COLUMNS[:2] + ("avg_filter_metadata_sram_bw",) + BANDWIDTH_COLUMNS[2:]
SPARSE_COLUMNS = ("sparsity_representation", "original_filter_storage", "new_filter_storage", "filter_metadata_storage",
                  "avg_filter_metadata_sram_bw")


def _report(path: Path, names: Sequence[str]) -> list[dict]:
    rows = []
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            vals = [v.strip() for v in row if v.strip() != ""]
            if not vals:
                continue
            rows.append({n: (v if n == "sparsity_representation" else float(v)) for n, v in zip(names, vals[1:])})
    return rows


def run_scalesim(config: SystolicConfig, layers: Sequence[Layer], workdir: str | Path | None = None) -> dict:
    """Per-layer SCALE-Sim figures (``layers``: list of dicts with the names of
    :data:`COMPUTE_COLUMNS`, :data:`DETAIL_COLUMNS`, :data:`BANDWIDTH_COLUMNS`, and :data:`SPARSE_COLUMNS` when the design has
    sparsity support; ``compute_cycles`` added) and ``seconds``.

    Layers with ``repeat > 1`` are written out as that many rows (as SCALE-Sim would run them).
    """
    from scalesim.scale_sim import scalesim  # optional dependency (the test extra)

    if config.word_size_bytes != 1:
        raise ValueError("SCALE-Sim fixes word_size_bytes = 1")
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="scalesim-"))
        work = Path(workdir)
        work.mkdir(parents=True, exist_ok=True)
        cfg, topo, layout = work / "design.cfg", work / "topology.csv", work / "layout.csv"
        write_config(config, cfg, run_name="run")
        write_topology(list(layers), topo)
        gemm = all(l.kind == "gemm" for l in layers)
        layout.write_text("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n")
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            sim = scalesim(save_disk_space=True, verbose=False, config=str(cfg), topology=str(topo),
                           layout=str(layout), input_type_gemm=gemm)
            sim.run_scale(top_path=str(work / "out"))
        seconds = time.perf_counter() - t0
        report = work / "out" / "run"
        comp = _report(report / "COMPUTE_REPORT.csv", COMPUTE_COLUMNS)
        det = _report(report / "DETAILED_ACCESS_REPORT.csv", DETAIL_COLUMNS)
        sparse = _report(report / "SPARSE_REPORT.csv", SPARSE_COLUMNS) if config.sparsity_support else [{}] * len(comp)
        bw = _report(report / "BANDWIDTH_REPORT.csv",
                     SPARSE_BANDWIDTH_COLUMNS if config.sparsity_support else BANDWIDTH_COLUMNS)
    out = []
    for c, d, sp, b in zip(comp, det, sparse, bw):
        row = {**c, **d, **b, **sp}
        row["compute_cycles"] = row["total_cycles"] - row["stall_cycles"]
        out.append(row)
    return {"layers": out, "seconds": seconds}
