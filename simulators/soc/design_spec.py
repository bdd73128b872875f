"""A design as plain data (a dict, or a JSON file): blocks, links, and the mapping.

.. code-block:: json

    {"blocks": {"cpu": "A53_pe", "bus": "LMEM_ic_0_1_ic", "dram": "GMEM_0_1_mem"},
     "links": [["cpu", "bus"], ["bus", "dram"]],
     "task_pe": {"souurce": "cpu", "...": "cpu"},
     "task_memory": {"souurce": "dram", "...": "dram"}}

``task_pe`` may give ``"*"`` for every task not listed; ``task_memory`` likewise.
Block order is the order of ``blocks``; link order matters for ties between equally short paths.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx

from ..textfile import decode_error
from .block_library import BlockLibrary
from .hardware import Hardware, HardwareError
from .mapping import Mapping


class DesignSpecError(ValueError):
    """A design description that cannot be read (names the file, field and value)."""


def design_from_dict(spec: dict, library: BlockLibrary, workload: nx.DiGraph, where: str = "design") -> tuple[Hardware, Mapping]:
    """(Hardware, Mapping) of a design description; errors name the field and the bad value."""
    if not isinstance(spec, dict):
        raise DesignSpecError(f"{where}: expected an object with 'blocks', 'links', 'task_pe', 'task_memory'")
    missing = [k for k in ("blocks", "links", "task_pe", "task_memory") if k not in spec]
    if missing:
        raise DesignSpecError(f"{where}: missing field(s) {missing}")
    hw = Hardware(library)
    if not isinstance(spec["blocks"], dict):
        raise DesignSpecError(f"{where}: field 'blocks' must map instance names to block types")
    for inst, block in spec["blocks"].items():
        try:
            hw.add(inst, block)
        except (HardwareError, ValueError) as e:
            raise DesignSpecError(f"{where}: blocks.{inst}: {e}") from None
    for i, link in enumerate(spec["links"]):
        if not (isinstance(link, (list, tuple)) and len(link) == 2):
            raise DesignSpecError(f"{where}: links[{i}] = {link!r}; allowed: a pair [instance, instance]")
        try:
            hw.connect(str(link[0]), str(link[1]))
        except HardwareError as e:
            raise DesignSpecError(f"{where}: links[{i}]: {e}") from None
    return hw, Mapping(_expand(spec["task_pe"], workload, where, "task_pe"),
                       _expand(spec["task_memory"], workload, where, "task_memory", writers_only=True))


def load_design(path: str | Path, library: BlockLibrary, workload: nx.DiGraph) -> tuple[Hardware, Mapping]:
    p = Path(path)
    try:
        spec = json.loads(p.read_text())
    except FileNotFoundError:
        raise DesignSpecError(f"{p}: no such design file") from None
    except UnicodeDecodeError as e:
        raise DesignSpecError(f"{p}: {decode_error(e)}") from None
    except json.JSONDecodeError as e:
        raise DesignSpecError(f"{p}: line {e.lineno}: not valid JSON ({e.msg})") from None
    return design_from_dict(spec, library, workload, where=str(p))


def _expand(m, workload: nx.DiGraph, where: str, field: str, writers_only: bool = False) -> dict:
    if not isinstance(m, dict):
        raise DesignSpecError(f"{where}: field {field!r} must map task names to instances")
    out = {}
    default = m.get("*")
    for t in workload.nodes:
        if t in m:
            out[t] = m[t]
        elif default is not None and not (writers_only and workload.out_degree(t) == 0):
            out[t] = default
    unknown = [t for t in m if t != "*" and t not in workload]
    if unknown:
        raise DesignSpecError(f"{where}: {field} names task(s) {unknown} that are not in the workload; "
                              f"tasks: {list(workload.nodes)}")
    return out
