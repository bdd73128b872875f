"""SCALE-Sim's USER-mode ofmap write buffer, and the layer's stall from all three DRAM channels.

The ofmap SRAM (``B`` words) collects outputs in ``bw``-word lines. When more than ``od =
B - ceil(B/2)`` words are held and no drain is running, a drain of ``lines = ceil(od/bw)`` lines
starts: its words are freed at once and the channel is busy ``lines - 1`` cycles. A write that
finds the buffer full while a drain runs waits for its end, and the next drain starts then. What
is still buffered after the last write is flushed without being counted. So drain ``i`` frees the
``(i+1)``-th ``H = lines * bw`` words: write ``B + (i+1) H`` must wait for drain ``i`` to end, and
write ``od + 1 + (i+1) H`` asks for drain ``i+1``.

The drains are played against the array's time ``t(p) = p + S(p)``, where ``p`` is the compute
line of a write (from the fold arithmetic) and ``S(p)`` the stall so far, at least what the read
buffers need by then (their stall profiles, from :mod:`.prefetch`). Drain ``m`` starts
when the previous one has ended or when the writes ask for it, whichever is later, so drain starts
are a max-plus recurrence with a closed form (see :func:`layer_stalls`): a drain chain that starts
late because the reads stalled the array early in the layer adds to their stall, one that runs
while the reads are slower is hidden by them.
"""

from __future__ import annotations

from numba import njit

_OS = 0


@njit(cache=True)
def _write_line(w, df, R, C, Sr, Sc, T, rf, cf, L):
    """Compute line (stall-free) of the ``w``-th ofmap write, 1-based; linear within a fold's band."""
    w0 = w - 1
    cu_last = Sc - (cf - 1) * C
    if df == _OS:
        per_fc = Sr * C
    else:
        per_fc = rf * T * C
    fc = min(w0 // per_fc, cf - 1)
    rem = w0 - fc * per_fc
    cu = C if fc < cf - 1 else cu_last
    if df == _OS:
        fr = min(rem // (R * cu), rf - 1)
        off = rem - fr * R * cu
        ru = R if fr < rf - 1 else Sr - (rf - 1) * R
        start = T - 1 + R - ru
        span = ru + cu - 1
        X = ru * cu
    else:
        fr = min(rem // (T * cu), rf - 1)
        off = rem - fr * T * cu
        start = 2 * R - 1
        span = T + cu - 1
        X = T * cu
    return (fc * rf + fr) * L + start + (span * off) // X


@njit(cache=True)
def _read_stall(p, span, prof_if, prof_f, i_if, i_f):
    """Stall the read buffers need by compute line ``p`` (profiles interpolated, larger of the two)."""
    G = prof_if.shape[1] - 1
    x = p * G / span
    g = int(x)
    if g >= G:
        return max(prof_if[i_if, G], prof_f[i_f, G])
    fr = x - g
    a = prof_if[i_if, g] + (prof_if[i_if, g + 1] - prof_if[i_if, g]) * fr
    b = prof_f[i_f, g] + (prof_f[i_f, g + 1] - prof_f[i_f, g]) * fr
    return int(max(a, b))


#: drains of one layer evaluated one by one; beyond this many, an evenly spaced sample of them
DRAIN_SAMPLES = 16


@njit(cache=True)
def layer_stalls(df, R, C, M, N, K, B, bw, prof_if, i_if, prof_f, i_f, out, need):
    """Stall cycles ``out[n, j]`` of design ``n`` (1-d ``df``, ``R``, ``C``, ofmap words ``B``, ``bw``)
    on layer ``j`` (1-d ``M``, ``N``, ``K``): the ofmap drain chain against the read profiles
    ``prof_if[i_if[n, j]]`` and ``prof_f[i_f[n, j]]``; only where ``need[n, j]``.

    Drain ``m`` starts at ``tau_m = max(tau_{m-1} + lines - 1, t(w_m))`` with ``w_m = od + 1 + m H``
    the write that asks for it, so ``tau_j = max_{m<=j} t(w_m) + (j - m)(lines - 1)``, and write
    ``B + (j+1) H`` waits until ``tau_j + lines - 1``: the stall is
    ``max_j [(j+1)(lines-1) - p(B + (j+1) H) + max_{m<=j} (t(w_m) - m (lines-1))]``, evaluated at every
    drain, or at :data:`DRAIN_SAMPLES` evenly spaced ones (the terms are smooth over many drains)."""
    for n in range(df.size):
        for j in range(M.size):
            if need[n, j]:
                out[n, j] = _stall(df[n], R[n], C[n], B[n], bw[n], M[j], N[j], K[j], prof_if, i_if[n, j], prof_f, i_f[n, j])


@njit(cache=True)
def _stall(d, r, c, B, bw, M, N, K, prof_if, a, prof_f, b):
    """Stall cycles of one design (dataflow ``d``, ``r x c`` PEs, ``B`` ofmap words, ``bw``) on one layer."""
    if d == _OS:
        Sr, Sc, T = M, N, K
    elif d == 1:
        Sr, Sc, T = K, N, M
    else:
        Sr, Sc, T = K, M, N
    rf = -(-Sr // r)
    cf = -(-Sc // c)
    Nw = M * N if d == _OS else rf * M * N  # ws/is write every fold's partial sums
    L = T + r + c - 2 if d == _OS else 2 * r + c + T - 2
    span = rf * cf * L
    S = _read_stall(span, span, prof_if, prof_f, a, b)
    od = B - (-(-B // 2))
    if Nw > od and od > 0:
        lines = -(-od // bw)
        H = lines * bw
        drains = (Nw - od - 1) // H + 1  # drains the writes ask for: 0 .. drains-1
        waits = (Nw - B) // H  # writes B + (j+1) H, j < waits, exist
        n_j = min(drains, waits)
        stride = 1 if n_j <= DRAIN_SAMPLES else -(-n_j // DRAIN_SAMPLES)
        best = -(1 << 62)  # max_{m<=j} t(w_m) - m (lines - 1)
        j = 0
        while j < n_j:
            pt = _write_line(od + 1 + j * H, d, r, c, Sr, Sc, T, rf, cf, L)
            at = pt + _read_stall(pt, span, prof_if, prof_f, a, b) - j * (lines - 1)
            if at > best:
                best = at
            ps = _write_line(B + (j + 1) * H, d, r, c, Sr, Sc, T, rf, cf, L)
            wait = best + (j + 1) * (lines - 1) - ps
            if wait > S:
                S = wait
            if j < n_j - 1 and j + stride >= n_j:
                j = n_j - 1  # always take the last drain that makes a write wait
            else:
                j += stride
    return S
