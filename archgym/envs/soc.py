"""``archgym/SoC-v0``: design a custom SoC for an AR/VR task graph (ArchGym's FARSI case study).

An action is one design in ArchGym's "limited" FARSI encoding (:mod:`archgym.simulators.soc.
limited_encoding`): three PE slots (the A53 or one accelerator), three DRAM slots and three bus
slots (x1/x4/x6/x8 clocks), which bus each PE sits on, bus-to-bus links (a link to itself is none),
which memory each bus holds, and for every task the PE that runs it and the memory that holds its
output. 54 parameters
for ``audio_decoder`` (18 tasks), 34 for ``edge_detection`` (8), 36 for ``hpvm_cava`` (9). Every
slot and type is reachable (ArchGym's sampler never drew the upper bounds).

The simulator is the FARSI-style task-graph model (:mod:`archgym.simulators.soc`): it reproduces
FARSI's latency, power, area and energy on the 21 reference designs FARSI could run (exactly, to
rounding), in microseconds per design instead of FARSI's ~50 ms.

Metrics: ``latency_s`` (the workload's last task done), ``power_W`` (FARSI's system power: highest
~10 ms average), ``area_m2`` (PEs + memories; buses have none in FARSI's library), ``energy_J``,
``avg_power_W`` (energy / latency), ``area_dram_m2`` and ``area_logic_m2`` (the two parts FARSI
compares to the area budget). Observation: latency, power, area, energy.

Default targets are FARSI's budgets for the workload (``budgets.json``): latency 21 ms
(audio_decoder) or 34 ms, power 8.737 mW, area 17.475 mm^2. Default reward: ``"farsi"``, minus
FARSI's distance to budget (:class:`FarsiDistance`), so higher is better and 0 (to 1e-9) means
every budget is met; ``"target"``, ``"hinge"`` and ``"weighted"`` work as in every environment.
Infeasible designs (see the encoding module) get ``infeasible_reward`` (default -1e4, below any
feasible design's reward with the default budgets) and their reason in ``info["violation"]``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from archgym import datasets
from archgym.core.env import ArchGymEnv, BaselineTargets, InfeasibleDesign, Metric
from archgym.core.rewards import TargetReward
from archgym.core.spaces import Categorical, DesignSpace, Integer
from archgym.simulators.soc.block_library import BlockLibrary
from archgym.simulators.soc.hardware import SocInfeasible
from archgym.simulators.soc.limited_encoding import SLOTS, LimitedEncoding
from archgym.simulators.soc.model import MODEL_VERSION, SocModel, SocOptions, SocResult
from archgym.simulators.soc.repaired_encoding import explain as explain_unrepairable
from archgym.simulators.soc.repaired_encoding import repair_rows
from archgym.simulators.soc.taskgraph import TaskGraphError, load_task_graph

WORKLOADS = ("audio_decoder", "edge_detection", "hpvm_cava")

METRICS = (
    Metric("latency_s", "s", "min", "time until the workload's last task is done"),
    Metric("power_W", "W", "min", "FARSI's system power: the highest average over ~10 ms windows"),
    Metric("area_m2", "m^2", "min", "PEs plus memories (buses have no area in FARSI's library)"),
    Metric("energy_J", "J", "min", "PE instructions, memory reads and writes (CACTI), per workload run"),
    Metric("avg_power_W", "W", "min", "energy / latency"),
    Metric("area_dram_m2", "m^2", "min", "DRAM area"),
    Metric("area_logic_m2", "m^2", "min", "area of everything but DRAM"),
)
OBSERVED = ("latency_s", "power_W", "area_m2", "energy_J")


class FarsiDistance(TargetReward):
    """FARSI's distance to budget (``dist_to_goal`` in its "eliminate" mode), negated.

    For latency and power, ``(metric - budget) / budget`` when that is at least 0.001, else 1e-9 (a
    met budget); area counts twice, its DRAM part and the rest each against the area budget (FARSI's
    stacked-DRAM accounting; metrics ``area_dram_m2`` and ``area_logic_m2``). Reward = -(sum).
    ``target_met`` when every part is within 0.1 % of its budget, as FARSI's ``fits_budget``.
    """

    kind = "farsi"

    def _parts(self, metrics: Mapping[str, float]) -> list[float]:
        out = []
        for m, b in self.targets.items():
            if m == "area_m2" and "area_dram_m2" in metrics and "area_logic_m2" in metrics:
                vals = [float(metrics["area_logic_m2"]), float(metrics["area_dram_m2"])]
            else:
                vals = [float(metrics[m])]
            sign = 1.0 if self.senses[m] == "min" else -1.0
            out += [sign * (v - b) / abs(b) for v in vals]
        return out

    def _score(self, metrics):
        return -sum(d if d >= 0.001 else 1e-9 for d in self._parts(metrics))

    def target_met(self, metrics, feasible: bool = True) -> bool:
        return bool(feasible) and all(d < 0.001 for d in self._parts(metrics))

    def _terms(self, metrics):
        parts = self._parts(metrics)
        return (float(-sum(d if d >= 0.001 else 1e-9 for d in parts)), all(d < 0.001 for d in parts),
                self.objectives(metrics))


def budgets(workload: str) -> dict[str, float]:
    """FARSI's budgets of a shipped workload (latency, power, area) as targets."""
    b = json.loads(datasets.path("soc", "budgets.json").read_text())["per_workload"][workload]
    return {"latency_s": b["latency_s"], "power_W": b["power_W"], "area_m2": b["area_m2"]}


def load_model(workload: str | Path, options: SocOptions | None = None) -> tuple[str, SocModel, LimitedEncoding]:
    """(name, SoC model, limited encoding) of a shipped workload name or a node-link JSON path."""
    if isinstance(workload, str) and workload in WORKLOADS:
        path = datasets.path("soc", f"{workload}.json")
    else:
        path = Path(workload)
        if path.suffix.lower() != ".json" or not path.exists():
            raise ValueError(f"workload {str(workload)!r} is neither a shipped workload nor an existing JSON file; "
                             f"allowed: {list(WORKLOADS)} or a path to a node-link task graph")
    g = load_task_graph(path)
    lib = BlockLibrary.from_files(datasets.path("soc", "block_library.json"), datasets.path("soc", "memory_cacti.csv"), g)
    model = SocModel(g, lib, options)
    if isinstance(workload, str) and workload in WORKLOADS:
        enc = LimitedEncoding.from_file(datasets.path("soc", "limited_encoding.json"), model)
    else:
        enc = _custom_encoding(model)
    return model.name, model, enc


def _custom_encoding(model: SocModel) -> LimitedEncoding:
    """ArchGym's rule for a workload FARSI has no table for: A53 or the first task's IP0_1_1 (task order)."""
    lib = model.library
    ips = [n for t in model.arrays.names for n in lib.ips_of(t) if n.endswith("_IP0_1_1_pe")]
    mems = [f"GMEM_0_{c}_mem" for c in (1, 4, 6, 8)]
    buses = [f"LMEM_ic_0_{c}_ic" for c in (1, 4, 6, 8)]
    return LimitedEncoding(model, model.arrays.names, ["A53_pe"] + ips[:1], mems, buses)


def design_space(enc: LimitedEncoding) -> DesignSpace:
    params = []
    for f in enc.fields:
        if isinstance(f.values[0], str):
            params.append(Categorical(f.name, f.values))
        else:
            params.append(Integer(f.name, min(f.values), max(f.values)))
    return DesignSpace(params)


class SoCEnv(ArchGymEnv):
    """SoC design for one AR/VR workload (see the module docstring).

    ``workload``: ``audio_decoder`` (default), ``edge_detection``, ``hpvm_cava``, or a path to a
    node-link task graph (then targets default to FARSI's power and area budgets and the latency of
    the single-A53 baseline). ``include_leakage`` adds memory leakage (off in FARSI). Other keyword
    arguments are those of :class:`archgym.core.env.ArchGymEnv`; ``reward`` defaults to ``"farsi"``.
    """

    compiled_package = "archgym.simulators.soc"
    typical_compile_seconds = 13.0

    env_id = "archgym/SoC-v0"
    version = "0"
    simulator_version = f"soc-{MODEL_VERSION}"
    reward_kinds = {"farsi": FarsiDistance}

    def __init__(self, workload: str = "audio_decoder", reward="farsi", targets: Mapping[str, float] | None = None,
                 infeasible_reward: float = -1e4, include_leakage: bool = False, **kwargs):
        try:
            name, self.model, self.encoding = load_model(workload, SocOptions(include_leakage=bool(include_leakage)))
        except TaskGraphError as e:
            raise ValueError(str(e)) from None
        space = design_space(self.encoding)
        self._luts = [({v: i for i, v in enumerate(f.values)} if k < 3 * SLOTS else None)
                      for k, f in enumerate(self.encoding.fields)]
        self._names = [f.name for f in self.encoding.fields]
        if name in WORKLOADS and workload in WORKLOADS:
            default_targets: Mapping[str, float] | BaselineTargets = budgets(name)
        else:  # FARSI's power and area budgets, and the latency of the single-A53 baseline (on first use)
            allb = json.loads(datasets.path("soc", "budgets.json").read_text())["all_row"]
            default_targets = BaselineTargets({"latency_s": 1.0}, fixed={"power_W": allb["power"], "area_m2": allb["area"]})
        super().__init__(space, METRICS, workload=name, default_targets=default_targets, observation_metrics=OBSERVED,
                         reward=reward, targets=targets, infeasible_reward=infeasible_reward, **kwargs)

    @property
    def baseline_design(self) -> dict:
        """FARSI's initial design: every task on one A53 with one DRAM behind one bus."""
        return self.encoding.baseline

    def _rows(self, designs: Sequence[dict]) -> np.ndarray:
        """Designs (validated dicts) as encoding rows: column by column for batches, row by row for a few."""
        if len(designs) < 32:
            return np.array([[lut[d[n]] if lut is not None else d[n] for n, lut in zip(self._names, self._luts)]
                             for d in designs], dtype=np.int64)
        rows = np.empty((len(self._names), len(designs)), dtype=np.int64)
        for k, (n, lut) in enumerate(zip(self._names, self._luts)):
            rows[k] = [lut[d[n]] for d in designs] if lut is not None else [d[n] for d in designs]
        return rows.T

    def simulate(self, design: dict) -> dict:
        r = self.simulate_batch([design])[0]
        if isinstance(r, InfeasibleDesign):
            raise r
        return r

    def simulate_batch(self, designs: Sequence[dict]) -> list[dict | InfeasibleDesign]:
        if not designs:
            return []
        return self._evaluate_rows(self._rows(designs))

    def _evaluate_rows(self, rows: np.ndarray) -> list[dict | InfeasibleDesign]:
        out = self.encoding.evaluate_rows(rows)
        res: list[dict | InfeasibleDesign] = []
        err, lat, en, pw, ar, ad = (out[k].tolist() for k in ("error", "latency_s", "energy_J", "power_W", "area_m2",
                                                             "area_dram_m2"))
        for i in range(len(rows)):
            if err[i]:
                res.append(InfeasibleDesign(self.encoding.explain(err[i], int(out["err_a"][i]), int(out["err_b"][i]),
                                                                  rows[i])))
            else:
                res.append({"latency_s": lat[i], "power_W": pw[i], "area_m2": ar[i], "energy_J": en[i],
                            "avg_power_W": en[i] / lat[i] if lat[i] > 0 else math.inf, "area_dram_m2": ad[i],
                            "area_logic_m2": ar[i] - ad[i]})
        return res

    def result(self, design: Mapping) -> SocResult:
        """Full report of one design (task times, per-block energy, area, utilisation, bottleneck)."""
        d = self.design_space.validate(design)
        try:
            return self.encoding.simulate(d)
        except SocInfeasible as e:
            raise InfeasibleDesign(str(e)) from None


class SoCV1Env(SoCEnv):
    """``archgym/SoC-v1``: SoC-v0's space and model, each design read with three repair rules
    (:mod:`archgym.simulators.soc.repaired_encoding`), so that most random designs run.

    Measured on 2,000 uniformly random designs (seed 0): 56 % run on each workload (1,131 for
    ``audio_decoder``, 1,125 for ``edge_detection``, 1,123 for ``hpvm_cava``), against 13 of 3,000 in SoC-v0;
    their rewards spread (``audio_decoder``: best -2.31, 90th percentile -2.57, median -3.34; the best held by
    one design), so a search has a gradient to follow toward FARSI's budgets, which no random design meets. A repaired design is a v0
    design, so its metrics are v0's and FARSI's budgets remain the targets; designs that repair to the
    same system share one result (the cache key is the repaired design) and ``info["repaired_design"]``
    shows what was built. The rest stay infeasible with the reason (see the module of the rules).
    """

    env_id = "archgym/SoC-v1"
    version = "1"

    def _repaired(self, designs: Sequence[dict]):
        pairs, code, where = self._repairs(designs)
        return np.array([p[1] for p in pairs], dtype=np.int64).reshape(len(designs), -1), code, where

    def _repairs(self, designs: Sequence[dict]) -> tuple[list, np.ndarray, np.ndarray]:
        """``([(encoding row, repaired row)], code, where)`` of validated designs. A step needs a design's repair
        up to three times (cache key, simulation, ``info["repaired_design"]``): the repairs of the last call's
        designs are kept, each with a copy of its design, and reused for an equal design."""
        memo = self.__dict__.get("_repair_memo", {})
        got = [memo.get(id(d)) for d in designs]
        if all(g is not None and g[0] == d for g, d in zip(got, designs)):
            return ([g[1] for g in got], np.array([g[2] for g in got], dtype=np.int64),
                    np.array([g[3] for g in got], dtype=np.int64))
        before = SoCEnv._rows(self, designs)
        rows, code, where = repair_rows(self.encoding, before)
        pairs = list(zip(before, rows))
        self._repair_memo = {id(d): (dict(d), p, c, w) for d, p, c, w in zip(designs, pairs, code.tolist(),
                                                                              where.tolist())}
        return pairs, code, where

    def _design_of(self, design: dict, before: np.ndarray, after: np.ndarray) -> dict:
        """``self.encoding.design(after)`` of a repaired row, built from ``design`` (whose encoding row is
        ``before``) by reading from the row only the fields the repair changed."""
        fields = self.encoding.fields
        if self.__dict__.get("_ranges_exact") is None:  # every integer field's values are its space's range
            self._ranges_exact = all(tuple(f.values) == tuple(self.design_space[f.name].values)
                                     for f in fields[3 * SLOTS:])
        changed = np.flatnonzero(before != after).tolist()
        if not self._ranges_exact or any(k < 3 * SLOTS for k in changed):
            return self.encoding.design(after)  # (the repair rules change bus links and task fields only)
        out = dict(design)
        for k in changed:
            v = int(after[k])
            if v not in fields[k].values:
                return self.encoding.design(after)  # its error
            out[fields[k].name] = v
        return out

    def _repair(self, design: dict) -> tuple[np.ndarray, np.ndarray, int, int]:
        """``(encoding row, repaired row, code, where)`` of one validated design (through the kept repairs)."""
        g = self.__dict__.get("_repair_memo", {}).get(id(design))
        if g is not None and g[0] == design:
            return (*g[1], g[2], g[3])
        ((before, after),), code, where = self._repairs([design])
        return before, after, int(code[0]), int(where[0])

    def cache_key(self, design: dict):
        _, row, code, where = self._repair(design)
        return (code, where) if code else tuple(row.tolist())

    def repaired_design(self, design: dict) -> dict | None:
        """The v0 design that ``design`` builds, or None when it cannot be repaired."""
        return self._repaired_design_of(self.design_space.validate(design))

    def _repaired_design_of(self, design: dict) -> dict | None:
        before, after, code, _ = self._repair(design)
        return None if code else self._design_of(design, before, after)

    def simulate_batch(self, designs: Sequence[dict]) -> list[dict | InfeasibleDesign]:
        if not designs:
            return []
        pairs, code, where = self._repairs(designs)
        ok = np.flatnonzero(code == 0).tolist()
        if not ok and not self._warm:  # compile the model's kernels now, inside the first-use notice, not later
            SoCEnv.simulate_batch(self, [self.baseline_design])
        done = iter(self._evaluate_rows(np.array([pairs[i][1] for i in ok], dtype=np.int64))) if ok else iter(())
        return [next(done) if c == 0 else InfeasibleDesign(explain_unrepairable(self.encoding, int(c), int(w)))
                for c, w in zip(code.tolist(), where.tolist())]

    def _info(self, ev, target_met, objectives):
        out = super()._info(ev, target_met, objectives)
        out["repaired_design"] = self._repaired_design_of(ev.design) if ev.design else None
        return out

    def result(self, design: Mapping) -> SocResult:
        """Full report of the design ``design`` builds."""
        d = self.repaired_design(design)
        if d is None:
            rows, code, where = self._repaired([self.design_space.validate(design)])
            raise InfeasibleDesign(explain_unrepairable(self.encoding, int(code[0]), int(where[0])))
        return super().result(d)
