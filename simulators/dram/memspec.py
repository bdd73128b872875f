"""DRAM device description read from a DRAMSys memspec JSON file (DDR3, DDR4, LPDDR4, HBM2).

A memspec names the device's organisation (``memarchitecturespec``), its timings in clock
cycles (``memtimingspec``) and its IDD currents and voltages (``mempowerspec``), exactly as DRAMSys
reads them. Everything downstream (timing checker, controller, power model) takes a :class:`MemSpec`,
whose clock is in picoseconds and currents in mA.

DRAMSys has written memspecs in three forms, all read here (the same device gives the same
:class:`MemSpec` in each; ``tests/dram/test_memspec_versions.py`` checks it on DRAMSys's own files):

- **5.0**: the clock as ``memtimingspec.clkMhz``; currents in mA;
- **5.0 to 5.1 (development)**: ``tCK`` in picoseconds; currents in mA (the DRAMSys build the
  DDR4 reference figures come from);
- **5.1 and later**: ``tCK`` in seconds (``833e-12``); currents in A; for DDR4 ``RFC1`` for
  ``RFC`` and DRAMPower 5's current names (``ipp0``, ``idd2p``, ``idd3p``, ``idd5B``, ``idd6n``,
  ``ipp6n``, ``vpp``), mapped onto the earlier ones (``idd02``, ``idd2p0``/``idd2p1``,
  ``idd3p0``/``idd3p1``, ``idd5``, ``idd6``, ``idd62``, ``vdd2``). Currents that only DRAMPower 5
  uses (VPP background currents and the like) are left out, with a warning when they are not zero,
  because archgym's energy follows the DRAMPower that DRAMSys 5.0 ran.

As SystemC does, a clock is rounded to whole picoseconds (1200 MHz is 833 ps).

LPDDR4 and HBM2 are read as DRAMSys 5 (commit 6b01467) reads them: an LPDDR4 channel has no bank
groups; an HBM2 channel's pseudo channels (``nbrOfPseudoChannels``) are DRAMSys "ranks", and its
``nbrOfStacks`` stacks only enter the timing checker (tCCDR), not the bank state.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .jsonfile import read_json

SUPPORTED_TYPES = ("DDR3", "DDR4", "LPDDR4", "HBM2")

_ARCH_KEYS = ("burstLength", "dataRate", "nbrOfBanks", "nbrOfColumns", "nbrOfRanks", "nbrOfRows", "width",
              "nbrOfDevices")
_TIMING_KEYS = {
    "DDR4": ("AL", "CL", "RL", "WL", "RCD", "RP", "RAS", "RC", "CCD_L", "CCD_S", "RRD_L", "RRD_S", "FAW", "WR",
             "WTR_L", "WTR_S", "RTP", "RFC", "REFI", "RPRE", "WPRE", "RTRS", "CKE", "CKESR", "XP", "XS", "DQSCK",
             "XPDLL", "XSDLL", "ACTPDEN", "PRPDEN", "REFPDEN", "tCK"),
    "DDR3": ("AL", "CL", "RL", "WL", "RCD", "RP", "RAS", "RC", "CCD", "RRD", "FAW", "WR", "WTR", "RTP", "RFC", "REFI",
             "RTRS", "CKE", "CKESR", "XP", "XS", "DQSCK", "XPDLL", "XSDLL", "ACTPDEN", "PRPDEN", "REFPDEN", "tCK"),
    "LPDDR4": ("CCD", "CCDMW", "CKE", "CMDCKE", "DQS2DQ", "DQSCK", "DQSS", "ESCKE", "FAW", "PPD", "RCD", "REFI",
               "REFIPB", "RFCAB", "RFCPB", "RL", "RAS", "RPAB", "RPPB", "RCAB", "RCPB", "RPST", "RRD", "RTP", "SR", "WL",
               "WPRE", "WR", "WTR", "XP", "XSR", "RTRS", "tCK"),
    "HBM2": ("CCDL", "CCDS", "CCDR", "CKE", "DQSCK", "FAW", "PL", "RAS", "RC", "RCDRD", "RCDWR", "REFI", "REFISB", "RFC",
             "RFCSB", "RL", "RP", "RRDL", "RRDS", "RREFD", "RTP", "RTW", "WL", "WR", "WTRL", "WTRS", "XP", "XS", "tCK"),
}
#: timings that may be 0
_ZERO_OK = ("AL", "DQSCK", "RPRE", "WPRE", "RTRS", "ACTPDEN", "PRPDEN", "REFPDEN", "DQS2DQ", "DQSS", "RPST", "PL")
_POWER_KEYS = {
    "DDR4": ("idd0", "idd02", "idd2n", "idd2p0", "idd2p1", "idd3n", "idd3p0", "idd3p1", "idd4r", "idd4w", "idd5",
             "idd6", "idd62", "vdd", "vdd2"),
    "DDR3": ("idd0", "idd2n", "idd2p0", "idd2p1", "idd3n", "idd3p0", "idd3p1", "idd4r", "idd4w", "idd5", "idd6",
             "vdd"),
}
#: LPDDR4 currents per supply as DRAMSys's LPDDR4 memspecs name them (VDD1 ``vdd``, VDD2 ``vdd2``, VDDQ ``vddq``):
#: state -> (VDD1 key, VDD2 key, VDDQ key)
LPDDR4_CURRENTS = {
    "idd0": ("idd0", "idd02", "idd0ql"), "idd2n": ("idd2n", "idd2n2", "idd2nQ"), "idd2p": ("idd2p", "idd2p2", "idd2pQ"),
    "idd3n": ("idd3n", "idd3n2", "idd3nQ"), "idd3p": ("idd3p", "idd3p2", "idd3pQ"), "idd4r": ("idd4r", "idd4r2", "idd4rq"),
    "idd4w": ("idd4w", "idd4w2", "idd4wq"), "idd5": ("idd5", "idd52", "idd5q"), "idd6": ("idd6", "idd62", "idd6q"),
}
LPDDR4_VOLTAGES = ("vdd", "vdd2", "vddq")
#: mempowerspec keys the LPDDR4/HBM2 energy (power.current_energy) needs
_ENERGY_KEYS = {
    "LPDDR4": tuple(k for keys in LPDDR4_CURRENTS.values() for k in keys) + LPDDR4_VOLTAGES,
    "HBM2": ("idd0", "idd2n", "idd2p", "idd3n", "idd3p", "idd4r", "idd4w", "idd5", "idd6", "vdd"),
}


class MemSpecError(ValueError):
    """A memspec that cannot be used; the message names the file, the field and what is allowed."""


@dataclass(frozen=True)
class MemSpec:
    """One channel's DRAM device: organisation, timings (cycles), currents (mA) and voltages (V)."""

    memory_id: str
    memory_type: str
    ranks: int  # HBM2: pseudo channels
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
    stacks: int = 1  # HBM2 nbrOfStacks (a stack address bit; it enters only the timing checker)

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
        """Addressable bytes (all stacks: DRAMSys's HBM2 decoder accepts the stack bit)."""
        return (self.stacks * self.ranks * self.banks_per_rank * self.rows * self.columns * self.device_width
                * self.devices_per_rank // 8)

    def t(self, name: str) -> int:
        """A timing parameter in clock cycles (memspec key, e.g. ``"RCD"``)."""
        return int(self.timing[name])

    @property
    def refresh_interval(self) -> int:
        """All-bank tREFI in cycles, divided by the DDR4 fine-granularity refresh mode (REFM 1/2/4)."""
        if self.memory_type in ("LPDDR4", "HBM2"):
            return int(self.timing["REFI"])
        refm = int(self.timing.get("REFM", 1))
        return int(self.timing["REFI"]) // refm if refm in (2, 4) else int(self.timing["REFI"])

    @property
    def refresh_cycle(self) -> int:
        """All-bank tRFC in cycles (DDR4: for the configured refresh mode; LPDDR4: tRFCab)."""
        if self.memory_type == "LPDDR4":
            return int(self.timing["RFCAB"])
        if self.memory_type == "HBM2":
            return int(self.timing["RFC"])
        refm = int(self.timing.get("REFM", 1))
        key = {2: "RFC2", 4: "RFC4"}.get(refm, "RFC")
        return int(self.timing.get(key, self.timing["RFC"]))

    def to_dict(self) -> dict[str, Any]:
        """DRAMSys memspec JSON form."""
        arch = {
            "burstLength": self.burst_length, "dataRate": self.data_rate,
            "nbrOfBankGroups": self.bank_groups_per_rank, "nbrOfBanks": self.banks_per_rank,
            "nbrOfColumns": self.columns, "nbrOfRanks": self.ranks, "nbrOfRows": self.rows,
            "width": self.device_width, "nbrOfDevices": self.devices_per_rank, "nbrOfChannels": 1,
        }
        if self.memory_type == "HBM2":
            arch["nbrOfPseudoChannels"] = arch.pop("nbrOfRanks")
            arch["nbrOfStacks"] = self.stacks
        elif self.memory_type == "LPDDR4":
            del arch["nbrOfBankGroups"]
        return {
            "memarchitecturespec": arch,
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


#: DDR4 currents renamed by DRAMSys 5.1 (DRAMPower 5): new name -> the names archgym's power model reads
_DDR4_POWER_RENAMES = {"ipp0": ("idd02",), "idd2p": ("idd2p0", "idd2p1"), "idd3p": ("idd3p0", "idd3p1"),
                       "idd5B": ("idd5",), "idd6n": ("idd6",), "ipp6n": ("idd62",), "vpp": ("vdd2",)}
_VOLTAGES = ("vdd", "vdd1", "vdd2", "vpp", "vddq")
#: LPDDR4 timings DRAMSys 5.1 writes in mixed case
_LPDDR4_TIMING_RENAMES = {"REFIpb": "REFIPB", "RFCab": "RFCAB", "RFCpb": "RFCPB", "RPab": "RPAB", "RPpb": "RPPB",
                          "RCab": "RCAB", "RCpb": "RCPB"}


def _clock_ps(timing: Mapping[str, Any], src: str) -> tuple[int, bool]:
    """The clock period in whole picoseconds, and whether the file is of DRAMSys >= 5.1 (tCK in seconds)."""
    tck, mhz = timing.get("tCK"), timing.get("clkMhz")
    for name, v in (("tCK", tck), ("clkMhz", mhz)):
        if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool) or not v > 0 or v != v or v == float("inf")):
            raise MemSpecError(f"{src}: field memtimingspec.{name} is {v!r}; allowed: a positive number")
    if tck is None and mhz is None:
        raise MemSpecError(f"{src}: field memtimingspec.tCK is missing (give tCK, in seconds or picoseconds, or clkMhz)")
    seconds = tck is not None and tck < 1e-6
    if tck is not None and not seconds and not 100 <= tck <= 100_000:
        raise MemSpecError(f"{src}: field memtimingspec.tCK is {tck!r}; allowed: seconds (e.g. 833e-12) or "
                           "picoseconds (100 to 100000)")
    ps = round(tck * 1e12) if seconds else round(tck) if tck is not None else round(1e6 / mhz)
    if tck is not None and mhz is not None and ps != round(1e6 / mhz):
        raise MemSpecError(f"{src}: memtimingspec.tCK ({tck!r}) and clkMhz ({mhz!r}) give different clocks")
    if ps < 1:
        raise MemSpecError(f"{src}: field memtimingspec.tCK is {tck!r}; the clock rounds to 0 ps")
    return int(ps), seconds


def _earlier_form(mtype: str, timing_in: Mapping[str, Any], power_in: Mapping[str, Any], amperes: bool,
                  src: str) -> tuple[dict, dict]:
    """Timings and currents of any DRAMSys memspec version in the names and units of DRAMSys 5.0 (mA)."""
    timing = dict(timing_in)
    if mtype == "DDR4" and "RFC" not in timing and "RFC1" in timing:
        timing["RFC"] = timing.pop("RFC1")
    refm = timing.get("REFM", 1)
    for mode, key in ((2, "RFC2"), (4, "RFC4")):
        if timing.get(key) == 0:  # DRAMSys 5.1 writes 0 for a refresh mode the device file does not describe
            if refm == mode:
                raise MemSpecError(f"{src}: memtimingspec.REFM is {mode} but {key} is 0; give {key} (cycles)")
            del timing[key]
    if mtype == "LPDDR4":  # DRAMSys 5.1 names: REFIpb, RFCab, ...; VDD1 currents idd01, idd2n1, ... and vdd1
        for new_key, old_key in _LPDDR4_TIMING_RENAMES.items():
            if new_key in timing and old_key not in timing:
                timing[old_key] = timing.pop(new_key)
        if "vdd1" in power_in and "vdd" not in power_in:
            power_in = {(k[:-1] if k[:3] in ("idd", "vdd") and k.endswith("1") else k): v for k, v in power_in.items()}
    power = {}
    for k, v in power_in.items():
        scale = 1000.0 if amperes and k not in _VOLTAGES and isinstance(v, (int, float)) and not isinstance(v, bool) else 1
        power[k] = v * scale if scale != 1 else v
    if mtype == "DDR4" and any(k in power for k in _DDR4_POWER_RENAMES) and "idd5" not in power:
        renamed = {}
        for new, olds in _DDR4_POWER_RENAMES.items():
            if new in power:
                for old in olds:
                    renamed[old] = power[new]
        unused = sorted(k for k, v in power.items() if k not in renamed and k not in _DDR4_POWER_RENAMES
                        and k not in _POWER_KEYS["DDR4"] and isinstance(v, (int, float)) and not isinstance(v, bool) and v)
        if unused:
            warnings.warn(f"{src}: mempowerspec {', '.join(unused)} not used: archgym's DDR4 energy follows the DRAMPower "
                          "that DRAMSys 5.0 ran, which has no such currents (DRAMSys 5.1's DRAMPower 5 may give more energy)",
                          stacklevel=4)
        power = {**{k: v for k, v in power.items() if k in _POWER_KEYS["DDR4"]}, **renamed}
    return timing, power


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
    if not isinstance(timing_in, Mapping) or not isinstance(power_in, Mapping):
        raise MemSpecError(f"{source}: memtimingspec and mempowerspec must be JSON objects")
    tck_ps, amperes = _clock_ps(timing_in, source)
    timing_in, power_in = _earlier_form(mtype, {**timing_in, "tCK": tck_ps}, power_in, amperes, source)
    if not isinstance(arch, Mapping):
        raise MemSpecError(f"{source}: memarchitecturespec must be a JSON object")
    if mtype == "HBM2":  # pseudo channels are DRAMSys's ranks
        if "nbrOfRanks" in arch and arch["nbrOfRanks"] != arch.get("nbrOfPseudoChannels"):
            raise MemSpecError(f"{source}: field memarchitecturespec.nbrOfRanks is {arch['nbrOfRanks']!r}; HBM2 gives "
                               "its pseudo channels as nbrOfPseudoChannels (DRAMSys reads no nbrOfRanks for HBM2)")
        arch = {**arch, "nbrOfRanks": _need(arch, "nbrOfPseudoChannels", "memarchitecturespec", source)}
    a = {k: _positive_int(_need(arch, k, "memarchitecturespec", source), f"memarchitecturespec.{k}", source)
         for k in _ARCH_KEYS}
    groups = _positive_int(arch.get("nbrOfBankGroups", 1), "memarchitecturespec.nbrOfBankGroups", source)
    if mtype == "LPDDR4" and groups != 1:
        raise MemSpecError(f"{source}: field memarchitecturespec.nbrOfBankGroups is {groups}; allowed for LPDDR4: 1 "
                           "(DRAMSys's LPDDR4 has no bank groups)")
    stacks = _positive_int(arch.get("nbrOfStacks", 1), "memarchitecturespec.nbrOfStacks", source)
    if stacks & (stacks - 1) or (mtype != "HBM2" and stacks != 1):
        raise MemSpecError(f"{source}: field memarchitecturespec.nbrOfStacks is {stacks}; allowed: a power of two "
                           "for HBM2, 1 for other standards")
    # Rows need not be a power of two: DRAMSys (main) maps ceil(log2(rows)) address bits to them
    # (AddressDecoder::checkMemSpecCompatibility), as for the 6 Gb LPDDR4's 49,152 rows. The others are
    # numbered from their address bits into bank and rank indices, so they must fill those bits.
    for k in ("nbrOfBanks", "nbrOfColumns", "nbrOfRanks"):
        if a[k] & (a[k] - 1):
            raise MemSpecError(f"{source}: field memarchitecturespec.{k} is {a[k]}; allowed: a power of two "
                               "(columns, banks and ranks are selected by address bits)")
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
                                  allow_zero=k in _ZERO_OK)
    for k, v in timing_in.items():  # keep extra keys (e.g. RFC2/RFC4/REFM) that DRAMSys reads
        if k not in timing and k != "clkMhz" and isinstance(v, (int, float)) and not isinstance(v, bool):
            timing[k] = v
    tck = timing.pop("tCK")
    if mtype in ("DDR3", "DDR4") and timing["RL"] != timing["CL"] + timing["AL"]:
        raise MemSpecError(f"{source}: memtimingspec.RL is {timing['RL']}; expected CL + AL = "
                           f"{timing['CL'] + timing['AL']}")
    power = {}
    if mtype in _POWER_KEYS:
        for k in _POWER_KEYS[mtype]:
            v = power_in.get(k, 0.0)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                raise MemSpecError(f"{source}: field mempowerspec.{k} is {v!r}; allowed: a number >= 0")
            power[k] = float(v)
        if not any(v for k, v in power.items() if k not in _VOLTAGES):
            warnings.warn(f"{source}: the memspec has no power figures (mempowerspec currents missing or all 0): "
                          "energy and power are reported as 0", stacklevel=3)
    else:  # LPDDR4/HBM2: archgym's own current-based energy (see power.py); missing currents give NaN
        for k, v in power_in.items():
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                raise MemSpecError(f"{source}: field mempowerspec.{k} is {v!r}; allowed: a number >= 0")
            power[k] = float(v)
        need = _ENERGY_KEYS[mtype]
        vddq = [k for keys in LPDDR4_CURRENTS.values() for k in keys[2:]]
        if mtype == "LPDDR4" and not any(k in power for k in vddq):
            need = tuple(k for k in need if k not in vddq and k != "vddq")
            if not any(k not in power for k in need):
                warnings.warn(f"{source}: mempowerspec gives no VDDQ currents: the energy leaves the VDDQ supply out",
                              stacklevel=3)
        missing = [k for k in need if k not in power]
        if not missing and not any(power[k] for k in need if not k.startswith("v")):
            missing = [k for k in need if not k.startswith("v")]  # every current 0: placeholders, no figures
        if missing:
            shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
            warnings.warn(f"{source}: mempowerspec lacks {shown}: energy and power are reported as NaN "
                          f"(archgym's {mtype} energy is computed from the IDD currents)", stacklevel=3)
    return MemSpec(
        memory_id=str(data.get("memoryId", Path(source).stem)), memory_type=mtype, ranks=a["nbrOfRanks"],
        banks_per_rank=a["nbrOfBanks"], bank_groups_per_rank=groups, rows=a["nbrOfRows"], columns=a["nbrOfColumns"],
        device_width=a["width"], devices_per_rank=a["nbrOfDevices"], burst_length=a["burstLength"],
        data_rate=a["dataRate"], tck_ps=int(tck), timing=timing, power=power, source=source, stacks=stacks,
    )


def load_memspec(path: str | Path) -> MemSpec:
    """Read a DRAMSys memspec JSON file."""
    p = Path(path)
    data = read_json(p, "memspec", MemSpecError)
    return memspec_from_dict(data, str(p))
