"""``archgym/DistributedTraining-v0``: design the system that trains or serves a large model (ArchGym's ASTRA-sim case).

One action is one system: ASTRA-sim's system knobs, a network of up to four dimensions, and the
parallelisation of the workload over it.

==============================  =======================================  ===================================================
knob                            values                                   meaning (ASTRA-sim's name)
==============================  =======================================  ===================================================
scheduling_policy               LIFO, FIFO                               ``scheduling-policy``
preferred_dataset_splits        1, 2, 4, ..., 1024                       ``preferred-dataset-splits`` (chunks per collective)
active_chunks_per_dimension     1, 2, 4, ..., 32                         ``active-chunks-per-dimension``
collective_optimization         baseline, localBWAware                   ``collective-optimization``
npus_d0, npus_d1, npus_d2       1, 2, 4, 8, 16                           NPUs of dimensions 0-2; dimension 3 gets the rest
                                                                         (``npus / (d0 d1 d2)``); a dimension of 1 is left out
topology_d0 .. topology_d3      Ring, Switch, FullyConnected             the dimension's topology
bandwidth_d0 .. bandwidth_d3    25, 50, 100, 200, 400, 800               link bandwidth, GB/s (GB = 2^30 B, as ASTRA-sim)
implementation_d0 .. _d3        ring, direct, halvingDoubling            AllReduce / AllGather / ReduceScatter algorithm
all_to_all_d0 .. all_to_all_d3  ring, direct                             AllToAll algorithm (ASTRA-sim has no halvingDoubling one)
tp, sp, pp                      powers of two                            tensor, sequence (Ulysses; not in decode) and pipeline
                                                                         degrees; dp = npus / (tp sp pp)
micro_batch                     1, 2, 4, 8                               sequences per micro-batch
zero_stage                      0, 1, 2, 3                               ZeRO sharding of optimiser state, gradients, weights
                                                                         over the data-parallel group (ArchGym's weight sharding)
==============================  =======================================  ===================================================

The simulator is :mod:`archgym.simulators.distributed` (exact against ASTRA-sim 2.x on its 878 reference
runs) driven by generated workloads (:mod:`archgym.simulators.distributed.llm`): per-layer compute from
FLOPs and bytes on the accelerator's roofline, every collective the parallelism implies timed on the
network of its group, the 1F1B pipeline, and a memory estimator. ``doubleBinaryTree`` is left out of the
implementations: its NPUs finish at different times, so it needs the per-NPU event model, thousands of
times slower at 1,024 NPUs.

Workloads (``workload=``): ``gpt3-13b`` (default), ``gpt3-175b``, ``llama-7b``, ``llama2-70b``, ``vit-l16``,
``vit-h14``, with ``phase="train"`` (one iteration of the model's global batch), ``"prefill"`` (the prompt
of ``batch`` sequences) or ``"decode"`` (one token for ``batch`` sequences with a KV cache of ``context``), ``batch`` per
data-parallel replica for inference;
or the prefix of a Chakra trace (``PREFIX.<npu>.et``, one file per NPU): then only the system and network
knobs remain, and the trace's own compute times and collectives are run as ``run_astrasim`` runs them.

Metrics: ``iteration_time_s``, ``compute_s``, ``comm_s`` (busy time of the NPU's communication),
``exposed_comm_s`` (iteration minus compute minus bubble), ``bubble_s`` (the pipeline's idle slots),
``overlap_fraction`` (communication hidden under compute, of all communication), ``memory_per_npu_GB``
(of the most loaded stage), ``tokens_per_s`` and ``network_cost_GBps`` (the bandwidth of every link summed:
Ring n links, FullyConnected n(n-1)/2, Switch n NPU-to-switch links per instance of a dimension; a proxy of
cost, since cost grows with links x bandwidth). A design whose memory exceeds the accelerator's, or whose
parallelism does not fit the model or the network, is infeasible with the reason in ``info["violation"]``.

Default targets: :data:`TARGET_FACTORS` x the metrics of :data:`BASELINE` (a Megatron-LM-style system:
tensor parallelism inside an 8-NPU switch at 400 GB/s, data parallelism across a three-level switched
fabric, ZeRO-1, and the smallest pipeline depth that fits in memory), that is 25 % less iteration time at no
more network cost.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from pathlib import Path

from archgym.core.env import ArchGymEnv, BaselineTargets, InfeasibleDesign, Metric
from archgym.core.spaces import Categorical, DesignSpace, Integer, Ordinal, PowerOfTwo
from archgym.simulators.distributed.collective import collective_ns
from archgym.simulators.distributed.formats.chakra_et import read_chakra_workload
from archgym.simulators.distributed.llm.accelerator import accelerator as get_accelerator
from archgym.simulators.distributed.llm.iteration import PHASES, InfeasibleParallelism, iteration
from archgym.simulators.distributed.llm.models import MODELS
from archgym.simulators.distributed.llm.models import model as get_model
from archgym.simulators.distributed.llm.parallelism import Parallelism
from archgym.simulators.distributed.network import Dimension, Network
from archgym.simulators.distributed.scheduler import identical_plan_finish_ns
from archgym.simulators.distributed.system import COLLECTIVES, SystemConfig
from archgym.simulators.distributed.workload import schedule_workload

DIMS = 4
#: the generated workloads (model names); a Chakra trace prefix is also accepted
WORKLOADS = tuple(MODELS)
BANDWIDTHS = (25, 50, 100, 200, 400, 800)
TOPOLOGIES = ("Ring", "Switch", "FullyConnected")

METRICS = (
    Metric("iteration_time_s", "s", "min", "one training iteration (or inference step) of the whole batch"),
    Metric("compute_s", "s", "min", "compute time of one NPU of the most loaded stage"),
    Metric("comm_s", "s", "min", "busy time of that NPU's communication"),
    Metric("exposed_comm_s", "s", "min", "iteration time not covered by compute or the pipeline bubble"),
    Metric("bubble_s", "s", "min", "the pipeline's fill and drain slots (1F1B)"),
    Metric("overlap_fraction", "1", "max", "communication hidden under compute, of all communication"),
    Metric("memory_per_npu_GB", "GB", "min", "weights, gradients, optimiser state and activations (or KV cache) per NPU"),
    Metric("tokens_per_s", "1/s", "max", "tokens processed per second by the whole system"),
    Metric("network_cost_GBps", "GB/s", "min", "bandwidth of all links summed (a cost proxy)"),
)
OBSERVED = ("iteration_time_s", "exposed_comm_s", "memory_per_npu_GB", "network_cost_GBps")
TRACE_OBSERVED = ("iteration_time_s", "exposed_comm_s", "network_cost_GBps")

#: default targets as factors of the baseline's metrics
TARGET_FACTORS = {"iteration_time_s": 0.75, "network_cost_GBps": 1.0}

#: the documented baseline (Megatron-LM style): see the module docstring
BASELINE = {
    "scheduling_policy": "LIFO", "preferred_dataset_splits": 16, "active_chunks_per_dimension": 1,
    "collective_optimization": "baseline",
    "npus_d0": 8, "npus_d1": 8, "npus_d2": 4,
    "topology_d0": "Switch", "topology_d1": "Switch", "topology_d2": "Switch", "topology_d3": "Switch",
    "bandwidth_d0": 400, "bandwidth_d1": 100, "bandwidth_d2": 50, "bandwidth_d3": 25,
    "implementation_d0": "ring", "implementation_d1": "ring", "implementation_d2": "ring", "implementation_d3": "ring",
    "all_to_all_d0": "direct", "all_to_all_d1": "direct", "all_to_all_d2": "direct", "all_to_all_d3": "direct",
    "tp": 8, "sp": 1, "pp": 1, "micro_batch": 1, "zero_stage": 1,
}


def _pow2_divisors(n: int, cap: int) -> int:
    """The largest power of two that divides ``n`` and is at most ``cap``."""
    p = 1
    while n % (2 * p) == 0 and 2 * p <= cap:
        p *= 2
    return p


def system_space() -> list:
    """The system and network knobs (shared by generated and trace workloads)."""
    params = [Categorical("scheduling_policy", ("LIFO", "FIFO")), PowerOfTwo("preferred_dataset_splits", 1, 1024),
              PowerOfTwo("active_chunks_per_dimension", 1, 32), Categorical("collective_optimization", ("baseline", "localBWAware"))]
    params += [PowerOfTwo(f"npus_d{i}", 1, 16) for i in range(DIMS - 1)]
    params += [Categorical(f"topology_d{i}", TOPOLOGIES) for i in range(DIMS)]
    params += [Ordinal(f"bandwidth_d{i}", BANDWIDTHS) for i in range(DIMS)]
    params += [Categorical(f"implementation_d{i}", ("ring", "direct", "halvingDoubling")) for i in range(DIMS)]
    params += [Categorical(f"all_to_all_d{i}", ("ring", "direct")) for i in range(DIMS)]
    return params


def network_of(design: Mapping, npus: int, latency_ns: Sequence[float]) -> tuple[Network, list[int]]:
    """The network a design describes, and the design's dimension index of each network dimension."""
    sizes = [int(design[f"npus_d{i}"]) for i in range(DIMS - 1)]
    inner = math.prod(sizes)
    if npus % inner:
        raise InfeasibleDesign(f"npus_d0 x npus_d1 x npus_d2 = {inner} does not divide the {npus} NPUs")
    sizes.append(npus // inner)
    used = [i for i, n in enumerate(sizes) if n > 1]
    if not used:
        raise InfeasibleDesign(f"every dimension has one NPU; the system has {npus}")
    dims = tuple(Dimension(design[f"topology_d{i}"], sizes[i], float(design[f"bandwidth_d{i}"]), float(latency_ns[i]))
                 for i in used)
    return Network(dims), used


def network_cost_GBps(network: Network) -> float:
    """Bandwidth of every link summed (see the module docstring)."""
    total, npus = 0.0, network.total_npus
    for d in network.dims:
        n = d.npus
        links = (n if n > 2 else 1) if d.topology == "Ring" else n * (n - 1) // 2 if d.topology == "FullyConnected" else n
        total += links * (npus // n) * d.bandwidth_GBps
    return total


class DistributedTrainingEnv(ArchGymEnv):
    """The system that trains or serves a transformer (see the module docstring).

    ``workload``: a model name or a Chakra trace prefix; ``phase``: ``train``, ``prefill`` or ``decode``;
    ``npus`` (default 1,024); ``accelerator``: ``A100`` (default), ``H100``, ``TPUv4`` or a dict of
    ``tflops``, ``mem_GBps``, ``mem_GB``; ``batch`` (training: sequences per iteration, default the model's
    global batch; inference: sequences each data-parallel replica serves at once, default 8), ``seq`` and
    ``context`` (default the model's context); ``latency_ns`` per hop (500, or one per dimension),
    ``endpoint_delay`` (10 cycles) and ``local_mem_bw_GBps`` (1,600 GB/s), ASTRA-sim's example values.
    Other keyword arguments are those of :class:`archgym.core.env.ArchGymEnv`.
    """

    env_id = "archgym/DistributedTraining-v0"
    version = "0"
    simulator_version = "distributed-1"
    compiled_package = "archgym.simulators.distributed"
    typical_compile_seconds = 5.0

    def __init__(self, workload: str = "gpt3-13b", phase: str = "train", npus: int = 1024, accelerator="A100",
                 batch: int | None = None, seq: int | None = None, context: int | None = None,
                 latency_ns: float | Sequence[float] = 500.0, endpoint_delay: int = 10, local_mem_bw_GBps: float = 1600.0,
                 targets: Mapping[str, float] | None = None, **kwargs):
        if phase not in PHASES:
            raise ValueError(f"phase {phase!r} is not one of {list(PHASES)}")
        if int(npus) != npus or npus < 2:
            raise ValueError(f"npus must be an integer of at least 2, got {npus!r}")
        self.phase, self.npus = phase, int(npus)
        lat = [float(latency_ns)] * DIMS if isinstance(latency_ns, (int, float)) else [float(x) for x in latency_ns]
        if len(lat) != DIMS or not all(x >= 0 for x in lat):
            raise ValueError(f"latency_ns must be one non-negative number or {DIMS} of them (ns per hop, per dimension), "
                             f"got {latency_ns!r}")
        self.latency_ns, self.endpoint_delay, self.local_mem_bw_GBps = tuple(lat), int(endpoint_delay), float(local_mem_bw_GBps)
        self.accelerator = get_accelerator(accelerator)
        self._collectives: dict = {}
        params = system_space()
        self.trace = None
        if workload in MODELS:
            self.model = get_model(workload)
            self.seq = int(seq or self.model.seq)
            self.batch = int(batch or (self.model.global_batch if phase == "train" else 8))
            self.context = int(context or self.model.seq)
            cap = _pow2_divisors(self.model.heads, 64)
            params += [PowerOfTwo("tp", 1, cap)]
            if phase != "decode":  # decode has one token per sequence: nothing for sequence parallelism to split
                params += [PowerOfTwo("sp", 1, min(16, cap))]
            params += [PowerOfTwo("pp", 1, 16), PowerOfTwo("micro_batch", 1, 8), Integer("zero_stage", 0, 3)]
            observed = OBSERVED
            name = f"{workload}:{phase}" if phase != "train" else workload
        else:
            self.model = None
            self.trace = self._read_trace(workload)
            observed = TRACE_OBSERVED
            name = str(workload)
        space = DesignSpace(params)
        super().__init__(space, METRICS, workload=name, default_targets=BaselineTargets(TARGET_FACTORS),
                         observation_metrics=observed, targets=targets, **kwargs)

    def _read_trace(self, prefix: str):
        first = Path(f"{prefix}.0.et")
        if not first.exists():
            raise ValueError(f"workload {prefix!r} is neither a model ({sorted(MODELS)}) nor a Chakra trace prefix "
                             f"({first} does not exist)")
        return read_chakra_workload(prefix, self.npus)

    @property
    def baseline_design(self) -> dict:
        """:data:`BASELINE`, with tp capped to what the model's heads allow, ZeRO off for inference, and the
        smallest pipeline depth with which it fits in the accelerator's memory (pp = 1 for GPT-3 13B)."""
        if getattr(self, "_baseline", None) is None:
            d = {k: v for k, v in BASELINE.items() if k in self.design_space.names}
            if "tp" in d:
                d["tp"] = min(d["tp"], self.design_space["tp"].values[-1])
                if self.phase != "train":
                    d["zero_stage"] = 0
                for pp in self.design_space["pp"].values:
                    d["pp"] = pp
                    try:
                        self.simulate(d)
                        break
                    except InfeasibleDesign:
                        continue
            self._baseline = d
        return dict(self._baseline)

    def cache_key(self, design: dict):
        """Designs that differ only in the knobs of dimensions with one NPU simulate alike: the design's values in
        the space's order, with None for the knobs of those dimensions."""
        plan = self.__dict__.get("_key_plan")
        if plan is None:  # (getter of every value, getter of the NPU sizes, positions of each dimension's knobs)
            names = self.design_space.names
            plan = self._key_plan = (
                operator.itemgetter(*names), operator.itemgetter(*(f"npus_d{i}" for i in range(DIMS - 1))),
                [[names.index(f"{k}_d{i}") for k in ("topology", "bandwidth", "implementation", "all_to_all")]
                 for i in range(DIMS)])
        values, sizes_of, knobs = plan
        sizes = [int(n) for n in sizes_of(design)]
        inner = math.prod(sizes)
        sizes.append(self.npus // inner if self.npus % inner == 0 else 0)
        if 1 not in sizes:
            return values(design)
        key = list(values(design))
        for i, n in enumerate(sizes):
            if n == 1:
                for j in knobs[i]:
                    key[j] = None
        return tuple(key)

    def system_of(self, design: Mapping, used: list[int]) -> SystemConfig:
        impls = {c: tuple(design[f"all_to_all_d{i}" if c == "AllToAll" else f"implementation_d{i}"] for i in used)
                 for c in COLLECTIVES}
        return SystemConfig(scheduling_policy=design["scheduling_policy"], endpoint_delay=self.endpoint_delay,
                            active_chunks_per_dimension=int(design["active_chunks_per_dimension"]),
                            preferred_dataset_splits=int(design["preferred_dataset_splits"]),
                            collective_optimization=design["collective_optimization"],
                            local_mem_bw_GBps=self.local_mem_bw_GBps, implementations=impls)

    def simulate(self, design: dict) -> dict:
        network, used = network_of(design, self.npus, self.latency_ns)
        system = self.system_of(design, used)
        if len(self._collectives) > 200_000:  # bounded: collective times remembered by content
            self._collectives.clear()
        if self.trace is not None:
            return self._simulate_trace(network, system)
        tp, sp, pp = int(design["tp"]), int(design.get("sp", 1)), int(design["pp"])
        if self.npus % (tp * sp * pp):
            raise InfeasibleDesign(f"tp x sp x pp = {tp * sp * pp} does not divide the {self.npus} NPUs")
        par = Parallelism(tp=tp, sp=sp, dp=self.npus // (tp * sp * pp), pp=pp)
        try:
            r = iteration(self.model, self.accelerator, network, system, par, phase=self.phase, batch=self.batch,
                          micro_batch=int(design["micro_batch"]), zero_stage=int(design["zero_stage"]), seq=self.seq,
                          context=self.context, cache=self._collectives)
        except InfeasibleParallelism as e:
            raise InfeasibleDesign(str(e)) from None
        mem = r.memory.total / 1e9
        if mem > self.accelerator.mem_GB:
            raise InfeasibleDesign(f"needs {mem:.1f} GB per NPU (weights {r.memory.weights / 1e9:.1f}, gradients "
                                   f"{r.memory.gradients / 1e9:.1f}, optimiser {r.memory.optimizer / 1e9:.1f}, activations "
                                   f"{r.memory.activations / 1e9:.1f}, KV cache {r.memory.kv_cache / 1e9:.1f}); the "
                                   f"{self.accelerator.name} has {self.accelerator.mem_GB:g} GB")
        s = r.iteration_ns / 1e9
        return {"iteration_time_s": s, "compute_s": r.compute_ns / 1e9, "comm_s": r.comm_ns / 1e9,
                "exposed_comm_s": r.exposed_comm_ns / 1e9, "bubble_s": r.bubble_ns / 1e9,
                "overlap_fraction": r.overlap_ns / r.comm_ns if r.comm_ns else 1.0, "memory_per_npu_GB": mem,
                "tokens_per_s": r.tokens / s, "network_cost_GBps": network_cost_GBps(network)}

    def _simulate_trace(self, network: Network, system: SystemConfig) -> dict:
        cache = self._collectives
        key_sys = (network, system.scheduling_policy, system.active_chunks_per_dimension, system.preferred_dataset_splits,
                   system.collective_optimization, tuple(system.implementations[c] for c in COLLECTIVES))

        def timed(collective, size):
            k = (key_sys, collective, size)
            if k not in cache:
                cache[k] = collective_ns(network, system, collective, size)
            return cache[k]

        try:
            results = [schedule_workload(nodes, timed) for nodes in self._distinct_graphs()]
        except (ValueError, NotImplementedError) as e:
            raise InfeasibleDesign(str(e)) from None
        r = max(results, key=lambda x: x.finish_ns)
        s = r.finish_ns / 1e9
        overlap = r.comp_comm_overlap_ns
        return {"iteration_time_s": s, "compute_s": r.compute_ns / 1e9, "comm_s": r.comm_time_ns / 1e9,
                "exposed_comm_s": r.exposed_comm_ns / 1e9, "bubble_s": 0.0,
                "overlap_fraction": overlap / r.comm_time_ns if r.comm_time_ns else 1.0,
                "memory_per_npu_GB": math.nan, "tokens_per_s": math.nan, "network_cost_GBps": network_cost_GBps(network)}

    def _distinct_graphs(self):
        if not hasattr(self, "_graphs"):
            seen, graphs = set(), []
            for nodes in self.trace:
                sig = tuple((n.id, n.kind, n.deps, n.duration_us, n.collective, n.size_bytes) for n in nodes)
                if sig not in seen:
                    seen.add(sig)
                    graphs.append(nodes)
            self._graphs = graphs
        return self._graphs

    def simulate_batch(self, designs: Sequence[dict]) -> list[dict | InfeasibleDesign]:
        """Designs one after another (the base class's loop), sharing the remembered collective times (most
        designs of a batch share some group network and message size)."""
        if not self._warm:  # compile the chunk-pipeline kernel now, inside the first-use notice, not in a later step
            identical_plan_finish_ns([1, 1], [0, 0], 2, 1, 1)
        return super().simulate_batch(designs)
