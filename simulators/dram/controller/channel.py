"""The channel's event loop: one call of :func:`run_channel` plays a request stream through the whole controller.

Each visited cycle runs DRAMSys 5's ``Controller::controllerMethod`` in its order -- the front end
(:mod:`.frontend`), responses (:mod:`.responses`), admission into the scheduler buffer
(:mod:`.scheduling`), the refresh and power-down managers (:mod:`.refresh`, :mod:`.powerdown`), the command
multiplexer (:mod:`.multiplexer`) and, for the issued command, the bank machines (:mod:`.banks`), the
managers, the timing table (:mod:`.timing_table`), the buffer and the response queue -- then finds the next
cycle at which anything can happen. The loop only visits such cycles, so its cost scales with the number
of requests, not with simulated time; with the Simple arbiter, cycles that can only send responses (or
find the buffer still full) are played by a small inner loop instead of a full visit.

Helpers are numba functions inlined into this one (``inline="always"``), so the compiled loop is one
function; the caller passes reused work arrays (fresh ones cost page faults every run).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..timing import ACT, NCMD, RD, RDA, WR, WRA
from .banks import B_CUR, B_NEXT, bank_cache, banks_on_command, new_bank_table, refresh_group_caches
from .config import (
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
    M_RANKS,
    M_REFI,
    M_RL,
    M_WL,
)
from .frontend import arbiter_step, end_request, new_arbiter, next_arbiter_event, next_player_event, player_step
from .multiplexer import next_bank_event, next_rank_event, pick_command, rank_candidates, scan_keys
from .powerdown import PM_PAYLOADS, new_powerdown_managers, powerdown_on_command, trigger_entry_if_idle
from .refresh import RM_NEXT, new_refresh_managers, refresh_on_command
from .responses import queue_response, respond, respond_until, response_trigger
from .scheduling import buffer_has_room, complete_request, evaluate_dirty_banks, store_request
from .statistics import last_delivery, log_command, reset_records
from .timing_table import four_activate_window, issue_constraints, new_timing_table

#: sha256 over the sources of the modules inlined into :func:`run_channel` (see ``tests/dram/test_dram_cache.py``).
#: numba's on-disk cache notices edits to this file only, not to the helpers compiled into it; keeping their
#: digest here makes an edit of a helper (with this line updated, as that test demands) recompile the loop.
INLINED_SOURCES_SHA256 = "to be filled"


@njit(cache=True, error_model="numpy")
def run_channel(ts, is_write, addr, rank, bank, row, cfg, spec, rule_idx, rules, qcap,
                req_begin, req_accept, resp_ctrl, resp_init, needed_act,
                cmd_t, cmd_c, cmd_b, cmd_r, cmd_q, scratch):
    """Simulate the channel. Fills the per-request arrays and the command log; returns
    ``(n_commands, end_time, status, loop_steps)`` with status 0 = done, 1 = command log full, 2 = stuck.
    ``scratch`` is a (6, n) int64 work array (reused between calls: fresh arrays of this size cost page faults)."""
    n = ts.shape[0]
    reset_records(req_begin, req_accept, resp_ctrl, resp_init, needed_act)
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

    # timing checker: earliest time of each command per bank, then per bank group, then per rank
    sh, never, fast_until, pid_mask = scan_keys(n)
    chk, rule_off, rule_delay = new_timing_table(nbanks, ngroups, ranks, never, rules)
    width = nbanks + ngroups + ranks
    goff = nbanks
    roff = nbanks + ngroups
    chkf = chk.reshape(-1)
    # per bank: its rank and its columns of the table (no integer division in the hot loops)
    brank = np.arange(nbanks) // bpr
    gcol = goff + np.arange(nbanks) // bpg
    rcol = roff + brank
    bus = np.int64(0)
    faw_q = np.zeros((ranks, 5), dtype=np.int64)
    faw_n = np.zeros(ranks, dtype=np.int64)
    # scheduler buffer: per-bank queues, [in buffer, reads, writes, last stored bank]
    q = np.full((nbanks, qcap), -1, dtype=np.int64)
    qn = np.zeros(nbanks, dtype=np.int64)
    counts = np.zeros(4, dtype=np.int64)
    last_cmd_write = False
    # bank machines, their scan caches (kept only while many banks hold requests), the dirty list, busy banks
    bk = new_bank_table(nbanks)
    bcw = np.full(nbanks, NCMD * width, dtype=np.int64)
    bu = np.full(nbanks, never, dtype=np.int64)
    bp = np.zeros(nbanks, dtype=np.int64)
    cached = False
    bdirty = np.zeros(nbanks, dtype=np.bool_)
    dlist = np.zeros(nbanks, dtype=np.int64)
    nd = 0
    busy = np.zeros(nbanks, dtype=np.int64)
    busy_pos = np.full(nbanks, -1, dtype=np.int64)
    nbusy = 0
    # the multiplexer's candidates from the last scan: the oldest of the earliest banks and its time, the
    # oldest bank that was ready but not chosen
    mx_valid = False
    mx_b1 = -1
    mx_e1 = INF
    mx_b2 = -1
    # refresh and power-down managers
    rf = new_refresh_managers(ranks, refi, refresh_on)
    pdm = new_powerdown_managers(ranks, pd_on)
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
    # front end: the controller's waiting request and END_REQ, the player, the Fifo/Reorder arbiter
    pend = -1
    pend_arrival = INF
    endreq_time = INF
    init_next = 0
    init_ready = np.int64(0)
    can_send = True
    arb = new_arbiter()
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
            init_ready, init_next, pend, pend_arrival, endreq_time, delivered, end_time = arbiter_step(
                t, n, ts, arbiter, max_active, arb_fw, think_fw, arb, arb_entry, rw_fifo, resp_wait, resp_init,
                req_begin, init_ready, init_next, pend, pend_arrival, endreq_time, delivered, end_time)
        if delivered == n and t >= end_time:
            break

        # ---------------- controller: responses (manageResponses) --------------------
        rel_req, rel_end, ro_next, rq_head, delivered, end_time = respond(
            t, arbiter, arb_bw, respq_reorder, n, rel_req, rel_end, ro_next, rq_head, rq_tail, delivered, end_time,
            ro_time, rq_req, rq_time, resp_ctrl, resp_init, resp_wait, rw_fifo, arb)
        if arbiter == 0 and delivered == n:
            break

        # ---------------- controller: admission (manageRequests) ---------------------
        adm_b = -1
        if pend >= 0 and pend_arrival <= t and buffer_has_room(buftype, bufsize, bufread, bufwrite, counts, qn):
            adm_b, nbusy = store_request(pend, t, req_accept, buftype, bufsize, bufread, bufwrite, counts, q, qn, bank,
                                         rank, is_write, pd_on, pdm, busy, busy_pos, nbusy, page, sched, bk, row, addr,
                                         last_cmd_write)
            if adm_b >= 0:
                if cached:
                    bank_cache(adm_b, bk[adm_b, B_NEXT], bk, chkf, width, gcol, bcw, bu, bp, never)
                endreq_time, pend, pend_arrival, init_next = end_request(t, arbiter == 0, n, ts, req_begin, arb_fw,
                                                                         think_fw, init_next)

        # ---------------- refresh and power-down managers -----------------------------
        rank_candidates(t, ranks, bpr, refresh_on, pd_on, refi, max_postponed, rf, pdm, bk, chkf, width, gcol, bcw,
                        bu, bp, never)

        # ---------------- command multiplexer: earliest, then oldest -----------------
        best_e, best_c, best_b, best_r, best_src = pick_command(
            t, bus, ranks, bpr, rf, pdm, chk, roff, gcol, rcol, brank, bk, busy, nbusy, mx_valid, mx_b1, mx_e1,
            mx_b2, adm_b)

        # ---------------- issue: every component takes the command -------------------
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
            ncmd = log_command(ncmd, t, c, b, r, k, cmd_t, cmd_c, cmd_b, cmd_r, cmd_q)
            nd = banks_on_command(c, b, r, bpr, bk, row, needed_act, bdirty, dlist, nd)
            refresh_on_command(c, r, t, refi, max_pulledin, rf)
            if pd_on:
                powerdown_on_command(c, r, pdm)
            issue_constraints(c, b, g, r, t, ranks, rule_idx, rule_off, rule_delay, chkf, goff, roff)
            if c == ACT:
                four_activate_window(r, t, faw, faw_q, faw_n, chk, roff)
            if cached:
                refresh_group_caches(g, bpg, bcw, bu, chkf, gcol)
            bus = t + 1
            if c == RD or c == WR or c == RDA or c == WRA:
                nbusy, nd = complete_request(k, b, sched, last_cmd_write, q, qn, counts, is_write, bk, cached, chkf,
                                             width, gcol, bcw, bu, bp, never, busy, busy_pos, nbusy, bdirty, dlist, nd)
                last_cmd_write = is_write[k]
                # manageRequests(thinkDelayFw): the waiting request may take the freed entry now
                if pend >= 0 and pend_arrival <= t and buffer_has_room(buftype, bufsize, bufread, bufwrite, counts,
                                                                       qn):
                    b2, nbusy = store_request(pend, t, req_accept, buftype, bufsize, bufread, bufwrite, counts, q, qn,
                                              bank, rank, is_write, pd_on, pdm, busy, busy_pos, nbusy, page, sched, bk,
                                              row, addr, last_cmd_write)
                    if b2 >= 0:
                        if cached:
                            bank_cache(b2, bk[b2, B_NEXT], bk, chkf, width, gcol, bcw, bu, bp, never)
                        # END_REQ one cycle later (ThinkDelayFw): the player's next request follows from then
                        endreq_time, pend, pend_arrival, init_next = end_request(t + think_fw, arbiter == 0, n, ts,
                                                                                 req_begin, arb_fw, think_fw, init_next)
                rq_tail = queue_response(k, t + phy_fw + (wl if is_write[k] else rl) + burst + phy_bw + think_bw,
                                         respq_reorder, ro_time, rq_req, rq_time, rq_tail)
                pdm[r, PM_PAYLOADS] -= 1
            trigger_entry_if_idle(r, pd_on, pdm)

        # ---------------- re-evaluate, find the next trigger --------------------------
        blocked = best_c >= 0 and not issued
        evaluate_dirty_banks(nd, dlist, bdirty, busy_pos, page, sched, q, qn, bk, row, addr, is_write,
                             last_cmd_write, cached, chkf, width, gcol, bcw, bu, bp, never)
        nd = 0
        nxt, mx_b1, mx_e1, mx_b2, cached = next_bank_event(t, blocked, bus, busy, nbusy, bk, chk, chkf, gcol, rcol,
                                                           bank, cached, bcw, bu, bp, width, never, sh, fast_until,
                                                           pid_mask, nbanks)
        mx_valid = True
        nxt = next_rank_event(nxt, t, blocked, bus, ranks, bpr, refresh_on, pd_on, refi, max_postponed, rf, pdm, bk,
                              chk, chkf, roff, width, gcol, bcw, bu, bp, never)
        if nxt < t:
            nxt = t + 1
        # Steps that could only send responses or find the buffer still full are played without the rest of
        # the loop (Simple arbiter: responses feed nothing back but the end of the run) when nothing else can
        # happen in them: no bank or rank command left ready by a blocked multiplexer, no refresh due.
        quiet = arbiter == 0 and not blocked
        if quiet and refresh_on:
            for r in range(ranks):
                if t >= rf[r, RM_NEXT]:
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
            front = next_player_event(t, n, ts, can_send, init_next, init_ready)
            if front < nxt:
                nxt = front
            if quiet:
                if front < other:
                    other = front
                t, nxt, done, rel_req, rel_end, ro_next, rq_head, delivered, end_time = respond_until(
                    other, nxt, t, n, arb_bw, respq_reorder, rel_req, rel_end, ro_next, rq_head, rq_tail, delivered,
                    end_time, ro_time, rq_req, rq_time, resp_ctrl, resp_init, resp_wait, rw_fifo, arb)
                if done:
                    break
        else:
            nxt = next_arbiter_event(nxt, t, n, ts, arbiter, arb, arb_entry, rw_fifo, resp_wait, init_next,
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
        end_time = last_delivery(resp_init)
    return ncmd, end_time, 0, steps
