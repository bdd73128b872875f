"""A compiled reader of the plain Chakra ``.et`` files ASTRA-sim workloads are made of (numba, ``cache=True``).

``decode_nodes`` walks a trace's node messages once, protobuf wire format by hand, and returns the
fields ``workload_nodes`` reads as flat arrays, or a status saying "not plain": then the caller parses
the file with protobuf and ``workload_nodes`` (``chakra_et``), which gives the exact answer and the
exact error. Plain is a strict subset of what that path accepts, chosen so that both give the same
graph by construction:

- the framing is intact (every length prefix is a varint of at most 9 bytes, no message runs past
  the end) and the messages only hold Node fields 1-7 and 10 (id, name, type, ctrl_deps, data_deps
  packed or not, start_time_micros, duration_micros, attr) with their schema wire types; no IOInfo,
  no unknown fields, no integer of 2^63 or more;
- attributes hold ``name``, ``doc_string`` and one of the integer scalars (int64, uint64, int32,
  uint32, sint32, sint64, bool), ``double_val``, ``float_val`` or ``string_val``; every string
  (node names, attribute names and strings) is ASCII, so protobuf's UTF-8 check cannot fail;
- ``is_cpu_op`` (the first attribute of that name, as ``attribute`` reads it) is absent or an integer
  0, ``comm_type``/``comm_size`` are non-negative integer scalars, ``involved_dim`` and ``pg_name`` are
  absent;
- node types are COMP_NODE and COMM_COLL_NODE, comm types ALL_REDUCE, ALL_GATHER, ALL_TO_ALL,
  REDUCE_SCATTER or BROADCAST; node ids are unique and every dependency exists.

Everything else (including every error ASTRA-sim or ``workload_nodes`` reports) is "not plain".
The decoder is compiled (numba, cached on disk) on its first call, not on import: loading numba costs about
half a second, so ``chakra_et`` calls it only for files large enough for it to pay (workload traces, not a
microbenchmark's one node).
"""

from __future__ import annotations

import numpy as np

PLAIN = 0
NOT_PLAIN = 1

#: the attribute names read: is_cpu_op, comm_type, comm_size, involved_dim, pg_name (rows, zero-padded) and their lengths
_WORDS = (b"is_cpu_op", b"comm_type", b"comm_size", b"involved_dim", b"pg_name")
_NAMES = np.zeros((len(_WORDS), max(map(len, _WORDS))), np.uint8)
for _k, _w in enumerate(_WORDS):
    _NAMES[_k, :len(_w)] = np.frombuffer(_w, np.uint8)
_LENS = np.array([len(w) for w in _WORDS], np.int64)


def _varint(buf, pos, end):
    """(value, position after it); position -1 if truncated or 2^63 or more."""
    result = 0
    shift = 0
    while True:
        if pos >= end or shift > 56:
            return 0, -1
        b = np.int64(buf[pos])
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def _attr(buf, a, e, names, lens):
    """(which known name 0-4 or -1 for another, value kind, value, ok) of one AttributeProto in buf[a:e].

    value kind: 0 no value, 1 integer scalar (value >= 0), 2 bool, 3 another scalar (double, float, string)."""
    name_a = -1
    name_n = 0
    kind = 0
    value = 0
    pos = a
    while pos < e:
        tag, pos = _varint(buf, pos, e)
        if pos < 0:
            return -1, 0, 0, False
        field = tag >> 3
        wt = tag & 7
        if wt == 2:
            n, pos = _varint(buf, pos, e)
            if pos < 0 or pos + n > e:
                return -1, 0, 0, False
            for k in range(pos, pos + n):  # ASCII: valid UTF-8
                if buf[k] >= 0x80:
                    return -1, 0, 0, False
            if field == 1:
                name_a = pos
                name_n = n
            elif field == 29:  # string_val
                kind = 3
            elif field != 2:  # doc_string
                return -1, 0, 0, False
            pos += n
        elif wt == 0:
            v, pos = _varint(buf, pos, e)
            if pos < 0:
                return -1, 0, 0, False
            if field == 9 or field == 13:  # int64, uint64
                kind, value = 1, v
            elif field == 7:  # int32: a negative value is sign-extended to 10 bytes, refused by _varint
                if v >= 2147483648:
                    return -1, 0, 0, False
                kind, value = 1, v
            elif field == 11:  # uint32
                if v >= 4294967296:
                    return -1, 0, 0, False
                kind, value = 1, v
            elif field == 15 or field == 17:  # sint32, sint64 (zigzag)
                if v & 1 or (field == 15 and v >= 4294967296):
                    return -1, 0, 0, False
                kind, value = 1, v >> 1
            elif field == 27:  # bool
                kind, value = 2, (1 if v != 0 else 0)
            else:
                return -1, 0, 0, False
        elif wt == 1 and field == 3:  # double_val
            if pos + 8 > e:
                return -1, 0, 0, False
            pos += 8
            kind = 3
        elif wt == 5 and field == 5:  # float_val
            if pos + 4 > e:
                return -1, 0, 0, False
            pos += 4
            kind = 3
        else:
            return -1, 0, 0, False
    which = -1
    if name_a >= 0:
        for w in range(lens.shape[0]):
            if lens[w] == name_n:
                same = True
                for k in range(name_n):
                    if buf[name_a + k] != names[w, k]:
                        same = False
                        break
                if same:
                    which = w
    return which, kind, value, True


def _decode(buf, start, names, lens):
    """(PLAIN or NOT_PLAIN, ids, kinds, dur, comm, size, name_a, name_n, dep_ptr, deps, signature) of buf[start:]."""
    end = buf.shape[0]
    count = 0
    pos = start
    status = PLAIN
    while pos < end:
        n, pos = _varint(buf, pos, end)
        if pos < 0 or pos + n > end:
            status = NOT_PLAIN
            break
        pos += n
        count += 1
    if status != PLAIN:
        count = 0
    cap = end - start + 1
    ids = np.empty(count, np.int64)
    kinds = np.empty(count, np.int64)  # 0 compute, 1 collective
    dur = np.empty(count, np.int64)
    comm = np.empty(count, np.int64)  # Chakra comm_type (5: BROADCAST), -1 for compute
    size = np.empty(count, np.int64)
    name_a = np.empty(count, np.int64)
    name_n = np.empty(count, np.int64)
    dep_ptr = np.zeros(count + 1, np.int64)
    deps = np.empty(cap, np.int64)
    sig = np.empty(1 + 5 * count + cap, np.int64)
    if status != PLAIN:
        return status, ids, kinds, dur, comm, size, name_a, name_n, dep_ptr, deps[:0], sig[:0]
    tmp = np.empty(cap, np.int64)  # this node's parents as read
    ctrl = np.empty(cap, np.bool_)  # ... each from ctrl_deps (True) or data_deps
    seen = np.zeros(3, np.bool_)  # first is_cpu_op / comm_type / comm_size seen
    vkind = np.zeros(3, np.int64)
    vval = np.zeros(3, np.int64)
    ndeps = 0
    pos = start
    for i in range(count):
        n, pos = _varint(buf, pos, end)
        e = pos + n
        nid = 0
        na = pos
        nn = 0
        ntype = 0
        ndur = 0
        nt = 0
        seen[:] = False
        vkind[:] = 0
        vval[:] = 0
        while pos < e and status == PLAIN:
            tag, pos = _varint(buf, pos, e)
            if pos < 0:
                status = NOT_PLAIN
                break
            field = tag >> 3
            wt = tag & 7
            if (field == 4 or field == 5) and (wt == 0 or wt == 2):  # ctrl_deps, data_deps: one value or packed
                stop = e
                if wt == 2:
                    m, pos = _varint(buf, pos, e)
                    if pos < 0 or pos + m > e:
                        status = NOT_PLAIN
                        break
                    stop = pos + m
                while True:
                    v, pos = _varint(buf, pos, stop)
                    if pos < 0:
                        status = NOT_PLAIN
                        break
                    tmp[nt] = v
                    ctrl[nt] = field == 4
                    nt += 1
                    if wt == 0 or pos >= stop:
                        break
            elif wt == 0 and (field == 1 or field == 3 or field == 6 or field == 7):
                v, pos = _varint(buf, pos, e)
                if pos < 0:
                    status = NOT_PLAIN
                    break
                if field == 1:
                    nid = v
                elif field == 3:
                    ntype = v
                elif field == 7:
                    ndur = v
            elif wt == 2 and (field == 2 or field == 10):
                m, pos = _varint(buf, pos, e)
                if pos < 0 or pos + m > e:
                    status = NOT_PLAIN
                    break
                if field == 2:
                    for k in range(pos, pos + m):
                        if buf[k] >= 0x80:
                            status = NOT_PLAIN
                    na, nn = pos, m
                else:
                    which, kind, value, ok = _attr(buf, pos, pos + m, names, lens)
                    if not ok or which >= 3:  # involved_dim, pg_name
                        status = NOT_PLAIN
                    elif which >= 0 and not seen[which]:
                        seen[which] = True
                        vkind[which] = kind
                        vval[which] = value
                pos += m
            else:
                status = NOT_PLAIN
        if status != PLAIN:
            break
        ids[i] = nid
        name_a[i] = na
        name_n[i] = nn
        # is_cpu_op: absent, no value, or an integer / bool 0
        if seen[0] and (vkind[0] == 3 or (vkind[0] != 0 and vval[0] != 0)):
            status = NOT_PLAIN
        elif ntype == 4:  # COMP_NODE
            kinds[i] = 0
            dur[i] = ndur
            comm[i] = -1
            size[i] = 0
        elif ntype == 7 and seen[1] and vkind[1] == 1:  # COMM_COLL_NODE
            kinds[i] = 1
            dur[i] = 0
            ct = vval[1]
            comm[i] = ct
            if ct == 5:  # BROADCAST: lasts its duration
                size[i] = ndur * 1000 if ndur != 0 else 1
            elif (ct == 0 or ct == 2 or ct == 6 or ct == 7) and seen[2] and vkind[2] == 1:
                size[i] = vval[2]
            else:
                status = NOT_PLAIN
        else:
            status = NOT_PLAIN
        if status != PLAIN:
            break
        # parents: data_deps then ctrl_deps, first occurrence kept
        first = ndeps
        for pass_ in range(2):
            from_ctrl = pass_ == 1
            for k in range(nt):
                if ctrl[k] != from_ctrl:
                    continue
                d = tmp[k]
                dup = False
                for q in range(first, ndeps):
                    if deps[q] == d:
                        dup = True
                        break
                if not dup:
                    deps[ndeps] = d
                    ndeps += 1
        dep_ptr[i + 1] = ndeps
    if status != PLAIN:
        return status, ids, kinds, dur, comm, size, name_a, name_n, dep_ptr, deps[:0], sig[:0]
    # unique ids, every parent present: ids in ascending order (stable insertion sort: trace ids come sorted)
    order = np.empty(count, np.int64)
    for i in range(count):
        order[i] = i
    for i in range(1, count):
        j = order[i]
        v = ids[j]
        k = i - 1
        while k >= 0 and ids[order[k]] > v:
            order[k + 1] = order[k]
            k -= 1
        order[k + 1] = j
    sorted_ids = np.empty(count, np.int64)
    for k in range(count):
        sorted_ids[k] = ids[order[k]]
    for k in range(1, count):
        if sorted_ids[k] == sorted_ids[k - 1]:
            status = NOT_PLAIN
    rank = np.empty(ndeps, np.int64)
    for q in range(ndeps):
        lo = 0
        hi = count
        while lo < hi:
            mid = (lo + hi) >> 1
            if sorted_ids[mid] < deps[q]:
                lo = mid + 1
            else:
                hi = mid
        if lo >= count or sorted_ids[lo] != deps[q]:
            status = NOT_PLAIN
            break
        rank[q] = lo
    if status != PLAIN:
        return status, ids, kinds, dur, comm, size, name_a, name_n, dep_ptr, deps[:0], sig[:0]
    # the signature: the graph up to node ids, per node in ascending id (kind, duration, comm type, size, parent ranks)
    p = 1
    sig[0] = count
    for r in range(count):
        i = order[r]
        sig[p] = kinds[i]
        sig[p + 1] = dur[i]
        sig[p + 2] = comm[i]
        sig[p + 3] = size[i]
        a, b = dep_ptr[i], dep_ptr[i + 1]
        sig[p + 4] = b - a
        p += 5
        for q in range(a, b):  # ranks, insertion-sorted
            v = rank[q]
            k = p + q - a - 1
            while k >= p and sig[k] > v:
                sig[k + 1] = sig[k]
                k -= 1
            sig[k + 1] = v
        p += b - a
    return status, ids, kinds, dur, comm, size, name_a, name_n, dep_ptr, deps[:ndeps], sig[:p]


_compiled = [False]


def _compile() -> None:
    """Replace the three decoder functions by their compiled versions (the callees first, as numba resolves
    them as globals when it compiles the caller)."""
    global _varint, _attr, _decode
    import numba

    _varint = numba.njit(cache=True)(_varint)
    _attr = numba.njit(cache=True)(_attr)
    _decode = numba.njit(cache=True)(_decode)
    _compiled[0] = True


def decode_nodes(data: bytes, start: int):
    """``None`` if ``data[start:]`` (a trace's node messages) is not plain (module docstring), else a dict of arrays:
    ``ids``, ``kinds`` (0 compute, 1 collective), ``dur`` (duration_micros of compute nodes), ``comm`` (Chakra
    comm_type, -1 for compute), ``size`` (bytes; BROADCAST: its duration in ns), ``name_a``/``name_n`` (offset and
    length of each name in ``data``), ``dep_ptr``/``deps`` (parents, data_deps then ctrl_deps, CSR) and
    ``signature`` (int64 array: the graph up to node ids, in ascending id)."""
    if not _compiled[0]:
        _compile()
    out = _decode(np.frombuffer(data, dtype=np.uint8), start, _NAMES, _LENS)
    if out[0] != PLAIN:
        return None
    return dict(zip(("ids", "kinds", "dur", "comm", "size", "name_a", "name_n", "dep_ptr", "deps", "signature"), out[1:]))


__all__ = ["decode_nodes"]
