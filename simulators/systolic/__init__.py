"""Systolic-array accelerator model with SCALE-Sim 3.0's answers (``archgym.simulators.systolic``).

Layout, one concept per file:

* :mod:`.spec` - the configuration (array, SRAMs, dataflow, bandwidth, sparsity) and the layer shape;
* :mod:`.sparsity` - SCALE-Sim's N:M structured sparsity: pruned layers and the storage it reports;
  :mod:`.optimized` - its optimized sparse mapping (demand matrices built and replayed);
* :mod:`.model` - the vectorised analytic model (:func:`simulate`, :func:`simulate_batch`), whose batched
  passes are numba kernels: :mod:`.network` (fold arithmetic, energy and network totals) and
  :mod:`.user_stalls` (USER-mode stall and ofmap routing);
* :mod:`.layout` - SCALE-Sim v3's custom SRAM layouts with bank conflicts (the exact replay only);
* :mod:`.prefetch`, :mod:`.drain`, :mod:`.traffic` - its USER-mode read buffers, write buffer and
  stalls, and CALC-mode DRAM traffic; :mod:`.events`, :mod:`.writes` - the same buffers event by
  event (window advances, drains: exact); :mod:`.replay` - the exact address-by-address path;
* :mod:`.exactness` - which (design, layer) pairs the analytic path certainly counts exactly, and why not;
* :mod:`.energy` - the 45 nm energy and area table;
* :mod:`.formats` - SCALE-Sim's own files (``.cfg``, topology CSVs) in and out;
* :mod:`.validation` - running the real ``scalesim`` package for side-by-side checks.

Nothing here imports gymnasium or the rest of ``archgym``.
"""

from .energy import DEFAULT_TABLE, EnergyTable, area_mm2, energy_pj
from .formats.scalesim import SystolicFileError, read_config, read_topology, write_config, write_topology
from .model import (
    BANDWIDTH_FIELDS,
    COUNT_LIMIT,
    LAYER_FIELDS,
    MODEL_VERSION,
    TOTAL_FIELDS,
    TRACE_FIELDS,
    CountOverflow,
    config_arrays,
    count_bound,
    distinct_layers,
    layer_arrays,
    load_workload,
    simulate,
    simulate_batch,
)
from .sparsity import SPARSE_FIELDS
from .spec import BANDWIDTH_MODES, DATAFLOWS, SPARSE_REPS, Layer, SystolicConfig

__all__ = [
    "BANDWIDTH_FIELDS",
    "BANDWIDTH_MODES",
    "COUNT_LIMIT",
    "CountOverflow",
    "count_bound",
    "DATAFLOWS",
    "DEFAULT_TABLE",
    "EnergyTable",
    "LAYER_FIELDS",
    "Layer",
    "MODEL_VERSION",
    "SystolicConfig",
    "SPARSE_FIELDS",
    "SPARSE_REPS",
    "SystolicFileError",
    "TOTAL_FIELDS",
    "TRACE_FIELDS",
    "area_mm2",
    "config_arrays",
    "distinct_layers",
    "energy_pj",
    "layer_arrays",
    "load_workload",
    "read_config",
    "read_topology",
    "simulate",
    "simulate_batch",
    "write_config",
    "write_topology",
]
