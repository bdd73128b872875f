"""The timing checker's state: the earliest legal cycle of every command on every bank, bank group and rank.

DRAMSys's checker remembers when each command last issued and evaluates the rules when asked. The model
turns that around so that asking is cheap: when a command issues, every constraint it starts (the rule list
of :mod:`..timing`, as ``rule_idx`` / ``rules``) raises the earliest time of the commands it delays. The
times sit in one int64 table ``chk`` with a row per command (plus a last row, "never", standing for a bank
without a command so that the bank scan needs no branch) and a column per bank, then per bank group, then
per rank (``goff`` / ``roff`` are where the group and rank columns start); the loop also reads it flat as
``chkf``. A look-up is the maximum of three entries (and of ``bus``, the first cycle the command bus is free:
one command per cycle); an update is a few branch-free loops. The four-activate window (tFAW) keeps each
rank's last ACT times.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..timing import ACT, NCMD


@njit(cache=True, error_model="numpy")
def new_timing_table(nbanks, ngroups, ranks, never, rules):
    """The table (everything legal from cycle 0, the "never" row at ``never``) and the rules as (flat offset of
    the delayed command's row, delay) for branch-free updates."""
    width = nbanks + ngroups + ranks
    chk = np.zeros((NCMD + 1, width), dtype=np.int64)
    chk[NCMD, :] = never
    rule_off = np.empty(rules.shape[0], dtype=np.int64)
    rule_delay = np.empty(rules.shape[0], dtype=np.int64)
    for i in range(rules.shape[0]):
        rule_off[i] = rules[i, 0] * width
        rule_delay[i] = rules[i, 1]
    return chk, rule_off, rule_delay


@njit(cache=True, error_model="numpy", inline="always")
def rank_command_earliest(c, r, t, chk, roff, bus):
    """Earliest legal cycle, not before ``t``, of rank command ``c`` (PREA, REF, power-down) on rank ``r``.
    Bank commands are looked up inside the loops over banks instead (see :mod:`.multiplexer`)."""
    e = t
    if chk[c, roff + r] > e:
        e = chk[c, roff + r]
    if bus > e:
        e = bus
    return e


@njit(cache=True, error_model="numpy", inline="always")
def issue_constraints(c, b, g, r, t, ranks, rule_idx, rule_off, rule_delay, chkf, goff, roff):
    """Command ``c`` issued at ``t`` on bank ``b`` (group ``g``, rank ``r``): raise the earliest times of every
    command it delays, on the same bank, bank group, rank, and on the other ranks."""
    for i in range(rule_idx[c, 0], rule_idx[c, 1]):  # same bank
        j = rule_off[i] + b
        v = t + rule_delay[i]
        w = chkf[j]
        chkf[j] = v if v > w else w
    col = goff + g
    for i in range(rule_idx[c, 1], rule_idx[c, 2]):  # same bank group
        j = rule_off[i] + col
        v = t + rule_delay[i]
        w = chkf[j]
        chkf[j] = v if v > w else w
    col = roff + r
    for i in range(rule_idx[c, 2], rule_idx[c, 3]):  # same rank
        j = rule_off[i] + col
        v = t + rule_delay[i]
        w = chkf[j]
        chkf[j] = v if v > w else w
    for i in range(rule_idx[c, 3], rule_idx[c, 4]):  # the other ranks
        v = t + rule_delay[i]
        for r2 in range(ranks):
            j = rule_off[i] + roff + r2
            w = chkf[j]
            if r2 != r and v > w:
                chkf[j] = v


@njit(cache=True, error_model="numpy", inline="always")
def four_activate_window(r, t, faw, faw_q, faw_n, chk, roff):
    """An ACT issued at ``t`` on rank ``r``: the 5th ACT within a window waits for the 1st + tFAW."""
    faw_q[r, faw_n[r]] = t
    faw_n[r] += 1
    if faw_n[r] >= 4:
        v = faw_q[r, 0] + faw
        if v > chk[ACT, roff + r]:
            chk[ACT, roff + r] = v
        for i in range(faw_n[r] - 1):
            faw_q[r, i] = faw_q[r, i + 1]
        faw_n[r] -= 1
