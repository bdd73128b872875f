"""Workloads as task graphs: networkx DAGs of tasks (work in instructions) and data edges (bytes).

A workload is a :class:`networkx.DiGraph`. Node attribute ``work_instructions`` is the task's work
(FARSI's "work": cycles on the reference A53 times its dhrystone IPC of 2); edge attribute ``bytes``
is the data the parent produces for the child in one run. Optional node attributes describe the
task's accelerator (``ip_time_s``, ``ip_energy_fJ``, ``ip_area_um2``, ``iterations``); the graph
attribute ``last_task`` names the task whose completion ends the workload (FARSI's convention; the
latest finishing task when absent). Zero-work tasks (FARSI's ``souurce``, ``siink``,
``dummy_last``) take no time and move no data themselves.

The shipped graphs are networkx node-link JSON (``edges="links"``). :func:`workload_arrays` turns a
graph into the flat arrays the scheduler runs on; :func:`random_layered_dag` makes random
FARSI-shaped workloads for tests.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np

from ..textfile import decode_error

#: FARSI's burst size in bytes (ArchGym's ``burst_size_options``); sets the work units that share buses
DEFAULT_BURST_BYTES = 1024


class TaskGraphError(ValueError):
    """A task graph that cannot be used (the message names the file, task or edge and the rule)."""


def load_task_graph(path: str | Path) -> nx.DiGraph:
    """Read a node-link JSON task graph (``edges="links"``) and validate it."""
    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except FileNotFoundError:
        raise TaskGraphError(f"{p}: no such task-graph file") from None
    except UnicodeDecodeError as e:
        raise TaskGraphError(f"{p}: {decode_error(e)}") from None
    except json.JSONDecodeError as e:
        raise TaskGraphError(f"{p}: line {e.lineno}: not valid JSON ({e.msg})") from None
    if not isinstance(data, dict) or "nodes" not in data or "links" not in data:
        raise TaskGraphError(f"{p}: expected networkx node-link JSON with 'nodes' and 'links'")
    try:
        g = nx.node_link_graph(data, edges="links")
    except (KeyError, TypeError, nx.NetworkXError) as e:
        raise TaskGraphError(f"{p}: malformed node-link data ({e})") from None
    if not g.is_directed():
        raise TaskGraphError(f"{p}: the task graph must be directed ('directed': true)")
    g.graph.setdefault("name", p.stem)
    validate_task_graph(g, where=str(p))
    return g


def validate_task_graph(g: nx.DiGraph, where: str = "task graph") -> None:
    """Raise :class:`TaskGraphError` unless ``g`` is a usable workload."""
    if g.number_of_nodes() == 0:
        raise TaskGraphError(f"{where}: has no tasks")
    if not nx.is_directed_acyclic_graph(g):
        cycle = nx.find_cycle(g)
        raise TaskGraphError(f"{where}: not acyclic; cycle {[u for u, _ in cycle]}")
    for n, a in g.nodes(data=True):
        w = a.get("work_instructions")
        if not isinstance(w, (int, float)) or isinstance(w, bool) or not math.isfinite(w) or w < 0:
            raise TaskGraphError(f"{where}: task {n!r}: work_instructions = {w!r}; allowed: a finite number >= 0")
    for u, v, a in g.edges(data=True):
        b = a.get("bytes")
        if not isinstance(b, (int, float)) or isinstance(b, bool) or not math.isfinite(b) or b <= 0:
            raise TaskGraphError(f"{where}: edge {u!r} -> {v!r}: bytes = {b!r}; allowed: a finite number > 0")
    last = g.graph.get("last_task")
    if last is not None and last not in g:
        raise TaskGraphError(f"{where}: last_task {last!r} is not a task; allowed: one of {sorted(map(str, g.nodes))}")


@dataclass(frozen=True)
class WorkloadArrays:
    """A task graph as flat arrays (task order = node order, edge order = ``g.edges`` order)."""

    name: str
    names: tuple
    work: np.ndarray        # float64[T] instructions
    zero_work: np.ndarray   # bool[T]
    is_root: np.ndarray     # bool[T] no parents
    e_src: np.ndarray       # int64[E]
    e_dst: np.ndarray       # int64[E]
    e_bytes: np.ndarray     # float64[E]
    out_ptr: np.ndarray     # int64[T+1]: out-edges of t are out_edges[out_ptr[t]:out_ptr[t+1]]
    out_edges: np.ndarray   # int64[E]
    in_ptr: np.ndarray      # int64[T+1]
    in_edges: np.ndarray    # int64[E]
    wu_w: np.ndarray        # int64[E] FARSI work unit of the edge for its writer (bus sharing weight)
    wu_r: np.ndarray        # int64[E] ... for its reader
    alloc_bytes: np.ndarray  # float64[T] bytes a task's output takes in memory from its launch
    pinned: np.ndarray      # bool[T] output never freed (workload inputs)
    free_host: np.ndarray   # bool[T] does not make its general-purpose PE cost area
    last_task: int          # -1: the workload ends with its latest task

    @property
    def n_tasks(self) -> int:
        return len(self.names)

    @property
    def n_edges(self) -> int:
        return int(self.e_src.shape[0])

    def index(self, task: str) -> int:
        try:
            return self.names.index(task)
        except ValueError:
            raise KeyError(f"task {task!r} is not in workload {self.name!r}; allowed: {list(self.names)}") from None


def _dice(smallest_read: float, smallest_write: float, work: float, burst: int) -> int:
    """FARSI's dicing of a task's transfers into bursts (``Task.set_dice_factor``)."""
    d = math.floor(smallest_read / burst)
    if d == 0:
        return 1
    if math.floor(smallest_write / d) == 0 or math.floor(work / d) == 0:
        return 1
    return d


def workload_arrays(g: nx.DiGraph, burst_bytes: int = DEFAULT_BURST_BYTES) -> WorkloadArrays:
    """Flatten a validated task graph for the scheduler."""
    if not isinstance(burst_bytes, int) or burst_bytes < 1:
        raise TaskGraphError(f"burst_bytes = {burst_bytes!r}; allowed: an integer >= 1")
    names = tuple(g.nodes)
    idx = {n: i for i, n in enumerate(names)}
    T = len(names)
    work = np.array([float(g.nodes[n]["work_instructions"]) for n in names], dtype=np.float64)
    edges = list(g.edges(data="bytes"))
    E = len(edges)
    e_src = np.array([idx[u] for u, _, _ in edges], dtype=np.int64)
    e_dst = np.array([idx[v] for _, v, _ in edges], dtype=np.int64)
    e_bytes = np.array([float(b) for _, _, b in edges], dtype=np.float64)

    def csr(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(key, kind="stable")
        ptr = np.zeros(T + 1, dtype=np.int64)
        np.add.at(ptr, key + 1, 1)
        return np.cumsum(ptr), order.astype(np.int64)

    out_ptr, out_edges = csr(e_src)
    in_ptr, in_edges = csr(e_dst)
    zero = work == 0.0
    is_root = (in_ptr[1:] - in_ptr[:-1]) == 0
    is_leaf = (out_ptr[1:] - out_ptr[:-1]) == 0

    wu_w = np.zeros(E, dtype=np.int64)
    wu_r = np.zeros(E, dtype=np.int64)
    for t in range(T):
        ins = in_edges[in_ptr[t]:in_ptr[t + 1]]
        outs = out_edges[out_ptr[t]:out_ptr[t + 1]]
        dummy_end = zero[t] and (is_root[t] or is_leaf[t])  # FARSI's souurce / siink
        sr = 0.0 if dummy_end or len(ins) == 0 else float(e_bytes[ins].min())
        sw = 0.0 if dummy_end or len(outs) == 0 else float(e_bytes[outs].min())
        d = _dice(sr, sw, work[t], burst_bytes)
        wu_r[ins] = np.floor(e_bytes[ins] / d).astype(np.int64)
        wu_w[outs] = np.floor(e_bytes[outs] / d).astype(np.int64)

    out_bytes = np.zeros(T, dtype=np.float64)
    np.add.at(out_bytes, e_src, e_bytes)
    pinned = zero & is_root
    alloc = np.where(zero & ~is_root, 0.0, out_bytes)
    free_host = zero & (is_root | is_leaf)
    last = g.graph.get("last_task")
    return WorkloadArrays(
        name=str(g.graph.get("name", g.graph.get("workload", "workload"))), names=names, work=work, zero_work=zero,
        is_root=is_root, e_src=e_src, e_dst=e_dst, e_bytes=e_bytes, out_ptr=out_ptr, out_edges=out_edges,
        in_ptr=in_ptr, in_edges=in_edges, wu_w=wu_w, wu_r=wu_r, alloc_bytes=alloc, pinned=pinned,
        free_host=free_host, last_task=idx[last] if last is not None else -1,
    )


def random_layered_dag(seed: int, n_layers: int = 4, max_width: int = 4, work_range: tuple = (1e4, 1e8),
                       bytes_range: tuple = (64.0, 1e6), extra_edge_prob: float = 0.2) -> nx.DiGraph:
    """A random FARSI-shaped workload: a zero-work ``souurce``, ``n_layers`` layers of 1..``max_width``
    tasks, and a zero-work ``siink`` (the last task).

    Every task of a layer reads from at least one task of the layer before (``souurce`` for the
    first) and writes to at least one of the next (``siink`` after the last); other edges from
    earlier layers appear with ``extra_edge_prob``. Work is log-uniform in ``work_range`` and bytes
    log-uniform in ``bytes_range``. Same seed, same graph.
    """
    if n_layers < 1 or max_width < 1:
        raise TaskGraphError(f"random_layered_dag: n_layers = {n_layers}, max_width = {max_width}; allowed: >= 1 each")
    rng = np.random.default_rng(seed)

    def loguni(lo, hi):
        return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))

    g = nx.DiGraph(name=f"random_{seed}", last_task="siink")
    g.add_node("souurce", work_instructions=0.0)
    layers = [["souurce"]]
    for k in range(n_layers):
        layer = [f"t{k}_{j}" for j in range(int(rng.integers(1, max_width + 1)))]
        for t in layer:
            g.add_node(t, work_instructions=loguni(*work_range))
        layers.append(layer)
    layers.append(["siink"])
    g.add_node("siink", work_instructions=0.0)
    for k in range(1, len(layers)):
        prev, cur = layers[k - 1], layers[k]
        for t in cur:  # at least one parent in the previous layer
            g.add_edge(prev[int(rng.integers(len(prev)))], t, bytes=loguni(*bytes_range))
        for p in prev:  # at least one child in this layer
            if g.out_degree(p) == 0:
                g.add_edge(p, cur[int(rng.integers(len(cur)))], bytes=loguni(*bytes_range))
        for j in range(1, k - 1):  # extra edges skipping layers (never from the source, never to the sink)
            for p in layers[j]:
                for t in cur:
                    if t != "siink" and rng.random() < extra_edge_prob:
                        g.add_edge(p, t, bytes=loguni(*bytes_range))
    # node-link order: keep edges grouped by source in node order, as FARSI's parser emits them
    ordered = nx.DiGraph(**g.graph)
    ordered.add_nodes_from(g.nodes(data=True))
    for n in g.nodes:
        for _, v, b in g.out_edges(n, data="bytes"):
            ordered.add_edge(n, v, bytes=b)
    validate_task_graph(ordered, where=f"random_layered_dag(seed={seed})")
    return ordered
