"""YAML loading that remembers where each value came from, so that errors can name the line.

:func:`load_with_lines` returns the plain Python data (as ``yaml.safe_load`` would, but
with YAML 1.2's numbers: ``2.0e6`` is a float, not text) and a mapping from each value's
path (a tuple of keys and list indices) to its 1-based line number. Duplicate keys,
which ``yaml.safe_load`` silently collapses, are refused.
"""

from __future__ import annotations

from typing import Any

import yaml

from archgym.simulators.yaml12 import Loader

Path = tuple


class YamlError(ValueError):
    """A YAML file that cannot be parsed (message names the file and line)."""


def load_with_lines(text: str, source: str = "<string>") -> tuple[Any, dict[Path, int]]:
    """Parse ``text``; return ``(data, lines)`` where ``lines[path]`` is the line of the value at ``path``."""
    try:
        node = yaml.compose(text, Loader=Loader)  # YAML 1.2 numbers: 2.0e6 is a float
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise YamlError(f"{where}: not valid YAML ({getattr(e, 'problem', None) or e})") from None
    lines: dict[Path, int] = {}
    if node is None:
        return None, lines
    constructor = yaml.constructor.SafeConstructor()
    return _build(node, (), lines, constructor, source), lines


def _build(node, path: Path, lines: dict, constructor, source: str) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if key in out:
                raise YamlError(f"{source}:{key_node.start_mark.line + 1}: key {key!r} appears twice")
            out[key] = _build(value_node, path + (key,), lines, constructor, source)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(v, path + (i,), lines, constructor, source) for i, v in enumerate(node.value)]
    return constructor.construct_object(node, deep=True)


def path_text(path: Path) -> str:
    """``("agents", 1, "params")`` -> ``agents[1].params``."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "<top level>"
