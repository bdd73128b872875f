"""SCALE-Sim's USER-mode read buffers (ifmap, filter), replayed one demand run at a time.

In USER mode SCALE-Sim partitions an operand, in its prefetch order, into sets of
``E = ceil(words/100)`` entries (``nsets = entries // E + 1`` sets on a ring); the live half of the
SRAM is a circular window of ``A`` sets starting at set ``s``. A demanded address hits if it lies in
the window; on a miss the window advances ``P`` sets (half the SRAM is fetched, ``ceil(half/bw)``
lines) until it does. For an address at ring distance ``d = (set - s) mod nsets >= A`` from the
window start that takes exactly ``(d - A) // P + 1`` advances (``A >= P``, so no set is jumped
over) -- a backward step of the demand order is a ring distance close to ``nsets``: the window goes
all the way round (a *wrap*).

Within a fold the demand visits the stream in a few regular *runs* (SCALE-Sim's prefetch order is
the demand order of one fold, see :mod:`.replay`):

* skewed operands (os ifmap and filter, ws ifmap, is filter): the prefetch matrix is read along
  anti-diagonals and a fold demands one block of it in exactly that order, so a fold is one forward
  run from the block's first entry to its last; the next fold restarts a few diagonals back (or at
  another block);
* flipped tiles (ws filter, is ifmap): the prefetch matrix is row-major and a fold demands ``R`` of
  its rows, last row first, each row left to right: one short forward run per row.

A forward run from set ``a`` to set ``b`` costs the advances of its end point, so a fold costs O(1)
work (a flipped tile O(1) per wrap) instead of work per address, and folds that stay inside the
window are skipped altogether (bisection on the monotone end sets of the following blocks). A
column filter block re-read with the window back where it was, or a pass over the blocks that
brings it back, repeats exactly. After :data:`WORK_BUDGET` folds and wraps of one operand the rest
of the layer is extrapolated at the advance rate of the second half of that work (the folds repeat
one pattern), which bounds the cost of designs whose small SRAMs refetch all the time. Below that
budget the advance count -- hence the DRAM reads -- is exact whenever every address occurs once in
the stream (all filters, GEMM and non-overlapping-convolution ifmaps). Convolution ifmaps with
overlapping windows hold each pixel several times; SCALE-Sim may then hit at another copy, which
this replay does not follow (it tracks each demand's own copy), so it can over-count wraps there
(see tests/systolic/test_systolic_analytic_accuracy.py for how much).

Timing: every advance occupies the operand's DRAM channel ``c = ceil(half/bw) + 1`` cycles counted
from the start of the layer; SCALE-Sim stalls the array when an advance is due later than the
demand line, counts a late advance's lateness twice and alternately pulls it back over several
advances in one line. That arithmetic is replayed per advance (in closed form for the evenly
spaced advances of a forward run); the result is the stall each operand alone would cause,
sampled as a profile over the layer's compute lines (:data:`PROFILE_POINTS` + 1 points) so that
:mod:`.drain` can combine both read operands and the ofmap write buffer.

Designs that share dataflow, array shape and SRAM size share a replay per layer (with all their
channel costs); batches of a few designs are remembered across calls (``env.step``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: intervals of the per-operand stall profile (sampled at PROFILE_POINTS + 1 equally spaced lines)
PROFILE_POINTS = 16

_OS, _WS, _IS = 0, 1, 2


# ---- geometry: where a fold's demand lies in the prefetch stream ---------------------------------

@njit(cache=True)
def _geometry(df, op, R, C, M, N, K):
    """Operand ``op`` (0 ifmap, 1 filter) of SCALE-Sim's prefetch matrix on one design and layer:
    ``diag`` (anti-diagonal order, else row-major with flipped tiles), ``by_fr`` (a fold's block is
    its row-fold index, else its column-fold index), ``Tb`` rows per block, ``W`` columns, ``nb``
    blocks, ``u`` columns of the last block, ``lo`` first demand line of a skewed fold, and the fold
    counts ``rf``, ``cf`` and lines per fold ``L``."""
    if df == _OS:
        Sr, Sc, T = M, N, K
    elif df == _WS:
        Sr, Sc, T = K, N, M
    else:
        Sr, Sc, T = K, M, N
    rf = -(-Sr // R)
    cf = -(-Sc // C)
    ru = Sr - (rf - 1) * R
    cu = Sc - (cf - 1) * C
    L = T + R + C - 2 if df == _OS else 2 * R + C + T - 2
    if op == 0:
        if df == _IS:  # the ifmap tiles are the stationary operand
            return False, False, K, C, cf, cu, 0, rf, cf, L
        return True, True, M if df == _WS else K, R, rf, ru, R if df == _WS else 0, rf, cf, L
    if df == _WS:
        return False, False, K, C, cf, cu, 0, rf, cf, L
    if df == _IS:
        return True, True, N, R, rf, ru, R, rf, cf, L
    return True, False, K, C, cf, cu, 0, rf, cf, L


@njit(cache=True)
def _window_sets(words, stream):
    """SCALE-Sim's USER-mode set arithmetic: (E entries per set, nsets, A window sets, P advance sets)."""
    E = -(-words // 100)
    active = -(-words // 2)
    prefetch = words - active
    nsets = stream // E + 1
    A = min(-(-active // E), nsets)
    P = min(-(-prefetch // E), nsets - A)
    return E, nsets, A, P


# ---- the replay ------------------------------------------------------------------------------------

@njit(cache=True)
def _tri(v, X):
    """sum_{t=0..v} min(t, X) (0 for v < 0): entries on anti-diagonals of a column of X rows."""
    if v < 0:
        return 0
    if v <= X:
        return v * (v + 1) // 2
    return X * (X + 1) // 2 + (v - X) * X


@njit(cache=True)
def _before(d, W, u, X1, X2):
    """Entries of the prefetch matrix on anti-diagonals < d (columns < u have X1 rows, the others X2)."""
    return _tri(d, X1) - _tri(d - u, X1) + _tri(d - u, X2) - _tri(d - W, X2)


@njit(cache=True)
def _block_last(d, b, Tb, W, wb, u, X1, X2):
    """Stream position of block ``b``'s last entry on anti-diagonal ``d`` (the stream runs along
    anti-diagonals of the whole matrix, rows descending: rows of the blocks below follow the block's)."""
    r_bot = max(b * Tb, d - wb + 1)
    below = min(r_bot, b * Tb) - max(0, d - W + 1)  # rows of the blocks below on this diagonal (all W columns)
    return _before(d + 1, W, u, X1, X2) - 1 - max(below, 0)


@njit(cache=True)
def _diagonal_at(p, W, u, X1, X2, lo, hi):
    """The anti-diagonal in [lo, hi] holding stream entry p."""
    while lo < hi:
        m = (lo + hi + 1) // 2
        if _before(m, W, u, X1, X2) <= p:
            lo = m
        else:
            hi = m - 1
    return lo


@njit(cache=True)
def _record(line, S, prof, g, span):
    """Write the stall profile at every sample line up to ``line`` (exclusive)."""
    G = prof.shape[1] - 1
    while g[0] <= G and g[0] * span < line * G:
        for i in range(S.size):
            prof[i, g[0]] = S[i]
        g[0] += 1


@njit(cache=True)
def _burst(line, k, m, cs, S, g):
    """``m`` advances (the operand's ``k+1``-th to ``k+m``-th) due in one demand line: SCALE-Sim's
    stall arithmetic for every channel cost ``cs[i]``, raising the operand's stall ``S[i]`` (``g[1]``
    keeps the line of the latest advance)."""
    g[1] = line
    for i in range(cs.size):
        c = cs[i]
        # advance j is due at cycle j*c - 1; SCALE-Sim's running offset starts one past the line's cycle
        e = (k + 1) * c - 1 - (line + S[i] + 1)  # lateness of the first advance
        if e < 0:
            e = 0
        if m > 1:  # each further advance in the line is late by c minus the previous one's lateness
            if e <= c:
                if (m - 1) % 2 == 1:
                    e = c - e
            else:
                e = c if (m - 1) % 2 == 0 else 0
        late = (k + m) * c - 1 + e - line - 1
        if late > S[i]:
            S[i] = late


@njit(cache=True)
def _spread(S, z0, delta, n):
    """Stall after ``n`` single advances in successive lines whose deficits (due cycle minus demand
    cycle) are ``z0 + j*delta``: an advance later than the stall so far leaves it at deficit plus
    lateness (SCALE-Sim counts the lateness twice), so the lateness alternates ``x, delta - x``."""
    if n <= 0:
        return S
    x = z0 - S
    if delta <= 0:
        return S + 2 * x if x > 0 else S  # only the first can be late
    j = 0
    if x <= 0:
        j = int(-x // delta) + 1  # first late advance
        if j >= n:
            return S
        x += j * delta
    if x >= delta:  # the next ones are early until the deficit has grown past the overshoot
        i = int(x // delta) + 1
        if j + i >= n:
            return z0 + j * delta + x
        j += i
        x = i * delta - x
    last = n - 1
    return z0 + last * delta + (x if (last - j) % 2 == 0 else delta - x)


@njit(cache=True)
def _run(base, l0, l1, k, m, cs, S, prof, g, span):
    """``m`` advances spread evenly over lines ``l0 .. l1`` of a forward run (fold starting at ``base``)."""
    if m == 1:
        _record(base + l0, S, prof, g, span)
        _burst(base + l0, k, 1, cs, S, g)
        return
    step = (l1 - l0) / (m - 1)
    G = prof.shape[1] - 1
    g0 = g[0]
    for i in range(cs.size):
        c = cs[i]
        z0 = float((k + 1) * c - 2 - (base + l0))
        start = float(S[i])
        # sample lines inside the run see the stall after the advances due before them
        q = g0
        while q <= G and q * span < (base + l1) * G:
            at = q * span / G - base  # sample line relative to the fold
            n = 0 if at <= l0 else min(m, int((at - l0 - 1e-9) // step) + 1)
            prof[i, q] = int(_spread(start, z0, c - step, n))
            q += 1
        g[0] = q
        S[i] = int(_spread(start, z0, c - step, m))
    g[1] = base + l1


@njit(cache=True)
def _repeat(line, units, unit_lines, k, dk, at, cs, S, prof, g, span):
    """``units`` more repetitions, from line ``line`` on, of the stretch of ``unit_lines`` lines and
    ``dk`` advances (a float: an average rate will do) just replayed, the operand's ``k`` advances
    done by then, the last of them ``at`` lines into the stretch. Each repetition moves that last
    advance's deficit by ``dk * c - unit_lines``: the stall grows only once the channel, which may
    have time in hand, falls behind, and keeps the lateness the replayed stretch ended with."""
    G = prof.shape[1] - 1
    end = line + units * unit_lines
    for i in range(cs.size):
        c = cs[i]
        z0 = k * c - 2 - (line - unit_lines + at)  # deficit of the replayed stretch's last advance
        e0 = min(max(S[i] - z0, 0), c)
        delta = dk * c - unit_lines
        q = g[0]
        while q <= G and q * span < end * G:
            done = min(max(int((q * span / G - line) // unit_lines), 0), units)
            prof[i, q] = max(S[i], int(z0 + done * delta + e0)) if done > 0 else S[i]
            q += 1
        if i == cs.size - 1:
            g[0] = q
        if delta > 0:
            S[i] = max(S[i], int(z0 + units * delta + e0))


@njit(cache=True)
def _visit(sg, s, nsets, A, P):
    """Advances needed for set ``sg`` (window start ``s``): (advances, new start, ring offset of sg)."""
    d = (sg - s) % nsets
    if d < A:
        return 0, s, d
    m = (d - A) // P + 1
    return m, (s + m * P) % nsets, d - m * P


@njit(cache=True)
def _trigger_line(trigger, p0, d0, last, linear, lo, W, u, X1, X2, scale, E):
    """Demand line (within the fold) at which a skewed run reaches set ``trigger``."""
    p = int(trigger * E / scale)
    if p < p0:
        p = p0
    if linear:
        return lo + (p - p0) // W
    return lo + _diagonal_at(p, W, u, X1, X2, d0, last) - d0


@njit(cache=True)
def _skewed_fold(b, base, s, k, Tb, W, nb, u, lo, scale, E, nsets, A, P, cs, S, prof, g, span):
    """One fold demanding block ``b`` of an anti-diagonal stream: returns (window start, advances)."""
    X1 = nb * Tb
    X2 = (nb - 1) * Tb
    wb = u if b == nb - 1 else W
    last = (b + 1) * Tb + wb - 2  # the block's last anti-diagonal
    p0 = _before(b * Tb, W, u, X1, X2)
    p1 = _block_last(last, b, Tb, W, wb, u, X1, X2)
    sa = int(p0 * scale) // E
    sb = int(p1 * scale) // E
    m, s, d = _visit(sa, s, nsets, A, P)
    if m > 0:  # the fold's first address lies behind or beyond the window
        _record(base + lo, S, prof, g, span)
        _burst(base + lo, k, m, cs, S, g)
        k += m
    d += sb - sa  # forward run to the block's last entry
    if d >= A:
        m = (d - A) // P + 1
        # the advances are due where the demand reaches the window's end
        linear = b * Tb >= W - 1 and last < X2 + u  # W entries on every anti-diagonal of the block
        l0 = _trigger_line(sb - d + A, p0, b * Tb, last, linear, lo, W, u, X1, X2, scale, E)
        l1 = l0 if m == 1 else _trigger_line(sb - d + A + (m - 1) * P, p0, b * Tb, last, linear, lo, W, u, X1, X2,
                                             scale, E)
        _run(base, l0, l1, k, m, cs, S, prof, g, span)
        k += m
        s = (s + m * P) % nsets
    return s, k


@njit(cache=True)
def _flipped_fold(b, t0, base, s, k, Tb, W, nb, u, tile, scale, E, nsets, A, P, cs, S, prof, g, span):
    """One fold demanding rows ``t0 .. t0+tile-1`` of block ``b`` of a row-major stream, last row
    first (one row per line): returns (window start, advances, rows looked at)."""
    wb = u if b == nb - 1 else W
    rows = min(tile, Tb - t0)
    first = b * Tb * W + t0 * wb
    rr = rows - 1
    looked = 0
    while rr >= 0:
        pa = first + rr * wb
        sa = int(pa * scale) // E
        sb = int((pa + wb - 1) * scale) // E
        m, s, d = _visit(sa, s, nsets, A, P)
        d += sb - sa
        if d >= A:
            m2 = (d - A) // P + 1
            s = (s + m2 * P) % nsets
            d -= m2 * P
            m += m2
        if m > 0:
            line = base + tile - 1 - rr
            _record(line, S, prof, g, span)
            _burst(line, k, m, cs, S, g)
            k += m
        # rows below whose start lies inside the window (between its start and this row) are hits:
        # go on at the highest row that starts behind the window
        start = sa - (d - (sb - sa))  # window start, unwrapped to this tile
        r = min(rr - 1, int(np.ceil((start * E / scale - first) / wb)) - 1)
        while r >= 0 and int((first + r * wb) * scale) // E >= start:
            r -= 1
        while r + 1 < rr and int((first + (r + 1) * wb) * scale) // E < start:
            r += 1
        rr = r
        looked += 1
    return s, k, looked


@njit(cache=True)
def _block_end_set(b, Tb, W, nb, u, scale, E):
    """Set holding the last stream entry of anti-diagonal block ``b``."""
    wb = u if b == nb - 1 else W
    return int(_block_last((b + 1) * Tb + wb - 2, b, Tb, W, wb, u, nb * Tb, (nb - 1) * Tb) * scale) // E


@njit(cache=True)
def _next_block(b, limit, Tb, W, nb, u, scale, E):
    """First block ``b' > b`` whose last entry's set reaches ``limit`` (``nb`` if none): the blocks in
    between lie inside the window and cost nothing. Block ends are evenly spaced except near the
    matrix's edges, so a linear guess is corrected by a few steps of bisection."""
    lo, hi = b + 1, nb
    if lo >= hi or _block_end_set(lo, Tb, W, nb, u, scale, E) >= limit:
        return lo
    per = Tb * W * scale / E  # sets per block
    guess = lo + int((limit - _block_end_set(lo, Tb, W, nb, u, scale, E)) / per)
    if guess < hi and guess > lo:
        if _block_end_set(guess, Tb, W, nb, u, scale, E) >= limit:
            hi = guess
            if guess - 1 > lo and _block_end_set(guess - 1, Tb, W, nb, u, scale, E) < limit:
                return guess
        else:
            lo = guess + 1
            if lo < hi and _block_end_set(lo, Tb, W, nb, u, scale, E) >= limit:
                return lo
    while lo < hi:
        m = (lo + hi) // 2
        if _block_end_set(m, Tb, W, nb, u, scale, E) >= limit:
            hi = m
        else:
            lo = m + 1
    return lo


@njit(cache=True)
def _tile_end_set(t, b, Tb, W, nb, u, tile, scale, E):
    """Set holding the last entry of tile ``t`` (its top row) in row-major block ``b``."""
    wb = u if b == nb - 1 else W
    return int((b * Tb * W + (min(t * tile + tile, Tb) - 1) * wb + wb - 1) * scale) // E


@njit(cache=True)
def _next_tile(t, limit, b, rf, Tb, W, nb, u, tile, scale, E):
    """First tile ``t' > t`` of block ``b`` whose top row reaches set ``limit`` (``rf`` if none)."""
    lo, hi = t + 1, rf
    while lo < hi:
        m = (lo + hi) // 2
        if _tile_end_set(m, b, Tb, W, nb, u, tile, scale, E) >= limit:
            hi = m
        else:
            lo = m + 1
    return lo


#: folds and rows replayed one by one per operand; beyond that the rest of the layer is extrapolated
#: at the advance rate of the second half of them
WORK_BUDGET = 2048


@njit(cache=True)
def _replay_operand(diag, by_fr, Tb, W, nb, u, lo, tile, rf, cf, L, scale, E, nsets, A, P, cs, S, prof):
    """Advance count of one operand on one design; ``S``/``prof`` receive its stall for each cost.

    Folds whose demand lies wholly inside the window are skipped (found by bisection on the
    monotone end sets of the following blocks or tiles), so the work grows with the window's moves,
    not with the folds. After :data:`WORK_BUDGET` folds and rows the remaining folds are taken at
    the average advance rate of the second half of that work (the folds repeat the same pattern)."""
    for i in range(cs.size):
        S[i] = 0
    g = np.zeros(2, dtype=np.int64)  # next profile sample, line of the latest advance
    span = rf * cf * L
    folds = rf * cf
    k = 0
    if nsets > A and P > 0:
        s = 0
        work = 0
        f_ref = -1
        k_ref = 0
        fc = 0
        while fc < cf:
            s_pass, k_pass = s, k
            fr = 0
            while fr < rf:
                f = fc * rf + fr
                if f_ref < 0 and work >= WORK_BUDGET // 2:
                    f_ref, k_ref = f, k
                elif work >= WORK_BUDGET and f > f_ref:
                    rate = (k - k_ref) / (f - f_ref)
                    _repeat(f * L, folds - f, L, k, rate, L, cs, S, prof, g, span)
                    k += int(rate * (folds - f) + 0.5)
                    fc = cf
                    break
                base = f * L
                s_in, k_in = s, k
                if not diag:
                    s, k, rows = _flipped_fold(fc, fr * tile, base, s, k, Tb, W, nb, u, tile, scale, E, nsets, A, P,
                                               cs, S, prof, g, span)
                    work += rows
                    # the following tiles of the block are hits until one's top row reaches the window's end
                    end_set = _tile_end_set(fr, fc, Tb, W, nb, u, tile, scale, E)
                    fr = _next_tile(fr, end_set - (end_set - s) % nsets + A, fc, rf, Tb, W, nb, u, tile, scale, E)
                    continue
                work += 1
                if not by_fr:
                    s, k = _skewed_fold(fc, base, s, k, Tb, W, nb, u, lo, scale, E, nsets, A, P, cs, S, prof, g, span)
                    if fr > 0 and s == s_in:
                        # re-reading the column's filter block left the window where it was: so will the rest
                        _repeat(base + L, rf - 1 - fr, L, k, float(k - k_in), g[1] - base, cs, S, prof, g, span)
                        k += (k - k_in) * (rf - 1 - fr)
                        break
                    fr += 1
                    continue
                s, k = _skewed_fold(fr, base, s, k, Tb, W, nb, u, lo, scale, E, nsets, A, P, cs, S, prof, g, span)
                # the next blocks are hits while they start inside the window and end before its end
                if fr + 1 < rf:
                    sb = _block_end_set(fr, Tb, W, nb, u, scale, E)
                    start = sb - (sb - s) % nsets  # window start, unwrapped to this block
                    sa_next = int(_before((fr + 1) * Tb, W, u, nb * Tb, (nb - 1) * Tb) * scale) // E
                    if sa_next >= start:
                        fr = _next_block(fr, start + A, Tb, W, nb, u, scale, E)
                        continue
                fr += 1
            if diag and by_fr and 0 < fc < cf - 1 and s == s_pass:
                # a whole pass over the blocks came back to the same window: the remaining passes repeat it
                _repeat((fc + 1) * rf * L, cf - 1 - fc, rf * L, k, float(k - k_pass), g[1] - fc * rf * L, cs, S, prof, g, span)
                k += (k - k_pass) * (cf - 1 - fc)
                break
            fc += 1
    _record(span + 1, S, prof, g, span)
    return k


@njit(cache=True)
def _replay_keys(op, df, R, C, words, M, N, K, stream, c_ptr, c_val, k_out, matrix_out, prof_out):
    """``_replay_operand`` for every layer ``j`` and distinct design ``q`` (``df[q]``, ``R[q]``, ...),
    each with its channel costs ``c_val[c_ptr[q]:c_ptr[q+1]]``; the profiles go to rows
    ``j * len(c_val) + c_ptr[q] ...`` of ``prof_out``."""
    nkc = c_val.size
    for j in range(M.size):
        for q in range(df.size):
            diag, by_fr, Tb, W, nb, u, lo, rf, cf, L = _geometry(df[q], op, R[q], C[q], M[j], N[j], K[j])
            E, nsets, A, P = _window_sets(words[q], stream[j])
            full = (nb - 1) * Tb * W + Tb * u  # matrix entries without the padding of the last block
            matrix_out[j, q] = nb * Tb * W
            lo_c, hi_c = c_ptr[q], c_ptr[q + 1]
            S = np.zeros(hi_c - lo_c, dtype=np.int64)
            k_out[j, q] = _replay_operand(diag, by_fr, Tb, W, nb, u, lo, R[q], rf, cf, L, stream[j] / max(full, 1), E,
                                          nsets, A, P, c_val[lo_c:hi_c], S, prof_out[j * nkc + lo_c:j * nkc + hi_c])


#: batches of at most this many designs are replayed design by design (no search for shared keys),
#: and their replays are remembered (keyed by operand, design and layer table) for later calls
_SMALL_BATCH = 16
_MEMO: dict = {}
_MEMO_ROWS = 1 << 18  # (design, layer) replays kept at most (~20 MB)
_memo_rows = [0]


def _replay_small(op, df, R, C, words, bw, M, N, K, stream):
    """:func:`read_buffer` of a few designs, one design at a time, through the memo: (reads, k,
    profiles) as (designs, layers), (designs, layers) and (designs * layers, points) arrays. The
    memo keeps each design's finished rows (keyed by operand, dataflow, array, SRAM words, DRAM line
    width and the layer table), so a design seen before costs a dictionary look-up."""
    D, J = len(df), len(M)
    table = (op, M.tobytes(), N.tobytes(), K.tobytes(), stream.tobytes())
    hits = []
    for i in range(D):
        w, b = int(words[i]), int(bw[i])
        key = (int(df[i]), int(R[i]), int(C[i]), w, b, table)
        hit = _MEMO.get(key)
        if hit is None:
            active = -(-w // 2)
            n_req = -(-(w - active) // b)
            kk = np.zeros((J, 1), dtype=np.int64)
            mm = np.zeros((J, 1), dtype=np.int64)
            pp = np.zeros((J, PROFILE_POINTS + 1), dtype=np.float32)
            _replay_keys(op, df[i:i + 1], R[i:i + 1], C[i:i + 1], words[i:i + 1], M, N, K, stream,
                         np.array([0, 1]), np.array([n_req + 1]), kk, mm, pp)
            # SCALE-Sim's first fill: the active half (or the whole operand), whole lines
            first_fill = np.minimum(-(-active // b), -(-mm[:, 0] // b)) * b
            if _memo_rows[0] + J > _MEMO_ROWS:
                _MEMO.clear()
                _memo_rows[0] = 0
            _memo_rows[0] += J
            hit = _MEMO[key] = (first_fill + kk[:, 0] * (n_req * b), kk[:, 0], pp)
        hits.append(hit)
    if D == 1:
        reads, k, prof = hits[0]
        return reads.reshape(1, J).copy(), k.reshape(1, J).copy(), prof.copy()
    return (np.stack([h[0] for h in hits]), np.stack([h[1] for h in hits]),
            np.concatenate([h[2] for h in hits]))


def read_buffer(op: int, df, R, C, words, bw, M, N, K, stream):
    """USER-mode DRAM reads and stall profiles of read operand ``op`` (0 ifmap, 1 filter).

    Designs (1-d arrays ``df``, ``R``, ``C``, SRAM ``words``, ``bw`` words per DRAM line) x layers
    (1-d arrays ``M``, ``N``, ``K`` and ``stream``, the operand's valid entries). Designs that share
    dataflow, array shape and SRAM size are replayed once per layer, with all their channel costs.
    Returns ``(reads, profiles, row, advances)``: (designs, layers) DRAM reads, the row of
    ``profiles`` holding each pair's stall profile, and (designs, layers) window advances.
    """
    D, J = len(df), len(M)
    if D <= _SMALL_BATCH:
        reads, k, prof = _replay_small(op, df, R, C, words, bw, M, N, K, stream)
        return reads, prof, np.arange(D * J).reshape(D, J), k
    active = -(-words // 2)
    n_req = -(-(words - active) // bw)
    cost = n_req + 1
    # designs -> distinct (dataflow, rows, cols, words) keys, and those x distinct channel costs
    key = df.astype(np.int64)
    for col in (R, C, words):
        u, i = np.unique(col, return_inverse=True)
        key = key * len(u) + i.reshape(-1)
    _, rep, kd_of = np.unique(key, return_index=True, return_inverse=True)
    cu, ci = np.unique(cost, return_inverse=True)
    _, first, kc = np.unique(kd_of.reshape(-1) * len(cu) + ci.reshape(-1), return_index=True,
                             return_inverse=True)
    kc = kc.reshape(-1)
    kd = kd_of.reshape(-1)[first]  # key of each (key, cost) group; groups come sorted by key
    nd, nkc = len(rep), len(first)
    c_ptr = np.zeros(nd + 1, dtype=np.int64)
    np.cumsum(np.bincount(kd, minlength=nd), out=c_ptr[1:])
    kk = np.zeros((J, nd), dtype=np.int64)
    mm = np.zeros((J, nd), dtype=np.int64)
    prof = np.zeros((J * nkc, PROFILE_POINTS + 1), dtype=np.float32)
    _replay_keys(op, df[rep], R[rep], C[rep], words[rep], M, N, K, stream, c_ptr, cost[first], kk, mm, prof)
    k, matrix = kk[:, kd[kc]].T, mm[:, kd[kc]].T
    row = np.arange(J)[None, :] * nkc + kc[:, None]
    # SCALE-Sim's first fill: the active half (or the whole operand), whole lines
    b = bw[:, None]
    first_fill = np.minimum(-(-active[:, None] // b), -(-matrix // b)) * b
    return first_fill + k * (n_req * bw)[:, None], prof, row, k
