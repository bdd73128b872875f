"""Reader of the ASTRA-sim 1.0 text workload format, turned into the graph Chakra's ``TextConverter`` makes.

The file: a parallelism line (``DATA``, ...), the layer count, then one line per layer:
``name reserved fwd_us fwd_comm fwd_bytes ig_us ig_comm ig_bytes wg_us wg_comm wg_bytes update``.
``DATA`` mode (``convert_data_parallel``), for every pass: forward compute nodes chained layer 0 to
L-1, each also waiting for its layer's weight-gradient collective of the previous pass; then from
layer L-1 down to 0 a weight-gradient compute node (after the last forward node, or after the
previous layer's input-gradient node), its collective, and (except for layer 0) an input-gradient
compute node after it. Node ids count up in creation order from 0, as for NPU 0's trace.
"""

from __future__ import annotations

from pathlib import Path

from archgym.simulators.distributed.workload import WorkloadNode

COMM_TYPES = {"ALLREDUCE": "AllReduce", "ALLTOALL": "AllToAll", "ALLGATHER": "AllGather", "REDUCESCATTER": "ReduceScatter"}


def _layers(lines: list[str], source: str):
    out = []
    for k, line in enumerate(lines):
        col = line.split()
        try:
            out.append({"name": col[0], "fwd": int(col[2]), "ig": int(col[5]), "wg": int(col[8]), "wg_comm": col[9],
                        "wg_bytes": int(col[10])})
        except (IndexError, ValueError):
            raise ValueError(f"{source}: layer line {k + 1} cannot be parsed (want 12 fields: name -1 fwd_us fwd_comm "
                             f"fwd_bytes ig_us ig_comm ig_bytes wg_us wg_comm wg_bytes update): {line!r}") from None
        if col[9] not in COMM_TYPES:
            raise ValueError(f"{source}: layer {col[0]!r}: weight-gradient collective {col[9]!r} is not one of "
                             f"{', '.join(COMM_TYPES)} (Chakra's converter would silently make it an all-reduce)")
    return out


def read_text_workload(path, num_passes: int = 1) -> list[WorkloadNode]:
    """The nodes of a ``DATA``-mode text workload over ``num_passes`` training passes."""
    path = Path(path)
    lines = [x for x in path.read_text().splitlines() if x.strip()]
    if not lines:
        raise ValueError(f"{path}: empty workload file")
    mode = lines[0].split()[0]
    if mode != "DATA":
        raise NotImplementedError(f"{path}: parallelism {mode!r}: only DATA is modelled yet")
    try:
        count = int(lines[1].split()[0])
    except (IndexError, ValueError):
        raise ValueError(f"{path}: line 2 must be the number of layers") from None
    if len(lines) - 2 != count:
        raise ValueError(f"{path}: says {count} layers but has {len(lines) - 2} layer lines")
    if int(num_passes) != num_passes or num_passes < 1:
        raise ValueError(f"num_passes {num_passes!r} must be an integer of at least 1")
    layers = _layers(lines[2:], str(path))
    nodes: list[WorkloadNode] = []

    def node(name, kind, deps, **kw):
        n = WorkloadNode(len(nodes), name, kind, tuple(deps), **kw)
        nodes.append(n)
        return n.id

    wg_comm = [None] * count
    for _ in range(num_passes):
        fwd = [0] * count
        for i, l in enumerate(layers):
            deps = ([fwd[i - 1]] if i else []) + ([wg_comm[i]] if wg_comm[i] is not None else [])
            fwd[i] = node(f"COMP_NODE_{l['name']}_FWD", "compute", deps, duration_us=l["fwd"])
        last, ig = fwd[-1], None
        for i in range(count - 1, -1, -1):
            l = layers[i]
            wg = node(f"COMP_NODE_{l['name']}_BWD_WG", "compute", [last if ig is None else ig], duration_us=l["wg"])
            wg_comm[i] = node(f"COMM_COLL_NODE_{l['name']}_{l['wg_comm']}", "collective", [wg],
                              collective=COMM_TYPES[l["wg_comm"]], size_bytes=l["wg_bytes"])
            if i != 0:
                ig = node(f"COMP_NODE_{l['name']}_BWD_IG", "compute", [wg], duration_us=l["ig"])
    return nodes
