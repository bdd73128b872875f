"""Loop-nest dataflow accelerator model: architecture, workload and mapping specifications, access counts, cost, mapper.

In the style of Timeloop/Accelergy and ZigZag, kept apart as they keep them:

* :mod:`.workload` -- one layer as the loop nest N, G, K, C, P, Q, R, S (convolution, depthwise, GEMM);
  :mod:`.network` -- layer tables and a network's cost with the mapper choosing each layer's mapping.
* :mod:`.architecture` -- storage levels (innermost first) with sizes, widths, bandwidths, per-tensor
  bypass and instance counts over a spatial array of MACs; :mod:`.energy_table` -- 65 nm energy per
  access and area by component class; :mod:`.eyeriss` -- ArchGym TimeloopGym's Eyeriss-like design.
* :mod:`.mapping` -- per level, temporal loops in order and spatial loops on the fan-out.
* :mod:`.access_counts` -- the reuse analysis (numba); :mod:`.cost` -- cycles, energy per level and
  tensor, EDP, utilization, area, capacity check; :mod:`.mapper` -- the mapping search.
* :mod:`.gamma` -- GAMMA/MAESTRO genomes.
* :mod:`.formats.timeloop`, :mod:`.formats.zigzag` -- the tools' files into this model: Timeloop v0.3/v0.4 YAML; ZigZag's
  hardware, mapping and workload YAML, ONNX models and mappings.
* :mod:`.timeloop` -- Timeloop's own counting of Timeloop's files (nest analysis, Accelergy ERT energy),
  equal to the statistics the Timeloop/Accelergy exercises ship.
* :mod:`.validation` -- ZigZag's own cost model and search on the same inputs (optional ``zigzag-dse``),
  to check this model against.

Example::

    from archgym.simulators.dataflow.eyeriss import eyeriss_like
    from archgym.simulators.dataflow.workload import conv
    from archgym.simulators.dataflow.mapper import Mapper

    arch = eyeriss_like()
    ev = Mapper(arch).best(conv("conv3", K=384, C=256, H=13, R=3, padding=1))
    print(ev.cycles, ev.energy_pj, ev.utilization, ev.mapping.text(arch))

The kernels are compiled by numba on first use (tens of seconds) and cached on disk afterwards.
"""
