"""Modules that moved in 0.2.0, still importable under their old names (with a DeprecationWarning).

``import archgym.spaces`` keeps working and gives the very module ``archgym.core.spaces``, so code
written against 0.1 runs unchanged while it is ported; the table is the map from old to new.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

#: old module name -> new module name
MOVED: dict[str, str] = {
    "archgym.spaces": "archgym.core.spaces",
    "archgym.rewards": "archgym.core.rewards",
    "archgym.env": "archgym.core.env",
    "archgym.atomic": "archgym.files.atomic",
    "archgym.yaml_lines": "archgym.files.yaml_lines",
    "archgym.surrogate": "archgym.surrogates",
    "archgym.surrogate_curves": "archgym.surrogates.curves",
    "archgym.surrogate_data": "archgym.surrogates.data",
    "archgym.surrogate_features": "archgym.surrogates.features",
    "archgym.surrogate_metrics": "archgym.surrogates.metrics",
    "archgym.surrogate_models": "archgym.surrogates.models",
    "archgym.surrogate_plots": "archgym.surrogates.plots",
    "archgym.surrogate_recheck": "archgym.surrogates.recheck",
    "archgym.surrogate_speed": "archgym.surrogates.speed",
    "archgym.analysis": "archgym.sweeps.analysis",
    "archgym.sweep": "archgym.sweeps.run",
    "archgym.sweep_dataset": "archgym.sweeps.dataset",
    "archgym.sweep_spec": "archgym.sweeps.spec",
    "archgym.tune_searcher": "archgym.sweeps.searcher",
    "archgym.simulators.systolic_drain": "archgym.simulators.systolic.drain",
    "archgym.simulators.systolic_energy": "archgym.simulators.systolic.energy",
    "archgym.simulators.systolic_prefetch": "archgym.simulators.systolic.prefetch",
    "archgym.simulators.systolic_replay": "archgym.simulators.systolic.replay",
    "archgym.simulators.systolic_spec": "archgym.simulators.systolic.spec",
    "archgym.simulators.systolic_traffic": "archgym.simulators.systolic.traffic",
    "archgym.simulators.scalesim_files": "archgym.simulators.systolic.formats.scalesim",
    "archgym.simulators.scalesim_runner": "archgym.simulators.systolic.validation.scalesim_runner",
    "archgym.simulators.dram.checker": "archgym.simulators.dram.validation.checker",
    "archgym.simulators.dataflow.zigzag_format": "archgym.simulators.dataflow.formats.zigzag",
    "archgym.simulators.dataflow.timeloop_yaml": "archgym.simulators.dataflow.formats.timeloop",
    "archgym.simulators.dataflow.zigzag_bridge": "archgym.simulators.dataflow.validation.zigzag_bridge",
}


class _Alias(importlib.abc.Loader):
    def create_module(self, spec):
        new = MOVED[spec.name]
        warnings.warn(f"{spec.name} moved to {new} in archgym 0.2.0; import {new}", DeprecationWarning, stacklevel=2)
        return importlib.import_module(new)

    def exec_module(self, module):  # the new module has run already
        pass


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in MOVED:
            return importlib.util.spec_from_loader(name, _Alias())
        return None


def install() -> None:
    """Make the old names importable (idempotent)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())


__all__ = ["MOVED", "install"]
