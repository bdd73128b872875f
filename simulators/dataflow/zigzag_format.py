"""ZigZag's mapping format read into this model's mapping (so ZigZag users can bring their mappings).

ZigZag gives one loop order for the whole nest (inner to outer) and, per operand, how many of those
loops each of the operand's memories covers (``{O: [[(FX, 3), (FY, 3)], [(OY, 16), ...], []], ...}``),
with the spatial unrolling per array dimension (``{D1: {K: 32}, D2: {C: 32}}``). Here a mapping has one
cut per storage level, so the operands' cuts must agree on every memory they share; memories private
to one operand that sit side by side in the PE (ZigZag's tpu_like weight and output register files)
are put in the order of their cuts.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace

from .architecture import Architecture
from .mapping import LevelLoops, Mapping, MappingError
from .workload import DIM_ALIASES

#: ZigZag operand names -> this model's tensors
OPERANDS = {"W": "W", "I": "I", "O": "O"}


def _dim(name: str) -> str:
    return DIM_ALIASES.get(name.upper(), name.upper())


def parse_temporal(text: str) -> dict:
    """``{O: [[(FX, 3), ...], ...], W: ..., I: ...}`` (ZigZag's printed temporal mapping) -> dict of lists."""
    quoted = re.sub(r"([A-Za-z_][A-Za-z_0-9]*)", r"'\1'", text)
    try:
        raw = ast.literal_eval(quoted)
    except (ValueError, SyntaxError) as e:
        raise MappingError(f"cannot read the ZigZag temporal mapping {text[:60]!r}...: {e}") from None
    return {op: [[(_dim(d), int(f)) for d, f in lv] for lv in levels] for op, levels in raw.items()}


def parse_spatial(text: str) -> dict:
    """``{D1: {K: 32}, D2: {C: 32}}`` -> ``{"D1": [("K", 32)], "D2": [("C", 32)]}``."""
    quoted = re.sub(r"([A-Za-z_][A-Za-z_0-9]*)", r"'\1'", text)
    try:
        raw = ast.literal_eval(quoted)
    except (ValueError, SyntaxError) as e:
        raise MappingError(f"cannot read the ZigZag spatial mapping {text!r}: {e}") from None
    return {oa: [(_dim(d), int(f)) for d, f in dims.items()] for oa, dims in raw.items()}


def mapping_from_zigzag(arch: Architecture, temporal: dict, spatial: dict, memories: dict,
                        spatial_level: str, array_dims: tuple = ("D1", "D2")) -> tuple[Architecture, Mapping]:
    """(architecture with private PE memories put in cut order, mapping) for a ZigZag mapping.

    ``memories``: ZigZag operand -> names of its memory levels in ``arch``, innermost first.
    ``spatial_level``: the level whose fan-out the array dimensions unroll; ``array_dims`` are its X, Y.
    """
    ops = list(temporal)
    order = [loop for lv in temporal[ops[0]] for loop in lv]
    for op in ops[1:]:
        other = [loop for lv in temporal[op] for loop in lv]
        if other != order:
            raise MappingError(f"operand {op}'s loops {other} are not in the same order as {ops[0]}'s {order}")
    cuts: dict[str, int] = {}
    for op in ops:
        names = memories[op]
        if len(names) != len(temporal[op]):
            raise MappingError(f"operand {op} has {len(temporal[op])} memory levels in the mapping, "
                               f"{len(names)} given: {names}")
        n = 0
        for name, loops in zip(names, temporal[op]):
            n += len(loops)
            if cuts.setdefault(name, n) != n:
                raise MappingError(f"memory {name!r} holds operands cut at different loops ({cuts[name]} and {n}); "
                                   f"this model keeps one tile boundary per level")
    arch = _cut_order(arch, cuts)
    levels, start = [], 0
    for lv in arch.levels:
        end = cuts.get(lv.name, start)
        if end < start:
            raise MappingError(f"memory {lv.name!r} is cut at loop {end}, below the level under it (cut at {start})")
        sx = sy = ()
        if lv.name == spatial_level:
            sx = tuple(spatial.get(array_dims[0], ()))
            sy = tuple(spatial.get(array_dims[1], ()))
        levels.append(LevelLoops(tuple(order[start:end]), sx, sy))
        start = end
    if start != len(order):
        raise MappingError(f"the outermost memory covers {start} of the {len(order)} loops")
    return arch, Mapping(tuple(levels))


def _cut_order(arch: Architecture, cuts: dict) -> Architecture:
    """Swap adjacent sibling levels (same instances, no fan-out between them) into the order of their cuts."""
    levels = list(arch.levels)
    fan = arch.fanouts
    changed = True
    while changed:
        changed = False
        for i in range(len(levels) - 1):
            a, b = levels[i], levels[i + 1]
            if a.name in cuts and b.name in cuts and cuts[a.name] > cuts[b.name]:
                if a.instances != b.instances or tuple(fan[i + 1]) != (1, 1):
                    raise MappingError(f"memory {a.name!r} is cut above {b.name!r}, but they are not siblings "
                                       f"that can swap places")
                levels[i], levels[i + 1] = b, a
                changed = True
    return arch if levels == list(arch.levels) else replace(arch, levels=tuple(levels))
