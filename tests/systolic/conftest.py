"""Shared helpers of the systolic tests: the 120 SCALE-Sim 3.0.0 reference runs of
tests/reference/systolic/ as (config, layer, reported figures), and the ``ref_row`` parameter
(a reference row with its ``_layer`` and ``_config`` built)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from archgym.simulators.systolic import Layer, SystolicConfig

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "systolic" / "scalesim_reference.csv"


def load_rows() -> list[dict]:
    with open(REFERENCE, newline="") as fh:
        return list(csv.DictReader(fh))


def row_layer(r: dict) -> Layer:
    if r["input_type"] == "gemm":
        return Layer.gemm(r["layer"], int(r["gemm_M"]), int(r["gemm_N"]), int(r["gemm_K"]))
    return Layer(r["layer"], int(r["ifmap_h"]), int(r["ifmap_w"]), int(r["filter_h"]), int(r["filter_w"]),
                 int(r["channels"]), int(r["num_filters"]), int(r["stride"]))


def row_config(r: dict) -> SystolicConfig:
    user = r["bw_mode"] == "USER"
    return SystolicConfig(
        array_rows=int(r["array_rows"]), array_cols=int(r["array_cols"]), dataflow=r["dataflow"],
        ifmap_sram_kb=int(r["ifmap_sram_kb"]), filter_sram_kb=int(r["filter_sram_kb"]),
        ofmap_sram_kb=int(r["ofmap_sram_kb"]), bandwidth_mode=r["bw_mode"],
        bandwidth=int(r["bandwidth"]) if user else 10,
        ifmap_bandwidth=int(r["ifmap_filter_dram_bw_user"]) if user else None,
        filter_bandwidth=int(r["ifmap_filter_dram_bw_user"]) if user else None,
    )


def row_id(r: dict) -> str:
    return f"{r['run_id']}-{r['layer']}-{r['array_rows']}x{r['array_cols']}-{r['dataflow']}-{r['bw_mode']}"


def pytest_generate_tests(metafunc):
    """Parametrise every test that asks for ``ref_row`` over the 120 reference runs."""
    if "ref_row" in metafunc.fixturenames:
        rows = [{**r, "_layer": row_layer(r), "_config": row_config(r)} for r in load_rows()]
        metafunc.parametrize("ref_row", rows, ids=[row_id(r) for r in rows])


@pytest.fixture(scope="session")
def reference_rows() -> list[dict]:
    """All 120 reference runs, each with its ``_layer`` and ``_config`` built."""
    return [{**r, "_layer": row_layer(r), "_config": row_config(r)} for r in load_rows()]
