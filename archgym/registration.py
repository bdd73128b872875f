"""Registration of every archgym environment id with gymnasium, without importing gymnasium early.

``import archgym`` must stay light (a user of ``archgym.simulators`` or ``archgym.agents`` needs no
gymnasium), yet ``import archgym; gymnasium.make("archgym/...")`` must work in either import order.
So: if gymnasium is already imported, register now; otherwise a one-shot import hook registers the
ids right after gymnasium's own module has run.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys

from archgym.envs import ENVIRONMENTS


def register() -> None:
    """Register every id of :data:`archgym.envs.ENVIRONMENTS` (idempotent)."""
    import gymnasium

    for env_id, entry_point in ENVIRONMENTS.items():
        if env_id not in gymnasium.registry:  # the vector entry point names the id: see archgym.core.vector
            gymnasium.register(id=env_id, entry_point=entry_point, vector_entry_point=f"archgym.core.vector:{env_id}")


class _Loader(importlib.abc.Loader):
    """gymnasium's own loader, registering archgym's ids once the module has executed."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        register()

    def __getattr__(self, name):  # resource readers, get_data, ...: the original loader's
        return getattr(self._loader, name)


class _Hook(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the loader of the real ``gymnasium`` spec, then removes itself."""

    def find_spec(self, name, path=None, target=None):
        if name != "gymnasium":
            return None
        _remove_hook()
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _Loader(spec.loader)
        return spec


def _remove_hook() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _Hook)]


def register_when_gymnasium_loads() -> None:
    """Register now if gymnasium is loaded, else as soon as it is."""
    if "gymnasium" in sys.modules:
        register()
    elif not any(isinstance(f, _Hook) for f in sys.meta_path):
        sys.meta_path.insert(0, _Hook())


__all__ = ["register", "register_when_gymnasium_loads"]
