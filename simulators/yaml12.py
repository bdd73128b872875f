"""A YAML loader that reads numbers as YAML 1.2 does (and as the tools' YAML readers do).

PyYAML implements YAML 1.1, where ``2.0e6`` and ``1e-3`` (no ``.`` or no exponent sign) are strings,
so ``targets: {cycles: 2.0e6}`` would silently arrive as the text ``'2.0e6'``. Timeloop's yaml-cpp and
most YAML users read them as floats; :class:`Loader` does too. Everything else is ``yaml.SafeLoader``.
"""

from __future__ import annotations

import re

import yaml


class Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with YAML 1.2's float syntax (``1e6``, ``2.0e6``, ``1.5E-3``, ``.5``)."""


Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?$|^[-+]?\.(?:inf|Inf|INF)$"
               r"|^\.(?:nan|NaN|NAN)$"),
    list("-+0123456789."),
)

# an integer-looking scalar ("12") must stay an int: put the int resolver ahead of the float one above
for _first, _resolvers in Loader.yaml_implicit_resolvers.items():
    _resolvers.sort(key=lambda r: r[0] != "tag:yaml.org,2002:int")


def safe_load(text: str):
    """``yaml.safe_load`` with YAML 1.2 numbers."""
    return yaml.load(text, Loader=Loader)


__all__ = ["Loader", "safe_load"]
