"""Time of one training iteration (or one inference step) of a transformer on an ASTRA-sim system.

Built from three parts, each documented where it lives:

- per-operator compute on one NPU from FLOPs and bytes with the accelerator's roofline (``operators.py``);
- every collective the parallelism implies, timed by the ASTRA-sim model on the network of the group it
  runs in (``parallelism.py``; :func:`~archgym.simulators.distributed.collective.collective_ns`, exact against
  ASTRA-sim 2.x's congestion-unaware backend): tensor parallelism's two AllReduce of the activations per
  block and pass (Megatron-LM, Shoeybi et al. 2019, Section 3), sequence parallelism's AllToAll before and
  after attention (DeepSpeed-Ulysses, Jacobs et al. 2023), the data-parallel reduction of each block's
  gradients (AllReduce; ReduceScatter under ZeRO-2 and 3), ZeRO-3's AllGather of each block's weights before
  its forward and backward, and ZeRO-1/2's AllGather of the updated weights (Rajbhandari et al. 2020);
- one micro-batch of the most loaded pipeline stage as a chain of nodes scheduled as ASTRA-sim's workload
  layer schedules it (``chain.py``), the data-parallel reductions of the last micro-batch overlapping the
  rest of its backward pass; the pipeline as 1F1B, ``(m + pp - 1)`` micro-batch slots of which ``pp - 1`` are
  the bubble (Narayanan et al. 2021, Section 2.2), each stage boundary crossed by one activation message
  per micro-batch and direction, timed as an ASTRA-sim point-to-point send.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from archgym.simulators.distributed.collective import collective_ns
from archgym.simulators.distributed.llm.accelerator import Accelerator
from archgym.simulators.distributed.llm.chain import ASYNC, BLOCKING, COMPUTE, chain_time
from archgym.simulators.distributed.llm.memory import MemoryEstimate, inference_memory, stage_params, training_memory
from archgym.simulators.distributed.llm.models import TransformerModel
from archgym.simulators.distributed.llm.operators import BYTES, block_decode, block_forward, head_forward
from archgym.simulators.distributed.llm.parallelism import GroupNetwork, LayoutError, Parallelism, group_networks
from archgym.simulators.distributed.network import Dimension, Network
from archgym.simulators.distributed.system import SystemConfig

PHASES = ("train", "prefill", "decode")


class InfeasibleParallelism(ValueError):
    """The design cannot run this workload (the message names the rule it breaks)."""


@dataclass(frozen=True)
class IterationResult:
    """One iteration (training) or one step (prefill: the prompt; decode: one token per sequence), per NPU."""

    iteration_ns: int
    compute_ns: int
    comm_ns: int
    exposed_comm_ns: int
    bubble_ns: int
    memory: MemoryEstimate
    micro_batches: int
    tokens: int  # tokens processed by the whole system in this iteration

    @property
    def overlap_ns(self) -> int:
        """Communication hidden under compute: compute + communication busy time - (iteration - bubble)."""
        return max(0, self.compute_ns + self.comm_ns - (self.iteration_ns - self.bubble_ns))


class CollectiveTimer:
    """``collective_ns`` per parallel group, remembered by content (group network, system, collective, size)."""

    def __init__(self, network: Network, system: SystemConfig, groups: dict[str, GroupNetwork], cache: dict | None = None):
        self.groups, self.cache = groups, cache if cache is not None else {}
        self._systems = {}
        for g, gn in groups.items():
            if gn.network is not None:
                impls = {c: tuple(system.implementations[c][i] for i, _ in gn.dims) for c in system.implementations}
                self._systems[g] = replace(system, implementations=impls)

    def __call__(self, group: str, collective: str, size_bytes: float) -> int:
        gn = self.groups[group]
        if gn.network is None or size_bytes <= 0:
            return 0
        sysc = self._systems[group]
        size = max(1, int(size_bytes))
        key = (gn.network, sysc.scheduling_policy, sysc.endpoint_delay, sysc.active_chunks_per_dimension,
               sysc.preferred_dataset_splits, sysc.collective_optimization, sysc.local_mem_bw_GBps,
               sysc.implementations[collective], collective, size)
        t = self.cache.get(key)
        if t is None:
            t = self.cache[key] = collective_ns(gn.network, sysc, collective, size)
        return t


def _ns(seconds: float) -> int:
    return int(round(seconds * 1e9))


def check_parallelism(model: TransformerModel, par: Parallelism, phase: str, batch: int, micro_batch: int,
                      seq: int) -> int:
    """The number of micro-batches, or :class:`InfeasibleParallelism` naming the rule the design breaks."""
    if model.heads % (par.tp * par.sp):
        raise InfeasibleParallelism(f"tp x sp = {par.tp * par.sp} does not divide the {model.heads} attention heads of "
                                    f"{model.name} (Megatron-LM splits heads over tp, Ulysses over sp)")
    if phase != "decode" and seq % par.sp:
        raise InfeasibleParallelism(f"sp = {par.sp} does not divide the sequence length {seq}")
    if phase == "decode" and par.sp > 1:
        raise InfeasibleParallelism("sp > 1 has nothing to split in decode (one new token per sequence); use sp = 1")
    if par.pp > model.layers:
        raise InfeasibleParallelism(f"pp = {par.pp} is more than the {model.layers} layers of {model.name}")
    if phase == "train" and batch % par.dp:
        raise InfeasibleParallelism(f"dp = {par.dp} does not divide the batch of {batch} sequences")
    per_replica = batch // par.dp if phase == "train" else batch
    if per_replica % micro_batch:
        raise InfeasibleParallelism(f"micro-batch {micro_batch} does not divide the {per_replica} sequences of each "
                                    "data-parallel replica" + (f" (batch {batch} / dp {par.dp})" if phase == "train" else ""))
    return per_replica // micro_batch


def iteration(model: TransformerModel, acc: Accelerator, network: Network, system: SystemConfig, par: Parallelism, *,
              phase: str = "train", batch: int | None = None, micro_batch: int = 1, zero_stage: int = 0,
              seq: int | None = None, context: int | None = None, cache: dict | None = None) -> IterationResult:
    """Time and memory of one iteration (see the module docstring); ``cache`` remembers collective times.

    ``batch``: sequences of the whole training iteration (split over ``dp``; default the model's global
    batch), or, for inference, sequences each data-parallel replica serves at once (default 8)."""
    if phase not in PHASES:
        raise ValueError(f"phase {phase!r} is not one of {list(PHASES)}")
    seq = int(seq or model.seq)
    batch = int(batch or (model.global_batch if phase == "train" else 8))
    try:
        groups = group_networks(network, par)
    except LayoutError as e:
        raise InfeasibleParallelism(str(e)) from None
    m = check_parallelism(model, par, phase, batch, micro_batch, seq)
    timer = CollectiveTimer(network, system, groups, cache)
    blocks = math.ceil(model.layers / par.pp)
    if phase == "train":
        memory = training_memory(model, par, micro_batch, m, zero_stage, seq)
    else:
        memory = inference_memory(model, par, batch, (context or model.seq) if phase == "decode" else seq)
    # one block's forward, as compute and blocking collectives
    if phase == "decode":
        ops = block_decode(model, micro_batch, int(context or model.seq), par.tp)
        tokens_local = micro_batch
    else:
        ops = block_forward(model, micro_batch, seq, par.tp, par.sp)
        tokens_local = micro_batch * seq / par.sp
    by = {o.name: acc.op_seconds(o.flops, o.bytes) for o in ops}
    parts = [("layernorm_1", "qkv"), ("attention_scores", "softmax", "attention_values"), ("attention_output", "residual_1"),
             ("layernorm_2", "ffn_up", "activation", "ffn_down", "residual_2")]
    c = [_ns(sum(by[n] for n in p)) for p in parts]
    act = tokens_local * model.hidden * BYTES  # one activation tensor on this NPU
    a2a_qkv = timer("sp", "AllToAll", tokens_local * (model.q_hidden + 2 * model.kv_hidden) / par.tp * BYTES)
    a2a_out = timer("sp", "AllToAll", tokens_local * model.q_hidden / par.tp * BYTES)
    tp_ar = timer("tp", "AllReduce", act)
    layer_bytes = model.layer_params / par.tp * BYTES
    shard_group = "dpsp"
    groups_dpsp = _merged(groups, network)
    timer.groups = {**groups, shard_group: groups_dpsp}
    timer._systems[shard_group] = _system_for(system, groups_dpsp)
    zero3_ag = timer(shard_group, "AllGather", layer_bytes / (par.dp * par.sp)) if zero_stage >= 3 else 0

    def block(backward: bool) -> list[tuple[int, int]]:
        k = 2 if backward else 1  # backward: input and weight gradients
        seq_items = [(COMPUTE, k * c[0]), (BLOCKING, a2a_qkv), (COMPUTE, k * c[1]), (BLOCKING, a2a_out),
                     (COMPUTE, k * c[2]), (BLOCKING, tp_ar), (COMPUTE, k * c[3]), (BLOCKING, tp_ar)]
        items = [(kind, d) for kind, d in seq_items if kind == COMPUTE or d > 0]
        if zero3_ag:
            items.insert(0, (BLOCKING, zero3_ag))
        return list(reversed(items)) if backward else items

    head = head_forward(model, micro_batch, seq if phase != "decode" else 1, par.tp, par.sp)
    head_ns = _ns(sum(acc.op_seconds(o.flops, o.bytes) for o in head))
    fwd = [it for _ in range(blocks) for it in block(False)] + [(COMPUTE, head_ns)]
    p2p = _p2p_ns(network, groups["pp"], act / par.tp) if par.pp > 1 else 0
    if phase != "train":
        t = chain_time(fwd)
        slot = t.finish_ns + p2p
        total = (m + par.pp - 1) * slot
        compute = m * t.compute_ns
        comm = m * (t.comm_ns + p2p)
        bubble = (par.pp - 1) * slot
        tokens = batch * par.dp * (seq if phase == "prefill" else 1)
        return IterationResult(total, compute, comm, total - compute - bubble, bubble, memory, m, tokens)
    bwd = [(COMPUTE, 2 * head_ns)] + [it for _ in range(blocks) for it in block(True)]
    mb = chain_time(fwd + bwd)
    slot = mb.finish_ns + 2 * p2p
    # the last micro-batch's backward, with each block's gradient reduction issued after the block
    reduce_coll = "ReduceScatter" if zero_stage >= 2 else "AllReduce"
    grad = timer(shard_group, reduce_coll, layer_bytes)
    last: list[tuple[int, int]] = [(COMPUTE, 2 * head_ns)]
    for _ in range(blocks):
        last += block(True)
        if grad:
            last.append((ASYNC, grad))
    emb_grad = timer(shard_group, reduce_coll, model.embedding_params / par.tp * BYTES)
    if emb_grad:
        last.append((ASYNC, emb_grad))
    last_t = chain_time(fwd + last)
    exposed_dp = last_t.finish_ns - mb.finish_ns
    psi = stage_params(model, par)
    opt_shard = par.dp * par.sp if zero_stage >= 1 else 1
    optimizer = _ns(acc.op_seconds(0.0, 28 * psi / opt_shard))  # read grad 2 + state 12, write state 12 + weights 2
    gather = timer(shard_group, "AllGather", 2 * psi / opt_shard) if zero_stage in (1, 2) else 0
    total = (m + par.pp - 1) * slot + exposed_dp + optimizer + gather
    compute = m * mb.compute_ns + optimizer
    comm = m * (mb.comm_ns + 2 * p2p) + (last_t.comm_ns - mb.comm_ns) + gather
    bubble = (par.pp - 1) * slot
    return IterationResult(total, compute, comm, total - compute - bubble, bubble, memory, m, batch * seq)


def _merged(groups: dict[str, GroupNetwork], network: Network) -> GroupNetwork:
    """The data x sequence group (they are adjacent in the layout, sp inside dp): the weights' replicas."""
    sp, dp = groups["sp"], groups["dp"]
    dims: dict[int, int] = {}
    for i, k in sp.dims + dp.dims:
        dims[i] = dims.get(i, 1) * k
    if not dims:
        return GroupNetwork(None, (), 1)
    parts = tuple(sorted(dims.items()))
    sub = Network(tuple(Dimension(network.dims[i].topology, k, network.dims[i].bandwidth_GBps, network.dims[i].latency_ns)
                        for i, k in parts))
    return GroupNetwork(sub, parts, sp.stride if sp.network is not None else dp.stride)


def _system_for(system: SystemConfig, gn: GroupNetwork) -> SystemConfig | None:
    if gn.network is None:
        return None
    return replace(system, implementations={c: tuple(system.implementations[c][i] for i, _ in gn.dims)
                                            for c in system.implementations})


def _p2p_ns(network: Network, pp: GroupNetwork, size_bytes: float) -> int:
    """One activation message between neighbouring stages: ASTRA-sim's congestion-unaware send over the
    lowest dimension in which the two NPU ids differ."""
    return network.send_ns(0, pp.stride, max(1, int(size_bytes)))
