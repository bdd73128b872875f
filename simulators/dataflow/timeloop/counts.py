"""Timeloop's nest analysis and tile post-processing, written from its documented algorithm.

Why a second counting model: Timeloop counts differently from ZigZag (:mod:`archgym.simulators.dataflow.access_counts`) and the
exercises' statistics are Timeloop's. The rules reproduced here (Timeloop ``nest-analysis.cpp`` and
``tiling.cpp``, legacy non-ISL path, default settings):

* The mapping becomes one loop nest, innermost first: per storage level its spatial loops (fan-out to
  its children) then its temporal loops, unit loops dropped, a unit loop kept where a level has none.
* Every loop keeps the working set (a box in each data space, from the corners of the operation box
  its sub-nest walks) of its last invocation; an invocation's *delta* is the new box minus the last
  one. Summing deltas over time is what gives sliding-window reuse (a window moved by one brings in
  one column) and stationarity (a tile that did not move brings in nothing). Reset on stride change
  (on for problems without flattening): the first move after a fresh start fixes the tile's stride --
  staying put is a stride of zero -- and a later move with another stride (a sliding window wrapping
  round, or a window moving after a stationary step) keeps nothing: the delta is the whole tile and
  the stride is forgotten. (Counting a stationary step as a stride is what reproduces the shipped
  statistics of the Eyeriss exercises; Timeloop's current source skips zero strides.)
* Temporal extrapolation: a loop runs its iteration 0 and iteration 1, and counts iteration 1's delta
  for iterations 1..n-1 (so inner working sets are left at iteration 1, as in Timeloop).
* Spatial loops: only the first element is analysed; the others get its delta translated by one
  element's step. Identical deltas are one multicast read at the parent; a delta equal to a
  neighbour's previous delta is a link transfer if that lowers the parent's reads.
* Accesses to a level are the deltas its child level (or the MACs: one per MAC per operand) draws.
  Bypass masks a level: its children's accesses go to the next keeping level. Read-only data: reads
  = accesses (+ peer), fills = parent share. Read-write data with first-read elision: updates =
  accesses, reads = accesses - partition size, fills = parent share - partition size (the outermost
  keeping level has no fills).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .spec import Hierarchy, LevelMapping, Problem


@dataclass
class Loop:
    dim: int
    end: int
    kind: str  # "T", "X" or "Y"
    storage: int  # storage level index, innermost 0


@dataclass
class _State:
    last: list | None = None  # per data space: the last working-set box
    last_tr: list | None = None  # per data space: the stride (translation) of the last move, None if none
    max_size: list | None = None
    access: list = field(default_factory=list)  # per data space: {(multicast, scatter): accesses}
    link: list | None = None
    prev_spatial: dict | None = None


@dataclass
class Tile:
    """One storage level and data space after post-processing (Timeloop's ``DataMovementInfo``)."""

    size: float = 0
    partition_size: float = 0
    content_accesses: float = 0
    parent_access_share: float = 0
    access: dict = field(default_factory=dict)
    link_transfers: float = 0
    peer_accesses: float = 0
    peer_fills: float = 0
    replication_factor: float = 1
    fanout: int = 1
    denom: float = 0
    reads: float = 0
    fills: float = 0
    updates: float = 0
    temporal_reductions: float = 0


def _box_size(box) -> int:
    n = 1
    for a, b in box:
        if b < a:
            return 0
        n *= b - a + 1
    return n


def _subtract(a, b) -> tuple:
    """Box ``a`` minus box ``b`` as disjoint boxes (Timeloop's multi-AAHR difference)."""
    if _box_size(a) == 0:
        return ()
    if any(bh < al or bl > ah for (al, ah), (bl, bh) in zip(a, b)):
        return (a,)
    pieces = []
    rest = list(a)
    for k, ((al, ah), (bl, bh)) in enumerate(zip(a, b)):
        if al < bl:
            p = list(rest)
            p[k] = (al, bl - 1)
            pieces.append(tuple(p))
        if ah > bh:
            p = list(rest)
            p[k] = (bh + 1, ah)
            pieces.append(tuple(p))
        rest[k] = (max(al, bl), min(ah, bh))
    return tuple(pieces)


def _translation_between(a, b) -> tuple:
    """Translation from box ``a`` to box ``b``: difference of centres, rounded half away from zero."""
    if _box_size(a) == 0 or _box_size(b) == 0:
        return (0,) * len(a)
    out = []
    for (al, ah), (bl, bh) in zip(a, b):
        d = ((bl + bh) - (al + ah)) / 2
        out.append(int(math.floor(d + 0.5)) if d >= 0 else -int(math.floor(-d + 0.5)))
    return tuple(out)


def _translate(boxes, vec) -> tuple:
    return tuple(tuple((lo + v, hi + v) for (lo, hi), v in zip(box, vec)) for box in boxes)


def _size(boxes) -> int:
    return sum(_box_size(b) for b in boxes)


class NestAnalysis:
    """Per storage level (innermost 0) and data space, Timeloop's :class:`Tile`; ``computes`` per MAC."""

    def __init__(self, problem: Problem, hier: Hierarchy, mapping: list):
        self.problem, self.hier = problem, hier
        self.nds = len(problem.data_spaces)
        self.nlev = len(hier.levels)
        self.levels_inner = list(reversed(mapping))  # innermost first
        self._build()

    # -- the loop nest ------------------------------------------------------------------------------
    def _build(self):
        nd = len(self.problem.dims)
        loops: list[Loop] = []
        boundary = []
        for s, lm in enumerate(self.levels_inner):
            lm: LevelMapping
            for d, f, x in lm.spatial:
                if f > 1:
                    loops.append(Loop(d, f, "X" if x else "Y", s))
            temporal = [Loop(d, f, "T", s) for d, f in lm.temporal if f > 1]
            if not temporal:
                temporal = [Loop(nd - 1, 1, "T", s)]
            loops.extend(temporal)
            boundary.append(len(loops) - 1)
        self.loops = loops
        n = len(loops)
        self.boundary = [False] * n
        for b in boundary:
            self.boundary[b] = True
        self.master = [False] * n
        prev_spatial = False
        for i in range(n - 1, -1, -1):
            sp = loops[i].kind != "T"
            self.master[i] = sp and not prev_spatial
            prev_spatial = sp
        self.num_spatial = [1] * n  # product of spatial ends strictly outside loop i
        prod = 1
        for i in range(n - 1, -1, -1):
            self.num_spatial[i] = prod
            if loops[i].kind != "T":
                prod *= loops[i].end
        self.fanout = [1] * n
        self.fanout_x = [1] * n
        for i in range(n):
            if self.master[i]:
                f, fx, j = 1, 1, i
                while j >= 0 and loops[j].kind != "T":
                    f *= loops[j].end
                    fx *= loops[j].end if loops[j].kind == "X" else 1
                    j -= 1
                self.fanout[i], self.fanout_x[i] = f, fx
        self.stride = []  # per loop, per dim: product of inner ends on that dim
        self.mold = []
        scale = [1] * nd
        for lp in loops:
            self.stride.append(list(scale))
            scale[lp.dim] *= lp.end
            self.mold.append([s - 1 for s in scale])
        self.transform = [0] * nd
        self.epochs = 1
        self.space_stamp: list[int] = []
        self.live = [dict() for _ in loops]
        self.computes: dict = {}

    # -- working sets ---------------------------------------------------------------------------------
    def _working_set(self, i) -> list:
        lo = self.transform
        hi = [t + m for t, m in zip(self.transform, self.mold[i])]
        return [self.problem.box(ds, lo, hi) for ds in range(self.nds)]

    def _state(self, i) -> _State:
        key = tuple(self.space_stamp[:-1])
        st = self.live[i].get(key)
        if st is None:
            st = _State(max_size=[0] * self.nds, access=[dict() for _ in range(self.nds)], link=[0] * self.nds)
            self.live[i][key] = st
        return st

    def deltas(self, i) -> list:
        """Timeloop's ``ComputeDeltas`` for loop ``i``: per data space, the new boxes of this invocation."""
        if self.boundary[i]:
            self.space_stamp.append(0)
        st = self._state(i)
        if self.loops[i].kind != "T":
            self._spatial(i)
        else:
            self._temporal(i, st)
        ws = self._working_set(i)
        if self.boundary[i] or self.master[i]:
            st.max_size = [max(m, _box_size(b)) for m, b in zip(st.max_size, ws)]
        if st.last is None:
            st.last, st.last_tr = [None] * self.nds, [None] * self.nds
        delta = []
        for ds, b in enumerate(ws):
            prev = st.last[ds]
            if prev is None:  # first invocation: everything is new; no stride yet
                delta.append((b,) if _box_size(b) else ())
                st.last[ds] = b
                continue
            tr = _translation_between(prev, b)  # a zero vector when the tile stayed put
            if st.last_tr[ds] is None or tr == st.last_tr[ds]:
                delta.append(_subtract(b, prev))
                if st.last_tr[ds] is None:
                    st.last_tr[ds] = tr
            else:  # the tile changed its stride: Timeloop discards what it held (reset on stride change)
                delta.append((b,) if _box_size(b) else ())
                st.last_tr[ds] = None
            st.last[ds] = b
        if self.boundary[i]:
            self.space_stamp.pop()
        return delta

    def _temporal(self, i, st: _State):
        lp = self.loops[i]
        n = lp.end
        if i == 0:
            key = tuple(self.space_stamp[:-1])
            self.computes[key] = self.computes.get(key, 0) + n * self.epochs
            for ds in range(self.nds):
                st.access[ds][(1, 1)] = st.access[ds].get((1, 1), 0) + n * self.epochs
            return
        scale = self.stride[i][lp.dim]
        saved = self.transform[lp.dim]
        sizes = []
        d0 = self.deltas(i - 1)
        sizes.append(([_size(x) for x in d0], 1))
        self.transform[lp.dim] += scale
        if n >= 2:
            virtual = n - 1
            saved_epochs = self.epochs
            self.epochs *= virtual
            d1 = self.deltas(i - 1)
            self.epochs = saved_epochs
            sizes.append(([_size(x) for x in d1], virtual))
            self.transform[lp.dim] += scale * virtual
        self.transform[lp.dim] = saved
        if self.boundary[i - 1]:
            for ds in range(self.nds):
                total = sum(sz[ds] * k for sz, k in sizes)
                st.access[ds][(1, 1)] = st.access[ds].get((1, 1), 0) + total * self.epochs

    def _spatial(self, i):
        spatial_deltas: dict = {}
        self._fill_spatial(i, spatial_deltas, 0, 0, i)
        st = self._state(i)
        without = self._multicast(spatial_deltas, set(spatial_deltas))
        phys_x = self.hier.fanout(self.nlev - 1 - self.loops[i].storage)[0]
        h = max(phys_x, self.fanout_x[i])
        reused, link = self._link_transfers(st, spatial_deltas, h)
        for ds in range(self.nds):
            chosen = without[ds]
            if any(reused[ds]):
                left = {k for k in spatial_deltas if k not in reused[ds]}
                with_ = self._multicast(spatial_deltas, left, only=ds)[ds]
                if sum(with_.values()) < sum(without[ds].values()):
                    st.link[ds] += link[ds]
                    chosen = with_
            for key, v in chosen.items():
                st.access[ds][key] = st.access[ds].get(key, 0) + v

    def _multicast(self, spatial_deltas, unaccounted, only=None) -> list:
        out = [dict() for _ in range(self.nds)]
        for ds in range(self.nds) if only is None else (only,):
            groups: dict = {}
            for k in sorted(unaccounted):
                sig = tuple(sorted(spatial_deltas[k][ds]))
                groups.setdefault(sig, []).append(k)
            temp: dict = {}
            for sig, members in groups.items():
                size = _size(sig)
                if size > 0:
                    acc, sc = temp.get(len(members), (0, 0))
                    temp[len(members)] = (acc + size * self.epochs, sc + 1)
            for m, (acc, sc) in temp.items():
                out[ds][(m, sc)] = out[ds].get((m, sc), 0) + acc
        return out

    def _link_transfers(self, st: _State, cur: dict, h: int):
        reused = [set() for _ in range(self.nds)]
        link = [0] * self.nds
        prev = st.prev_spatial or {}
        total = max(cur) + 1 if cur else 0
        v_size = max(1, -(-total // h))
        for idx, delta in cur.items():
            hh, vv = idx % h, idx // h
            neighbours = []
            if v_size > 1:
                if vv >= 1:
                    neighbours.append((vv - 1) * h + hh)
                if vv < v_size - 1:
                    neighbours.append((vv + 1) * h + hh)
            if h > 1:
                if hh >= 1:
                    neighbours.append(vv * h + hh - 1)
                if hh < h - 1:
                    neighbours.append(vv * h + hh + 1)
            for ds in range(self.nds):
                if not delta[ds]:
                    continue
                sig = tuple(sorted(delta[ds]))
                if any(j in prev and tuple(sorted(prev[j][ds])) == sig for j in neighbours):
                    reused[ds].add(idx)
        for ds in range(self.nds):
            link[ds] = sum(_size(cur[k][ds]) for k in reused[ds]) * self.epochs
        st.prev_spatial = cur
        return reused, link

    def _translation(self, i) -> list:
        lp = self.loops[i]
        a = self._working_set(i)
        self.transform[lp.dim] += self.stride[i][lp.dim]
        b = self._working_set(i)
        self.transform[lp.dim] -= self.stride[i][lp.dim]
        return [[bb[0] - aa[0] for aa, bb in zip(x, y)] for x, y in zip(a, b)]

    def _fill_spatial(self, i, out: dict, base: int, extrap_stride: int, extrap_level: int):
        lp = self.loops[i]
        end = lp.end
        base *= end
        scale = self.stride[i][lp.dim]
        saved = self.transform[lp.dim]
        if i == 0:
            for idx in range(end):
                pt = list(self.transform)
                pt[lp.dim] += idx * scale
                out[base + idx] = [(self.problem.box(ds, pt, pt),) for ds in range(self.nds)]
                key = tuple(self.space_stamp[:-1]) + (base + idx,)
                self.computes[key] = self.computes.get(key, 0) + self.epochs
            return
        nxt = self.loops[i - 1]
        if nxt.kind != "T":
            for idx in range(end):
                ns, nl = extrap_stride * end, extrap_level
                if idx >= 1:
                    ns, nl = 1, i
                self._fill_spatial(i - 1, out, base + idx, ns, nl)
                self.transform[lp.dim] += scale
        else:
            if extrap_stride == 0:
                idx = 0
                self.space_stamp[-1] = base
                out[base] = self.deltas(i - 1)
                self.transform[lp.dim] += scale
                start = 1
                extrap_stride, extrap_level = 1, i
            else:
                extrap_stride *= end
                start = 0
            if start < end:
                vec = self._translation(extrap_level)
                for idx in range(start, end):
                    src = out[base + idx - extrap_stride]
                    out[base + idx] = [_translate(src[ds], vec[ds]) for ds in range(self.nds)]
        self.transform[lp.dim] = saved

    # -- the whole nest, collapsed into storage levels ---------------------------------------------
    def run(self, keeps: list, first_fill_elision: bool = True) -> list:
        """``keeps[s][ds]``: whether storage level ``s`` (innermost 0) keeps data space ``ds``. Returns
        ``tiles[s][ds]`` (:class:`Tile`). ``first_fill_elision=False``: Timeloop as of 2020, whose
        read-write fills were the whole parent share (the exercises' v0.3 reference outputs)."""
        self.space_stamp = []
        self.deltas(len(self.loops) - 1)
        n = len(self.loops)
        valid = [i for i in range(n) if self.loops[i].kind == "T" or self.master[i]]
        per_loop = {}
        for i in valid:
            per_loop[i] = next(iter(self.live[i].values())) if len(self.live[i]) == 1 else self._average(i)
        out = [[None] * self.nds for _ in range(self.nlev)]
        for ds in range(self.nds):
            tiles = []
            for s in range(self.nlev):
                group = [i for i in valid if self.loops[i].storage == s]
                inner, outer = group[0], group[-1]
                t = Tile()
                t.size = per_loop[outer].max_size[ds]
                t.access = dict(per_loop[inner].access[ds])
                t.content_accesses = sum(t.access.values())
                t.link_transfers = per_loop[inner].link[ds]
                t.replication_factor = self.num_spatial[outer]
                t.fanout = self.fanout[inner]
                if tiles:
                    tiles[-1].denom = per_loop[inner].max_size[ds] if self.master[inner] else tiles[-1].size
                tiles.append(t)
            self._post_process(tiles, [keeps[s][ds] for s in range(self.nlev)], self.problem.data_spaces[ds].read_write,
                               first_fill_elision)
            for s in range(self.nlev):
                out[s][ds] = tiles[s]
        return out

    def _average(self, i) -> _State:
        states = list(self.live[i].values())
        avg = _State(max_size=[0] * self.nds, access=[dict() for _ in range(self.nds)], link=[0] * self.nds)
        for st in states:
            for ds in range(self.nds):
                avg.max_size[ds] += st.max_size[ds] / len(states)
                avg.link[ds] += st.link[ds] / len(states)
                for k, v in st.access[ds].items():
                    avg.access[ds][k] = avg.access[ds].get(k, 0) + v / len(states)
        return avg

    @staticmethod
    def _post_process(tiles: list, mask: list, read_write: bool, first_fill_elision: bool = True):
        n = len(tiles)
        # partition sizes
        part = tiles[-1].size
        tiles[-1].partition_size = part
        for cur in range(n - 2, -1, -1):
            if tiles[cur].denom:
                part = (part * tiles[cur].size) // tiles[cur].denom
            tiles[cur].partition_size = part
        # parent access share
        for cur in range(n):
            if tiles[cur].size == 0:
                continue
            tiles[cur].parent_access_share = 0
            outer = next((o for o in range(cur + 1, n) if tiles[o].size != 0), None)
            if outer is None:
                continue
            tiles[cur].parent_access_share = sum(acc * m for (m, _), acc in tiles[outer].access.items()) \
                / tiles[outer].fanout
        # bypass masks
        for cur in range(n):
            if tiles[cur].size == 0 or mask[cur]:
                continue
            outer = next((o for o in range(cur + 1, n) if tiles[o].size != 0), None)
            if outer is None:
                t = tiles[cur]
                t.size = t.partition_size = t.content_accesses = t.parent_access_share = 0
                break
            children = tiles[cur].content_accesses * tiles[outer].fanout
            weighted = sum(acc * m for (m, _), acc in tiles[outer].access.items())
            factor = children / weighted if weighted else 0.0
            tiles[outer].access = {k: v * factor for k, v in tiles[outer].access.items()}
            tiles[outer].link_transfers = 0
            tiles[outer].content_accesses = sum(tiles[outer].access.values())
            t = tiles[cur]
            t.size = t.partition_size = t.content_accesses = t.parent_access_share = 0
        for cur in range(n - 1, -1, -1):
            if not mask[cur]:
                tiles[cur] = Tile(replication_factor=tiles[cur].replication_factor)
            else:
                tiles[cur].parent_access_share = 0
                break
        # peer (link-transfer) accesses
        for cur in range(n - 1, 0, -1):
            if tiles[cur].link_transfers:
                k = tiles[cur].link_transfers / tiles[cur - 1].replication_factor
                tiles[cur - 1].peer_accesses += k
                tiles[cur - 1].peer_fills += k
        # reads, fills, updates
        for cur in range(n):
            t = tiles[cur]
            if t.size == 0:
                continue
            if read_write:
                t.updates = round(t.content_accesses)
                t.reads = round(t.content_accesses + t.peer_accesses - t.partition_size)
                t.temporal_reductions = t.reads
                outermost = all(tiles[o].size == 0 for o in range(cur + 1, n)) or not first_fill_elision
                t.fills = round(t.parent_access_share + t.peer_fills - (0 if outermost else t.partition_size))
            else:
                t.reads = round(t.content_accesses + t.peer_accesses)
                t.updates = 0
                t.fills = t.parent_access_share + t.peer_fills

    @property
    def computes_per_instance(self) -> float:
        return sum(self.computes.values()) / max(1, len(self.computes))

    @property
    def spatial_instances(self) -> int:
        p = 1
        for lp in self.loops:
            if lp.kind != "T":
                p *= lp.end
        return p

    @property
    def temporal_iterations(self) -> int:
        p = 1
        for lp in self.loops:
            if lp.kind == "T":
                p *= lp.end
        return p


__all__ = ["NestAnalysis", "Tile", "Loop"]
