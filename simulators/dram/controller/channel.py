"""One channel, cycle by cycle: the event loop that plays a request stream through front end, controller
and DRAM timing checker (DRAMSys 5's ``Controller::controllerMethod``), built from the parts beside it.

A step of the loop at cycle ``t``: the front end (:mod:`.frontend`) moves requests and responses; the
controller sends the responses due (:mod:`.responses`), admits the waiting request into the scheduler
buffer (:mod:`.scheduler`), asks the refresh and power-down managers (:mod:`.refresh`, :mod:`.powerdown`)
and the bank machines for commands, and the multiplexer (:mod:`.multiplexer`) issues at most one; the issued
command updates the bank table (:mod:`.banks`), the managers and the timing table (:mod:`.timing_table`).
The step ends by re-evaluating the bank machines whose inputs changed and finding the next cycle anything
can happen (:mod:`.scan`), so the loop's cost scales with the number of requests, not simulated time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit

from ...kernel_cache import key_on_sources
from ..timing import MUX_RASCAS, MUX_SINGLE, NCMD, RD, RDA, WR, WRA
from .banks import add_busy, apply_command, bank_cache, drop_busy, mark_all_dirty, refresh_group_cache
from .frontend import arbiter_step, arbiter_trigger, new_arbiter, player_next, player_step, player_trigger
from .layout import (
    B_CUR,
    B_NEXT,
    B_OPEN,
    C_ARBBW,
    C_ARBFW,
    C_ARBITER,
    C_BUFREAD,
    C_BUFSIZE,
    C_BUFTYPE,
    C_BUFWRITE,
    C_MAXACTIVE,
    C_PAGE,
    C_PD,
    C_PHYBW,
    C_PHYFW,
    C_POSTPONE,
    C_PULLIN,
    C_REFRESH,
    C_RESPQ,
    C_SCHED,
    C_THINKBW,
    C_THINKFW,
    INF,
    M_BPG,
    M_BPR,
    M_BURST,
    M_FAW,
    M_GPR,
    M_LEN,
    M_MUX,
    M_RANKS,
    M_REFI,
    M_RL,
    M_STACKS,
    M_WL,
)
from .multiplexer import bank_commands, candidate_commands, multi_cycle_commands, rank_commands
from .powerdown import powerdown_command, powerdown_on_command, trigger_entry, trigger_exit
from .refresh import first_triggers, refresh_command, refresh_on_command
from .responses import enqueue, respond, response_trigger
from .scan import full_scan, key_bits, packed_scan
from .scheduler import buffer_has_room, evaluate_bank, remove, store
from .timing_table import earliest, new_table, record_command


@njit(cache=True, error_model="numpy", inline="always")
def admit(at, k, q, qn, counts, bank, rank, is_write, busy, busy_pos, nbusy, pd_on, pd_state, pd_ctrl_idle, pd_sref,
          pd_entry, pd_exit, rank_payloads, req_accept):
    """Controller::manageRequests: store the waiting request ``k`` (the buffer has room), END_REQ at ``at``.
    Returns (its bank, the number of banks holding requests); the bank machine chooses next."""
    b = store(k, q, qn, counts, bank, is_write)
    r = rank[k]
    if rank_payloads[r] == 0 and pd_on:
        trigger_exit(r, pd_state, pd_ctrl_idle, pd_sref, pd_entry, pd_exit)
    rank_payloads[r] += 1
    req_accept[k] = at
    return b, add_busy(b, busy, busy_pos, nbusy)


@njit(cache=True, error_model="numpy")
def run_channel(ts, is_write, addr, rank, bank, row, stack, cfg, spec, rule_idx, rules, qcap,
                req_begin, req_accept, resp_ctrl, resp_init, needed_act,
                cmd_t, cmd_c, cmd_b, cmd_r, cmd_q, scratch):
    """Simulate the channel. Fills the per-request arrays and the command log; returns
    ``(n_commands, end_time, status, loop_steps)`` with status 0 = done, 1 = command log full, 2 = stuck.
    ``scratch`` is a (6, n) int64 work array (reused between calls: fresh arrays of this size cost page faults).

    This function allocates the state, grouped by part; :func:`play` runs the loop compiled without reference
    counting (``_nrt=False``): numba would otherwise count the references of every array a helper takes, at
    every step of the loop."""
    n = ts.shape[0]
    ranks = spec[M_RANKS]
    bpr = spec[M_BPR]
    nbanks = ranks * bpr
    ngroups = ranks * spec[M_GPR]
    sh, never = key_bits(n)
    chk, chkf, width, rule_off, rule_delay = new_table(nbanks, ngroups, ranks, spec[M_STACKS], rules, never)
    # per bank: its rank and its columns of the table (no integer division in the hot loops)
    brank = np.arange(nbanks) // bpr
    gcol = nbanks + np.arange(nbanks) // spec[M_BPG]
    rcol = nbanks + ngroups + brank
    timing = (chk, chkf, rule_off, rule_delay, brank, gcol, rcol,
              np.zeros((ranks, 5), dtype=np.int64), np.zeros(ranks, dtype=np.int64))  # four-activate windows
    queues = (np.full((nbanks, qcap), -1, dtype=np.int64), np.zeros(nbanks, dtype=np.int64),
              np.zeros(4, dtype=np.int64))
    bk = np.zeros((nbanks, 7), dtype=np.int64)
    bk[:, B_OPEN] = -1
    bk[:, B_CUR] = -1
    bk[:, B_NEXT] = -1
    banks = (bk, np.full(nbanks, NCMD * width, dtype=np.int64), np.full(nbanks, never, dtype=np.int64),
             np.zeros(nbanks, dtype=np.int64), np.zeros(nbanks, dtype=np.bool_), np.zeros(nbanks, dtype=np.int64),
             np.zeros(nbanks, dtype=np.int64), np.full(nbanks, -1, dtype=np.int64))
    refresh = (first_triggers(ranks, spec[M_REFI], cfg[C_REFRESH] == 1), np.zeros(ranks, dtype=np.bool_),
               np.zeros(ranks, dtype=np.int64), np.zeros(ranks, dtype=np.int64), np.zeros(ranks, dtype=np.bool_),
               np.full(ranks, -1, dtype=np.int64))
    powerdown = (np.zeros(ranks, dtype=np.int64), np.ones(ranks, dtype=np.bool_),
                 np.full(ranks, cfg[C_PD] == 1, dtype=np.bool_),  # entry is armed from the start, as in DRAMSys
                 np.zeros(ranks, dtype=np.bool_), np.zeros(ranks, dtype=np.bool_), np.full(ranks, -1, dtype=np.int64),
                 np.zeros(ranks, dtype=np.int64))
    return play(ts, is_write, addr, rank, bank, row, stack, cfg, spec, rule_idx, req_begin, req_accept, resp_ctrl,
                resp_init, needed_act, cmd_t, cmd_c, cmd_b, cmd_r, cmd_q, scratch, timing, queues, banks, refresh,
                powerdown, new_arbiter(), np.zeros(3, dtype=np.int64))


@njit(cache=True, error_model="numpy", _nrt=False)
def play(ts, is_write, addr, rank, bank, row, stack, cfg, spec, rule_idx, req_begin, req_accept, resp_ctrl,
         resp_init, needed_act, cmd_t, cmd_c, cmd_b, cmd_r, cmd_q, scratch, timing, queues, banks, refresh, powerdown,
         arb, rw_ptr):
    """The event loop of :func:`run_channel`, over the state it allocated (``arb``: the arbiter's scalars,
    ``rw_ptr``: its response Fifo head and tail and the Reorder arbiter's next request)."""
    n = ts.shape[0]
    req_begin[:] = 0
    req_accept[:] = 0
    resp_ctrl[:] = 0
    resp_init[:] = 0
    needed_act[:] = False
    # ---------------- the memspec and the controller configuration --------------------
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
    # ---------------- timing checker (see .timing_table) ------------------------------
    chk, chkf, rule_off, rule_delay, brank, gcol, rcol, faw_q, faw_n = timing
    width = chk.shape[1]
    goff = nbanks
    roff = nbanks + ngroups
    soff = roff + ranks
    sh, never = key_bits(n)
    fast_until = never >> 1  # beyond this simulated time the scan falls back to unpacked comparisons
    pid_mask = (np.int64(1) << sh) - 1
    bus = np.int64(0)
    # ---------------- scheduler and bank machines (see .scheduler, .banks) ---------------
    q, qn, counts = queues
    last_cmd_write = False
    bk, bcw, bu, bp, bdirty, dlist, busy, busy_pos = banks
    cached = False  # the scan caches are kept only while many banks hold requests (filled when that starts)
    nd = 0
    nbusy = 0
    # the multiplexer's candidates for the next step (see .scan)
    mx_valid = False
    mx_b1 = -1
    mx_e1 = INF
    mx_b2 = -1
    # ---------------- refresh and power-down managers ------------------------------------
    rf_next, rf_pulled, rf_flex, rf_activated, rf_sleep, rf_cmd = refresh
    pd_state, pd_ctrl_idle, pd_entry, pd_exit, pd_sref, pd_cmd, rank_payloads = powerdown
    # ---------------- response queue -------------------------------------------------------
    rq_req = scratch[0]
    rq_time = scratch[1]
    rq_head = 0
    rq_tail = 0
    ro_time = scratch[2]
    ro_time[:] = INF
    ro_next = 0
    rel_req = -1
    rel_end = INF
    # ---------------- front end: the controller's waiting request and END_REQ ----------------
    pend = -1
    pend_arrival = INF
    endreq_time = INF
    init_next = 0
    init_ready = np.int64(0)
    can_send = True
    arb_entry = scratch[3]
    arb_entry[:] = 0
    resp_wait = scratch[4]
    resp_wait[:] = INF
    rw_fifo = scratch[5]
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
            endreq_time, can_send, init_ready, init_next, pend, pend_arrival = player_step(
                t, n, ts, req_begin, arb_fw, think_fw, endreq_time, can_send, init_ready, init_next, pend,
                pend_arrival)
        else:
            init_next, init_ready, endreq_time, pend, pend_arrival, delivered, end_time = arbiter_step(
                t, arbiter, n, ts, max_active, arb_fw, think_fw, arb, arb_entry, rw_fifo, rw_ptr, resp_wait,
                resp_init, req_begin, init_next, init_ready, endreq_time, pend, pend_arrival, delivered, end_time)
        if delivered == n and t >= end_time:
            break

        # ---------------- controller: responses (manageResponses) --------------------
        rel_req, rel_end, ro_next, rq_head, delivered, end_time = respond(
            t, arbiter, arb_bw, respq_reorder, n, rel_req, rel_end, ro_next, rq_head, rq_tail, delivered, end_time,
            ro_time, rq_req, rq_time, resp_ctrl, resp_init, resp_wait, rw_fifo, rw_ptr)
        # the last response: DRAMSys stops at the end of this delta cycle, so the controller's step at this
        # time still runs (a power-down entry due now is recorded)
        last_step = arbiter == 0 and delivered == n

        # ---------------- controller: admission (manageRequests) ---------------------
        adm_b = -1
        if pend >= 0 and pend_arrival <= t and buffer_has_room(buftype, bufsize, bufread, bufwrite, counts, qn):
            adm_b, nbusy = admit(t, pend, q, qn, counts, bank, rank, is_write, busy, busy_pos, nbusy, pd_on,
                                 pd_state, pd_ctrl_idle, pd_sref, pd_entry, pd_exit, rank_payloads, req_accept)
            evaluate_bank(adm_b, page, sched, q, qn, bk, row, addr, is_write, last_cmd_write)
            if cached:
                bank_cache(adm_b, bk[adm_b, B_NEXT], bk, chkf, width, gcol, bcw, bu, bp, never)
            endreq_time = t
            pend = -1
            pend_arrival = INF
            if arbiter == 0:  # END_REQ now: the player sends its next request as soon as its time has come
                endreq_time = INF
                pend, pend_arrival, init_next = player_next(t, n, ts, req_begin, arb_fw, think_fw, init_next)

        # ---------------- refresh and power-down managers -----------------------------
        for r in range(ranks):
            rf_cmd[r] = -1
            if refresh_on and t >= rf_next[r]:
                rf_cmd[r] = refresh_command(r, t, refi, bpr, max_postponed, rf_next, rf_pulled, rf_flex,
                                            rf_activated, rf_sleep, bk, pd_on, pd_state, pd_entry, pd_exit, chkf,
                                            width, gcol, bcw, bu, bp, never)
            pd_cmd[r] = -1
            if pd_on and (pd_exit[r] or pd_entry[r] or pd_sref[r]):
                pd_cmd[r] = powerdown_command(r, bpr, pd_state, pd_entry, pd_exit, pd_sref, bk)

        # ---------------- command multiplexer: earliest, then oldest -----------------
        if mux != MUX_SINGLE:
            best_e, best_pid, best_c, best_b, best_r, best_src = multi_cycle_commands(
                t, mux, ranks, bpr, pd_cmd, rf_cmd, nbusy, busy, bk, brank, gcol, rcol, soff, stack, chk, roff,
                clen)
        else:
            best_e, best_pid, best_c, best_b, best_r, best_src = rank_commands(
                t, ranks, bpr, pd_cmd, rf_cmd, chk, goff, roff, bus)
            if mx_valid and best_c < 0 and (adm_b < 0 or (adm_b != mx_b1 and adm_b != mx_b2)):
                # nothing changed the banks since the last scan but the admitted one: candidates suffice
                best_e, best_pid, best_c, best_b, best_r, best_src = candidate_commands(
                    t, best_e, best_pid, best_c, best_b, best_r, best_src, mx_b1, mx_e1, mx_b2, adm_b, bk, brank,
                    gcol, rcol, chk, bus)
            else:
                best_e, best_pid, best_c, best_b, best_r, best_src = bank_commands(
                    t, best_e, best_pid, best_c, best_b, best_r, best_src, nbusy, busy, bk, brank, gcol, rcol, chk,
                    pd_cmd, bus)

        # ---------------- issue: log the command, update banks, managers and timing -----
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
            nd = apply_command(c, b, r, bpr, bk, row, needed_act, bdirty, dlist, nd)
            refresh_on_command(c, r, t, refi, max_pulledin, rf_next, rf_pulled, rf_flex, rf_activated, rf_sleep)
            if pd_on:
                powerdown_on_command(c, r, pd_state, pd_ctrl_idle, pd_entry, pd_exit, pd_sref)
            record_command(c, t, b, g, r, stack[k] if k >= 0 else 0, rule_idx, rule_off, rule_delay, chk, chkf,
                           goff, roff, soff, ranks, stacks, faw, faw_q, faw_n)
            if cached:
                refresh_group_cache(g, bpg, chkf, gcol, bcw, bu)
            bus = t + bus_step
            if c == RD or c == WR or c == RDA or c == WRA:
                # the request leaves the scheduler; its response is queued for the end of its burst
                if remove(k, b, q, qn, counts, is_write) == 0:
                    bk[b, B_NEXT] = -1
                    if cached:
                        bank_cache(b, -1, bk, chkf, width, gcol, bcw, bu, bp, never)
                    nbusy = drop_busy(b, busy, busy_pos, nbusy)
                if sched == 2 and last_cmd_write != is_write[k]:
                    nd = mark_all_dirty(busy, nbusy, bdirty, dlist, nd)
                last_cmd_write = is_write[k]
                # manageRequests(thinkDelayFw): the waiting request may take the freed entry now
                if pend >= 0 and pend_arrival <= t and buffer_has_room(buftype, bufsize, bufread, bufwrite, counts,
                                                                      qn):
                    b2, nbusy = admit(t + think_fw, pend, q, qn, counts, bank, rank, is_write, busy, busy_pos, nbusy,
                                      pd_on, pd_state, pd_ctrl_idle, pd_sref, pd_entry, pd_exit, rank_payloads,
                                      req_accept)
                    evaluate_bank(b2, page, sched, q, qn, bk, row, addr, is_write, last_cmd_write)
                    if cached:
                        bank_cache(b2, bk[b2, B_NEXT], bk, chkf, width, gcol, bcw, bu, bp, never)
                    endreq_time = t + think_fw  # END_REQ after the think delay
                    pend = -1
                    pend_arrival = INF
                    if arbiter == 0:  # the player's next request follows from then
                        endreq_time = INF
                        pend, pend_arrival, init_next = player_next(t + think_fw, n, ts, req_begin, arb_fw, think_fw,
                                                                    init_next)
                strobe = t + phy_fw + (wl if is_write[k] else rl) + burst + phy_bw + think_bw
                rq_tail = enqueue(k, strobe, respq_reorder, ro_time, rq_req, rq_time, rq_tail)
                rank_payloads[r] -= 1
            if rank_payloads[r] == 0 and pd_on:
                trigger_entry(r, pd_state, pd_ctrl_idle, pd_entry)

        if last_step:
            break
        # ---------------- re-evaluate, find the next trigger --------------------------
        blocked = best_c >= 0 and not issued
        # bank machines whose inputs changed (only banks holding requests have a command to evaluate)
        for i in range(nd):
            b = dlist[i]
            bdirty[b] = False
            if busy_pos[b] >= 0:
                evaluate_bank(b, page, sched, q, qn, bk, row, addr, is_write, last_cmd_write)
                if cached:
                    bank_cache(b, bk[b, B_NEXT], bk, chkf, width, gcol, bcw, bu, bp, never)
        nd = 0
        mx_b2 = -1
        if not blocked and t < fast_until and mux != MUX_RASCAS:
            cached, mx_e1, mx_b1 = packed_scan(t, bus, nbusy, busy, bk, bank, chk, chkf, width, gcol, rcol, bcw,
                                               bu, bp, never, nbanks, sh, pid_mask, cached)
            nxt = mx_e1
        else:
            nxt, mx_e1, mx_b1, mx_b2 = full_scan(t, bus, blocked, nbusy, busy, bk, chk, gcol, rcol, soff, stack)
        mx_valid = True
        for r in range(ranks):
            if refresh_on:
                c = -1
                if t >= rf_next[r]:
                    c = refresh_command(r, t, refi, bpr, max_postponed, rf_next, rf_pulled, rf_flex, rf_activated,
                                        rf_sleep, bk, pd_on, pd_state, pd_entry, pd_exit, chkf, width, gcol, bcw, bu,
                                        bp, never)
                if c >= 0:
                    e = earliest(c, -1, -1, r, t, chk, goff, roff, bus)
                    if e < nxt and not (e == t and blocked):
                        nxt = e
                elif t < rf_next[r] < nxt:
                    # a due refresh of a sleeping rank waits for the wake-up; DRAMSys re-triggers here in
                    # the same cycle forever (a delta-cycle livelock), the model moves on to the next event
                    nxt = rf_next[r]
            if pd_on and (pd_exit[r] or pd_entry[r] or pd_sref[r]):
                c = powerdown_command(r, bpr, pd_state, pd_entry, pd_exit, pd_sref, bk)
                if c >= 0:
                    e = earliest(c, -1, -1, r, t, chk, goff, roff, bus)
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
            full = not buffer_has_room(buftype, bufsize, bufread, bufwrite, counts, qn)
            if not (quiet and full):
                nxt = pend_arrival
            # a full buffer frees only with a column command (a step of its own, which admits or re-arms this)
        if endreq_time < nxt:
            nxt = endreq_time
        other = nxt
        nxt = response_trigger(nxt, t, respq_reorder, n, rel_req, rel_end, ro_next, ro_time, rq_head, rq_tail,
                               rq_time)
        if arbiter == 0:
            nxt, front = player_trigger(nxt, t, n, ts, can_send, init_ready, init_next)
            if quiet:
                if front < other:
                    other = front
                done = False
                while nxt < other:
                    t = nxt
                    rel_req, rel_end, ro_next, rq_head, delivered, end_time = respond(
                        t, arbiter, arb_bw, respq_reorder, n, rel_req, rel_end, ro_next, rq_head, rq_tail, delivered,
                        end_time, ro_time, rq_req, rq_time, resp_ctrl, resp_init, resp_wait, rw_fifo, rw_ptr)
                    if delivered == n:
                        done = True
                        break
                    nxt = response_trigger(other, t, respq_reorder, n, rel_req, rel_end, ro_next, ro_time, rq_head,
                                           rq_tail, rq_time)
                if done:
                    break
        else:
            nxt = arbiter_trigger(nxt, t, arbiter, n, ts, arb, arb_entry, rw_fifo, rw_ptr, resp_wait, init_next,
                                  init_ready, delivered, end_time)
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


# run_channel inlines the helpers of this folder and reads constants of ..timing: key its cache on them all
for _kernel in (run_channel, play):
    key_on_sources(_kernel, Path(__file__).parent, Path(__file__).parents[1] / "timing.py")
