"""Task-graph SoC model (FARSI-style) on networkx graphs.

A workload is a task graph (:mod:`.taskgraph`), the hardware a graph of PEs, memories and buses
(:mod:`.hardware`, block types from :mod:`.block_library` and :mod:`.memory_cost`), and a mapping
places tasks on PEs and their data in memories (:mod:`.mapping`). :class:`.model.SocModel` simulates
a mapped design with FARSI's phase model (:mod:`.scheduler`) and accounting (:mod:`.cost`), through
the numba core of :mod:`.evaluate`; :mod:`.limited_encoding` decodes and batch-evaluates ArchGym's
"limited" FARSI design space. Designs can also be read from plain dicts or JSON (:mod:`.design_spec`).

Development note: numba caches compiled code per source file, and a cached caller keeps the machine
code of the functions it called. After editing scheduler.py, cost.py, memory_cost.py or evaluate.py,
delete ``simulators/soc/__pycache__`` so that their callers are recompiled too.
"""
