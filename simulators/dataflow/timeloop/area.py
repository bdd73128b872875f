"""Area as Timeloop+Accelergy report it: the ART's area of one instance times the instances.

An Accelergy ART (``ART: {tables: [{name, area}]}``, um^2 per instance; names such as
``system_top_level.psum_spad[1..168]`` or v0.3's ``System.PE.Buffer``) gives each component's
area. Timeloop prints, per storage level, that area of one instance (``Area : ... um^2``) and for
the MAC ``Area (total)`` = per instance x instances; the chip is the sum over storage levels and the
MAC of per instance x instances. Spatial containers' dummy levels (1 um^2 in v0.4 ARTs) hold no
hardware and are left out, as Timeloop leaves them out of its total.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .spec import Hierarchy
from .tagged_yaml import SpecError, load

RANGE = re.compile(r"\[(\d+)\.\.(\d+)\]$")


@dataclass
class ComponentArea:
    per_instance_um2: float
    instances: int

    @property
    def total_um2(self) -> float:
        return self.per_instance_um2 * self.instances


@dataclass
class Area:
    components: dict = field(default_factory=dict)  # level (and MAC) name -> ComponentArea, outermost first
    source: str = ""

    @property
    def total_um2(self) -> float:
        return sum(c.total_um2 for c in self.components.values())


def read_art(path) -> dict:
    """Accelergy's ART: component name -> (um^2 per instance, instance count of the name's range or None)."""
    data = load(path)
    art = data.get("ART")
    if not isinstance(art, dict) or not isinstance(art.get("tables"), list):
        raise SpecError(f"{path}: not an Accelergy ART (expected ART: {{tables: [{{name, area}}]}})")
    out = {}
    for i, t in enumerate(art["tables"]):
        if not isinstance(t, dict) or "name" not in t or "area" not in t:
            raise SpecError(f"{path}: ART table {i} needs 'name' and 'area', got {t!r}")
        a = t["area"]
        if isinstance(a, bool) or not isinstance(a, (int, float)) or a < 0:
            raise SpecError(f"{path}: ART table {t['name']!r}: area = {a!r} must be a number >= 0 (um^2)")
        name = str(t["name"])
        m = RANGE.search(name)
        count = int(m.group(2)) - int(m.group(1)) + 1 if m else None
        out[RANGE.sub("", name).split(".")[-1]] = (float(a), count)
    return out


def area(hier: Hierarchy, art: dict, source: str = "ART") -> Area:
    """Per storage level and the MAC: the ART's area per instance and the architecture's instances.
    A level the ART lacks, or an ART instance range that disagrees with the architecture, is an error."""
    out = Area(source=source)
    for lv in [*hier.levels, hier.compute]:
        if lv.dummy:
            continue
        if lv.name not in art:
            raise SpecError(f"{source}: no area for component {lv.name!r}; ART components: {sorted(art)}")
        per, count = art[lv.name]
        if count is not None and count != lv.instances:
            raise SpecError(f"{source}: component {lv.name!r} has {count} instances in the ART but "
                            f"{lv.instances} in the architecture")
        out.components[lv.name] = ComponentArea(per, lv.instances)
    return out


__all__ = ["Area", "ComponentArea", "read_art", "area"]
