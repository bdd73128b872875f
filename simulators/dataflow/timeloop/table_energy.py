"""An ERT and an ART for a Timeloop architecture from archgym's own table, when Accelergy's are not given.

Timeloop takes energies and areas from Accelergy (the ERT and ART files). Without them, this module
fills the same shapes from :mod:`archgym.simulators.dataflow.energy_table` (65 nm, anchored on the
Eyeriss paper's relative access costs): per storage level ``read``/``write``/``update`` pJ per access
of one block and um^2 per instance, per MAC ``compute`` pJ and um^2. These are archgym's figures, not
Timeloop+Accelergy's; callers must say so. A class the table does not cover is refused by name.
"""

from __future__ import annotations

from .. import energy_table as table
from .spec import Hierarchy
from .tagged_yaml import SpecError

CLASS_ALIASES = {"reg_storage": "regfile"}  # as formats.timeloop reads it


def _table_class(lv) -> str:
    cls = CLASS_ALIASES.get(lv.cls, lv.cls)
    if cls not in table.CLASSES:
        raise SpecError(f"{lv.where}: archgym's energy table has no class {lv.cls!r} (level {lv.name!r}); "
                        f"it covers {list(table.CLASSES)}: give Accelergy's ERT/ART (--ert, --art)")
    return cls


def _args(lv) -> tuple:
    banks = int(lv.number("n_banks", default=1) or 1)
    return _table_class(lv), lv.depth or 1, lv.word_bits, lv.block_size, banks


def table_ert(hier: Hierarchy) -> dict:
    """Component -> action -> pJ, in :func:`.evaluation.read_ert`'s shape."""
    out = {}
    for lv in hier.levels:
        if lv.dummy:
            continue
        e = table.access_energy(*_args(lv))
        out[lv.name] = {"read": e, "write": e, "update": e}
    out[hier.compute.name] = {"compute": table.mac_energy(hier.compute.word_bits)}
    return out


def table_art(hier: Hierarchy) -> dict:
    """Component -> (um^2 per instance, None), in :func:`.area.read_art`'s shape."""
    out = {lv.name: (table.area(*_args(lv)), None) for lv in hier.levels if not lv.dummy}
    out[hier.compute.name] = (table.mac_area(hier.compute.word_bits), None)
    return out


__all__ = ["table_ert", "table_art"]
