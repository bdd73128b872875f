"""Brute-force reference for the access counts: walk every iteration of a mapping's loop nest.

Independent of the analytic model: it builds the actual sets of tensor coordinates each buffer
instance holds at each step and counts what moves, with the model's rules stated operationally:

* every instance of a child level holds its tile; when an index the tile depends on changes, the
  tile is refetched (the child's fills), and the parent serves the union of what its children
  refetch in that step (its reads: multicast);
* outputs: when a child's tile changes, the old one is drained up (the union is one update at the
  parent after spatial reduction), and each element of the new tile that the parent instance
  (``tree``) or anybody (``chain``) has touched before is read back down; otherwise it starts at 0;
* the MACs hold one element per tensor: re-read only when it changes (operand reuse) or always.
"""

from __future__ import annotations

import itertools

from archgym.simulators.dataflow.workload import DIMS, RELEVANT, TENSORS

TILE, READS, DRAINS, FILLS, UPDATES = range(5)


def _loops(mapping):
    """(level, kind, dim index, size) inner to outer, spatial loops innermost within a level."""
    out = []
    for lv, loops in enumerate(mapping.levels):
        for kind, group in (("sx", loops.spatial_x), ("sy", loops.spatial_y), ("t", loops.temporal)):
            for d, f in group:
                if f > 1:
                    out.append((lv, kind, DIMS.index(d), f))
    return out


def _weights(loops):
    w, acc = [], [1] * len(DIMS)
    for _, _, d, f in loops:
        w.append(acc[d])
        acc[d] *= f
    return w


def _coord(t, idx, layer):
    n, g, k, c, p, q, r, s = idx
    if t == 0:
        return (g, k, c, r, s)
    if t == 2:
        return (n, g, k, p, q)
    return (n, g, c, layer.stride[0] * p + layer.dilation[0] * r, layer.stride[1] * q + layer.dilation[1] * s)


def _odometer(sizes):
    """All index tuples, the first entry changing fastest."""
    for combo in itertools.product(*[range(f) for f in reversed(sizes)]):
        yield tuple(reversed(combo))


def walk(layer, arch, mapping):
    """``counts[level][tensor][kind]`` for kinds tile, reads, drains, fills, updates (totals over instances)."""
    loops = _loops(mapping)
    weights = _weights(loops)
    L = arch.n_levels
    counts = [[[0] * 5 for _ in TENSORS] for _ in range(L)]
    latch = [arch.mac_operand_reuse[t] for t in TENSORS]
    chain = arch.spatial_reduction == "chain"

    def index(assign):
        idx = [0] * len(DIMS)
        for j, v in assign.items():
            idx[loops[j][2]] += v * weights[j]
        return idx

    def tile(t, inner, fixed):
        out = set()
        for combo in _odometer([loops[j][3] for j in inner]):
            a = dict(fixed)
            a.update(zip(inner, combo))
            out.add(_coord(t, index(a), layer))
        return out

    for t, tname in enumerate(TENSORS):
        keepers = [lv for lv in range(L) if tname in arch.levels[lv].keeps]
        for lv in keepers:
            counts[lv][t][TILE] = len(tile(t, [j for j, x in enumerate(loops) if x[0] <= lv], {}))
        c = -1
        for p in keepers:
            inner = [j for j, x in enumerate(loops) if x[0] <= c]
            between = [j for j, x in enumerate(loops) if x[1] != "t" and c < x[0] <= p]
            above_sp = [j for j, x in enumerate(loops) if x[1] != "t" and x[0] > p]
            time = [j for j, x in enumerate(loops) if x[1] == "t" and x[0] > c]
            relevant_time = [k for k, j in enumerate(time) if RELEVANT[t, loops[j][2]]]
            always = c < 0 and not latch[t]
            touched_global = set()
            for parent in _odometer([loops[j][3] for j in above_sp]):
                touched = touched_global if chain else set()
                old_tiles = None
                last_key = None
                for step in _odometer([loops[j][3] for j in time]):
                    key = tuple(step[k] for k in relevant_time)
                    if not always and key == last_key:
                        continue
                    last_key = key
                    fixed = dict(zip(above_sp, parent))
                    fixed.update(zip(time, step))
                    new_tiles = []
                    for child in _odometer([loops[j][3] for j in between]):
                        f = dict(fixed)
                        f.update(zip(between, child))
                        new_tiles.append(tile(t, inner, f))
                    union = set().union(*new_tiles)
                    if tname != "O":
                        counts[p][t][READS] += len(union)
                        if c >= 0:
                            counts[c][t][FILLS] += sum(len(x) for x in new_tiles)
                        continue
                    if old_tiles is not None:
                        counts[p][t][UPDATES] += len(set().union(*old_tiles))
                        if c >= 0:
                            counts[c][t][DRAINS] += sum(len(x) for x in old_tiles)
                    for e in union:
                        if e in touched:
                            counts[p][t][READS] += 1
                            if c >= 0:
                                counts[c][t][FILLS] += 1
                        else:
                            touched.add(e)
                    old_tiles = new_tiles
                if tname == "O" and old_tiles is not None:
                    counts[p][t][UPDATES] += len(set().union(*old_tiles))
                    if c >= 0:
                        counts[c][t][DRAINS] += sum(len(x) for x in old_tiles)
            c = p
    return counts
