"""Memory-controller configuration: DRAMSys's mcconfig knobs, their allowed values and defaults.

The knob names and values are those of DRAMSys's ``mcconfig`` JSON (and so ArchGym's DRAM
action space). An mcconfig may give any subset; the rest take DRAMSys's defaults
(``DRAMSys/controller/McConfig.h``). Unknown knobs or values raise :class:`McConfigError`
naming the knob and listing what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .jsonfile import read_json

#: categorical knobs -> allowed values (DRAMSys spelling); the first ones are what archgym models
CATEGORICAL = {
    "PagePolicy": ("Open", "OpenAdaptive", "Closed", "ClosedAdaptive"),
    "Scheduler": ("Fifo", "FrFcfs", "FrFcfsGrp"),
    "SchedulerBuffer": ("Bankwise", "ReadWrite", "Shared"),
    "CmdMux": ("Oldest", "Strict"),
    "RespQueue": ("Fifo", "Reorder"),
    "RefreshPolicy": ("NoRefresh", "AllBank", "PerBank", "SameBank"),
    "PowerDownPolicy": ("NoPowerDown", "Staggered"),
    "Arbiter": ("Simple", "Fifo", "Reorder"),
}
#: values DRAMSys knows that archgym does not model, with why (added to the refusal)
NOT_MODELLED = {
    ("RefreshPolicy", "Per2Bank"): " (per-2-bank refresh, REFp2b, is an LPDDR5 command; not modelled for DDR3/DDR4)",
}
#: DRAMSys's aliases for refresh policies
REFRESH_ALIASES = {"Rankwise": "AllBank", "Bankwise": "PerBank", "Groupwise": "SameBank"}
#: integer knobs -> minimum value
INTEGER = {
    "RequestBufferSize": 1,
    "RequestBufferSizeRead": 1,
    "RequestBufferSizeWrite": 1,
    "RefreshMaxPostponed": 0,
    "RefreshMaxPulledin": 0,
    "MaxActiveTransactions": 1,
    "ArbitrationDelayFw": 0,
    "ArbitrationDelayBw": 0,
    "ThinkDelayFw": 0,
    "ThinkDelayBw": 0,
    "PhyDelayFw": 0,
    "PhyDelayBw": 0,
}
BOOLEAN = ("RefreshManagement",)
#: knobs DRAMSys reads but that do not change this model's results (accepted and ignored)
IGNORED = ("HighWatermark", "LowWatermark", "BlockingReadDelay", "BlockingWriteDelay")

#: DRAMSys's defaults (McConfig.h of DRAMSys 5)
DEFAULTS: dict[str, Any] = {
    "PagePolicy": "Open",
    "Scheduler": "FrFcfs",
    "SchedulerBuffer": "Bankwise",
    "RequestBufferSize": 8,
    "RequestBufferSizeRead": 8,
    "RequestBufferSizeWrite": 8,
    "CmdMux": "Oldest",
    "RespQueue": "Fifo",
    "RefreshPolicy": "AllBank",
    "RefreshMaxPostponed": 0,
    "RefreshMaxPulledin": 0,
    "PowerDownPolicy": "NoPowerDown",
    "Arbiter": "Simple",
    "MaxActiveTransactions": 64,
    "RefreshManagement": False,
    "ArbitrationDelayFw": 0,
    "ArbitrationDelayBw": 0,
    "ThinkDelayFw": 1,
    "ThinkDelayBw": 0,
    "PhyDelayFw": 0,
    "PhyDelayBw": 0,
}

ALL_KNOBS = tuple(CATEGORICAL) + tuple(INTEGER) + BOOLEAN + IGNORED


class McConfigError(ValueError):
    """An mcconfig knob or value that is not allowed; the message names it and lists what is."""


def resolve_mcconfig(config: Mapping[str, Any] | None = None, source: str = "mcconfig") -> dict[str, Any]:
    """Validate a (partial) mcconfig and fill in DRAMSys's defaults."""
    config = dict(config or {})
    if "mcconfig" in config and isinstance(config["mcconfig"], Mapping) and len(config) == 1:
        config = dict(config["mcconfig"])
    out = dict(DEFAULTS)
    for k, v in config.items():
        if k in CATEGORICAL:
            if k == "RefreshPolicy" and v in REFRESH_ALIASES:
                v = REFRESH_ALIASES[v]
            if v not in CATEGORICAL[k]:
                why = NOT_MODELLED.get((k, v), "")
                raise McConfigError(f"{source}: {k} is {v!r}; allowed: {list(CATEGORICAL[k])}{why}")
        elif k in INTEGER:
            if not isinstance(v, int) or isinstance(v, bool) or v < INTEGER[k]:
                raise McConfigError(f"{source}: {k} is {v!r}; allowed: an integer >= {INTEGER[k]}")
        elif k in BOOLEAN:
            if not isinstance(v, bool):
                raise McConfigError(f"{source}: {k} is {v!r}; allowed: true or false")
            if v:
                raise McConfigError(f"{source}: {k} is true; allowed: false (refresh management (RFM) is a DDR5/"
                                    "LPDDR5 feature, not modelled for DDR3/DDR4)")
        elif k in IGNORED:
            pass
        else:
            raise McConfigError(f"{source}: unknown knob {k!r}; allowed: {sorted(ALL_KNOBS)}")
        out[k] = v
    if out["CmdMux"] == "Strict":
        raise McConfigError(f"{source}: CmdMux is 'Strict'; allowed: ['Oldest'] (Strict is not modelled)")
    return out


def load_mcconfig(path: str | Path) -> dict[str, Any]:
    """Read a DRAMSys mcconfig JSON file (wrapped in ``{"mcconfig": ...}`` or not) and resolve defaults."""
    p = Path(path)
    data = read_json(p, "mcconfig", McConfigError)
    if not isinstance(data, Mapping):
        raise McConfigError(f"{p}: expected a JSON object, got {type(data).__name__}")
    return resolve_mcconfig(data, str(p))
