"""Per-request figures of one run reduced to the reported metrics, in one pass (numba).

Read latency runs from BEGIN_REQ at the controller to BEGIN_RESP; percentiles are nearest-rank
(``np.percentile(..., method="nearest")``), found by counting integer latencies in a histogram
rather than sorting (a sort or partition per percentile costs as much as the simulation).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# request_stats result layout
R_READS, R_LAT_SUM, R_ACCEPT_SUM, R_LAT_MAX, R_NEEDED_ACT, R_HIST_NEEDED, R_N = range(7)


def nearest_ranks(n_values: int, percents) -> np.ndarray:
    """Sorted positions of the nearest-rank percentiles among ``n_values`` values: the reference harnesses'
    ``min(n - 1, max(0, round(q n + 0.5) - 1))`` with q = p / 100 and Python's rounding (half to even)."""
    return np.array([max(0, min(n_values - 1, round(p / 100.0 * n_values + 0.5) - 1)) for p in percents],
                    dtype=np.int64)


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
