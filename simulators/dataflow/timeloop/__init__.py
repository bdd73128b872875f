"""Timeloop's own model of a loop-nest accelerator, for Timeloop's files (``archgym.simulators.dataflow.timeloop``).

One concept per file, in the order a run goes through them:

* :mod:`.tagged_yaml` - Timeloop's YAML: ``!Container``/``!Component`` tags, line numbers, merged
  files, Jinja2 templates, attribute arithmetic;
* :mod:`.spec` - architecture, problem, mapping, constraints and mapper specifications (v0.3, v0.4);
* :mod:`.counts` - Timeloop's nest analysis: per-level, per-tensor reads, fills, updates;
* :mod:`.constraints` - a fixed mapping checked against its mapspace constraints;
* :mod:`.evaluation` - one evaluation (counts, cycles, utilisation, energy from an Accelergy ERT)
  and the readers of Timeloop's stats and ERT files;
* :mod:`.area` - area from an Accelergy ART (per instance x instances);
* :mod:`.table_energy` - an ERT and ART from archgym's own energy table, when Accelergy's are not given.

The ZigZag-validated model of the environments (``access_counts``, ``cost``) counts
differently; ``formats.timeloop`` reads the same files into that model.
"""
