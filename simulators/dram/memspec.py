"""DRAM device description read from a DRAMSys memspec JSON file (DDR3 and DDR4).

A memspec names the device's organisation (``memarchitecturespec``), its timings in clock
cycles (``memtimingspec``, with ``tCK`` in picoseconds) and its IDD currents and voltages
(``mempowerspec``), exactly as DRAMSys reads them. Everything downstream (timing checker,
controller, power model) takes a :class:`MemSpec`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .jsonfile import read_json

SUPPORTED_TYPES = ("DDR3", "DDR4")

_ARCH_KEYS = ("burstLength", "dataRate", "nbrOfBanks", "nbrOfColumns", "nbrOfRanks", "nbrOfRows", "width",
              "nbrOfDevices")
_TIMING_KEYS = {
    "DDR4": ("AL", "CL", "RL", "WL", "RCD", "RP", "RAS", "RC", "CCD_L", "CCD_S", "RRD_L", "RRD_S", "FAW", "WR",
             "WTR_L", "WTR_S", "RTP", "RFC", "REFI", "RPRE", "WPRE", "RTRS", "CKE", "CKESR", "XP", "XS", "DQSCK",
             "XPDLL", "XSDLL", "ACTPDEN", "PRPDEN", "REFPDEN", "tCK"),
    "DDR3": ("AL", "CL", "RL", "WL", "RCD", "RP", "RAS", "RC", "CCD", "RRD", "FAW", "WR", "WTR", "RTP", "RFC", "REFI",
             "RTRS", "CKE", "CKESR", "XP", "XS", "DQSCK", "XPDLL", "XSDLL", "ACTPDEN", "PRPDEN", "REFPDEN", "tCK"),
}
_POWER_KEYS = {
    "DDR4": ("idd0", "idd02", "idd2n", "idd2p0", "idd2p1", "idd3n", "idd3p0", "idd3p1", "idd4r", "idd4w", "idd5",
             "idd6", "idd62", "vdd", "vdd2"),
    "DDR3": ("idd0", "idd2n", "idd2p0", "idd2p1", "idd3n", "idd3p0", "idd3p1", "idd4r", "idd4w", "idd5", "idd6",
             "vdd"),
}


class MemSpecError(ValueError):
    """A memspec that cannot be used; the message names the file, the field and what is allowed."""


@dataclass(frozen=True)
class MemSpec:
    """One channel's DRAM device: organisation, timings (cycles), currents (mA) and voltages (V)."""

    memory_id: str
    memory_type: str
    ranks: int
    banks_per_rank: int
    bank_groups_per_rank: int
    rows: int
    columns: int
    device_width: int
    devices_per_rank: int
    burst_length: int
    data_rate: int
    tck_ps: int
    timing: dict = field(default_factory=dict)
    power: dict = field(default_factory=dict)
    source: str = ""

    # -- derived organisation ------------------------------------------------------------------
    @property
    def banks_per_group(self) -> int:
        return self.banks_per_rank // self.bank_groups_per_rank

    @property
    def banks(self) -> int:
        """Banks in the channel (all ranks)."""
        return self.ranks * self.banks_per_rank

    @property
    def bank_groups(self) -> int:
        """Bank groups in the channel (all ranks)."""
        return self.ranks * self.bank_groups_per_rank

    @property
    def tck_ns(self) -> float:
        return self.tck_ps / 1000.0

    @property
    def burst_cycles(self) -> int:
        """Data-bus occupancy of one burst (BL / data rate)."""
        return self.burst_length // self.data_rate

    @property
    def bytes_per_burst(self) -> int:
        return self.burst_length * self.device_width * self.devices_per_rank // 8

    @property
    def bus_width_bits(self) -> int:
        return self.device_width * self.devices_per_rank

    @property
    def capacity_bytes(self) -> int:
        return self.ranks * self.banks_per_rank * self.rows * self.columns * self.device_width * self.devices_per_rank // 8

    def t(self, name: str) -> int:
        """A timing parameter in clock cycles (memspec key, e.g. ``"RCD"``)."""
        return int(self.timing[name])

    @property
    def refresh_interval(self) -> int:
        """tREFI in cycles, divided by the DDR4 fine-granularity refresh mode (REFM 1/2/4)."""
        refm = int(self.timing.get("REFM", 1))
        return int(self.timing["REFI"]) // refm if refm in (2, 4) else int(self.timing["REFI"])

    @property
    def refresh_cycle(self) -> int:
        """tRFC in cycles for the configured refresh mode."""
        refm = int(self.timing.get("REFM", 1))
        key = {2: "RFC2", 4: "RFC4"}.get(refm, "RFC")
        return int(self.timing.get(key, self.timing["RFC"]))

    def to_dict(self) -> dict[str, Any]:
        """DRAMSys memspec JSON form."""
        return {
            "memarchitecturespec": {
                "burstLength": self.burst_length, "dataRate": self.data_rate,
                "nbrOfBankGroups": self.bank_groups_per_rank, "nbrOfBanks": self.banks_per_rank,
                "nbrOfColumns": self.columns, "nbrOfRanks": self.ranks, "nbrOfRows": self.rows,
                "width": self.device_width, "nbrOfDevices": self.devices_per_rank, "nbrOfChannels": 1,
            },
            "memoryId": self.memory_id,
            "memoryType": self.memory_type,
            "mempowerspec": dict(self.power),
            "memtimingspec": {**self.timing, "tCK": self.tck_ps},
        }


def _need(section: Mapping[str, Any], key: str, where: str, src: str) -> Any:
    if key not in section:
        raise MemSpecError(f"{src}: field {where}.{key} is missing")
    return section[key]


def _positive_int(value: Any, where: str, src: str, allow_zero: bool = False) -> int:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and float(value) == int(value)
    if not ok or int(value) < (0 if allow_zero else 1):
        allowed = "an integer >= 0" if allow_zero else "an integer >= 1"
        raise MemSpecError(f"{src}: field {where} is {value!r}; allowed: {allowed}")
    return int(value)


def memspec_from_dict(data: Mapping[str, Any], source: str = "<memspec>") -> MemSpec:
    """Build a :class:`MemSpec` from DRAMSys's JSON structure (optionally wrapped in ``{"memspec": ...}``)."""
    if not isinstance(data, Mapping):
        raise MemSpecError(f"{source}: expected a JSON object, got {type(data).__name__}")
    if "memspec" in data and isinstance(data["memspec"], Mapping):
        data = data["memspec"]
    mtype = _need(data, "memoryType", "memspec", source)
    if mtype not in SUPPORTED_TYPES:
        raise MemSpecError(f"{source}: field memoryType is {mtype!r}; allowed: {list(SUPPORTED_TYPES)}")
    arch = _need(data, "memarchitecturespec", "memspec", source)
    timing_in = _need(data, "memtimingspec", "memspec", source)
    power_in = data.get("mempowerspec", {})
    a = {k: _positive_int(_need(arch, k, "memarchitecturespec", source), f"memarchitecturespec.{k}", source)
         for k in _ARCH_KEYS}
    groups = _positive_int(arch.get("nbrOfBankGroups", 1), "memarchitecturespec.nbrOfBankGroups", source)
    for k in ("nbrOfBanks", "nbrOfColumns", "nbrOfRanks", "nbrOfRows"):
        if a[k] & (a[k] - 1):  # the address bits select them: DRAMSys's address mapping needs powers of two
            raise MemSpecError(f"{source}: field memarchitecturespec.{k} is {a[k]}; allowed: a power of two "
                               "(rows, columns, banks and ranks are selected by address bits)")
    if groups & (groups - 1):
        raise MemSpecError(f"{source}: field memarchitecturespec.nbrOfBankGroups is {groups}; allowed: a power of two")
    if mtype == "DDR3" and groups != 1:
        raise MemSpecError(f"{source}: field memarchitecturespec.nbrOfBankGroups is {groups}; allowed for DDR3: 1")
    if a["nbrOfBanks"] % groups:
        raise MemSpecError(f"{source}: nbrOfBanks {a['nbrOfBanks']} is not a multiple of nbrOfBankGroups {groups}")
    channels = arch.get("nbrOfChannels", 1)
    if channels != 1:
        raise MemSpecError(f"{source}: field memarchitecturespec.nbrOfChannels is {channels!r}; allowed: 1 "
                           "(simulate one channel per run)")
    timing = {}
    for k in _TIMING_KEYS[mtype]:
        timing[k] = _positive_int(_need(timing_in, k, "memtimingspec", source), f"memtimingspec.{k}", source,
                                  allow_zero=k in ("AL", "DQSCK", "RPRE", "WPRE", "RTRS", "ACTPDEN", "PRPDEN", "REFPDEN"))
    for k, v in timing_in.items():  # keep extra keys (e.g. RFC2/RFC4/REFM) that DRAMSys reads
        if k not in timing and isinstance(v, (int, float)) and not isinstance(v, bool):
            timing[k] = v
    tck = timing.pop("tCK")
    if timing["RL"] != timing["CL"] + timing["AL"]:
        raise MemSpecError(f"{source}: memtimingspec.RL is {timing['RL']}; expected CL + AL = "
                           f"{timing['CL'] + timing['AL']}")
    power = {}
    for k in _POWER_KEYS[mtype]:
        v = power_in.get(k, 0.0)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
            raise MemSpecError(f"{source}: field mempowerspec.{k} is {v!r}; allowed: a number >= 0")
        power[k] = float(v)
    return MemSpec(
        memory_id=str(data.get("memoryId", Path(source).stem)), memory_type=mtype, ranks=a["nbrOfRanks"],
        banks_per_rank=a["nbrOfBanks"], bank_groups_per_rank=groups, rows=a["nbrOfRows"], columns=a["nbrOfColumns"],
        device_width=a["width"], devices_per_rank=a["nbrOfDevices"], burst_length=a["burstLength"],
        data_rate=a["dataRate"], tck_ps=int(tck), timing=timing, power=power, source=source,
    )


def load_memspec(path: str | Path) -> MemSpec:
    """Read a DRAMSys memspec JSON file."""
    p = Path(path)
    data = read_json(p, "memspec", MemSpecError)
    return memspec_from_dict(data, str(p))
