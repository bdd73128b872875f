"""Closed-form estimates of SCALE-Sim's estimate-mode (CALC) DRAM traffic.

CALC mode (estimate bandwidth). An ifmap/filter SRAM keeps the distinct addresses fetched during
the current *epoch* (50 sets of ``floor(words/100)``: half the SRAM) and forgets them all when the
epoch is full. A re-use therefore misses iff an epoch boundary fell between the two uses. If an
operand's distinct footprint is below one epoch nothing is ever re-fetched (exact). Otherwise:

* a block of ``S`` distinct words streamed ``p`` times in a row (a filter slab re-read per row
  fold, a whole operand re-read per column fold) misses, in each repeat, the fraction
  ``g(a) = 1 + (1 - 1/a)(e^a - 1)`` with ``a = S/E`` (solution of the miss-rate balance
  ``dm/di = (S - i + m)/E`` when the boundary phase is uniform; ``g -> a/2`` for small blocks,
  ``g = 1`` once ``S >= E``);
* a convolution re-uses ifmap words between neighbouring windows; a re-use whose insertion distance
  is ``d`` misses with probability ``min(1, d/E)``; ``d`` is estimated per dataflow from the order in
  which SCALE-Sim walks pixels and taps.

CALC mode never stalls. USER mode (a given DRAM bandwidth) is replayed run by run instead:
:mod:`.prefetch` (read buffers) and :mod:`.drain` (ofmap buffer, stalls). The
accuracy of these estimates on SCALE-Sim's own runs is stated and tested in
tests/systolic/test_systolic_analytic_accuracy.py.
"""

from __future__ import annotations

import numpy as np
from numba import njit


def _pmiss(d, E):
    return np.clip(d / np.maximum(E, 1), 0.0, 1.0)


def repeat_miss_fraction(S, E):
    """Fraction of a block of ``S`` distinct words that misses when the block is immediately streamed
    again, with an epoch of ``E`` insertions at a uniformly random phase."""
    a = np.maximum(S, 1e-12) / np.maximum(E, 1)
    g = 1.0 + (1.0 - 1.0 / a) * np.expm1(np.minimum(a, 1.0))
    return np.where(a >= 1.0, 1.0, np.clip(g, 0.0, 1.0))


def repeated_block_misses(S, passes, E):
    """DRAM reads of a block of ``S`` distinct words streamed ``passes`` times consecutively."""
    g = repeat_miss_fraction(S, E)
    geo = np.where(g >= 1.0, passes, (1.0 - g ** passes) / np.maximum(1.0 - g, 1e-12))
    return S * geo


def calc_reads(x: dict) -> tuple[np.ndarray, np.ndarray]:
    """Estimate-mode DRAM reads (ifmap, filter); ``x`` holds (designs, layers)-broadcastable arrays."""
    os_, is_ = x["os"], x["is"]
    E_if, E_f = x["epoch_if"], x["epoch_f"]
    N, K, C, rf, cf = x["N"], x["K"], x["C"], x["rf"], x["cf"]

    # ---- filter ----
    U_f = (K * N).astype(np.float64)
    # os: one slab of K x C filters per column fold, re-read once per row fold
    full = np.maximum(cf - 1, 0)
    last_cols = N - full * C
    os_f = full * repeated_block_misses(K * C, rf, E_f) + repeated_block_misses(K * last_cols, rf, E_f)
    # is: the whole filter once per column fold; ws: every weight once
    is_f = repeated_block_misses(U_f, cf, E_f)
    dram_f = np.where(U_f < E_f, U_f, np.where(os_, os_f, np.where(is_, is_f, U_f)))

    # ---- ifmap ----
    dram_if = np.where(x["ifmap_distinct"] < E_if, x["ifmap_distinct"], ifmap_misses(x, E_if))
    return dram_if, dram_f


def _group_footprint(P, x):
    """Distinct ifmap words read by ``P`` consecutive output pixels (raster order)."""
    Wo, Sh, Sw, Fh, Fw = x["ofmap_w"], x["stride_h"], x["stride_w"], x["filter_h"], x["filter_w"]
    one_row = Fh * np.minimum(x["cols_t"], (np.minimum(P, Wo) - 1) * Sw + Fw)
    rows = np.minimum(x["rows_t"], (P / Wo - 1.0) * Sh + Fh)
    return np.where(P <= Wo, one_row, rows * x["cols_t"]) * x["channels"]


def ifmap_misses(x: dict, E) -> np.ndarray:
    """Estimate-mode ifmap DRAM reads when the ifmap does not fit one epoch.

    Every ifmap word is read by ``mv x mh`` overlapping windows. Its first read in a pass misses; a
    re-read by the next window column (tap gap ``Sw*C``) or row (tap gap ``Sh*Fw*C``) misses with
    probability ``d/E``, ``d`` the insertions in between. os and is walk the taps of a group of
    pixels in step (os: ``R`` pixels of a fold, is: ``C``), so ``d`` = tap gap x the group's
    insertions per tap, or a whole group's new words when the neighbour is in the next group; ws
    walks every pixel for each fold of ``R`` taps, so a neighbour tap in the same fold is re-read at
    once and one in another fold after ``gap x M`` insertions. os and ws re-read the ifmap once per
    column fold.
    """
    os_, ws_, is_ = x["os"], x["ws"], x["is"]
    M, R, C, K = x["M"], x["R"], x["C"], x["K"]
    U = x["ifmap_distinct"].astype(np.float64)
    mv = x["vrows"] / x["rows_t"]
    mh = x["vcols"] / x["cols_t"]
    Sh, Sw, Ch, Fh, Fw, Wo = x["stride_h"], x["stride_w"], x["channels"], x["filter_h"], x["filter_w"], x["ofmap_w"]
    gap_h = Sw * Ch
    gap_v = Sh * Fw * Ch
    row_new = Sh * x["cols_t"] * Ch  # new words per output row once the window rows overlap

    P = np.minimum(np.where(os_, R, C), M).astype(np.float64)  # os / is: tap-major groups of P pixels
    Ug = _group_footprint(P, x)
    in_h = 1.0 - 1.0 / P
    in_v = np.clip(1.0 - Wo / P, 0.0, 1.0)
    in_h_w = np.clip(1.0 - gap_h / R, 0.0, 1.0)  # ws: pixel-major over folds of R taps
    in_v_w = np.clip(1.0 - gap_v / R, 0.0, 1.0)
    rep_v = U * (mv - 1.0)
    rep_h = U * mv * (mh - 1.0)
    per_pass = U
    # insertions depend on the misses they cause: two rounds of the fixed-point iteration (more
    # overshoot on the 1,500 replayed calibration cases, fewer undershoot)
    for _ in range(2):
        grow = per_pass / U  # words inserted per distinct word of a pass
        rate = np.where(ws_, per_pass / K, Ug * grow / K)  # insertions per tap step
        ph_t = in_h * _pmiss(gap_h * rate, E) + (1 - in_h) * _pmiss(P * Sw * Fh * Ch * grow, E)
        pv_t = in_v * _pmiss(gap_v * rate, E) + (1 - in_v) * _pmiss(row_new * grow, E)
        ph = np.where(ws_, (1 - in_h_w) * _pmiss(gap_h * rate, E), ph_t)
        pv = np.where(ws_, (1 - in_v_w) * _pmiss(gap_v * rate, E), pv_t)
        per_pass = U + rep_v * pv + rep_h * ph
    intra = per_pass - U
    passes = np.where(is_, 1, x["cf"])
    later = U * repeat_miss_fraction(per_pass, E) + intra
    return per_pass + (passes - 1) * later


# ---- exact counts where every address occurs once per pass ---------------------------------------
# An epoch's buffer holds exactly the distinct addresses demanded since the epoch began (a demand
# either hits or is inserted), and the epoch ends with its E-th insertion (that address is forgotten
# with the rest). A block of S distinct addresses demanded P times in a row, in the same order,
# entered with c insertions in the running epoch, therefore misses in closed form (:func:`_block`).

@njit(cache=True)
def _block(S, P, c, E):
    """(misses, insertions in the running epoch afterwards) of ``S`` new distinct addresses demanded
    ``P`` times in the same order, entered with ``c`` insertions in an epoch of ``E``."""
    if S <= 0 or P <= 0:
        return 0, c
    n1 = E - c  # insertions until the epoch ends
    if n1 > S:  # all of the block fits the running epoch: later passes hit
        return S, c + S
    rest = P * S - n1  # demands after the epoch ended (its buffer is empty)
    if S < E:  # one more pass fills the new epoch, then everything hits
        more = min(S, rest)
        return n1 + more, more
    return n1 + rest, rest % E  # an epoch never holds a block: every demand misses


@njit(cache=True)
def calc_exact(df, R, C, E_if, E_f, M, N, K, valid, single, if_out, f_out):
    """Estimate-mode DRAM reads (``if_out[n, j]``, ``f_out[n, j]``) of designs ``n`` x layers ``j``:
    the filter always, the ifmap where every address occurs once in its stream (``single[j]``;
    ``valid[j]`` entries); other ifmaps are left as they are. os re-reads a filter slab of ``K x C``
    for every row fold and the whole ifmap for every column fold, ws the whole ifmap for every column
    fold, is the whole filter for every column fold; the stationary operand is read once."""
    for n in range(df.size):
        d, r, cc = df[n], R[n], C[n]
        for j in range(M.size):
            m, nn, k = M[j], N[j], K[j]
            if d == 0:
                rf = (m + r - 1) // r
                cf = (nn + cc - 1) // cc
                cnt = 0
                tot = 0
                for fc in range(cf):
                    cu = min(cc, nn - fc * cc)
                    x, cnt = _block(k * cu, rf, cnt, E_f[n])
                    tot += x
                f_out[n, j] = tot
                if single[j]:
                    if_out[n, j] = _block(valid[j], cf, 0, E_if[n])[0]
            elif d == 1:
                cf = (nn + cc - 1) // cc
                f_out[n, j] = k * nn
                if single[j]:
                    if_out[n, j] = _block(valid[j], cf, 0, E_if[n])[0]
            else:
                cf = (m + cc - 1) // cc
                f_out[n, j] = _block(k * nn, cf, 0, E_f[n])[0]
                if single[j]:
                    if_out[n, j] = valid[j]
