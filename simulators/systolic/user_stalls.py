"""USER-mode stall cycles and DRAM ofmap writes of a batch, in one numba pass after the read replays.

Given both read buffers' window advances and stall profiles (:mod:`.prefetch`), every (design,
layer) pair takes one of three routes (see ``model._user_memory``): the joint event replay of all
three buffers (:func:`.writes.exact_user`, exact) while the advances and drains are few; the ofmap
buffer drain by drain (:func:`.writes.write_buffers`) where the reads never stall; the drain model
(:func:`.drain.layer_stalls`) elsewhere. The numpy version of this choice built a dozen (designs x
layers) masks per call; this kernel takes the same decisions pair by pair, with the same kernels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit

from ..kernel_cache import key_module_kernels
from .drain import layer_stalls
from .writes import exact_user, write_buffers


@njit(cache=True)
def n_drains(d, r, B, bw, m, n, k):
    """Drains the ofmap buffer needs at least (as :func:`.writes.drains`): writes beyond half the
    SRAM, in drains of ``ceil(floor(B/2)/bw)`` lines."""
    writes = m * n if d == 0 else -(-k // r) * (m * n)
    od = B - (B + 1) // 2
    H = -(-od // bw) * bw
    if writes > od:
        return (writes - od - 1) // max(H, 1) + 1
    return 0


@njit(cache=True)
def user_stalls(df, R, C, w_if, w_f, bw_if, bw_f, B, bw, M, N, K, stream, single, adv_if, adv_f, prof_if, row_if,
                prof_f, row_f, max_advances, max_drains, stall, dram_of):
    """Stall cycles ``stall[n, j]`` and DRAM ofmap writes ``dram_of[n, j]`` (both zero on entry) of
    designs ``n`` (1-d columns; SRAM words ``w_if``, ``w_f``, ofmap words ``B``) on layers ``j``:
    the joint replay where ``adv_if``, ``adv_f`` <= ``max_advances`` and the drains <= ``max_drains``
    (and it completes); else the drain-by-drain write buffer where neither read profile ends in a
    stall and the drains are few; else the drain model's stall, and every output written once per fold."""
    D, J = df.size, M.size
    nd = np.empty((D, J), dtype=np.int64)
    need = np.zeros((D, J), dtype=np.bool_)
    for n in range(D):
        for j in range(J):
            nd[n, j] = n_drains(df[n], R[n], B[n], bw[n], M[j], N[j], K[j])
            need[n, j] = adv_if[n, j] <= max_advances and adv_f[n, j] <= max_advances and nd[n, j] <= max_drains
    done = np.zeros((D, J), dtype=np.int64)
    exact_user(df, R, C, w_if, w_f, bw_if, bw_f, B, bw, M, N, K, stream, single, need, max_advances, dram_of, stall,
               done)
    few = np.zeros((D, J), dtype=np.bool_)
    model = np.zeros((D, J), dtype=np.bool_)
    G = prof_if.shape[1] - 1
    for n in range(D):
        for j in range(J):
            if done[n, j] != 0:
                continue
            reads_stall = prof_if[row_if[n, j], G] > 0 or prof_f[row_f[n, j], prof_f.shape[1] - 1] > 0
            few[n, j] = nd[n, j] <= max_drains and not reads_stall
            model[n, j] = reads_stall or not few[n, j]
    of_stall = np.zeros((D, J), dtype=np.int64)
    write_buffers(df, R, C, B, bw, M, N, K, dram_of, of_stall, prof_if, prof_f, row_if, row_f, few)
    est = np.zeros((D, J), dtype=np.int64)
    layer_stalls(df, R, C, M, N, K, B, bw, prof_if, row_if, prof_f, row_f, est, model)
    for n in range(D):
        for j in range(J):
            if done[n, j] != 0:
                continue
            if not few[n, j]:  # every output written out once per fold, without the line padding
                dram_of[n, j] = M[j] * N[j] if df[n] == 0 else -(-K[j] // R[n]) * (M[j] * N[j])
            if model[n, j]:
                stall[n, j] = est[n, j]
            elif few[n, j]:
                stall[n, j] = of_stall[n, j]


# these kernels call kernels of sibling files: key their disk cache on the whole folder
key_module_kernels(globals(), Path(__file__).parent)
