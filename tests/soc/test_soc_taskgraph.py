"""Task graphs: the shipped AR/VR workloads, validation errors, flat arrays, random layered DAGs."""

from __future__ import annotations

import json

import networkx as nx
import pytest

from archgym import datasets
from archgym.simulators.soc.taskgraph import TaskGraphError, load_task_graph, random_layered_dag, workload_arrays

from .conftest import REF_DIR, WORKLOADS

SHAPES = {"audio_decoder": (18, 23), "edge_detection": (8, 8), "hpvm_cava": (9, 8)}


@pytest.mark.parametrize("workload", WORKLOADS)
def test_shipped_graphs_are_the_reference_graphs(workload):
    g = load_task_graph(datasets.path("soc", f"{workload}.json"))
    ref = nx.node_link_graph(json.loads((REF_DIR / f"{workload}.json").read_text()), edges="links")
    assert (g.number_of_nodes(), g.number_of_edges()) == SHAPES[workload]
    assert list(g.nodes(data=True)) == list(ref.nodes(data=True))
    assert list(g.edges(data=True)) == list(ref.edges(data=True))
    assert g.graph["last_task"] in g
    for _t, a in g.nodes(data=True):
        assert a["work_instructions"] == pytest.approx(2 * a["a53_cycles"])  # dhrystone IPC 2


def test_workload_arrays_follow_farsis_conventions():
    g = load_task_graph(datasets.path("soc", "edge_detection.json"))
    w = workload_arrays(g)
    src, sink, gauss = w.index("souurce"), w.index("siink"), w.index("gaussianSmoothing")
    assert w.zero_work[src] and w.pinned[src] and w.free_host[src] and w.free_host[sink]
    assert w.alloc_bytes[src] == 13107396.0 and w.alloc_bytes[sink] == 0.0
    assert w.alloc_bytes[gauss] == 2 * 6553600.0 and not w.pinned[gauss]
    assert w.last_task == w.index("rejectZeroCrossings")
    # burst dicing: gaussianSmoothing reads 13,107,396 B -> 12,800 bursts of 1024; work units are bytes / 12,800
    e = [k for k in range(w.n_edges) if w.e_src[k] == src][0]
    assert w.wu_r[e] == int(13107396.0 / 12800)
    a = load_task_graph(datasets.path("soc", "audio_decoder.json"))
    wa = workload_arrays(a)
    dl = wa.index("dummy_last")
    assert wa.zero_work[dl] and not wa.free_host[dl] and wa.alloc_bytes[dl] == 0.0  # FARSI: dummy_last costs A53 area


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["nodes"][1].__setitem__("work_instructions", -1), "work_instructions = -1"),
    (lambda d: d["nodes"][1].pop("work_instructions"), "work_instructions = None"),
    (lambda d: d["links"][0].__setitem__("bytes", 0), "bytes = 0"),
    (lambda d: d["links"].append({"source": "siink", "target": "souurce", "bytes": 1.0}), "not acyclic"),
    (lambda d: d["graph"].__setitem__("last_task", "nope"), "last_task 'nope' is not a task"),
    (lambda d: d.pop("links"), "node-link JSON"),
])
def test_bad_task_graphs_are_rejected_with_a_clear_message(tmp_path, mutate, message):
    d = json.loads(datasets.path("soc", "hpvm_cava.json").read_text())
    mutate(d)
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(d))
    with pytest.raises(TaskGraphError, match=message):
        load_task_graph(p)


def test_unreadable_files(tmp_path):
    with pytest.raises(TaskGraphError, match="no such task-graph file"):
        load_task_graph(tmp_path / "missing.json")
    p = tmp_path / "x.json"
    p.write_text("{\n oops")
    with pytest.raises(TaskGraphError, match="line 2: not valid JSON"):
        load_task_graph(p)


def test_random_layered_dag_is_seeded_and_farsi_shaped():
    a, b = random_layered_dag(42, 5, 4), random_layered_dag(42, 5, 4)
    assert list(a.edges(data=True)) == list(b.edges(data=True)) and list(a.nodes(data=True)) == list(b.nodes(data=True))
    assert list(random_layered_dag(43, 5, 4).edges(data=True)) != list(a.edges(data=True))
    for g in (a, random_layered_dag(1, 1, 1), random_layered_dag(7, 8, 6)):
        assert nx.is_directed_acyclic_graph(g)
        assert [n for n in g if g.in_degree(n) == 0] == ["souurce"]
        assert [n for n in g if g.out_degree(n) == 0] == ["siink"]
        assert all(nx.has_path(g, n, "siink") for n in g)  # every task precedes the last one
        assert g.nodes["souurce"]["work_instructions"] == 0 and g.nodes["siink"]["work_instructions"] == 0
    with pytest.raises(TaskGraphError, match="n_layers = 0"):
        random_layered_dag(0, 0, 3)
