"""Exact replay of SCALE-Sim 3.0's memory system for one layer (numba).

SCALE-Sim builds, for every layer, three demand matrices (one row per cycle, one column per array
edge port, entries are operand addresses or -1) and runs them line by line through its
double-buffered scratchpads. Its DRAM counts, stall cycles and total cycles depend on the exact
order of those addresses and on the buffers' bookkeeping, so this module regenerates the same
address streams arithmetically (no matrices are built) and replays the same state machines:

* estimate-bandwidth mode (``CALC``): an ifmap/filter SRAM remembers the distinct addresses it has
  fetched in sets of ``floor(words/100)``; once 50 sets are full the window moves on and the
  buffer forgets them all. A DRAM read is counted for every address not in the live window.
* user-bandwidth mode (``USER``): the whole operand is pre-partitioned, in SCALE-Sim's prefetch
  order, into sets of ``ceil(words/100)`` entries; the active half of the SRAM holds a circular
  window of sets, and every miss triggers a prefetch of the next half-buffer at the given
  bandwidth, which may stall the array. DRAM reads are counted in whole bandwidth-wide lines, and
  the stall arithmetic keeps SCALE-Sim's conventions (a late prefetch adds its lateness twice; an
  early one pulls the offset back).
* the ofmap SRAM is a write buffer: outputs are packed into bandwidth-wide lines; once more than
  half the SRAM is occupied, half of it drains to DRAM one line per cycle; when full, the array
  waits for the drain. A drain counts whole lines except for the padding of its last line.

This is how SCALE-Sim counts; the replay reproduces its reports to the word and cycle, at a cost
proportional to the simulated cycles (~100-1000x faster than SCALE-Sim itself).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .layout import LayoutConfig, fetch_order, set_columns
from .spec import Layer, SystolicConfig

_OS, _WS, _IS = 0, 1, 2
NONE = -(1 << 62)  # a trace cycle not (yet) seen


# ---- operand addresses (SCALE-Sim's operand matrices, offsets dropped: each SRAM sees one operand) --

@njit(cache=True)
def _ifmap_addr(p, j, geo):
    """Address of im2col entry (ofmap pixel p, window element j), or -1 if outside the ifmap."""
    H, W, Fw, Ch, Sh, Sw, Wo = geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6]
    orow = p // Wo
    ocol = p - orow * Wo
    fwc = Fw * Ch
    crow = j // fwc
    k = j - crow * fwc
    ccol = k // Ch
    ch = k - ccol * Ch
    r = orow * Sh + crow
    q = ocol * Sw + ccol
    if r >= H or q >= W:
        return -1
    return (r * W + q) * Ch + ch


@njit(cache=True)
def _kept(j, geo):
    """Window element of compressed column j under N:M pruning (geo[7] = N, geo[8] = M): SCALE-Sim
    keeps the first N of every M window elements, so column j is element (j // N) * M + j % N."""
    n, m = geo[7], geo[8]
    if n == m:
        return j
    q = j // n
    return q * m + (j - q * n)


@njit(cache=True)
def _addr(op, a, b, geo, K, N):
    """op 0: ifmap(pixel a, window b); 1: filter(window a, filter b); 2: ofmap(pixel a, filter b).
    Window indices are those of the (possibly N:M-compressed) operand; geo[9] is the uncompressed
    window size, the filter's address stride."""
    if op == 0:
        return _ifmap_addr(a, _kept(b, geo), geo)
    if op == 1:
        return b * geo[9] + _kept(a, geo)
    return a * N + b


# ---- demand matrices, one entry at a time ----------------------------------------------------------
# For each dataflow and operand: which (line l, column c) of fold (fr, fc) holds which operand entry.
# kind: 0 = skewed stream (entry (l, c) = stream[l - c - lo][c] for lo <= l - c < lo + span),
#       1 = flipped tile in the first R lines (entry (l, c) = tile[R - 1 - l][c]).

@njit(cache=True)
def _demand(df, op, l, c, fr, fc, ru, cu, R, C, T, geo, K, N):
    if df == _OS:
        if op == 0:  # ifmap: column c = pixel fr*R + c, line l - c = window element
            x = l - c
            if c < ru and 0 <= x < T:
                return _addr(0, fr * R + c, x, geo, K, N)
            return -1
        if op == 1:
            x = l - c
            if c < cu and 0 <= x < T:
                return _addr(1, x, fc * C + c, geo, K, N)
            return -1
        x = l - c - (T - 1)
        if 0 <= x < R:
            r = R - 1 - x
            if r < ru and c < cu:
                return _addr(2, fr * R + r, fc * C + c, geo, K, N)
        return -1
    if df == _WS:
        if op == 0:
            x = l - c - R
            if c < ru and 0 <= x < T:
                return _addr(0, x, fr * R + c, geo, K, N)
            return -1
        if op == 1:
            if l < R:
                r = R - 1 - l
                if r < ru and c < cu:
                    return _addr(1, fr * R + r, fc * C + c, geo, K, N)
            return -1
        x = l - c - (2 * R - 1)
        if c < cu and 0 <= x < T:
            return _addr(2, x, fc * C + c, geo, K, N)
        return -1
    # input stationary
    if op == 0:
        if l < R:
            r = R - 1 - l
            if r < ru and c < cu:
                return _addr(0, fc * C + c, fr * R + r, geo, K, N)
        return -1
    if op == 1:
        x = l - c - R
        if c < ru and 0 <= x < T:
            return _addr(1, fr * R + c, x, geo, K, N)
        return -1
    x = l - c - (2 * R - 1)
    if c < cu and 0 <= x < T:
        return _addr(2, fc * C + c, x, geo, K, N)
    return -1


@njit(cache=True)
def _col_range(df, op, l, R, C, T, width):
    """Columns of line l that may hold an entry (the skew confines them to a diagonal band)."""
    if df == _OS:
        lo, span = (T - 1, R) if op == 2 else (0, T)
    elif df == _WS:
        if op == 1:
            return (0, width) if l < R else (0, 0)
        lo, span = (R, T) if op == 0 else (2 * R - 1, T)
    else:
        if op == 0:
            return (0, width) if l < R else (0, 0)
        lo, span = (R, T) if op == 1 else (2 * R - 1, T)
    c0 = l - lo - span + 1
    c1 = l - lo + 1
    if c0 < 0:
        c0 = 0
    if c1 > width:
        c1 = width
    return (c0, c1)


# ---- SCALE-Sim's prefetch order (USER mode): the operand as its read buffers pre-load it --------

@njit(cache=True)
def _prefetch_entry(df, op, row, col, R, C, T, Sr, Sc, geo, K, N):
    """Entry (row, col) of SCALE-Sim's (unrolled) prefetch matrix of operand op (0 ifmap, 1 filter)."""
    if df == _OS:
        if op == 0:  # folds over rows: block fr holds T rows x R pixels
            fr = row // T
            t = row - fr * T
            p = fr * R + col
            return _addr(0, p, t, geo, K, N) if p < Sr else -1
        fc = row // T
        t = row - fc * T
        n = fc * C + col
        return _addr(1, t, n, geo, K, N) if n < Sc else -1
    if df == _WS:
        if op == 0:
            fr = row // T
            p = row - fr * T
            j = fr * R + col
            return _addr(0, p, j, geo, K, N) if j < Sr else -1
        fc = row // K
        j = row - fc * K
        n = fc * C + col
        return _addr(1, j, n, geo, K, N) if n < Sc else -1
    if op == 0:
        fc = row // Sr
        j = row - fc * Sr
        p = fc * C + col
        return _addr(0, p, j, geo, K, N) if p < Sc else -1
    fr = row // T
    n = row - fr * T
    j = fr * R + col
    return _addr(1, j, n, geo, K, N) if j < Sr else -1


@njit(cache=True)
def _prefetch_stream(df, op, rows, cols, diagonal, R, C, T, Sr, Sc, geo, K, N):
    """Valid addresses of the prefetch matrix in SCALE-Sim's order (anti-diagonals if ``diagonal``)."""
    out = np.empty(rows * cols, dtype=np.int64)
    n = 0
    if diagonal:
        for d in range(rows + cols):
            hi = d if d < rows - 1 else rows - 1
            lo = d - cols + 1 if d - cols + 1 > 0 else 0
            for r in range(hi, lo - 1, -1):
                a = _prefetch_entry(df, op, r, d - r, R, C, T, Sr, Sc, geo, K, N)
                if a >= 0:
                    out[n] = a
                    n += 1
    else:
        for r in range(rows):
            for c in range(cols):
                a = _prefetch_entry(df, op, r, c, R, C, T, Sr, Sc, geo, K, N)
                if a >= 0:
                    out[n] = a
                    n += 1
    return out[:n]


def _prefetch_shape(df: int, op: int, R, C, T, Sr, Sc, K, N):
    """(rows, cols, diagonal) of SCALE-Sim's prefetch matrix before unrolling."""
    rf, cf = -(-Sr // R), -(-Sc // C)
    if df == _OS:
        return (rf * T, R, True) if op == 0 else (cf * T, C, True)
    if df == _WS:
        return (rf * T, R, True) if op == 0 else (cf * K, C, False)
    return (cf * Sr, C, False) if op == 0 else (rf * T, R, True)


def _set_index(stream: np.ndarray, per_set: int, space: int):
    """CSR map address -> sorted ids of the prefetch sets that hold it (an address may recur, e.g.
    the overlapping windows of a convolution)."""
    ids = np.arange(stream.size, dtype=np.int64) // per_set
    counts = np.bincount(stream, minlength=space)
    ptr = np.zeros(space + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    if counts.max(initial=0) <= 1:  # every address once: ids are already in address order
        sid = np.empty(stream.size, dtype=np.int64)
        sid[ptr[stream]] = ids
        return ptr, sid
    order = np.argsort(stream, kind="stable")  # stable: each address's ids stay increasing
    sid = ids[order]
    keep = np.ones(sid.size, dtype=bool)
    same_addr = stream[order][1:] == stream[order][:-1]
    keep[1:] = ~(same_addr & (sid[1:] == sid[:-1]))
    sid = sid[keep]
    counts = np.bincount(stream[order][keep], minlength=space)
    ptr[1:] = np.cumsum(counts)
    return ptr, sid


# ---- buffers -------------------------------------------------------------------------------------

@njit(cache=True)
def _user_hit(a, ptr, sid, s, e):
    lo, hi = ptr[a], ptr[a + 1]
    if lo == hi:
        return False
    if s < e:
        # first id >= s, then check < e
        i, j = lo, hi
        while i < j:
            m = (i + j) // 2
            if sid[m] < s:
                i = m + 1
            else:
                j = m
        return i < hi and sid[i] < e
    return sid[hi - 1] >= s or sid[lo] < e


@njit(cache=True)
def _bank_wait(keys, n, banks, ports):
    """Extra cycles of a demand line whose words sit in (SRAM line * banks + bank) ``keys[:n]``: the
    most loaded bank serves its distinct lines ``ports`` at a time (SCALE-Sim's ``ceil(n/ports) - 1``)."""
    k = np.sort(keys[:n])
    count = np.zeros(banks, dtype=np.int64)
    for i in range(n):
        if i == 0 or k[i] != k[i - 1]:
            count[k[i] % banks] += 1
    most = count.max() if n else 0
    return (most + ports - 1) // ports - 1


@njit(cache=True)
def _service_reads(df, op, l, fr, fc, ru, cu, R, C, T, geo, K, N, width, cycle, user, ptr, sid, prm, st, ep,
                   cols, bank, keys):
    """One demand line of operand ``op`` through its read buffer; returns the line's stall cycles and
    whether it held a request.

    USER: ``prm`` = [nsets, active sets, prefetch sets, prefetch lines, bandwidth], ``st`` =
    [window start, window end, last prefetch cycle, DRAM reads]. CALC: ``prm[0]`` = epoch capacity,
    ``st`` = [epoch, insertions this epoch, DRAM reads, cycle of the last epoch change], ``ep`` =
    epoch of each address's insertion. A custom layout (:mod:`.layout`, ``bank[0]`` = 1): ``cols`` =
    each address's column in its SRAM line, ``bank[1:]`` = [banks, ports, words per bank], ``keys``
    scratch of ``width`` entries.
    """
    c0, c1 = _col_range(df, op, l, R, C, T, width)
    seen = False
    if user:
        off = 1
        custom = bank[0] != 0
        n = 0
        for c in range(c0, c1):
            a = _demand(df, op, l, c, fr, fc, ru, cu, R, C, T, geo, K, N)
            if a < 0:
                continue
            seen = True
            while not _user_hit(a, ptr, sid, st[0], st[1]):
                st[0] = (st[0] + prm[2]) % prm[0]
                st[1] = (st[0] + prm[1]) % prm[0]
                st[3] += prm[3] * prm[4]
                st[2] += prm[3] + 1
                pot = st[2] - (cycle + off)
                if not custom:  # the default layout adds any lateness, and a positive one twice
                    off += pot
                if pot > 0:
                    off += pot
            if custom:  # each address is in one set: its line and its bank
                keys[n] = sid[ptr[a]] * bank[1] + cols[a] // bank[3]
                n += 1
        if custom:
            off += _bank_wait(keys, n, bank[1], bank[2])
        return off - 1, seen
    for c in range(c0, c1):
        a = _demand(df, op, l, c, fr, fc, ru, cu, R, C, T, geo, K, N)
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
def _drained(start, lines, trace_lines, bw, pq_line, pq_fill, pq):
    """Words one drain of ``lines`` lines from ``start`` writes (whole lines, minus the padding of its
    last line if that is a partially filled one); advances the partial-line queue head ``pq[0]``."""
    end = min(start + lines, trace_lines)
    data = (end - start) * bw
    while pq[0] < pq[1] and pq_line[pq[0]] < end - 1:
        pq[0] += 1
    if pq[0] < pq[1] and pq_line[pq[0]] == end - 1:
        data -= bw - pq_fill[pq[0]]
        pq[0] += 1
    return end, data


@njit(cache=True)
def _replay(df, R, C, T, Sr, Sc, K, N, geo, user, if_ptr, if_sid, if_prm, f_ptr, f_sid, f_prm,
            of_total, of_drain, of_bw, space_if, space_f, trace, if_cols, if_bank, f_cols, f_bank):
    """Run every demand line through the three buffers; returns (total, stall, if, f, of) counts and
    the last USER prefetch cycles of the ifmap and filter buffers. ``trace`` (filled): SRAM start/stop
    cycles of ifmap, filter, ofmap, the ofmap DRAM start/stop, and in CALC mode each read buffer's
    completed epochs and the cycle of its last one. ``*_cols``, ``*_bank``: a custom layout's columns
    and banks (:func:`_service_reads`)."""
    rf = (Sr + R - 1) // R
    cf = (Sc + C - 1) // C
    L = T + R + C - 2 if df == _OS else 2 * R + C + T - 2
    w_if, w_f = (C, R) if df == _IS else (R, C)
    keys_if = np.empty(w_if, dtype=np.int64)
    keys_f = np.empty(w_f, dtype=np.int64)

    ep_if = np.full(space_if if not user else 1, -1, dtype=np.int32)
    ep_f = np.full(space_f if not user else 1, -1, dtype=np.int32)
    st_if = np.zeros(4, dtype=np.int64)
    st_f = np.zeros(4, dtype=np.int64)
    if user:
        for st, prm in ((st_if, if_prm), (st_f, f_prm)):
            st[1] = prm[1] % prm[0]
            st[2] = -1
            st[3] = prm[5]

    # ofmap write buffer
    free = of_total
    line_idx = 0
    trace_lines = 0
    drain_start = 0
    drain_end = 0
    dram_of = 0
    lines_per_drain = (of_drain + of_bw - 1) // of_bw
    pq_line = np.empty(1024, dtype=np.int64)  # partial lines pushed by forced appends: index, fill
    pq_fill = np.empty(1024, dtype=np.int64)
    pq = np.zeros(2, dtype=np.int64)  # queue head, tail

    stall = 0
    total = 0
    last_cur = 0
    for f in range(rf * cf):
        fc = f // rf
        fr = f - fc * rf
        ru = min(R, Sr - fr * R)
        cu = min(C, Sc - fc * C)
        for l in range(L):
            cycle = f * L + l + stall
            s_if, seen = _service_reads(df, 0, l, fr, fc, ru, cu, R, C, T, geo, K, N, w_if, cycle, user, if_ptr,
                                        if_sid, if_prm, st_if, ep_if, if_cols, if_bank, keys_if)
            if seen:  # SRAM start/stop: the serviced cycle of the first and last line with a request
                if trace[0] == NONE:
                    trace[0] = cycle + s_if + 1
                trace[1] = cycle + s_if + 1
            s_f, seen = _service_reads(df, 1, l, fr, fc, ru, cu, R, C, T, geo, K, N, w_f, cycle, user, f_ptr,
                                       f_sid, f_prm, st_f, ep_f, f_cols, f_bank, keys_f)
            if seen:
                if trace[2] == NONE:
                    trace[2] = cycle + s_f + 1
                trace[3] = cycle + s_f + 1
            s = max(s_if, s_f)
            # --- ofmap writes ---
            cur = cycle
            c0, c1 = _col_range(df, 2, l, R, C, T, C)
            wrote = False
            for c in range(c0, c1):
                if _demand(df, 2, l, c, fr, fc, ru, cu, R, C, T, geo, K, N) < 0:
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
                    if line_idx != 0:  # the partial line goes out padded
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
                    drain_end = cur + (end - drain_start) - 1  # one line per cycle
                    trace[7] = drain_end
                    drain_start = end
            if wrote:
                if trace[4] == NONE:
                    trace[4] = cur
                trace[5] = cur
            total = max(total, cur)
            last_cur = cur
            stall += max(s, cur - cycle)

    # flush the ofmap buffer (SCALE-Sim's empty_all_buffers): every stored line goes to DRAM
    if line_idx != 0:
        if pq[1] == pq_line.size:
            pq_line = _grow(pq_line)
            pq_fill = _grow(pq_fill)
        pq_line[pq[1]] = trace_lines
        pq_fill[pq[1]] = line_idx
        pq[1] += 1
        trace_lines += 1
    flush = last_cur  # the flush drains back to back from the last demand line's cycle
    while drain_start < trace_lines:
        end, data = _drained(drain_start, lines_per_drain, trace_lines, of_bw, pq_line, pq_fill, pq)
        dram_of += data
        if trace[6] == NONE:
            trace[6] = flush
        flush += end - drain_start  # the next drain starts the cycle after this one's last line
        trace[7] = max(trace[7], flush - 1)  # an earlier drain may still end later
        drain_start = end
    if not user:  # estimate mode: epochs completed and the cycle of the last one, per read buffer
        trace[8], trace[9], trace[10], trace[11] = st_if[0], st_if[3], st_f[0], st_f[3]
    return total, stall, st_if[3] if user else st_if[2], st_f[3] if user else st_f[2], dram_of, \
        st_if[2] if user else 0, st_f[2] if user else 0


@njit(cache=True)
def _grow(a):
    b = np.empty(a.size * 2, dtype=a.dtype)
    b[: a.size] = a
    return b


# ---- entry point ---------------------------------------------------------------------------------

def user_buffer(total: int, bw: int, stream: np.ndarray, entries: int, space: int, per_set: int | None = None):
    """USER-mode read buffer of ``total`` words filled at ``bw`` words/cycle from a prefetch matrix of
    ``entries`` entries whose valid addresses, in prefetch order, are ``stream``: (parameters for
    :func:`_service_reads`, CSR address -> prefetch-set ids). Sets of ``per_set`` words
    (SCALE-Sim's default ``ceil(total/100)``; a custom layout's: the bank bandwidth)."""
    per_set = -(-total // 100) if per_set is None else per_set
    active = -(-total // 2)
    prefetch = total - active
    nsets = stream.size // per_set + 1
    n_active = min(-(-active // per_set), nsets)
    n_prefetch = min(-(-prefetch // per_set), nsets - n_active)
    fetch_rows = -(-entries // bw)
    first = min(-(-active // bw), fetch_rows) * bw
    ptr, sid = _set_index(stream, per_set, space)
    return np.array([nsets, n_active, n_prefetch, -(-prefetch // bw), bw, first], dtype=np.int64), ptr, sid


def dram_spans(out: dict, user: bool, states, words, trace, last_if, last_f) -> None:
    """Add the ifmap/filter DRAM start/stop cycles and the total with prefetch to a layer's ``out``."""
    for op, (name, reads, last, total_words) in enumerate((("ifmap", out["dram_ifmap_reads"], last_if, words[0]),
                                                           ("filter", out["dram_filter_reads"], last_f, words[1]))):
        if user:  # the active half is fetched in the lines before cycle 0, the rest on misses
            start, stop = -(int(states[op][5]) // int(states[op][4])), int(last)
        else:
            start, stop = _calc_dram_span(int(reads), total_words // 100, int(trace[8 + 2 * op]),
                                          int(trace[9 + 2 * op]), out[f"sram_{name}_start_cycle"] - 1)
        out[f"dram_{name}_start_cycle"], out[f"dram_{name}_stop_cycle"] = start, stop
    out["total_cycles_incl_prefetch"] = out["dram_ofmap_stop_cycle"] - min(out["dram_ifmap_start_cycle"],
                                                                           out["dram_filter_start_cycle"])


def trace_cycles(out: dict, trace: np.ndarray) -> None:
    """Add the SRAM and ofmap DRAM start/stop cycles of a replay's ``trace`` to ``out``."""
    for i, name in enumerate(("sram_ifmap_start_cycle", "sram_ifmap_stop_cycle", "sram_filter_start_cycle",
                              "sram_filter_stop_cycle", "sram_ofmap_start_cycle", "sram_ofmap_stop_cycle",
                              "dram_ofmap_start_cycle", "dram_ofmap_stop_cycle")):
        out[name] = int(trace[i]) if trace[i] != NONE else 0  # SCALE-Sim's default for a stream never seen

def _dims(df: int, layer: Layer, sparse: bool = False):
    M, N, K = layer.gemm_m, layer.gemm_n, (layer.sparse_k if sparse else layer.gemm_k)
    if df == _OS:
        return M, N, K
    if df == _WS:
        return K, N, M
    return K, M, N


def replay_layer(config: SystolicConfig, layer: Layer) -> dict:
    """SCALE-Sim's DRAM counts, stall cycles and total cycles for one layer on one design, exactly.

    On a design with ``sparsity_support`` an ``N:M`` layer runs as SCALE-Sim runs it: its window
    shrinks to :attr:`Layer.sparse_k` compressed elements, each standing for a kept original one."""
    df = ("os", "ws", "is").index(config.dataflow)
    R, C = config.array_rows, config.array_cols
    sparse = config.sparsity_support
    Sr, Sc, T = _dims(df, layer, sparse)
    K, N = (layer.sparse_k if sparse else layer.gemm_k), layer.gemm_n
    n, m = (layer.sparsity_n, layer.sparsity_m) if sparse else (1, 1)
    geo = np.array([layer.ifmap_h, layer.ifmap_w, layer.filter_w, layer.channels, layer.stride_h, layer.stride_w,
                    layer.ofmap_w, n, m, layer.gemm_k], dtype=np.int64)
    wsz = config.word_size_bytes
    words = [kb * 1024 // wsz for kb in (config.ifmap_sram_kb, config.filter_sram_kb, config.ofmap_sram_kb)]
    space_if = layer.ifmap_h * layer.ifmap_w * layer.channels
    space_f = layer.gemm_k * N
    user = config.bandwidth_mode == "USER"
    states, ptrs, sids = [], [], []
    banks = [(np.zeros(1, dtype=np.int64), np.zeros(4, dtype=np.int64)) for _ in range(2)]
    for op, (total, bw, space) in enumerate(((words[0], config.ifmap_bandwidth, space_if),
                                             (words[1], config.filter_bandwidth, space_f))):
        custom = config.layout(op) if isinstance(config, LayoutConfig) else None
        if user and custom is not None:  # SCALE-Sim's custom layout: its fill order, lines of bw words, banks
            prm, ptr, sid, banks[op] = _custom_buffer(config, layer, op, custom, total, bw, space)
            states.append(prm)
            ptrs.append(ptr)
            sids.append(sid)
            continue
        if not user:  # estimate mode: an epoch holds 50 sets of floor(words/100) addresses
            states.append(np.array([50 * (total // 100)], dtype=np.int64))
            ptrs.append(np.zeros(1, dtype=np.int64))
            sids.append(np.zeros(1, dtype=np.int64))
            continue
        rows, cols, diag = _prefetch_shape(df, op, R, C, T, Sr, Sc, K, N)
        stream = _prefetch_stream(df, op, rows, cols, diag, R, C, T, Sr, Sc, geo, K, N)
        prm, ptr, sid = user_buffer(total, bw, stream, rows * cols, space)
        states.append(prm)
        ptrs.append(ptr)
        sids.append(sid)
    of_total = words[2]
    of_drain = of_total - (-(-of_total // 2))
    of_bw = config.bandwidth if user else C
    trace = np.full(12, NONE, dtype=np.int64)
    total, stall, d_if, d_f, d_of, last_if, last_f = _replay(
        df, R, C, T, Sr, Sc, K, N, geo, user, ptrs[0], sids[0], states[0], ptrs[1], sids[1], states[1],
        of_total, of_drain, of_bw, space_if, space_f, trace, banks[0][0], banks[0][1], banks[1][0], banks[1][1])
    out = {"total_cycles": int(total), "stall_cycles": int(stall), "dram_ifmap_reads": int(d_if),
           "dram_filter_reads": int(d_f), "dram_ofmap_writes": int(d_of)}
    trace_cycles(out, trace)
    dram_spans(out, user, states, words, trace, last_if, last_f)
    return out


def _custom_buffer(config: LayoutConfig, layer: Layer, op: int, custom, total: int, bw: int, space: int):
    """USER-mode read buffer of operand ``op`` under a custom layout: :func:`user_buffer`'s
    parameters for SCALE-Sim's layout fill order in sets of ``bw`` words, and (columns, bank
    parameters) for :func:`_service_reads`."""
    if op == 0:
        dims, offset = (layer.ifmap_h, layer.ifmap_w, layer.channels), 0
    else:
        dims, offset = (layer.num_filters, layer.channels, layer.filter_h, layer.filter_w), config.filter_offset
    order = fetch_order(custom, dims)  # offset-free addresses (the replay's), -1 padding
    stream = order[order >= 0]
    prm, ptr, sid = user_buffer(total, bw, stream, order.size, space, per_set=bw)
    cols = set_columns(stream, bw, space, offset)
    bank = np.array([1, custom.banks, custom.ports, bw // custom.banks], dtype=np.int64)
    return prm, ptr, sid, (cols, bank)


#: estimate mode: words/cycle of SCALE-Sim's first (active-buffer) ifmap/filter prefetch, and its set counts
_CALC_BW, _CALC_SETS = 10, 50


def _calc_dram_span(reads: int, per_set: int, epochs: int, last_epoch_cycle: int, first_request: int):
    """Estimate mode: first and last cycle of a read buffer's DRAM trace. The active buffer's sets are
    fetched at 10 words/cycle, ending two cycles before the first request (or before cycle 0 when no
    epoch ever completes); each later fetch spans the cycles since the previous one, the last ending a
    cycle after the last completed epoch (the read port adds one cycle)."""
    if epochs == 0:
        sets = -(-reads // per_set)
        return -(-(sets * per_set) // _CALC_BW) * -1, -1
    return first_request - (-(-(_CALC_SETS * per_set) // _CALC_BW)), last_epoch_cycle + 1
