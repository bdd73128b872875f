"""Power-down managers (DRAMSys's PowerDownManagerStaggered), one per rank.

A rank with no request in the controller enters power-down as soon as it can (active power-down PDEA if a
bank is open, else precharge power-down PDEP), and from precharge power-down goes on into self refresh
(SREFEN); a request for the rank or a due refresh makes it exit (PDXA / PDXP / SREFEX; after self refresh
one REF follows). The managers' state is one int64 table ``pdm``, a row per rank, columns ``PM_*``: the
power-down state (``PD_*``), whether the controller holds no request for the rank, the entry / exit /
self-refresh wishes, the rank's proposed command this cycle and the number of its requests in the
controller (DRAMSys's ranksNumberOfPayloads, which triggers entry and exit).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..timing import PDEA, PDEP, PDXA, PDXP, REF, SREFEN, SREFEX
from .banks import B_STATE

# power-down states
PD_IDLE, PD_ACT, PD_PRE, PD_SREF, PD_EXTRA = range(5)
# manager table columns: PM_STATE (a PD_* state), PM_CTRL_IDLE (no request for the rank), PM_ENTRY /
# PM_EXIT / PM_SREF (entry, exit, self-refresh entry wanted), PM_CMD (this cycle's command, -1: none),
# PM_PAYLOADS (the rank's requests in the controller)
PM_STATE, PM_CTRL_IDLE, PM_ENTRY, PM_EXIT, PM_SREF, PM_CMD, PM_PAYLOADS, PM_N = range(8)


@njit(cache=True, error_model="numpy")
def new_powerdown_managers(ranks, pd_on):
    """Every rank idle; entry is armed from the start when power-down is on, as in DRAMSys."""
    pdm = np.zeros((ranks, PM_N), dtype=np.int64)
    pdm[:, PM_CTRL_IDLE] = True
    pdm[:, PM_ENTRY] = pd_on
    pdm[:, PM_CMD] = -1
    return pdm


@njit(cache=True, error_model="numpy", inline="always")
def request_arrives(r, pd_on, pdm):
    """A request for rank ``r`` enters the scheduler: its first one wakes the rank (triggerExit)."""
    if pdm[r, PM_PAYLOADS] == 0 and pd_on:
        pdm[r, PM_CTRL_IDLE] = False
        pdm[r, PM_SREF] = False
        pdm[r, PM_ENTRY] = False
        if pdm[r, PM_STATE] != PD_IDLE:
            pdm[r, PM_EXIT] = True
    pdm[r, PM_PAYLOADS] += 1


@njit(cache=True, error_model="numpy", inline="always")
def trigger_interruption(r, pdm):
    """A refresh is due on rank ``r``: no entry, and wake up if asleep (triggerInterruption)."""
    pdm[r, PM_ENTRY] = False
    if pdm[r, PM_STATE] != PD_IDLE:
        pdm[r, PM_EXIT] = True


@njit(cache=True, error_model="numpy", inline="always")
def trigger_entry_if_idle(r, pd_on, pdm):
    """After a command on rank ``r``: if the controller holds no request for it, power down when possible
    (triggerEntry)."""
    if pdm[r, PM_PAYLOADS] == 0 and pd_on:
        pdm[r, PM_CTRL_IDLE] = True
        if pdm[r, PM_STATE] == PD_IDLE:
            pdm[r, PM_ENTRY] = True


@njit(cache=True, error_model="numpy", inline="always")
def powerdown_evaluate(r, bpr, pdm, bk):
    """PowerDownManagerStaggered::evaluate: the rank's power-down command or -1."""
    if pdm[r, PM_EXIT]:
        st = pdm[r, PM_STATE]
        if st == PD_ACT:
            return PDXA
        if st == PD_PRE:
            return PDXP
        if st == PD_SREF:
            return SREFEX
        if st == PD_EXTRA:
            return REF
        return -1
    if pdm[r, PM_ENTRY]:
        for b in range(r * bpr, (r + 1) * bpr):
            if bk[b, B_STATE] == 1:
                return PDEA
        return PDEP
    if pdm[r, PM_SREF]:
        return SREFEN
    return -1


@njit(cache=True, error_model="numpy", inline="always")
def powerdown_on_command(c, r, pdm):
    """The manager of rank ``r`` after command ``c`` issued on the rank (PowerDownManagerStaggered::update)."""
    if c == PDEA:
        pdm[r, PM_STATE] = PD_ACT
        pdm[r, PM_ENTRY] = False
    elif c == PDEP:
        pdm[r, PM_STATE] = PD_PRE
        pdm[r, PM_ENTRY] = False
    elif c == SREFEN:
        pdm[r, PM_STATE] = PD_SREF
        pdm[r, PM_ENTRY] = False
        pdm[r, PM_SREF] = False
    elif c == PDXA:
        pdm[r, PM_STATE] = PD_IDLE
        pdm[r, PM_EXIT] = False
    elif c == PDXP:
        pdm[r, PM_STATE] = PD_IDLE
        pdm[r, PM_EXIT] = False
        if pdm[r, PM_CTRL_IDLE]:
            pdm[r, PM_SREF] = True
    elif c == SREFEX:
        pdm[r, PM_STATE] = PD_EXTRA
    elif c == REF:
        if pdm[r, PM_STATE] == PD_EXTRA:
            pdm[r, PM_STATE] = PD_IDLE
            pdm[r, PM_EXIT] = False
        elif pdm[r, PM_CTRL_IDLE]:
            pdm[r, PM_ENTRY] = True
