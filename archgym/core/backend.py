"""What evaluates designs behind an environment: the simulator, or a model standing in for it.

A backend maps a batch of validated designs to one metrics dict (or :class:`InfeasibleDesign`) per
design. The simulator backend is the environment's own ``simulate_batch``; any other is named in
:data:`BACKENDS` by an entry-point string (``"module:function"``) that is imported only when asked
for, so the core never imports its heavy, optional implementations (the surrogate needs pandas and
scikit-learn) and no import circle can form through it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable


class InfeasibleDesign(Exception):
    """A design that is in the space but cannot be built or run (e.g. no valid mapping).

    Returned (not raised) per design by ``simulate_batch`` and backends; the message is the reason,
    reported in ``info["violation"]``."""


@runtime_checkable
class Backend(Protocol):
    """Evaluates designs in place of the simulator."""

    def predict(self, designs: Sequence[Mapping[str, Any]]) -> list[dict | InfeasibleDesign]:
        """One metrics dict (every metric of the environment) or InfeasibleDesign per design."""
        ...


def backend_info(backend: Any) -> dict:
    """What a backend adds to a step's ``info`` about its last single-design answer: for a surrogate with
    prediction intervals, ``{"surrogate_interval": {metric: (lo, hi)}}`` (its ``last_interval``), else {}.
    Backends without the optional ``last_interval`` attribute add nothing."""
    last = getattr(backend, "last_interval", None)
    return {"surrogate_interval": last} if last is not None else {}


#: backend name -> "module:function" building it as ``function(model, env)``; "simulator" is built in
BACKENDS: dict[str, str] = {"surrogate": "archgym.surrogates.surrogate:load_backend"}


def load_backend(name: str, model: Any, env: Any) -> Backend | None:
    """The backend called ``name`` for ``env`` (``None`` for the simulator itself)."""
    if name == "simulator":
        if model is not None:
            raise ValueError("model is only used with a backend other than 'simulator' (e.g. backend='surrogate')")
        return None
    if name not in BACKENDS:
        raise ValueError(f"backend {name!r} is not known; allowed: {['simulator', *BACKENDS]}")
    module, _, attr = BACKENDS[name].partition(":")
    backend = getattr(importlib.import_module(module), attr)(model, env)
    if not isinstance(backend, Backend):
        raise TypeError(f"backend {name!r} built a {type(backend).__name__}, which has no predict(designs)")
    return backend


__all__ = ["BACKENDS", "Backend", "InfeasibleDesign", "backend_info", "load_backend"]
