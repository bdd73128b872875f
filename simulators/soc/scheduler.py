"""The scheduler: FARSI's phase simulation of a mapped task graph, on flat arrays (numba).

:func:`compile_transfers` turns a mapping into FARSI's "pipes" and "pipe clusters": every byte a
task writes (to its own memory) or reads (from a parent's memory) travels the shortest path of
buses between its PE and that memory; a pipe is one hop of such a path in one direction (read or
write) and carries a set of (parent, child) transfers; a cluster is where pipes merge -- at a
memory (all its incoming pipes of one direction) or at a bus (for each outgoing pipe, the incoming
pipes whose transfers continue on it).

:func:`run_phases` then runs the graph in phases of constant rates (FARSI's simulator):

- a task is launched when all its parents are done; it allocates its output in its memory;
- one task at a time per PE (FARSI's serialized DMA): running tasks keep their PE, then newly
  launched tasks in task order, then earlier waiting ones;
- a running task progresses at the rate (instructions/s) of its bottleneck: its PE's peak rate, or
  for every cluster it uses, the block's peak bandwidth times the task's share of it, over the bytes
  the task moves through that block per instruction. The share of a cluster is split equally among
  the incoming pipes that carry traffic, and within a pipe in proportion to each task's FARSI work
  unit (its bytes per burst);
- reading, computing and writing overlap (FARSI's Gables-style model);
- a phase lasts until the first running task finishes; tasks 99 % done are then done too
  (FARSI's completion tolerance, ``early``);
- a task's output is freed when all its children are done (FARSI's bookkeeping, which frees only
  one parent's output when a task with several parents finishes); workload inputs stay.
"""

from __future__ import annotations

import numpy as np
from numba import njit

PE, BUS, MEM = 0, 1, 2
WRITE, READ = 0, 1

#: error codes of compile_transfers / run_phases (a, b: task / block / edge indices)
OK = 0
NO_MEMORY = 1          # a: task with children and no memory
WRITE_UNREACHABLE = 2  # a: task, b: its memory
READ_UNREACHABLE = 3   # a: reading task, b: edge
STALLED = 4            # the phase loop did not finish (never expected)


@njit(cache=True)
def compile_transfers(kind, nbr, task_pe, task_mem, work, e_src, e_dst, e_bytes, wu_w, wu_r):
    """Paths, pipes, clusters and per-block byte ratios of one mapped design (see module doc)."""
    nb = kind.shape[0]
    n_t = work.shape[0]
    n_e = e_src.shape[0]
    deg = nbr.shape[1]
    hosts = np.zeros(nb, np.bool_)
    for t in range(n_t):
        hosts[task_pe[t]] = True
    prev = np.full((nb, nb), -2, np.int64)
    in_design = np.zeros(nb, np.bool_)
    queue = np.empty(nb, np.int64)
    for s in range(nb):
        if not hosts[s]:
            continue
        prev[s, s] = -1
        head, tail = 0, 1
        queue[0] = s
        while head < tail:
            u = queue[head]
            head += 1
            for j in range(deg):
                v = nbr[u, j]
                if v < 0:
                    break
                if prev[s, v] == -2:
                    prev[s, v] = u
                    queue[tail] = v
                    tail += 1
        for v in range(nb):
            if prev[s, v] != -2:
                in_design[v] = True

    n_links = 0
    for u in range(nb):
        for j in range(deg):
            if nbr[u, j] >= 0:
                n_links += 1
    max_p = max(2 * n_links, 1)
    pipe_id = np.full((nb, nb, 2), -1, np.int64)
    p_src = np.empty(max_p, np.int64)
    p_dst = np.empty(max_p, np.int64)
    p_dir = np.empty(max_p, np.int64)
    traf = np.zeros((max_p, max(n_e, 1)), np.bool_)
    on = np.zeros((max_p, n_t), np.bool_)
    wu = np.zeros((max_p, n_t), np.float64)
    rat = np.zeros((n_t, nb, 2), np.float64)
    path = np.empty(nb, np.int64)
    n_p = 0
    err = OK
    ea = -1
    eb = -1
    for e in range(n_e):
        p = e_src[e]
        m = task_mem[p]
        if m < 0:
            err, ea = NO_MEMORY, p
            break
        for side in range(2):
            t = p if side == WRITE else e_dst[e]
            s = task_pe[t]
            if prev[s, m] == -2:
                if side == WRITE:
                    err, ea, eb = WRITE_UNREACHABLE, t, m
                else:
                    err, ea, eb = READ_UNREACHABLE, t, e
                break
            n = 0
            v = m
            while v != -1:
                path[n] = v
                n += 1
                v = prev[s, v]
            for k in range(n - 1, 0, -1):
                u = path[k]
                v = path[k - 1]
                pid = pipe_id[u, v, side]
                if pid < 0:
                    pid = n_p
                    pipe_id[u, v, side] = pid
                    p_src[pid] = u
                    p_dst[pid] = v
                    p_dir[pid] = side
                    n_p += 1
                traf[pid, e] = True
                on[pid, t] = True
                wu[pid, t] += wu_w[e] if side == WRITE else wu_r[e]
                if work[t] > 0.0:
                    rat[t, v, side] += e_bytes[e] / work[t]
        if err != OK:
            break

    # clusters: at memories (per direction) and at buses (per outgoing pipe)
    max_c = 2 * nb + n_p + 1
    cl_block = np.empty(max_c, np.int64)
    cl_dir = np.empty(max_c, np.int64)
    cl_out = np.empty(max_c, np.int64)
    cl_ptr = np.zeros(max_c + 1, np.int64)
    cl_in = np.empty(max(n_p * n_p + n_p, 1), np.int64)
    n_c = 0
    n_in = 0
    if err == OK:
        for b in range(nb):
            if kind[b] == MEM:
                for d in range(2):
                    start = n_in
                    for q in range(n_p):
                        if p_dst[q] == b and p_dir[q] == d:
                            cl_in[n_in] = q
                            n_in += 1
                    if n_in > start:
                        cl_block[n_c] = b
                        cl_dir[n_c] = d
                        cl_out[n_c] = -1
                        n_c += 1
                        cl_ptr[n_c] = n_in
            elif kind[b] == BUS:
                for d in range(2):
                    for o in range(n_p):
                        if p_src[o] != b or p_dir[o] != d:
                            continue
                        for q in range(n_p):
                            if p_dst[q] != b or p_dir[q] != d:
                                continue
                            for e in range(n_e):
                                if traf[q, e] and traf[o, e]:
                                    cl_in[n_in] = q
                                    n_in += 1
                                    break
                        cl_block[n_c] = b
                        cl_dir[n_c] = d
                        cl_out[n_c] = o
                        n_c += 1
                        cl_ptr[n_c] = n_in
    present = np.zeros((max(n_c, 1), n_t), np.bool_)
    for c in range(n_c):
        for t in range(n_t):
            if cl_out[c] >= 0:
                present[c, t] = on[cl_out[c], t]
            else:
                for j in range(cl_ptr[c], cl_ptr[c + 1]):
                    if on[cl_in[j], t]:
                        present[c, t] = True
                        break

    # bytes per instruction each task moves through each cluster (for channel utilisation)
    cl_bytes = np.zeros((max(n_c, 1), n_t), np.float64)
    for c in range(n_c):
        d = cl_dir[c]
        for e in range(n_e):
            hit = False
            if cl_out[c] >= 0:
                hit = traf[cl_out[c], e]
            else:
                for j in range(cl_ptr[c], cl_ptr[c + 1]):
                    if traf[cl_in[j], e]:
                        hit = True
                        break
            if hit:
                t = e_src[e] if d == WRITE else e_dst[e]
                if work[t] > 0.0:
                    cl_bytes[c, t] += e_bytes[e] / work[t]

    # per task: the buses and memories it moves bytes through, with bytes per instruction
    tb_ptr = np.zeros(n_t + 1, np.int64)
    for t in range(n_t):
        k = 0
        for b in range(nb):
            for d in range(2):
                if rat[t, b, d] > 0.0:
                    k += 1
        tb_ptr[t + 1] = tb_ptr[t] + k
    tb_block = np.empty(tb_ptr[n_t], np.int64)
    tb_dir = np.empty(tb_ptr[n_t], np.int64)
    tb_ratio = np.empty(tb_ptr[n_t], np.float64)
    for t in range(n_t):
        k = tb_ptr[t]
        for b in range(nb):
            for d in range(2):
                if rat[t, b, d] > 0.0:
                    tb_block[k] = b
                    tb_dir[k] = d
                    tb_ratio[k] = rat[t, b, d]
                    k += 1
    return (err, ea, eb, in_design, n_p, on, wu, n_c, cl_block, cl_dir, cl_out, cl_ptr, cl_in, present, rat,
            tb_ptr, tb_block, tb_dir, tb_ratio, cl_bytes)


@njit(cache=True)
def _rates(sched, ns, zero_work, task_pe, peak, n_p, on, wu, n_c, cl_block, cl_dir, cl_out, cl_ptr, cl_in, present,
           rat, rate, bott, tot, active, n_act, pe_count):
    """Rate (instructions/s) and bottleneck block of every running task, FARSI's sharing rules."""
    for q in range(n_p):
        s = 0.0
        for i in range(ns):
            s += wu[q, sched[i]]
        tot[q] = s if s > 0.0 else 1.0
    for c in range(n_c):
        na = 0
        o = cl_out[c]
        for j in range(cl_ptr[c], cl_ptr[c + 1]):
            q = cl_in[j]
            act = False
            for i in range(ns):
                k = sched[i]
                if on[q, k] and (o < 0 or on[o, k]):
                    act = True
                    break
            active[j] = act
            if act:
                na += 1
        n_act[c] = na
    for i in range(ns):
        pe_count[task_pe[sched[i]]] = 0
    for i in range(ns):
        pe_count[task_pe[sched[i]]] += 1
    for i in range(ns):
        t = sched[i]
        if zero_work[t]:
            rate[t] = 1.0
            bott[t] = -1
            continue
        pe = task_pe[t]
        r = peak[pe] / pe_count[pe]
        bb = pe
        for c in range(n_c):
            if not present[c, t] or n_act[c] == 0:
                continue
            share = 0.0
            for j in range(cl_ptr[c], cl_ptr[c + 1]):
                if active[j]:
                    q = cl_in[j]
                    share += wu[q, t] / tot[q]
            share /= n_act[c]
            if share <= 0.0:
                continue
            b = cl_block[c]
            rc = peak[b] * share / rat[t, b, cl_dir[c]]
            if rc < r:
                r = rc
                bb = b
        rate[t] = r
        bott[t] = bb


@njit(cache=True)
def run_phases(work, zero_work, e_src, e_dst, out_ptr, out_edges, in_ptr, in_edges, alloc, pinned,
               peak, inst_per_joule, task_pe, task_mem,
               n_p, on, wu, n_c, cl_block, cl_dir, cl_out, cl_ptr, cl_in, present, rat, tb_ptr, tb_block, tb_dir,
               tb_ratio, cl_bytes, early):
    """Run the mapped graph; per-phase durations, PE energy and bytes per block (see module doc).

    ``chan_time[b]``: time-integral of the load of block b's busiest channel (cluster), as a fraction
    of its peak bandwidth -- its utilisation once divided by the run time."""
    n_t = work.shape[0]
    nb = peak.shape[0]
    max_ph = n_t + 3
    ph_dt = np.zeros(max_ph, np.float64)
    ph_pe_e = np.zeros(max_ph, np.float64)
    ph_bytes = np.zeros((max_ph, nb, 2), np.float64)
    start = np.full(n_t, -1.0)
    finish = np.full(n_t, -1.0)
    left = np.zeros(n_t)
    rate = np.ones(n_t)
    bott = np.full(n_t, -1, np.int64)
    status = np.zeros(n_t, np.int64)  # 0 not launched, 1 running, 2 waiting for its PE, 3 done
    tok = np.zeros(out_edges.shape[0], np.bool_)
    sched = np.empty(n_t, np.int64)
    waitq = np.empty(n_t, np.int64)
    tmp = np.empty(n_t, np.int64)
    cfm = np.empty(n_t, np.int64)  # FARSI's completed_kernels_for_memory_sizing
    mem_live = np.zeros(nb)
    mem_peak = np.zeros(nb)
    work_pe = np.zeros(nb)
    bott_time = np.zeros(nb)
    pe_busy = np.zeros(nb, np.bool_)
    tot = np.zeros(max(n_p, 1))
    active = np.zeros(max(cl_ptr[n_c], 1), np.bool_)
    n_act = np.zeros(max(n_c, 1), np.int64)
    pe_count = np.zeros(nb, np.int64)
    chan_time = np.zeros(nb)
    blk_load = np.zeros(nb)
    ns = 0
    nw = 0
    n_cfm = 0
    launched = 0
    clock = 0.0
    old = 0.0
    ph = 0
    ending = -1
    err = OK
    while True:
        if ph >= max_ph:
            err = STALLED
            break
        dt = clock - old
        ph_dt[ph] = dt
        for i in range(ns):
            t = sched[i]
            w = rate[t] * dt
            left[t] -= w
            if zero_work[t]:
                continue
            pe = task_pe[t]
            ph_pe_e[ph] += w / inst_per_joule[pe]
            work_pe[pe] += w
            for j in range(tb_ptr[t], tb_ptr[t + 1]):
                ph_bytes[ph, tb_block[j], tb_dir[j]] += w * tb_ratio[j]
            if bott[t] >= 0:
                bott_time[bott[t]] += dt
        if dt > 0.0:
            for b in range(nb):
                blk_load[b] = 0.0
            for c in range(n_c):
                load = 0.0
                for i in range(ns):
                    t = sched[i]
                    load += rate[t] * cl_bytes[c, t]
                load /= peak[cl_block[c]]
                if load > blk_load[cl_block[c]]:
                    blk_load[cl_block[c]] = load
            for b in range(nb):
                chan_time[b] += blk_load[b] * dt
        for i in range(ns):
            t = sched[i]
            # done: FARSI's tolerance, float noise, or the task whose completion ended the phase
            if work[t] == 0.0 or left[t] <= work[t] * max(early, 1e-12) or t == ending:
                status[t] = 3
                finish[t] = clock
        kept = 0
        for i in range(ns):
            t = sched[i]
            if status[t] != 3:
                sched[kept] = t
                kept += 1
                continue
            cfm[n_cfm] = t
            n_cfm += 1
            for j in range(out_ptr[t], out_ptr[t + 1]):
                tok[out_edges[j]] = True
            for j in range(in_ptr[t], in_ptr[t + 1]):
                par = e_src[in_edges[j]]
                all_done = True
                for jj in range(out_ptr[par], out_ptr[par + 1]):
                    ch = e_dst[out_edges[jj]]
                    found = False
                    for x in range(n_cfm):
                        if cfm[x] == ch:
                            found = True
                            break
                    if not found:
                        all_done = False
                        break
                if not all_done:
                    continue
                if not pinned[par] and alloc[par] > 0.0:
                    mem_live[task_mem[par]] -= alloc[par]
                for jj in range(out_ptr[par], out_ptr[par + 1]):
                    ch = e_dst[out_edges[jj]]
                    for x in range(n_cfm):
                        if cfm[x] == ch:
                            for y in range(x, n_cfm - 1):
                                cfm[y] = cfm[y + 1]
                            n_cfm -= 1
                            break
        ns = kept
        for t in range(n_t):
            if status[t] != 0:
                continue
            ready = True
            for j in range(in_ptr[t], in_ptr[t + 1]):
                if not tok[in_edges[j]]:
                    ready = False
                    break
            if not ready:
                continue
            for j in range(in_ptr[t], in_ptr[t + 1]):
                tok[in_edges[j]] = False
            status[t] = 1
            sched[ns] = t
            ns += 1
            left[t] = work[t]
            launched += 1
            if alloc[t] > 0.0:
                m = task_mem[t]
                mem_live[m] += alloc[t]
                if mem_live[m] > mem_peak[m]:
                    mem_peak[m] = mem_live[m]
        # one task per PE: running ones, then newly launched, then the earlier waiting queue
        n_tmp = 0
        for i in range(ns):
            tmp[n_tmp] = sched[i]
            n_tmp += 1
        for i in range(nw):
            tmp[n_tmp] = waitq[i]
            n_tmp += 1
        for i in range(n_tmp):
            pe_busy[task_pe[tmp[i]]] = False
        ns = 0
        nw = 0
        for i in range(n_tmp):
            t = tmp[i]
            pe = task_pe[t]
            if pe_busy[pe]:
                waitq[nw] = t
                nw += 1
                status[t] = 2
            else:
                pe_busy[pe] = True
                sched[ns] = t
                ns += 1
                status[t] = 1
                if start[t] < 0.0:
                    start[t] = clock
        old = clock
        if ns == 0:
            if launched != n_t:
                err = STALLED
            break
        # np.int64(ns): ns is the literal 0 in numba's first inference pass, which would compile _rates twice
        _rates(sched, np.int64(ns), zero_work, task_pe, peak, n_p, on, wu, n_c, cl_block, cl_dir, cl_out, cl_ptr, cl_in,
               present, rat, rate, bott, tot, active, n_act, pe_count)
        ph += 1
        step = np.inf
        for i in range(ns):
            t = sched[i]
            x = left[t] / rate[t]
            if x < step:
                step = x
                ending = t
        clock = clock + step
    return err, ph + 1, ph_dt, ph_pe_e, ph_bytes, start, finish, mem_peak, work_pe, bott_time, chan_time
