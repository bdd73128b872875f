"""The accelerator one NPU stands for: peak compute, memory bandwidth and capacity, and its roofline.

Presets are the vendors' data-sheet figures for dense 16-bit matrix math: NVIDIA A100 SXM4 80 GB
(312 TFLOPS BF16, 2,039 GB/s HBM2e), NVIDIA H100 SXM5 (989 TFLOPS BF16 dense, 3,350 GB/s HBM3, 80 GB) and
Google TPU v4 (275 TFLOPS BF16, 1,200 GB/s, 32 GiB HBM; Jouppi et al., ISCA 2023, Table 1). The roofline
(Williams, Waterman and Patterson, CACM 2009) times an operator as ``max(flops / peak, bytes / bandwidth)``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Accelerator:
    """Peak ``tflops`` (10^12 FLOP/s), memory bandwidth ``mem_GBps`` (10^9 B/s) and ``mem_GB`` (10^9 B) per NPU."""

    name: str
    tflops: float
    mem_GBps: float
    mem_GB: float

    def __post_init__(self):
        for f in ("tflops", "mem_GBps", "mem_GB"):
            if not getattr(self, f) > 0:
                raise ValueError(f"accelerator {self.name}: {f} must be positive, got {getattr(self, f)!r}")

    def op_seconds(self, flops: float, bytes_moved: float) -> float:
        """Roofline time of one operator."""
        return max(flops / (self.tflops * 1e12), bytes_moved / (self.mem_GBps * 1e9))


ACCELERATORS: dict[str, Accelerator] = {a.name: a for a in (
    Accelerator("A100", 312.0, 2039.0, 80.0),
    Accelerator("H100", 989.0, 3350.0, 80.0),
    Accelerator("TPUv4", 275.0, 1200.0, 34.36),
)}


def accelerator(spec: str | Accelerator | dict) -> Accelerator:
    """A preset by name, an :class:`Accelerator`, or a dict of its fields."""
    if isinstance(spec, Accelerator):
        return spec
    if isinstance(spec, dict):
        return Accelerator(str(spec.get("name", "custom")), float(spec["tflops"]), float(spec["mem_GBps"]),
                           float(spec["mem_GB"]))
    if spec not in ACCELERATORS:
        raise ValueError(f"accelerator {spec!r} is not known; allowed: {sorted(ACCELERATORS)} or a dict with "
                         "tflops, mem_GBps and mem_GB")
    return ACCELERATORS[spec]
