"""Chakra execution traces and ``run_astrasim`` against ASTRA-sim 2.x.

- the message classes come from Chakra's own schema (``formats/et_def.proto``): checked field by field;
- traces written from the reference's text tables equal, node for node, the .et files Chakra's
  TextConverter made for the reference runs (``inputs/workload_et.tar.gz``);
- every one of the 878 reference rows run through ``run_astrasim`` on the reference's own .et
  files: tolerance exact (== in ns) on every NPU's finish time and exposed communication, and on NPU
  0's per-collective (node id, name, issue, finish) list;
- what ASTRA-sim refuses, and what is not modelled, raises naming the file and node.
"""

from __future__ import annotations

import csv
import json
import re
import tarfile
import warnings
from pathlib import Path

import pytest

from archgym.simulators.distributed import run_astrasim
from archgym.simulators.distributed.formats import chakra_et, chakra_schema
from archgym.simulators.distributed.formats.chakra_et import (
    BROADCAST,
    chakra_nodes,
    read_chakra_workload,
    read_et,
    workload_nodes,
    write_chakra_workload,
    write_et,
)
from archgym.simulators.distributed.formats.chakra_schema import AttributeProto, BoolList, GlobalMetadata, Node, NodeType
from archgym.simulators.distributed.formats.text_workload import read_text_workload
from archgym.simulators.distributed.workload import WorkloadNode

REF = Path(__file__).resolve().parents[1] / "reference" / "astrasim"
INPUTS = REF / "inputs"
with open(REF / "astrasim_reference.csv", newline="") as f:
    ROWS = list(csv.DictReader(f))
WORKLOADS = [r for r in ROWS if r["kind"] == "workload"]
PROTO = Path(chakra_schema.__file__).with_name("et_def.proto")


@pytest.fixture(scope="module")
def et_dir(tmp_path_factory):
    """The reference's .et files, extracted (tests never write into the repository)."""
    d = tmp_path_factory.mktemp("astrasim_et")
    with tarfile.open(INPUTS / "workload_et.tar.gz") as t:
        t.extractall(d, filter="data")
    return d


def _run(row, prefix):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. boost-mode, which ASTRA-sim does not read
        return run_astrasim(prefix, INPUTS / row["system_config"], INPUTS / row["network_config"], INPUTS / row["remote_memory_config"],
                            num_queues_per_dim=int(row["num_queues_per_dim"]), backend=row["backend"], num_passes=2)


def _misses(row, res) -> list[str]:
    out = []
    want = {"finish npu0": int(row["finish_ns_npu0"]), "finish min": int(row["finish_ns_min"]), "finish max": int(row["finish_ns_max"]),
            "exposed npu0": int(row["exposed_comm_ns_npu0"]), "exposed max": int(row["exposed_comm_ns_max"])}
    have = {"finish npu0": res.finish_ns[0], "finish min": min(res.finish_ns), "finish max": max(res.finish_ns),
            "exposed npu0": res.exposed_comm_ns[0], "exposed max": max(res.exposed_comm_ns)}
    if have != want:
        out.append(f"{row['case_id']}: model {have}, ASTRA-sim {want}")
    if row["finish_ns_per_npu"] and [int(x) for x in row["finish_ns_per_npu"].split(";")] != res.finish_ns:
        out.append(f"{row['case_id']}: per NPU model {res.finish_ns}, ASTRA-sim {row['finish_ns_per_npu']}")
    if len(res.finish_ns) != int(row["total_npus"]):
        out.append(f"{row['case_id']}: {len(res.finish_ns)} NPUs, want {row['total_npus']}")
    if row["kind"] == "workload":
        if [tuple(x) for x in json.loads(row["wl_per_collective_ns_npu0"])] != res.collectives:
            out.append(f"{row['case_id']}: per-collective (id, name, issue, finish) differ")
        r0 = res.npus[0]
        got = (r0.wall_time_ns, r0.comm_time_ns, r0.gpu_time_ns, r0.comp_comm_overlap_ns)
        ref = tuple(int(row[k]) for k in ("wall_time_ns_npu0", "comm_time_ns_npu0", "gpu_time_ns_npu0", "comp_comm_overlap_ns_npu0"))
        if got != ref:
            out.append(f"{row['case_id']}: wall/comm/gpu/overlap model {got}, ASTRA-sim {ref}")
    return out


def _proto_fields(text: str):
    """(messages {name: {field: number}}, enums {name: {value: number}}) read from the .proto, to check the descriptor."""
    text = re.sub(r"//[^\n]*", "", text)
    msgs, enums = {}, {}
    for kind, name, body in re.findall(r"\b(message|enum)\s+(\w+)\s*\{((?:[^{}]|\{[^{}]*\})*)\}", text):
        if kind == "message":
            msgs[name] = {f: int(n) for f, n in re.findall(r"(\w+)\s*=\s*(\d+)\s*;", body)}
        else:
            enums[name] = {f: int(n) for f, n in re.findall(r"(\w+)\s*=\s*(\d+)\s*;", body)}
    return msgs, enums


def test_schema_is_chakras_et_def_proto():
    msgs, enums = _proto_fields(PROTO.read_text())
    assert "package ChakraProtoMsg;" in PROTO.read_text() and chakra_schema.FILE.package == "ChakraProtoMsg"
    assert {m.name: {f.name: f.number for f in m.field} for m in chakra_schema.FILE.message_type} == msgs
    assert {e.name: {v.name: v.number for v in e.value} for e in chakra_schema.FILE.enum_type} == enums
    assert chakra_schema.NodeType["COMM_COLL_NODE"] == 7 and chakra_schema.CollectiveCommType["REDUCE_SCATTER"] == 7


def test_schema_matches_protoc_when_available(tmp_path):
    grpc_tools = pytest.importorskip("grpc_tools.protoc")
    from google.protobuf import descriptor_pb2

    out = tmp_path / "et_def.desc"
    assert grpc_tools.main(["protoc", f"-I{PROTO.parent}", f"--descriptor_set_out={out}", str(PROTO)]) == 0
    s = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    assert s.file[0] == chakra_schema.FILE


def test_round_trip_and_framing(tmp_path):
    big = Node(id=300, name="x" * 200, type=NodeType["COMP_NODE"], duration_micros=7, data_deps=[1, 2])  # a 2-byte length prefix
    p = tmp_path / "t.0.et"
    write_et(p, [Node(id=1, type=NodeType["COMP_NODE"]), Node(id=2, type=NodeType["COMP_NODE"]), big])
    meta, nodes = read_et(p)
    assert meta.version == "0.0.4" and nodes[-1] == big and len(nodes) == 3
    p.write_bytes(p.read_bytes()[:-5])
    with pytest.raises(ValueError, match=r"t\.0\.et: message of \d+ bytes at byte \d+ runs past the end"):
        read_et(p)
    p.write_bytes(b"")
    with pytest.raises(ValueError, match="empty file"):
        read_et(p)
    p.write_bytes(b"\x05\xff\xff\xff\xff\xff")
    with pytest.raises(ValueError, match="not a Chakra execution trace"):
        read_et(p)


@pytest.mark.parametrize("row", WORKLOADS, ids=[f"{r['case_id']}-{r['workload_model']}-{r['total_npus']}" for r in WORKLOADS])
def test_written_traces_equal_chakras_and_run_exact(row, et_dir, tmp_path):
    """.et files written from the text table == the TextConverter's, node for node; run_astrasim on them == ASTRA-sim."""
    table = INPUTS / (row["workload_prefix"] + ".txt")
    graph = read_text_workload(table, int(float(row["num_passes"])))
    npus = int(row["total_npus"])
    prefix = tmp_path / Path(row["workload_prefix"]).name
    write_chakra_workload(prefix, graph, npus, offset_ids=True)
    for k in sorted({0, 1, npus - 1}):
        assert read_et(f"{prefix}.{k}.et")[1] == read_et(et_dir / f"{row['workload_prefix']}.{k}.et")[1]
    assert not _misses(row, _run(row, prefix))
    assert not _misses(row, _run(row, table))  # the text workload itself, converted in process


def test_every_reference_row_exact_on_its_own_et_files(et_dir):
    misses = []
    for row in ROWS:
        misses += _misses(row, _run(row, et_dir / row["workload_prefix"]))
    assert not misses, f"{len(misses)} of {len(ROWS)} rows not exact (tolerance: == in ns):\n" + "\n".join(misses)


def test_reader_maps_the_reference_traces(et_dir):
    graphs = read_chakra_workload(et_dir / "workload/train/gpt_small_16npus_2passes/gpt_small", 16)
    assert [n.id for n in graphs[1]][:2] == [110, 111]  # the TextConverter never resets its node counter between NPUs
    colls = [n for n in graphs[0] if n.kind == "collective"]
    assert len(colls) == 28 and {n.collective for n in colls} == {"AllReduce"} and colls[0].deps == (colls[0].id - 1,)
    (micro,) = read_chakra_workload(et_dir / "workload/micro/a2a_1024B_16npus/a2a", 1)[0]
    assert (micro.kind, micro.collective, micro.size_bytes) == ("collective", "AllToAll", 1024)


def _coll(id_, ctype=0, size=1024, **extra):
    n = Node(id=id_, name=f"c{id_}", type=NodeType["COMM_COLL_NODE"])
    n.attr.append(AttributeProto(name="comm_type", int64_val=ctype))
    n.attr.append(AttributeProto(name="comm_size", uint64_val=size))  # any scalar field, as feeder_v3 reads it
    for k, v in extra.items():
        n.attr.append(v if isinstance(v, AttributeProto) else AttributeProto(name=k, **v))
    return n


def test_node_mapping_and_refusals():
    comp = Node(id=0, name="f", type=NodeType["COMP_NODE"], duration_micros=3)
    c = _coll(1)
    c.ctrl_deps.append(0)
    (a, b) = workload_nodes([comp, c], "w.0.et")
    assert (a.kind, a.duration_us, b.collective, b.size_bytes, b.deps) == ("compute", 3, "AllReduce", 1024, (0,))
    bc = _coll(2, ctype=5)
    bc.duration_micros = 4
    assert workload_nodes([bc])[0].collective == BROADCAST and workload_nodes([bc])[0].size_bytes == 4000
    ok_dims = AttributeProto(name="involved_dim", bool_list=BoolList(values=[True, True, True, True]))
    assert workload_nodes([_coll(3, involved_dim=ok_dims)], "w", num_dims=2)[0].collective == "AllReduce"
    bad = {
        "comm_type 1 \\(REDUCE\\) is not simulated": [_coll(0, ctype=1)],
        "attribute 'comm_size' is missing": [Node(id=0, type=NodeType["COMM_COLL_NODE"],
                                                   attr=[AttributeProto(name="comm_type", int64_val=0)])],
        "node id 0 appears twice": [comp, comp],
        "depends on node 9, which is not in the file": [Node(id=0, type=NodeType["COMP_NODE"], data_deps=[9])],
        "involved_dim must be a bool_list": [_coll(0, involved_dim={"int64_val": 1})],
    }
    for msg, nodes in bad.items():
        with pytest.raises(ValueError, match=msg):
            workload_nodes(nodes, "w.0.et", num_dims=2)
    not_modelled = {
        "is_cpu_op true": [Node(id=0, type=NodeType["COMP_NODE"], attr=[AttributeProto(name="is_cpu_op", bool_val=True)])],
        "COMM_SEND_NODE: point-to-point sends": [Node(id=0, type=NodeType["COMM_SEND_NODE"])],
        "MEM_LOAD_NODE: remote-memory loads": [Node(id=0, type=NodeType["MEM_LOAD_NODE"])],
        "METADATA_NODE": [Node(id=0, type=NodeType["METADATA_NODE"])],
        "involved_dim \\[True, False\\] leaves out": [_coll(0, involved_dim=AttributeProto(name="involved_dim",
                                                                                             bool_list=BoolList(values=[True, False])))],
        "pg_name '3': communicator groups": [_coll(0, pg_name={"string_val": "3"})],
    }
    for msg, nodes in not_modelled.items():
        with pytest.raises(NotImplementedError, match=msg):
            workload_nodes(nodes, "w.0.et", num_dims=2)
    assert workload_nodes([_coll(0, pg_name={"string_val": "0"})])[0].collective == "AllReduce"
    with pytest.raises(ValueError, match="has no Chakra node type"):
        chakra_nodes([WorkloadNode(0, "b", "collective", collective=BROADCAST, size_bytes=5)])


@pytest.mark.filterwarnings("ignore:.*boost-mode")
def test_run_astrasim_inputs(tmp_path):
    row = next(r for r in ROWS if r["case_id"] == "c00000")
    sysf, netf = INPUTS / row["system_config"], INPUTS / row["network_config"]
    with pytest.raises(FileNotFoundError, match=r"workload file: .*nothing\.0\.et does not exist"):
        run_astrasim(tmp_path / "nothing", sysf, netf)
    graph = [WorkloadNode(0, "ar", "collective", collective="AllReduce", size_bytes=1024)]
    write_chakra_workload(tmp_path / "ar", graph, 3)  # 4 NPUs in the network
    with pytest.raises(FileNotFoundError, match=r"ar\.3\.et does not exist"):
        run_astrasim(tmp_path / "ar", sysf, netf)
    write_chakra_workload(tmp_path / "ar", graph, 4)
    res = run_astrasim(tmp_path / "ar", sysf, netf, INPUTS / row["remote_memory_config"])
    assert res.finish_ns == [12304] * 4 and res.collectives == [(0, "ar", 0, 12304)]
    assert res.lines()[1] == "sys[1] finished, 12304 cycles, exposed communication 12304 cycles."
    with pytest.raises(ValueError, match="backend 'ns3' is not one of"):
        run_astrasim(tmp_path / "ar", sysf, netf, backend="ns3")
    with pytest.raises(ValueError, match="num-queues-per-dim 0"):
        run_astrasim(tmp_path / "ar", sysf, netf, num_queues_per_dim=0)
    with pytest.raises(FileNotFoundError, match="network configuration file: .*nope.yml does not exist"):
        run_astrasim(tmp_path / "ar", sysf, tmp_path / "nope.yml")
    roof = tmp_path / "roof.json"
    roof.write_text(json.dumps({**json.loads(sysf.read_text()), "roofline-enabled": 1}))
    run_astrasim(tmp_path / "ar", roof, netf)  # no compute node: roofline does not matter
    write_chakra_workload(tmp_path / "cp", [WorkloadNode(0, "f", "compute", duration_us=1)], 4)
    with pytest.raises(NotImplementedError, match="roofline-enabled 1"):
        run_astrasim(tmp_path / "cp", roof, netf)
    bcast = Node(id=0, name="b", type=NodeType["COMM_COLL_NODE"], duration_micros=2,
                 attr=[AttributeProto(name="comm_type", int64_val=5), AttributeProto(name="comm_size", int64_val=8)])
    for k in range(4):
        write_et(tmp_path / f"bc.{k}.et", [bcast], GlobalMetadata(version="0.0.4"))
    assert run_astrasim(tmp_path / "bc", sysf, netf).finish_ns == [2000] * 4  # a broadcast lasts its duration, not simulated


# the compiled reader (formats/chakra_fast.py) ------------------------------------------------------------------------


def _both(nodes, tmp_path, name="t"):
    """(compiled Trace or None when not plain, protobuf + workload_nodes result or the exception it raised) of a trace."""
    p = tmp_path / f"{name}.0.et"
    write_et(p, nodes)
    data = p.read_bytes()
    arrays = chakra_et._fast(data)
    try:
        slow = workload_nodes(read_et(p, data)[1], str(p), 2)
    except (ValueError, NotImplementedError) as e:
        slow = e
    return (chakra_et.Trace(arrays=arrays, data=data) if arrays is not None else None), slow


def test_compiled_reader_equals_protobuf_on_the_reference_traces(et_dir):
    for row in WORKLOADS:
        npus = int(row["total_npus"])
        for k in sorted({0, 1, npus - 1}):
            p = et_dir / f"{row['workload_prefix']}.{k}.et"
            data = p.read_bytes()
            arrays = chakra_et._fast(data)
            assert arrays is not None, p  # the TextConverter's traces are plain
            fast = chakra_et.Trace(arrays=arrays, data=data)
            slow = chakra_et.Trace(nodes=workload_nodes(read_et(p, data)[1], str(p), 2))
            assert fast.nodes == slow.nodes and fast.collectives == slow.collectives and fast.has_compute == slow.has_compute
        a = chakra_et.read_trace(et_dir / f"{row['workload_prefix']}.0.et")
        b = chakra_et.read_trace(et_dir / f"{row['workload_prefix']}.{npus - 1}.et")
        assert a.signature == b.signature  # the same graph up to node ids


def test_compiled_reader_plain_cases_and_fallbacks(tmp_path):
    comp = [Node(id=10 + i, name=f"f{i}", type=NodeType["COMP_NODE"], duration_micros=i, data_deps=[10 + i - 1] if i else [])
            for i in range(3)]
    mixed = _coll(20, ctype=2, size=77)
    mixed.data_deps.extend([12, 11])
    mixed.ctrl_deps.extend([11, 10])  # parents: data then ctrl, first occurrence kept
    typed = [_coll(21, ctype=7, size=5, **{"is_cpu_op": {"int32_val": 0}}), _coll(22, ctype=6, size=9),
             Node(id=23, name="b", type=NodeType["COMM_COLL_NODE"], duration_micros=3,
                  attr=[AttributeProto(name="comm_type", uint32_val=5)]),
             Node(id=24, name="s", type=NodeType["COMP_NODE"], attr=[AttributeProto(name="note", string_val="x"),
                                                                    AttributeProto(name="d", double_val=1.5)])]
    typed[1].attr[1].CopyFrom(AttributeProto(name="comm_size", sint64_val=9))
    plain = {"chain": comp, "deps": comp + [mixed], "typed": comp + typed, "unsorted ids": [comp[2], comp[0], comp[1]]}
    for name, nodes in plain.items():
        fast, slow = _both(nodes, tmp_path, name.replace(" ", "_"))
        assert fast is not None, name
        assert fast.nodes == slow, name
    assert _both(comp + [mixed], tmp_path)[0].nodes[-1].deps == (12, 11, 10)
    cpu = Node(id=30, type=NodeType["COMP_NODE"], attr=[AttributeProto(name="is_cpu_op", bool_val=True)])
    not_plain = {
        "is_cpu_op": [cpu], "involved_dim": [_coll(0, involved_dim={"int64_val": 1})], "pg_name": [_coll(0, pg_name={"string_val": "0"})],
        "send": [Node(id=0, type=NodeType["COMM_SEND_NODE"])], "reduce": [_coll(0, ctype=1)],
        "duplicate": [comp[0], comp[0]], "missing parent": [Node(id=0, type=NodeType["COMP_NODE"], data_deps=[9])],
        "no size": [Node(id=0, type=NodeType["COMM_COLL_NODE"], attr=[AttributeProto(name="comm_type", int64_val=0)])],
        "negative size": [Node(id=0, type=NodeType["COMM_COLL_NODE"], attr=[AttributeProto(name="comm_type", int64_val=0),
                                                                           AttributeProto(name="comm_size", int64_val=-1)])],
        "unicode name": [Node(id=0, name="größe", type=NodeType["COMP_NODE"])],
        "string size": [Node(id=0, type=NodeType["COMM_COLL_NODE"], attr=[AttributeProto(name="comm_type", int64_val=0),
                                                                         AttributeProto(name="comm_size", string_val="8")])],
    }
    for name, nodes in not_plain.items():
        fast, slow = _both(nodes, tmp_path, name.replace(" ", "_"))
        assert fast is None, name  # left to protobuf and workload_nodes, which give the answer or the error
    assert _both(not_plain["unicode name"], tmp_path)[1][0].name == "größe"
    p = tmp_path / "cut.0.et"
    write_et(p, comp)
    assert chakra_et._fast(p.read_bytes()[:-3]) is None and chakra_et._fast(b"") is None and chakra_et._fast(b"\x05\xff") is None
    unpacked = bytearray()  # data_deps written unpacked (field 5, wire type 0), which protobuf also reads
    body = bytes([0x08, 1, 0x18, 4, 0x28, 0])
    write_et(p, [Node(id=0, type=NodeType["COMP_NODE"])])
    unpacked += p.read_bytes() + bytes([len(body)]) + body
    arrays = chakra_et._fast(bytes(unpacked))
    assert arrays is not None
    assert chakra_et.Trace(arrays=arrays, data=bytes(unpacked)).nodes == workload_nodes(read_et(p, bytes(unpacked))[1])


def test_trace_cache_is_keyed_on_content(tmp_path):
    graph = [WorkloadNode(i, f"n{i}", "compute", (i - 1,) if i else (), duration_us=1) for i in range(150)]
    (p,) = write_chakra_workload(tmp_path / "g", graph, 1)
    a = chakra_et.read_trace(p)
    assert chakra_et.read_trace(p) is a  # same bytes
    write_chakra_workload(tmp_path / "g", graph[:-1], 1)
    b = chakra_et.read_trace(p)
    assert b is not a and len(b.nodes) == 149  # same path, new content


def test_run_astrasim_same_answer_from_remembered_files(et_dir):
    """A second call (files and collective times remembered under their bytes) and one after clear_caches with the compiled
    reader agree with the first."""
    from archgym.simulators.distributed.formats.filecache import clear_caches

    picks = [r for r in ROWS if r["kind"] == "workload"][:2] + [r for r in ROWS if r["finish_ns_per_npu"]][:2] + ROWS[:3]
    first = [_run(r, et_dir / r["workload_prefix"]) for r in picks]
    again = [_run(r, et_dir / r["workload_prefix"]) for r in picks]
    clear_caches()
    chakra_et.use_compiled_reader()  # the workloads' traces now through the compiled reader
    fresh = [_run(r, et_dir / r["workload_prefix"]) for r in picks]
    for a, b, c, row in zip(first, again, fresh, picks):
        assert a.to_dict() == b.to_dict() == c.to_dict() and not _misses(row, b), row["case_id"]
