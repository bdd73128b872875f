"""The workload specification: one layer as the 8-deep loop nest N, G, K, C, P, Q, R, S.

``O[n][g][k][p][q] += W[g][k][c][r][s] * I[n][g][c][h][w]`` with ``h = Hstride*p + Hdilation*r`` and
``w = Wstride*q + Wdilation*s`` (Timeloop's CNN-layer problem; ``K`` is Timeloop's ``M``). A plain
convolution has ``G = 1``; a depthwise convolution has ``K = C = 1`` and ``G`` channels; a matrix
multiply ``O[m][n] = A[m][k] B[k][n]`` is ``N = m, C = k, K = n`` with every other dimension 1.

The loop nest reads the padded input (Timeloop's convention: ``H = Hstride*(P-1) + Hdilation*(R-1) + 1``
rows); ``input_size``, the real (unpadded) rows and columns, only clips a tile's input extent, as
ZigZag does, so that whole-tensor counts match the real tensor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

#: loop dimensions, in the order of every per-dimension array
DIMS = ("N", "G", "K", "C", "P", "Q", "R", "S")
DIM_INDEX = {d: i for i, d in enumerate(DIMS)}
N, G, K, C, P, Q, R, S = range(8)

#: tensors, in the order of every per-tensor array
TENSORS = ("W", "I", "O")
TENSOR_INDEX = {t: i for i, t in enumerate(TENSORS)}
W_T, I_T, O_T = range(3)

#: RELEVANT[t, d]: the index of tensor t moves with loop dimension d (for I: P, Q, R, S through h, w)
RELEVANT = np.array([
    # N  G  K  C  P  Q  R  S
    [0, 1, 1, 1, 0, 0, 1, 1],  # W
    [1, 1, 0, 1, 1, 1, 1, 1],  # I
    [1, 1, 1, 0, 1, 1, 0, 0],  # O
], dtype=np.bool_)

KINDS = ("conv", "depthwise", "gemm")

#: aliases accepted when reading specifications (Timeloop's M, ZigZag's names)
DIM_ALIASES = {"M": "K", "B": "N", "OY": "P", "OX": "Q", "FY": "R", "FX": "S"}


class WorkloadError(ValueError):
    """A layer specification that cannot be used."""


@dataclass(frozen=True)
class Layer:
    """One layer. ``dims`` maps each of :data:`DIMS` to its size; missing dimensions are 1.

    ``bits``: precision of weights, inputs, partial sums and final outputs (ZigZag's W, I, O, O_final).
    ``repeat``: how many times the layer occurs in its network (identical shapes are evaluated once).
    """

    name: str
    dims: dict
    kind: str = "conv"
    stride: tuple = (1, 1)
    dilation: tuple = (1, 1)
    input_size: tuple | None = None
    bits: dict = field(default_factory=lambda: {"W": 16, "I": 16, "O": 16, "O_final": 16})
    repeat: int = 1

    def __post_init__(self):
        dims = {}
        for key, v in dict(self.dims).items():
            d = DIM_ALIASES.get(str(key).upper(), str(key).upper())
            if d not in DIM_INDEX:
                raise WorkloadError(f"layer {self.name!r}: unknown dimension {key!r}; allowed: {list(DIMS)} "
                                    f"(aliases {sorted(DIM_ALIASES)})")
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or int(v) < 1:
                raise WorkloadError(f"layer {self.name!r}: dimension {d} must be an integer >= 1, got {v!r}")
            dims[d] = int(v)
        object.__setattr__(self, "dims", {d: dims.get(d, 1) for d in DIMS})
        if self.kind not in KINDS:
            raise WorkloadError(f"layer {self.name!r}: kind {self.kind!r} is not known; allowed: {list(KINDS)}")
        if self.kind == "depthwise" and (self.dims["K"] != 1 or self.dims["C"] != 1):
            raise WorkloadError(f"layer {self.name!r}: a depthwise layer has K = C = 1 (channels in G), "
                                f"got K={self.dims['K']}, C={self.dims['C']}")
        for name in ("stride", "dilation", "input_size"):
            if getattr(self, name) is None:
                continue
            v = tuple(int(x) for x in getattr(self, name))
            if len(v) != 2 or min(v) < 1:
                raise WorkloadError(f"layer {self.name!r}: {name} must be two integers >= 1 (h, w), got {v!r}")
            object.__setattr__(self, name, v)
        bits = {"W": 16, "I": 16, "O": 16, "O_final": 16, **dict(self.bits)}
        bad = {k: v for k, v in bits.items() if k not in ("W", "I", "O", "O_final") or int(v) < 1}
        if bad:
            raise WorkloadError(f"layer {self.name!r}: bad precision entries {bad}; allowed keys W, I, O, O_final "
                                f"with values >= 1 bit")
        object.__setattr__(self, "bits", {k: int(v) for k, v in bits.items()})
        if int(self.repeat) < 1:
            raise WorkloadError(f"layer {self.name!r}: repeat must be >= 1, got {self.repeat!r}")

    # -- sizes ----------------------------------------------------------------------------
    @property
    def macs(self) -> int:
        return math.prod(self.dims.values())

    def input_extent(self, axis: int, padded: bool = False) -> int:
        """Input rows (axis 0) or columns (axis 1) the layer reads; ``padded`` includes zero padding."""
        p, r = (self.dims["P"], self.dims["R"]) if axis == 0 else (self.dims["Q"], self.dims["S"])
        full = self.stride[axis] * (p - 1) + self.dilation[axis] * (r - 1) + 1
        if padded or self.input_size is None:
            return full
        return min(full, self.input_size[axis])

    def tensor_size(self, tensor: str) -> int:
        d = self.dims
        if tensor == "W":
            return d["G"] * d["K"] * d["C"] * d["R"] * d["S"]
        if tensor == "O":
            return d["N"] * d["G"] * d["K"] * d["P"] * d["Q"]
        if tensor == "I":
            return d["N"] * d["G"] * d["C"] * self.input_extent(0) * self.input_extent(1)
        raise WorkloadError(f"unknown tensor {tensor!r}; allowed: {list(TENSORS)}")

    @property
    def shape_key(self) -> tuple:
        """Everything that determines the cost of the layer (not its name or repeat count)."""
        return (self.kind, tuple(self.dims.values()), self.stride, self.dilation, self.input_extent(0),
                self.input_extent(1), tuple(sorted(self.bits.items())))

    def arrays(self) -> LayerArrays:
        """The numeric form the cost kernels take (cached)."""
        cached = self.__dict__.get("_arrays")
        if cached is None:
            cached = LayerArrays(
                dims=np.array([self.dims[d] for d in DIMS], dtype=np.int64),
                stride=np.array(self.stride, dtype=np.int64),
                dilation=np.array(self.dilation, dtype=np.int64),
                input_real=np.array([self.input_extent(0), self.input_extent(1)], dtype=np.int64),
                bits=np.array([self.bits["W"], self.bits["I"], self.bits["O"], self.bits["O_final"]], dtype=np.float64),
                macs=float(self.macs),
            )
            object.__setattr__(self, "_arrays", cached)
        return cached

    def __str__(self) -> str:
        shape = " ".join(f"{d}={v}" for d, v in self.dims.items() if v > 1)
        extra = ""
        if self.stride != (1, 1):
            extra += f" stride={self.stride[0]}x{self.stride[1]}"
        if self.input_size is not None:
            extra += f" input={self.input_extent(0)}x{self.input_extent(1)}"
        return f"{self.name} [{self.kind}] {shape}{extra}"


@dataclass(frozen=True)
class LayerArrays:
    dims: np.ndarray
    stride: np.ndarray
    dilation: np.ndarray
    input_real: np.ndarray
    bits: np.ndarray
    macs: float


def conv(name: str, *, K: int, C: int, H: int, W: int | None = None, R: int = 1, S: int | None = None, N: int = 1,
         stride: int = 1, padding: int = 0, dilation: int = 1, groups: int = 1, bits: dict | None = None,
         repeat: int = 1) -> Layer:
    """A convolution of an ``H x W`` input (``padding`` zero rows/columns per side), as frameworks define it.

    ``groups == C == K`` gives a depthwise layer (G = channels, K = C = 1)."""
    W = H if W is None else W
    S = R if S is None else S
    P = (H + 2 * padding - dilation * (R - 1) - 1) // stride + 1
    Q = (W + 2 * padding - dilation * (S - 1) - 1) // stride + 1
    if P < 1 or Q < 1:
        raise WorkloadError(f"layer {name!r}: a {R}x{S} filter with stride {stride} leaves no output on a {H}x{W} input")
    kw = {"bits": bits} if bits else {}
    if groups > 1:
        if C % groups or K % groups:
            raise WorkloadError(f"layer {name!r}: groups {groups} must divide C={C} and K={K}")
        dims = {"N": N, "G": groups, "K": K // groups, "C": C // groups, "P": P, "Q": Q, "R": R, "S": S}
        kind = "depthwise" if dims["K"] == dims["C"] == 1 else "conv"
    else:
        dims, kind = {"N": N, "K": K, "C": C, "P": P, "Q": Q, "R": R, "S": S}, "conv"
    return Layer(name, dims, kind, (stride, stride), (dilation, dilation), (H, W), repeat=repeat, **kw)


def gemm(name: str, *, M: int, N: int, K: int, bits: dict | None = None, repeat: int = 1) -> Layer:
    """``O[M, N] = A[M, K] @ B[K, N]``: rows M on the batch loop, reduction K on C, columns N on K."""
    kw = {"bits": bits} if bits else {}
    return Layer(name, {"N": M, "C": K, "K": N}, "gemm", repeat=repeat, **kw)


def axis_count(p_ext: int, r_ext: int, stride: int, dilation: int) -> int:
    """Distinct values of ``stride*i + dilation*j`` for ``i < p_ext``, ``j < r_ext`` (an input tile's extent)."""
    g = math.gcd(stride, dilation)
    s, d = stride // g, dilation // g
    return p_ext * r_ext - max(0, r_ext - s) * max(0, p_ext - d)
