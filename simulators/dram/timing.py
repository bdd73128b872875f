"""Command timing constraints of DDR3, DDR4, LPDDR4 and HBM2 as DRAMSys's checkers enforce them.

Each constraint says: after command ``first`` on some component, command ``second`` may issue
on a component in ``scope`` no earlier than ``delay`` cycles later. Scopes: the same bank, the
same bank group, the same rank, or any *other* rank of the channel (rank-to-rank switching).
The four-activate window (tFAW) and the one-command-per-cycle command bus are handled
separately by the controller. The rule list mirrors DRAMSys 5's generated CheckerDDR3/CheckerDDR4,
including its quirks (e.g. DDR4 ACT->ACT on one bank only waits tRCD; tRC is implied by
tRAS + tRP for open pages but not enforced after RDA) -- with one exception: DRAMSys's DDR3 checker
lacks the write-recovery rule before a precharge-all (WR -> PREA), which the model enforces.

LPDDR4 and HBM2 follow DRAMSys 5's CheckerLPDDR4/CheckerHBM2 (commit 6b01467), quirks included (e.g.
LPDDR4 RD -> PRE on one bank waits tRRD + 2, not tRTP). Their commands occupy the command bus for
several cycles (LPDDR4: ACT, RD, WR 4 cycles, PRE, REF 2; HBM2: ACT 2 on the row bus), which becomes
rules here: after command ``c`` every command on the same bus waits ``len(c)`` cycles. HBM2 has two
buses (row commands; column commands RD/WR), so a row and a column command may share a cycle, and a
scope more: reads on *another stack* wait tCCDR. HBM2's pseudo channels (ranks) are otherwise independent:
CheckerHBM2 has no rank-to-rank switching time (tRTRS), unlike LPDDR4's and DDR4's checkers. LPDDR4 uses
the per-bank tRPpb/tRCpb for PRE and ACT, tRPab after PREA and tRFCab after REFAB, tPPD between precharges,
one tCCD/tRRD (no bank groups); HBM2 tRCDRD/tRCDWR, tCCDL/S, tRRDL/S, tRFC.
"""

from __future__ import annotations

import numpy as np

from .memspec import MemSpec

# command codes shared by the controller, the checker and the power model
ACT, PRE, PREA, RD, WR, RDA, WRA, REF, PDEA, PDXA, PDEP, PDXP, SREFEN, SREFEX = range(14)
NCMD = 14
NOP = -1
COMMAND_NAMES = ("ACT", "PRE", "PREA", "RD", "WR", "RDA", "WRA", "REF", "PDEA", "PDXA", "PDEP", "PDXP", "SREFEN",
                 "SREFEX")
BANK, GROUP, RANK, OTHER_RANK, OTHER_STACK = range(5)
NSCOPE = 5
SCOPE_NAMES = ("bank", "bankgroup", "rank", "other rank", "other stack")
CAS = (RD, WR, RDA, WRA)
#: command multiplexer kinds: one bus of one-cycle commands (DDR3/DDR4), one bus of multi-cycle commands
#: (LPDDR4, DRAMSys ranks by start + length), separate row and column buses (HBM2)
MUX_SINGLE, MUX_LENGTHS, MUX_RASCAS = range(3)


def mux_kind(spec: MemSpec) -> int:
    """Which command multiplexer DRAMSys uses for the standard."""
    return {"LPDDR4": MUX_LENGTHS, "HBM2": MUX_RASCAS}.get(spec.memory_type, MUX_SINGLE)


def command_lengths(spec: MemSpec) -> np.ndarray:
    """Command-bus cycles of each command (MemSpec::commandLengthInCycles)."""
    n = np.ones(NCMD, dtype=np.int64)
    if spec.memory_type == "LPDDR4":
        for c, k in ((ACT, 4), (PRE, 2), (PREA, 2), (RD, 4), (RDA, 4), (WR, 4), (WRA, 4), (REF, 2), (SREFEN, 2),
                     (SREFEX, 2)):
            n[c] = k
    elif spec.memory_type == "HBM2":
        n[ACT] = 2
    return n


def strobe_offsets(spec: MemSpec) -> tuple[int, int]:
    """Cycles from a read / a write command to the end of its data burst (getIntervalOnDataStrobe().end)."""
    t, burst = spec.t, spec.burst_cycles
    if spec.memory_type == "LPDDR4":
        return t("RL") + t("DQSCK") + burst + 3, t("WL") + t("DQSS") + t("DQS2DQ") + burst + 3
    if spec.memory_type == "HBM2":
        return t("RL") + t("DQSCK") + burst, t("WL") + burst
    return t("RL") + burst, t("WL") + burst


def derived_delays(spec: MemSpec) -> dict[str, int]:
    """The composite delays DRAMSys's checker derives from the memspec (in cycles)."""
    t = spec.t
    burst = spec.burst_cycles
    d = {"BURST": burst}
    if spec.memory_type == "DDR4":
        d["RDWR"] = t("RL") + burst + 1 - t("WL") + t("WPRE")
        d["RDWR_R"] = t("RL") + burst + t("RTRS") - t("WL") + t("WPRE")
        d["WRRD_S"] = t("WL") + burst + t("WTR_S") - t("AL")
        d["WRRD_L"] = t("WL") + burst + t("WTR_L") - t("AL")
        d["WRRD_R"] = t("WL") + burst + t("RTRS") - t("RL") + t("RPRE")
    else:
        d["RDWR"] = t("RL") + burst + 2 - t("WL")
        d["RDWR_R"] = t("RL") + burst + t("RTRS") - t("WL")
        d["WRRD_S"] = d["WRRD_L"] = t("WL") + burst + t("WTR") - t("AL")
        d["WRRD_R"] = t("WL") + burst + t("RTRS") - t("RL")
    d["RDAACT"] = t("AL") + t("RTP") + t("RP")
    d["WRPRE"] = t("WL") + burst + t("WR")
    d["WRAACT"] = d["WRPRE"] + t("RP")
    d["RDPDEN"] = t("RL") + burst + 1
    d["WRPDEN"] = t("WL") + burst + t("WR")
    d["WRAPDEN"] = d["WRPDEN"] + 1
    return d


def _bus_rules(spec: MemSpec, add) -> None:
    """The command bus as rules: after ``c``, every command on its bus waits ``len(c)`` (any rank)."""
    lengths = command_lengths(spec)
    rascas = mux_kind(spec) == MUX_RASCAS
    for c in range(NCMD):
        same_bus = [c2 for c2 in range(NCMD) if not rascas or ((c2 in CAS) == (c in CAS))]
        add(c, RANK, same_bus, lengths[c])
        add(c, OTHER_RANK, same_bus, lengths[c])


def _lpddr4_rules(spec: MemSpec, add) -> None:
    """CheckerLPDDR4 (DRAMSys 5, commit 6b01467), all-bank refresh, no masked writes, BL16."""
    t = spec.t
    burst = spec.burst_cycles
    rl, wl = t("RL"), t("WL")
    rdwr = rl + t("DQSCK") + burst - wl + t("WPRE") + t("RPST")
    rdwr_r = rl + burst + t("RTRS") - wl
    wrrd = wl + 1 + burst + t("WTR")
    wrrd_r = wl + burst + t("RTRS") - rl
    rdpre = t("RTP") + burst - 6
    rdaact = t("RTP") + t("RPPB") + burst - 8
    wrpre = wl + burst + t("WR") + 3
    wraact = wl + burst + t("WR") + 1 + t("RPPB")
    actpden = 3 + t("CMDCKE")
    prpden = refpden = 1 + t("CMDCKE")
    rdpden = 3 + rl + t("DQSCK") + burst + t("RPST")
    wrpden = 3 + wl + t("DQSS") + t("DQS2DQ") + burst + t("WR")
    wrapden = wrpden + 2
    ccd, rtrs_burst = t("CCD"), burst + t("RTRS")
    rpab, rppb, rcpb, rfc = t("RPAB"), t("RPPB"), t("RCPB"), t("RFCAB")
    for rd in (RD, RDA):
        if rd == RD:
            add(RD, BANK, (PRE,), t("RRD") + 2)  # sic: DRAMSys's generated checker
        else:
            add(RDA, BANK, (ACT,), rdaact)
            add(RDA, RANK, (REF,), rdpre + rppb)
            add(RDA, RANK, (SREFEN,), max(rdpden, rdpre + rppb))
        add(rd, RANK, (PREA,), rdpre)
        add(rd, RANK, (PDEA, PDEP), rdpden)
        add(rd, RANK, (RD, RDA), ccd)
        add(rd, RANK, (WR, WRA), rdwr)
        add(rd, OTHER_RANK, (RD, RDA), rtrs_burst)
        add(rd, OTHER_RANK, (WR, WRA), rdwr_r)
    for wr in (WR, WRA):
        if wr == WR:
            add(WR, BANK, (PRE,), wrpre)
            add(WR, BANK, (RDA,), max(wrrd, wrpre - rdpre))
            add(WR, RANK, (PDEA,), wrpden)
        else:
            add(WRA, BANK, (ACT,), wraact)
            add(WRA, RANK, (PDEA, PDEP), wrapden)
            add(WRA, RANK, (REF,), wrpre + rppb)
            add(WRA, RANK, (SREFEN,), max(wrapden, wrpre + rppb))
        add(wr, RANK, (PREA,), wrpre)
        add(wr, RANK, (WR, WRA), ccd)  # BL16; BL32 would add 8
        add(wr, RANK, (RD, RDA), wrrd)
        add(wr, OTHER_RANK, (WR, WRA), rtrs_burst)
        add(wr, OTHER_RANK, (RD, RDA), wrrd_r)
    add(ACT, BANK, (PRE,), t("RAS") + 2)
    add(ACT, BANK, (RD, WR, RDA, WRA), t("RCD"))
    add(ACT, BANK, (ACT,), rcpb)
    add(ACT, RANK, (PREA,), t("RAS") + 2)
    add(ACT, RANK, (ACT,), t("RRD"))
    add(ACT, RANK, (REF, SREFEN), rcpb + 2)
    add(ACT, RANK, (PDEA,), actpden)
    add(PRE, BANK, (ACT,), rppb - 2)
    add(PRE, RANK, (PRE, PREA), t("PPD"))
    add(PRE, RANK, (REF, SREFEN), rppb)
    add(PRE, RANK, (PDEA, PDEP), prpden)
    add(PREA, RANK, (ACT,), rpab - 2)
    add(PREA, RANK, (REF, SREFEN), rpab)
    add(PREA, RANK, (PDEP,), prpden)
    add(REF, RANK, (ACT,), rfc - 2)
    add(REF, RANK, (PDEP,), refpden)
    add(REF, RANK, (REF, SREFEN), rfc)
    add(PDEA, RANK, (PDXA,), t("CKE"))
    add(PDEP, RANK, (PDXP,), t("CKE"))
    add(SREFEN, RANK, (SREFEX,), t("SR"))
    add(PDXA, RANK, (PDEA,), t("CKE"))
    add(PDXA, RANK, (ACT, PRE, PREA, RD, RDA, WR, WRA), t("XP"))
    add(PDXP, RANK, (PDEP,), t("CKE"))
    add(PDXP, RANK, (REF, SREFEN, ACT), t("XP"))
    add(SREFEX, RANK, (ACT,), t("XSR") - 2)
    add(SREFEX, RANK, (REF, PDEP, SREFEN), t("XSR"))


def _hbm2_rules(spec: MemSpec, add) -> None:
    """CheckerHBM2 (DRAMSys 5, commit 6b01467), all-bank refresh, no masked writes."""
    t = spec.t
    burst = spec.burst_cycles
    rl, wl, rp, rtp = t("RL"), t("WL"), t("RP"), t("RTP")
    rdpde = rdsre = rl + t("PL") + burst + 1
    wrpre = wl + burst + t("WR")
    wrpde = wrapde = wl + t("PL") + burst + 1 + t("WR")
    wrrds = wl + burst + t("WTRS")
    wrrdl = wl + burst + t("WTRL")
    ccdl, ccds = t("CCDL"), t("CCDS")
    for rd in (RD, RDA):
        if rd == RD:
            add(RD, BANK, (PRE,), rtp)
        else:
            add(RDA, BANK, (ACT,), rtp + rp - 1)
            add(RDA, RANK, (REF,), rtp + rp)
            add(RDA, RANK, (SREFEN,), max(rtp + rp, rdsre))
        add(rd, GROUP, (RD, RDA), ccdl)
        add(rd, RANK, (PREA,), rtp)
        add(rd, RANK, (PDEA, PDEP), rdpde)
        add(rd, RANK, (RD, RDA), ccds)
        add(rd, RANK, (WR, WRA), t("RTW"))
        add(rd, OTHER_STACK, (RD, RDA), t("CCDR"))
    for wr in (WR, WRA):
        if wr == WR:
            add(WR, BANK, (PRE,), wrpre)
            add(WR, BANK, (RDA,), wl + burst + max(t("WR") - rtp, t("WTRL")))
            add(WR, RANK, (PDEA,), wrpde)
        else:
            add(WRA, BANK, (ACT,), wrpre + rp - 1)
            add(WRA, RANK, (PDEA, PDEP), wrapde)
            add(WRA, RANK, (REF, SREFEN), wrpre + rp)
        add(wr, GROUP, (RD, RDA), wrrdl)
        add(wr, GROUP, (WR, WRA), ccdl)
        add(wr, RANK, (PREA,), wrpre)
        add(wr, RANK, (RD, RDA), wrrds)
        add(wr, RANK, (WR, WRA), ccds)
    add(ACT, BANK, (ACT,), t("RC"))
    add(ACT, BANK, (PRE,), t("RAS") + 1)
    add(ACT, BANK, (RD, RDA), t("RCDRD") + 1)
    add(ACT, BANK, (WR, WRA), t("RCDWR") + 1)
    add(ACT, GROUP, (ACT,), t("RRDL"))
    add(ACT, RANK, (ACT,), t("RRDS"))
    add(ACT, RANK, (PREA,), t("RAS") + 1)
    add(ACT, RANK, (REF, SREFEN), t("RC") + 1)
    add(PRE, BANK, (ACT,), rp - 1)
    add(PRE, RANK, (REF, SREFEN), rp)
    add(PREA, RANK, (ACT,), rp - 1)
    add(PREA, RANK, (REF, SREFEN), rp)
    add(REF, RANK, (ACT,), t("RFC") - 1)
    add(REF, RANK, (REF, SREFEN), t("RFC"))
    add(PDEA, RANK, (PDXA,), t("CKE"))  # tPD = tCKE
    add(PDEP, RANK, (PDXP,), t("CKE"))
    add(PDXA, RANK, (ACT,), t("XP") - 1)
    add(PDXA, RANK, (PDEA,), t("CKE"))
    add(PDXA, RANK, (PRE, PREA, RD, RDA, WR, WRA), t("XP"))
    add(PDXP, RANK, (ACT,), t("XP") - 1)
    add(PDXP, RANK, (PDEP,), t("CKE"))
    add(PDXP, RANK, (REF, SREFEN), t("XP"))
    add(SREFEX, RANK, (ACT,), t("XS") - 1)
    add(SREFEX, RANK, (PDEP, REF, SREFEN), t("XS"))
    add(SREFEX, RANK, (SREFEX,), t("CKE") + 1)  # tCKESR = tCKE + tCK


def constraint_list(spec: MemSpec) -> list[tuple[int, int, int, int]]:
    """All pairwise constraints as (first, scope, second, delay)."""
    if spec.memory_type in ("LPDDR4", "HBM2"):
        rules: list[tuple[int, int, int, int]] = []

        def add_rule(first, scope, seconds, delay):
            for s2 in seconds:
                rules.append((first, scope, s2, int(delay)))

        (_lpddr4_rules if spec.memory_type == "LPDDR4" else _hbm2_rules)(spec, add_rule)
        _bus_rules(spec, add_rule)
        return rules
    t = spec.t
    d = derived_delays(spec)
    ddr4 = spec.memory_type == "DDR4"
    ccd_l = t("CCD_L") if ddr4 else t("CCD")
    ccd_s = t("CCD_S") if ddr4 else t("CCD")
    rrd_s = t("RRD_S") if ddr4 else t("RRD")
    rtrs_burst = d["BURST"] + t("RTRS")
    rc, rp, ras, rfc = t("RC"), t("RP"), t("RAS"), spec.refresh_cycle
    al_rtp = t("AL") + t("RTP")
    rcd_al = t("RCD") - t("AL")
    tpd = t("CKE")
    out: list[tuple[int, int, int, int]] = []

    def add(first, scope, seconds, delay):
        for s in seconds:
            out.append((first, scope, s, int(delay)))

    # ACT
    add(ACT, BANK, (PRE,), ras)
    add(ACT, BANK, (RD, WR, RDA, WRA), rcd_al)
    add(ACT, BANK, (ACT,), t("RCD") if ddr4 else rc)
    add(ACT, RANK, (PREA,), ras)
    add(ACT, RANK, (ACT,), rrd_s)
    if ddr4:
        add(ACT, GROUP, (ACT,), t("RRD_L"))
    add(ACT, RANK, (PDEA,), t("ACTPDEN"))
    add(ACT, RANK, (REF, SREFEN), rc)
    # PRE / PREA
    add(PRE, BANK, (ACT,), rp)
    add(PRE, RANK, (REF, SREFEN), rp)
    add(PRE, RANK, (PDEA, PDEP), t("PRPDEN"))
    add(PREA, RANK, (ACT, REF, SREFEN), rp)
    add(PREA, RANK, (PDEP,), t("PRPDEN"))
    # RD / RDA
    for rd in (RD, RDA):
        if rd == RD:
            add(RD, BANK, (PRE,), al_rtp)
            if ddr4:
                add(RD, BANK, (RD, RDA), ccd_l)
            add(RD, BANK, (WR, WRA), d["RDWR"])
        else:
            add(RDA, BANK, (ACT,), d["RDAACT"])
            add(RDA, RANK, (REF,), d["RDAACT"])
            add(RDA, RANK, (SREFEN,), max(d["RDPDEN"], d["RDAACT"]))
        if ddr4:
            add(rd, GROUP, (RD, RDA), ccd_l)
            add(rd, GROUP, (WR, WRA), d["RDWR"])
        add(rd, RANK, (PREA,), al_rtp)
        add(rd, RANK, (PDEA, PDEP), d["RDPDEN"])
        add(rd, RANK, (RD, RDA), ccd_s)
        add(rd, RANK, (WR, WRA), d["RDWR"])
        add(rd, OTHER_RANK, (RD, RDA), rtrs_burst)
        add(rd, OTHER_RANK, (WR, WRA), d["RDWR_R"])
    # WR / WRA
    for wr in (WR, WRA):
        if wr == WR:
            add(WR, BANK, (PRE,), d["WRPRE"])
            add(WR, BANK, (WR, WRA), ccd_l)
            add(WR, BANK, (RD,), d["WRRD_L"])
            add(WR, BANK, (RDA,), max(d["WRRD_L"], d["WRPRE"] - t("RTP") - t("AL")))
            add(WR, RANK, (PDEA,), d["WRPDEN"])
        else:
            add(WRA, BANK, (ACT,), d["WRAACT"])
            add(WRA, RANK, (PDEA, PDEP), d["WRAPDEN"])
            add(WRA, RANK, (REF,), d["WRAACT"])
            add(WRA, RANK, (SREFEN,), max(d["WRAPDEN"], d["WRAACT"]))
        if ddr4:
            add(wr, GROUP, (WR, WRA), ccd_l)
            add(wr, GROUP, (RD, RDA), d["WRRD_L"])
        add(wr, RANK, (PREA,), d["WRPRE"])
        add(wr, RANK, (WR, WRA), ccd_s)
        add(wr, RANK, (RD, RDA), d["WRRD_S"])
        add(wr, OTHER_RANK, (WR, WRA), rtrs_burst)
        add(wr, OTHER_RANK, (RD, RDA), d["WRRD_R"])
    # DRAMSys 5's CheckerDDR3 has no (WR, PREA) rule, so a refresh's precharge-all could cut a write's
    # recovery short; the model keeps JEDEC's write recovery before PREA for DDR3 as for DDR4.
    # refresh
    add(REF, RANK, (ACT, REF, SREFEN), rfc)
    add(REF, RANK, (PDEP,), t("REFPDEN"))
    # power-down entry/exit
    add(PDEA, RANK, (PDXA,), tpd)
    add(PDEP, RANK, (PDXP,), tpd)
    add(PDXA, RANK, (PDEA,), t("CKE"))
    if not ddr4:
        add(PDXA, RANK, (PDEP,), t("CKE"))
    add(PDXA, RANK, (ACT, PRE, PREA, RD, RDA, WR, WRA), t("XP"))
    if ddr4:
        add(PDXP, RANK, (PDEP,), t("CKE"))
    add(PDXP, RANK, (REF, SREFEN, ACT), t("XP"))
    # self refresh
    add(SREFEX, RANK, (ACT, REF, PDEP, SREFEN), t("XS"))
    add(SREFEX, RANK, (RD, RDA, WR, WRA), t("XSDLL"))
    add(SREFEX, RANK, (SREFEX,), t("CKESR"))
    return out


def constraint_arrays(spec: MemSpec) -> tuple[np.ndarray, np.ndarray]:
    """Constraints grouped by first command and scope, for the event loop.

    Returns ``(index, rules)``: for command ``c`` and scope ``s`` (bank, bank group, rank, other rank,
    other stack), rows ``index[c, s]:index[c, s + 1]`` of ``rules`` are its (second command, delay) pairs.
    """
    rules = sorted(constraint_list(spec))
    index = np.zeros((NCMD, NSCOPE + 1), dtype=np.int64)
    rows = np.zeros((len(rules), 2), dtype=np.int64)
    counts = np.zeros((NCMD, NSCOPE), dtype=np.int64)
    for i, (first, scope, second, delay) in enumerate(rules):
        counts[first, scope] += 1
        rows[i] = (second, delay)
    start = 0
    for c in range(NCMD):
        index[c, 0] = start
        for scope in range(NSCOPE):
            start += counts[c, scope]
            index[c, scope + 1] = start
    return index, rows
