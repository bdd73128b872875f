"""Which (design, layer) pairs the analytic path (``memory="analytic"``) counts exactly, computed
from the design and the layer shape before simulating (issue 15 item 1, step 1).

The analytic path takes one of several routes per pair (see :func:`.model._calc_memory` and
:mod:`.user_stalls`); some are exact, some estimate. This module takes the same route decisions
with the same kernels and reports, per pair, whether every figure is certainly SCALE-Sim's:

* CALC mode: exact where every ifmap address occurs once in the im2col stream or the whole ifmap
  fits one epoch (else overlapping windows get an epoch re-use estimate of the ifmap DRAM reads) and the ofmap
  buffer drains at most :data:`.model.MAX_CALC_DRAINS` times (beyond, no line padding);
* USER mode: exact where the ifmap is hole-free (every address once, no window past the edge:
  with overlapping windows SCALE-Sim's read buffer hits at other copies of a pixel) or its read
  buffer never advances (the whole ifmap fits the active half), and either the
  joint event replay runs (advances and drains within :data:`.model.MAX_ADVANCES` /
  :data:`.model.MAX_DRAINS`) or neither read buffer stalls and the drains are few.

The rule is sufficient, not necessary: a pair it calls inexact may still come out exact. It is
checked against the exact replay in tests/systolic/test_systolic_exactness.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import model
from .prefetch import read_buffer
from .spec import Layer, SystolicConfig
from .user_stalls import n_drains
from .writes import drains

#: why a pair is not certainly exact, by code of :func:`exact_pairs`'s ``reason`` array
REASONS = {
    0: "exact",
    1: "CALC: overlapping windows and an ifmap larger than an epoch (epoch re-use estimated)",
    2: "CALC: more ofmap drains than model.MAX_CALC_DRAINS (no line padding, no drain waits)",
    3: "USER: ifmap not hole-free and its read buffer advances (other copies of a pixel, or windows past the edge)",
    4: "USER: beyond the event budget with a stalling read buffer or many drains (drain model estimate)",
}


def exact_pairs(configs: Sequence[SystolicConfig], layers: Sequence[Layer]) -> np.ndarray:
    """(designs, layers) int array of :data:`REASONS` codes: 0 where the analytic path is certainly
    exact on every figure of that pair, else the first reason it may not be."""
    cfg = model.config_arrays(list(configs))
    lay = model.layer_arrays(list(layers))
    D, J = len(cfg["array_rows"]), len(lay["gemm_m"])
    out = np.zeros((D, J), dtype=np.int64)
    M, N, K = lay["gemm_m"], lay["gemm_n"], lay["gemm_k"]
    single = lay["single_copy"].astype(bool)
    hole_free = single & (lay["ifmap_valid"] == M * K)
    R, C, df = cfg["array_rows"], cfg["array_cols"], cfg["dataflow"]
    words = {k: cfg[k] * 1024 // cfg["word_size_bytes"] for k in ("ifmap_sram_kb", "filter_sram_kb", "ofmap_sram_kb")}
    calc = np.nonzero(~cfg["user"])[0]
    if calc.size:
        nd = drains(df[calc], R[calc], C[calc], words["ofmap_sram_kb"][calc], C[calc], M, N, K)
        epoch = (50 * (words["ifmap_sram_kb"][calc] // 100))[:, None]
        fits = lay["ifmap_distinct"][None, :] <= epoch  # the whole ifmap in one epoch: read once
        sub = np.where(~single[None, :] & ~fits, 1, np.where(nd > model.MAX_CALC_DRAINS, 2, 0))
        out[calc] = sub
    users = np.nonzero(cfg["user"])[0]
    if users.size:
        pick = {k: np.ascontiguousarray(cfg[k][users]) for k in model._USER_COLUMNS}
        u_df, u_R, u_C = pick["dataflow"], pick["array_rows"], pick["array_cols"]
        w_if, w_f, w_of = (words[k][users] for k in ("ifmap_sram_kb", "filter_sram_kb", "ofmap_sram_kb"))
        _, p_if, row_if, adv_if = read_buffer(0, u_df, u_R, u_C, w_if, pick["ifmap_bandwidth"], M, N, K,
                                              lay["ifmap_valid"])
        _, p_f, row_f, adv_f = read_buffer(1, u_df, u_R, u_C, w_f, pick["filter_bandwidth"], M, N, K, K * N)
        sub = np.zeros((users.size, J), dtype=np.int64)
        for n in range(users.size):
            for j in range(J):
                # the ifmap's run replay is exact where its addresses occur once, or it never advances
                if not (hole_free[j] or adv_if[n, j] == 0):
                    sub[n, j] = 3
                    continue
                nd = n_drains(u_df[n], u_R[n], w_of[n], pick["bandwidth"][n], M[j], N[j], K[j])
                joint = adv_if[n, j] <= model.MAX_ADVANCES and adv_f[n, j] <= model.MAX_ADVANCES \
                    and nd <= model.MAX_DRAINS
                stalls = p_if[row_if[n, j], -1] > 0 or p_f[row_f[n, j], -1] > 0
                if not joint and (stalls or nd > model.MAX_DRAINS):
                    sub[n, j] = 4
        out[users] = sub
    return out
