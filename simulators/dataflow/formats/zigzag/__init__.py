"""ZigZag's files read into this package's model (``archgym.simulators.dataflow.formats.zigzag``).

* :mod:`.mappings` - ZigZag's Python-style mapping strings and dicts, its tpu_like accelerator, and
  energy under ZigZag's charging conventions;
* :mod:`.hardware` - ZigZag's hardware YAML and mapping YAML (``inputs/hardware``, ``inputs/mapping``);
* :mod:`.workload` - ZigZag's workload YAML and ONNX models (optional ``onnx``);
* :mod:`.allocation` - a complete temporal ordering allocated to the memories as ZigZag's
  ``MemoryAllocator`` does;
* :mod:`.evaluation` - ZigZag's counts and energy for one layer under one ZigZag mapping, its fractional
  spatial unrolling included;
* :mod:`.simulation` - :func:`simulate_files`: the three input files to ZigZag's figures per layer.
"""

from .allocation import allocate
from .evaluation import LayerEvaluation, evaluate_layer, zigzag_unrolling
from .hardware import ZigzagArchitecture, ZigzagInputError, read_hardware, read_mapping
from .mappings import (
    TPU_LIKE_MEMORIES,
    ZIGZAG_BITS,
    layer_from_loop_sizes,
    mapping_from_zigzag,
    parse_spatial,
    parse_temporal,
    tpu_like,
    zigzag_convention_energy,
)
from .simulation import read_workload, simulate_files
from .workload import ZigzagWorkload, read_onnx, read_workload_yaml

__all__ = [
    "TPU_LIKE_MEMORIES",
    "LayerEvaluation",
    "ZIGZAG_BITS",
    "ZigzagArchitecture",
    "ZigzagInputError",
    "ZigzagWorkload",
    "allocate",
    "evaluate_layer",
    "layer_from_loop_sizes",
    "mapping_from_zigzag",
    "parse_spatial",
    "parse_temporal",
    "read_hardware",
    "read_mapping",
    "read_onnx",
    "read_workload",
    "read_workload_yaml",
    "simulate_files",
    "tpu_like",
    "zigzag_convention_energy",
    "zigzag_unrolling",
]
