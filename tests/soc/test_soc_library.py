"""Block library and memory table against FARSI's parsed library (farsi_block_library.json)."""

from __future__ import annotations

import json

import pytest

from archgym import datasets
from archgym.simulators.soc.block_library import BlockLibrary, LibraryError, unroll_factors
from archgym.simulators.soc.memory_cost import MemoryCostTable, MemoryTableError
from archgym.simulators.soc.taskgraph import load_task_graph

from .conftest import REF_DIR, WORKLOADS

KIND = {"pe": "pe", "mem": "mem", "ic": "bus"}


@pytest.mark.parametrize("workload", WORKLOADS)
def test_library_reproduces_every_block_of_farsis_parsed_library(workload):
    ref = json.loads((REF_DIR / "farsi_block_library.json").read_text())[workload]["blocks"]
    g = load_task_graph(datasets.path("soc", f"{workload}.json"))
    lib = BlockLibrary.from_files(datasets.path("soc", "block_library.json"), datasets.path("soc", "memory_cacti.csv"), g)
    assert sorted(lib.names()) == sorted(b["library_name"] for b in ref)  # same 373 / 449 / 325 blocks, no others
    for b in ref:
        ours = lib[b["library_name"]]
        assert (ours.kind, ours.subtype) == (KIND[b["type"]], b["subtype"])
        assert ours.peak_rate == pytest.approx(b["peak_work_rate"], rel=1e-12)
        assert ours.clock_hz == b["clock_freq_hz"]
        if b["type"] == "pe":
            assert ours.inst_per_joule == pytest.approx(b["work_over_energy"], rel=1e-12)
            woa = 1.0 / ours.area_m2 if ours.subtype == "gpp" else ours.work_per_m2
            assert woa == pytest.approx(b["work_over_area"], rel=1e-12)
            assert ours.unroll == max(int(b["loop_itr_cnt"]), 1)
            assert (ours.task is None) == (ours.subtype == "gpp")
            assert all(ours.runs(t) for t in b["compatible_tasks"])
        else:
            assert ours.width_bytes == b["bus_width_bytes"]


def test_unroll_factors_follow_farsis_geometric_rule():
    assert unroll_factors(1) == [1]
    assert unroll_factors(151) == [1, 2, 4, 8, 16, 32, 64, 128, 151]
    assert unroll_factors(1024) == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
    assert unroll_factors(1638400) == [2 ** k for k in range(16)] + [1638400]  # at most 17 variants


def test_memory_table_gives_cacti_figures_scaled_as_farsi_does():
    g = load_task_graph(datasets.path("soc", "hpvm_cava.json"))
    lib = BlockLibrary.from_files(datasets.path("soc", "block_library.json"), datasets.path("soc", "memory_cacti.csv"), g)
    m = lib.memory
    # CACTI main memory of 1,024,000 bytes: read 0.0844496 nJ, write 8.2907 nJ per 16-byte access, 0.964677 mm^2
    c = m.lookup("dram", 1_000_000)
    assert c["size_bytes"] == 1_024_000
    assert c["read_J_per_byte"] == pytest.approx(0.0844496e-9 / 16 * 0.064)
    assert c["write_J_per_byte"] == pytest.approx(8.2907e-9 / 16 * 0.064)
    assert c["area_m2"] == pytest.approx(0.964677e-6 * 0.07)
    assert m.lookup("dram", 0)["size_bytes"] == 256_000 and m.lookup("sram", 10)["size_bytes"] == 256_000
    big = m.lookup("dram", 2 * 65_536_000)  # beyond the table: copies of the largest memory
    top = m.lookup("dram", 65_536_000)
    assert big["area_m2"] == pytest.approx(2 * top["area_m2"]) and big["read_J_per_byte"] == top["read_J_per_byte"]
    with pytest.raises(MemoryTableError, match="subtype 'flash'"):
        m.lookup("flash", 1)
    with pytest.raises(LibraryError, match="not in the library"):
        lib["GMEM_9_9_mem"]


def test_memory_table_errors_name_the_line(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("subtype,size_bytes,read_nJ,write_nJ,area_mm2,standby_leakage_mW_per_bank,banks\n"
                 "dram,256000,0.1,1,0.5,1,1\ndram,512001,0.1,1,0.5,1,1\n")
    with pytest.raises(MemoryTableError, match="line 3: size 512001"):
        MemoryCostTable.from_csv(p, 256000, 2048, 16, 0.064, 0.07)
    p.write_text("subtype,size_bytes\n")
    with pytest.raises(MemoryTableError, match="missing column"):
        MemoryCostTable.from_csv(p, 256000, 2048, 16, 0.064, 0.07)
