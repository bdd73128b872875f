"""Replay an issued command stream and report every JEDEC rule it breaks.

Independent of the controller's constraint tables (:mod:`.timing`): this walks the commands in
time order with a bank state machine (which rows are open), the data bus occupancy, and the
JEDEC DDR3/DDR4 minimum distances written out from the standard's definitions:

- one command per clock on the command bus;
- ACT only on a precharged bank; RD/WR(A) only on an open bank and its open row; REF and
  power-down entry with the rank's banks closed (PDEA excepted);
- tRCD, tRAS, tRP, tRC (ACT to ACT, one bank), tRRD_S/L and tFAW (activates of one rank),
  tCCD_S/L, tRTP, write recovery tWR, tWTR_S/L, tRFC, tXP / tXS after power-down / self-refresh exit;
- data bus: no two bursts overlap, a read-to-write turnaround leaves one idle cycle (plus the
  write preamble), bursts of different ranks are tRTRS apart;
- refresh: every rank gets its refreshes, at most ``postponed`` of them late (checked by
  :func:`refresh_deficit`).

An auto-precharge (RDA/WRA) closes the bank ``tRTP`` / ``WL + BL/2 + tWR`` after the command, as DRAMSys
issues it; JEDEC devices hold it back until tRAS has passed ("tRAS lockout"), so a following ACT must
also respect tRC. DRAMSys's checker does not add that hold-back (its DDR4 ACT-to-ACT rule on one bank is
tRCD), so a controller that matches DRAMSys breaks tRC after early auto-precharges; the rule name
``tRC-after-auto-precharge`` marks exactly those cases so that tests can tell them apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..memspec import MemSpec
from ..timing import ACT, COMMAND_NAMES, PDEA, PDEP, PDXA, PDXP, PRE, PREA, RD, RDA, REF, SREFEN, SREFEX, WR, WRA


@dataclass(frozen=True)
class Violation:
    rule: str
    index: int  # position of the offending command in the stream
    cycle: int
    detail: str


def check_commands(spec: MemSpec, cycle, command, bank, rank, request, req_row, req_write) -> list[Violation]:
    """All rule violations of a command stream (arrays as returned with ``keep_commands=True``)."""
    t = spec.t
    ddr4 = spec.memory_type == "DDR4"
    bl2 = spec.burst_cycles
    rcd, rp, ras, rc, rtp, wr_rec = t("RCD"), t("RP"), t("RAS"), t("RC"), t("RTP"), t("WR")
    rl, wl, al = t("RL"), t("WL"), t("AL")
    rfc = spec.refresh_cycle
    ccd_l = t("CCD_L") if ddr4 else t("CCD")
    ccd_s = t("CCD_S") if ddr4 else t("CCD")
    rrd_l = t("RRD_L") if ddr4 else t("RRD")
    rrd_s = t("RRD_S") if ddr4 else t("RRD")
    wtr_l = t("WTR_L") if ddr4 else t("WTR")
    wtr_s = t("WTR_S") if ddr4 else t("WTR")
    faw = t("FAW")
    rtrs = t("RTRS")
    wpre = t("WPRE") if ddr4 else 0
    bpg = spec.banks_per_group
    bpr = spec.banks_per_rank
    nb = spec.banks
    never = -(10 ** 12)

    open_row = np.full(nb, -1, dtype=np.int64)
    last_act = np.full(nb, never, dtype=np.int64)
    closed_at = np.full(nb, never, dtype=np.int64)  # time the bank's last precharge started
    closed_by_auto = np.zeros(nb, dtype=bool)
    auto_pending = np.full(nb, never, dtype=np.int64)  # scheduled auto-precharge time
    last_rd = np.full(nb, never, dtype=np.int64)
    last_wr = np.full(nb, never, dtype=np.int64)
    rank_acts: list[list[int]] = [[] for _ in range(spec.ranks)]
    group_last_act = {}
    rank_last_act = np.full(spec.ranks, never, dtype=np.int64)
    group_last_cas = {}  # (group, is_write) -> time
    rank_last_cas = {}  # (rank, is_write) -> time
    rank_last_ref = np.full(spec.ranks, never, dtype=np.int64)
    rank_exit = np.full(spec.ranks, never, dtype=np.int64)
    rank_exit_need = np.zeros(spec.ranks, dtype=np.int64)
    rank_sleep = np.zeros(spec.ranks, dtype=bool)
    bursts: list[tuple[int, int, int, bool]] = []  # (start, end, rank, is_write) on the data bus
    out: list[Violation] = []
    last_cycle = never

    def bad(rule, i, c, detail):
        out.append(Violation(rule, i, int(c), detail))

    def settle(b, now):
        """Apply a scheduled auto-precharge of bank b if it has happened by ``now``."""
        if open_row[b] >= 0 and auto_pending[b] > never and auto_pending[b] <= now:
            open_row[b] = -1
            closed_at[b] = auto_pending[b]
            closed_by_auto[b] = True
            auto_pending[b] = never

    n = len(cycle)
    for i in range(n):
        c = int(command[i])
        now = int(cycle[i])
        b = int(bank[i])
        r = int(rank[i])
        g = b // bpg
        name = COMMAND_NAMES[c]
        if now == last_cycle:
            bad("command-bus", i, now, f"two commands in cycle {now}")
        if now < last_cycle:
            bad("order", i, now, "commands out of time order")
        last_cycle = now
        for bb in range(r * bpr, (r + 1) * bpr):
            settle(bb, now)
        if c not in (PDXA, PDXP, SREFEX) and rank_sleep[r]:
            bad("power-down", i, now, f"{name} to rank {r} while powered down")
        if rank_exit[r] > never and c not in (PDEA, PDEP, SREFEN) and now - rank_exit[r] < rank_exit_need[r]:
            bad("tXP/tXS", i, now, f"{name} {now - rank_exit[r]} cycles after power-down exit, needs "
                                   f"{rank_exit_need[r]}")
        if c == ACT:
            if open_row[b] >= 0:
                bad("bank-state", i, now, f"ACT to open bank {b}")
            if now - closed_at[b] < rp:
                bad("tRP", i, now, f"ACT {now - closed_at[b]} cycles after precharge of bank {b} (tRP {rp})")
            if now - last_act[b] < rc:
                rule = "tRC-after-auto-precharge" if closed_by_auto[b] else "tRC"
                bad(rule, i, now, f"ACT {now - last_act[b]} cycles after ACT on bank {b} (tRC {rc})")
            if now - rank_last_ref[r] < rfc:
                bad("tRFC", i, now, f"ACT {now - rank_last_ref[r]} cycles after REF (tRFC {rfc})")
            if now - rank_last_act[r] < rrd_s:
                bad("tRRD_S", i, now, f"ACT {now - rank_last_act[r]} cycles after an ACT of rank {r}")
            if ddr4 and now - group_last_act.get(g, never) < rrd_l:
                bad("tRRD_L", i, now, f"ACT {now - group_last_act.get(g, never)} cycles after an ACT of group {g}")
            acts = rank_acts[r]
            if len(acts) >= 4 and now - acts[-4] < faw:
                bad("tFAW", i, now, f"5th ACT within {now - acts[-4]} cycles (tFAW {faw})")
            acts.append(now)
            open_row[b] = req_row[int(request[i])] if request[i] >= 0 else -2
            last_act[b] = now
            rank_last_act[r] = now
            group_last_act[g] = now
            closed_by_auto[b] = False
        elif c in (RD, WR, RDA, WRA):
            is_wr = c in (WR, WRA)
            k = int(request[i])
            if open_row[b] < 0:
                bad("bank-state", i, now, f"{name} to closed bank {b}")
            elif k >= 0 and open_row[b] != req_row[k]:
                bad("bank-state", i, now, f"{name} to row {req_row[k]} while row {open_row[b]} is open")
            if k >= 0 and bool(req_write[k]) != is_wr:
                bad("direction", i, now, f"{name} for a {'write' if req_write[k] else 'read'} request")
            if now - last_act[b] < rcd - al:
                bad("tRCD", i, now, f"{name} {now - last_act[b]} cycles after ACT (tRCD {rcd})")
            # column-to-column
            for (gg, _w), tt in group_last_cas.items():
                if gg == g and now - tt < ccd_l:
                    bad("tCCD_L", i, now, f"{name} {now - tt} cycles after a CAS of the same group")
            for (rr, _w), tt in rank_last_cas.items():
                if rr == r and now - tt < ccd_s:
                    bad("tCCD_S", i, now, f"{name} {now - tt} cycles after a CAS of the same rank")
            if not is_wr:
                tw = rank_last_cas.get((r, True), never)
                tg = group_last_cas.get((g, True), never)
                if now - tw < wl + bl2 + wtr_s - al:
                    bad("tWTR_S", i, now, f"RD {now - tw} cycles after a WR of the same rank")
                if ddr4 and now - tg < wl + bl2 + wtr_l - al:
                    bad("tWTR_L", i, now, f"RD {now - tg} cycles after a WR of the same group")
            # data bus
            start = now + (wl if is_wr else rl)
            end = start + bl2
            for (s0, e0, r0, w0) in bursts[-4:]:
                gap = 0
                if r0 != r:
                    gap = rtrs
                elif (not w0) and is_wr:
                    gap = 1 + wpre
                if start < e0 + gap and s0 < end + gap:
                    bad("data-bus", i, now, f"{name} burst [{start},{end}) collides with [{s0},{e0}) "
                                            f"(gap {gap} needed)")
            bursts.append((start, end, r, is_wr))
            group_last_cas[(g, is_wr)] = now
            rank_last_cas[(r, is_wr)] = now
            if is_wr:
                last_wr[b] = now
            else:
                last_rd[b] = now
            if c == RDA:
                auto_pending[b] = now + al + rtp
            elif c == WRA:
                auto_pending[b] = now + wl + bl2 + wr_rec
        elif c in (PRE, PREA):
            if c == PRE and open_row[b] < 0:
                bad("bank-state", i, now, f"PRE to closed bank {b}")
            banks = range(r * bpr, (r + 1) * bpr) if c == PREA else (b,)
            for bb in banks:
                if open_row[bb] < 0:
                    continue
                if now - last_act[bb] < ras:
                    bad("tRAS", i, now, f"{name} {now - last_act[bb]} cycles after ACT of bank {bb} (tRAS {ras})")
                if now - last_rd[bb] < al + rtp:
                    bad("tRTP", i, now, f"{name} {now - last_rd[bb]} cycles after RD on bank {bb}")
                if now - last_wr[bb] < wl + bl2 + wr_rec:
                    bad("tWR", i, now, f"{name} {now - last_wr[bb]} cycles after WR on bank {bb}")
                open_row[bb] = -1
                closed_at[bb] = now
                closed_by_auto[bb] = False
        elif c == REF:
            for bb in range(r * bpr, (r + 1) * bpr):
                if open_row[bb] >= 0:
                    bad("bank-state", i, now, f"REF with bank {bb} open")
                if now - closed_at[bb] < rp:
                    bad("tRP", i, now, f"REF {now - closed_at[bb]} cycles after precharge of bank {bb}")
            if now - rank_last_ref[r] < rfc:
                bad("tRFC", i, now, f"REF {now - rank_last_ref[r]} cycles after REF (tRFC {rfc})")
            rank_last_ref[r] = now
        elif c in (PDEA, PDEP, SREFEN):
            if c != PDEA:
                for bb in range(r * bpr, (r + 1) * bpr):
                    if open_row[bb] >= 0:
                        bad("bank-state", i, now, f"{name} with bank {bb} open")
            rank_sleep[r] = True
        elif c in (PDXA, PDXP, SREFEX):
            rank_sleep[r] = False
            rank_exit[r] = now
            rank_exit_need[r] = t("XS") if c == SREFEX else t("XP")
    return out


def refresh_deficit(spec: MemSpec, cycle, command, rank, end_cycle: int, first_trigger) -> dict[int, int]:
    """Per rank: refreshes owed by ``end_cycle`` (one per tREFI from its first trigger) minus those issued.

    Self-refresh periods count as refreshed. A controller that postpones at most ``k`` refreshes
    has a deficit of at most ``k`` per rank.
    """
    refi = spec.refresh_interval
    out = {}
    for r in range(spec.ranks):
        mine = rank == r
        refs = int(np.sum((command == REF) & mine))
        sref = np.flatnonzero(((command == SREFEN) | (command == SREFEX)) & mine)
        covered = 0
        for j in range(0, len(sref) - 1, 2):
            covered += int(cycle[sref[j + 1]] - cycle[sref[j]]) // refi + 1
        if len(sref) % 2:
            covered += int(end_cycle - cycle[sref[-1]]) // refi + 1
        owed = 0 if end_cycle < first_trigger[r] else (end_cycle - first_trigger[r]) // refi + 1
        out[r] = owed - refs - covered
    return out


def first_refresh_triggers(spec: MemSpec) -> list[int]:
    """DRAMSys's first all-bank refresh time of each rank (staggered in bit-reversed rank order)."""
    refi = spec.refresh_interval
    bits = max(spec.ranks.bit_length() - 1, 0)
    out = []
    for r in range(spec.ranks):
        rev = int(format(r, f"0{bits}b")[::-1], 2) if bits else 0
        out.append(refi - rev * (refi // spec.ranks))
    return out
