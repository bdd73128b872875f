"""The mapper's search as it was before the candidate kernels were rewritten for speed (archgym 2026-12-07,
``simulators/dataflow/mapper.py`` at commit 6eb6f3c): kept here, unchanged, as the slow reference that the
fast search must reproduce bit for bit (same unrollings, loop order, levels, energy and cycles for the same
seed and budget). ``ReferenceMapper`` is :class:`Mapper` with the old candidate generation and search.

Import it only as pytest does (``tests.dataflow.reference_mapper``): numba's disk cache records the module
name a kernel was compiled under, and entries written by a script that imported it as ``reference_mapper``
make the tests fail with "No module named 'reference_mapper'" (clear ``tests/dataflow/__pycache__``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit

from archgym.simulators.dataflow.access_counts import analyse, footprint, spatial_extents
from archgym.simulators.dataflow.cost import cost, evaluate
from archgym.simulators.dataflow.mapper import OBJECTIVES, Mapper, NoMappingError, prime_factors
from archgym.simulators.dataflow.mapping import Mapping
from archgym.simulators.dataflow.workload import DIMS, Layer
from archgym.simulators.kernel_cache import key_module_kernels


@njit(cache=True)
def _greedy_levels(loop_dim, loop_size, bump, p_bump, ext0, keeps, capacity_bits, bits_tile, stride, dilation,
                   input_real, levels_out):
    """Cut one loop order into levels (innermost level at which all tiles still fit). Returns False if even
    the spatial tiles alone do not fit."""
    L = keeps.shape[0]
    ext = ext0.copy()
    for lv in range(L):
        need = 0.0
        for t in range(3):
            if keeps[lv, t]:
                need += footprint(t, ext[lv], stride, dilation, input_real) * bits_tile[t]
        if need > capacity_bits[lv]:
            return False
    cur = 0
    for j in range(loop_dim.shape[0]):
        d = loop_dim[j]
        f = loop_size[j]
        if f <= 1:
            levels_out[j] = cur
            continue
        if bump[j] < p_bump and cur < L - 1:
            cur += 1
        while True:
            ok = True
            for lv in range(cur, L):
                if capacity_bits[lv] == np.inf:
                    continue
                ext[lv, d] *= f
                need = 0.0
                for t in range(3):
                    if keeps[lv, t]:
                        need += footprint(t, ext[lv], stride, dilation, input_real) * bits_tile[t]
                ext[lv, d] /= f
                if need > capacity_bits[lv]:
                    ok = False
                    break
            if ok or cur == L - 1:
                break
            cur += 1
        levels_out[j] = cur
        for lv in range(cur, L):
            ext[lv, d] *= f
    return True


@njit(cache=True)
def _eval_one(dims, stride, dilation, input_real, bits, macs, keeps, latch, chain, capacity_bits, word_bits,
              width_bits, granule, read_bw, write_bw, e_read, e_write, e_mac, sp, loop_dim, loop_size, n_loops,
              order, bump, p_bump, objective, lv_buf, counts, amounts, info, energy, cycles):
    """Objective of one candidate (inf if it does not fit); ``lv_buf`` receives the level of each loop."""
    bits_tile = np.empty(3)
    bits_tile[0] = bits[0]
    bits_tile[1] = bits[1]
    bits_tile[2] = max(bits[2], bits[3])
    ext0 = spatial_extents(sp)
    od = np.empty(n_loops, dtype=np.int64)
    osz = np.empty(n_loops, dtype=np.int64)
    for k in range(n_loops):
        od[k] = loop_dim[order[k]]
        osz[k] = loop_size[order[k]]
    ok = _greedy_levels(od, osz, bump, p_bump, ext0, keeps, capacity_bits, bits_tile, stride, dilation,
                        input_real, lv_buf)
    if not ok:
        return np.inf, np.inf, np.inf
    analyse(dims, stride, dilation, input_real, keeps, latch, chain, od, osz, lv_buf[:n_loops], sp, counts,
            amounts, info)
    e, cyc, bad, need = cost(counts, amounts, info, bits, keeps, capacity_bits, word_bits, width_bits, granule,
                             read_bw, write_bw, e_read, e_write, macs, e_mac, energy, cycles)
    if bad >= 0:
        return np.inf, e, cyc
    if objective == 0:
        return e * cyc, e, cyc
    if objective == 1:
        return e * (1.0 + 1e-12 * cyc), e, cyc
    return cyc * (1.0 + 1e-15 * e), e, cyc


@njit(cache=True)
def _initial_order(loop_dim, n_loops, order):
    """A random loop order: dimension blocks by one random priority (40 %), two priorities for an inner and
    an outer part (40 %), or fully random (20 %)."""
    keys = np.empty(n_loops)
    r = np.random.random()
    pa = np.random.permutation(8)
    pb = np.random.permutation(8)
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
    idx = np.argsort(keys)
    for k in range(n_loops):
        order[k] = idx[k]


@njit(cache=True)
def _search(dims, stride, dilation, input_real, bits, macs, keeps, latch, chain, capacity_bits, word_bits,
            width_bits, granule, read_bw, write_bw, e_read, e_write, e_mac, u_sp, u_dim, u_size, u_n,
            n_random, budget, seed, objective, pool_size, best_order, best_bump, best_levels):
    """Random candidates, then local search from the best ones; returns (objective, energy, cycles,
    unrolling index, p_bump) of the best, its loop order / bump draws / levels in the ``best_*`` arrays."""
    np.random.seed(seed)
    U, J = u_dim.shape
    L = keeps.shape[0]
    counts = np.zeros((L, 3, 5))
    amounts = np.zeros((L, 3, 5))
    info = np.zeros(3 + 2 * L)
    energy = np.zeros((L, 3))
    cycles = np.zeros(L)
    lv_buf = np.zeros(J, dtype=np.int64)
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
        if it < n_random or pool_obj[0] == np.inf:
            u = it % U if it < U else np.random.randint(U)
            n = u_n[u]
            _initial_order(u_dim[u], n, order)
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
                _initial_order(u_dim[u], n, order)
            elif n > 1 and r < 0.45:
                a = np.random.randint(n)
                b = np.random.randint(n)
                tmp = order[a]
                order[a] = order[b]
                order[b] = tmp
            elif n > 1 and r < 0.8:
                a = np.random.randint(n)
                b = np.random.randint(n)
                tmp = order[a]
                if a < b:
                    for k in range(a, b):
                        order[k] = order[k + 1]
                else:
                    for k in range(a, b, -1):
                        order[k] = order[k - 1]
                order[b] = tmp
            elif r < 0.9:
                for k in range(J):
                    bump[k] = np.random.random()
            else:
                pb = 0.12 if pb == 0.0 else 0.0
        obj, e, cyc = _eval_one(dims, stride, dilation, input_real, bits, macs, keeps, latch, chain, capacity_bits,
                                word_bits, width_bits, granule, read_bw, write_bw, e_read, e_write, e_mac, u_sp[u],
                                u_dim[u], u_size[u], n, order, bump, pb, objective, lv_buf, counts, amounts, info,
                                energy, cycles)
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
        _eval_one(dims, stride, dilation, input_real, bits, macs, keeps, latch, chain, capacity_bits, word_bits,
                  width_bits, granule, read_bw, write_bw, e_read, e_write, e_mac, u_sp[u], u_dim[u], u_size[u],
                  u_n[u], best_order, best_bump, pool_pb[0], objective, lv_buf, counts, amounts, info, energy, cycles)
    best_levels[:] = lv_buf
    return pool_obj[0], pool_e[0], pool_c[0], u, pool_pb[0]


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
    while count < n and tries < 4 * n:
        tries += 1
        sp = np.ones((L, 2, D), dtype=np.int64)
        padded = real.copy()
        rem = real.copy()
        greedy = tries <= 2
        perm = np.random.permutation(slots.shape[0])
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
                f = 1
                ndiv = 0
                for x in range(1, min(r, cap) + 1):
                    if r % x == 0:
                        f = x
                        ndiv += 1
                if not greedy and np.random.random() < 0.3:
                    pick = np.random.randint(ndiv)
                    k = 0
                    for x in range(1, min(r, cap) + 1):
                        if r % x == 0:
                            if k == pick:
                                f = x
                            k += 1
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


@dataclass
class _Unrolling:
    spatial: np.ndarray      # [L, 2, D] factors
    padded: np.ndarray       # [D] padded dimension sizes
    loops: list              # (dim index, prime) temporal factors


class ReferenceMapper(Mapper):
    """:class:`Mapper` with the search of commit 6eb6f3c (see the module docstring)."""

    # -- candidate generation ------------------------------------------------------------------------
    def _old_unrollings(self, layer: Layer, rng: np.random.Generator) -> list[_Unrolling]:
        """Draw many spatial unrollings and keep the ``n_unrollings`` that use the array best."""
        L, D = self.arch.n_levels, len(DIMS)
        real = np.array([layer.dims[d] for d in DIMS], dtype=np.int64)
        n = 8 * self.n_unrollings
        sp = np.ones((n, L, 2, D), dtype=np.int64)
        padded = np.zeros((n, D), dtype=np.int64)
        rem = np.zeros((n, D), dtype=np.int64)
        fan = self.arch.fanouts
        slots = np.array([(lv, a) for lv in range(L) for a in range(2) if fan[lv, a] > 1], dtype=np.int64).reshape(-1, 2)
        count = _draw_unrollings(real, fan, slots, self.p_pad, int(rng.integers(2**31 - 1)), sp, padded, rem)
        used = sp[:count].reshape(count, -1).prod(axis=1) * (real / np.maximum(padded[:count], 1)).prod(axis=1)
        keep = np.lexsort((rng.random(count), -used))[: self.n_unrollings]
        return [_Unrolling(sp[i], padded[i], [(d, p) for d in range(D) for p in prime_factors(int(rem[i, d]))])
                for i in keep]

    def search_layer(self, layer: Layer) -> tuple[Mapping, dict]:
        """The best mapping found and search statistics."""
        rng = np.random.default_rng(self.seed)
        unrollings = self._old_unrollings(layer, rng)
        if not unrollings:
            raise NoMappingError(f"layer {layer.name!r}: no spatial unrolling found")
        U = len(unrollings)
        J = max(1, max(len(u.loops) for u in unrollings))
        u_sp = np.stack([u.spatial for u in unrollings])
        u_dim = np.zeros((U, J), dtype=np.int64)
        u_size = np.ones((U, J), dtype=np.int64)
        u_n = np.zeros(U, dtype=np.int64)
        for i, u in enumerate(unrollings):
            u_n[i] = len(u.loops)
            for k, (d, f) in enumerate(u.loops):
                u_dim[i, k], u_size[i, k] = d, f
        n_random = self.budget if self.search == "random-pruned" else max(U, self.budget // 3)
        la, aa = layer.arrays(), self.arch.arrays()
        best_order = np.zeros(J, dtype=np.int64)
        best_bump = np.ones(J)
        best_levels = np.zeros(J, dtype=np.int64)
        obj, e, cyc, u, pb = _search(la.dims, la.stride, la.dilation, la.input_real, la.bits, la.macs, aa.keeps,
                                     aa.latch, aa.chain, aa.capacity_bits, aa.word_bits, aa.width_bits,
                                     aa.granule_bits, aa.read_bw, aa.write_bw, aa.read_energy, aa.write_energy,
                                     aa.mac_energy, u_sp, u_dim, u_size, u_n, n_random, self.budget,
                                     int(rng.integers(2**31 - 1)), OBJECTIVES.index(self.objective), 8,
                                     best_order, best_bump, best_levels)
        if not np.isfinite(obj):
            raise NoMappingError(self._why_nothing_fits(layer))
        n = int(u_n[u])
        ld = u_dim[u][best_order[:n]]
        ls = u_size[u][best_order[:n]]
        mapping = self._to_mapping(unrollings[u].spatial, ld, ls, best_levels[:n])
        return mapping, {"evaluated": self.budget, "unrollings": U, "objective": float(obj),
                         "energy_pj": float(e), "cycles": float(cyc)}

    def best(self, layer: Layer):
        return evaluate(self.arch, layer, self.search_layer(layer)[0])


# the kernels call the model's kernels: key their disk cache on those files and this one
key_module_kernels(globals(), Path(analyse.py_func.__code__.co_filename).parent, Path(__file__))
