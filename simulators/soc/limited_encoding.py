"""ArchGym's "limited" FARSI design space, decoded to designs and evaluated in batches.

One design is the flat vector ArchGym's FARSIEnv takes, field by field:

==================  =======================  ===========================================
field               values                   meaning
==================  =======================  ===========================================
``pe_<i>``          2 PE types               PE slot i: the A53 or the one accelerator
                                             FARSI's table names second (IP0_1_1 of one task)
``mem_<i>``         4 memory types           memory slot i: DRAM at x1, x4, x6, x8 clock
``bus_<i>``         4 bus types              bus slot i: 4-byte bus at x1, x4, x6, x8 clock
``pe_<i>_bus``      0 .. 2                   the bus PE i sits on
``bus_<i>_link``    -1 .. 2                  a bus that bus i links to (-1 or i: none)
``bus_<i>_mem``     -1 .. 2                  the memory bus i holds (-1: none)
``<task>_pe``       0 .. 2                   PE slot that runs the task
``<task>_mem``      0 .. 2                   memory slot that holds the task's output
==================  =======================  ===========================================

All slots are allocated (ArchGym's lower bound 0), but a block no task-running PE reaches is not
part of the design. Every value up to each upper bound is reachable here (ArchGym's own sampler
drew with ``range(lb, ub)`` and so never used slot 2 or the last type). A bus linked to itself
counts as no link (ArchGym's FARSIEnv.step handed such a link to FARSI, where it changes no route;
only its random sampler's system check refused it). Designs that cannot run -- a memory on two
buses, a task on an accelerator for another task, a PE that cannot reach a memory it reads or
writes -- are reported with the reason, never simulated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping as TMapping
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit

from .evaluate import evaluate_design
from .hardware import Hardware, SocInfeasible
from .mapping import Mapping
from .model import SocModel, SocResult
from .scheduler import OK, READ_UNREACHABLE, WRITE_UNREACHABLE

MEM_MULTI_BUS = 11   # a: memory slot
IP_MISMATCH = 12     # a: task, b: PE slot

SLOTS = 3
GROUPS = ("pe_allocation", "mem_allocation", "bus_allocation", "pe_to_bus_connection", "bus_to_bus_connection",
          "bus_to_mem_connection", "task_to_pe_mapping", "task_to_mem_mapping")


class EncodingError(ValueError):
    """A design vector or table that does not fit the limited encoding."""


@dataclass(frozen=True)
class Field:
    """One entry of the encoding: its name, ArchGym's group, and its allowed values."""

    name: str
    group: str
    values: tuple


class LimitedEncoding:
    """The limited space of one workload (its SoC model), with a Python and a batched decoder."""

    def __init__(self, model: SocModel, tasks: Sequence[str], pe_types: Sequence[str], mem_types: Sequence[str],
                 bus_types: Sequence[str]):
        self.model = model
        lib = model.library
        if list(tasks) != list(model.arrays.names):
            raise EncodingError(f"encoding task order {list(tasks)} differs from the workload's {list(model.arrays.names)}")
        for names, kind in ((pe_types, "pe"), (mem_types, "mem"), (bus_types, "bus")):
            for n in names:
                if lib[n].kind != kind:
                    raise EncodingError(f"{n!r} is a {lib[n].kind}, listed as a {kind} type")
        self.tasks = tuple(tasks)
        self.pe_types, self.mem_types, self.bus_types = tuple(pe_types), tuple(mem_types), tuple(bus_types)
        slot = tuple(range(SLOTS))
        f = [Field(f"pe_{i}", GROUPS[0], self.pe_types) for i in range(SLOTS)]
        f += [Field(f"mem_{i}", GROUPS[1], self.mem_types) for i in range(SLOTS)]
        f += [Field(f"bus_{i}", GROUPS[2], self.bus_types) for i in range(SLOTS)]
        f += [Field(f"pe_{i}_bus", GROUPS[3], slot) for i in range(SLOTS)]
        f += [Field(f"bus_{i}_link", GROUPS[4], (-1,) + slot) for i in range(SLOTS)]
        f += [Field(f"bus_{i}_mem", GROUPS[5], (-1,) + slot) for i in range(SLOTS)]
        f += [Field(f"{t}_pe", GROUPS[6], slot) for t in self.tasks]
        f += [Field(f"{t}_mem", GROUPS[7], slot) for t in self.tasks]
        self.fields = tuple(f)
        self._type_arrays = self._types()

    @classmethod
    def from_file(cls, path: str | Path, model: SocModel) -> LimitedEncoding:
        p = Path(path)
        spec = json.loads(p.read_text())
        try:
            w = spec["workloads"][model.name]
        except KeyError:
            raise EncodingError(f"{p}: no limited encoding for workload {model.name!r}; "
                                f"allowed: {sorted(spec.get('workloads', {}))}") from None
        return cls(model, w["tasks"], w["pe_types"], w["mem_types"], w["bus_types"])

    # -- designs -----------------------------------------------------------------------------
    @property
    def baseline(self) -> dict:
        """FARSI's initial design: every task on one A53 and one DRAM behind one bus (x1 clocks)."""
        d = {f.name: f.values[0] for f in self.fields[:9]}
        d.update({f"pe_{i}_bus": 0 for i in range(SLOTS)})
        d.update({f"bus_{i}_link": -1 for i in range(SLOTS)})
        d.update({f"bus_{i}_mem": 0 if i == 0 else -1 for i in range(SLOTS)})
        d.update({f"{t}_pe": 0 for t in self.tasks})
        d.update({f"{t}_mem": 0 for t in self.tasks})
        return d

    def row(self, design: TMapping[str, Any]) -> np.ndarray:
        """A design as its flat ArchGym vector (type indices for allocations, slots otherwise)."""
        out = np.empty(len(self.fields), dtype=np.int64)
        for k, f in enumerate(self.fields):
            if f.name not in design:
                raise EncodingError(f"design has no value for field {f.name!r}")
            v = design[f.name]
            try:
                out[k] = f.values.index(v) if k < 3 * SLOTS else f.values[f.values.index(int(v))]
            except (ValueError, TypeError):
                raise EncodingError(f"field {f.name!r}: value {v!r} is not allowed; allowed: {list(f.values)}") from None
        return out

    def design(self, row: Sequence[int]) -> dict:
        """Inverse of :meth:`row` (an ArchGym flat vector to a design)."""
        r = np.asarray(row, dtype=np.int64).reshape(-1)
        if r.shape[0] != len(self.fields):
            raise EncodingError(f"expected {len(self.fields)} values, got {r.shape[0]}")
        d = {}
        for k, (f, v) in enumerate(zip(self.fields, r)):
            if k < 3 * SLOTS:
                if not 0 <= v < len(f.values):
                    raise EncodingError(f"field {f.name!r}: index {v} out of range 0..{len(f.values) - 1}")
                d[f.name] = f.values[v]
            else:
                if int(v) not in f.values:
                    raise EncodingError(f"field {f.name!r}: value {int(v)} is not allowed; allowed: {list(f.values)}")
                d[f.name] = int(v)
        return d

    def decode(self, design: TMapping[str, Any]) -> tuple[Hardware, Mapping]:
        """(Hardware, Mapping) of a design: instances ``pe_i``, ``mem_i``, ``bus_i`` linked in ArchGym's order."""
        r = self.row(design)
        hw = Hardware(self.model.library)
        for i in range(SLOTS):
            hw.add(f"pe_{i}", self.pe_types[r[i]])
        for i in range(SLOTS):
            hw.add(f"mem_{i}", self.mem_types[r[3 + i]])
        for i in range(SLOTS):
            hw.add(f"bus_{i}", self.bus_types[r[6 + i]])
        for i in range(SLOTS):
            hw.connect(f"pe_{i}", f"bus_{r[9 + i]}")
        for i in range(SLOTS):
            if r[12 + i] >= 0 and r[12 + i] != i:
                hw.connect(f"bus_{i}", f"bus_{r[12 + i]}")
        for i in range(SLOTS):
            if r[15 + i] >= 0:
                hw.connect(f"bus_{i}", f"mem_{r[15 + i]}")
        n = len(self.tasks)
        mp = Mapping({t: f"pe_{r[18 + k]}" for k, t in enumerate(self.tasks)},
                     {t: f"mem_{r[18 + n + k]}" for k, t in enumerate(self.tasks)})
        return hw, mp

    def sample_feasible(self, n: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """``n`` random designs (rows) that run: random types and topology (each memory on at most
        one bus), then every task on a PE of one connected group of buses that
        holds a memory (accelerators only for their own task), its output in one of that group's
        memories. Same seed, same rows."""
        rng = np.random.default_rng(seed)
        ip_task = self._type_arrays[4]
        n_t = len(self.tasks)
        out = np.empty((n, len(self.fields)), dtype=np.int64)
        k = 0
        while k < n:
            pe = rng.integers(len(self.pe_types), size=SLOTS)
            mem = rng.integers(len(self.mem_types), size=SLOTS)
            bus = rng.integers(len(self.bus_types), size=SLOTS)
            pe_bus = rng.integers(SLOTS, size=SLOTS)
            link = rng.integers(-1, SLOTS, size=SLOTS)
            bus_mem = rng.integers(-1, SLOTS, size=SLOTS)
            held = bus_mem[bus_mem >= 0]
            if len(held) != len(set(held.tolist())):
                continue
            group = list(range(SLOTS))  # union-find over buses

            def root(x, group=group):
                while group[x] != x:
                    x = group[x]
                return x

            for i in range(SLOTS):
                if link[i] >= 0 and link[i] != i:
                    group[root(i)] = root(int(link[i]))
            g = root(int(rng.integers(SLOTS)))
            pes = [s for s in range(SLOTS) if root(int(pe_bus[s])) == g]
            mems = [int(bus_mem[i]) for i in range(SLOTS) if bus_mem[i] >= 0 and root(i) == g]
            if not pes or not mems:
                continue
            task_pe = []
            for t in range(n_t):
                cand = [s for s in pes if ip_task[pe[s]] in (-1, t)]
                if not cand:
                    break
                task_pe.append(cand[int(rng.integers(len(cand)))])
            if len(task_pe) != n_t:
                continue
            task_mem = [mems[int(rng.integers(len(mems)))] for _ in range(n_t)]
            out[k] = np.concatenate([pe, mem, bus, pe_bus, link, bus_mem, task_pe, task_mem])
            k += 1
        return out

    def simulate(self, design: TMapping[str, Any]) -> SocResult:
        """Full result of one design (Python path); raises SocInfeasible with the reason."""
        hw, mp = self.decode(design)
        return self.model.simulate(hw, mp)

    # -- batched fast path -------------------------------------------------------------------
    def _types(self) -> tuple:
        lib = self.model.library
        pe = [lib[n] for n in self.pe_types]
        mem = [lib[n] for n in self.mem_types]
        bus = [lib[n] for n in self.bus_types]
        names = list(self.tasks)
        return (
            np.array([b.peak_rate for b in pe]), np.array([b.inst_per_joule for b in pe]),
            np.array([b.area_m2 for b in pe]), np.array([b.work_per_m2 for b in pe]),
            np.array([-1 if b.task is None else names.index(b.task) for b in pe], dtype=np.int64),
            np.array([b.leakage_W for b in pe]),
            np.array([b.peak_rate for b in mem]), np.array([0 if b.subtype == "dram" else 1 for b in mem], dtype=np.int64),
            np.array([b.peak_rate for b in bus]), np.array([b.area_m2 for b in bus]),
            np.array([b.joule_per_byte for b in bus]), np.array([b.leakage_W for b in bus]),
        )

    def evaluate_rows(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Metrics of many designs given as flat vectors (``row``); ``error`` 0 marks feasible ones."""
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        if rows.ndim != 2 or rows.shape[1] != len(self.fields):
            raise EncodingError(f"rows must have shape (n, {len(self.fields)}), got {rows.shape}")
        m = self.model
        o = m.options
        out = _evaluate_rows(rows, len(self.tasks), self._type_arrays, m._wl, m.arrays.last_task, m._mem,
                             o.early_completion, o.power_window_s, o.include_leakage)
        keys = ("error", "err_a", "err_b", "latency_s", "energy_J", "power_W", "area_m2", "area_dram_m2")
        return dict(zip(keys, out))

    def explain(self, error: int, a: int, b: int, row: Sequence[int]) -> str:
        """The reason a design cannot run (the same words as the Python path's SocInfeasible)."""
        r = np.asarray(row)
        n = len(self.tasks)
        if error == MEM_MULTI_BUS:
            buses = [f"bus_{i}" for i in range(SLOTS) if r[15 + i] == a]
            return f"memory 'mem_{a}' is on {len(buses)} buses {buses}; a memory sits on one bus"
        if error == IP_MISMATCH:
            ip = self.model.library[self.pe_types[r[b]]]
            return f"task {self.tasks[a]!r} is mapped to PE 'pe_{b}', a {ip.name} accelerator that only runs {ip.task!r}"
        if error == WRITE_UNREACHABLE:
            return (f"task {self.tasks[a]!r} on PE 'pe_{r[18 + a]}' cannot reach memory 'mem_{b - SLOTS}' "
                    f"that holds its output (no path of buses)")
        if error == READ_UNREACHABLE:
            wa = self.model.arrays
            p = int(wa.e_src[b])
            return (f"task {self.tasks[a]!r} on PE 'pe_{r[18 + a]}' cannot reach memory 'mem_{r[18 + n + p]}' that holds "
                    f"its input from {self.tasks[p]!r} (no path of buses)")
        return f"SoC core error code {error}"

    def infeasible(self, error: int, a: int, b: int, row: Sequence[int]) -> SocInfeasible:
        return SocInfeasible(self.explain(error, a, b, row))


@njit(cache=True)
def _connect(nbr, deg, a, b):
    for j in range(deg[a]):
        if nbr[a, j] == b:
            return
    nbr[a, deg[a]] = b
    deg[a] += 1
    nbr[b, deg[b]] = a
    deg[b] += 1


@njit(cache=True)
def _evaluate_rows(rows, n_t, types, wl, last_task, mem, early, pcp, include_leakage):
    (pe_peak, pe_ipj, pe_area, pe_wpa, pe_task, pe_leak, mem_peak, mem_sub, bus_peak, bus_area, bus_jpb, bus_leak) = types
    n = rows.shape[0]
    nb = 3 * SLOTS
    err = np.zeros(n, np.int64)
    ea = np.full(n, -1, np.int64)
    eb = np.full(n, -1, np.int64)
    lat = np.full(n, np.nan)
    energy = np.full(n, np.nan)
    power = np.full(n, np.nan)
    area = np.full(n, np.nan)
    a_dram = np.full(n, np.nan)
    kind = np.empty(nb, np.int64)
    for i in range(SLOTS):
        kind[i] = 0
        kind[SLOTS + i] = 2
        kind[2 * SLOTS + i] = 1
    for d in range(n):
        r = rows[d]
        peak = np.zeros(nb)
        ipj = np.ones(nb)
        fixed = np.zeros(nb)
        wpa = np.zeros(nb)
        sub = np.full(nb, -1, np.int64)
        jpb = np.zeros(nb)
        leak = np.zeros(nb)
        for i in range(SLOTS):
            k = r[i]
            peak[i], ipj[i], fixed[i], wpa[i], leak[i] = pe_peak[k], pe_ipj[k], pe_area[k], pe_wpa[k], pe_leak[k]
            k = r[SLOTS + i]
            peak[SLOTS + i], sub[SLOTS + i] = mem_peak[k], mem_sub[k]
            k = r[2 * SLOTS + i]
            b = 2 * SLOTS + i
            peak[b], fixed[b], jpb[b], leak[b] = bus_peak[k], bus_area[k], bus_jpb[k], bus_leak[k]
        nbr = np.full((nb, nb), -1, np.int64)
        deg = np.zeros(nb, np.int64)
        bad = OK
        for i in range(SLOTS):
            _connect(nbr, deg, i, 2 * SLOTS + r[9 + i])
        for i in range(SLOTS):
            j = r[12 + i]
            if j >= 0 and j != i:
                _connect(nbr, deg, 2 * SLOTS + i, 2 * SLOTS + j)
        for i in range(SLOTS):
            j = r[15 + i]
            if j >= 0:
                _connect(nbr, deg, 2 * SLOTS + i, SLOTS + j)
        for i in range(SLOTS):
            if deg[SLOTS + i] > 1:
                bad, ea[d] = MEM_MULTI_BUS, i
                break
        task_pe = np.empty(n_t, np.int64)
        task_mem = np.empty(n_t, np.int64)
        if bad == OK:
            for t in range(n_t):
                s = r[18 + t]
                task_pe[t] = s
                task_mem[t] = SLOTS + r[18 + n_t + t]
                if pe_task[r[s]] >= 0 and pe_task[r[s]] != t:
                    bad, ea[d], eb[d] = IP_MISMATCH, t, s
                    break
        if bad != OK:
            err[d] = bad
            continue
        hw = (kind, peak, ipj, fixed, wpa, sub, jpb, leak, nbr)
        res = evaluate_design(wl, last_task, hw, task_pe, task_mem, mem, early, pcp, include_leakage)
        err[d] = res[0]
        if res[0] != OK:
            ea[d] = res[1]
            eb[d] = res[2]
            continue
        scal = res[3]
        lat[d], energy[d], power[d], area[d], a_dram[d] = scal[0], scal[1], scal[2], scal[3], scal[4]
    return err, ea, eb, lat, energy, power, area, a_dram
