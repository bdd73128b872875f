"""FLOPs and bytes of one transformer block on one NPU, per operator, for the roofline.

Counts follow Narayanan et al., "Efficient Large-Scale Language Model Training on GPU Clusters Using
Megatron-LM", SC 2021, Appendix (a GEMM of m x k by k x n is 2mkn FLOPs; one block's forward is
24 b s h^2 + 4 b s^2 h for a GPT block; the backward pass is twice the forward). Attention scores are
counted for the full s x s matrix, as there. Bytes are 16-bit operands read and results written (2 B
per element), for the GEMMs and for the element-wise passes (two layer norms, two residual adds, the
activation function, softmax). Tensor parallelism (Megatron-LM: heads and FFN columns split over ``tp``)
and sequence parallelism (DeepSpeed-Ulysses, Jacobs et al. 2023: tokens split over ``sp`` outside
attention, heads inside it) divide every operator's work by ``tp x sp``.

Decode (one new token per sequence with a KV cache of ``context`` tokens) reads the block's weights and
its K and V cache; prefill is the forward pass over the prompt.
"""

from __future__ import annotations

from dataclasses import dataclass

from archgym.simulators.distributed.llm.accelerator import Accelerator
from archgym.simulators.distributed.llm.models import TransformerModel

BYTES = 2  # 16-bit activations and weights


@dataclass(frozen=True)
class Operator:
    name: str
    flops: float
    bytes: float


def _gemm(name: str, m: float, k: float, n: float) -> Operator:
    return Operator(name, 2.0 * m * k * n, BYTES * (m * k + k * n + m * n))


def block_forward(model: TransformerModel, batch: float, seq: int, tp: int = 1, sp: int = 1) -> list[Operator]:
    """One block's forward over ``batch`` sequences of ``seq`` tokens, on one NPU of a ``tp x sp`` group."""
    h, f = model.hidden, model.ffn
    tokens = batch * seq / sp  # tokens this NPU holds outside attention
    q, kv = model.q_hidden / tp, model.kv_hidden / tp
    heads_local = model.heads / (tp * sp)  # inside attention: all tokens, a share of the heads
    ffn_mats = 2 if model.gated_ffn else 1
    scores = batch * heads_local * seq * seq
    return [
        Operator("layernorm_1", 0.0, BYTES * 2 * tokens * h),
        _gemm("qkv", tokens, h, q + 2 * kv),
        Operator("attention_scores", 2.0 * scores * model.head_dim, BYTES * (2 * batch * seq * heads_local * model.head_dim + scores)),
        Operator("softmax", 0.0, BYTES * 2 * scores),
        Operator("attention_values", 2.0 * scores * model.head_dim, BYTES * (scores + 2 * batch * seq * heads_local * model.head_dim)),
        _gemm("attention_output", tokens, q, h),
        Operator("residual_1", 0.0, BYTES * 3 * tokens * h),
        Operator("layernorm_2", 0.0, BYTES * 2 * tokens * h),
        _gemm("ffn_up", tokens, h, ffn_mats * f / tp),
        Operator("activation", 0.0, BYTES * (ffn_mats + 1) * tokens * f / tp),
        _gemm("ffn_down", tokens, f / tp, h),
        Operator("residual_2", 0.0, BYTES * 3 * tokens * h),
    ]


def block_decode(model: TransformerModel, batch: float, context: int, tp: int = 1) -> list[Operator]:
    """One block for one new token per sequence, attending over a KV cache of ``context`` tokens."""
    h, f = model.hidden, model.ffn
    q, kv = model.q_hidden / tp, model.kv_hidden / tp
    heads_local = model.heads / tp
    ffn_mats = 2 if model.gated_ffn else 1
    cache = batch * context * kv  # elements of K (and of V) this NPU reads
    return [
        Operator("layernorm_1", 0.0, BYTES * 2 * batch * h),
        _gemm("qkv", batch, h, q + 2 * kv),
        Operator("attention_scores", 2.0 * batch * heads_local * context * model.head_dim,
                 BYTES * (batch * q + cache + batch * heads_local * context)),
        Operator("softmax", 0.0, BYTES * 2 * batch * heads_local * context),
        Operator("attention_values", 2.0 * batch * heads_local * context * model.head_dim,
                 BYTES * (batch * heads_local * context + cache + batch * q)),
        _gemm("attention_output", batch, q, h),
        Operator("residual_1", 0.0, BYTES * 3 * batch * h),
        Operator("layernorm_2", 0.0, BYTES * 2 * batch * h),
        _gemm("ffn_up", batch, h, ffn_mats * f / tp),
        Operator("activation", 0.0, BYTES * (ffn_mats + 1) * batch * f / tp),
        _gemm("ffn_down", batch, f / tp, h),
        Operator("residual_2", 0.0, BYTES * 3 * batch * h),
    ]


def roofline_seconds(ops: list[Operator], acc: Accelerator) -> float:
    """Sum of the operators' roofline times (operators run one after another)."""
    return sum(acc.op_seconds(o.flops, o.bytes) for o in ops)


def head_forward(model: TransformerModel, batch: float, seq: int, tp: int = 1, sp: int = 1) -> list[Operator]:
    """The output head (logits over the vocabulary, split over ``tp`` as in Megatron-LM)."""
    return [_gemm("output_head", batch * seq / sp, model.hidden, model.vocab / tp)]
