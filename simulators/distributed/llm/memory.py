"""Memory one NPU needs: weights, gradients, optimiser state, activations (training); weights and KV cache (inference).

- Model states under mixed-precision Adam: 2 B of 16-bit weights, 2 B of 16-bit gradients and 12 B of
  fp32 master weights, momentum and variance per parameter (Rajbhandari et al., "ZeRO: Memory
  Optimizations Toward Training Trillion Parameter Models", SC 2020, Section 3.1: 16 bytes per
  parameter). ZeRO stage 1 shards the optimiser state over the data-parallel group, stage 2 also the
  gradients, stage 3 also the weights (ibid., Section 5). Sequence-parallel replicas hold the same
  weights, so the sharding group is ``dp x sp``.
- Activations of one block and one micro-batch, kept for the backward pass (Korthikanti et al.,
  "Reducing Activation Recomputation in Large Transformer Models", MLSys 2023, Section 4: ``s b h (34 +
  5 a s / h)`` bytes for a GPT block, divided by ``tp`` with tensor and sequence parallelism). The 34 is
  their term-by-term count; it is written out here per term so that grouped-query attention and gated
  FFNs change it (11 s b h + 5 a s^2 b for attention with 4 s b h of them for K and V, 3 s b h + 4 s b f
  for a two-matrix FFN, 6 s b f for the three matrices of SwiGLU, 4 s b h for the layer norms).
  Ulysses sequence parallelism divides every term by ``sp``. Under the 1F1B pipeline schedule the first
  stage keeps ``min(micro-batches, pp)`` micro-batches in flight (Narayanan et al. 2021, Section 2.2).
- Inference: 16-bit weights, and a 16-bit K and V cache of ``batch x context`` tokens per block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from archgym.simulators.distributed.llm.models import TransformerModel
from archgym.simulators.distributed.llm.parallelism import Parallelism

ZERO_STAGES = (0, 1, 2, 3)


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes per NPU, by kind, for the most loaded pipeline stage."""

    weights: float
    gradients: float
    optimizer: float
    activations: float
    kv_cache: float = 0.0

    @property
    def total(self) -> float:
        return self.weights + self.gradients + self.optimizer + self.activations + self.kv_cache


def stage_params(model: TransformerModel, par: Parallelism) -> float:
    """Weights of the most loaded stage on one NPU: ``ceil(layers / pp)`` blocks and the embedding (first and
    last stage hold a copy, as in Megatron-LM), split over ``tp``."""
    return (math.ceil(model.layers / par.pp) * model.layer_params + model.embedding_params) / par.tp


def block_activation_bytes(model: TransformerModel, micro_batch: float, seq: int, par: Parallelism) -> float:
    """Korthikanti et al.'s activation bytes of one block for one micro-batch, per NPU."""
    s, b, h, f, a = seq, micro_batch, model.hidden, model.ffn, model.heads
    kv_ratio = model.kv_hidden / model.hidden
    attention = s * b * h * (7 + 4 * kv_ratio) + 5 * a * s * s * b
    ffn = s * b * h * 3 + s * b * f * (6 if model.gated_ffn else 4)
    norms = 4 * s * b * h
    return (attention + ffn + norms) / (par.tp * par.sp)


def training_memory(model: TransformerModel, par: Parallelism, micro_batch: int, micro_batches: int,
                    zero_stage: int = 0, seq: int | None = None) -> MemoryEstimate:
    """Memory per NPU for training (see the module docstring)."""
    if zero_stage not in ZERO_STAGES:
        raise ValueError(f"zero_stage {zero_stage!r} is not one of {list(ZERO_STAGES)}")
    psi = stage_params(model, par)
    shard = par.dp * par.sp
    weights = 2 * psi / (shard if zero_stage >= 3 else 1)
    grads = 2 * psi / (shard if zero_stage >= 2 else 1)
    optim = 12 * psi / (shard if zero_stage >= 1 else 1)
    in_flight = min(micro_batches, par.pp)
    acts = math.ceil(model.layers / par.pp) * in_flight * block_activation_bytes(model, micro_batch, seq or model.seq, par)
    return MemoryEstimate(weights, grads, optim, acts)


def inference_memory(model: TransformerModel, par: Parallelism, batch: float, context: int) -> MemoryEstimate:
    """Memory per NPU for inference: weights and the KV cache of ``batch`` sequences of ``context`` tokens."""
    psi = stage_params(model, par)
    blocks = math.ceil(model.layers / par.pp)
    kv = 2 * 2 * blocks * batch * context * model.kv_hidden / (par.tp * par.sp)
    acts = block_activation_bytes(model, batch, 1, par)  # one block's working set for one token
    return MemoryEstimate(2 * psi, 0.0, 0.0, acts, kv)
