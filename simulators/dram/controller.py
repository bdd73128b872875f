"""The memory controller and channel, cycle by cycle: DRAMSys's controller architecture in numba.

One call of :func:`run_channel` plays a request stream through a trace player, the arbiter,
the controller and the DRAM timing checker, and returns per-request times and the issued
command stream. The structure follows DRAMSys 5 (``Controller::controllerMethod``):

- front end: a trace player that sends the next request after the previous END_REQ (Simple
  arbiter) or as soon as the arbiter grants one of ``MaxActiveTransactions`` slots (Fifo and
  Reorder arbiters, which queue requests and responses and, for Reorder, return responses in order);
- admission: one request at a time waits in front of the scheduler until its buffer
  (Bankwise, ReadWrite or Shared; Bankwise checks the bank of the *last stored* request, as
  DRAMSys does) has room;
- one bank machine per bank choosing the next command for its current request under the page
  policy (Open, OpenAdaptive, Closed, ClosedAdaptive) from the scheduler (Fifo, FrFcfs, FrFcfsGrp);
- per-rank all-bank refresh managers with postponing and pulling in, and staggered power-down
  managers (active/precharge power-down, self refresh);
- a command multiplexer issuing at most one command per cycle: the ready command with the
  earliest legal time, ties to the oldest request (refreshes first);
- the response queue (Fifo, or Reorder by arrival) returning a read/write at the end of its
  data burst.

The event loop only visits cycles where something can happen, so its cost scales with the
number of requests, not with simulated time. What keeps a visit cheap (profiled with perf on the
JIT code): the bank scan is one branch-free pass over packed (earliest time, request id) keys; only
banks whose inputs changed are re-evaluated; timing constraints are pushed into a flat table with
branch-free updates when a command issues; with the Simple arbiter, cycles that can only send
responses (or find the buffer still full) are played by a small inner loop instead of a full visit;
helpers are inlined; the caller passes reused work arrays (fresh ones cost page faults every run).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .timing import (
    ACT,
    MUX_RASCAS,
    MUX_SINGLE,
    NCMD,
    PDEA,
    PDEP,
    PDXA,
    PDXP,
    PRE,
    PREA,
    RD,
    RDA,
    REF,
    SREFEN,
    SREFEX,
    WR,
    WRA,
    command_lengths,
    mux_kind,
    strobe_offsets,
)

INF = np.int64(2 ** 62)
BIG_PID = np.int64(2 ** 62)

# configuration vector layout (filled by build_config)
C_PAGE, C_SCHED, C_BUFTYPE, C_BUFSIZE, C_BUFREAD, C_BUFWRITE, C_RESPQ, C_REFRESH, C_POSTPONE, C_PULLIN, C_PD, \
    C_ARBITER, C_MAXACTIVE, C_THINKFW, C_THINKBW, C_PHYFW, C_PHYBW, C_ARBFW, C_ARBBW, C_NCFG = range(20)
# memspec vector layout (M_RL / M_WL: cycles from a read / write command to the start of its last burst
# cycle's end minus the burst; M_LEN: NCMD command lengths)
M_RANKS, M_BPR, M_GPR, M_BPG, M_RL, M_WL, M_BURST, M_REFI, M_FAW, M_MUX, M_STACKS, M_LEN = range(12)
M_NSPEC = M_LEN + NCMD

PAGE_CODES = {"Open": 0, "OpenAdaptive": 1, "Closed": 2, "ClosedAdaptive": 3}
SCHED_CODES = {"Fifo": 0, "FrFcfs": 1, "FrFcfsGrp": 2}
BUFFER_CODES = {"Bankwise": 0, "ReadWrite": 1, "Shared": 2}
RESPQ_CODES = {"Fifo": 0, "Reorder": 1}
REFRESH_CODES = {"NoRefresh": 0, "AllBank": 1}
PD_CODES = {"NoPowerDown": 0, "Staggered": 1}
ARBITER_CODES = {"Simple": 0, "Fifo": 1, "Reorder": 2}

# bank machine table columns
B_STATE, B_OPEN, B_CUR, B_KEEP, B_BLOCKED, B_SLEEP, B_NEXT = range(7)
# power-down manager states
PD_IDLE, PD_ACT, PD_PRE, PD_SREF, PD_EXTRA = range(5)


def build_config(mc: dict) -> np.ndarray:
    """Encode a resolved mcconfig (see :mod:`.mcconfig`) as the integer vector the loop reads."""
    cfg = np.zeros(C_NCFG, dtype=np.int64)
    cfg[C_PAGE] = PAGE_CODES[mc["PagePolicy"]]
    cfg[C_SCHED] = SCHED_CODES[mc["Scheduler"]]
    cfg[C_BUFTYPE] = BUFFER_CODES[mc["SchedulerBuffer"]]
    cfg[C_BUFSIZE] = mc["RequestBufferSize"]
    cfg[C_BUFREAD] = mc["RequestBufferSizeRead"]
    cfg[C_BUFWRITE] = mc["RequestBufferSizeWrite"]
    cfg[C_RESPQ] = RESPQ_CODES[mc["RespQueue"]]
    cfg[C_REFRESH] = REFRESH_CODES[mc["RefreshPolicy"]]
    cfg[C_POSTPONE] = mc["RefreshMaxPostponed"]
    cfg[C_PULLIN] = mc["RefreshMaxPulledin"]
    cfg[C_PD] = PD_CODES[mc["PowerDownPolicy"]]
    cfg[C_ARBITER] = ARBITER_CODES[mc["Arbiter"]]
    cfg[C_MAXACTIVE] = mc["MaxActiveTransactions"]
    cfg[C_THINKFW] = mc["ThinkDelayFw"]
    cfg[C_THINKBW] = mc["ThinkDelayBw"]
    cfg[C_PHYFW] = mc["PhyDelayFw"]
    cfg[C_PHYBW] = mc["PhyDelayBw"]
    cfg[C_ARBFW] = mc["ArbitrationDelayFw"]
    cfg[C_ARBBW] = mc["ArbitrationDelayBw"]
    return cfg


def build_spec_vector(spec) -> np.ndarray:
    v = np.zeros(M_NSPEC, dtype=np.int64)
    v[M_RANKS] = spec.ranks
    v[M_BPR] = spec.banks_per_rank
    v[M_GPR] = spec.bank_groups_per_rank
    v[M_BPG] = spec.banks_per_group
    rd_end, wr_end = strobe_offsets(spec)
    v[M_RL] = rd_end - spec.burst_cycles
    v[M_WL] = wr_end - spec.burst_cycles
    v[M_BURST] = spec.burst_cycles
    v[M_REFI] = spec.refresh_interval
    v[M_FAW] = spec.t("FAW")
    v[M_MUX] = mux_kind(spec)
    v[M_STACKS] = spec.stacks
    v[M_LEN:M_LEN + NCMD] = command_lengths(spec)
    return v


def buffer_capacity(cfg: np.ndarray) -> int:
    """Most requests one bank's scheduler queue can hold under the buffer policy."""
    if cfg[C_BUFTYPE] == 1:
        return int(cfg[C_BUFREAD] + cfg[C_BUFWRITE])
    return int(cfg[C_BUFSIZE])


# -------------------------------------------------------------------------------------------
# scheduler: per-bank queues in arrival order
# -------------------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy", inline="always")
def _evaluate_bank(b, page, sched, q, qn, bk, row, addr, is_write, last_cmd_write):
    """BankMachine::evaluate: pick the bank's current request and its next command.

    The scheduler's getNextRequest / hasFurtherRowHit are written out here rather than called, which
    keeps numba's reference counting of the array arguments out of this hot path."""
    bk[b, B_NEXT] = -1
    if bk[b, B_SLEEP] or bk[b, B_BLOCKED]:
        return
    n = qn[b]
    if n == 0:
        return
    active = bk[b, B_STATE] == 1
    open_row = bk[b, B_OPEN]
    # Scheduler::getNextRequest
    new = q[b, 0]
    if active and sched == 1:
        for i in range(n):
            k = q[b, i]
            if row[k] == open_row:
                new = k
                break
    elif active and sched == 2:
        # FrFcfsGrp: among row hits, the first of the last CAS's direction without an earlier same-address hit
        first_hit = -1
        found = -1
        for i in range(n):
            k = q[b, i]
            if row[k] != open_row:
                continue
            if first_hit < 0:
                first_hit = k
            if is_write[k] == last_cmd_write:
                hazard = False
                for j in range(i):
                    k2 = q[b, j]
                    if row[k2] == open_row and addr[k2] == addr[k]:
                        hazard = True
                        break
                if not hazard:
                    found = k
                    break
        if found >= 0:
            new = found
        elif first_hit >= 0:
            new = first_hit
    if bk[b, B_KEEP]:
        if row[new] == open_row:
            bk[b, B_CUR] = new
    else:
        bk[b, B_CUR] = new
    cur = bk[b, B_CUR]
    if not active:
        bk[b, B_NEXT] = ACT
        return
    hit = row[cur] == open_row
    w = is_write[cur]
    if page == 0:  # Open
        bk[b, B_NEXT] = (WR if w else RD) if hit else PRE
        return
    if page == 2:  # Closed
        bk[b, B_NEXT] = WRA if w else RDA
        return
    if not hit:
        bk[b, B_NEXT] = PRE
        return
    # Scheduler::hasFurtherRowHit (Fifo: the next queued request; FR-FCFS: a second row hit)
    further = False
    if sched == 0:
        further = n >= 2 and row[q[b, 1]] == open_row
    else:
        hits = 0
        for i in range(n):
            if row[q[b, i]] == open_row:
                hits += 1
                if hits == 2:
                    further = True
                    break
    if page == 1:  # OpenAdaptive: precharge when more requests wait and none hits the row
        close = n >= 2 and not further
    else:  # ClosedAdaptive: keep the row open only for a further hit
        close = not further
    if close:
        bk[b, B_NEXT] = WRA if w else RDA
    else:
        bk[b, B_NEXT] = WR if w else RD


@njit(cache=True, error_model="numpy", inline="always")
def _bank_cache(b, c, bk, chkf, width, gcol, bcw, bu, bp, never):
    """Cache bank ``b``'s next command ``c`` (-1: none) for the vectorised bank scan: the offset of its row in
    the flat timing table ``bcw`` (the "never" row for none), the bank and bank-group part of its earliest
    legal time ``bu`` and its request id ``bp``."""
    if c < 0:
        bcw[b] = NCMD * width
        bu[b] = never
        bp[b] = 0
        return
    o = c * width
    e = chkf[o + b]
    v = chkf[o + gcol[b]]
    bcw[b] = o
    bu[b] = v if v > e else e
    bp[b] = bk[b, B_CUR] + 1


@njit(cache=True, error_model="numpy")
def _vector_scan(bu, bcw, rcol, bp, chkf, nbanks, sh, floor_key, best_key):
    """The smallest packed (earliest time, request id) key over all banks, from the per-bank caches: one
    vectorisable pass (kept out of line: inlined, its registers slow every other step of the loop)."""
    for bb in range(nbanks):
        e = bu[bb]
        v = chkf[bcw[bb] + rcol[bb]]
        e = v if v > e else e
        pid = bp[bb]
        key = (e << sh) | pid
        v = floor_key | pid
        key = v if v > key else key
        best_key = key if key < best_key else best_key
    return best_key


@njit(cache=True, error_model="numpy")
def _fill_caches(bk, chkf, width, gcol, bcw, bu, bp, never, nbanks):
    """Fill every bank's scan cache (when many banks start holding requests)."""
    for b in range(nbanks):
        _bank_cache(b, bk[b, B_NEXT], bk, chkf, width, gcol, bcw, bu, bp, never)


@njit(cache=True, error_model="numpy", inline="always")
def _earliest(c, b, g, r, t, chk, goff, roff, bus):
    """Earliest legal cycle of command ``c`` (bank b, group g, rank r; b < 0 for rank commands). The loops
    over banks write this out instead of calling it: numba's reference counting of array arguments
    costs more than the look-up itself."""
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
def _admit(k, t, buftype, bufsize, bufread, bufwrite, counts, q, qn, bank, rank, is_write, pd_on, pd_state,
           pd_ctrl_idle, pd_sref, pd_entry, pd_exit, rank_payloads):
    """Controller::manageRequests for the waiting request ``k``: store it if the buffer has room."""
    # counts: [in buffer, reads, writes, last stored bank]
    if buftype == 0:
        space = qn[counts[3]] + 1 <= bufsize
    elif buftype == 1:
        space = counts[1] + 1 <= bufread and counts[2] + 1 <= bufwrite
    else:
        space = counts[0] + 1 <= bufsize
    if not space:
        return False
    b = bank[k]
    q[b, qn[b]] = k
    qn[b] += 1
    counts[0] += 1
    if is_write[k]:
        counts[2] += 1
    else:
        counts[1] += 1
    counts[3] = b
    r = rank[k]
    if rank_payloads[r] == 0 and pd_on:  # powerDownManager.triggerExit()
        pd_ctrl_idle[r] = False
        pd_sref[r] = False
        pd_entry[r] = False
        if pd_state[r] != PD_IDLE:
            pd_exit[r] = True
    rank_payloads[r] += 1
    return True


@njit(cache=True, error_model="numpy", inline="always")
def _refresh_evaluate(r, t, refi, bpr, max_postponed, rf_next, rf_pulled, rf_flex, rf_activated, rf_sleep, bk,
                      pd_on, pd_state, pd_entry, pd_exit, chkf, width, gcol, bcw, bu, bp, never):
    """RefreshManagerAllBank::evaluate: the rank's refresh command (PREA/REF) or -1."""
    if t < rf_next[r]:
        return -1
    if pd_on:  # powerDownManager.triggerInterruption()
        pd_entry[r] = False
        if pd_state[r] != PD_IDLE:
            pd_exit[r] = True
    if rf_sleep[r]:
        return -1
    if t >= rf_next[r] + refi:
        rf_next[r] += refi
        rf_pulled[r] = False
    if not rf_pulled[r]:
        if rf_flex[r] == max_postponed:  # forced refresh: stop the rank's bank machines
            for b in range(r * bpr, (r + 1) * bpr):
                bk[b, B_BLOCKED] = True
                bk[b, B_NEXT] = -1
                _bank_cache(b, -1, bk, chkf, width, gcol, bcw, bu, bp, never)
        else:
            for b in range(r * bpr, (r + 1) * bpr):
                if bk[b, B_CUR] >= 0:  # busy: postpone
                    rf_flex[r] += 1
                    rf_next[r] += refi
                    return -1
        return PREA if rf_activated[r] > 0 else REF
    for b in range(r * bpr, (r + 1) * bpr):
        if bk[b, B_CUR] >= 0:  # busy: stop pulling in
            rf_pulled[r] = False
            rf_next[r] += refi
            return -1
    return REF


@njit(cache=True, error_model="numpy", inline="always")
def _pd_evaluate(r, bpr, pd_state, pd_entry, pd_exit, pd_sref, bk):
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
def _arbiter_pick(arbiter, t, rw_fifo, rw_ptr, resp_wait, n):
    """Next response the Fifo (in completion order) or Reorder (in request order) arbiter may return."""
    if arbiter == 1:
        if rw_ptr[0] < rw_ptr[1] and resp_wait[rw_fifo[rw_ptr[0]]] <= t:
            k = rw_fifo[rw_ptr[0]]
            rw_ptr[0] += 1
            return k
    elif rw_ptr[2] < n and resp_wait[rw_ptr[2]] <= t:
        k = rw_ptr[2]
        rw_ptr[2] += 1
        return k
    return -1


@njit(cache=True, error_model="numpy", inline="always")
def _respond(t, arbiter, arb_bw, respq_reorder, n, rel_req, rel_end, ro_next, rq_head, rq_tail, delivered, end_time,
             ro_time, rq_req, rq_time, resp_ctrl, resp_init, resp_wait, rw_fifo, rw_ptr):
    """Controller::manageResponses at cycle ``t``: send every response whose turn has come. Returns the
    updated (rel_req, rel_end, ro_next, rq_head, delivered, end_time)."""
    while True:
        if rel_req >= 0:
            if rel_end > t:
                break
            rel_req = -1
            rel_end = INF
        k = -1
        if respq_reorder:
            if ro_next < n and ro_time[ro_next] <= t:
                k = ro_next
                ro_next += 1
        elif rq_head < rq_tail and rq_time[rq_head] <= t:
            k = rq_req[rq_head]
            rq_head += 1
        if k < 0:
            break
        resp_ctrl[k] = t
        rel_req = k
        if arbiter == 0:
            rel_end = t + 1  # the player's END_RESP one cycle later
            resp_init[k] = t
            delivered += 1
            end_time = t
        else:
            rel_end = t  # the arbiter answers END_RESP at once
            resp_wait[k] = t + arb_bw
            if arbiter == 1:
                rw_fifo[rw_ptr[1]] = k
                rw_ptr[1] += 1
    return rel_req, rel_end, ro_next, rq_head, delivered, end_time


@njit(cache=True, error_model="numpy", inline="always")
def _response_trigger(nxt, t, respq_reorder, n, rel_req, rel_end, ro_next, ro_time, rq_head, rq_tail, rq_time):
    """The next cycle (if before ``nxt``) at which the response queue has something to do after cycle ``t``."""
    if rel_req >= 0 and rel_end > t and rel_end < nxt:
        # the END_RESP only matters if another response is ready by then
        if respq_reorder:
            if ro_next < n and ro_time[ro_next] <= rel_end:
                nxt = rel_end
        elif rq_head < rq_tail and rq_time[rq_head] <= rel_end:
            nxt = rel_end
    if respq_reorder:
        if ro_next < n and ro_time[ro_next] < nxt:
            nxt = ro_time[ro_next] if ro_time[ro_next] > t else t + 1
    elif rq_head < rq_tail and rq_time[rq_head] < nxt:
        nxt = rq_time[rq_head] if rq_time[rq_head] > t else t + 1
    return nxt


@njit(cache=True, error_model="numpy")
def run_channel(ts, is_write, addr, rank, bank, row, stack, cfg, spec, rule_idx, rules, qcap,
                req_begin, req_accept, resp_ctrl, resp_init, needed_act,
                cmd_t, cmd_c, cmd_b, cmd_r, cmd_q, scratch):
    """Simulate the channel. Fills the per-request arrays and the command log; returns
    ``(n_commands, end_time, status, loop_steps)`` with status 0 = done, 1 = command log full, 2 = stuck.
    ``scratch`` is a (6, n) int64 work array (reused between calls: fresh arrays of this size cost page faults)."""
    n = ts.shape[0]
    req_begin[:] = 0
    req_accept[:] = 0
    resp_ctrl[:] = 0
    resp_init[:] = 0
    needed_act[:] = False
    ranks = spec[M_RANKS]
    bpr = spec[M_BPR]
    bpg = spec[M_BPG]
    nbanks = ranks * bpr
    ngroups = ranks * spec[M_GPR]
    rl = spec[M_RL]
    wl = spec[M_WL]
    burst = spec[M_BURST]
    refi = spec[M_REFI]
    faw = spec[M_FAW]
    mux = spec[M_MUX]
    stacks = spec[M_STACKS]
    clen = spec[M_LEN:M_LEN + NCMD]
    bus_step = 1 if mux == MUX_SINGLE else 0  # multi-cycle commands and two buses: the bus is in the rules
    page = cfg[C_PAGE]
    sched = cfg[C_SCHED]
    buftype = cfg[C_BUFTYPE]
    bufsize = cfg[C_BUFSIZE]
    bufread = cfg[C_BUFREAD]
    bufwrite = cfg[C_BUFWRITE]
    respq_reorder = cfg[C_RESPQ] == 1
    refresh_on = cfg[C_REFRESH] == 1
    max_postponed = cfg[C_POSTPONE]
    max_pulledin = -cfg[C_PULLIN]
    pd_on = cfg[C_PD] == 1
    arbiter = cfg[C_ARBITER]
    max_active = cfg[C_MAXACTIVE]
    think_fw = cfg[C_THINKFW]
    think_bw = cfg[C_THINKBW]
    phy_fw = cfg[C_PHYFW]
    phy_bw = cfg[C_PHYBW]
    arb_fw = cfg[C_ARBFW]
    arb_bw = cfg[C_ARBBW]
    cap = cmd_t.shape[0]

    # timing checker
    # earliest time of each command per bank, then per bank group, per rank and per stack (one table)
    goff = nbanks
    roff = nbanks + ngroups
    soff = roff + ranks
    # (a last row of "never" stands for banks without a command, so the bank scan needs no branch)
    chk = np.zeros((NCMD + 1, nbanks + ngroups + ranks + stacks), dtype=np.int64)
    # the bank scan packs (time, request id) into one integer key: request ids take `sh` bits, times the rest
    sh = 1
    while (1 << sh) <= n + 1:
        sh += 1
    never = (np.int64(1) << (62 - sh)) - 1
    fast_until = never >> 1  # beyond this simulated time the scan falls back to unpacked comparisons
    pid_mask = (np.int64(1) << sh) - 1
    chk[NCMD, :] = never
    # the constraint rows as (flat offset of the second command's row, delay) for branch-free updates
    width = nbanks + ngroups + ranks + stacks
    chkf = chk.reshape(-1)
    rule_off = np.empty(rules.shape[0], dtype=np.int64)
    rule_delay = np.empty(rules.shape[0], dtype=np.int64)
    for i in range(rules.shape[0]):
        rule_off[i] = rules[i, 0] * width
        rule_delay[i] = rules[i, 1]
    # per bank: its rank and its columns of the table (no integer division in the hot loops)
    brank = np.arange(nbanks) // bpr
    gcol = goff + np.arange(nbanks) // bpg
    rcol = roff + brank
    bus = np.int64(0)
    faw_q = np.zeros((ranks, 5), dtype=np.int64)
    faw_n = np.zeros(ranks, dtype=np.int64)
    # scheduler
    q = np.full((nbanks, qcap), -1, dtype=np.int64)
    qn = np.zeros(nbanks, dtype=np.int64)
    counts = np.zeros(4, dtype=np.int64)
    last_cmd_write = False
    # bank machines
    # bank machines: one row per bank, columns B_STATE (0 precharged / 1 activated), B_OPEN (open row),
    # B_CUR (current request), B_KEEP, B_BLOCKED, B_SLEEP, B_NEXT (next command)
    bk = np.zeros((nbanks, 7), dtype=np.int64)
    bk[:, B_OPEN] = -1
    bk[:, B_CUR] = -1
    bk[:, B_NEXT] = -1
    # per bank, for the vectorised scan when many banks hold requests (kept exact as commands issue): the
    # offset of its next command's row in the flat table, the bank/group part of that command's earliest
    # time (the rank part is read at scan time: it moves with almost every command) and its request id
    bcw = np.full(nbanks, NCMD * width, dtype=np.int64)
    bu = np.full(nbanks, never, dtype=np.int64)
    bp = np.zeros(nbanks, dtype=np.int64)
    cached = False  # the caches are kept only while many banks hold requests (filled when that starts)
    # banks whose machine inputs changed since their last evaluation (flag and list)
    bdirty = np.zeros(nbanks, dtype=np.bool_)
    dlist = np.zeros(nbanks, dtype=np.int64)
    nd = 0
    busy = np.zeros(nbanks, dtype=np.int64)  # banks holding requests (only they can have a command)
    # the bank candidates for the next cycle's multiplexer, found while scanning the banks at the end of a
    # step: the oldest of the earliest banks, and the oldest bank that was ready but not chosen
    mx_valid = False
    mx_b1 = -1
    mx_e1 = INF
    mx_p1 = BIG_PID
    mx_b2 = -1
    mx_p2 = BIG_PID
    busy_pos = np.full(nbanks, -1, dtype=np.int64)
    nbusy = 0
    # refresh managers: first trigger staggered over the ranks in bit-reversed order
    rf_next = np.full(ranks, INF, dtype=np.int64)
    rf_pulled = np.zeros(ranks, dtype=np.bool_)
    rf_flex = np.zeros(ranks, dtype=np.int64)
    rf_activated = np.zeros(ranks, dtype=np.int64)
    rf_sleep = np.zeros(ranks, dtype=np.bool_)
    rf_cmd = np.full(ranks, -1, dtype=np.int64)
    if refresh_on:
        rank_bits = 0
        shift = ranks
        while shift > 1:
            shift >>= 1
            rank_bits += 1
        for r in range(ranks):
            rev = 0
            rid = r
            bits = rank_bits - 1
            while rid != 0:
                rev |= (rid & 1) << bits
                rid >>= 1
                bits -= 1
            # refi - rev * refi / ranks, rounded up to a clock cycle (getTimeForFirstTrigger)
            rf_next[r] = (refi * ranks - rev * refi + ranks - 1) // ranks
    # power-down managers (entry is armed from the start, as in DRAMSys)
    pd_state = np.zeros(ranks, dtype=np.int64)
    pd_ctrl_idle = np.ones(ranks, dtype=np.bool_)
    pd_entry = np.full(ranks, pd_on, dtype=np.bool_)
    pd_exit = np.zeros(ranks, dtype=np.bool_)
    pd_sref = np.zeros(ranks, dtype=np.bool_)
    pd_cmd = np.full(ranks, -1, dtype=np.int64)
    rank_payloads = np.zeros(ranks, dtype=np.int64)
    # response queue
    rq_req = scratch[0]
    rq_time = scratch[1]
    rq_head = 0
    rq_tail = 0
    ro_time = scratch[2]
    ro_time[:] = INF
    ro_next = 0
    rel_req = -1
    rel_end = INF
    # front end: the controller's waiting request and END_REQ
    pend = -1
    pend_arrival = INF
    endreq_time = INF
    init_next = 0
    init_ready = np.int64(0)
    can_send = True
    # Fifo/Reorder arbiter
    arb_q_head = 0
    arb_q_tail = 0
    arb_entry = scratch[3]
    arb_entry[:] = 0
    chan_busy = False
    last_end_req = np.int64(-1)
    fwd_time = INF
    fwd_req = -1
    active = 0
    outstanding = -1
    resp_wait = scratch[4]
    resp_wait[:] = INF
    rw_fifo = scratch[5]
    rw_ptr = np.zeros(3, dtype=np.int64)  # fifo head, fifo tail, reorder next
    thread_busy = False
    last_end_resp = np.int64(-1)
    init_resp_time = INF
    init_resp_req = -1
    delivered = 0
    end_time = np.int64(0)
    ncmd = 0
    t = np.int64(0)
    steps = 0
    same = 0

    while True:
        steps += 1
        # ---------------- front end: trace player and arbiter ------------------------
        if arbiter == 0:
            if endreq_time == t:
                endreq_time = INF
                can_send = True
                init_ready = t
            if can_send and init_next < n:
                s = ts[init_next] if ts[init_next] > init_ready else init_ready
                if s <= t:
                    k = init_next
                    init_next += 1
                    can_send = False
                    pend = k
                    req_begin[k] = t + arb_fw
                    pend_arrival = t + arb_fw + think_fw
        else:
            if init_resp_req >= 0 and init_resp_time + 1 == t:
                # the player's END_RESP reaches the arbiter: a slot frees, the next response follows
                last_end_resp = t
                init_resp_req = -1
                init_resp_time = INF
                thread_busy = False
                if outstanding >= 0:
                    arb_entry[outstanding] = t + arb_fw
                    arb_q_tail = outstanding + 1
                    outstanding = -1
                    init_ready = t
                else:
                    active -= 1
                k = _arbiter_pick(arbiter, t, rw_fifo, rw_ptr, resp_wait, n)
                if k >= 0:
                    thread_busy = True
                    init_resp_req = k
                    init_resp_time = t + 1
                    resp_init[k] = t + 1
                    delivered += 1
                    end_time = init_resp_time
            if not thread_busy:
                k = _arbiter_pick(arbiter, t, rw_fifo, rw_ptr, resp_wait, n)
                if k >= 0:
                    thread_busy = True
                    init_resp_req = k
                    init_resp_time = t + 1 if last_end_resp == t else t
                    resp_init[k] = init_resp_time
                    delivered += 1
                    end_time = init_resp_time
            if endreq_time == t:
                endreq_time = INF
                last_end_req = t
                if arb_q_head < arb_q_tail and arb_entry[arb_q_head] <= t:
                    fwd_req = arb_q_head
                    fwd_time = t + 1
                    arb_q_head += 1
                else:
                    chan_busy = False
            while outstanding < 0 and init_next < n:
                s = ts[init_next] if ts[init_next] > init_ready else init_ready
                if s > t:
                    break
                k = init_next
                init_next += 1
                if active < max_active:
                    active += 1
                    arb_entry[k] = t + arb_fw
                    arb_q_tail = k + 1
                    init_ready = t
                else:
                    outstanding = k
            if not chan_busy and arb_q_head < arb_q_tail and arb_entry[arb_q_head] <= t:
                chan_busy = True
                fwd_req = arb_q_head
                fwd_time = t + 1 if last_end_req == t else t
                arb_q_head += 1
            if fwd_time == t:
                pend = fwd_req
                req_begin[pend] = t
                pend_arrival = t + think_fw
                fwd_time = INF
                fwd_req = -1
        if delivered == n and t >= end_time:
            break

        # ---------------- controller: responses (manageResponses) --------------------
        rel_req, rel_end, ro_next, rq_head, delivered, end_time = _respond(
            t, arbiter, arb_bw, respq_reorder, n, rel_req, rel_end, ro_next, rq_head, rq_tail, delivered, end_time,
            ro_time, rq_req, rq_time, resp_ctrl, resp_init, resp_wait, rw_fifo, rw_ptr)
        # the last response: DRAMSys stops at the end of this delta cycle, so the controller's step at this
        # time still runs (a power-down entry due now is recorded)
        last_step = arbiter == 0 and delivered == n

        # ---------------- controller: admission (manageRequests) ---------------------
        adm_b = -1
        if pend >= 0 and pend_arrival <= t and ((buftype == 0 and qn[counts[3]] < bufsize) or (
                buftype == 1 and counts[1] < bufread and counts[2] < bufwrite) or (buftype == 2 and counts[0] < bufsize)):
            if _admit(pend, t, buftype, bufsize, bufread, bufwrite, counts, q, qn, bank, rank, is_write, pd_on,
                      pd_state, pd_ctrl_idle, pd_sref, pd_entry, pd_exit, rank_payloads):
                req_accept[pend] = t
                endreq_time = t
                b = bank[pend]
                if busy_pos[b] < 0:
                    busy_pos[b] = nbusy
                    busy[nbusy] = b
                    nbusy += 1
                _evaluate_bank(b, page, sched, q, qn, bk,
                               row, addr, is_write, last_cmd_write)
                if cached:
                    _bank_cache(b, bk[b, B_NEXT], bk, chkf, width, gcol, bcw, bu, bp, never)
                adm_b = b
                pend = -1
                pend_arrival = INF
                if arbiter == 0:
                    # END_REQ now: the player sends its next request as soon as its time has come
                    endreq_time = INF
                    if init_next < n:
                        s = ts[init_next] if ts[init_next] > t else t
                        pend = init_next
                        init_next += 1
                        req_begin[pend] = s + arb_fw
                        pend_arrival = s + arb_fw + think_fw

        # ---------------- refresh and power-down managers -----------------------------
        for r in range(ranks):
            rf_cmd[r] = -1
            if refresh_on and t >= rf_next[r]:
                rf_cmd[r] = _refresh_evaluate(r, t, refi, bpr, max_postponed, rf_next, rf_pulled, rf_flex,
                                              rf_activated, rf_sleep, bk, pd_on, pd_state,
                                              pd_entry, pd_exit, chkf, width, gcol, bcw, bu, bp, never)
            pd_cmd[r] = -1
            if pd_on and (pd_exit[r] or pd_entry[r] or pd_sref[r]):
                pd_cmd[r] = _pd_evaluate(r, bpr, pd_state, pd_entry, pd_exit, pd_sref, bk)

        # ---------------- command multiplexer: earliest, then oldest -----------------
        best_e = INF
        best_pid = BIG_PID + 1
        best_c = -1
        best_b = -1
        best_r = -1
        best_src = 0
        for r in range(ranks):
            if pd_cmd[r] >= 0:
                e = _earliest(pd_cmd[r], -1, -1, r, t, chk, goff, roff, bus)
                if e < best_e or (e == best_e and BIG_PID - 1 < best_pid):
                    best_e = e
                    best_pid = BIG_PID - 1
                    best_c = pd_cmd[r]
                    best_b = r * bpr
                    best_r = r
                    best_src = 2
                continue
            if rf_cmd[r] >= 0:
                e = _earliest(rf_cmd[r], -1, -1, r, t, chk, goff, roff, bus)
                if e < best_e or (e == best_e and 0 < best_pid):
                    best_e = e
                    best_pid = 0
                    best_c = rf_cmd[r]
                    best_b = r * bpr
                    best_r = r
                    best_src = 1
        use_cache = mux == MUX_SINGLE and mx_valid and best_c < 0 and (adm_b < 0 or (adm_b != mx_b1 and adm_b != mx_b2))
        if mux != MUX_SINGLE:
            # CmdMuxOldest over multi-cycle commands ranks by start + length (then oldest); with a row and a
            # column bus (CmdMuxOldestRasCas) the best of each bus so, then of the two by start (then oldest)
            best_c = -1
            rk = INF
            rp = BIG_PID + 1
            re = INF
            rc = -1
            rb = -1
            rr = -1
            rs = 0
            ck = INF
            cp = BIG_PID + 1
            ce = INF
            cc = -1
            cb = -1
            cr = -1
            for r in range(ranks):
                c = pd_cmd[r]
                src = 2
                pid = BIG_PID - 1
                if c < 0:
                    c = rf_cmd[r]
                    src = 1
                    pid = 0
                if c < 0:
                    continue
                e = chk[c, roff + r]
                if t > e:
                    e = t
                key = e + clen[c]
                if key < rk or (key == rk and pid < rp):
                    rk = key
                    rp = pid
                    re = e
                    rc = c
                    rb = r * bpr
                    rr = r
                    rs = src
            for i in range(nbusy):
                b = busy[i]
                c = bk[b, B_NEXT]
                if c < 0:
                    continue
                r = brank[b]
                if pd_cmd[r] >= 0:
                    continue
                cur = bk[b, B_CUR]
                e = chk[c, b]
                v = chk[c, gcol[b]]
                if v > e:
                    e = v
                v = chk[c, rcol[b]]
                if v > e:
                    e = v
                v = chk[c, soff + stack[cur]]
                if v > e:
                    e = v
                if t > e:
                    e = t
                key = e + clen[c]
                pid = cur + 1
                if mux == MUX_RASCAS and (c == RD or c == WR or c == RDA or c == WRA):
                    if key < ck or (key == ck and pid < cp):
                        ck = key
                        cp = pid
                        ce = e
                        cc = c
                        cb = b
                        cr = r
                elif key < rk or (key == rk and pid < rp):
                    rk = key
                    rp = pid
                    re = e
                    rc = c
                    rb = b
                    rr = r
                    rs = 0
            if rc >= 0:
                best_e = re
                best_pid = rp
                best_c = rc
                best_b = rb
                best_r = rr
                best_src = rs
            if cc >= 0 and (rc < 0 or ce < re or (ce == re and cp < rp)):
                best_e = ce
                best_pid = cp
                best_c = cc
                best_b = cb
                best_r = cr
                best_src = 0
        elif use_cache:
            # nothing changed the banks since the last scan but the admitted one: candidates suffice
            for j in range(3):
                b = mx_b2 if j == 0 else (mx_b1 if j == 1 else adm_b)
                if b < 0:
                    continue
                c = bk[b, B_NEXT]
                if c < 0:
                    continue
                if j == 1:
                    e = mx_e1 if mx_e1 > t else t
                else:
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
                pid = bk[b, B_CUR] + 1
                if e < best_e or (e == best_e and pid < best_pid):
                    best_e = e
                    best_pid = pid
                    best_c = c
                    best_b = b
                    best_r = brank[b]
                    best_src = 0
        else:
            for i in range(nbusy):
                b = busy[i]
                c = bk[b, B_NEXT]
                if c < 0:
                    continue
                r = brank[b]
                if pd_cmd[r] >= 0:
                    continue
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
                pid = bk[b, B_CUR] + 1
                if e < best_e or (e == best_e and pid < best_pid):
                    best_e = e
                    best_pid = pid
                    best_c = c
                    best_b = b
                    best_r = r
                    best_src = 0

        issued = False
        if best_c >= 0 and best_e == t:
            issued = True
            c = best_c
            b = best_b
            r = best_r
            g = b // bpg
            k = bk[b, B_CUR] if best_src == 0 else -1
            if ncmd >= cap:
                return ncmd, t, 1, steps
            cmd_t[ncmd] = t
            cmd_c[ncmd] = c
            cmd_b[ncmd] = b
            cmd_r[ncmd] = r
            cmd_q[ncmd] = k
            ncmd += 1
            # bank machines (a rank command reaches all of the rank's)
            rank_cmd = c == PREA or c == REF or c == PDEA or c == PDEP or c == PDXA or c == PDXP or c == SREFEN \
                or c == SREFEX
            lo = r * bpr if rank_cmd else b
            hi = (r + 1) * bpr if rank_cmd else b + 1
            for bb in range(lo, hi):
                if not bdirty[bb]:
                    bdirty[bb] = True
                    dlist[nd] = bb
                    nd += 1
                if c == ACT:
                    bk[bb, B_STATE] = 1
                    bk[bb, B_OPEN] = row[bk[bb, B_CUR]]
                    bk[bb, B_KEEP] = True
                    needed_act[bk[bb, B_CUR]] = True
                elif c == PRE or c == PREA:
                    bk[bb, B_STATE] = 0
                    bk[bb, B_KEEP] = False
                elif c == RD or c == WR:
                    bk[bb, B_CUR] = -1
                    bk[bb, B_KEEP] = False
                elif c == RDA or c == WRA:
                    bk[bb, B_STATE] = 0
                    bk[bb, B_CUR] = -1
                    bk[bb, B_KEEP] = False
                elif c == PDEA or c == PDEP or c == SREFEN:
                    bk[bb, B_SLEEP] = True
                elif c == REF:
                    bk[bb, B_SLEEP] = False
                    bk[bb, B_BLOCKED] = False
                elif c == PDXA or c == PDXP:
                    bk[bb, B_SLEEP] = False
            # the rank's refresh manager
            if c == ACT:
                rf_activated[r] += 1
            elif c == PRE or c == RDA or c == WRA:
                rf_activated[r] -= 1
            elif c == PREA:
                rf_activated[r] = 0
            elif c == REF:
                if rf_sleep[r]:
                    rf_pulled[r] = False
                    rf_next[r] = t + refi
                    rf_sleep[r] = False
                else:
                    if rf_pulled[r]:
                        rf_flex[r] -= 1
                    else:
                        rf_pulled[r] = True
                    if rf_flex[r] == max_pulledin:
                        rf_pulled[r] = False
                        rf_next[r] += refi
            elif c == PDEA or c == PDEP:
                rf_sleep[r] = True
            elif c == SREFEN:
                rf_sleep[r] = True
                rf_next[r] = INF
            elif c == PDXA or c == PDXP:
                rf_sleep[r] = False
            # the rank's power-down manager
            if pd_on:
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
            # timing checker: every constraint this command starts (written out, see _earliest's note)
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
            if cached:
                # bank- and group-scope constraints reach only this bank group: refresh its cached parts
                for bb in range(g * bpg, (g + 1) * bpg):
                    o = bcw[bb]
                    e = chkf[o + bb]
                    v = chkf[o + gcol[bb]]
                    bu[bb] = v if v > e else e
            if rule_idx[c, 4] < rule_idx[c, 5]:  # another stack (HBM2 tCCDR)
                st = stack[k] if k >= 0 else 0
                for i in range(rule_idx[c, 4], rule_idx[c, 5]):
                    v = t + rule_delay[i]
                    for s2 in range(stacks):
                        j = rule_off[i] + soff + s2
                        w = chkf[j]
                        if s2 != st and v > w:
                            chkf[j] = v
            bus = t + bus_step
            if c == RD or c == WR or c == RDA or c == WRA:
                for i in range(qn[b]):
                    if q[b, i] == k:
                        for j in range(i, qn[b] - 1):
                            q[b, j] = q[b, j + 1]
                        qn[b] -= 1
                        break
                if qn[b] == 0:
                    bk[b, B_NEXT] = -1
                    if cached:
                        _bank_cache(b, -1, bk, chkf, width, gcol, bcw, bu, bp, never)
                    last = busy[nbusy - 1]
                    busy[busy_pos[b]] = last
                    busy_pos[last] = busy_pos[b]
                    busy_pos[b] = -1
                    nbusy -= 1
                counts[0] -= 1
                if is_write[k]:
                    counts[2] -= 1
                else:
                    counts[1] -= 1
                if sched == 2 and last_cmd_write != is_write[k]:
                    for i in range(nbusy):
                        bb = busy[i]
                        if not bdirty[bb]:
                            bdirty[bb] = True
                            dlist[nd] = bb
                            nd += 1
                last_cmd_write = is_write[k]
                # manageRequests(thinkDelayFw): the waiting request may take the freed entry now
                if pend >= 0 and pend_arrival <= t and ((buftype == 0 and qn[counts[3]] < bufsize) or (
                        buftype == 1 and counts[1] < bufread and counts[2] < bufwrite) or (
                        buftype == 2 and counts[0] < bufsize)):
                    if _admit(pend, t, buftype, bufsize, bufread, bufwrite, counts, q, qn, bank, rank, is_write,
                              pd_on, pd_state, pd_ctrl_idle, pd_sref, pd_entry, pd_exit, rank_payloads):
                        req_accept[pend] = t + think_fw  # END_REQ after the think delay
                        endreq_time = t + think_fw
                        b2 = bank[pend]
                        if busy_pos[b2] < 0:
                            busy_pos[b2] = nbusy
                            busy[nbusy] = b2
                            nbusy += 1
                        _evaluate_bank(b2, page, sched, q, qn, bk, row, addr, is_write, last_cmd_write)
                        if cached:
                            _bank_cache(b2, bk[b2, B_NEXT], bk, chkf, width, gcol, bcw, bu, bp, never)
                        pend = -1
                        pend_arrival = INF
                        if arbiter == 0:
                            # END_REQ one cycle later: the player's next request follows from then
                            endreq_time = INF
                            if init_next < n:
                                s0 = ts[init_next] if ts[init_next] > t + think_fw else t + think_fw
                                pend = init_next
                                init_next += 1
                                req_begin[pend] = s0 + arb_fw
                                pend_arrival = s0 + arb_fw + think_fw
                strobe = t + phy_fw + (wl if is_write[k] else rl) + burst + phy_bw + think_bw
                if respq_reorder:
                    ro_time[k] = strobe
                else:
                    rq_req[rq_tail] = k
                    rq_time[rq_tail] = strobe
                    rq_tail += 1
                rank_payloads[r] -= 1
            if rank_payloads[r] == 0 and pd_on:  # powerDownManager.triggerEntry()
                pd_ctrl_idle[r] = True
                if pd_state[r] == PD_IDLE:
                    pd_entry[r] = True

        if last_step:
            break
        # ---------------- re-evaluate, find the next trigger --------------------------
        blocked = best_c >= 0 and not issued
        nxt = INF
        mx_b1 = -1
        mx_e1 = INF
        mx_p1 = BIG_PID
        mx_b2 = -1
        mx_p2 = BIG_PID
        # bank machines whose inputs changed (only banks holding requests have a command to evaluate)
        for i in range(nd):
            b = dlist[i]
            bdirty[b] = False
            if busy_pos[b] >= 0:
                _evaluate_bank(b, page, sched, q, qn, bk, row, addr, is_write, last_cmd_write)
                if cached:
                    _bank_cache(b, bk[b, B_NEXT], bk, chkf, width, gcol, bcw, bu, bp, never)
        nd = 0
        if not blocked and t < fast_until and mux != MUX_RASCAS:
            # the oldest of the earliest bank commands, as one minimum over packed (time, request id) keys,
            # branch-free; banks without a command read the "never" row
            floor_key = (bus if bus > t else t) << sh
            best_key = (never + 1) << sh
            if nbusy > 4:
                # many banks: one vectorisable pass over all of them (contiguous caches, one gather each)
                if not cached:
                    _fill_caches(bk, chkf, width, gcol, bcw, bu, bp, never, nbanks)
                    cached = True
                best_key = _vector_scan(bu, bcw, rcol, bp, chkf, nbanks, sh, floor_key, best_key)
            else:
                cached = False
                for i in range(nbusy):
                    b = busy[i]
                    c = bk[b, B_NEXT]
                    if c < 0:
                        c = NCMD
                    e = chk[c, b]
                    v = chk[c, gcol[b]]
                    e = v if v > e else e
                    v = chk[c, rcol[b]]
                    e = v if v > e else e
                    pid = bk[b, B_CUR] + 1
                    key = (e << sh) | pid
                    v = floor_key | pid
                    key = v if v > key else key
                    best_key = key if key < best_key else best_key
            if best_key < never << sh:
                mx_e1 = best_key >> sh
                mx_p1 = best_key & pid_mask
                mx_b1 = bank[mx_p1 - 1]
                nxt = mx_e1
        else:
            for i in range(nbusy):
                b = busy[i]
                c = bk[b, B_NEXT]
                if c < 0:
                    continue
                e = chk[c, b]
                v = chk[c, gcol[b]]
                if v > e:
                    e = v
                v = chk[c, rcol[b]]
                if v > e:
                    e = v
                v = chk[c, soff + stack[bk[b, B_CUR]]]
                if v > e:
                    e = v
                if bus > e:
                    e = bus
                if e < t:
                    e = t
                pid = bk[b, B_CUR] + 1
                if e == t and blocked:
                    if pid < mx_p2:
                        mx_p2 = pid
                        mx_b2 = b
                else:
                    if e < nxt:
                        nxt = e
                    if e < mx_e1 or (e == mx_e1 and pid < mx_p1):
                        mx_e1 = e
                        mx_p1 = pid
                        mx_b1 = b
        mx_valid = True
        for r in range(ranks):
            if refresh_on:
                c = -1
                if t >= rf_next[r]:
                    c = _refresh_evaluate(r, t, refi, bpr, max_postponed, rf_next, rf_pulled, rf_flex, rf_activated,
                                          rf_sleep, bk, pd_on, pd_state, pd_entry, pd_exit, chkf, width, gcol, bcw, bu,
                                          bp, never)
                if c >= 0:
                    e = _earliest(c, -1, -1, r, t, chk, goff, roff, bus)
                    if e < nxt and not (e == t and blocked):
                        nxt = e
                elif t < rf_next[r] < nxt:
                    # a due refresh of a sleeping rank waits for the wake-up; DRAMSys re-triggers here in
                    # the same cycle forever (a delta-cycle livelock), the model moves on to the next event
                    nxt = rf_next[r]
            if pd_on and (pd_exit[r] or pd_entry[r] or pd_sref[r]):
                c = _pd_evaluate(r, bpr, pd_state, pd_entry, pd_exit, pd_sref, bk)
                if c >= 0:
                    e = _earliest(c, -1, -1, r, t, chk, goff, roff, bus)
                    if e < nxt and not (e == t and blocked):
                        nxt = e
        if nxt < t:
            nxt = t + 1
        # Steps that could only send responses or find the buffer still full are played without the rest of
        # the loop (Simple arbiter: responses feed nothing back but the end of the run) when nothing else can
        # happen in them: no bank or rank command left ready by a blocked multiplexer, no refresh due.
        quiet = arbiter == 0 and not blocked
        if quiet and refresh_on:
            for r in range(ranks):
                if t >= rf_next[r]:
                    quiet = False
        if pend >= 0 and pend_arrival > t and pend_arrival < nxt:
            full = not ((buftype == 0 and qn[counts[3]] < bufsize) or (
                buftype == 1 and counts[1] < bufread and counts[2] < bufwrite) or (buftype == 2 and counts[0] < bufsize))
            if not (quiet and full):
                nxt = pend_arrival
            # a full buffer frees only with a column command (a step of its own, which admits or re-arms this)
        if endreq_time < nxt:
            nxt = endreq_time
        other = nxt
        nxt = _response_trigger(nxt, t, respq_reorder, n, rel_req, rel_end, ro_next, ro_time, rq_head, rq_tail,
                                rq_time)
        if arbiter == 0:
            front = INF
            if can_send and init_next < n:
                s = ts[init_next] if ts[init_next] > init_ready else init_ready
                if s <= t:
                    s = t + 1
                front = s
                if s < nxt:
                    nxt = s
            if quiet:
                if front < other:
                    other = front
                done = False
                while nxt < other:
                    t = nxt
                    rel_req, rel_end, ro_next, rq_head, delivered, end_time = _respond(
                        t, arbiter, arb_bw, respq_reorder, n, rel_req, rel_end, ro_next, rq_head, rq_tail, delivered,
                        end_time, ro_time, rq_req, rq_time, resp_ctrl, resp_init, resp_wait, rw_fifo, rw_ptr)
                    if delivered == n:
                        done = True
                        break
                    nxt = _response_trigger(other, t, respq_reorder, n, rel_req, rel_end, ro_next, ro_time, rq_head,
                                            rq_tail, rq_time)
                if done:
                    break
        else:
            if outstanding < 0 and init_next < n:
                s = ts[init_next] if ts[init_next] > init_ready else init_ready
                if s <= t:
                    s = t + 1
                if s < nxt:
                    nxt = s
            if fwd_time < nxt:
                nxt = fwd_time
            if not chan_busy and arb_q_head < arb_q_tail:
                e = arb_entry[arb_q_head] if arb_entry[arb_q_head] > t else t + 1
                if e < nxt:
                    nxt = e
            if init_resp_req >= 0 and init_resp_time + 1 < nxt:
                nxt = init_resp_time + 1 if init_resp_time + 1 > t else t + 1
            if not thread_busy:
                e = INF
                if arbiter == 1:
                    if rw_ptr[0] < rw_ptr[1]:
                        e = resp_wait[rw_fifo[rw_ptr[0]]]
                elif rw_ptr[2] < n:
                    e = resp_wait[rw_ptr[2]]
                if e < INF:
                    e = e if e > t else t + 1
                    if e < nxt:
                        nxt = e
            if delivered == n and end_time < nxt:
                nxt = end_time if end_time > t else t
        if nxt >= INF:
            return ncmd, t, 2, steps
        if nxt == t:
            same += 1
            if same > 64:  # no progress within one cycle: report rather than spin
                return ncmd, t, 2, steps
        else:
            same = 0
        t = nxt
    if arbiter != 0:
        end_time = np.int64(0)
        for k in range(n):
            if resp_init[k] > end_time:
                end_time = resp_init[k]
    return ncmd, end_time, 0, steps
