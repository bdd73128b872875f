"""One Timeloop-style evaluation: specification files in, per-level counts, cycles, utilisation, energy out.

``load_spec(paths)`` merges the files as Timeloop does (architecture, components, variables, problem,
mapping, constraints, mapper in any split); :func:`evaluate` runs :class:`.counts.NestAnalysis`
on the fixed mapping and returns a :class:`Result` whose ``counts[level][data space]`` holds
``reads``, ``fills``, ``updates``, ``utilized_capacity`` and ``partition_size`` per instance, as in
Timeloop's stats. Cycles: the MAC's temporal iterations, stretched by the worst level's bandwidth
shortfall (Timeloop's throttling: words per cycle per instance against ``read_bandwidth``,
``write_bandwidth``, ``shared_bandwidth``); utilisation: MACs / (cycles x MAC instances). Energy, when an Accelergy ERT is given, is
per action: reads at ``read`` energy, fills and updates at ``write``/``update`` energy, one ``compute``
per MAC -- each per word (the ERT's per-access energy divided by the block size, as Timeloop does).

:func:`read_stats` reads Timeloop's ``timeloop-model.stats.txt``/``timeloop-mapper.stats.txt`` back
(per level and data space ``reads``, ``fills``, ``updates``, ``utilized_capacity``, ``partition_size``,
``energy_pj``, per level ``area_um2`` of one instance and the MAC's ``area_total_um2``; the summary's cycles,
utilisation, energy and computes) for comparison.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from .constraints import check_mapping
from .counts import NestAnalysis
from .spec import (
    Hierarchy,
    LevelMapping,
    Problem,
    constraints_as_mapping,
    read_constraints,
    read_hierarchy,
    read_mapper,
    read_mapping,
    read_problem,
)
from .tagged_yaml import SpecError, load, load_merged

TOP_KEYS = {"architecture", "components", "compound_components", "variables", "problem", "mapping", "mapper",
            "mapspace_constraints", "constraints", "mapspace", "architecture_constraints", "globals", "sparse_optimizations",
            "architecture_extensions"}


@dataclass
class Spec:
    problem: Problem
    hierarchy: Hierarchy
    mapping: list | None
    constraints: list = field(default_factory=list)
    mapper: object = None
    source: str = ""


@dataclass
class Result:
    counts: dict  # level name -> data-space name -> {reads, fills, updates, utilized_capacity, partition_size}
    cycles: int
    utilization: float
    computes: int
    mac_instances_used: int
    energy_pj: dict | None = None  # level name -> pJ (None without an ERT); "total" key too
    level_cycles: dict = field(default_factory=dict)  # level (and MAC) name -> cycles after bandwidth throttling


def load_spec(paths, jinja_variables: dict | None = None) -> Spec:
    """Read and validate the specification files (a path or a list of paths); a mapping given with
    constraints is checked against them (:func:`.constraints.check_mapping`)."""
    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    data = load_merged(paths, jinja_variables)
    src = ", ".join(str(p) for p in paths)
    for k in data:
        if k not in TOP_KEYS:
            raise SpecError(f"{data.files[k]}: top-level key {k!r} is not known; allowed: {sorted(TOP_KEYS)}")
    if "sparse_optimizations" in data:
        raise SpecError(f"{data.files['sparse_optimizations']}: sparse_optimizations (Sparseloop) are not supported")
    problem = read_problem(data, src)
    hier = read_hierarchy(data, src, dict(zip(problem.dims, problem.bounds)))
    constraints = read_constraints(data, problem, hier, src)
    mapper = read_mapper(data, src) if "mapper" in data else None
    mapping = read_mapping(data, problem, hier, src) if "mapping" in data else None
    if mapping is not None and constraints:
        check_mapping(mapping, constraints, problem, hier)
    if mapping is None and constraints:
        mapping = constraints_as_mapping(constraints, problem, hier, src)
    return Spec(problem, hier, mapping, constraints, mapper, src)


def evaluate(spec: Spec, ert: dict | None = None, first_fill_elision: bool = True) -> Result:
    """Timeloop's counts for the spec's fixed mapping (an error if it has none). ``first_fill_elision``:
    False reproduces Timeloop as of 2020 (read-write fills not reduced by the partition size)."""
    if spec.mapping is None:
        raise SpecError(f"{spec.source}: no fixed mapping (a 'mapping' list, or constraints that pin every factor); "
                        f"a mapper run is needed")
    hier, problem = spec.hierarchy, spec.problem
    names = [d.name for d in problem.data_spaces]
    mapping: list[LevelMapping] = spec.mapping
    keeps = []
    for lv, lm in zip(reversed(hier.levels), reversed(mapping)):
        kept = lm.keep if lm.keep is not None else (frozenset() if lv.dummy else frozenset(names))
        if lv.dummy and kept:
            kept = frozenset()  # a spatial container's level holds nothing
        keeps.append([n in kept for n in names])
    outer_keep = keeps[-1]
    if not all(outer_keep):
        missing = [n for n, k in zip(names, outer_keep) if not k]
        raise SpecError(f"{spec.source}: the outermost level {hier.levels[0].name!r} must keep every data space "
                        f"(Timeloop's backing store); it bypasses {missing}")
    na = NestAnalysis(problem, hier, mapping)
    tiles = na.run(keeps, first_fill_elision)
    counts = {}
    for s, lv in enumerate(reversed(hier.levels)):
        if lv.dummy:
            continue
        counts[lv.name] = {}
        for ds, name in enumerate(names):
            if not keeps[s][ds]:
                continue
            t = tiles[s][ds]
            counts[lv.name][name] = {"reads": t.reads, "fills": t.fills, "updates": t.updates,
                                     "utilized_capacity": t.size, "partition_size": t.partition_size,
                                     "instances": t.replication_factor}
    for s, lv in enumerate(reversed(hier.levels)):
        if lv.size_words is not None:
            used = sum(tiles[s][ds].size for ds in range(len(names)) if keeps[s][ds])
            mb = lv.number("multiple_buffering", "multiple-buffering", default=1) or 1
            if used > lv.size_words / mb:
                raise SpecError(f"{lv.where}: the mapping's tiles need {used} words at {lv.name!r}, more than its "
                                f"{lv.size_words} (depth x block size)")
    compute_cycles = na.temporal_iterations
    level_cycles = {hier.compute.name: compute_cycles}
    for lv in hier.levels:
        if lv.name in counts:
            level_cycles[lv.name] = _throttled_cycles(lv, counts[lv.name], compute_cycles)
    cycles = max(level_cycles.values())
    used = na.spatial_instances
    util = problem.macs / (cycles * hier.compute.instances)
    res = Result(counts, cycles, util, problem.macs, used, level_cycles=level_cycles)
    if ert is not None:
        res.energy_pj = energy(res, hier, ert)
    return res


def _throttled_cycles(lv, tensors: dict, compute_cycles: int) -> int:
    """Timeloop's bandwidth check: words read (and written: fills + updates) per cycle per instance
    against ``read_bandwidth``/``write_bandwidth``/``shared_bandwidth``; the level slows the run down
    by the worst ratio."""
    rd = sum(c["reads"] for c in tensors.values()) / compute_cycles
    wr = sum(c["fills"] + c["updates"] for c in tensors.values()) / compute_cycles
    slow = 1.0
    for bw, need in ((lv.number("read_bandwidth"), rd), (lv.number("write_bandwidth"), wr),
                     (lv.number("shared_bandwidth"), rd + wr)):
        if bw is not None and bw < need:
            slow = min(slow, bw / need)
    return int(math.ceil(compute_cycles / slow))


def read_ert(path) -> dict:
    """Accelergy's ERT (``ERT: {tables: [{name, actions: [{name, energy}]}]}``): component -> action -> pJ."""
    data = load(path)
    ert = data.get("ERT")
    if not isinstance(ert, dict) or not isinstance(ert.get("tables"), list):
        raise SpecError(f"{path}: not an Accelergy ERT (expected ERT: {{tables: [...]}})")
    out = {}
    for t in ert["tables"]:
        name = re.sub(r"\[\d+\.\.\d+\]$", "", str(t.get("name", ""))).split(".")[-1]
        acts = {}
        for a in t.get("actions") or []:  # v0.3 ERTs list an action per argument set: Timeloop takes the random
            n = str(a.get("name"))        # (address and data change) one, the largest
            acts[n] = max(acts.get(n, 0.0), float(a.get("energy", 0.0)))
        out[name] = acts
    return out


def energy(res: Result, hier: Hierarchy, ert: dict) -> dict:
    """Energy per level in pJ from an ERT, as Timeloop charges it: per data space, each of reads, fills
    and updates in whole blocks (``ceil(words / block_size)`` vector accesses at the ERT's ``read``,
    ``write`` and ``update`` energies) on every utilised instance (per cluster in use where
    ``cluster_size`` > 1), plus ``leak`` per cycle and utilised instance;
    the MAC: one ``compute`` per MAC (no leakage, as in Timeloop's stats). ``"total"`` is the sum."""
    out = {}
    for lv in hier.levels:
        if lv.dummy or lv.name not in res.counts:
            continue
        acts = ert.get(lv.name)
        if acts is None:
            raise SpecError(f"ERT has no table for level {lv.name!r}; tables: {sorted(ert)}")
        rd = acts.get("read", 0.0)
        wr = acts.get("write", acts.get("update", rd))
        up = acts.get("update", wr)
        bs = lv.block_size
        cluster = int(lv.number("cluster_size", "cluster-size", default=1) or 1)
        total = 0.0
        used = 1  # Timeloop: leakage of max(1, utilised instances), each instance power-gated on its own
        for c in res.counts[lv.name].values():
            vec = math.ceil(c["reads"] / bs) * rd + math.ceil(c["fills"] / bs) * wr + math.ceil(c["updates"] / bs) * up
            # a cluster of instances shares one wide access: charge per cluster in use
            # (approximation: as many clusters as exist, at most one per utilised instance)
            payers = c["instances"] if cluster == 1 else min(c["instances"], max(1, lv.instances // cluster))
            total += vec * payers
            used = max(used, c["instances"])
        out[lv.name] = total + acts.get("leak", 0.0) * res.cycles * used  # leakage of the utilised instances
    acts = ert.get(hier.compute.name)
    if acts is None:
        raise SpecError(f"ERT has no table for the MAC {hier.compute.name!r}; tables: {sorted(ert)}")
    mac = acts.get("compute", acts.get("mac_random", 0.0))  # v0.3 ERTs name the MAC's action mac_random
    out[hier.compute.name] = res.computes * mac  # Timeloop charges no MAC leakage
    out["total"] = sum(out.values())
    return out


FIELDS = {
    "Scalar reads (per-instance)": "reads", "Scalar fills (per-instance)": "fills",
    "Scalar updates (per-instance)": "updates", "Utilized capacity": "utilized_capacity",
    "Partition size": "partition_size", "Energy (total)": "energy_pj", "Utilized instances (max)": "instances",
    "Temporal reductions (per-instance)": "temporal_reductions",
}
LEVEL_FIELDS = {"Cycles": "cycles", "Computes (total)": "computes", "Utilized instances": "instances",
                "Energy (total)": "energy_pj", "Vector access energy": "vector_access_energy_pj",
                "Word bits": "word_bits", "Block size": "block_size", "Size": "size", "Instances": "instances_spec",
                "Area": "area_um2", "Area (total)": "area_total_um2"}


@dataclass
class LevelStats:
    name: str
    values: dict = field(default_factory=dict)  # level-wide numbers
    tensors: dict = field(default_factory=dict)  # data space -> {field: number}


@dataclass
class Stats:
    levels: dict  # name -> LevelStats, innermost (the MAC) first
    cycles: int
    utilization: float
    energy_uj: float
    computes: int
    energy_pj: float  # from the fJ/Compute total (more digits than the summary's uJ)
    level_energy_pj: dict = field(default_factory=dict)  # level -> pJ, from the fJ/Compute lines
    topology_area_um2: float | None = None  # older Timeloop's "Total topology area" line (v0.4 prints none)


def _num(text: str) -> float:
    m = re.match(r"\s*([-+]?[0-9][0-9.]*(?:[eE][-+]?[0-9]+)?)", text)
    return float(m.group(1)) if m else float("nan")


def read_stats(path) -> Stats:
    """Parse one stats file; a file without the summary block is an error naming it."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as e:
        raise SpecError(f"{path}: cannot read: {e.strerror}") from None
    levels: dict[str, LevelStats] = {}
    cur: LevelStats | None = None
    tensor = None
    summary = {}
    per_level_fj = {}
    scale = 1.0  # to fJ per compute
    in_summary = False
    in_levels = True
    topology_area = None
    for line in lines:
        s = line.strip()
        if s.startswith("Total topology area:"):
            topology_area = _num(s.split(":", 1)[1])
        if s.startswith("Networks") or s.startswith("Operational Intensity Stats"):
            in_levels = False
            cur = None
        if s.startswith("Summary Stats"):
            in_summary = True
            continue
        m = re.fullmatch(r"=== (.+) ===", s)
        if m and in_levels:
            cur = levels.setdefault(m.group(1), LevelStats(m.group(1)))
            tensor = None
            continue
        if in_summary:
            if s in ("pJ/MACC", "pJ/Compute"):  # older Timeloop: per-MAC energies in pJ, not fJ
                scale = 1000.0
            m = re.match(r"(.+?)\s*=\s*([-+0-9.eE]+)$", s)
            if m and m.group(1) == "MACCs":
                summary.setdefault("Computes", m.group(2))
            elif m and m.group(1) == "Total" and "fJ_per_compute" not in summary:
                summary["fJ_per_compute"] = str(_num(m.group(2)) * scale)
            elif m and m.group(1) != "Computes" and "<==>" not in m.group(1) and "fJ_per_compute" not in summary:
                per_level_fj[m.group(1)] = _num(m.group(2)) * scale
            for key in ("Utilization", "Cycles", "Energy", "Computes"):
                if re.match(rf"{key}\s*[:=]", s) and key not in summary:
                    summary[key] = s.split(":" if ":" in s else "=", 1)[1]
            continue
        if cur is None:
            continue
        m = re.fullmatch(r"(Weights|Inputs|Outputs|[A-Za-z_][A-Za-z_0-9]*):", s)
        if m and line.startswith("    ") and not line.startswith("        "):
            tensor = m.group(1)
            cur.tensors.setdefault(tensor, {})
            continue
        if ":" not in s:
            continue
        key, val = (x.strip() for x in s.split(":", 1))
        if tensor is not None and line.startswith("        ") and key in FIELDS:
            cur.tensors[tensor][FIELDS[key]] = _num(val)
        elif key in LEVEL_FIELDS:
            if key in ("Cycles", "Energy (total)") or LEVEL_FIELDS[key] not in cur.values:
                cur.values[LEVEL_FIELDS[key]] = _num(val)
            tensor = None if key == "Cycles" else tensor
    if not {"Cycles", "Utilization", "Energy", "Computes"} <= set(summary):
        raise SpecError(f"{path}: no 'Summary Stats' block with Cycles, Utilization, Energy and Computes")
    computes = int(_num(summary["Computes"]))
    fj = _num(summary.get("fJ_per_compute", "nan"))
    util = _num(summary["Utilization"]) / (100.0 if "%" in summary["Utilization"] else 1.0)  # older: a fraction
    return Stats(levels, int(_num(summary["Cycles"])), util,
                 _num(summary["Energy"]), computes, fj * computes / 1000.0,
                 {k: v * computes / 1000.0 for k, v in per_level_fj.items()}, topology_area)

__all__ = ["Spec", "Result", "load_spec", "evaluate", "read_ert", "energy", "read_stats", "Stats", "LevelStats"]
