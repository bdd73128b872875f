"""Clear errors and warnings of the ASTRA-sim file readers and the model's input checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archgym.simulators.distributed import Network, SystemConfig, collective_ns
from archgym.simulators.distributed.formats import read_network_yaml, read_remote_memory_json, read_system_json

GOOD_NET = "topology: [ Ring, Switch ]\nnpus_count: [ 4, 4 ]\nbandwidth: [ 50.0, 100 ]\nlatency: [ 500.0, 0 ]\n"
GOOD_SYS = {"scheduling-policy": "LIFO", "endpoint-delay": 10, "active-chunks-per-dimension": 1, "preferred-dataset-splits": 4,
            "all-reduce-implementation": ["ring", "halvingDoubling"], "all-gather-implementation": ["ring", "ring"],
            "reduce-scatter-implementation": ["ring", "ring"], "all-to-all-implementation": ["ring", "direct"],
            "collective-optimization": "localBWAware", "local-mem-bw": 1600}


def net_file(tmp_path, text):
    p = tmp_path / "net.yml"
    p.write_text(text)
    return p


def sys_file(tmp_path, **changes):
    data = dict(GOOD_SYS)
    for k, v in changes.items():
        k = k.replace("_", "-")
        if v is None:
            data.pop(k, None)
        else:
            data[k] = v
    p = tmp_path / "sys.json"
    p.write_text(json.dumps(data))
    return p


def test_good_files_read(tmp_path):
    net = read_network_yaml(net_file(tmp_path, GOOD_NET))
    assert net.npus_per_dim == (4, 4) and net.dims[1].latency_ns == 0.0 and net.dims[1].topology == "Switch"
    sysc = read_system_json(sys_file(tmp_path))
    assert sysc.endpoint_delay == 10 and [i.name for i in sysc.implementation("AllReduce")] == ["ring", "halvingDoubling"]


@pytest.mark.parametrize("text, words", [
    (GOOD_NET.replace("Switch", "Torus"), ["net.yml", "topology", "'Torus'", "Ring, Switch, FullyConnected"]),
    (GOOD_NET.replace("[ 4, 4 ]", "[ 4, 1 ]"), ["net.yml", "npus_count", "1", "larger than 1"]),
    (GOOD_NET.replace("[ 4, 4 ]", "[ 4 ]"), ["net.yml", "npus_count", "1 entries", "topology has 2"]),
    (GOOD_NET.replace("[ 500.0, 0 ]", "[ 500.0, -1 ]"), ["net.yml", "latency", "-1", "non-negative"]),
    (GOOD_NET.replace("[ 50.0, 100 ]", "[ 0, 100 ]"), ["net.yml", "bandwidth", "0", "larger than 0"]),
    ("topology: [ Ring ]\nnpus_count: [ 4 ]\nbandwidth: [ 50 ]\n", ["net.yml", "'latency'", "missing"]),
    ("topology: Ring\nnpus_count: [ 4 ]\nbandwidth: [ 50 ]\nlatency: [ 1 ]\n", ["net.yml", "topology", "list"]),
])
def test_network_yaml_errors(tmp_path, text, words):
    with pytest.raises(ValueError) as e:
        read_network_yaml(net_file(tmp_path, text))
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_network_yaml_unknown_key_warns(tmp_path):
    with pytest.warns(UserWarning, match="'links'.*ignored"):
        read_network_yaml(net_file(tmp_path, GOOD_NET + "links: [ 1 ]\n"))


@pytest.mark.parametrize("changes, words", [
    ({"endpoint_delay": 0}, ["sys.json", "endpoint-delay", "0", "at least 1", "EventQueue"]),
    ({"all_to_all_implementation": ["ring", "halvingDoubling"]}, ["sys.json", "all-to-all-implementation", "halvingDoubling",
                                                                  "ring or direct"]),
    ({"all_reduce_implementation": ["ring", "butterfly"]}, ["sys.json", "all-reduce-implementation", "'butterfly'", "allowed"]),
    ({"scheduling_policy": "RANDOM"}, ["sys.json", "scheduling-policy", "'RANDOM'", "LIFO, FIFO, EXPLICIT"]),
    ({"collective_optimization": "fast"}, ["sys.json", "collective-optimization", "'fast'", "baseline, localBWAware"]),
    ({"preferred_dataset_splits": None}, ["sys.json", "preferred-dataset-splits", "missing"]),
    ({"preferred_dataset_splits": 0}, ["sys.json", "preferred-dataset-splits", "0", "at least 1"]),
    ({"active_chunks_per_dimension": 1.5}, ["sys.json", "active-chunks-per-dimension", "1.5"]),
    ({"local_mem_bw": -5}, ["sys.json", "local-mem-bw", "-5", "non-negative"]),
])
def test_system_json_errors(tmp_path, changes, words):
    with pytest.raises(ValueError) as e:
        read_system_json(sys_file(tmp_path, **changes))
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_system_json_warns_where_astrasim_ignores(tmp_path):
    with pytest.warns(UserWarning, match="boost-mode is not read"):
        read_system_json(sys_file(tmp_path, boost_mode=1))
    with pytest.warns(UserWarning, match="'frobnicate' is not read"):
        read_system_json(sys_file(tmp_path, frobnicate=3))


def test_implementation_list_longer_than_network_refused_shorter_warns(tmp_path):
    net = Network.of(["Ring", "Switch"], [4, 4], [50, 100], [500, 1000])
    too_long = SystemConfig(preferred_dataset_splits=4, local_mem_bw_GBps=1600,
                            implementations={"AllReduce": ("ring", "ring", "ring")})
    with pytest.raises(ValueError, match="3 entries but the network has only 2"):
        collective_ns(net, too_long, "AllReduce", 1 << 20)
    short = SystemConfig(preferred_dataset_splits=4, local_mem_bw_GBps=1600, implementations={"AllReduce": ("ring",)})
    with pytest.warns(UserWarning, match="network dimensions 0..0 only"):
        t_short = collective_ns(net, short, "AllReduce", 1 << 20)
    one_dim = Network.of(["Ring"], [4], [50], [500])
    # the shorter list runs a 4-NPU collective on dimension 0 (chunking still counts all 16 NPUs)
    assert t_short == collective_ns(one_dim, short, "AllReduce", 1 << 20)


def test_model_refuses_bad_values():
    net = Network.of(["Switch"], [8], [100], [1000])
    sysc = SystemConfig(preferred_dataset_splits=4, local_mem_bw_GBps=1600, implementations={"AllToAll": ("halvingDoubling",)})
    with pytest.raises(ValueError, match="halvingDoubling does not implement AllToAll"):
        collective_ns(net, sysc, "AllToAll", 1 << 20)
    with pytest.raises(ValueError, match="endpoint-delay 0"):
        SystemConfig(endpoint_delay=0)
    with pytest.raises(ValueError, match="collective size"):
        collective_ns(net, SystemConfig(preferred_dataset_splits=4), "AllReduce", 0)
    with pytest.raises(ValueError, match="local-mem-bw is 0 or missing"):
        collective_ns(net, SystemConfig(preferred_dataset_splits=4), "AllReduce", 1 << 20)
    with pytest.raises(ValueError, match="backend 'garnet'"):
        collective_ns(net, SystemConfig(preferred_dataset_splits=4), "AllGather", 1 << 20, backend="garnet")
    with pytest.raises(ValueError, match="num-queues-per-dim 0"):
        collective_ns(net, SystemConfig(preferred_dataset_splits=4), "AllGather", 1 << 20, queues_per_dim=0)


def test_congestion_aware_refuses_multi_dimensional_networks():
    net = Network.of(["Ring", "Switch"], [4, 4], [50, 100], [500, 1000])
    with pytest.raises(ValueError, match="1-dimensional networks only.*2 dimensions"):
        collective_ns(net, SystemConfig(preferred_dataset_splits=4, local_mem_bw_GBps=1600,
                                        implementations={"AllReduce": ("ring", "ring")}), "AllReduce", 1 << 20,
                      backend="congestion_aware")


def test_missing_implementation_list_named_when_used(tmp_path):
    sysc = read_system_json(sys_file(tmp_path, all_gather_implementation=None))
    net = Network.of(["Ring", "Switch"], [4, 4], [50, 100], [500, 1000])
    with pytest.raises(ValueError, match="all-gather-implementation list is empty"):
        collective_ns(net, sysc, "AllGather", 1 << 20)
    assert collective_ns(net, sysc, "AllReduce", 1 << 20) > 0  # the other collectives still run


def test_double_binary_tree_for_other_collectives_warns(tmp_path):
    with pytest.warns(UserWarning, match="doubleBinaryTree as an all-reduce"):
        read_system_json(sys_file(tmp_path, all_gather_implementation=["ring", "doubleBinaryTree"]))


def test_remote_memory_json(tmp_path):
    ref = Path(__file__).resolve().parents[1] / "reference" / "astrasim" / "inputs" / "remote_memory" / "no_memory_expansion.json"
    assert read_remote_memory_json(ref).memory_type == "NO_MEMORY_EXPANSION"
    p = tmp_path / "mem.json"
    p.write_text('{"memory-type": "HBM_POOL"}')
    with pytest.raises(ValueError, match="mem.json: memory-type 'HBM_POOL' is not one of NO_MEMORY_EXPANSION"):
        read_remote_memory_json(p)
    p.write_text('{"memory-type": "PER_NODE_MEMORY_EXPANSION", "num-nodes": 2}')
    with pytest.raises(ValueError, match="needs num-npus-per-node"):
        read_remote_memory_json(p)


def test_readers_remember_content_not_paths(tmp_path):
    """Parsed files are remembered under their bytes: an edited file is read anew, a warning is given on every call."""
    p = net_file(tmp_path, GOOD_NET)
    a = read_network_yaml(p)
    assert read_network_yaml(p) is a
    p.write_text(GOOD_NET.replace("[ 4, 4 ]", "[ 4, 8 ]"))
    assert read_network_yaml(p).npus_per_dim == (4, 8)
    p.write_text(GOOD_NET + "links: [ 1 ]\n")
    for _ in range(2):
        with pytest.warns(UserWarning, match="'links'.*ignored"):
            read_network_yaml(p)
    s = sys_file(tmp_path, boost_mode=1)
    for _ in range(2):
        with pytest.warns(UserWarning, match="boost-mode"):
            assert read_system_json(s).endpoint_delay == 10
    s.write_text("{")
    for _ in range(2):  # failures are not remembered
        with pytest.raises(ValueError, match="sys.json: not valid JSON"):
            read_system_json(s)
    with pytest.raises(ValueError, match="system JSON file not found"):
        read_system_json(tmp_path / "none.json")
