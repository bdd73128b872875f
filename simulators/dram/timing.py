"""Command timing constraints of DDR3 and DDR4 as DRAMSys's checkers enforce them.

Each constraint says: after command ``first`` on some component, command ``second`` may issue
on a component in ``scope`` no earlier than ``delay`` cycles later. Scopes: the same bank, the
same bank group, the same rank, or any *other* rank of the channel (rank-to-rank switching).
The four-activate window (tFAW) and the one-command-per-cycle command bus are handled
separately by the controller. The rule list mirrors DRAMSys 5's generated CheckerDDR3/CheckerDDR4,
including its quirks (e.g. DDR4 ACT->ACT on one bank only waits tRCD; tRC is implied by
tRAS + tRP for open pages but not enforced after RDA) -- with one exception: DRAMSys's DDR3 checker
lacks the write-recovery rule before a precharge-all (WR -> PREA), which the model enforces.
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
BANK, GROUP, RANK, OTHER_RANK = range(4)
SCOPE_NAMES = ("bank", "bankgroup", "rank", "other rank")
CAS = (RD, WR, RDA, WRA)


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


def constraint_list(spec: MemSpec) -> list[tuple[int, int, int, int]]:
    """All pairwise constraints as (first, scope, second, delay)."""
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

    Returns ``(index, rules)``: for command ``c`` and scope ``s`` (bank, bank group, rank, other rank),
    rows ``index[c, s]:index[c, s + 1]`` of ``rules`` are its (second command, delay) pairs.
    """
    rules = sorted(constraint_list(spec))
    index = np.zeros((NCMD, 5), dtype=np.int64)
    rows = np.zeros((len(rules), 2), dtype=np.int64)
    counts = np.zeros((NCMD, 4), dtype=np.int64)
    for i, (first, scope, second, delay) in enumerate(rules):
        counts[first, scope] += 1
        rows[i] = (second, delay)
    start = 0
    for c in range(NCMD):
        index[c, 0] = start
        for scope in range(4):
            start += counts[c, scope]
            index[c, scope + 1] = start
    return index, rows
