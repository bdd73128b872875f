"""The GEMMs of a Llama-style decoder as shipped workloads, for SystolicArray-v0 and Dataflow-v0.

Shapes of Llama-3-8B (Dubey et al., "The Llama 3 Herd of Models", 2024, Table 3: 32 layers, model
dimension 4,096, FFN dimension 14,336, 32 attention heads, 8 key/value heads; vocabulary 128,256 and
head dimension 128 from the released ``config.json``). Per layer: the Q, K, V and output projections,
attention per head (prefill: ``Q K^T`` and ``softmax(.) V`` over the whole sequence; decode: per
sequence and key/value head, the 4 query heads that share it against the cached keys and values, as
grouped-query decoding kernels run them), and the SwiGLU FFN (gate, up, down). The output head computes
the logits of the last token of each sequence. Matrices are written ``(M x K) @ (K x N)``.

- ``llama3_8b_prefill``: one sequence of 2,048 tokens;
- ``llama3_8b_decode_b1`` and ``llama3_8b_decode_b16``: one new token for 1 or 16 sequences with 2,048
  cached tokens each.

Files are written in SCALE-Sim's GEMM format (``workloads/<name>.csv``: ``Layer, M, N, K,``, one row per
GEMM) and in the dataflow layer table (``dataflow/<name>.csv``: ``type=gemm`` with ``H`` = M, ``C`` = K,
``K`` = N, GEMMs of one shape merged into one row with ``repeat``, named after all of them, e.g. ``Q+O``). Regenerate with
``python -m archgym.datasets.llm_workloads``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

LLAMA3_8B = {"layers": 32, "hidden": 4096, "ffn": 14336, "heads": 32, "kv_heads": 8, "head_dim": 128, "vocab": 128256}
WORKLOADS = {"llama3_8b_prefill": ("prefill", 1, 2048), "llama3_8b_decode_b1": ("decode", 1, 2048),
             "llama3_8b_decode_b16": ("decode", 16, 2048)}


def gemms(phase: str, batch: int, seq: int, cfg: dict = LLAMA3_8B) -> list[tuple[str, int, int, int]]:
    """``(name, M, N, K)`` of every GEMM of one forward pass, in order."""
    h, f, d = cfg["hidden"], cfg["ffn"], cfg["head_dim"]
    kv = cfg["kv_heads"] * d
    group = cfg["heads"] // cfg["kv_heads"]
    tokens = batch * seq if phase == "prefill" else batch
    out = []
    for layer in range(cfg["layers"]):
        p = f"L{layer}"
        out += [(f"{p}_Q", tokens, h, h), (f"{p}_K", tokens, kv, h), (f"{p}_V", tokens, kv, h)]
        if phase == "prefill":
            for b in range(batch):
                for head in range(cfg["heads"]):
                    out += [(f"{p}_B{b}_H{head}_QKt", seq, seq, d), (f"{p}_B{b}_H{head}_SV", seq, d, seq)]
        else:
            for b in range(batch):
                for g in range(cfg["kv_heads"]):
                    out += [(f"{p}_B{b}_G{g}_QKt", group, seq, d), (f"{p}_B{b}_G{g}_SV", group, d, seq)]
        out += [(f"{p}_O", tokens, h, h), (f"{p}_gate", tokens, f, h), (f"{p}_up", tokens, f, h), (f"{p}_down", tokens, h, f)]
    out.append(("lm_head", batch, cfg["vocab"], h))
    return out


def scalesim_csv(rows) -> str:
    return "Layer, M, N, K,\n" + "".join(f"{n}, {m}, {nn}, {k},\n" for n, m, nn, k in rows)


def dataflow_csv(rows) -> str:
    """Identical shapes merged into one row with ``repeat`` (named after the first of them)."""
    counts = Counter((m, n, k) for _, m, n, k in rows)
    names: dict = {}
    for name, m, n, k in rows:  # L3_B0_H5_QKt -> QKt; the names of every GEMM of that shape, joined
        base = name.split("_")[-1] if name.startswith("L") else name
        names.setdefault((m, n, k), dict())[base] = None
    lines = ["layer,type,H,W,C,K,R,S,stride,padding,groups,repeat"]
    for (m, n, k), c in counts.items():
        lines.append(f"{'+'.join(names[(m, n, k)])},gemm,{m},1,{k},{n},1,1,1,0,1,{c}")
    return "\n".join(lines) + "\n"


def write_all(root: Path | None = None) -> list[Path]:
    root = root or Path(__file__).resolve().parent
    written = []
    for name, (phase, batch, seq) in WORKLOADS.items():
        rows = gemms(phase, batch, seq)
        for sub, text in (("workloads", scalesim_csv(rows)), ("dataflow", dataflow_csv(rows))):
            p = root / sub / f"{name}.csv"
            tmp = p.with_suffix(".csv.tmp")
            tmp.write_text(text)
            tmp.replace(p)
            written.append(p)
    return written


if __name__ == "__main__":
    for p in write_all():
        print(p)
