"""Shapes of the transformer models the distributed-training workloads are built from, with their sources.

Each entry is what the model's paper (or its released configuration) states; nothing is fitted.

- GPT-3 13B and 175B: Brown et al., "Language Models are Few-Shot Learners", NeurIPS 2020, Table 2.1
  (layers, d_model, heads, d_head, context 2,048, batch of 2M and 3.2M tokens); vocabulary 50,257 (GPT-2's
  BPE, Radford et al. 2019); FFN 4 x d_model.
- LLaMA-7B: Touvron et al., "LLaMA: Open and Efficient Foundation Language Models", 2023, Table 2 (dim 4,096,
  32 heads, 32 layers, 4M-token batch, context 2,048), SwiGLU FFN of 11,008 (the released ``params.json``:
  2/3 x 4d rounded up to a multiple of 256), vocabulary 32,000.
- LLaMA-2-70B: Touvron et al., "Llama 2: Open Foundation and Fine-Tuned Chat Models", 2023, Table 1 and
  Section 2.2 (80 layers, dim 8,192, 64 heads, grouped-query attention with 8 KV heads, context 4,096, 4M-token
  batch), FFN 28,672 (released configuration), vocabulary 32,000.
- ViT-L/16 and ViT-H/14: Dosovitskiy et al., "An Image is Worth 16x16 Words", ICLR 2021, Table 1 (layers,
  hidden, MLP, heads) at 224 x 224 pixels: (224/16)^2 + 1 = 197 and (224/14)^2 + 1 = 257 tokens, batch 4,096
  (Section 4.1); the 1,000-class head stands in for the vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TransformerModel:
    """A decoder (or encoder) stack: ``layers`` blocks of attention and FFN, plus an embedding and an output head."""

    name: str
    layers: int
    hidden: int
    heads: int
    ffn: int
    vocab: int
    seq: int
    global_batch: int  # sequences per training iteration (the paper's batch in tokens / seq)
    kv_heads: int = 0  # 0: as many as heads (multi-head attention)
    gated_ffn: bool = False  # SwiGLU: three FFN matrices instead of two
    tied_head: bool = True  # the output head shares the embedding's weights (GPT-3); LLaMA's does not
    head_dim_: int = 0  # 0: hidden / heads (GPT-3 13B states 128 with d_model 5,140: attention is 5,120 wide)
    source: str = ""

    def __post_init__(self):
        for f in ("layers", "hidden", "heads", "ffn", "vocab", "seq", "global_batch"):
            v = getattr(self, f)
            if int(v) != v or v < 1:
                raise ValueError(f"{self.name}: {f} must be a positive integer, got {v!r}")
        if not self.head_dim_ and self.hidden % self.heads:
            raise ValueError(f"{self.name}: hidden {self.hidden} is not a multiple of heads {self.heads}; give head_dim_")
        if self.kv_heads and self.heads % self.kv_heads:
            raise ValueError(f"{self.name}: heads {self.heads} is not a multiple of kv_heads {self.kv_heads}")

    @property
    def head_dim(self) -> int:
        return self.head_dim_ or self.hidden // self.heads

    @property
    def q_hidden(self) -> int:
        """Width of Q and of the attention output: ``heads x head_dim``."""
        return self.heads * self.head_dim

    @property
    def kv_hidden(self) -> int:
        """Width of K (and of V): ``kv_heads x head_dim``."""
        return (self.kv_heads or self.heads) * self.head_dim

    @property
    def layer_params(self) -> int:
        """Weights of one block: Q, K, V and output projections, the FFN matrices, two layer norms."""
        attn = self.hidden * (self.q_hidden + 2 * self.kv_hidden) + self.q_hidden * self.hidden
        ffn = (3 if self.gated_ffn else 2) * self.hidden * self.ffn
        return attn + ffn + 4 * self.hidden

    @property
    def embedding_params(self) -> int:
        return self.vocab * self.hidden

    @property
    def params(self) -> int:
        """All weights (the output head counted once more when it is not tied to the embedding)."""
        return self.layers * self.layer_params + self.embedding_params * (1 if self.tied_head else 2)


MODELS: dict[str, TransformerModel] = {m.name: m for m in (
    TransformerModel("gpt3-13b", 40, 5140, 40, 4 * 5140, 50257, 2048, 1024, head_dim_=128, source="Brown et al. 2020, Table 2.1"),
    TransformerModel("gpt3-175b", 96, 12288, 96, 4 * 12288, 50257, 2048, 1536, source="Brown et al. 2020, Table 2.1"),
    TransformerModel("llama-7b", 32, 4096, 32, 11008, 32000, 2048, 2048, gated_ffn=True, tied_head=False,
                     source="Touvron et al. 2023 (LLaMA), Table 2; params.json"),
    TransformerModel("llama2-70b", 80, 8192, 64, 28672, 32000, 4096, 1024, kv_heads=8, gated_ffn=True, tied_head=False,
                     source="Touvron et al. 2023 (Llama 2), Table 1 and Section 2.2"),
    TransformerModel("vit-l16", 24, 1024, 16, 4096, 1000, 197, 4096, source="Dosovitskiy et al. 2021, Table 1"),
    TransformerModel("vit-h14", 32, 1280, 16, 5120, 1000, 257, 4096, source="Dosovitskiy et al. 2021, Table 1"),
)}


def model(name: str | TransformerModel) -> TransformerModel:
    """A shipped model by name (or a :class:`TransformerModel` as is)."""
    if isinstance(name, TransformerModel):
        return name
    if name not in MODELS:
        raise ValueError(f"model {name!r} is not known; allowed: {sorted(MODELS)}")
    return MODELS[name]
