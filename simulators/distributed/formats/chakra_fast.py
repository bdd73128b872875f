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
Importing this module imports numba (about half a second), so ``chakra_et`` imports it only for files
large enough for it to pay (workload traces, not a microbenchmark's one node).
"""

from __future__ import annotations

import numpy as np
from numba import njit

PLAIN = 0
NOT_PLAIN = 1

_IS_CPU_OP = np.frombuffer(b"is_cpu_op", dtype=np.uint8)
_COMM_TYPE = np.frombuffer(b"comm_type", dtype=np.uint8)
_COMM_SIZE = np.frombuffer(b"comm_size", dtype=np.uint8)
_INVOLVED_DIM = np.frombuffer(b"involved_dim", dtype=np.uint8)
_PG_NAME = np.frombuffer(b"pg_name", dtype=np.uint8)
_NAMES = (_IS_CPU_OP, _COMM_TYPE, _COMM_SIZE, _INVOLVED_DIM, _PG_NAME)


@njit(cache=True)
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


@njit(cache=True)
def _ascii(buf, a, b):
    for k in range(a, b):
        if buf[k] >= 0x80:
            return False
    return True


@njit(cache=True)
def _is(buf, a, n, word):
    if n != word.shape[0]:
        return False
    for k in range(n):
        if buf[a + k] != word[k]:
            return False
    return True


@njit(cache=True)
def _attr(buf, a, e, names):
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
            if not _ascii(buf, pos, pos + n):
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
                if v & 1:
                    return -1, 0, 0, False
                if field == 15 and v >= 4294967296:
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
        for k in range(5):
            if _is(buf, name_a, name_n, names[k]):
                which = k
    return which, kind, value, True


@njit(cache=True)
def _deps_field(buf, pos, e, wt, out, n_out, cap):
    """Append one ctrl_deps/data_deps field's values to out[n_out:]; returns (new count, position) (-1: not plain)."""
    if wt == 0:
        v, pos = _varint(buf, pos, e)
        if pos < 0 or n_out >= cap:
            return n_out, -1
        out[n_out] = v
        return n_out + 1, pos
    if wt != 2:
        return n_out, -1
    n, pos = _varint(buf, pos, e)
    if pos < 0 or pos + n > e:
        return n_out, -1
    end = pos + n
    while pos < end:
        v, pos = _varint(buf, pos, end)
        if pos < 0 or n_out >= cap:
            return n_out, -1
        out[n_out] = v
        n_out += 1
    return n_out, pos


@njit(cache=True)
def _lower_bound(a, x):
    lo = 0
    hi = a.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def _sort_order(ids, order):
    """order = the stable argsort of ids (insertion sort: trace ids come nearly sorted)."""
    n = ids.shape[0]
    for i in range(n):
        order[i] = i
    for i in range(1, n):
        j = order[i]
        v = ids[j]
        k = i - 1
        while k >= 0 and ids[order[k]] > v:
            order[k + 1] = order[k]
            k -= 1
        order[k + 1] = j


@njit(cache=True)
def _count(buf, start):
    """Number of length-prefixed messages in buf[start:]; -1 if the framing is broken."""
    end = buf.shape[0]
    count = 0
    pos = start
    while pos < end:
        n, pos = _varint(buf, pos, end)
        if pos < 0 or pos + n > end:
            return -1
        pos += n
        count += 1
    return count


@njit(cache=True)
def _decode(buf, start, names, ids, kinds, dur, comm, size, name_a, name_n, dep_ptr, deps, data_tmp, ctrl_tmp, sig):
    """Fill the arrays from the ``ids.shape[0]`` node messages of buf[start:]; returns (PLAIN or NOT_PLAIN, parent count).

    ``sig[:1 + 5 * count + parents]`` is then the signature."""
    count = ids.shape[0]
    cap = data_tmp.shape[0]
    seen = np.zeros(3, np.bool_)  # first is_cpu_op / comm_type / comm_size seen
    vkind = np.zeros(3, np.int64)
    vval = np.zeros(3, np.int64)
    ndeps = 0
    dep_ptr[0] = 0
    pos = start
    for i in range(count):
        n, pos = _varint(buf, pos, buf.shape[0])
        e = pos + n
        nid = 0
        na = pos
        nn = 0
        ntype = 0
        ndur = 0
        nd = 0
        nc = 0
        seen[:] = False
        vkind[:] = 0
        vval[:] = 0
        while pos < e:
            tag, pos = _varint(buf, pos, e)
            if pos < 0:
                return NOT_PLAIN, 0
            field = tag >> 3
            wt = tag & 7
            if field == 4 or field == 5:
                if field == 5:
                    nd, pos = _deps_field(buf, pos, e, wt, data_tmp, nd, cap)
                else:
                    nc, pos = _deps_field(buf, pos, e, wt, ctrl_tmp, nc, cap)
                if pos < 0:
                    return NOT_PLAIN, 0
            elif wt == 0 and (field == 1 or field == 3 or field == 6 or field == 7):
                v, pos = _varint(buf, pos, e)
                if pos < 0:
                    return NOT_PLAIN, 0
                if field == 1:
                    nid = v
                elif field == 3:
                    ntype = v
                elif field == 7:
                    ndur = v
            elif wt == 2 and (field == 2 or field == 10):
                m, pos = _varint(buf, pos, e)
                if pos < 0 or pos + m > e:
                    return NOT_PLAIN, 0
                if field == 2:
                    if not _ascii(buf, pos, pos + m):
                        return NOT_PLAIN, 0
                    na, nn = pos, m
                else:
                    which, kind, value, ok = _attr(buf, pos, pos + m, names)
                    if not ok or which >= 3:  # involved_dim, pg_name
                        return NOT_PLAIN, 0
                    if which >= 0 and not seen[which]:
                        seen[which] = True
                        vkind[which] = kind
                        vval[which] = value
                pos += m
            else:
                return NOT_PLAIN, 0
        ids[i] = nid
        name_a[i] = na
        name_n[i] = nn
        # is_cpu_op: absent, no value, or an integer / bool 0
        if seen[0] and (vkind[0] == 3 or (vkind[0] != 0 and vval[0] != 0)):
            return NOT_PLAIN, 0
        if ntype == 4:  # COMP_NODE
            kinds[i] = 0
            dur[i] = ndur
            comm[i] = -1
            size[i] = 0
        elif ntype == 7:  # COMM_COLL_NODE
            kinds[i] = 1
            dur[i] = 0
            if not seen[1] or vkind[1] != 1:
                return NOT_PLAIN, 0
            ct = vval[1]
            comm[i] = ct
            if ct == 5:  # BROADCAST: lasts its duration
                size[i] = ndur * 1000 if ndur != 0 else 1
            elif ct == 0 or ct == 2 or ct == 6 or ct == 7:
                if not seen[2] or vkind[2] != 1:
                    return NOT_PLAIN, 0
                size[i] = vval[2]
            else:
                return NOT_PLAIN, 0
        else:
            return NOT_PLAIN, 0
        # parents: data_deps then ctrl_deps, first occurrence kept
        first = ndeps
        for k in range(nd + nc):
            d = data_tmp[k] if k < nd else ctrl_tmp[k - nd]
            dup = False
            for q in range(first, ndeps):
                if deps[q] == d:
                    dup = True
                    break
            if not dup:
                deps[ndeps] = d
                ndeps += 1
        dep_ptr[i + 1] = ndeps
    # unique ids, every parent present
    order = np.empty(count, np.int64)
    _sort_order(ids, order)
    sorted_ids = np.empty(count, np.int64)
    for k in range(count):
        sorted_ids[k] = ids[order[k]]
    for k in range(1, count):
        if sorted_ids[k] == sorted_ids[k - 1]:
            return NOT_PLAIN, 0
    for q in range(ndeps):
        j = _lower_bound(sorted_ids, deps[q])
        if j >= count or sorted_ids[j] != deps[q]:
            return NOT_PLAIN, 0
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
            v = _lower_bound(sorted_ids, deps[q])
            k = p + q - a - 1
            while k >= p and sig[k] > v:
                sig[k + 1] = sig[k]
                k -= 1
            sig[k + 1] = v
        p += b - a
    return PLAIN, ndeps


def decode_nodes(data: bytes, start: int):
    """``None`` if ``data[start:]`` (a trace's node messages) is not plain (module docstring), else a dict of arrays:
    ``ids``, ``kinds`` (0 compute, 1 collective), ``dur`` (duration_micros of compute nodes), ``comm`` (Chakra
    comm_type, -1 for compute), ``size`` (bytes; BROADCAST: its duration in ns), ``name_a``/``name_n`` (offset and
    length of each name in ``data``), ``dep_ptr``/``deps`` (parents, data_deps then ctrl_deps, CSR) and
    ``signature`` (int64 array: the graph up to node ids, in ascending id)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    count = _count(buf, start)
    if count < 0:
        return None
    cap = len(data) - start + 1
    out = {k: np.empty(count, np.int64) for k in ("ids", "dur", "comm", "size", "name_a", "name_n")}
    out["kinds"] = np.empty(count, np.int8)
    out["dep_ptr"] = np.empty(count + 1, np.int64)
    deps = np.empty(cap, np.int64)
    sig = np.empty(1 + 5 * count + cap, np.int64)
    status, ndeps = _decode(buf, start, _NAMES, out["ids"], out["kinds"], out["dur"], out["comm"], out["size"], out["name_a"],
                            out["name_n"], out["dep_ptr"], deps, np.empty(cap, np.int64), np.empty(cap, np.int64), sig)
    if status != PLAIN:
        return None
    out["deps"] = deps[:ndeps]
    out["signature"] = sig[:1 + 5 * count + ndeps]
    return out


__all__ = ["decode_nodes"]
