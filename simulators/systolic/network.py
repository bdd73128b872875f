"""A whole network on many designs in one numba pass: fold arithmetic, energy and network totals.

:func:`.model.simulate_batch` spent most of its time in numpy's per-call overhead on (designs x
layers) temporaries (some 150 array operations per call, ~0.5 ms for one design on ResNet-18).
:func:`network_totals` loops designs x distinct layers once and writes every network total of
:data:`.model.TOTAL_FIELDS` into preallocated rows, from the DRAM counts and stalls computed before
(CALC or USER mode). Every figure is computed with the same operations, in the same order and types,
as the numpy code of ``model._core`` / ``model._totals`` / :mod:`.energy` (kept for ``per_layer``
and :func:`.model.simulate`), and float sums over layers follow numpy's pairwise summation
(:func:`_np_sum`), so the results are bit-identical to it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .energy import EnergyTable

#: integer totals, rows of ``ints`` (in this order)
INT_FIELDS = ("total_cycles", "stall_cycles", "compute_cycles", "sram_ifmap_reads", "sram_filter_reads",
              "sram_ofmap_writes", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes", "macs")
#: float totals, rows of ``floats`` (in this order)
FLOAT_FIELDS = ("energy_uj", "energy_compute_uj", "energy_sram_uj", "energy_dram_uj", "energy_static_uj",
                "overall_util_pct", "mapping_eff_pct", "compute_util_pct", "area_mm2", "latency_ms", "power_mw",
                "dram_bandwidth_words_per_cycle")

#: numpy's pairwise summation: blocks up to this many elements are summed with 8 accumulators
_PW_BLOCK = 128


@njit(cache=True)
def _pw_block(a, lo, n):
    """numpy's ``pairwise_sum`` of ``a[lo:lo+n]`` for ``n <= 128`` (numpy/_core/src/umath/loops_utils.h.src)."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - n % 8:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True)
def _pairwise(a, lo, n):
    """numpy's ``pairwise_sum`` of ``a[lo:lo+n]``: above 128 elements it sums the halves (the first
    a multiple of 8 long) and adds them. Written without recursion (numba's cache of recursive
    kernels does not load reliably): the split tree is walked with an explicit stack."""
    if n <= _PW_BLOCK:
        return _pw_block(a, lo, n)
    s_lo = np.empty(64, dtype=np.int64)
    s_n = np.empty(64, dtype=np.int64)
    s_state = np.empty(64, dtype=np.int64)
    vals = np.empty(64)
    top, nv = 0, 0
    s_lo[0], s_n[0], s_state[0] = lo, n, 0
    while top >= 0:
        l0, m = s_lo[top], s_n[top]
        if m <= _PW_BLOCK:
            vals[nv] = _pw_block(a, l0, m)
            nv += 1
            top -= 1
            continue
        n2 = m // 2
        n2 -= n2 % 8
        state = s_state[top]
        s_state[top] = state + 1
        if state == 0:  # first half
            top += 1
            s_lo[top], s_n[top], s_state[top] = l0, n2, 0
        elif state == 1:  # second half
            top += 1
            s_lo[top], s_n[top], s_state[top] = l0 + n2, m - n2, 0
        else:  # both done: first + second
            vals[nv - 2] = vals[nv - 2] + vals[nv - 1]
            nv -= 1
            top -= 1
    return vals[0]


@njit(cache=True)
def _np_sum(a):
    """``a.sum()`` of a 1-d float64 array exactly as numpy 2 reduces it (identity 0, then pairwise)."""
    return 0.0 + _pairwise(a, 0, a.size)


@njit(cache=True)
def network_totals(R, C, df, if_kb, f_kb, of_kb, wb, freq, M, N, K, rep, dram_if, dram_f, stall, dram_of, e,
                   ints, floats):
    """Network totals of designs ``n`` (1-d config columns) on layers ``j`` (1-d GEMM sizes, repeat
    counts) with the (designs, layers) DRAM counts and stalls of either mode; ``e`` the energy table
    (:func:`table_array`). Fills ``ints[i, n]`` (:data:`INT_FIELDS`) and ``floats[i, n]``
    (:data:`FLOAT_FIELDS`)."""
    mac_pj, reg_pj, sram_pj8, sram_ref, dram_pj, pe_area, sram_area, pe_leak, sram_leak = (
        e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7], e[8])
    L = M.size
    # per-layer float terms, summed over layers with numpy's pairwise order
    t_tot = np.empty(L)
    t_cmp = np.empty(L)
    t_srm = np.empty(L)
    t_drm = np.empty(L)
    t_sta = np.empty(L)
    t_map = np.empty(L)
    t_cu = np.empty(L)
    for n in range(R.size):
        r, c, d = R[n], C[n], df[n]
        pes = float(r * c)
        fr = float(r)
        fc = float(c)
        ifk, fk, ofk = float(if_kb[n]), float(f_kb[n]), float(of_kb[n])
        w = float(wb[n])
        f = freq[n]
        p_if = sram_pj8 * math.sqrt(ifk / sram_ref)
        p_f = sram_pj8 * math.sqrt(fk / sram_ref)
        p_of = sram_pj8 * math.sqrt(ofk / sram_ref)
        leak_w = (fr * fc * pe_leak + (ifk + fk + ofk) * sram_leak) * 1e-6
        s_tot = s_stall = s_comp = s_sif = s_sf = s_sof = s_dif = s_df = s_dof = s_macs = 0
        s_w = 0
        for j in range(L):
            m, nn, k, rp = M[j], N[j], K[j], rep[j]
            if d == 0:
                Sr, Sc, T = m, nn, k
            elif d == 1:
                Sr, Sc, T = k, nn, m
            else:
                Sr, Sc, T = k, m, nn
            rf = -(-Sr // r)
            cf = -(-Sc // c)
            folds = rf * cf
            if d == 0:
                lines = T + r + c - 2
                span = T + r + c - 2
            else:
                lines = 2 * r + c + T - 2
                span = 2 * r + 2 * c + T - 3
            compute = folds * lines - 1
            mapping = (Sr * Sc) / (folds * pes)
            cutil = (Sr * Sc * T) / (folds * pes * span)
            macs = m * nn * k
            if d == 2:
                sif = m * k
            else:
                sif = cf * m * k
            if d == 0:
                sf = rf * k * nn
                sof = m * nn + folds * (r + c)
            else:
                sf = k * nn if d == 1 else cf * k * nn
                sof = rf * m * nn
            st = stall[n, j]
            di, dfl, do = dram_if[n, j], dram_f[n, j], dram_of[n, j]
            total = compute + st
            # energy.energy_pj, term by term
            cmp_ = float(macs) * mac_pj + float(2 * macs) * reg_pj
            srm = (float(sif) * p_if + float(sf) * p_f + float(sof) * p_of) * w
            drm = float(di + dfl + do) * w * dram_pj
            sec = float(total) / (f * 1e6)
            sta = leak_w * sec * 1e12
            tot = cmp_ + srm + drm + sta
            t_tot[j] = tot * 1e-6 * rp
            t_cmp[j] = cmp_ * 1e-6 * rp
            t_srm[j] = srm * 1e-6 * rp
            t_drm[j] = drm * 1e-6 * rp
            t_sta[j] = sta * 1e-6 * rp
            wf = folds * rp
            t_map[j] = 100.0 * mapping * wf
            t_cu[j] = 100.0 * cutil * wf
            s_w += wf
            s_tot += total * rp
            s_stall += st * rp
            s_comp += compute * rp
            s_sif += sif * rp
            s_sf += sf * rp
            s_sof += sof * rp
            s_dif += di * rp
            s_df += dfl * rp
            s_dof += do * rp
            s_macs += macs * rp
        ints[0, n], ints[1, n], ints[2, n], ints[3, n], ints[4, n] = s_tot, s_stall, s_comp, s_sif, s_sf
        ints[5, n], ints[6, n], ints[7, n], ints[8, n], ints[9, n] = s_sof, s_dif, s_df, s_dof, s_macs
        energy = _np_sum(t_tot)
        floats[0, n] = energy
        floats[1, n] = _np_sum(t_cmp)
        floats[2, n] = _np_sum(t_srm)
        floats[3, n] = _np_sum(t_drm)
        floats[4, n] = _np_sum(t_sta)
        cycles = max(s_tot, 1)
        floats[5, n] = 100.0 * s_macs / (cycles * (fr * c))
        floats[6, n] = _np_sum(t_map) / s_w
        floats[7, n] = _np_sum(t_cu) / s_w
        floats[8, n] = fr * fc * pe_area + ((ifk + fk) + ofk) * sram_area
        seconds = cycles / (f * 1e6)
        floats[9, n] = seconds * 1e3
        floats[10, n] = energy * 1e-6 / seconds * 1e3
        floats[11, n] = (s_dif + s_df + s_dof) / cycles


def table_array(table: EnergyTable) -> np.ndarray:
    """The figures of ``table`` that :func:`network_totals` uses, in its order."""
    return np.array([table.mac_pj, table.pe_reg_pj_per_word, table.sram_pj_per_byte_8kib, table.sram_ref_kib,
                     table.dram_pj_per_byte, table.pe_area_mm2, table.sram_area_mm2_per_kib, table.pe_leak_uw,
                     table.sram_leak_uw_per_kib], dtype=np.float64)
