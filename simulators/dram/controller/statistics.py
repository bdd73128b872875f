"""What a run records and its reduction to the reported metrics: per-request times and the command log.

The loop fills, per request, BEGIN_REQ at the controller (``req_begin``), acceptance into the scheduler
buffer (``req_accept``), BEGIN_RESP at the controller (``resp_ctrl``, the end of the data burst), delivery
to the player (``resp_init``) and whether it needed an ACT (``needed_act``); and the issued commands (cycle,
command, bank, rank, request; -1 for refresh and power-down). :func:`request_stats` reduces the request
times in one pass: read latency runs from BEGIN_REQ at the controller to BEGIN_RESP; percentiles are
nearest-rank (``np.percentile(..., method="nearest")``), found by counting integer latencies in a
histogram rather than sorting (a sort or partition per percentile costs as much as the simulation).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# request_stats result layout
R_READS, R_LAT_SUM, R_ACCEPT_SUM, R_LAT_MAX, R_NEEDED_ACT, R_HIST_NEEDED, R_N = range(7)


@njit(cache=True, error_model="numpy")
def reset_records(req_begin, req_accept, resp_ctrl, resp_init, needed_act):
    """Clear the per-request records of a previous run (the arrays are reused between runs)."""
    req_begin[:] = 0
    req_accept[:] = 0
    resp_ctrl[:] = 0
    resp_init[:] = 0
    needed_act[:] = False


@njit(cache=True, error_model="numpy", inline="always")
def log_command(ncmd, t, c, b, r, k, cmd_t, cmd_c, cmd_b, cmd_r, cmd_q):
    """Append one issued command to the log (the caller checked there is room); returns the new length."""
    cmd_t[ncmd] = t
    cmd_c[ncmd] = c
    cmd_b[ncmd] = b
    cmd_r[ncmd] = r
    cmd_q[ncmd] = k
    return ncmd + 1


@njit(cache=True, error_model="numpy")
def last_delivery(resp_init):
    """The cycle the last response reached the player (the end of a run with a Fifo/Reorder arbiter)."""
    end_time = np.int64(0)
    for k in range(resp_init.shape[0]):
        if resp_init[k] > end_time:
            end_time = resp_init[k]
    return end_time


def nearest_ranks(n_values: int, percents) -> np.ndarray:
    """Sorted positions of the nearest-rank percentiles among ``n_values`` values (numpy's rounding)."""
    return np.array([int(np.around((n_values - 1) * p / 100.0)) for p in percents], dtype=np.int64)


@njit(cache=True)
def request_stats(is_write, req_begin, req_accept, resp_ctrl, needed_act, ranks, hist, pct):
    """Reads, sum and max of read latency, sum of latency from acceptance, requests that needed an ACT;
    ``pct[i]`` = latency at sorted position ``ranks[i]`` (ascending ranks). If the latency range exceeds
    ``hist`` the result's ``R_HIST_NEEDED`` says how long a histogram to pass, and ``pct`` is not filled."""
    out = np.zeros(R_N, dtype=np.int64)
    n = is_write.shape[0]
    lo = np.int64(2 ** 62)
    hi = np.int64(-1)
    reads = 0
    s = np.int64(0)
    sa = np.int64(0)
    acts = 0
    for k in range(n):
        if needed_act[k]:
            acts += 1
        if is_write[k]:
            continue
        v = resp_ctrl[k] - req_begin[k]
        reads += 1
        s += v
        sa += resp_ctrl[k] - req_accept[k]
        if v < lo:
            lo = v
        if v > hi:
            hi = v
    out[R_READS] = reads
    out[R_LAT_SUM] = s
    out[R_ACCEPT_SUM] = sa
    out[R_LAT_MAX] = hi
    out[R_NEEDED_ACT] = acts
    if reads == 0:
        return out
    span = hi - lo + 1
    if span > hist.shape[0]:
        out[R_HIST_NEEDED] = span
        return out
    hist[:span] = 0
    for k in range(n):
        if not is_write[k]:
            hist[resp_ctrl[k] - req_begin[k] - lo] += 1
    cum = 0
    j = 0
    for v in range(span):
        cum += hist[v]
        while j < ranks.shape[0] and cum > ranks[j]:
            pct[j] = v + lo
            j += 1
        if j == ranks.shape[0]:
            break
    return out
