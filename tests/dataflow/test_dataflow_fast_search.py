"""The fast search gives the previous search's results bit for bit, and its pieces give the general kernels'.

* the greedy cut of ``candidates.cut_levels`` against a plain Python cut written from its definition;
* ``candidates.analyse_cut`` against the general ``access_counts.analyse`` (itself checked against a walk
  of every loop-nest iteration in test_dataflow_brute_force.py) on random cut loop orders;
* ``Mapper.best``'s Evaluation (built from the search kernel's own analysis) against ``cost.evaluate``
  of the same mapping;
* the random phase's draws kept per (array shape, seed) and shared by designs: a search that starts from
  them gives what a search drawing afresh gives, and what the previous kernels give (slow);
* the whole search against the previous kernels, kept verbatim in ``reference_mapper.py``: the same
  mapping, statistics, energy, cycles and counts on random Eyeriss-like designs x layers x seeds x
  budgets x objectives (slow).
"""

from __future__ import annotations

import numpy as np
import pytest

from archgym import datasets
from archgym.envs.dataflow import design_space
from archgym.simulators.dataflow import mapper as mapper_module
from archgym.simulators.dataflow.access_counts import analyse, footprint
from archgym.simulators.dataflow.candidates import (
    analyse_cut,
    cut_levels,
    level_relevance,
    reduced_axes,
    unrolling_tables,
)
from archgym.simulators.dataflow.cost import evaluate
from archgym.simulators.dataflow.eyeriss import eyeriss_like
from archgym.simulators.dataflow.mapper import Mapper, _divisors_upto, _unrolling_loops, prime_factors
from archgym.simulators.dataflow.network import load_layers
from archgym.simulators.dataflow.workload import conv, gemm

from .reference_mapper import ReferenceMapper


def _layers():
    layers = load_layers(datasets.path("dataflow", "alexnet.csv"))
    layers += load_layers(datasets.path("dataflow", "mobilenetv2.csv"))[:4]  # depthwise among them
    layers += [conv("dil", K=16, C=8, H=20, R=3, padding=2, dilation=2), gemm("g", M=96, K=200, N=33)]
    return layers


def _designs(n, seed):
    return [None] + design_space().sample_many(n - 1, np.random.default_rng(seed))


def _python_cut(od, osz, bump, p_bump, ext0, keeps, capacity_bits, bits_tile, la):
    """The greedy cut from its definition: each loop goes to the innermost level (from the current one, one
    higher if its bump draw closes the level) at which every level from there up still holds its tiles."""
    L = keeps.shape[0]
    ext = ext0.copy()

    def fits(lv, e):
        need = sum(float(footprint(t, e, la.stride, la.dilation, la.input_real)) * bits_tile[t]
                   for t in range(3) if keeps[lv, t])
        return capacity_bits[lv] == np.inf or need <= capacity_bits[lv]

    cur, out = 0, []
    for d, f in zip(od, osz):
        if bump[len(out)] < p_bump and cur < L - 1:
            cur += 1
        while cur < L - 1:
            trial = ext.copy()
            trial[cur:, d] *= f
            if all(fits(lv, trial[lv]) for lv in range(cur, L)):
                break
            cur += 1
        out.append(cur)
        ext[cur:, d] *= f
    return np.array(out), ext


def _tables(mapper, layer):
    u_sp, u_dim, u_size, u_n, _ = mapper._unrollings(layer)
    la, aa = layer.arrays(), mapper.arch.arrays()
    U, L, _, D = u_sp.shape
    bits_tile = np.array([la.bits[0], la.bits[1], max(la.bits[2], la.bits[3])])
    red = reduced_axes(la.stride, la.dilation)
    t = {"ext0": np.empty((U, L, D)), "needp0": np.empty((U, L, 3)), "spf": np.empty((U, L, D), dtype=np.int64),
         "spmask": np.empty((U, 4), dtype=np.int64), "s_above": np.empty((U, L + 1)),
         "sir_above": np.empty((U, L + 1)), "scale": np.empty((U, 3)), "fits": np.empty(U, dtype=np.bool_)}
    unrolling_tables(u_sp, u_dim, u_size, u_n, la.dims, red, la.input_real, aa.keeps, bits_tile, aa.capacity_bits,
                     *t.values())
    return u_sp, u_dim, u_size, u_n, bits_tile, red, t


def test_cut_and_analysis_equal_the_general_kernels_on_random_loop_orders():
    rng = np.random.default_rng(7)
    checked = 0
    for d in _designs(4, 1):
        arch = eyeriss_like(d)
        aa = arch.arrays()
        L = aa.keeps.shape[0]
        lv_rel = level_relevance(aa.keeps, aa.capacity_bits)
        for layer in _layers():
            la = layer.arrays()
            u_sp, u_dim, u_size, u_n, bits_tile, red, t = _tables(Mapper(arch), layer)
            # padded size of each dimension, the most over the unrollings: the scratch of gapped unions
            pad = max(int(np.prod(u_sp[u, :, :, k]) * np.prod(u_size[u, :u_n[u]][u_dim[u, :u_n[u]] == k]))
                      for u in range(len(u_n)) for k in range(4, 8))
            po, ro = np.empty(pad, dtype=np.int64), np.empty(pad, dtype=np.int64)
            mark = np.empty(int((la.stride.max() + la.dilation.max()) * pad + 1), dtype=np.bool_)
            for _ in range(6):
                u = int(rng.integers(len(u_n)))
                if not t["fits"][u]:
                    continue
                n = int(u_n[u])
                order = rng.permutation(n)
                od, osz = u_dim[u, order].copy(), u_size[u, order].copy()
                bump, p_bump = rng.random(n), float(rng.choice([0.0, 0.12, 0.5]))
                ext, needp = t["ext0"][u].copy(), t["needp0"][u].copy()
                needsum = np.array([sum(needp[lv, k] for k in range(3) if aa.keeps[lv, k]) for lv in range(L)])
                lv_fast = np.zeros(n, dtype=np.int64)
                cut_levels(od, osz, n, bump, p_bump, ext, needp, needsum, aa.keeps, lv_rel, aa.capacity_bits,
                           bits_tile, red, la.input_real, lv_fast)
                lv_ref, ext_ref = _python_cut(od, osz, bump, p_bump, t["ext0"][u], aa.keeps, aa.capacity_bits,
                                              bits_tile, la)
                assert lv_fast.tolist() == lv_ref.tolist()
                assert np.array_equal(ext, ext_ref)
                c1, a1, i1 = np.zeros((L, 3, 5)), np.zeros((L, 3, 5)), np.zeros(3 + 2 * L)
                analyse(la.dims, la.stride, la.dilation, la.input_real, aa.keeps, aa.latch, aa.chain, od, osz,
                        lv_fast, u_sp[u], c1, a1, i1)
                c2, a2, i2 = np.zeros((L, 3, 5)), np.zeros((L, 3, 5)), np.zeros(3 + 2 * L)
                analyse_cut(la.stride, la.dilation, red, la.input_real, aa.keeps, aa.latch, aa.chain, od, osz,
                            lv_fast, u_sp[u], t["spf"][u], t["spmask"][u], ext, t["s_above"][u], t["sir_above"][u],
                            t["scale"][u], np.empty((3, L + 1)), np.empty(8), po, ro, mark, c2, a2, i2)
                assert np.array_equal(c1, c2) and np.array_equal(a1, a2) and np.array_equal(i1, i2)
                checked += 1
    assert checked >= 150


def test_best_evaluation_equals_evaluate_of_its_mapping():
    for d in _designs(3, 2):
        arch = eyeriss_like(d)
        for layer in _layers()[::2]:
            ev = Mapper(arch, budget=200, seed=1).best(layer)
            ref = evaluate(arch, layer, ev.mapping)
            assert (ev.energy_pj, ev.cycles) == (ref.energy_pj, ref.cycles)
            for name in ("counts", "energy_levels", "level_cycles", "info"):
                assert np.array_equal(getattr(ev, name), getattr(ref, name)), name


def test_divisors_and_loops_equal_their_definitions():
    buf = np.empty(2048, dtype=np.int64)
    for r in list(range(1, 400)) + [720720, 14336, 2**20, 999983]:
        for lim in (1, 2, 7, 14, 168, r):
            lim = min(lim, r)
            k = _divisors_upto(r, lim, buf)
            assert buf[:k].tolist() == [x for x in range(1, lim + 1) if r % x == 0]
    rem = np.array([[1, 12, 97, 1, 720, 2, 3, 1], [4096, 1, 1, 35, 1, 1, 11, 13]], dtype=np.int64)
    u_dim, u_size, u_n = np.zeros((2, 64), dtype=np.int64), np.ones((2, 64), dtype=np.int64), np.zeros(2, np.int64)
    J = _unrolling_loops(rem, u_dim, u_size, u_n)
    for i in range(2):
        loops = [(d, p) for d in range(8) for p in prime_factors(int(rem[i, d]))]
        assert u_n[i] == len(loops) and list(zip(u_dim[i, :u_n[i]].tolist(), u_size[i, :u_n[i]].tolist())) == loops
    assert J == max(u_n)


@pytest.mark.slow  # compiles the reference kernels: about 50 s on a cold cache
def test_unrollings_kept_per_array_shape_give_the_same_search():
    arch = eyeriss_like({"num_pes": 84, "mac_mesh_x": 7})
    layer = _layers()[2]
    first = Mapper(arch, budget=100, seed=4).search_layer(layer)
    mapper_module._UNROLLINGS.clear()
    assert Mapper(arch, budget=100, seed=4).search_layer(layer) == first
    other = eyeriss_like({"num_pes": 84, "mac_mesh_x": 7, "psum_spad_depth": 64, "shared_glb_depth": 2048})
    assert Mapper(other, budget=100, seed=4).search_layer(layer) == ReferenceMapper(other, budget=100,
                                                                                     seed=4).search_layer(layer)


def _same_shape_designs(n, seed):
    """Random Eyeriss-like designs sharing one array shape (84 PEs, mesh 7), so that they share unrollings
    and random-phase draws."""
    return [dict(d, num_pes=84, mac_mesh_x=7) for d in design_space().sample_many(n, np.random.default_rng(seed))]


def test_random_draws_shared_by_designs_give_the_same_search_as_fresh_draws():
    layer = _layers()[1]
    designs = _same_shape_designs(4, 5)
    shared = [Mapper(eyeriss_like(d), budget=150, seed=2).search_layer(layer) for d in designs]
    fresh = []
    for d in designs:
        mapper_module._DRAWS.clear()
        mapper_module._UNROLLINGS.clear()
        fresh.append(Mapper(eyeriss_like(d), budget=150, seed=2).search_layer(layer))
    assert shared == fresh
    assert len({m for m, _ in shared}) > 1  # the designs' searches differ: the draws are not the result


@pytest.mark.slow  # compiles the reference kernels: about 50 s on a cold cache
def test_random_draws_shared_by_designs_reproduce_the_previous_kernels():
    layers = _layers()
    for i, d in enumerate(_same_shape_designs(6, 8)):
        arch, layer = eyeriss_like(d), layers[i % len(layers)]
        for search in ("hybrid", "random-pruned"):
            kw = {"budget": 300, "seed": 3, "search": search}
            Mapper(eyeriss_like(_same_shape_designs(1, 100 + i)[0]), **kw).search_layer(layer)  # warms the draws
            assert Mapper(arch, **kw).search_layer(layer) == ReferenceMapper(arch, **kw).search_layer(layer), (d, kw)


def _cases(n, seed):
    rng = np.random.default_rng(seed)
    layers = _layers() + load_layers(datasets.path("dataflow", "llama3_8b_decode_b1.csv"))[:3]
    designs = _designs(n, seed)
    for i in range(n):
        yield (designs[i], layers[int(rng.integers(len(layers)))], int(rng.integers(1000)) if i % 3 else 0,
               int(rng.choice([8, 60, 300, 1200])), str(rng.choice(["edp", "energy", "delay"])),
               "random-pruned" if i % 5 == 4 else "hybrid")


@pytest.mark.slow
def test_search_reproduces_the_previous_kernels_bit_for_bit():
    compared = 0
    for design, layer, seed, budget, objective, search in _cases(120, 3):
        arch = eyeriss_like(design)
        kw = {"budget": budget, "objective": objective, "seed": seed, "search": search}
        new, old = Mapper(arch, **kw), ReferenceMapper(arch, **kw)
        assert new.search_layer(layer) == old.search_layer(layer), (design, layer.name, kw)
        ev, ref = new.best(layer), old.best(layer)
        assert ev.mapping == ref.mapping and (ev.energy_pj, ev.cycles) == (ref.energy_pj, ref.cycles)
        assert np.array_equal(ev.counts, ref.counts) and np.array_equal(ev.energy_levels, ref.energy_levels)
        compared += 1
    assert compared == 120
