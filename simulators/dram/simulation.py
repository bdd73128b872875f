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

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import controller as ctl
from .addressmap import AddressMapping, default_mapping, load_mapping, mapping_from_dict
from .mcconfig import McConfigError, load_mcconfig, resolve_mcconfig
from .memspec import MemSpec, load_memspec, memspec_from_dict
from .power import StreamBuffers, current_energy, drampower_counters, energy_from_counters, stream_constants
from .requeststats import R_ACCEPT_SUM, R_HIST_NEEDED, R_LAT_MAX, R_LAT_SUM, R_NEEDED_ACT, R_READS, nearest_ranks, request_stats
from .simfile import load_simulation
from .timing import ACT, COMMAND_NAMES, PDEA, PDEP, PRE, PREA, RD, RDA, REF, SREFEN, WR, WRA, constraint_arrays
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
    """Memspec, mapping and decoded trace, ready to be simulated under many controller configurations.

    Holds the work arrays its runs reuse, so one instance must not run in two threads at once (use one
    per thread or process)."""

    def __init__(self, memspec, trace, addressmapping=None, *, player_clk_mhz: float | None = None,
                 data_length: int | None = None):
        self.spec = _as_memspec(memspec)
        self.mapping = _as_mapping(addressmapping, self.spec)
        if isinstance(trace, np.ndarray):
            req = check_requests(trace)
        else:
            req = read_stl(trace, self.spec.bytes_per_burst, data_length)
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
        self.stack = np.ascontiguousarray(d["stack"])
        self.rule_idx, self.rules = ctl.drop_dominated(*constraint_arrays(self.spec))
        self.spec_vec = ctl.build_spec_vector(self.spec)
        self.n_reads = int(self.n - np.count_nonzero(self.is_write))
        self._ranks = nearest_ranks(self.n_reads, PERCENTILES)
        self._drampower = self.spec.memory_type in ("DDR3", "DDR4")
        self._stream_k = stream_constants(self.spec) if self._drampower else None
        self._ws = _Workspace(self.n, 4 * self.n + 64, self.spec.banks)

    def run(self, mcconfig=None, *, keep_commands: bool = False, keep_requests: bool = False) -> SimResult:
        mc = _as_mcconfig(mcconfig)
        if mc["RefreshPolicy"] in ("PerBank", "SameBank"):
            raise McConfigError(f"mcconfig: RefreshPolicy is {mc['RefreshPolicy']!r}; allowed for "
                                f"{self.spec.memory_type}: ['NoRefresh', 'AllBank'] ({mc['RefreshPolicy']} "
                                "refresh is not modelled)")
        cfg = ctl.build_config(mc)
        ws = self._ws
        while True:
            ncmd, end, status, _steps = ctl.run_channel(
                self.ts, self.is_write, self.addr, self.rank, self.bank, self.row, self.stack, cfg, self.spec_vec,
                self.rule_idx, self.rules, ctl.buffer_capacity(cfg), ws.req_begin, ws.req_accept, ws.resp_ctrl,
                ws.resp_init, ws.needed_act, ws.cmd[0], ws.cmd[1], ws.cmd[2], ws.cmd[3], ws.cmd[4], ws.scratch)
            if status == 1:
                ws.grow_commands()
                continue
            if status == 2:
                raise RuntimeError(f"the controller stopped making progress at cycle {end} "
                                   f"(configuration {mc}); please report this as a bug")
            break
        return self._result(int(ncmd), int(end), keep_commands, keep_requests)

    def _result(self, ncmd, end, keep_commands, keep_requests) -> SimResult:
        spec = self.spec
        ws = self._ws
        cmd_t, cmd_c, cmd_b = ws.cmd[0], ws.cmd[1], ws.cmd[2]
        pct = np.zeros(len(PERCENTILES), dtype=np.int64)
        while True:
            st = request_stats(self.is_write, ws.req_begin, ws.req_accept, ws.resp_ctrl, ws.needed_act, self._ranks,
                               ws.hist, pct)
            if st[R_HIST_NEEDED] == 0:
                break
            ws.hist = np.zeros(2 * int(st[R_HIST_NEEDED]), dtype=np.int64)
        counts = ws.counts
        if self._drampower:  # the command counts come with DRAMPower's pass over the commands
            power = energy_from_counters(drampower_counters(cmd_t, cmd_c, cmd_b, ncmd, self._stream_k, ws.stream.out,
                                                            ws.stream.aux, ws.stream.act_time, counts), spec)
        else:
            counts = np.bincount(cmd_c[:ncmd], minlength=len(COMMAND_NAMES))
            power = current_energy(cmd_t, cmd_c, cmd_b, ncmd, end, spec)
        reads = int(st[R_READS])
        avg_lat = float(st[R_LAT_SUM]) / reads if reads else 0.0
        total_ns = end * spec.tck_ns
        m = {
            "total_cycles": float(end),
            "total_time_ns": total_ns,
            "avg_read_latency_cycles": avg_lat,
            "p50_read_latency_cycles": float(pct[0]),
            "p95_read_latency_cycles": float(pct[1]),
            "p99_read_latency_cycles": float(pct[2]),
            "bandwidth_GBps": self.n * spec.bytes_per_burst / total_ns if total_ns > 0 else 0.0,
            "row_hit_rate": 1.0 - float(st[R_NEEDED_ACT]) / self.n,
            "num_act": int(counts[ACT]),
            "num_pre": int(counts[PRE]),
            "num_prea": int(counts[PREA]),
            "num_rd_cmds": int(counts[RD]),
            "num_wr_cmds": int(counts[WR]),
            "num_rda_cmds": int(counts[RDA]),
            "num_wra_cmds": int(counts[WRA]),
            "num_ref": int(counts[REF]),
            "num_pdn_cmds": int(counts[PDEA] + counts[PDEP]),
            "num_pdna": int(counts[PDEA]),
            "num_pdnp": int(counts[PDEP]),
            "num_sref": int(counts[SREFEN]),
            "energy_pJ": power["energy_pJ"],
            "avg_power_mW": power["avg_power_mW"],
            "avg_read_latency_ns": avg_lat * spec.tck_ns,
            "avg_read_latency_accept_cycles": float(st[R_ACCEPT_SUM]) / reads if reads else 0.0,
            "max_read_latency_cycles": float(st[R_LAT_MAX]) if reads else 0.0,
            "n_requests": self.n,
            "n_reads": reads,
            "n_writes": self.n - reads,
        }
        breakdown = {k: v for k, v in power.items() if k.startswith("energy_") and k != "energy_pJ"}
        commands = None
        if keep_commands:
            commands = {"cycle": cmd_t[:ncmd].copy(), "command": cmd_c[:ncmd].copy(), "bank": cmd_b[:ncmd].copy(),
                        "rank": ws.cmd[3, :ncmd].copy(), "request": ws.cmd[4, :ncmd].copy(), "names": COMMAND_NAMES}
        requests = None
        if keep_requests:
            requests = {"arrival": self.ts, "begin_req": ws.req_begin.copy(), "accept": ws.req_accept.copy(),
                        "begin_resp": ws.resp_ctrl.copy(), "delivered": ws.resp_init.copy(),
                        "needed_act": ws.needed_act.copy(), "write": self.is_write, "rank": self.rank,
                        "bank": self.bank, "row": self.row}
        return SimResult(metrics=m, energy_breakdown=breakdown, commands=commands, requests=requests)


#: read-latency percentiles reported (p50, p95, p99)
PERCENTILES = (50, 95, 99)


class _Workspace:
    """The arrays one run writes, allocated once per channel and reused: fresh arrays of a trace's size
    cost a page fault per 4 KiB on every run (a third of a run's time before they were kept)."""

    def __init__(self, n: int, cap: int, nbanks: int):
        self.req_begin = np.zeros(n, dtype=np.int64)
        self.req_accept = np.zeros(n, dtype=np.int64)
        self.resp_ctrl = np.zeros(n, dtype=np.int64)
        self.resp_init = np.zeros(n, dtype=np.int64)
        self.needed_act = np.zeros(n, dtype=np.bool_)
        self.scratch = np.zeros((6, n), dtype=np.int64)
        self.hist = np.zeros(4096, dtype=np.int64)
        self.counts = np.zeros(len(COMMAND_NAMES), dtype=np.int64)  # issued commands by kind
        self.nbanks = nbanks
        self._commands(cap)

    def _commands(self, cap: int) -> None:
        self.cmd = np.zeros((5, cap), dtype=np.int64)  # cycle, command, bank, rank, request
        self.stream = StreamBuffers(cap, self.nbanks)

    def grow_commands(self) -> None:
        self._commands(2 * self.cmd.shape[1])


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

def simulate_file(path: str | Path, *, keep_commands: bool = False, keep_requests: bool = False) -> SimResult:
    """Simulate a DRAMSys simulation JSON (``ddr4-example.json``): its memspec, mcconfig, address mapping and
    trace player (clock ``clkMhz``, request size ``dataLength``), paths resolved as DRAMSys resolves them."""
    sim = load_simulation(path)
    spec = memspec_from_dict(sim.memspec, f"{sim.source} (memspec)")
    mapping = mapping_from_dict(sim.addressmapping, f"{sim.source} (addressmapping)") if sim.addressmapping is not None else None
    mcconfig = resolve_mcconfig(sim.mcconfig, f"{sim.source} (mcconfig)")
    channel = PreparedChannel(spec, sim.trace, mapping, player_clk_mhz=sim.player_clk_mhz, data_length=sim.data_length)
    return channel.run(mcconfig, keep_commands=keep_commands, keep_requests=keep_requests)

