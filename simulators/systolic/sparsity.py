"""SCALE-Sim 3.0's N:M structured sparsity: which layers it changes and the storage it reports.

With ``SparsitySupport`` on and ``OptimizedMapping`` off, SCALE-Sim prunes every layer by its own
``N:M`` topology ratio: in each block of M consecutive window elements (rows of the im2col filter
operand, columns of the ifmap operand) the first N are kept, the last partial block keeping at most
N. Both operands shrink to :attr:`.spec.Layer.sparse_k` window elements and the layer then runs as
a dense one of that window in every dataflow (:mod:`.replay` follows the kept elements' addresses).
Two figures differ from such a dense run, and SCALE-Sim reports three more (its SPARSE_REPORT):

* weight-stationary ifmap SRAM reads are multiplied by ``M / N`` (SCALE-Sim: one ifmap block feeds
  M/N array rows and is read once per row, no broadcast); the other dataflows are unchanged;
* overall utilisation still counts the dense MACs ``M * N * K`` (its ``num_compute``);
* original filter storage ``K * N``, the new storage (filter + metadata) and the metadata, in words,
  for the format ``SparseRep``: blocked ELLPACK stores ``ceil(log2 M)`` bits per kept weight
  (32-bit words); CSR (CSC) stores a column (row) index per kept weight plus a row (column)
  pointer array of ``K + 1`` (``N + 1``) entries. The metadata's average SRAM bandwidth is the
  metadata over the layer's total cycles.
"""

from __future__ import annotations

import math

import numpy as np

from .optimized import filter_storage as optimized_storage
from .spec import Layer, SystolicConfig

#: per-layer figures of SCALE-Sim's SPARSE_REPORT (its column names, lower-cased)
SPARSE_FIELDS = ("sparsity_representation", "original_filter_storage", "new_filter_storage", "filter_metadata_storage",
                 "avg_filter_metadata_sram_bw")


def is_pruned(config: SystolicConfig, layer: Layer) -> bool:
    """Whether SCALE-Sim runs ``layer`` pruned (compressed window, ws ifmap reads scaled) on ``config``."""
    return config.sparsity_support and layer.sparsity_n != layer.sparsity_m


def ws_ifmap_reads(config: SystolicConfig, layer: Layer) -> float:
    """Weight-stationary ifmap SRAM reads of a pruned layer as SCALE-Sim adds them up: fold by fold
    (filter folds outer, window folds inner), each fold's ``pixels x rows used`` times ``M / N`` in
    floating point (so the sum may fall a rounding step below the exact product)."""
    R, C = config.array_rows, config.array_cols
    kept, T = layer.sparse_k, layer.gemm_m
    widths = np.full(-(-kept // R), R, dtype=np.int64)
    widths[-1] = kept - R * (widths.size - 1)
    per_fold = (T * widths).astype(np.float64) * (layer.sparsity_m / layer.sparsity_n)
    folds = np.tile(per_fold, -(-layer.gemm_n // C))
    return float(np.add.accumulate(folds)[-1])  # left to right, as SCALE-Sim's += does


def filter_storage(config: SystolicConfig, layer: Layer) -> tuple[int, float, float]:
    """(original filter words, new words incl. metadata, metadata words) as SCALE-Sim counts them."""
    K, N, kept = layer.gemm_k, layer.gemm_n, layer.sparse_k
    nnz = kept * N
    if config.sparse_rep == "ellpack_block":
        meta = nnz * math.ceil(math.log2(layer.sparsity_m)) / 32
        return K * N, nnz + meta, meta
    ptr = K + 1 if config.sparse_rep == "csr" else N + 1
    return K * N, 2 * nnz + ptr, nnz + ptr


def sparse_report(config: SystolicConfig, layer: Layer, total_cycles: int) -> dict:
    """The layer's SPARSE_REPORT row (:data:`SPARSE_FIELDS`)."""
    orig, new, meta = (optimized_storage if config.optimized_mapping else filter_storage)(config, layer)
    return {"sparsity_representation": config.sparse_rep, "original_filter_storage": orig, "new_filter_storage": new,
            "filter_metadata_storage": meta, "avg_filter_metadata_sram_bw": meta / max(total_cycles, 1)}
