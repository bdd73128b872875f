"""The timing checker as one table: the earliest legal cycle of each command per bank, bank group, rank, stack.

``chk[c, col]`` is the earliest cycle command ``c`` may issue as far as column ``col`` is concerned; the columns
are the banks, then the bank groups (from ``goff``), the ranks (``roff``) and the stacks (``soff``). A last row
of "never" stands for banks without a command, so the bank scan needs no branch. An issued command pushes
each constraint it starts (the rule list of :mod:`..timing`) into the table with branch-free updates.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..timing import ACT, NCMD


@njit(cache=True, error_model="numpy", inline="always")
def new_table(nbanks, ngroups, ranks, stacks, rules, never):
    """The table (and its flat view) and the rules as (flat offset of the second command's row, delay)."""
    width = nbanks + ngroups + ranks + stacks
    chk = np.zeros((NCMD + 1, width), dtype=np.int64)
    chk[NCMD, :] = never
    rule_off = np.empty(rules.shape[0], dtype=np.int64)
    rule_delay = np.empty(rules.shape[0], dtype=np.int64)
    for i in range(rules.shape[0]):
        rule_off[i] = rules[i, 0] * width
        rule_delay[i] = rules[i, 1]
    return chk, chk.reshape(-1), width, rule_off, rule_delay


@njit(cache=True, error_model="numpy", inline="always")
def earliest(c, b, g, r, t, chk, goff, roff, bus):
    """Earliest legal cycle of command ``c`` (bank b, group g, rank r; b < 0 for rank commands)."""
    e = t
    if b >= 0:
        if chk[c, b] > e:
            e = chk[c, b]
        if chk[c, goff + g] > e:
            e = chk[c, goff + g]
    if chk[c, roff + r] > e:
        e = chk[c, roff + r]
    if bus > e:
        e = bus
    return e


@njit(cache=True, error_model="numpy", inline="always")
def bank_ready(c, b, t, bus, chk, gcol, rcol):
    """Earliest legal cycle, not before ``t``, of bank ``b``'s command ``c``: its bank, bank-group and rank
    columns and the command bus."""
    e = chk[c, b]
    v = chk[c, gcol[b]]
    if v > e:
        e = v
    v = chk[c, rcol[b]]
    if v > e:
        e = v
    if bus > e:
        e = bus
    if t > e:
        e = t
    return e


@njit(cache=True, error_model="numpy", inline="always")
def record_command(c, t, b, g, r, st, rule_idx, rule_off, rule_delay, chk, chkf, goff, roff, soff, ranks, stacks,
                   faw, faw_q, faw_n):
    """Every constraint command ``c`` (issued at ``t`` to bank b, group g, rank r, stack st) starts: the
    rules by scope (``rule_idx[c]`` bounds same bank, same group, same rank, other ranks, other stacks) and
    the four-activate window."""
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
    for i in range(rule_idx[c, 3], rule_idx[c, 4]):  # the other ranks (branch-free: v > w is data-dependent)
        v = t + rule_delay[i]
        for r2 in range(ranks):
            if r2 != r:
                j = rule_off[i] + roff + r2
                w = chkf[j]
                chkf[j] = v if v > w else w
    if c == ACT:
        # four-activate window: the 5th ACT waits for the 1st + tFAW
        faw_q[r, faw_n[r]] = t
        faw_n[r] += 1
        if faw_n[r] >= 4:
            v = faw_q[r, 0] + faw
            if v > chk[ACT, roff + r]:
                chk[ACT, roff + r] = v
            for i in range(faw_n[r] - 1):
                faw_q[r, i] = faw_q[r, i + 1]
            faw_n[r] -= 1
    if rule_idx[c, 4] < rule_idx[c, 5]:  # another stack (HBM2 tCCDR)
        for i in range(rule_idx[c, 4], rule_idx[c, 5]):
            v = t + rule_delay[i]
            for s2 in range(stacks):
                j = rule_off[i] + soff + s2
                w = chkf[j]
                if s2 != st and v > w:
                    chkf[j] = v


def drop_dominated(index: np.ndarray, rules: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rules of :func:`..timing.constraint_arrays` without those a wider scope's rule already implies.

    A bank command's earliest time is the maximum over its bank, bank-group and rank columns, so a same-bank
    rule (second command x, delay d) adds nothing when a same-group or same-rank rule of the same first
    command gives x a delay of at least d, nor a same-group rule when a same-rank one does (the bank lies in
    its group, the group in its rank). Dropping them changes no earliest time and spares the loop their
    updates (DDR4: 4 of the 19-20 rules a RD or WR pushes). Returns ``(index, rules)`` in the same layout."""
    keep_rows = []
    new_index = np.zeros_like(index)
    start = 0
    for c in range(index.shape[0]):
        new_index[c, 0] = start
        wider = [dict() for _ in range(3)]  # per scope 0..2: second command -> largest delay
        for s in range(3):
            for i in range(index[c, s], index[c, s + 1]):
                x, d = int(rules[i, 0]), int(rules[i, 1])
                wider[s][x] = max(d, wider[s].get(x, d))
        for s in range(index.shape[1] - 1):
            for i in range(index[c, s], index[c, s + 1]):
                x, d = int(rules[i, 0]), int(rules[i, 1])
                if s < 2 and any(wider[w].get(x, -1) >= d for w in range(s + 1, 3)):
                    continue
                keep_rows.append((x, d))
                start += 1
            new_index[c, s + 1] = start
    return new_index, np.array(keep_rows, dtype=np.int64).reshape(-1, 2)
