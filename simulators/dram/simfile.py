"""DRAMSys's top-level simulation JSON (``ddr4-example.json``): device, controller, address mapping,
simulation settings and trace setup in one file, read as DRAMSys reads it.

Under ``"simulation"``, each of ``memspec``, ``addressmapping``, ``mcconfig``, ``simconfig`` and
``tracesetup`` is the object itself or the name of a file, relative to the simulation file's
folder, whose JSON holds it under the same key (DRAMSys's ``Config::from_path``). Trace players'
``name`` is relative to the simulation file's folder too; ``clkMhz`` is the player's clock and
``dataLength`` the bytes of a request that gives none. archgym simulates one absolute ``.stl``
player per run; several initiators, traffic generators, relative ``.rstl`` players and a non-zero
``AddressOffset`` are refused by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .jsonfile import read_json

SUBCONFIGS = ("memspec", "addressmapping", "mcconfig", "simconfig", "tracesetup")


class SimulationFileError(ValueError):
    """A simulation JSON that cannot be used; the message names the file, the key and what is allowed."""


@dataclass(frozen=True)
class SimulationFile:
    """The parts of a DRAMSys simulation JSON, with sub-files read and paths resolved."""

    source: Path
    simulation_id: str
    memspec: dict
    mcconfig: dict | None
    addressmapping: dict | None
    trace: Path
    player_clk_mhz: float | None
    data_length: int | None
    simconfig: dict = field(default_factory=dict)


def _part(sim: Mapping[str, Any], key: str, base: Path, src: Path, required: bool) -> Any:
    value = sim.get(key)
    if value is None:
        if required:
            raise SimulationFileError(f"{src}: simulation.{key} is missing (an object, or a file name relative to {base})")
        return None
    if isinstance(value, str):
        path = base / value
        data = read_json(path, f"{key} (named by {src})", SimulationFileError)
        if not isinstance(data, Mapping) or key not in data:
            raise SimulationFileError(f"{path}: expected a JSON object with the key {key!r} (named by {src} simulation.{key})")
        return data[key]
    return value


def load_simulation(path: str | Path) -> SimulationFile:
    """Read a DRAMSys simulation JSON and the files it names."""
    src = Path(path)
    data = read_json(src, "simulation", SimulationFileError)
    if not isinstance(data, Mapping) or not isinstance(data.get("simulation"), Mapping):
        raise SimulationFileError(f"{src}: expected a JSON object with the key 'simulation' (DRAMSys's simulation file)")
    sim, base = data["simulation"], src.parent
    memspec = _part(sim, "memspec", base, src, True)
    mcconfig = _part(sim, "mcconfig", base, src, False)
    mapping = _part(sim, "addressmapping", base, src, False)
    simconfig = _part(sim, "simconfig", base, src, False) or {}
    setup = _part(sim, "tracesetup", base, src, True)
    if not isinstance(setup, list) or not setup:
        raise SimulationFileError(f"{src}: simulation.tracesetup is {setup!r}; allowed: a list with one trace player")
    if len(setup) != 1:
        raise SimulationFileError(f"{src}: simulation.tracesetup has {len(setup)} initiators; allowed: 1 (archgym "
                                  "simulates one trace player per run; DRAMSys's arbitration of several is not modelled)")
    player = setup[0]
    if not isinstance(player, Mapping) or not isinstance(player.get("name"), str):
        raise SimulationFileError(f"{src}: simulation.tracesetup[0] needs a 'name' (the trace file)")
    if player.get("type", "player") != "player" or any(k in player for k in ("numRequests", "states", "rwRatio")):
        raise SimulationFileError(f"{src}: simulation.tracesetup[0] is a {player.get('type', 'generator')!r} initiator; "
                                  "allowed: a trace player ('type': 'player' with an .stl file)")
    trace = base / player["name"]
    if trace.suffix != ".stl":
        raise SimulationFileError(f"{src}: trace {player['name']!r}: allowed: an absolute .stl trace "
                                  "(.rstl relative-time traces are not read)")
    clk = player.get("clkMhz")
    if clk is not None and (not isinstance(clk, (int, float)) or isinstance(clk, bool) or not clk > 0):
        raise SimulationFileError(f"{src}: simulation.tracesetup[0].clkMhz is {clk!r}; allowed: a positive number (MHz)")
    length = player.get("dataLength")
    if length is not None and (not isinstance(length, int) or isinstance(length, bool) or length < 1 or length & (length - 1)):
        raise SimulationFileError(f"{src}: simulation.tracesetup[0].dataLength is {length!r}; allowed: a power of two (bytes)")
    offset = simconfig.get("AddressOffset", 0) if isinstance(simconfig, Mapping) else 0
    if offset:
        raise SimulationFileError(f"{src}: simconfig.AddressOffset is {offset!r}; allowed: 0 (address offsets are not modelled)")
    return SimulationFile(source=src, simulation_id=str(sim.get("simulationid", src.stem)), memspec=dict(memspec),
                          mcconfig=dict(mcconfig) if mcconfig is not None else None,
                          addressmapping=dict(mapping) if mapping is not None else None, trace=trace,
                          player_clk_mhz=float(clk) if clk is not None else None, data_length=length,
                          simconfig=dict(simconfig))


__all__ = ["SimulationFile", "SimulationFileError", "load_simulation", "SUBCONFIGS"]
