"""Shared helpers of the SoC tests: the shipped models and encodings, the 24 FARSI reference
designs of tests/reference/soc/, and unlimited-bandwidth block types for the sanity tests."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

from archgym import datasets
from archgym.simulators.soc.block_library import BlockLibrary, BlockType
from archgym.simulators.soc.limited_encoding import LimitedEncoding
from archgym.simulators.soc.model import SocModel, SocOptions
from archgym.simulators.soc.taskgraph import load_task_graph

REF_DIR = Path(__file__).resolve().parents[1] / "reference" / "soc"
WORKLOADS = ("audio_decoder", "edge_detection", "hpvm_cava")
GROUPS = ("pe_allocation", "mem_allocation", "bus_allocation", "pe_to_bus_connection", "bus_to_bus_connection",
          "bus_to_mem_connection", "task_to_pe_mapping", "task_to_mem_mapping")


def library(graph) -> BlockLibrary:
    lib = BlockLibrary.from_files(datasets.path("soc", "block_library.json"), datasets.path("soc", "memory_cacti.csv"),
                                  graph)
    # unlimited-bandwidth blocks for the sanity tests
    lib.blocks["inf_bus"] = BlockType("inf_bus", "bus", "ic", 1.0, math.inf)
    lib.blocks["inf_dram"] = BlockType("inf_dram", "mem", "dram", 1.0, math.inf)
    return lib


@functools.cache
def model(workload: str, early: float = 0.01, leakage: bool = False) -> SocModel:
    g = load_task_graph(datasets.path("soc", f"{workload}.json"))
    return SocModel(g, library(g), SocOptions(early_completion=early, include_leakage=leakage))


@functools.cache
def encoding(workload: str) -> LimitedEncoding:
    return LimitedEncoding.from_file(datasets.path("soc", "limited_encoding.json"), model(workload))


@functools.cache
def reference() -> dict:
    return json.loads((REF_DIR / "farsi_reference.json").read_text())


def reference_designs() -> list[dict]:
    return reference()["designs"]


def design_id(r: dict) -> str:
    return f"{r['workload']}-{r['design']}"


def spec_from_record(r: dict) -> dict:
    """The design FARSI simulated (its final hardware graph), as a design-spec dict."""
    links, seen = [], set()
    for b in r["blocks"]:
        for n in b["neighbours"]:
            k = frozenset((b["instance"], n))
            if k not in seen:
                seen.add(k)
                links.append([b["instance"], n])
    task_pe, task_mem = {}, {}
    for b in r["blocks"]:
        if b["type"] == "pe":
            task_pe.update({t: b["instance"] for t in b["tasks"]})
        if b["type"] == "mem":
            task_mem.update({t: b["instance"] for t in b["tasks_write"] or []})
    return {"blocks": {b["instance"]: b["library_name"] for b in r["blocks"]}, "links": links, "task_pe": task_pe,
            "task_memory": task_mem}


def action_vector(r: dict) -> list[int]:
    return sum((r["action"][g] for g in GROUPS), [])
