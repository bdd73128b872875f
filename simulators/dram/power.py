"""DRAM energy and power from the issued command stream, as DRAMPower (legacy, 4.x) computes them.

DRAMSys feeds every command of the channel into one DRAMPower instance (all ranks' banks in
one bank array, ``nbrOfBanks`` = banks per channel) and multiplies its result by the devices
per rank. This module replays the command stream through DRAMPower's command analysis --
auto-precharges expanded into a PRE at ``max(t + precharge offset, ACT + tRAS)``, background
cycles split into active / precharged / power-down / self-refresh states -- and applies its
IDD equations (IDD0 for ACT/PRE, IDD4R/W for bursts, IDD5 for refresh, IDD2N/IDD3N
standby, IDD2P/IDD3P power-down, IDD6 self refresh, the VDD2 domain for DDR4), including
its way of counting standby energy once per rank.

LPDDR4 and HBM2 have no power model in the DRAMSys build of the reference (6b01467 converts only DDR3,
DDR4 and WideIO memspecs for DRAMPower), so :func:`current_energy` applies the IDD equations of Micron's
TN-41-01 per supply instead, and reports NaN where the memspec lacks the currents.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .memspec import MemSpec
from .timing import ACT, PDEA, PDEP, PDXA, PDXP, PRE, PREA, RD, RDA, REF, SREFEN, SREFEX, WR, WRA

# DRAMPower command codes
P_ACT, P_RD, P_WR, P_PRE, P_PREA, P_REF, P_PDN_S_ACT, P_PDN_S_PRE, P_PUP_ACT, P_PUP_PRE, P_SREN, P_SREX, P_NOP = \
    range(13)
_TO_DRAMPOWER = np.full(14, -1, dtype=np.int64)
for _c, _p in ((ACT, P_ACT), (PRE, P_PRE), (PREA, P_PREA), (RD, P_RD), (WR, P_WR), (RDA, P_RD), (WRA, P_WR),
               (REF, P_REF), (PDEA, P_PDN_S_ACT), (PDEP, P_PDN_S_PRE), (PDXA, P_PUP_ACT), (PDXP, P_PUP_PRE),
               (SREFEN, P_SREN), (SREFEX, P_SREX)):
    _TO_DRAMPOWER[_c] = _p
_IDENTITY = np.arange(13, dtype=np.int64)  # DRAMPower codes to themselves

# counter vector layout
(K_ACTS, K_PRES, K_READS, K_WRITES, K_REFS, K_ACTCYCLES, K_PRECYCLES, K_S_ACT_PD, K_S_PRE_PD, K_PUP_ACT, K_PUP_PRE,
 K_SREF, K_SREF_REF_ACT, K_SREF_REF_PRE, K_SPUP_REF_ACT, K_SPUP_REF_PRE, K_SPUP, K_IDLE_ACT, K_IDLE_PRE, K_PDNS,
 K_N) = range(21)


#: layout of :func:`stream_constants`
(S_RD_OFFSET, S_WR_OFFSET, S_RAS, S_DONE_RD, S_DONE_WR, S_DONE_ACT, S_DONE_PRE, S_RFC, S_RP, S_RCD, S_XP, S_XPDLL, S_XS,
 S_XSDLL, S_RD_DONE, S_WR_DONE, S_NBANKS, S_N) = range(18)


def stream_constants(spec: MemSpec) -> np.ndarray:
    """The memspec figures DRAMPower's command analysis needs, as one integer vector (computed once per spec)."""
    burst = spec.burst_cycles
    k = np.zeros(S_N, dtype=np.int64)
    if spec.memory_type == "DDR4":
        k[S_RD_OFFSET] = spec.t("AL") + spec.t("RTP")
    else:
        k[S_RD_OFFSET] = spec.t("AL") + max(spec.t("RTP"), 4)
    k[S_WR_OFFSET] = burst + spec.t("WL") + spec.t("WR")
    k[S_RAS] = spec.t("RAS")
    # completion delay of the last command, which places the end-of-trace NOP
    k[S_DONE_RD] = spec.t("RL") + spec.t("DQSCK") + 1 + burst
    k[S_DONE_WR] = spec.t("WL") + burst + spec.t("WR")
    k[S_DONE_ACT] = spec.t("RCD")
    k[S_DONE_PRE] = spec.t("RP")
    k[S_RFC] = spec.refresh_cycle
    k[S_RP] = spec.t("RP")
    k[S_RCD] = spec.t("RCD")
    k[S_XP] = spec.t("XP")
    k[S_XPDLL] = spec.t("XPDLL")
    k[S_XS] = spec.t("XS")
    k[S_XSDLL] = spec.t("XSDLL")
    k[S_RD_DONE] = spec.t("RL") + spec.t("DQSCK") + 1 + burst
    k[S_WR_DONE] = spec.t("WL") + burst + spec.t("WR")
    k[S_NBANKS] = spec.banks
    return k


class StreamBuffers:
    """Reusable scratch arrays of :func:`drampower_stream` for command logs of up to ``cap`` commands
    (allocated once per channel: fresh large arrays cost page faults on every run)."""

    def __init__(self, cap: int, nbanks: int):
        self.cap = cap
        self.out = np.zeros((3, 2 * cap + 1), dtype=np.int64)  # time, DRAMPower type, bank
        self.aux = np.zeros((2, cap), dtype=np.int64)  # auto-precharge times and banks
        self.act_time = np.zeros(nbanks, dtype=np.int64)


@njit(cache=True, inline="always")
def split_precharges(cmd_t, cmd_c, cmd_b, ncmd, k, aux, act_time):
    """The auto-precharges of the first ``ncmd`` commands as PREs at ``max(t + precharge offset, ACT + tRAS)``
    in ``aux`` (times, banks), sorted by time (stable: ties in issue order). Returns their number."""
    rd_offset = k[S_RD_OFFSET]
    wr_offset = k[S_WR_OFFSET]
    t_ras = k[S_RAS]
    aux_t = aux[0]
    aux_b = aux[1]
    # auto-precharges in issue order, each after the latest ACT of its bank
    act_time[:] = 0
    na = 0
    for i in range(ncmd):
        c = cmd_c[i]
        b = cmd_b[i]
        if c == ACT:
            act_time[b] = cmd_t[i]
        elif c == RDA or c == WRA:
            p = cmd_t[i] + (rd_offset if c == RDA else wr_offset)
            a = act_time[b] + t_ras
            aux_t[na] = p if p > a else a
            aux_b[na] = b
            na += 1
    # stable insertion sort by time (nearly sorted: every offset is bounded by a few tens of cycles)
    for i in range(1, na):
        vt = aux_t[i]
        vb = aux_b[i]
        j = i - 1
        while j >= 0 and aux_t[j] > vt:
            aux_t[j + 1] = aux_t[j]
            aux_b[j + 1] = aux_b[j]
            j -= 1
        aux_t[j + 1] = vt
        aux_b[j + 1] = vb
    return na


@njit(cache=True)
def drampower_stream(cmd_t, cmd_c, cmd_b, ncmd, k, out, aux, act_time):
    """DRAMPower's view of the first ``ncmd`` commands, written into ``out`` (time, type, bank rows):
    auto-precharges split off as a PRE at ``max(t + precharge offset, ACT + tRAS)``, everything in time
    order with PREs first on ties (explicit ones before the split-off ones, each kind in issue order),
    closed by the end-of-trace NOP. Returns the number of entries."""
    na = split_precharges(cmd_t, cmd_c, cmd_b, ncmd, k, aux, act_time)
    aux_t = aux[0]
    aux_b = aux[1]
    strict = True  # at most one command per cycle (the controller's case): a simpler merge
    for i in range(1, ncmd):
        if cmd_t[i] <= cmd_t[i - 1]:
            strict = False
    # merge: per time, the issued PREs, then the split-off PREs, then the other issued commands
    out_t = out[0]
    out_typ = out[1]
    out_bank = out[2]
    m = 0
    i = 0
    j = 0
    if strict:
        for i in range(ncmd):
            now = cmd_t[i]
            p = _TO_DRAMPOWER[cmd_c[i]]
            while j < na and aux_t[j] < now:
                out_t[m] = aux_t[j]
                out_typ[m] = P_PRE
                out_bank[m] = aux_b[j]
                m += 1
                j += 1
            if p == P_PRE:
                out_t[m] = now
                out_typ[m] = p
                out_bank[m] = cmd_b[i]
                m += 1
            while j < na and aux_t[j] == now:
                out_t[m] = now
                out_typ[m] = P_PRE
                out_bank[m] = aux_b[j]
                m += 1
                j += 1
            if p != P_PRE:
                out_t[m] = now
                out_typ[m] = p
                out_bank[m] = cmd_b[i]
                m += 1
        i = ncmd
    while i < ncmd or j < na:
        if j >= na or (i < ncmd and cmd_t[i] <= aux_t[j]):
            now = cmd_t[i]
        else:
            now = aux_t[j]
        i_end = i
        while i_end < ncmd and cmd_t[i_end] == now:
            i_end += 1
        for ii in range(i, i_end):
            p = _TO_DRAMPOWER[cmd_c[ii]]
            if p == P_PRE:
                out_t[m] = now
                out_typ[m] = p
                out_bank[m] = cmd_b[ii]
                m += 1
        while j < na and aux_t[j] == now:
            out_t[m] = now
            out_typ[m] = P_PRE
            out_bank[m] = aux_b[j]
            m += 1
            j += 1
        for ii in range(i, i_end):
            p = _TO_DRAMPOWER[cmd_c[ii]]
            if p != P_PRE:
                out_t[m] = now
                out_typ[m] = p
                out_bank[m] = cmd_b[ii]
                m += 1
        i = i_end
    if m > 0:
        last = out_typ[m - 1]
        done = 0
        if last == P_RD:
            done = k[S_DONE_RD]
        elif last == P_WR:
            done = k[S_DONE_WR]
        elif last == P_ACT:
            done = k[S_DONE_ACT]
        elif last == P_PRE or last == P_PREA:
            done = k[S_DONE_PRE]
        out_t[m] = out_t[m - 1] + done - 1
        out_typ[m] = P_NOP
        out_bank[m] = 0
        m += 1
    return m


def drampower_command_list(cmd_t: np.ndarray, cmd_c: np.ndarray, cmd_b: np.ndarray, spec: MemSpec):
    """DRAMPower's view of the command stream (see :func:`drampower_stream`). Returns (time, type, bank) arrays."""
    n = cmd_t.shape[0]
    buf = StreamBuffers(max(n, 1), spec.banks)
    m = drampower_stream(np.ascontiguousarray(cmd_t, dtype=np.int64), np.ascontiguousarray(cmd_c, dtype=np.int64),
                         np.ascontiguousarray(cmd_b, dtype=np.int64), n, stream_constants(spec), buf.out, buf.aux,
                         buf.act_time)
    return buf.out[0, :m].copy(), buf.out[1, :m].copy(), buf.out[2, :m].copy()


@njit(cache=True)
def drampower_counters(cmd_t, cmd_c, cmd_b, ncmd, k, out, aux, act_time, counts):
    """DRAMPower's command counts and state cycles of the first ``ncmd`` issued commands; ``counts[c]`` gets
    the number of issued commands of each controller command ``c``.

    At most one command per cycle (the DDR3/DDR4 controller's case): the split-off auto-precharges are merged
    into the analysis on the fly (no stream is written, one pass less). Otherwise the stream of
    :func:`drampower_stream` is built first."""
    counts[:] = 0
    strict = True
    for i in range(ncmd):
        counts[cmd_c[i]] += 1
        if i > 0 and cmd_t[i] <= cmd_t[i - 1]:
            strict = False
    if not strict:
        m = drampower_stream(cmd_t, cmd_c, cmd_b, ncmd, k, out, aux, act_time)
        # both calls pass the same argument types (the count as np.int64, never a Literal[int](0) that type
        # inference meets first; a writable empty "no NOP"), so command_analysis compiles once, not three times
        no_nop = np.zeros(0, dtype=np.int64)  # the stream already ends with its NOP
        return command_analysis(out[0], out[1], out[2], m, aux[0], aux[1], np.int64(0), _IDENTITY, no_nop, k[S_NBANKS],
                                k[S_RFC], k[S_RP], k[S_RCD], k[S_XP], k[S_XPDLL], k[S_XS], k[S_XSDLL], k[S_RD_DONE],
                                k[S_WR_DONE])
    na = split_precharges(cmd_t, cmd_c, cmd_b, ncmd, k, aux, act_time)
    done = np.zeros(P_NOP + 1, dtype=np.int64)
    done[P_RD] = k[S_DONE_RD]
    done[P_WR] = k[S_DONE_WR]
    done[P_ACT] = k[S_DONE_ACT]
    done[P_PRE] = k[S_DONE_PRE]
    done[P_PREA] = k[S_DONE_PRE]
    return command_analysis(cmd_t, cmd_c, cmd_b, ncmd, aux[0], aux[1], np.int64(na), _TO_DRAMPOWER, done, k[S_NBANKS],
                            k[S_RFC], k[S_RP], k[S_RCD], k[S_XP], k[S_XPDLL], k[S_XS], k[S_XSDLL], k[S_RD_DONE],
                            k[S_WR_DONE])


@njit(cache=True, inline="always")
def _pos(x):
    return x if x > 0 else 0


@njit(cache=True, inline="always")
def _max3(a, b, c):
    m = a if a > b else b
    return m if m > c else c


@njit(cache=True, inline="always")
def _idle_act(ts, latest_read, latest_write, latest_act, end_read_op, end_write_op, end_act_op, rd_done, wr_done,
              t_rcd):
    """DRAMPower's idle_act_update: ends of the last read, write and activate, and the active idle cycles."""
    if latest_read >= 0:
        end_read_op = latest_read + rd_done - 1
    if latest_write >= 0:
        end_write_op = latest_write + wr_done - 1
    if latest_act >= 0:
        end_act_op = latest_act + t_rcd - 1
    return end_read_op, end_write_op, end_act_op, _pos(ts - _max3(end_read_op, end_write_op, end_act_op))


@njit(cache=True, inline="always")
def _idle_pre(ts, latest_pre_cycle, t_rp):
    """DRAMPower's idle_pre_update: precharged idle cycles since the last precharge completed."""
    if latest_pre_cycle > 0:
        return _pos(ts - latest_pre_cycle - t_rp)
    if latest_pre_cycle == 0:
        return _pos(ts - latest_pre_cycle)
    return 0


@njit(cache=True)
def command_analysis(time, typ, bank, n, aux_t, aux_b, na, codes, nop_done, nbanks, t_rfc, t_rp, t_rcd, t_xp,
                     t_xpdll, t_xs, t_xsdll, rd_done, wr_done):
    """DRAMPower's CommandAnalysis: command counts and state cycles.

    Its input is the first ``n`` commands (``time``, type ``codes[typ]``, ``bank``; one per cycle when
    ``na`` > 0) merged with ``na`` split-off PREs (``aux_t``, ``aux_b``, sorted), a cycle's PREs first
    (issued before split-off), then closed by the end-of-trace NOP at the last entry + ``nop_done[its type]``
    - 1; an empty ``nop_done`` means the list is already DRAMPower's whole stream (see
    :func:`drampower_stream`)."""
    k = np.zeros(K_N, dtype=np.int64)
    active = np.zeros(nbanks, dtype=np.bool_)
    last_state = np.zeros(nbanks, dtype=np.bool_)
    n_active = 0
    first_act_cycle = 0
    last_pre_cycle = 0
    latest_pre_cycle = -1
    latest_act_cycle = -1
    latest_read_cycle = -1
    latest_write_cycle = -1
    end_read_op = 0
    end_write_op = 0
    end_act_op = 0
    pdn_cycle = 0
    sref_cycle = 0
    mem_state = 0  # 0 not in power-down, 1 active slow-exit PD, 2 precharged slow-exit PD, 3 self refresh
    i = 0
    j = 0
    nop = nop_done.shape[0] > 0
    last_t = np.int64(0)
    last_c = -1
    while True:
        if j < na and (i >= n or aux_t[j] < time[i] or (aux_t[j] == time[i] and codes[typ[i]] != P_PRE)):
            ts = aux_t[j]
            c = P_PRE
            b = aux_b[j]
            j += 1
        elif i < n:
            ts = time[i]
            c = codes[typ[i]]
            b = bank[i]
            i += 1
        elif nop and last_c >= 0:
            ts = last_t + nop_done[last_c] - 1
            c = P_NOP
            b = 0
            nop = False
        else:
            break
        last_t = ts
        last_c = c
        if c == P_ACT:
            if not active[b]:
                k[K_ACTS] += 1
                if n_active == 0:
                    first_act_cycle = ts
                    k[K_PRECYCLES] += _pos(ts - last_pre_cycle)
                    k[K_IDLE_PRE] += _idle_pre(ts, latest_pre_cycle, t_rp)
                active[b] = True
                n_active += 1
                latest_act_cycle = ts
        elif c == P_RD or c == P_WR:
            if c == P_RD:
                k[K_READS] += 1
            else:
                k[K_WRITES] += 1
            # idle_act_update
            end_read_op, end_write_op, end_act_op, idle = _idle_act(ts, latest_read_cycle, latest_write_cycle,
                                                                latest_act_cycle, end_read_op, end_write_op,
                                                                end_act_op, rd_done, wr_done, t_rcd)
            k[K_IDLE_ACT] += idle
            if c == P_RD:
                latest_read_cycle = ts
            else:
                latest_write_cycle = ts
        elif c == P_REF:
            k[K_REFS] += 1
            k[K_IDLE_PRE] += _idle_pre(ts, latest_pre_cycle, t_rp)
            first_act_cycle = ts
            k[K_PRECYCLES] += _pos(ts - last_pre_cycle)
            last_pre_cycle = ts + t_rfc - t_rp
            latest_pre_cycle = last_pre_cycle
            k[K_ACTCYCLES] += t_rfc - t_rp
            for bb in range(nbanks):
                active[bb] = False
            n_active = 0
        elif c == P_PRE:
            if active[b]:
                k[K_PRES] += 1
                if n_active == 1:
                    k[K_ACTCYCLES] += _pos(ts - first_act_cycle)
                    last_pre_cycle = ts
                    end_read_op, end_write_op, end_act_op, idle = _idle_act(ts, latest_read_cycle, latest_write_cycle,
                                                                        latest_act_cycle, end_read_op, end_write_op,
                                                                        end_act_op, rd_done, wr_done, t_rcd)
                    k[K_IDLE_ACT] += idle
                active[b] = False
                n_active -= 1
                latest_pre_cycle = ts
        elif c == P_PREA:
            if n_active > 0:
                k[K_ACTCYCLES] += _pos(ts - first_act_cycle)
                last_pre_cycle = ts
                k[K_PRES] += n_active
                end_read_op, end_write_op, end_act_op, idle = _idle_act(ts, latest_read_cycle, latest_write_cycle,
                                                                    latest_act_cycle, end_read_op, end_write_op,
                                                                    end_act_op, rd_done, wr_done, t_rcd)
                k[K_IDLE_ACT] += idle
                latest_pre_cycle = ts
                for bb in range(nbanks):
                    active[bb] = False
                n_active = 0
        elif c == P_PDN_S_ACT:
            k[K_PDNS] += 1
            for bb in range(nbanks):
                last_state[bb] = active[bb]
            pdn_cycle = ts
            k[K_ACTCYCLES] += _pos(ts - first_act_cycle)
            end_read_op, end_write_op, end_act_op, idle = _idle_act(ts, latest_read_cycle, latest_write_cycle,
                                                                latest_act_cycle, end_read_op, end_write_op,
                                                                end_act_op, rd_done, wr_done, t_rcd)
            k[K_IDLE_ACT] += idle
            mem_state = 1
        elif c == P_PDN_S_PRE:
            k[K_PDNS] += 1
            pdn_cycle = ts
            k[K_PRECYCLES] += _pos(ts - last_pre_cycle)
            k[K_IDLE_PRE] += _idle_pre(ts, latest_pre_cycle, t_rp)
            mem_state = 2
        elif c == P_PUP_ACT:
            if mem_state == 1:
                k[K_S_ACT_PD] += _pos(ts - pdn_cycle)
                k[K_PUP_ACT] += t_xpdll - t_rcd
                latest_act_cycle = ts + _pos(t_xpdll - 2 * t_rcd)
            mem_state = 0
            n_active = 0
            for bb in range(nbanks):
                active[bb] = last_state[bb]
                if active[bb]:
                    n_active += 1
            first_act_cycle = ts
        elif c == P_PUP_PRE:
            if mem_state == 2:
                k[K_S_PRE_PD] += _pos(ts - pdn_cycle)
                k[K_PUP_PRE] += t_xpdll - t_rcd
                latest_pre_cycle = ts + _pos(t_xpdll - t_rcd - t_rp)
            mem_state = 0
            last_pre_cycle = ts
        elif c == P_SREN:
            sref_cycle = ts
            k[K_PRECYCLES] += _pos(ts - last_pre_cycle)
            k[K_IDLE_PRE] += _idle_pre(ts, latest_pre_cycle, t_rp)
            mem_state = 3
        elif c == P_SREX:
            dur = ts - sref_cycle
            if dur < 0:
                dur = 0
            if dur >= t_rfc:
                k[K_SREF_REF_ACT] += t_rfc - t_rp
                k[K_SREF_REF_PRE] += t_rp
                last_pre_cycle = ts
                k[K_SREF] += _pos(ts - sref_cycle - t_rfc)
                k[K_SPUP] += t_xsdll - t_rcd
                latest_pre_cycle = ts + _pos(t_xsdll - t_rcd - t_rp)
            elif dur >= t_rfc - t_rp:
                pre_cycles = dur - (t_rfc - t_rp)
                k[K_SREF_REF_ACT] += t_rfc - t_rp
                k[K_SREF_REF_PRE] += pre_cycles
                spup_pre = t_rp - pre_cycles
                k[K_SPUP_REF_PRE] += spup_pre
                last_pre_cycle = ts + spup_pre
                k[K_SPUP] += t_xsdll - t_rcd - spup_pre
                latest_pre_cycle = ts + _pos(t_xsdll - t_rcd - spup_pre - t_rp)
            else:
                k[K_SREF_REF_ACT] += dur
                spup_act = (t_rfc - t_rp) - dur
                k[K_SPUP_REF_ACT] += spup_act
                k[K_SPUP_REF_PRE] += t_rp
                last_pre_cycle = ts + spup_act + t_rp
                k[K_SPUP] += t_xsdll - t_rcd - spup_act - t_rp
                latest_pre_cycle = ts + _pos(t_xsdll - t_rcd - spup_act - 2 * t_rp)
            mem_state = 0
        else:  # NOP / end of trace
            if n_active > 0 and mem_state == 0:
                k[K_ACTCYCLES] += _pos(ts - first_act_cycle)
                end_read_op, end_write_op, end_act_op, idle = _idle_act(ts, latest_read_cycle, latest_write_cycle,
                                                                    latest_act_cycle, end_read_op, end_write_op,
                                                                    end_act_op, rd_done, wr_done, t_rcd)
                k[K_IDLE_ACT] += idle
            elif n_active == 0 and mem_state == 0:
                k[K_PRECYCLES] += _pos(ts - last_pre_cycle)
                k[K_IDLE_PRE] += _idle_pre(ts, latest_pre_cycle, t_rp)
            elif mem_state == 1:
                k[K_S_ACT_PD] += _pos(ts - pdn_cycle)
            elif mem_state == 2:
                k[K_S_PRE_PD] += _pos(ts - pdn_cycle)
            elif mem_state == 3:
                rfc_rp = t_rfc - t_rp
                if ts > sref_cycle + t_rfc:
                    k[K_SREF_REF_ACT] += rfc_rp
                    k[K_SREF_REF_PRE] += t_rp
                    k[K_SREF] += _pos(ts - (sref_cycle + t_rfc))
                elif ts > sref_cycle + rfc_rp:
                    k[K_SREF_REF_ACT] += rfc_rp
                    k[K_SREF_REF_PRE] += ts - (sref_cycle + rfc_rp)
                else:
                    k[K_SREF_REF_ACT] += ts - sref_cycle
    return k


def energy_from_counters(k: np.ndarray, spec: MemSpec) -> dict[str, float]:
    """DRAMPower's MemoryPowerModel energies (pJ, whole rank of devices) and average power (mW)."""
    p = spec.power
    clk = spec.tck_ns
    vdd = p["vdd"]
    two = spec.memory_type == "DDR4"
    vdd2 = p.get("vdd2", 0.0) if two else 0.0
    idd02 = p.get("idd02", 0.0) if two else 0.0
    idd62 = p.get("idd62", 0.0) if two else 0.0
    ras, rc, rfc = spec.t("RAS"), spec.t("RC"), spec.refresh_cycle
    burst = spec.burst_cycles
    ranks = spec.ranks

    def e(cycles, current, volt=vdd):
        return float(cycles) * clk * current * volt

    act = e(k[K_ACTS] * ras, p["idd0"] - p["idd3n"]) + e(k[K_ACTS] * ras, idd02, vdd2)
    pre = e(k[K_PRES] * (rc - ras), p["idd0"] - p["idd2n"]) + e(k[K_PRES] * (rc - ras), idd02, vdd2)
    rd = e(k[K_READS] * burst, p["idd4r"] - p["idd3n"])
    wr = e(k[K_WRITES] * burst, p["idd4w"] - p["idd3n"])
    ref = e(k[K_REFS] * rfc, p["idd5"] - p["idd3n"])
    act_stdby = e(k[K_ACTCYCLES], p["idd3n"])
    pre_stdby = e(k[K_PRECYCLES], p["idd2n"])
    s_act_pd = e(k[K_S_ACT_PD], p["idd3p0"])
    s_pre_pd = e(k[K_S_PRE_PD], p["idd2p0"])
    ref_cycles = k[K_SREF_REF_ACT] + k[K_SPUP_REF_ACT] + k[K_SREF_REF_PRE] + k[K_SPUP_REF_PRE]
    sref = (p["idd6"] * k[K_SREF] + (p["idd5"] - p["idd3n"]) * ref_cycles) * vdd * clk
    if two:
        sref += (idd62 * k[K_SREF]) * vdd2 * clk
    sref_ref = e(k[K_SREF_REF_ACT], p["idd3p0"]) + e(k[K_SREF_REF_PRE], p["idd2p0"])
    spup_ref = e(k[K_SPUP_REF_ACT], p["idd3n"]) + e(k[K_SPUP_REF_PRE], p["idd2n"])
    background = ranks * (act_stdby + pre_stdby + sref + s_act_pd + s_pre_pd + sref_ref + spup_ref)
    total = act + pre + rd + wr + ref + background
    cycles = (k[K_ACTCYCLES] + k[K_PRECYCLES] + k[K_S_ACT_PD] + k[K_S_PRE_PD] + k[K_SREF] + k[K_SREF_REF_ACT]
              + k[K_SREF_REF_PRE] + k[K_SPUP_REF_ACT] + k[K_SPUP_REF_PRE])
    dev = spec.devices_per_rank
    out = {
        "energy_act_pJ": act * dev,
        "energy_pre_pJ": pre * dev,
        "energy_rd_pJ": rd * dev,
        "energy_wr_pJ": wr * dev,
        "energy_ref_pJ": ref * dev,
        "energy_act_standby_pJ": ranks * act_stdby * dev,
        "energy_pre_standby_pJ": ranks * pre_stdby * dev,
        "energy_powerdown_pJ": ranks * (s_act_pd + s_pre_pd) * dev,
        "energy_selfrefresh_pJ": ranks * (sref + sref_ref + spup_ref) * dev,
        "energy_pJ": total * dev,
        "power_cycles": int(cycles),
    }
    out["avg_power_mW"] = total * dev / (cycles * clk) if cycles > 0 else 0.0
    return out


def channel_energy(cmd_t: np.ndarray, cmd_c: np.ndarray, cmd_b: np.ndarray, spec: MemSpec) -> dict[str, float]:
    """Energy by component (pJ) and average power (mW) of a command stream, DRAMPower's way."""
    n = cmd_t.shape[0]
    buf = StreamBuffers(max(n, 1), spec.banks)
    k = drampower_counters(np.ascontiguousarray(cmd_t, dtype=np.int64), np.ascontiguousarray(cmd_c, dtype=np.int64),
                           np.ascontiguousarray(cmd_b, dtype=np.int64), n, stream_constants(spec), buf.out, buf.aux,
                           buf.act_time)
    return energy_from_counters(k, spec)


#: LPDDR4/HBM2 energy: state -> current of each supply, as (current key, voltage key) pairs of the memspec's
#: mempowerspec (LPDDR4: VDD1 ``vdd``, VDD2 ``vdd2``, VDDQ ``vddq``; HBM2: one supply ``vdd``)
CURRENT_KEYS = {
    "LPDDR4": {state: tuple(zip(keys, ("vdd", "vdd2", "vddq"))) for state, keys in {
        "idd0": ("idd0", "idd02", "idd0ql"), "idd2n": ("idd2n", "idd2n2", "idd2nQ"), "idd2p": ("idd2p", "idd2p2", "idd2pQ"),
        "idd3n": ("idd3n", "idd3n2", "idd3nQ"), "idd3p": ("idd3p", "idd3p2", "idd3pQ"),
        "idd4r": ("idd4r", "idd4r2", "idd4rq"), "idd4w": ("idd4w", "idd4w2", "idd4wq"), "idd5": ("idd5", "idd52", "idd5q"),
        "idd6": ("idd6", "idd62", "idd6q")}.items()},
    "HBM2": {state: ((state, "vdd"),) for state in ("idd0", "idd2n", "idd2p", "idd3n", "idd3p", "idd4r", "idd4w", "idd5",
                                                    "idd6")},
}


def supplies(spec: MemSpec) -> dict[str, tuple]:
    """The (current key, voltage key) pairs of each state the energy sums: every supply of
    :data:`CURRENT_KEYS`, except an LPDDR4 VDDQ whose currents the memspec gives none of (DRAMSys's JEDEC
    LPDDR4 memspecs give VDDQ's voltage only); the memspec reader warns that VDDQ is then left out."""
    keys = CURRENT_KEYS[spec.memory_type]
    if spec.memory_type == "LPDDR4" and not any(i in spec.power for pairs in keys.values() for i, v in pairs if v == "vddq"):
        keys = {state: tuple(pair for pair in pairs if pair[1] != "vddq") for state, pairs in keys.items()}
    return keys


def missing_currents(spec: MemSpec) -> list[str]:
    """The mempowerspec keys the LPDDR4/HBM2 energy needs but the memspec lacks."""
    need = sorted({k for pairs in supplies(spec).values() for pair in pairs for k in pair})
    currents = [i for pairs in supplies(spec).values() for i, _ in pairs]
    if all(not spec.power.get(i) for i in currents):  # none, or placeholders of 0: no power figures at all
        return need
    return [k for k in need if k not in spec.power]


#: background states of :func:`state_cycles`
ST_ACT_STBY, ST_PRE_STBY, ST_ACT_PD, ST_PRE_PD, ST_SREF = range(5)


@njit(cache=True)
def state_cycles(cmd_t, cmd_c, cmd_b, ncmd, end, ranks, bpr):
    """Cycles each rank spends in each background state from cycle 0 to ``end``, summed over ranks:
    active standby (a bank open), precharge standby, active / precharge power-down, self refresh. A bank is
    open from its ACT to its PRE, PREA, RDA or WRA command."""
    out = np.zeros(5, dtype=np.int64)
    open_bank = np.zeros(ranks * bpr, dtype=np.bool_)
    nopen = np.zeros(ranks, dtype=np.int64)
    mode = np.full(ranks, -1, dtype=np.int64)  # -1 standby, else ST_ACT_PD / ST_PRE_PD / ST_SREF
    since = np.zeros(ranks, dtype=np.int64)
    for i in range(ncmd + 1):
        last = i == ncmd
        t = end if last else cmd_t[i]
        if t > end:
            t = end
        r = 0 if last else cmd_b[i] // bpr
        for rr in range(ranks):
            if last or rr == r:
                st = mode[rr] if mode[rr] >= 0 else (ST_ACT_STBY if nopen[rr] > 0 else ST_PRE_STBY)
                out[st] += t - since[rr]
                since[rr] = t
        if last:
            break
        c = cmd_c[i]
        b = cmd_b[i]
        if c == ACT:
            if not open_bank[b]:
                open_bank[b] = True
                nopen[r] += 1
        elif c == PRE or c == RDA or c == WRA:
            if open_bank[b]:
                open_bank[b] = False
                nopen[r] -= 1
        elif c == PREA:
            for bb in range(r * bpr, (r + 1) * bpr):
                open_bank[bb] = False
            nopen[r] = 0
        elif c == PDEA:
            mode[r] = ST_ACT_PD
        elif c == PDEP:
            mode[r] = ST_PRE_PD
        elif c == SREFEN:
            mode[r] = ST_SREF
        elif c == PDXA or c == PDXP or c == SREFEX:
            mode[r] = -1
    return out


def current_energy(cmd_t, cmd_c, cmd_b, ncmd, end, spec: MemSpec) -> dict[str, float]:
    """LPDDR4/HBM2 energy (pJ, all devices of the channel) and average power (mW) from the memspec's IDD currents.

    DRAMSys 6b01467 has no power model for these standards, so archgym uses the IDD method of Micron's
    TN-41-01 ("Calculating Memory System Power for DDR3"; DRAMPower applies the same per-command
    equations), summed over every supply the memspec gives (LPDDR4: VDD1, VDD2, VDDQ; see :func:`supplies`), with I in mA,
    V in volts and cycles x tCK in ns (mA x V x ns = pJ):

    - per ACT (its PRE included): V (IDD0 tRC - IDD3N tRAS - IDD2N (tRC - tRAS)) tCK (LPDDR4 tRC = tRCpb);
    - per RD / RDA: V (IDD4R - IDD3N) BL/2 tCK; per WR / WRA the same with IDD4W;
    - per all-bank refresh: V (IDD5 - IDD3N) tRFC tCK (LPDDR4 tRFCab, IDD5 its refresh burst current);
    - background, per rank: V tCK x (IDD3N active-standby + IDD2N precharge-standby + IDD3P active
      power-down + IDD2P precharge power-down + IDD6 self-refresh cycles), states from
      :func:`state_cycles`;

    times the devices per rank. Missing currents give NaN (the memspec reader warns).
    """
    nan = float("nan")
    if missing_currents(spec):
        return {"energy_pJ": nan, "avg_power_mW": nan}
    p, keys = spec.power, supplies(spec)

    def vi(state: str) -> float:  # sum over supplies of V x I (mA V = mW)
        return sum(p[i] * p[v] for i, v in keys[state])

    clk = spec.tck_ns
    t = spec.t
    counts = np.bincount(np.asarray(cmd_c[:ncmd], dtype=np.int64), minlength=14)
    rc = t("RCPB") if spec.memory_type == "LPDDR4" else t("RC")
    ras, burst, rfc = t("RAS"), spec.burst_cycles, spec.refresh_cycle
    cyc = state_cycles(np.ascontiguousarray(cmd_t[:ncmd], dtype=np.int64), np.ascontiguousarray(cmd_c[:ncmd], dtype=np.int64),
                       np.ascontiguousarray(cmd_b[:ncmd], dtype=np.int64), ncmd, int(end), spec.ranks, spec.banks_per_rank)
    dev = spec.devices_per_rank
    per = {
        "energy_act_pJ": counts[ACT] * (vi("idd0") * rc - vi("idd3n") * ras - vi("idd2n") * (rc - ras)) * clk,
        "energy_rd_pJ": (counts[RD] + counts[RDA]) * (vi("idd4r") - vi("idd3n")) * burst * clk,
        "energy_wr_pJ": (counts[WR] + counts[WRA]) * (vi("idd4w") - vi("idd3n")) * burst * clk,
        "energy_ref_pJ": counts[REF] * (vi("idd5") - vi("idd3n")) * rfc * clk,
        "energy_act_standby_pJ": cyc[ST_ACT_STBY] * vi("idd3n") * clk,
        "energy_pre_standby_pJ": cyc[ST_PRE_STBY] * vi("idd2n") * clk,
        "energy_powerdown_pJ": (cyc[ST_ACT_PD] * vi("idd3p") + cyc[ST_PRE_PD] * vi("idd2p")) * clk,
        "energy_selfrefresh_pJ": cyc[ST_SREF] * vi("idd6") * clk,
    }
    out = {k: float(v) * dev for k, v in per.items()}
    out["energy_pJ"] = sum(out.values())
    out["avg_power_mW"] = out["energy_pJ"] / (end * clk) if end > 0 else 0.0
    return out
