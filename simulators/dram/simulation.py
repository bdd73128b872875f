"""One DRAM channel simulation: memspec + mcconfig + address mapping + trace -> metrics.

>>> from archgym.simulators.dram.simulation import simulate
>>> out = simulate("memspec.json", {"PagePolicy": "Closed"}, "trace.stl")   # doctest: +SKIP
>>> out.metrics["total_cycles"], out.metrics["energy_pJ"]                   # doctest: +SKIP

Metric definitions follow DRAMSys: total time ends with the last response; read latency runs
from the request's BEGIN_REQ at the controller to its BEGIN_RESP (end of the data burst); the
row-hit rate is 1 - (requests that needed an ACT) / requests; energy and average power are
DRAMPower's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from . import controller as ctl
from .addressmap import AddressMapping, default_mapping, load_mapping, mapping_from_dict
from .mcconfig import McConfigError, load_mcconfig, resolve_mcconfig
from .memspec import MemSpec, load_memspec, memspec_from_dict
from .power import channel_energy
from .timing import ACT, COMMAND_NAMES, PDEA, PDEP, PRE, PREA, RD, RDA, REF, WR, WRA, constraint_arrays
from .traces import check_requests, read_stl

SIMULATOR_VERSION = "1.0"

#: output fields, in the order of the reference table
METRICS = ("total_cycles", "total_time_ns", "avg_read_latency_cycles", "p50_read_latency_cycles",
           "p95_read_latency_cycles", "p99_read_latency_cycles", "bandwidth_GBps", "row_hit_rate", "num_act",
           "num_pre", "num_prea", "num_rd_cmds", "num_wr_cmds", "num_rda_cmds", "num_wra_cmds", "num_ref",
           "num_pdn_cmds", "energy_pJ", "avg_power_mW")


@dataclass
class SimResult:
    """Metrics of one run, plus the issued commands and per-request times when asked for."""

    metrics: dict
    energy_breakdown: dict = field(default_factory=dict)
    commands: dict | None = None
    requests: dict | None = None


def _as_memspec(memspec: MemSpec | str | Path | Mapping[str, Any]) -> MemSpec:
    if isinstance(memspec, MemSpec):
        return memspec
    if isinstance(memspec, Mapping):
        return memspec_from_dict(memspec)
    return load_memspec(memspec)


def _as_mapping(mapping, spec: MemSpec) -> AddressMapping:
    if mapping is None:
        m = default_mapping(spec)
    elif isinstance(mapping, AddressMapping):
        m = mapping
    elif isinstance(mapping, Mapping):
        m = mapping_from_dict(mapping)
    else:
        m = load_mapping(mapping)
    m.check(spec)
    return m


def _as_mcconfig(mcconfig) -> dict:
    if mcconfig is None or isinstance(mcconfig, Mapping):
        return resolve_mcconfig(mcconfig)
    return load_mcconfig(mcconfig)


class PreparedChannel:
    """Memspec, mapping and decoded trace, ready to be simulated under many controller configurations."""

    def __init__(self, memspec, trace, addressmapping=None, *, player_clk_mhz: float | None = None):
        self.spec = _as_memspec(memspec)
        self.mapping = _as_mapping(addressmapping, self.spec)
        if isinstance(trace, np.ndarray):
            req = check_requests(trace)
        else:
            req = read_stl(trace, self.spec.bytes_per_burst)
        over = req["address"] >= np.uint64(self.spec.capacity_bytes)
        if np.any(over):
            i = int(np.argmax(over))
            raise ValueError(f"request {i} address 0x{int(req['address'][i]):x} is beyond the device capacity "
                             f"0x{self.spec.capacity_bytes:x} of {self.spec.memory_id}")
        cycles = req["cycle"].astype(np.int64)
        if player_clk_mhz is not None:
            # DRAMSys's player period (ps, rounded as SystemC does) aligned up to the controller clock
            period_ps = int(round(1e6 / player_clk_mhz))
            cycles = -((-cycles * period_ps) // self.spec.tck_ps)
        d = self.mapping.decode(req["address"], self.spec)
        self.n = req.shape[0]
        self.ts = np.ascontiguousarray(cycles)
        self.is_write = np.ascontiguousarray(req["write"].astype(np.bool_))
        self.addr = np.ascontiguousarray(req["address"].astype(np.int64))
        self.rank = np.ascontiguousarray(d["rank"])
        self.bank = np.ascontiguousarray(d["bank"])
        self.row = np.ascontiguousarray(d["row"])
        self.rule_idx, self.rules = constraint_arrays(self.spec)
        self.spec_vec = ctl.build_spec_vector(self.spec)

    def run(self, mcconfig=None, *, keep_commands: bool = False, keep_requests: bool = False) -> SimResult:
        mc = _as_mcconfig(mcconfig)
        if mc["RefreshPolicy"] in ("PerBank", "SameBank"):
            raise McConfigError(f"mcconfig: RefreshPolicy is {mc['RefreshPolicy']!r}; allowed for "
                                f"{self.spec.memory_type}: ['NoRefresh', 'AllBank'] ({mc['RefreshPolicy']} "
                                "refresh is not part of the DDR3/DDR4 standards)")
        cfg = ctl.build_config(mc)
        n = self.n
        req_begin = np.zeros(n, dtype=np.int64)
        req_accept = np.zeros(n, dtype=np.int64)
        resp_ctrl = np.zeros(n, dtype=np.int64)
        resp_init = np.zeros(n, dtype=np.int64)
        needed_act = np.zeros(n, dtype=np.bool_)
        cap = 4 * n + 64
        while True:
            cmd = {k: np.zeros(cap, dtype=np.int64) for k in ("t", "c", "b", "r", "q")}
            ncmd, end, status, _steps = ctl.run_channel(
                self.ts, self.is_write, self.addr, self.rank, self.bank, self.row, cfg, self.spec_vec,
                self.rule_idx, self.rules, ctl.buffer_capacity(cfg), req_begin, req_accept, resp_ctrl, resp_init,
                needed_act, cmd["t"], cmd["c"], cmd["b"], cmd["r"], cmd["q"])
            if status == 1:
                cap *= 2
                needed_act[:] = False
                continue
            if status == 2:
                raise RuntimeError(f"the controller stopped making progress at cycle {end} "
                                   f"(configuration {mc}); please report this as a bug")
            break
        cmd = {k: v[:ncmd] for k, v in cmd.items()}
        return self._result(mc, cmd, int(end), req_begin, req_accept, resp_ctrl, resp_init, needed_act,
                            keep_commands, keep_requests)

    def _result(self, mc, cmd, end, req_begin, req_accept, resp_ctrl, resp_init, needed_act, keep_commands,
                keep_requests) -> SimResult:
        spec = self.spec
        reads = ~self.is_write
        lat = (resp_ctrl - req_begin)[reads]
        counts = np.bincount(cmd["c"], minlength=len(COMMAND_NAMES))
        pct = nearest_percentiles(lat, (50, 95, 99))
        power = channel_energy(cmd["t"], cmd["c"], cmd["b"], spec)
        total_ns = end * spec.tck_ns
        m = {
            "total_cycles": float(end),
            "total_time_ns": total_ns,
            "avg_read_latency_cycles": float(lat.mean()) if lat.size else 0.0,
            "p50_read_latency_cycles": pct[0],
            "p95_read_latency_cycles": pct[1],
            "p99_read_latency_cycles": pct[2],
            "bandwidth_GBps": self.n * spec.bytes_per_burst / total_ns if total_ns > 0 else 0.0,
            "row_hit_rate": 1.0 - float(needed_act.sum()) / self.n,
            "num_act": int(counts[ACT]),
            "num_pre": int(counts[PRE]),
            "num_prea": int(counts[PREA]),
            "num_rd_cmds": int(counts[RD]),
            "num_wr_cmds": int(counts[WR]),
            "num_rda_cmds": int(counts[RDA]),
            "num_wra_cmds": int(counts[WRA]),
            "num_ref": int(counts[REF]),
            "num_pdn_cmds": int(counts[PDEA] + counts[PDEP]),
            "energy_pJ": power["energy_pJ"],
            "avg_power_mW": power["avg_power_mW"],
            "avg_read_latency_ns": (float(lat.mean()) if lat.size else 0.0) * spec.tck_ns,
            "avg_read_latency_accept_cycles": float((resp_ctrl - req_accept)[reads].mean()) if lat.size else 0.0,
            "max_read_latency_cycles": float(lat.max()) if lat.size else 0.0,
            "n_requests": self.n,
            "n_reads": int(reads.sum()),
            "n_writes": int(self.n - reads.sum()),
        }
        breakdown = {k: v for k, v in power.items() if k.startswith("energy_") and k != "energy_pJ"}
        commands = None
        if keep_commands:
            commands = {"cycle": cmd["t"], "command": cmd["c"], "bank": cmd["b"], "rank": cmd["r"],
                        "request": cmd["q"], "names": COMMAND_NAMES}
        requests = None
        if keep_requests:
            requests = {"arrival": self.ts, "begin_req": req_begin, "accept": req_accept, "begin_resp": resp_ctrl,
                        "delivered": resp_init, "needed_act": needed_act, "write": self.is_write,
                        "rank": self.rank, "bank": self.bank, "row": self.row}
        return SimResult(metrics=m, energy_breakdown=breakdown, commands=commands, requests=requests)


def nearest_percentiles(values: np.ndarray, percents) -> list[float]:
    """``np.percentile(values, p, method="nearest")`` for non-negative integer cycles, from one histogram
    (a sort or partition per percentile costs as much as the simulation itself)."""
    if values.size == 0:
        return [0.0 for _ in percents]
    lo = int(values.min())
    cum = np.cumsum(np.bincount(values - lo))
    n = values.size
    return [float(np.searchsorted(cum, int(np.around((n - 1) * p / 100.0)), side="right") + lo) for p in percents]


def simulate(memspec, mcconfig, trace, addressmapping=None, *, keep_commands: bool = False,
             keep_requests: bool = False, player_clk_mhz: float | None = None) -> SimResult:
    """Simulate one channel.

    memspec: DRAMSys memspec (path, dict or :class:`MemSpec`); mcconfig: DRAMSys mcconfig (path or
    dict of any subset of knobs, or None for DRAMSys's defaults); trace: ``.stl`` path or a request
    array; addressmapping: DRAMSys address-mapping JSON (path or dict), an :class:`AddressMapping`,
    or None for the memspec's default (``rochrababgco``).
    """
    return PreparedChannel(memspec, trace, addressmapping, player_clk_mhz=player_clk_mhz).run(
        mcconfig, keep_commands=keep_commands, keep_requests=keep_requests)
