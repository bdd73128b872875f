"""Staggered power-down managers, one per rank (DRAMSys's PowerDownManagerStaggered).

Per rank: ``pd_state`` (idle, active or precharge power-down, self refresh, or the extra refresh after
self-refresh exit), the armed entry / exit / self-refresh requests ``pd_entry``, ``pd_exit``, ``pd_sref``,
and ``pd_ctrl_idle`` (the controller holds no request of the rank).
"""

from __future__ import annotations

from numba import njit

from ..timing import PDEA, PDEP, PDXA, PDXP, REF, SREFEN, SREFEX
from .layout import B_STATE, PD_ACT, PD_EXTRA, PD_IDLE, PD_PRE, PD_SREF


@njit(cache=True, error_model="numpy", inline="always")
def powerdown_command(r, bpr, pd_state, pd_entry, pd_exit, pd_sref, bk):
    """PowerDownManagerStaggered::evaluate: the rank's power-down command or -1."""
    if pd_exit[r]:
        st = pd_state[r]
        if st == PD_ACT:
            return PDXA
        if st == PD_PRE:
            return PDXP
        if st == PD_SREF:
            return SREFEX
        if st == PD_EXTRA:
            return REF
        return -1
    if pd_entry[r]:
        for b in range(r * bpr, (r + 1) * bpr):
            if bk[b, B_STATE] == 1:
                return PDEA
        return PDEP
    if pd_sref[r]:
        return SREFEN
    return -1


@njit(cache=True, error_model="numpy", inline="always")
def trigger_exit(r, pd_state, pd_ctrl_idle, pd_sref, pd_entry, pd_exit):
    """powerDownManager.triggerExit(): the rank's first request arrived."""
    pd_ctrl_idle[r] = False
    pd_sref[r] = False
    pd_entry[r] = False
    if pd_state[r] != PD_IDLE:
        pd_exit[r] = True


@njit(cache=True, error_model="numpy", inline="always")
def trigger_entry(r, pd_state, pd_ctrl_idle, pd_entry):
    """powerDownManager.triggerEntry(): the rank's last request left."""
    pd_ctrl_idle[r] = True
    if pd_state[r] == PD_IDLE:
        pd_entry[r] = True


@njit(cache=True, error_model="numpy", inline="always")
def trigger_interruption(r, pd_state, pd_entry, pd_exit):
    """powerDownManager.triggerInterruption(): a refresh is due."""
    pd_entry[r] = False
    if pd_state[r] != PD_IDLE:
        pd_exit[r] = True


@njit(cache=True, error_model="numpy", inline="always")
def powerdown_on_command(c, r, pd_state, pd_ctrl_idle, pd_entry, pd_exit, pd_sref):
    """The rank's power-down manager after command ``c`` issued to the rank."""
    if c == PDEA:
        pd_state[r] = PD_ACT
        pd_entry[r] = False
    elif c == PDEP:
        pd_state[r] = PD_PRE
        pd_entry[r] = False
    elif c == SREFEN:
        pd_state[r] = PD_SREF
        pd_entry[r] = False
        pd_sref[r] = False
    elif c == PDXA:
        pd_state[r] = PD_IDLE
        pd_exit[r] = False
    elif c == PDXP:
        pd_state[r] = PD_IDLE
        pd_exit[r] = False
        if pd_ctrl_idle[r]:
            pd_sref[r] = True
    elif c == SREFEX:
        pd_state[r] = PD_EXTRA
    elif c == REF:
        if pd_state[r] == PD_EXTRA:
            pd_state[r] = PD_IDLE
            pd_exit[r] = False
        elif pd_ctrl_idle[r]:
            pd_entry[r] = True
