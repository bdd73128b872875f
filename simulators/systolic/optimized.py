"""SCALE-Sim 3.0's optimized sparse mapping (``OptimizedMapping: true``, weight-stationary only).

What SCALE-Sim does, per layer (the topology's N:M ratios are not used for the weights; its M only
sets the ELLPACK metadata width):

* filter pruning: the global numpy RNG is seeded with ``RandomNumberGeneratorSeed`` and, filter by
  filter, draws ``n = randint(1, BlockSize/2 + 1)``; the filter keeps the first ``n`` of every
  ``BlockSize`` window elements. The window is padded to a multiple of ``2 * BlockSize`` and each
  pair of blocks is packed into ``BlockSize`` rows (the kept weights of each block, then unused
  slots), so the compressed filter has ``Kp / 2`` rows, unused slots being no requests;
* the ifmap is not compressed: a fold of ``R`` compressed filter rows takes ``2R`` ifmap columns,
  cut into blocks of ``BlockSize``, each block repeated ``BlockSize / 2`` times side by side and
  skewed block by block -- an ifmap demand line is ``R * BlockSize`` wide, and SCALE-Sim counts
  every entry of those lines, padding included, as an ifmap SRAM read;
* the filter tiles (``R x C``, flipped) and the ofmap stream are those of a dense weight-stationary
  fold; mapping efficiency counts the unused slots of each tile as unmapped.

The demand matrices are built here (numpy) and run line by line through the same buffer state
machines as :mod:`.replay` (numba), so every report figure is SCALE-Sim's.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .replay import _WS, NONE, _drained, _grow, _prefetch_stream, _user_hit, dram_spans, trace_cycles, user_buffer
from .spec import Layer, SystolicConfig

#: demand-matrix entries above which a layer is refused rather than built (memory)
MAX_ENTRIES = 400_000_000


@njit(cache=True)
def _line_reads(row, cycle, user, ptr, sid, prm, st, ep):
    """One demand line of a read buffer (see :func:`.replay._service_reads`): (stall, any request)."""
    seen = False
    if user:
        off = 1
        for a in row:
            if a < 0:
                continue
            seen = True
            while not _user_hit(a, ptr, sid, st[0], st[1]):
                st[0] = (st[0] + prm[2]) % prm[0]
                st[1] = (st[0] + prm[1]) % prm[0]
                st[3] += prm[3] * prm[4]
                st[2] += prm[3] + 1
                pot = st[2] - (cycle + off)
                off += pot
                if pot > 0:
                    off += pot
        return off - 1, seen
    for a in row:
        if a < 0:
            continue
        seen = True
        if ep[a] == st[0]:
            continue
        ep[a] = st[0]
        st[2] += 1
        st[1] += 1
        if st[1] == prm[0]:
            st[0] += 1
            st[1] = 0
            st[3] = cycle
    return 0, seen


@njit(cache=True)
def _replay_lines(if_dem, f_dem, of_dem, user, if_ptr, if_sid, if_prm, f_ptr, f_sid, f_prm, of_total, of_drain, of_bw,
                  space_if, space_f, trace):
    """Explicit demand matrices through the three buffers; the outputs of :func:`.replay._replay`."""
    ep_if = np.full(space_if if not user else 1, -1, dtype=np.int32)
    ep_f = np.full(space_f if not user else 1, -1, dtype=np.int32)
    st_if = np.zeros(4, dtype=np.int64)
    st_f = np.zeros(4, dtype=np.int64)
    if user:
        for st, prm in ((st_if, if_prm), (st_f, f_prm)):
            st[1] = prm[1] % prm[0]
            st[2] = -1
            st[3] = prm[5]
    free = of_total
    line_idx = 0
    trace_lines = 0
    drain_start = 0
    drain_end = 0
    dram_of = 0
    lines_per_drain = (of_drain + of_bw - 1) // of_bw
    pq_line = np.empty(1024, dtype=np.int64)
    pq_fill = np.empty(1024, dtype=np.int64)
    pq = np.zeros(2, dtype=np.int64)
    stall = 0
    total = 0
    last_cur = 0
    for i in range(of_dem.shape[0]):
        cycle = i + stall
        s_if, seen = _line_reads(if_dem[i], cycle, user, if_ptr, if_sid, if_prm, st_if, ep_if)
        if seen:
            if trace[0] == NONE:
                trace[0] = cycle + s_if + 1
            trace[1] = cycle + s_if + 1
        s_f, seen = _line_reads(f_dem[i], cycle, user, f_ptr, f_sid, f_prm, st_f, ep_f)
        if seen:
            if trace[2] == NONE:
                trace[2] = cycle + s_f + 1
            trace[3] = cycle + s_f + 1
        s = max(s_if, s_f)
        cur = cycle
        wrote = False
        for a in of_dem[i]:
            if a < 0:
                continue
            wrote = True
            line_idx += 1
            free -= 1
            if line_idx == of_bw:
                trace_lines += 1
                line_idx = 0
            if cur < drain_end:
                if free <= 0:
                    cur = drain_end
            elif free < of_total - of_drain:
                if line_idx != 0:
                    if pq[1] == pq_line.size:
                        pq_line = _grow(pq_line)
                        pq_fill = _grow(pq_fill)
                    pq_line[pq[1]] = trace_lines
                    pq_fill[pq[1]] = line_idx
                    pq[1] += 1
                    trace_lines += 1
                    line_idx = 0
                end, data = _drained(drain_start, lines_per_drain, trace_lines, of_bw, pq_line, pq_fill, pq)
                dram_of += data
                free += data
                if trace[6] == NONE:
                    trace[6] = cur
                drain_end = cur + (end - drain_start) - 1
                trace[7] = drain_end
                drain_start = end
        if wrote:
            if trace[4] == NONE:
                trace[4] = cur
            trace[5] = cur
        total = max(total, cur)
        last_cur = cur
        stall += max(s, cur - cycle)
    if line_idx != 0:
        if pq[1] == pq_line.size:
            pq_line = _grow(pq_line)
            pq_fill = _grow(pq_fill)
        pq_line[pq[1]] = trace_lines
        pq_fill[pq[1]] = line_idx
        pq[1] += 1
        trace_lines += 1
    flush = last_cur
    while drain_start < trace_lines:
        end, data = _drained(drain_start, lines_per_drain, trace_lines, of_bw, pq_line, pq_fill, pq)
        dram_of += data
        if trace[6] == NONE:
            trace[6] = flush
        flush += end - drain_start
        trace[7] = max(trace[7], flush - 1)
        drain_start = end
    if not user:
        trace[8], trace[9], trace[10], trace[11] = st_if[0], st_if[3], st_f[0], st_f[3]
    return total, stall, st_if[3] if user else st_if[2], st_f[3] if user else st_f[2], dram_of, \
        st_if[2] if user else 0, st_f[2] if user else 0


# ---- SCALE-Sim's operands and demand matrices ----------------------------------------------------

def kept_per_filter(config: SystolicConfig, num_filters: int) -> np.ndarray:
    """Weights kept per block of ``block_size``, filter by filter: SCALE-Sim's seeded draws."""
    rng = np.random.RandomState(config.sparsity_seed)  # SCALE-Sim seeds numpy's global legacy generator
    return np.array([rng.randint(1, config.block_size // 2 + 1) for _ in range(num_filters)], dtype=np.int64)


def _ifmap_matrix(layer: Layer) -> np.ndarray:
    """The im2col ifmap operand (pixels x window elements), -1 outside the ifmap."""
    p = np.arange(layer.gemm_m)[:, None]
    j = np.arange(layer.gemm_k)[None, :]
    orow, ocol = np.divmod(p, layer.ofmap_w)
    crow, k = np.divmod(j, layer.filter_w * layer.channels)
    ccol, ch = np.divmod(k, layer.channels)
    r = orow * layer.stride_h + crow
    q = ocol * layer.stride_w + ccol
    addr = (r * layer.ifmap_w + q) * layer.channels + ch
    return np.where((r < layer.ifmap_h) & (q < layer.ifmap_w), addr, -1).astype(np.int64)


def _compressed_filter(config: SystolicConfig, layer: Layer, kept: np.ndarray) -> np.ndarray:
    """The packed filter operand (``Kp/2`` rows x filters), -1 in unused slots."""
    K, N, B = layer.gemm_k, layer.gemm_n, config.block_size
    half = B // 2
    Kp = -(-K // (2 * B)) * 2 * B
    r = np.arange(Kp // 2)[:, None]
    chunk, rest = np.divmod(r, B)
    second, t = np.divmod(rest, half)
    j = chunk * 2 * B + second * B + t  # the window element packed into slot r
    n = np.arange(N)[None, :]
    return np.where((t < kept[None, :]) & (j < K), n * K + j, -1).astype(np.int64)


def demand_matrices(config: SystolicConfig, layer: Layer, ifmap: np.ndarray, filt: np.ndarray):
    """SCALE-Sim's ifmap, filter and ofmap demand matrices of the layer, and its per-fold figures
    (ifmap reads, filter reads, ofmap writes, mapping efficiency and compute utilisation lists)."""
    R, C, B = config.array_rows, config.array_cols, config.block_size
    half = B // 2
    T, K, N = layer.gemm_m, layer.gemm_k, layer.gemm_n
    F = filt.shape[0]
    rf, cf = -(-F // R), -(-N // C)
    L = T + 2 * R + C - 2
    width = R * B
    if rf * cf * L * (width + 2 * C) > MAX_ENTRIES:
        raise ValueError(f"layer {layer.name!r}: the optimized sparse mapping's demand matrices would hold "
                         f"{rf * cf * L * (width + 2 * C)} entries; allowed: at most {MAX_ENTRIES}")
    if_dem = np.full((rf * cf * L, width), -1, dtype=np.int64)
    f_dem = np.full((rf * cf * L, C), -1, dtype=np.int64)
    of_dem = np.full((rf * cf * L, C), -1, dtype=np.int64)
    padded = np.full((T, rf * 2 * R), -1, dtype=np.int64)
    padded[:, :K] = ifmap
    ofmap = np.arange(T)[:, None] * N + np.arange(N)[None, :]
    if_reads = f_reads = of_writes = 0
    mapping, util = [], []
    q = np.arange(R)  # virtual (repeated) blocks of an ifmap line: virtual block q shows block q // half
    for fc in range(cf):
        cu = min(C, N - fc * C)
        for fr in range(rf):
            base = (fc * rf + fr) * L
            cols = padded[:, fr * 2 * R:(fr + 1) * 2 * R]  # T x 2R
            blocks = cols.reshape(T, 2 * R // B, B)
            for i in range(T + R - 1):  # skewed block by block after R lines of weight loading
                rows = i - q
                ok = (rows >= 0) & (rows < T)
                line = np.full((R, B), -1, dtype=np.int64)
                line[ok] = blocks[rows[ok], q[ok] // half]
                if_dem[base + R + i] = line.reshape(-1)
            if_reads += (T + R - 1) * width
            tile = filt[fr * R:(fr + 1) * R, fc * C:fc * C + cu]
            ru = tile.shape[0]
            f_reads += ru * cu
            full = np.full((R, C), -1, dtype=np.int64)
            full[:ru, :cu] = tile
            f_dem[base:base + R] = full[::-1]
            mapping.append(((R * C) - int((full == -1).sum())) / (R * C))
            util.append((min(R, ru) * min(C, cu) * T) / (R * C * (L + C - 1)))
            for c in range(cu):  # ofmap: column c skewed by c after 2R - 1 lines
                of_dem[base + 2 * R - 1 + c: base + 2 * R - 1 + c + T, c] = ofmap[:, fc * C + c]
            of_writes += T * cu
    return if_dem, f_dem, of_dem, (if_reads, f_reads, of_writes, mapping, util)


def simulate_layer(config: SystolicConfig, layer: Layer) -> dict:
    """Every per-layer figure SCALE-Sim reports for ``layer`` under the optimized sparse mapping."""
    R, C = config.array_rows, config.array_cols
    kept = kept_per_filter(config, layer.gemm_n)
    ifmap = _ifmap_matrix(layer)
    filt = _compressed_filter(config, layer, kept)
    if_dem, f_dem, of_dem, (if_reads, f_reads, of_writes, mapping, util) = demand_matrices(config, layer, ifmap, filt)
    user = config.bandwidth_mode == "USER"
    words = [kb * 1024 // config.word_size_bytes for kb in (config.ifmap_sram_kb, config.filter_sram_kb,
                                                            config.ofmap_sram_kb)]
    space_if = layer.ifmap_h * layer.ifmap_w * layer.channels
    space_f = layer.gemm_k * layer.gemm_n
    T, K, N = layer.gemm_m, layer.gemm_k, layer.gemm_n
    states, ptrs, sids = [], [], []
    if user:  # prefetch orders: the dense ws ifmap (uncompressed), the packed filter's column folds
        geo = np.array([layer.ifmap_h, layer.ifmap_w, layer.filter_w, layer.channels, layer.stride_h, layer.stride_w,
                        layer.ofmap_w, 1, 1, K], dtype=np.int64)
        rows_if = -(-K // R) * T
        streams = [(_prefetch_stream(_WS, 0, rows_if, R, True, R, C, T, K, N, geo, K, N), rows_if * R),
                   None]
        cf = -(-N // C)
        pf = np.full((cf, filt.shape[0], C), -1, dtype=np.int64)
        for fc in range(cf):
            part = filt[:, fc * C:(fc + 1) * C]
            pf[fc, :, :part.shape[1]] = part
        flat = pf.reshape(-1)
        streams[1] = (flat[flat >= 0], flat.size)
        for (stream, entries), total, bw, space in zip(streams, words[:2], (config.ifmap_bandwidth,
                                                                             config.filter_bandwidth),
                                                        (space_if, space_f)):
            prm, ptr, sid = user_buffer(total, bw, stream, entries, space)
            states.append(prm)
            ptrs.append(ptr)
            sids.append(sid)
    else:
        for total in words[:2]:
            states.append(np.array([50 * (total // 100)], dtype=np.int64))
            ptrs.append(np.zeros(1, dtype=np.int64))
            sids.append(np.zeros(1, dtype=np.int64))
    of_total = words[2]
    of_drain = of_total - (-(-of_total // 2))
    of_bw = config.bandwidth if user else C
    trace = np.full(12, NONE, dtype=np.int64)
    total, stall, d_if, d_f, d_of, last_if, last_f = _replay_lines(
        if_dem, f_dem, of_dem, user, ptrs[0], sids[0], states[0], ptrs[1], sids[1], states[1], of_total, of_drain,
        of_bw, space_if, space_f, trace)
    out = {"total_cycles": int(total), "stall_cycles": int(stall), "compute_cycles": int(total - stall),
           "dram_ifmap_reads": int(d_if), "dram_filter_reads": int(d_f), "dram_ofmap_writes": int(d_of),
           "sram_ifmap_reads": if_reads, "sram_filter_reads": f_reads, "sram_ofmap_writes": of_writes,
           "mapping_eff_pct": sum(mapping) / len(mapping) * 100, "compute_util_pct": sum(util) / len(util) * 100,
           "overall_util_pct": (T * N * K * 100) / (max(total, 1) * R * C), "folds": len(mapping),
           "executed_macs": int(T * (filt >= 0).sum())}
    trace_cycles(out, trace)
    dram_spans(out, user, states, words, trace, last_if, last_f)
    return out


def filter_storage(config: SystolicConfig, layer: Layer) -> tuple[int, float, float]:
    """(original filter words, new words incl. metadata, metadata words) under the optimized mapping."""
    K, N = layer.gemm_k, layer.gemm_n
    kept = kept_per_filter(config, N)
    j = np.arange(K)[:, None]
    nnz = int(((j % config.block_size) < kept[None, :]).sum())
    if config.sparse_rep == "ellpack_block":
        rows = -(-K // (2 * config.block_size)) * config.block_size
        meta = rows * N * math.ceil(math.log2(layer.sparsity_m)) / 32
        return K * N, rows * N + meta, meta
    ptr = K + 1 if config.sparse_rep == "csr" else N + 1
    return K * N, 2 * nnz + ptr, nnz + ptr
