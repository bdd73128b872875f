"""The mapper: search for a good mapping of one layer on one architecture, seeded and within a budget.

A candidate is a spatial unrolling (which dimensions spread over each fan-out, padding a dimension
to the array when that uses it better) plus one loop order of the remaining temporal factors (their
prime factors, inner to outer). The order is cut into levels greedily from the inside out, as
ZigZag's LOMA allocator does: each loop goes to the innermost level at which every tile still fits,
so every candidate is a valid mapping; a small random chance of closing a level early varies the cuts.

* ``random-pruned`` (Timeloop's default search): draw ``budget`` candidates, keep the best.
* ``hybrid`` (default): half the budget on random candidates, the rest on local search from the best
  ones (swap or move loops in the order, redraw the unrolling), accepting improvements.

Candidates are evaluated in one numba loop (greedy cut, reuse analysis, cost; :mod:`.candidates`), about a
microsecond each: tables that depend on the unrolling alone are built once per search, a cut already costed
is looked up rather than analysed again, and a local move that leaves the candidate as it was is skipped.
The unrollings depend on the layer and the array's shape alone and are kept per (shape, seed), and so are the
random phase's draws (unrolling, loop order, bump draws of each random candidate) with numba's generator state
after them: a design of a shape already seen starts its search from those. None of this
changes a result: the search is bit-identical to the previous kernels, kept in
``tests/dataflow/reference_mapper.py`` and compared there.
The objective is ``edp`` (default), ``energy`` or ``delay`` (cycles, energy breaking ties).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from numba import _helperlib, njit

from ..kernel_cache import key_module_kernels
from .access_counts import footprint
from .architecture import Architecture
from .candidates import cost_cut, cut_levels, level_relevance, reduced_axes, unrolling_tables
from .cost import Evaluation
from .mapping import LevelLoops, Mapping, MappingError
from .workload import DIMS, Layer

OBJECTIVES = ("edp", "energy", "delay")
SEARCHES = ("hybrid", "random-pruned")


class NoMappingError(MappingError):
    """No candidate fits the architecture (the message says which level is too small)."""


def prime_factors(n: int) -> list[int]:
    """Prime factors of ``n`` with multiplicity, ascending."""
    out, p = [], 2
    while n > 1:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1 if p == 2 else 2
        if p * p > n > 1:
            out.append(n)
            break
    return out


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


@njit(cache=True)
def _permute_into(out):
    """``out[:] = np.random.permutation(len(out))`` without allocating (the same draws: numba's shuffle of
    an arange)."""
    for k in range(out.shape[0]):
        out[k] = k
    i = out.shape[0] - 1
    while i > 0:
        j = np.random.randint(i + 1)
        tmp = out[i]
        out[i] = out[j]
        out[j] = tmp
        i -= 1


@njit(cache=True)
def _initial_order(loop_dim, n_loops, order, keys, pa, pb):
    """A random loop order: dimension blocks by one random priority (40 %), two priorities for an inner and
    an outer part (40 %), or fully random (20 %). ``keys``, ``pa``, ``pb`` are scratch."""
    r = np.random.random()
    _permute_into(pa)
    _permute_into(pb)
    for k in range(n_loops):
        d = loop_dim[k]
        if r < 0.4:
            keys[k] = pa[d] + 0.5 * np.random.random()
        elif r < 0.8:
            if np.random.random() < 0.5:
                keys[k] = pa[d] + 0.5 * np.random.random()
            else:
                keys[k] = 10.0 + pb[d] + 0.5 * np.random.random()
        else:
            keys[k] = np.random.random()
    # the keys are continuous draws (distinct): sort the indices by them (stable insertion sort)
    for k in range(n_loops):
        v = keys[k]
        i = k
        while i > 0 and v < keys[order[i - 1]]:
            order[i] = order[i - 1]
            i -= 1
        order[i] = k


@njit(cache=True)
def _random_draws(u_dim, u_n, seed, d_u, d_order, d_bump, d_pb):
    """The draws of the search's first ``len(d_u)`` (random) candidates from ``seed``: unrolling, loop order
    (the whole scratch row, as the search leaves it), bump draws and p_bump of each. They depend on the
    unrollings and the seed alone, not on the architecture's sizes, so designs of one array shape share them;
    numba's generator is left where the search would be after them."""
    np.random.seed(seed)
    U, J = u_dim.shape
    keys = np.empty(J)
    pa = np.empty(8, dtype=np.int64)
    pb8 = np.empty(8, dtype=np.int64)
    order = np.zeros(J, dtype=np.int64)
    for it in range(d_u.shape[0]):
        u = it % U if it < U else np.random.randint(U)
        _initial_order(u_dim[u], u_n[u], order, keys, pa, pb8)
        for k in range(J):
            d_bump[it, k] = np.random.random()
        d_pb[it] = 0.0 if np.random.random() < 0.5 else 0.12
        d_u[it] = u
        for k in range(J):
            d_order[it, k] = order[k]


@njit(cache=True)
def _search(dims, stride, dilation, input_real, bits, macs, keeps, latch, chain, capacity_bits, word_bits,
            width_bits, granule, read_bw, write_bw, e_read, e_write, e_mac, u_sp, u_dim, u_size, u_n,
            n_random, budget, d_u, d_order, d_bump, d_pb, objective, pool_size, best_order, best_bump, best_levels, best_counts, best_info,
            best_energy, best_cycles):
    """Random candidates, then local search from the best ones; returns (objective, energy, cycles,
    unrolling index, p_bump) of the best, its loop order / bump draws / levels in the ``best_*`` arrays, and
    its counts, info, energy per level and tensor and cycles per level (see :func:`.cost.evaluate`).

    The first ``len(d_u)`` candidates are those :func:`_random_draws` drew; numba's generator must stand
    where those draws left it (the later draws continue from there).

    A local move that leaves the candidate as it was (a swap of two equal loops, a move within a run of
    equal loops, new bump draws while no level is closed early) is not evaluated again: it would give
    its source's objective, which the pool already holds."""
    U, J = u_dim.shape
    L = keeps.shape[0]
    n_drawn = d_u.shape[0]
    D = u_sp.shape[3]
    bits_tile = np.empty(3)
    bits_tile[0] = bits[0]
    bits_tile[1] = bits[1]
    bits_tile[2] = max(bits[2], bits[3])
    red = reduced_axes(stride, dilation)
    lv_rel = level_relevance(keeps, capacity_bits)
    ext0 = np.empty((U, L, D))
    needp0 = np.empty((U, L, 3))
    spf = np.empty((U, L, D), dtype=np.int64)
    spmask = np.empty((U, 4), dtype=np.int64)
    s_above = np.empty((U, L + 1))
    sir_above = np.empty((U, L + 1))
    scale = np.empty((U, 3))
    fits = np.empty(U, dtype=np.bool_)
    unrolling_tables(u_sp, u_dim, u_size, u_n, dims, red, input_real, keeps, bits_tile, capacity_bits, ext0, needp0,
                     spf, spmask, s_above, sir_above, scale, fits)
    counts = np.zeros((L, 3, 5))
    amounts = np.zeros((L, 3, 5))
    info = np.zeros(3 + 2 * L)
    energy = np.zeros((L, 3))
    cycles = np.zeros(L)
    lv_buf = np.zeros(J, dtype=np.int64)
    ext = np.empty((L, D))
    needp = np.empty((L, 3))
    needsum = np.empty(L)
    refill = np.empty((3, L + 1))
    ubuf = np.empty(8)
    # scratch of gapped input unions: offsets up to the padded P, Q, R, S, rows up to stride x P + dilation x R
    pad = np.ones(D, dtype=np.int64)
    for u in range(U):
        for d in range(D):
            f = 1
            for lv in range(L):
                f *= u_sp[u, lv, 0, d] * u_sp[u, lv, 1, d]
            for k in range(u_n[u]):
                if u_dim[u, k] == d:
                    f *= u_size[u, k]
            pad[d] = max(pad[d], f)
    po = np.empty(max(pad[4], pad[5]), dtype=np.int64)
    ro = np.empty(max(pad[6], pad[7]), dtype=np.int64)
    mark = np.empty(max(stride[0] * pad[4] + dilation[0] * pad[6], stride[1] * pad[5] + dilation[1] * pad[7]) + 1,
                    dtype=np.bool_)
    keys = np.empty(J)
    pa = np.empty(8, dtype=np.int64)
    pb8 = np.empty(8, dtype=np.int64)
    od = np.empty(J, dtype=np.int64)
    osz = np.empty(J, dtype=np.int64)
    # cuts already costed: open addressing on a hash of (unrolling, the cut's (level, dimension, factor)
    # runs, adjacent loops of one dimension at one level multiplied: they give the same counts)
    H = 16
    while H < 2 * budget + 2:
        H *= 2
    slot_entry = np.full(H, -1, dtype=np.int64)
    m_hash = np.empty(budget + 1, dtype=np.int64)
    m_u = np.empty(budget + 1, dtype=np.int64)
    m_at = np.empty(budget + 1, dtype=np.int64)
    m_len = np.empty(budget + 1, dtype=np.int64)
    m_val = np.empty((budget + 1, 3))
    key_pool = np.empty(((budget + 1) * J + 1) * 3, dtype=np.int64)
    n_memo = 0
    top = 0
    P = pool_size
    pool_obj = np.full(P, np.inf)
    pool_e = np.full(P, np.inf)
    pool_c = np.full(P, np.inf)
    pool_u = np.zeros(P, dtype=np.int64)
    pool_order = np.zeros((P, J), dtype=np.int64)
    pool_bump = np.ones((P, J))
    pool_pb = np.zeros(P)
    order = np.zeros(J, dtype=np.int64)
    bump = np.ones(J)
    for it in range(budget):
        same = False
        if it < n_drawn:
            u = d_u[it]
            n = u_n[u]
            for k in range(J):
                order[k] = d_order[it, k]
                bump[k] = d_bump[it, k]
            pb = d_pb[it]
        elif it < n_random or pool_obj[0] == np.inf:
            u = it % U if it < U else np.random.randint(U)
            n = u_n[u]
            _initial_order(u_dim[u], n, order, keys, pa, pb8)
            for k in range(J):
                bump[k] = np.random.random()
            pb = 0.0 if np.random.random() < 0.5 else 0.12
        else:
            src = np.random.randint(P)
            while pool_obj[src] == np.inf:
                src = np.random.randint(P)
            u = pool_u[src]
            n = u_n[u]
            order[:] = pool_order[src]
            bump[:] = pool_bump[src]
            pb = pool_pb[src]
            r = np.random.random()
            if r < 0.08:
                u = np.random.randint(U)
                n = u_n[u]
                _initial_order(u_dim[u], n, order, keys, pa, pb8)
            elif n > 1 and r < 0.45:
                a = np.random.randint(n)
                b = np.random.randint(n)
                tmp = order[a]
                order[a] = order[b]
                order[b] = tmp
                same = u_dim[u, order[a]] == u_dim[u, order[b]] and u_size[u, order[a]] == u_size[u, order[b]]
            elif n > 1 and r < 0.8:
                a = np.random.randint(n)
                b = np.random.randint(n)
                tmp = order[a]
                same = True
                if a < b:
                    for k in range(a, b):
                        order[k] = order[k + 1]
                else:
                    for k in range(a, b, -1):
                        order[k] = order[k - 1]
                order[b] = tmp
                for k in range(min(a, b), max(a, b) + 1):
                    if u_dim[u, order[k]] != u_dim[u, tmp] or u_size[u, order[k]] != u_size[u, tmp]:
                        same = False
                        break
            elif r < 0.9:
                for k in range(J):
                    bump[k] = np.random.random()
                same = pb == 0.0
            else:
                pb = 0.12 if pb == 0.0 else 0.0
        if same:  # the source again: its objective is in the pool, so it would not be inserted
            continue
        for k in range(n):
            od[k] = u_dim[u, order[k]]
            osz[k] = u_size[u, order[k]]
        if not fits[u]:
            obj, e, cyc = np.inf, np.inf, np.inf
        else:
            ext[:] = ext0[u]
            needp[:] = needp0[u]
            for lv in range(L):
                tot = 0.0
                for t in range(3):
                    if keeps[lv, t]:
                        tot += needp[lv, t]
                needsum[lv] = tot
            cut_levels(od, osz, n, bump, pb, ext, needp, needsum, keeps, lv_rel, capacity_bits, bits_tile, red,
                       input_real, lv_buf)
            kl = 0
            for j in range(n):
                f = osz[j]
                if kl > 0 and f > 1 and key_pool[top + 3 * kl - 1] > 1 and key_pool[top + 3 * kl - 3] == lv_buf[j] \
                        and key_pool[top + 3 * kl - 2] == od[j]:
                    key_pool[top + 3 * kl - 1] *= f
                else:
                    key_pool[top + 3 * kl] = lv_buf[j]
                    key_pool[top + 3 * kl + 1] = od[j]
                    key_pool[top + 3 * kl + 2] = f
                    kl += 1
            h = u * 1000003 + kl
            for i in range(3 * kl):
                h = (h ^ key_pool[top + i]) * 1099511628211
            slot = h & (H - 1)
            found = -1
            while slot_entry[slot] >= 0:
                m = slot_entry[slot]
                if m_hash[m] == h and m_u[m] == u and m_len[m] == kl:
                    found = m
                    at = m_at[m]
                    for i in range(3 * kl):
                        if key_pool[at + i] != key_pool[top + i]:
                            found = -1
                            break
                    if found >= 0:
                        break
                slot = (slot + 1) & (H - 1)
            if found >= 0:
                obj, e, cyc = m_val[found, 0], m_val[found, 1], m_val[found, 2]
            else:
                obj, e, cyc = cost_cut(stride, dilation, red, input_real, bits, macs, keeps, latch, chain,
                                       capacity_bits, word_bits, width_bits, granule, read_bw, write_bw, e_read,
                                       e_write, e_mac, u_sp[u], spf[u], spmask[u], s_above[u], sir_above[u], scale[u],
                                       od[:n], osz[:n], lv_buf[:n], objective, ext, refill, ubuf, po, ro, mark,
                                       counts, amounts, info, energy, cycles)
                slot_entry[slot] = n_memo
                m_hash[n_memo] = h
                m_u[n_memo] = u
                m_at[n_memo] = top
                m_len[n_memo] = kl
                m_val[n_memo, 0] = obj
                m_val[n_memo, 1] = e
                m_val[n_memo, 2] = cyc
                n_memo += 1
                top += 3 * kl
        # insert into the pool (sorted, best first) unless an equal candidate is already there
        if obj < pool_obj[P - 1]:
            dup = False
            for k in range(P):
                if pool_obj[k] == obj and pool_u[k] == u:
                    dup = True
            if not dup:
                pos = P - 1
                while pos > 0 and pool_obj[pos - 1] > obj:
                    pool_obj[pos] = pool_obj[pos - 1]
                    pool_e[pos] = pool_e[pos - 1]
                    pool_c[pos] = pool_c[pos - 1]
                    pool_u[pos] = pool_u[pos - 1]
                    pool_order[pos] = pool_order[pos - 1]
                    pool_bump[pos] = pool_bump[pos - 1]
                    pool_pb[pos] = pool_pb[pos - 1]
                    pos -= 1
                pool_obj[pos] = obj
                pool_e[pos] = e
                pool_c[pos] = cyc
                pool_u[pos] = u
                pool_order[pos] = order
                pool_bump[pos] = bump
                pool_pb[pos] = pb
    u = pool_u[0]
    best_order[:] = pool_order[0]
    best_bump[:] = pool_bump[0]
    if pool_obj[0] < np.inf:
        n = u_n[u]
        for k in range(n):
            od[k] = u_dim[u, best_order[k]]
            osz[k] = u_size[u, best_order[k]]
        ext[:] = ext0[u]
        needp[:] = needp0[u]
        for lv in range(L):
            tot = 0.0
            for t in range(3):
                if keeps[lv, t]:
                    tot += needp[lv, t]
            needsum[lv] = tot
        cut_levels(od, osz, n, best_bump, pool_pb[0], ext, needp, needsum, keeps, lv_rel, capacity_bits, bits_tile,
                   red, input_real, lv_buf)
        cost_cut(stride, dilation, red, input_real, bits, macs, keeps, latch, chain, capacity_bits, word_bits,
                 width_bits, granule, read_bw, write_bw, e_read, e_write, e_mac, u_sp[u], spf[u], spmask[u],
                 s_above[u], sir_above[u], scale[u], od[:n], osz[:n], lv_buf[:n], objective, ext, refill, ubuf, po, ro,
                 mark, best_counts, amounts, best_info, best_energy, best_cycles)
    best_levels[:] = lv_buf
    return pool_obj[0], pool_e[0], pool_c[0], u, pool_pb[0]


@njit(cache=True)
def _divisors_upto(r, lim, out):
    """The divisors of ``r`` that are at most ``lim`` (>= 1), ascending, into ``out``; returns how many."""
    k = 0
    if lim * lim <= r:
        for x in range(1, lim + 1):
            if r % x == 0:
                out[k] = x
                k += 1
        return k
    hi = out.shape[0]
    x = 1
    while x * x <= r:
        if r % x == 0:
            if x <= lim:
                out[k] = x
                k += 1
            y = r // x
            if y != x and y <= lim:
                hi -= 1
                out[hi] = y
        x += 1
    for i in range(hi, out.shape[0]):  # the large divisors, stored from the end downwards: ascending
        out[k] = out[i]
        k += 1
    return k


@njit(cache=True)
def _unrolling_loops(rem, u_dim, u_size, u_n):
    """The temporal loops of each unrolling: the prime factors of what is left of each dimension,
    dimensions in order, primes ascending (as :func:`prime_factors`). Returns the most loops of one."""
    J = 0
    for i in range(rem.shape[0]):
        k = 0
        for d in range(rem.shape[1]):
            v = rem[i, d]
            p = 2
            while v > 1:
                while v % p == 0:
                    u_dim[i, k] = d
                    u_size[i, k] = p
                    k += 1
                    v //= p
                p += 1 if p == 2 else 2
                if p * p > v > 1:
                    u_dim[i, k] = d
                    u_size[i, k] = v
                    k += 1
                    break
        u_n[i] = k
        J = max(J, k)
    return J


@njit(cache=True)
def _draw_unrollings(real, fanout, slots, p_pad, seed, out_sp, out_pad, out_rem):
    """Distinct spatial unrollings: each fan-out axis takes up to two dimensions, a divisor of what is left
    of each (the largest, or a random one), or pads a dimension to fill the axis when that uses it much
    better. The first two fill the array greedily. ``slots``: (level, axis) of every fan-out axis > 1.
    Returns how many were drawn."""
    np.random.seed(seed)
    n = out_sp.shape[0]
    L = fanout.shape[0]
    D = real.shape[0]
    count = 0
    tries = 0
    cands = np.empty(D, dtype=np.int64)
    keys = np.zeros(n, dtype=np.int64)
    divs = np.empty(2048, dtype=np.int64)
    sp = np.empty((L, 2, D), dtype=np.int64)
    padded = np.empty(D, dtype=np.int64)
    rem = np.empty(D, dtype=np.int64)
    perm = np.empty(slots.shape[0], dtype=np.int64)
    while count < n and tries < 4 * n:
        tries += 1
        sp[:] = 1
        padded[:] = real
        rem[:] = real
        greedy = tries <= 2
        _permute_into(perm)
        for si in perm:
            lv = slots[si, 0]
            a = slots[si, 1]
            cap = fanout[lv, a]
            for _ in range(2):
                if cap < 2:
                    break
                nc = 0
                for d in range(D):
                    if rem[d] > 1:
                        cands[nc] = d
                        nc += 1
                if nc == 0:
                    break
                if greedy:
                    d = cands[0]
                    for k in range(nc):
                        if min(rem[cands[k]], cap) > min(rem[d], cap):
                            d = cands[k]
                else:
                    d = cands[np.random.randint(nc)]
                r = rem[d]
                ndiv = _divisors_upto(r, min(r, cap), divs)
                f = divs[ndiv - 1]
                if not greedy and np.random.random() < 0.3:
                    f = divs[np.random.randint(ndiv)]
                if r > cap and f < cap and r == real[d] and (greedy or np.random.random() < p_pad):
                    t = (r + cap - 1) // cap
                    if t * cap - r < min(cap, t) and cap > 1.25 * f:
                        padded[d] = t * cap
                        r = t * cap
                        f = cap
                if f < 2:
                    continue
                sp[lv, a, d] *= f
                rem[d] = r // f
                cap //= f
        key = 0
        for lv in range(L):
            for a in range(2):
                for d in range(D):
                    key = key * 31 + sp[lv, a, d]
        dup = False
        for k in range(count):
            if keys[k] != key:
                continue
            same = True
            for lv in range(L):
                for a in range(2):
                    for d in range(D):
                        if out_sp[k, lv, a, d] != sp[lv, a, d]:
                            same = False
            if same:
                dup = True
                break
        if dup:
            continue
        keys[count] = key
        out_sp[count] = sp
        out_pad[count] = padded
        out_rem[count] = rem
        count += 1
    return count


#: (layer dims, fan-outs, p_pad, n_unrollings, seed) -> (unrolling arrays, search seed): the unrollings depend
#: on the array's shape alone, so architectures that share it (most of a design space's) share them
_UNROLLINGS: dict = {}
_UNROLLINGS_MAX = 4096
#: (unrollings key, random candidates) -> the random phase's draws (:func:`_random_draws`) and numba's generator
#: state after them: they depend on the unrollings and the seed alone, so designs of one array shape share them
#: (about 60 KB each at 400 candidates)
_DRAWS: dict = {}
_DRAWS_MAX = 512


class Mapper:
    """Mapping search for one architecture; ``best(layer)`` returns the best :class:`Evaluation` found."""

    def __init__(self, arch: Architecture, budget: int = 1200, search: str = "hybrid", objective: str = "edp",
                 seed: int = 0, n_unrollings: int = 24, p_pad: float = 0.3):
        if search not in SEARCHES:
            raise ValueError(f"search {search!r} is not known; allowed: {list(SEARCHES)}")
        if objective not in OBJECTIVES:
            raise ValueError(f"objective {objective!r} is not known; allowed: {list(OBJECTIVES)}")
        if not isinstance(budget, (int, np.integer)) or budget < 8:
            raise ValueError(f"budget must be an integer >= 8 (candidate evaluations), got {budget!r}")
        self.arch = arch
        self.budget = int(budget)
        self.search = search
        self.objective = objective
        self.seed = seed
        self.n_unrollings = n_unrollings
        self.p_pad = p_pad

    # -- candidate generation ------------------------------------------------------------------------
    def _unrollings(self, layer: Layer) -> tuple:
        """The ``n_unrollings`` spatial unrollings (of many drawn) that use the array best, as arrays
        (spatial [U, L, 2, D], loop dimension and size [U, J], loop count [U]), and the search's seed."""
        la = layer.arrays()
        fan = self.arch.fanouts
        key = self._unrollings_key(layer)
        hit = _UNROLLINGS.get(key)
        if hit is not None:
            return hit
        rng = np.random.default_rng(self.seed)
        L, D = self.arch.n_levels, len(DIMS)
        real = la.dims
        n = 8 * self.n_unrollings
        sp = np.ones((n, L, 2, D), dtype=np.int64)
        padded = np.zeros((n, D), dtype=np.int64)
        rem = np.zeros((n, D), dtype=np.int64)
        slots = np.ascontiguousarray(np.argwhere(fan > 1), dtype=np.int64)  # (level, axis) pairs, level-major
        count = _draw_unrollings(real, fan, slots, self.p_pad, int(rng.integers(2**31 - 1)), sp, padded, rem)
        used = sp[:count].reshape(count, -1).prod(axis=1) * (real / np.maximum(padded[:count], 1)).prod(axis=1)
        keep = np.lexsort((rng.random(count), -used))[: self.n_unrollings]
        U = len(keep)
        width = max(1, int(sum(int(v).bit_length() for v in rem[keep].max(axis=0)))) if U else 1
        u_dim = np.zeros((U, width), dtype=np.int64)
        u_size = np.ones((U, width), dtype=np.int64)
        u_n = np.zeros(U, dtype=np.int64)
        J = max(1, _unrolling_loops(np.ascontiguousarray(rem[keep]), u_dim, u_size, u_n)) if U else 1
        out = (np.ascontiguousarray(sp[keep]), np.ascontiguousarray(u_dim[:, :J]),
               np.ascontiguousarray(u_size[:, :J]), u_n, int(rng.integers(2**31 - 1)))
        if len(_UNROLLINGS) >= _UNROLLINGS_MAX:
            _UNROLLINGS.clear()
        _UNROLLINGS[key] = out
        return out

    def _unrollings_key(self, layer: Layer) -> tuple:
        return (layer.arrays().dims.tobytes(), self.arch.fanouts.tobytes(), float(self.p_pad), int(self.n_unrollings),
                self.seed)

    def _random_draws(self, layer: Layer, n_random: int) -> tuple:
        """The draws of the first ``n_random`` candidates and numba's generator state after them (shared by
        the designs of one array shape)."""
        key = (self._unrollings_key(layer), n_random)
        hit = _DRAWS.get(key)
        if hit is not None:
            return hit
        u_sp, u_dim, u_size, u_n, search_seed = self._unrollings(layer)
        J = u_dim.shape[1]
        d_u = np.empty(n_random, dtype=np.int64)
        d_order = np.empty((n_random, J), dtype=np.int16 if J < 2**15 else np.int64)
        d_bump = np.empty((n_random, J))
        d_pb = np.empty(n_random)
        _random_draws(u_dim, u_n, search_seed, d_u, d_order, d_bump, d_pb)
        out = (d_u, d_order, d_bump, d_pb, _helperlib.rnd_get_state(_helperlib.rnd_get_np_state_ptr()))
        if len(_DRAWS) >= _DRAWS_MAX:
            _DRAWS.clear()
        _DRAWS[key] = out
        return out

    def _run(self, layer: Layer) -> tuple:
        """Run the search kernel: (mapping, stats, counts, info, energy per level and tensor, cycles per level)."""
        u_sp, u_dim, u_size, u_n, _ = self._unrollings(layer)
        U, J = u_dim.shape
        if U == 0:
            raise NoMappingError(f"layer {layer.name!r}: no spatial unrolling found")
        n_random = self.budget if self.search == "random-pruned" else max(U, self.budget // 3)
        d_u, d_order, d_bump, d_pb, state = self._random_draws(layer, min(n_random, self.budget))
        la, aa = layer.arrays(), self.arch.arrays()
        L = aa.keeps.shape[0]
        best_order = np.zeros(J, dtype=np.int64)
        best_bump = np.ones(J)
        best_levels = np.zeros(J, dtype=np.int64)
        counts, info = np.zeros((L, 3, 5)), np.zeros(3 + 2 * L)
        energy, cycles = np.zeros((L, 3)), np.zeros(L)
        _helperlib.rnd_set_state(_helperlib.rnd_get_np_state_ptr(), state)  # where the draws left it
        obj, e, cyc, u, pb = _search(la.dims, la.stride, la.dilation, la.input_real, la.bits, la.macs, aa.keeps,
                                     aa.latch, aa.chain, aa.capacity_bits, aa.word_bits, aa.width_bits,
                                     aa.granule_bits, aa.read_bw, aa.write_bw, aa.read_energy, aa.write_energy,
                                     aa.mac_energy, u_sp, u_dim, u_size, u_n, n_random, self.budget, d_u, d_order,
                                     d_bump, d_pb, OBJECTIVES.index(self.objective), 8, best_order, best_bump, best_levels,
                                     counts, info, energy, cycles)
        if not np.isfinite(obj):
            raise NoMappingError(self._why_nothing_fits(layer))
        n = int(u_n[u])
        ld = u_dim[u][best_order[:n]]
        ls = u_size[u][best_order[:n]]
        mapping = self._to_mapping(u_sp[u], ld, ls, best_levels[:n])
        stats = {"evaluated": self.budget, "unrollings": U, "objective": float(obj), "energy_pj": float(e),
                 "cycles": float(cyc)}
        return mapping, stats, counts, info, energy, cycles

    def search_layer(self, layer: Layer) -> tuple[Mapping, dict]:
        """The best mapping found and search statistics."""
        return self._run(layer)[:2]

    def best(self, layer: Layer) -> Evaluation:
        """The best mapping's :class:`Evaluation` (the search kernel's own analysis of it: the same numbers
        as :func:`.cost.evaluate` of the mapping)."""
        mapping, stats, counts, info, energy, cycles = self._run(layer)
        return Evaluation(layer, self.arch, mapping, counts, energy, cycles, info, stats["energy_pj"], stats["cycles"])

    def _to_mapping(self, spatial, ld, ls, lv) -> Mapping:
        L = self.arch.n_levels
        temporal = [[] for _ in range(L)]
        for d, f, level in zip(ld.tolist(), ls.tolist(), lv.tolist()):
            if f > 1:
                temporal[level].append((DIMS[d], f))
        sp = spatial.tolist()
        levels = []
        for i in range(L):
            merged = []
            for d, f in temporal[i]:  # adjacent loops of one dimension become one loop
                if merged and merged[-1][0] == d:
                    merged[-1] = (d, merged[-1][1] * f)
                else:
                    merged.append((d, f))
            sx = tuple((DIMS[d], f) for d, f in enumerate(sp[i][0]) if f > 1)
            sy = tuple((DIMS[d], f) for d, f in enumerate(sp[i][1]) if f > 1)
            levels.append(LevelLoops(tuple(merged), sx, sy))
        return Mapping.from_normal_levels(tuple(levels))

    def _why_nothing_fits(self, layer: Layer) -> str:
        """Name the level that cannot hold even the smallest tile."""
        ones = np.ones(len(DIMS))
        la = layer.arrays()
        for i, lv in enumerate(self.arch.levels):
            need = sum(float(footprint(t, ones, la.stride, la.dilation, la.input_real)) * la.bits[min(t, 2)]
                       for t in range(3) if self.arch.arrays().keeps[i, t])
            if need > lv.capacity_bits:
                return (f"layer {layer.name!r}: level {lv.name!r} holds {lv.capacity_bits:.0f} bits per instance, "
                        f"less than one element of each tensor it keeps ({need:.0f} bits)")
        return (f"layer {layer.name!r}: no mapping fits {self.arch.name!r} within the search budget "
                f"({self.budget} candidates)")


def best_mapping(arch: Architecture, layer: Layer, **kwargs) -> Evaluation:
    """Shortcut: ``Mapper(arch, **kwargs).best(layer)``."""
    return Mapper(arch, **kwargs).best(layer)


def ideal_cycles(arch: Architecture, layer: Layer) -> float:
    """MACs / number of MACs: the cycles of a perfectly used array."""
    return math.ceil(layer.macs / arch.compute.instances)


# these kernels inline or call kernels of sibling files: key their disk cache on the whole folder
key_module_kernels(globals(), Path(__file__).parent)
