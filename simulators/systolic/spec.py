"""What the systolic-array model takes: a hardware configuration and a list of layers.

:class:`SystolicConfig` mirrors the architecture knobs of a SCALE-Sim 3.0 ``.cfg`` file
([architecture_presets] plus the DRAM bandwidth of [run_presets]/[layout]); :class:`Layer` is one
row of a SCALE-Sim topology CSV (a convolution, lowered to a GEMM by im2col as SCALE-Sim does) or
of its GEMM CSV (``M, N, K``). Both validate their fields and raise ``ValueError`` naming the field,
the bad value and what is allowed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np

DATAFLOWS = ("os", "ws", "is")
BANDWIDTH_MODES = ("CALC", "USER")
#: SCALE-Sim 3.0's filter compression formats ([sparsity] SparseRep); they differ only in the metadata counted
SPARSE_REPS = ("ellpack_block", "csr", "csc")


def _check_int(owner: str, name: str, value, low: int = 1, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]``, else a ValueError naming owner, field, value and range."""
    allowed = f"integers {low}..{high}" if high is not None else f"integers >= {low}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise ValueError(f"{owner}.{name}: value {value!r} is not an integer; allowed: {allowed}")
    value = int(value)
    if value < low or (high is not None and value > high):
        raise ValueError(f"{owner}.{name}: value {value!r} out of range; allowed: {allowed}")
    return value


@dataclass(frozen=True)
class SystolicConfig:
    """One systolic-array accelerator design (SCALE-Sim's architecture presets).

    array_rows, array_cols:
        PE array height (SCALE-Sim ``ArrayHeight``) and width (``ArrayWidth``).
    dataflow:
        ``"os"`` output-, ``"ws"`` weight- or ``"is"`` input-stationary.
    ifmap_sram_kb, filter_sram_kb, ofmap_sram_kb:
        sizes of the three double-buffered scratchpads in KiB (``IfmapSramSzkB`` ...).
    bandwidth_mode:
        ``"CALC"``: SCALE-Sim's estimate mode (no stalls; the DRAM bandwidth needed is reported);
        ``"USER"``: the DRAM interfaces have the bandwidths below and the array stalls for them.
    bandwidth:
        USER mode: words/cycle of the DRAM interface (SCALE-Sim ``Bandwidth``; it drains the ofmap).
    ifmap_bandwidth, filter_bandwidth:
        USER mode: words/cycle filling the ifmap and filter SRAMs (SCALE-Sim 3.0 takes them from
        ``IfmapSRAMBankBandwidth``/``FilterSRAMBankBandwidth`` of its [layout] section); default
        ``bandwidth``.
    word_size_bytes:
        bytes per operand word (SCALE-Sim fixes 1).
    frequency_mhz:
        clock, used only to turn cycles into time and power.
    sparsity_support:
        SCALE-Sim's [sparsity] ``SparsitySupport``: layers with an ``N:M`` ratio keep N of every M
        window elements (filter rows and ifmap columns) and the filter is stored compressed; off,
        the ratios are ignored (as SCALE-Sim ignores them).
    sparse_rep:
        ``SparseRep``, the compression format whose metadata is counted: ``"ellpack_block"``,
        ``"csr"`` or ``"csc"``.
    optimized_mapping, block_size, sparsity_seed:
        ``OptimizedMapping``, ``BlockSize``, ``RandomNumberGeneratorSeed``: SCALE-Sim's optimized
        sparse mapping (weight-stationary only) ignores the layers' ratios and keeps, in each
        filter, a seeded random ``n`` of every ``block_size`` weights (1 <= n <= block_size/2),
        packing two row tiles into one fold (:mod:`.optimized`).
    """

    array_rows: int = 32
    array_cols: int = 32
    dataflow: str = "os"
    ifmap_sram_kb: int = 64
    filter_sram_kb: int = 64
    ofmap_sram_kb: int = 64
    bandwidth_mode: str = "CALC"
    bandwidth: int = 10
    ifmap_bandwidth: int | None = None
    filter_bandwidth: int | None = None
    word_size_bytes: int = 1
    frequency_mhz: float = 1000.0
    sparsity_support: bool = False
    sparse_rep: str = "ellpack_block"
    optimized_mapping: bool = False
    block_size: int = 4
    sparsity_seed: int = 40

    def __post_init__(self) -> None:
        o = "SystolicConfig"
        for name, high in (("array_rows", 1 << 16), ("array_cols", 1 << 16)):
            object.__setattr__(self, name, _check_int(o, name, getattr(self, name), 1, high))
        df = str(self.dataflow).lower() if isinstance(self.dataflow, str) else self.dataflow
        if df not in DATAFLOWS:
            raise ValueError(f"{o}.dataflow: value {self.dataflow!r} is not allowed; allowed: {list(DATAFLOWS)}")
        object.__setattr__(self, "dataflow", df)
        for name in ("ifmap_sram_kb", "filter_sram_kb", "ofmap_sram_kb"):
            object.__setattr__(self, name, _check_int(o, name, getattr(self, name), 1, 1 << 22))
        mode = str(self.bandwidth_mode).upper() if isinstance(self.bandwidth_mode, str) else self.bandwidth_mode
        if mode not in BANDWIDTH_MODES:
            raise ValueError(f"{o}.bandwidth_mode: value {self.bandwidth_mode!r} is not allowed; allowed: {list(BANDWIDTH_MODES)}")
        object.__setattr__(self, "bandwidth_mode", mode)
        object.__setattr__(self, "bandwidth", _check_int(o, "bandwidth", self.bandwidth, 1, 1 << 20))
        for name in ("ifmap_bandwidth", "filter_bandwidth"):
            v = getattr(self, name)
            object.__setattr__(self, name, self.bandwidth if v is None else _check_int(o, name, v, 1, 1 << 20))
        object.__setattr__(self, "word_size_bytes", _check_int(o, "word_size_bytes", self.word_size_bytes, 1, 64))
        f = self.frequency_mhz
        if not isinstance(f, (int, float)) or isinstance(f, bool) or not math.isfinite(f) or f <= 0:
            raise ValueError(f"{o}.frequency_mhz: value {f!r} is not allowed; allowed: a finite number > 0")
        object.__setattr__(self, "frequency_mhz", float(f))
        if not isinstance(self.sparsity_support, (bool, np.bool_)):
            raise ValueError(f"{o}.sparsity_support: value {self.sparsity_support!r} is not allowed; allowed: True, False")
        object.__setattr__(self, "sparsity_support", bool(self.sparsity_support))
        rep = str(self.sparse_rep).lower() if isinstance(self.sparse_rep, str) else self.sparse_rep
        if rep not in SPARSE_REPS:
            raise ValueError(f"{o}.sparse_rep: value {self.sparse_rep!r} is not allowed; allowed: {list(SPARSE_REPS)}")
        object.__setattr__(self, "sparse_rep", rep)
        if not isinstance(self.optimized_mapping, (bool, np.bool_)):
            raise ValueError(f"{o}.optimized_mapping: value {self.optimized_mapping!r} is not allowed; allowed: True, False")
        object.__setattr__(self, "optimized_mapping", bool(self.optimized_mapping))
        object.__setattr__(self, "block_size", _check_int(o, "block_size", self.block_size, 2, 1 << 16))
        object.__setattr__(self, "sparsity_seed", _check_int(o, "sparsity_seed", self.sparsity_seed, 0, 2**32 - 1))
        if self.optimized_mapping:
            if not self.sparsity_support:
                raise ValueError(f"{o}.optimized_mapping: True needs sparsity_support (SCALE-Sim reads it only then)")
            if self.dataflow != "ws":
                raise ValueError(f"{o}.optimized_mapping: not allowed with dataflow {self.dataflow!r}: SCALE-Sim stops "
                                 "with 'Dimension mismatch between operands' (its optimized mapping compresses the filter "
                                 "but not the ifmap); allowed: dataflow 'ws'")
            if self.block_size > self.array_rows:
                raise ValueError(f"{o}.block_size: value {self.block_size} is larger than array_rows {self.array_rows}; "
                                 "SCALE-Sim stops with 'Invalid block size'; allowed: <= array_rows")
            if self.block_size % 2 or (2 * self.array_rows) % self.block_size:
                raise ValueError(f"{o}.block_size: value {self.block_size} with array_rows {self.array_rows} is not "
                                 "modelled; allowed: an even block size dividing 2 * array_rows")
        for name in ("ifmap_sram_kb", "filter_sram_kb", "ofmap_sram_kb"):
            if getattr(self, name) * 1024 // self.word_size_bytes < 100:
                raise ValueError(
                    f"{o}.{name}: value {getattr(self, name)!r} holds fewer than 100 words of "
                    f"{self.word_size_bytes} bytes; allowed: at least 100 words (SCALE-Sim splits each SRAM into 100 sets)"
                )

    @property
    def num_pes(self) -> int:
        return self.array_rows * self.array_cols

    def to_dict(self) -> dict:
        """The fields; the sparsity ones only when sparsity is on (a dense design's record is unchanged)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        if not self.sparsity_support:
            for k in ("sparsity_support", "sparse_rep", "optimized_mapping", "block_size", "sparsity_seed"):
                d.pop(k)
        return d


@dataclass(frozen=True)
class Layer:
    """One layer as SCALE-Sim sees it: a convolution without padding (give the padded ifmap size)
    or a GEMM ``M x K`` times ``K x N`` (stored as SCALE-Sim stores it: ifmap ``M x K``, filter
    ``1 x K``, one channel, ``N`` filters, stride 1).

    ``repeat`` counts identical copies (SCALE-Sim runs a depth-wise ``DP`` layer as one
    single-channel layer per channel; they are identical, so they are kept once with a count).

    ``sparsity_n : sparsity_m`` is the layer's ``N:M`` structured-sparsity ratio (SCALE-Sim's
    optional ninth topology column; ``1:1`` is dense). It takes effect only on a design with
    ``sparsity_support``: then N of every M consecutive window elements are kept.
    """

    name: str
    ifmap_h: int
    ifmap_w: int
    filter_h: int
    filter_w: int
    channels: int
    num_filters: int
    stride_h: int = 1
    stride_w: int | None = None
    kind: str = "conv"
    repeat: int = 1
    sparsity_n: int = 1
    sparsity_m: int = 1
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        o = f"Layer {self.name!r}"
        if self.kind not in ("conv", "gemm"):
            raise ValueError(f"{o}.kind: value {self.kind!r} is not allowed; allowed: ['conv', 'gemm']")
        for name in ("ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels", "num_filters", "stride_h", "repeat"):
            object.__setattr__(self, name, _check_int(o, name, getattr(self, name), 1, 1 << 31))
        object.__setattr__(self, "sparsity_m", _check_int(o, "sparsity_m", self.sparsity_m, 1, 1 << 16))
        object.__setattr__(self, "sparsity_n", _check_int(o, "sparsity_n", self.sparsity_n, 1, self.sparsity_m))
        sw = self.stride_h if self.stride_w is None else self.stride_w
        object.__setattr__(self, "stride_w", _check_int(o, "stride_w", sw, 1, 1 << 31))
        if self.filter_h > self.ifmap_h:
            raise ValueError(f"{o}.filter_h: value {self.filter_h} is larger than ifmap_h {self.ifmap_h}; allowed: <= ifmap_h")
        if self.filter_w > self.ifmap_w:
            raise ValueError(f"{o}.filter_w: value {self.filter_w} is larger than ifmap_w {self.ifmap_w}; allowed: <= ifmap_w")

    @classmethod
    def gemm(cls, name: str, m: int, n: int, k: int, repeat: int = 1, sparsity: tuple[int, int] = (1, 1)) -> Layer:
        """A GEMM ``(M x K) @ (K x N)`` laid out as SCALE-Sim's GEMM reader does (``sparsity``: N:M)."""
        for fname, v in (("M", m), ("N", n), ("K", k)):
            _check_int(f"Layer {name!r}", fname, v, 1, 1 << 31)
        return cls(name, int(m), int(k), 1, int(k), 1, int(n), 1, 1, kind="gemm", repeat=repeat,
                   sparsity_n=sparsity[0], sparsity_m=sparsity[1])

    # -- derived sizes (SCALE-Sim's topology arithmetic) ------------------------------------
    @property
    def ofmap_h(self) -> int:
        return -(-(self.ifmap_h - self.filter_h + self.stride_h) // self.stride_h)

    @property
    def ofmap_w(self) -> int:
        return -(-(self.ifmap_w - self.filter_w + self.stride_w) // self.stride_w)

    @property
    def gemm_m(self) -> int:
        """Rows of the im2col ifmap operand: ofmap pixels per filter."""
        return self.ofmap_h * self.ofmap_w

    @property
    def gemm_n(self) -> int:
        return self.num_filters

    @property
    def gemm_k(self) -> int:
        """Convolution window size ``Fh * Fw * C``."""
        return self.filter_h * self.filter_w * self.channels

    @property
    def sparse_k(self) -> int:
        """Window elements left after ``N:M`` pruning (SCALE-Sim keeps the first N of every M, the
        last partial block keeping at most N): the compressed filter's rows."""
        n, m, k = self.sparsity_n, self.sparsity_m, self.gemm_k
        return (k // m) * n + min(k % m, n)

    @property
    def windows_overlap(self) -> bool:
        """Whether some ifmap word lies in more than one convolution window (then it occurs several
        times in the im2col operand; never for a GEMM or a 1x1 / stride >= filter convolution)."""
        return self.kind == "conv" and ((self.filter_h > self.stride_h and self.ofmap_h > 1)
                                        or (self.filter_w > self.stride_w and self.ofmap_w > 1))

    @property
    def macs(self) -> int:
        """MAC operations of one copy, as SCALE-Sim counts them (``M * N * K``)."""
        return self.gemm_m * self.gemm_n * self.gemm_k

    def to_dict(self) -> dict:
        """The fields; ``sparsity`` (``"N:M"``) only for a sparse layer (a dense layer's record is unchanged)."""
        d = self._fields_dict()
        if (self.sparsity_n, self.sparsity_m) != (1, 1):
            d["sparsity"] = f"{self.sparsity_n}:{self.sparsity_m}"
        return d

    def _fields_dict(self) -> dict:
        if self.kind == "gemm":
            return {"name": self.name, "kind": "gemm", "M": self.gemm_m, "N": self.gemm_n, "K": self.gemm_k,
                    "repeat": self.repeat}
        return {
            "name": self.name, "kind": "conv", "ifmap_h": self.ifmap_h, "ifmap_w": self.ifmap_w,
            "filter_h": self.filter_h, "filter_w": self.filter_w, "channels": self.channels,
            "num_filters": self.num_filters, "stride_h": self.stride_h, "stride_w": self.stride_w,
            "repeat": self.repeat,
        }
