"""Chakra execution traces (``PREFIX.<npu>.et``, ASTRA-sim's ``--workload-configuration``), read and written.

A file is a sequence of protobuf messages of Chakra's schema (``chakra_schema``), each preceded by its
length as a varint (Chakra's ``protolib.encodeMessage``): one ``GlobalMetadata``, then ``Node``s until
the end of the file. The messages themselves are parsed by the protobuf runtime; only the framing is
done here.

How ASTRA-sim 2.x (``workload/Workload.cc``, ``HardwareResource.cc``, chakra ``feeder_v3``) reads a
node, and what :func:`workload_nodes` makes of it:

- the parents of a node are its ``data_deps`` and its ``ctrl_deps`` together (feeder_v3 resolves
  both); ids must be unique in a file and every parent must exist.
- ``COMP_NODE``: lasts ``duration_micros * 1000`` ns (1 ns if 0) on the NPU's compute resource.
  With ``roofline-enabled`` ASTRA-sim times it from ``num_ops``/``tensor_size`` instead (not modelled:
  refused by ``run_astrasim``).
- ``COMM_COLL_NODE``: attributes ``comm_type`` (``CollectiveCommType``: ALL_REDUCE, ALL_GATHER,
  REDUCE_SCATTER, ALL_TO_ALL are simulated; BROADCAST is not simulated but lasts its
  ``duration_micros * 1000`` ns, 1 ns if 0, on the communication resource; the others make
  ASTRA-sim throw "Unsupported collective comm type") and ``comm_size`` (bytes), on the NPU's
  communication resource. ``involved_dim`` (a ``bool_list``; all dimensions by default) and
  ``pg_name`` (a communicator group other than ``""``/``"0"``) restrict the collective to part of
  the network, which is not modelled: refused unless every dimension is involved and the group is
  the whole world. ``comm_priority`` only orders collectives that wait together, which the
  one-collective-at-a-time workload layer never makes happen.
- attribute values may be given in any of the schema's scalar fields (int64_val, uint64_val, ...),
  as feeder_v3 accepts any of them.
- ``is_cpu_op`` true (a third, CPU, resource), ``COMM_SEND_NODE``/``COMM_RECV_NODE``
  (point-to-point), ``MEM_LOAD_NODE``/``MEM_STORE_NODE`` (remote memory), ``METADATA_NODE`` and
  ``INVALID_NODE`` are not modelled: refused with ``NotImplementedError`` naming file and node.
"""

from __future__ import annotations

from pathlib import Path

from archgym.simulators.distributed.formats import filecache
from archgym.simulators.distributed.formats.chakra_fast import decode_nodes
from archgym.simulators.distributed.formats.chakra_schema import AttributeProto, CollectiveCommType, GlobalMetadata, Node, NodeType
from archgym.simulators.distributed.workload import WorkloadNode

#: Chakra ``comm_type`` -> archgym's collective names
SIMULATED_COMM_TYPES = {CollectiveCommType["ALL_REDUCE"]: "AllReduce", CollectiveCommType["ALL_GATHER"]: "AllGather",
                        CollectiveCommType["REDUCE_SCATTER"]: "ReduceScatter", CollectiveCommType["ALL_TO_ALL"]: "AllToAll"}
COMM_TYPE_OF = {v: k for k, v in SIMULATED_COMM_TYPES.items()}
#: the stand-in collective name of a Chakra BROADCAST: its ``size_bytes`` holds its duration in ns
BROADCAST = "Broadcast"
_TYPE_NAMES = {v: k for k, v in NodeType.items()}
_COMM_NAMES = {v: k for k, v in CollectiveCommType.items()}
_SCALARS = ("int64_val", "uint64_val", "int32_val", "uint32_val", "sint64_val", "sint32_val", "fixed64_val", "fixed32_val",
            "sfixed64_val", "sfixed32_val", "double_val", "float_val", "bool_val", "string_val", "bytes_val")


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _frames(data: bytes, source: str):
    """The messages' bytes, one by one, from a length-delimited stream."""
    pos, n = 0, len(data)
    while pos < n:
        length, shift = 0, 0
        while True:
            if pos >= n:
                raise ValueError(f"{source}: truncated length prefix at byte {pos}: not a Chakra .et file")
            b = data[pos]
            pos += 1
            length |= (b & 0x7F) << shift
            if not b & 0x80:
                break
            shift += 7
            if shift > 63:
                raise ValueError(f"{source}: bad length prefix at byte {pos}: not a Chakra .et file")
        if pos + length > n:
            raise ValueError(f"{source}: message of {length} bytes at byte {pos} runs past the end of the file ({n} bytes)")
        yield data[pos:pos + length]
        pos += length


def _read_bytes(path) -> bytes:
    try:
        return filecache.read_bytes(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"workload file: {path} does not exist") from None


def read_et(path, data: bytes | None = None):
    """``(GlobalMetadata, [Node, ...])`` of one Chakra ``.et`` file (``data``: its bytes, if already read)."""
    path = Path(path)
    if data is None:
        data = _read_bytes(path)
    frames = _frames(data, str(path))
    try:
        first = next(frames)
    except StopIteration:
        raise ValueError(f"{path}: empty file: a Chakra .et file starts with a GlobalMetadata message") from None
    try:
        meta = GlobalMetadata.FromString(first)
        nodes = [Node.FromString(b) for b in frames]
    except Exception as e:  # protobuf's DecodeError
        raise ValueError(f"{path}: not a Chakra execution trace (protobuf could not parse a message: {e})") from None
    return meta, nodes


def write_et(path, nodes, metadata=None) -> None:
    """Write ``nodes`` (Chakra ``Node`` messages) after ``metadata`` (default ``GlobalMetadata(version="0.0.4")``)."""
    meta = metadata if metadata is not None else GlobalMetadata(version="0.0.4")
    with open(path, "wb") as f:
        for m in (meta, *nodes):
            b = m.SerializeToString()
            f.write(_varint(len(b)))
            f.write(b)


def attribute(node, name: str, default=None):
    """The value of attribute ``name`` of a Chakra node (whichever scalar field holds it), or ``default``."""
    for a in node.attr:
        if a.name == name:
            which = a.WhichOneof("value")
            return getattr(a, which) if which is not None else default
    return default


def _attr_msg(node, name: str):
    for a in node.attr:
        if a.name == name:
            return a
    return None


def _integer_attr(node, name, where):
    v = attribute(node, name)
    if v is None:
        raise ValueError(f"{where}: attribute {name!r} is missing")
    if isinstance(v, bytes | str) or int(v) != v or v < 0:
        raise ValueError(f"{where}: attribute {name} {v!r} must be a non-negative integer")
    return int(v)


def workload_nodes(nodes, source: str = "<trace>", num_dims: int | None = None) -> list[WorkloadNode]:
    """Chakra ``Node`` messages -> :class:`WorkloadNode` s for ``schedule_workload`` (see the module docstring)."""
    out, seen = [], set()
    for n in nodes:
        where = f"{source}: node {n.id} ({n.name!r})"
        if n.id in seen:
            raise ValueError(f"{where}: node id {n.id} appears twice")
        seen.add(n.id)
        kind = _TYPE_NAMES.get(n.type, str(n.type))
        deps = tuple(dict.fromkeys((*n.data_deps, *n.ctrl_deps)))
        cpu = attribute(n, "is_cpu_op", False)
        if cpu:
            raise NotImplementedError(f"{where}: is_cpu_op true (ASTRA-sim's separate CPU resource) is not modelled")
        if kind == "COMP_NODE":
            out.append(WorkloadNode(n.id, n.name, "compute", deps, duration_us=int(n.duration_micros)))
        elif kind == "COMM_COLL_NODE":
            ctype = _integer_attr(n, "comm_type", where)
            if ctype == CollectiveCommType["BROADCAST"]:
                out.append(WorkloadNode(n.id, n.name, "collective", deps, collective=BROADCAST,
                                        size_bytes=int(n.duration_micros) * 1000 or 1))
                continue
            if ctype not in SIMULATED_COMM_TYPES:
                raise ValueError(f"{where}: comm_type {ctype} ({_COMM_NAMES.get(ctype, 'unknown')}) is not simulated by "
                                 "ASTRA-sim ('Unsupported collective comm type'); allowed: ALL_REDUCE (0), ALL_GATHER (2), "
                                 "ALL_TO_ALL (6), REDUCE_SCATTER (7), BROADCAST (5)")
            size = _integer_attr(n, "comm_size", where)
            dims = _attr_msg(n, "involved_dim")
            if dims is not None:
                if dims.WhichOneof("value") != "bool_list":
                    raise ValueError(f"{where}: involved_dim must be a bool_list (ASTRA-sim exits: 'Expected bool_list in "
                                     "involved_dim but found another type')")
                vals = list(dims.bool_list.values)
                used = vals[:num_dims] if num_dims is not None else vals
                if not all(used) or (num_dims is not None and len(vals) < num_dims):
                    raise NotImplementedError(f"{where}: involved_dim {vals} leaves out network dimensions: collectives on "
                                              "part of the network are not modelled")
            pg = attribute(n, "pg_name", "")
            if pg not in ("", "0", b"", b"0"):
                raise NotImplementedError(f"{where}: pg_name {pg!r}: communicator groups (--comm-group-configuration) are "
                                          "not modelled; only the whole world ('' or '0')")
            out.append(WorkloadNode(n.id, n.name, "collective", deps, collective=SIMULATED_COMM_TYPES[ctype], size_bytes=size))
        else:
            what = {"COMM_SEND_NODE": "point-to-point sends", "COMM_RECV_NODE": "point-to-point receives",
                    "MEM_LOAD_NODE": "remote-memory loads", "MEM_STORE_NODE": "remote-memory stores",
                    "METADATA_NODE": "metadata nodes", "INVALID_NODE": "invalid (skipped) nodes"}.get(kind, "this node type")
            raise NotImplementedError(f"{where}: type {kind}: {what} are not modelled (only COMP_NODE and COMM_COLL_NODE)")
    for w in out:
        for d in w.deps:
            if d not in seen:
                raise ValueError(f"{source}: node {w.id} ({w.name!r}) depends on node {d}, which is not in the file")
    return out


#: files at least this large are read by the compiled reader (``chakra_fast``) when they are plain, once the process has
#: read ``COMPILED_AFTER_BYTES`` of traces with protobuf: the compiled reader's first use costs numba's start-up
#: (about half a second, what protobuf takes for about 1 MB of traces), which a single run of a small workload
#: would not win back (``use_compiled_reader()`` switches at once, e.g. before a sweep)
FAST_MIN_BYTES = 2048
COMPILED_AFTER_BYTES = 1 << 20
_protobuf_bytes = [0]


def use_compiled_reader() -> None:
    """Read plain traces with the compiled reader from now on (and load it now)."""
    _protobuf_bytes[0] = max(_protobuf_bytes[0], COMPILED_AFTER_BYTES)
    decode_nodes(b"", 0)
_NAME_OF_COMM = {**{k: v for k, v in SIMULATED_COMM_TYPES.items()}, CollectiveCommType["BROADCAST"]: BROADCAST}
_TRACES = filecache.cache()


class Trace:
    """One NPU's parsed ``.et`` file: its graph (``nodes``, :class:`WorkloadNode` s, made on first use), ``signature``
    (hashable: equal for two graphs that are the same up to node ids and names), ``collectives`` (the sorted
    ``(collective, size_bytes)`` pairs of its collective nodes) and ``has_compute``."""

    __slots__ = ("_nodes", "_arrays", "_data", "signature", "collectives", "has_compute")

    def __init__(self, nodes=None, arrays=None, data=None):
        self._nodes, self._arrays, self._data = nodes, arrays, data
        if nodes is not None:
            rank = {i: k for k, i in enumerate(sorted(n.id for n in nodes))}
            self.signature = tuple(sorted((rank[n.id], n.kind, tuple(sorted(rank[d] for d in n.deps)), n.duration_us, n.collective,
                                           n.size_bytes) for n in nodes))
            self.collectives = tuple(sorted({(n.collective, n.size_bytes) for n in nodes if n.kind == "collective"}))
            self.has_compute = any(n.kind == "compute" for n in nodes)
        else:
            self.signature = arrays["signature"].tobytes()
            kinds = arrays["kinds"]
            coll = kinds == 1
            self.collectives = tuple(sorted({(_NAME_OF_COMM[c], s) for c, s in zip(arrays["comm"][coll].tolist(),
                                                                                   arrays["size"][coll].tolist())}))
            self.has_compute = bool((kinds == 0).any())

    @property
    def nodes(self) -> list[WorkloadNode]:
        if self._nodes is None:
            a, data = self._arrays, self._data
            ptr, deps = a["dep_ptr"].tolist(), a["deps"].tolist()
            out = []
            for i, (nid, kind, dur, comm, size, na, nn) in enumerate(zip(a["ids"].tolist(), a["kinds"].tolist(), a["dur"].tolist(),
                                                                          a["comm"].tolist(), a["size"].tolist(), a["name_a"].tolist(),
                                                                          a["name_n"].tolist())):
                name = data[na:na + nn].decode("ascii")
                dd = tuple(deps[ptr[i]:ptr[i + 1]])
                if kind == 0:
                    out.append(WorkloadNode(nid, name, "compute", dd, duration_us=dur))
                else:
                    out.append(WorkloadNode(nid, name, "collective", dd, collective=_NAME_OF_COMM[comm], size_bytes=size))
            self._nodes = out
            self._arrays = self._data = None
        return self._nodes


def _fast(data: bytes):
    """The arrays of a plain trace (``chakra_fast``), or ``None``."""
    # the GlobalMetadata message: parsed by protobuf, as read_et does
    length, shift, pos = 0, 0, 0
    while pos < len(data) and shift <= 56:
        b = data[pos]
        pos += 1
        length |= (b & 0x7F) << shift
        if not b & 0x80:
            break
        shift += 7
    else:
        return None
    if pos + length > len(data):
        return None
    try:
        GlobalMetadata.FromString(data[pos:pos + length])
    except Exception:  # protobuf's DecodeError: read_et reports it
        return None
    return decode_nodes(data, pos + length)


def read_trace(path, data: bytes | None = None, num_dims: int | None = None) -> Trace:
    """The :class:`Trace` of one ``.et`` file (``data``: its bytes, if already read), remembered under its bytes.

    Plain traces of :data:`FAST_MIN_BYTES` or more are read by ``chakra_fast`` (once the process has read
    :data:`COMPILED_AFTER_BYTES` with protobuf, or after :func:`use_compiled_reader`); every other file by
    protobuf and :func:`workload_nodes`, which also gives every error."""
    if data is None:
        data = _read_bytes(path)
    key = (data, num_dims)
    hit = _TRACES.get(key)
    if hit is not None:
        return hit
    arrays = _fast(data) if len(data) >= FAST_MIN_BYTES and _protobuf_bytes[0] >= COMPILED_AFTER_BYTES else None
    if arrays is not None:
        trace = Trace(arrays=arrays, data=data)
    else:
        path = str(path)
        trace = Trace(nodes=workload_nodes(read_et(path, data)[1], path, num_dims))
        _protobuf_bytes[0] += len(data)
    return filecache.remember(_TRACES, key, trace)


def read_chakra_traces(prefix, total_npus: int, num_dims: int | None = None, *, first: int = 0) -> list[Trace]:
    """Every NPU's :class:`Trace` from ``PREFIX.<first>.et`` ... ``PREFIX.<total_npus-1>.et`` (ASTRA-sim reads one file per NPU)."""
    prefix = str(prefix)
    return [read_trace(path, _read_bytes(path), num_dims) for path in (f"{prefix}.{npu}.et" for npu in range(first, total_npus))]


def read_chakra_workload(prefix, total_npus: int, num_dims: int | None = None) -> list[list[WorkloadNode]]:
    """Every NPU's graph from ``PREFIX.0.et`` ... ``PREFIX.<total_npus-1>.et`` (ASTRA-sim reads one file per NPU)."""
    out, lists = [], {}
    for t in read_chakra_traces(prefix, total_npus, num_dims):
        if id(t) not in lists:  # NPUs with byte-identical files share one list, a new one per call (the Trace keeps its own)
            lists[id(t)] = list(t.nodes)
        out.append(lists[id(t)])
    return out


def chakra_nodes(nodes: list[WorkloadNode], id_offset: int = 0) -> list:
    """:class:`WorkloadNode` s -> Chakra ``Node`` messages (as Chakra's TextConverter lays them out): compute nodes
    with ``duration_micros``, collectives with ``comm_type`` and ``comm_size`` (int64); ``data_deps``."""
    out = []
    for w in nodes:
        n = Node(id=w.id + id_offset, name=w.name, data_deps=[d + id_offset for d in w.deps])
        if w.kind == "compute":
            n.type = NodeType["COMP_NODE"]
            n.duration_micros = w.duration_us
        elif w.kind == "collective" and w.collective in COMM_TYPE_OF:
            n.type = NodeType["COMM_COLL_NODE"]
            n.attr.append(AttributeProto(name="comm_type", int64_val=COMM_TYPE_OF[w.collective]))
            n.attr.append(AttributeProto(name="comm_size", int64_val=w.size_bytes))
        else:
            raise ValueError(f"node {w.id} ({w.name}): {w.kind} {w.collective!r} has no Chakra node type here")
        out.append(n)
    return out


def write_chakra_workload(prefix, nodes: list[WorkloadNode], total_npus: int, *, offset_ids: bool = False, metadata=None) -> list[Path]:
    """Write the same graph for every NPU as ``PREFIX.<npu>.et``; returns the paths.

    ``offset_ids=True`` numbers NPU k's nodes from ``k * len(nodes)``, as Chakra's TextConverter does
    (it never resets its node counter between NPUs); ASTRA-sim reads each file on its own, so ids only
    need to be unique within a file.
    """
    paths = []
    Path(prefix).parent.mkdir(parents=True, exist_ok=True)
    for npu in range(total_npus):
        p = Path(f"{prefix}.{npu}.et")
        write_et(p, chakra_nodes(nodes, npu * len(nodes) if offset_ids else 0), metadata)
        paths.append(p)
    return paths


__all__ = ["read_et", "write_et", "attribute", "workload_nodes", "read_chakra_workload", "read_chakra_traces", "read_trace",
           "Trace", "use_compiled_reader", "chakra_nodes", "write_chakra_workload",
           "BROADCAST"]
