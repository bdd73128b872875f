"""The hardware block library: processing elements, memories and buses with their figures.

Built the way FARSI's database parser builds it (with ArchGym's FARSIEnv knobs), from the table
``block_library.json`` plus, for accelerators, the task graph's per-task figures:

- ``A53_pe``: the general-purpose core; runs every task at 2e9 instructions/s (1 GHz x dhrystone
  IPC 2), 47.0e9 instructions/J, 0.65 mm^2.
- ``<task>_IP0_<u>_<c>_pe``: an accelerator for one task, loop-unrolled ``u`` times, clocked at
  ``c`` x 100 MHz. Its rate is the task's work over its IP time (``ip_time_s`` at 100 MHz) times
  ``u * c``; its energy per instruction is the task's IP energy (fJ x 0.064) over its work, times
  ``u``; its area is the IP area (um^2 x 0.0374), times ``u``. Unroll factors are 1, 2, 4, ... below
  the task's ``iterations`` (at most 16 of them) and ``iterations`` itself.
- ``GMEM_<w>_<c>_mem`` (DRAM) and ``LMEM_<w>_<c>_mem`` (SRAM): ``4 * 2**w`` bytes wide at
  ``c`` x 100 MHz; energy and area from the CACTI table by capacity (:mod:`.memory_cost`).
- ``LMEM_ic_<w>_<c>_ic``: a bus, same widths and clocks; no area and no energy per byte (FARSI's
  choice when it uses CACTI, which models memories only); the table's ``area_m2`` and
  ``joule_per_byte`` give buses a cost if wanted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from ..textfile import decode_error
from .memory_cost import MemoryCostTable

KINDS = ("pe", "mem", "bus")


class LibraryError(ValueError):
    """An unknown block name or an unusable library file."""


@dataclass(frozen=True)
class BlockType:
    """One kind of block. Rates: instructions/s for PEs, bytes/s for memories and buses."""

    name: str
    kind: str
    subtype: str
    clock_hz: float
    peak_rate: float
    width_bytes: float = 0.0
    inst_per_joule: float = 0.0
    area_m2: float = 0.0
    work_per_m2: float = 0.0
    task: str | None = None
    unroll: int = 1
    joule_per_byte: float = 0.0
    leakage_W: float = 0.0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise LibraryError(f"block {self.name!r}: kind {self.kind!r}; allowed: {list(KINDS)}")
        if not self.peak_rate > 0 or (self.kind == "pe" and self.peak_rate == float("inf")):
            raise LibraryError(f"block {self.name!r}: peak_rate = {self.peak_rate!r}; allowed: > 0 (finite for a PE; "
                               f"a bus or memory may be unlimited, inf)")
        if self.kind == "pe" and not self.inst_per_joule > 0:
            raise LibraryError(f"block {self.name!r}: inst_per_joule = {self.inst_per_joule!r}; allowed: > 0")

    def runs(self, task: str) -> bool:
        """Whether this block can run ``task`` (general-purpose PEs run every task)."""
        return self.kind == "pe" and (self.task is None or self.task == task)


def unroll_factors(iterations: int, factor: int = 2, max_variants: int = 17) -> list[int]:
    """FARSI's geometric loop-unroll variants of an IP: 1, f, f^2, ... below ``iterations`` (at most
    ``max_variants - 1`` of them), then ``iterations``."""
    it = max(int(iterations), 1)
    out, u = [], 1
    while u < it and len(out) < max_variants - 1:
        out.append(u)
        u *= factor
    return out + [it]


class BlockLibrary:
    """Every block type available for one workload, by name."""

    def __init__(self, blocks: dict[str, BlockType], memory: MemoryCostTable, source: str = ""):
        self.blocks = dict(blocks)
        self.memory = memory
        self.source = source

    @classmethod
    def from_files(cls, library_json: str | Path, memory_csv: str | Path, workload: nx.DiGraph) -> BlockLibrary:
        p = Path(library_json)
        try:
            spec = json.loads(p.read_text())
        except FileNotFoundError:
            raise LibraryError(f"{p}: no such block-library file") from None
        except UnicodeDecodeError as e:
            raise LibraryError(f"{p}: {decode_error(e)}") from None
        except json.JSONDecodeError as e:
            raise LibraryError(f"{p}: line {e.lineno}: not valid JSON ({e.msg})") from None
        try:
            m = spec["memory"]
            memory = MemoryCostTable.from_csv(memory_csv, m["granule_bytes"], m["min_bytes"], m["cacti_bytes_per_access"],
                                              m["energy_scale"], m["area_scale"])
            blocks = _gpps(spec["gpp"])
            blocks.update(_ips(spec["ip"], workload))
            blocks.update(_memories(m))
            blocks.update(_buses(spec["bus"]))
        except KeyError as e:
            raise LibraryError(f"{p}: missing entry {e}") from None
        return cls(blocks, memory, source=str(p))

    def __getitem__(self, name: str) -> BlockType:
        try:
            return self.blocks[name]
        except KeyError:
            some = sorted(self.blocks)[:8]
            raise LibraryError(f"block type {name!r} is not in the library; allowed: {some} ... "
                               f"({len(self.blocks)} names, see BlockLibrary.names())") from None

    def __contains__(self, name: object) -> bool:
        return name in self.blocks

    def names(self, kind: str | None = None) -> list[str]:
        if kind is not None and kind not in KINDS:
            raise LibraryError(f"block kind {kind!r}; allowed: {list(KINDS)}")
        return [n for n, b in self.blocks.items() if kind is None or b.kind == kind]

    def ips_of(self, task: str) -> list[str]:
        """Accelerator block names that run ``task`` (all unroll and clock variants)."""
        return [n for n, b in self.blocks.items() if b.subtype == "ip" and b.task == task]


def _gpps(spec: dict) -> dict[str, BlockType]:
    out = {}
    for name, g in spec.items():
        out[name] = BlockType(name, "pe", "gpp", g["clock_hz"], g["clock_hz"] * g["dhrystone_ipc"],
                              inst_per_joule=g["inst_per_joule"], area_m2=g["area_m2"], leakage_W=g.get("leakage_W", 0.0))
    return out


def _ips(spec: dict, workload: nx.DiGraph) -> dict[str, BlockType]:
    out = {}
    for task, a in workload.nodes(data=True):
        t_ip = a.get("ip_time_s")
        work = float(a.get("work_instructions", 0.0))
        if not t_ip or work <= 0 or a.get("has_ip") is False:
            continue
        rate = work / t_ip
        ipj = work / (a["ip_energy_fJ"] * spec["energy_unit_J"] * spec["energy_scale"])
        wpa = work / (a["ip_area_um2"] * spec["area_unit_m2"] * spec["area_scale"])
        for u in unroll_factors(a.get("iterations") or 1, spec["unroll_factor"], spec["max_unroll_variants"]):
            for c in spec["clock_multipliers"]:
                name = f"{task}_IP0_{u}_{c}_pe"
                out[name] = BlockType(name, "pe", "ip", spec["base_clock_hz"] * c, rate * u * c, inst_per_joule=ipj / u,
                                      work_per_m2=wpa / u, task=task, unroll=u, leakage_W=spec.get("leakage_W", 0.0))
    return out


def _memories(spec: dict) -> dict[str, BlockType]:
    out = {}
    for sub in ("dram", "sram"):
        for w, width in enumerate(spec["widths_bytes"]):
            for c in spec["clock_multipliers"]:
                name = f"{spec[sub]['prefix']}_{w}_{c}_mem"
                clock = spec["base_clock_hz"] * c
                out[name] = BlockType(name, "mem", sub, clock, clock * width, width_bytes=width)
    return out


def _buses(spec: dict) -> dict[str, BlockType]:
    out = {}
    for w, width in enumerate(spec["widths_bytes"]):
        for c in spec["clock_multipliers"]:
            name = f"{spec['prefix']}_{w}_{c}_ic"
            clock = spec["base_clock_hz"] * c
            out[name] = BlockType(name, "bus", "ic", clock, clock * width, width_bytes=width, area_m2=spec["area_m2"],
                                  joule_per_byte=spec["joule_per_byte"], leakage_W=spec.get("leakage_W", 0.0))
    return out
