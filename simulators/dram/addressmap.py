"""Address mapping: physical byte address -> (rank, bank group, bank, row, column).

Two ways to give one:
- DRAMSys's bit-mapping JSON (``BYTE_BIT``, ``COLUMN_BIT``, ``BANKGROUP_BIT``, ``BANK_BIT``,
  ``RANK_BIT``, ``ROW_BIT``, optional ``CHANNEL_BIT`` and ``XOR``; for HBM2 ``PSEUDOCHANNEL_BIT``,
  which selects DRAMSys's "rank", and ``STACK_BIT``), each field listing the address bits that form
  it, least significant first;
- a named scheme in DRAMsim3's notation, fields from the most significant end down, e.g.
  ``"rochrababgco"`` = row | channel | rank | bank | bank group | column | byte offset.

Decoding is vectorised over a numpy array of addresses. Bank and bank-group indices are
returned channel-global, as DRAMSys numbers them (bank = (rank * groups + group) * banks_per_group + bank).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .jsonfile import read_json
from .memspec import MemSpec

FIELDS = ("BYTE_BIT", "COLUMN_BIT", "BANKGROUP_BIT", "BANK_BIT", "RANK_BIT", "ROW_BIT", "CHANNEL_BIT",
          "PSEUDOCHANNEL_BIT", "STACK_BIT")
_SCHEME_FIELDS = {"ro": "ROW_BIT", "ch": "CHANNEL_BIT", "ra": "RANK_BIT", "ba": "BANK_BIT", "bg": "BANKGROUP_BIT",
                  "co": "COLUMN_BIT"}
DEFAULT_SCHEME = "rochrababgco"


class AddressMappingError(ValueError):
    """An address mapping that cannot be used with the memspec; the message says which field and why."""


@dataclass(frozen=True)
class AddressMapping:
    """Bits of each DRAM coordinate (LSB first) plus XOR pairs, as in DRAMSys."""

    bits: dict = field(default_factory=dict)
    xor: tuple = ()
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: list(v) for k, v in self.bits.items() if v}
        if self.xor:
            out["XOR"] = [list(x) for x in self.xor]
        return out

    def check(self, spec: MemSpec) -> None:
        """Raise if the mapping does not address exactly the memspec's organisation."""
        pc = "PSEUDOCHANNEL_BIT" if self.bits.get("PSEUDOCHANNEL_BIT") else "RANK_BIT"
        if self.bits.get("PSEUDOCHANNEL_BIT") and self.bits.get("RANK_BIT"):
            raise AddressMappingError(f"{self.source}: both RANK_BIT and PSEUDOCHANNEL_BIT are given; allowed: one "
                                      "(HBM2 pseudo channels are its ranks)")
        need = {
            "BYTE_BIT": None,
            "COLUMN_BIT": spec.columns,
            "BANKGROUP_BIT": spec.bank_groups_per_rank,
            "BANK_BIT": spec.banks_per_group,
            pc: spec.ranks,
            "ROW_BIT": spec.rows,
            "CHANNEL_BIT": 1,
            "STACK_BIT": spec.stacks,
        }
        used: dict[int, str] = {}
        for name, bits in self.bits.items():
            for b in bits:
                if b in used:
                    raise AddressMappingError(f"{self.source}: address bit {b} is used by both {used[b]} and {name}")
                used[b] = name
        for name, count in need.items():
            if count is None:
                continue
            have = len(self.bits.get(name, ()))
            need_bits = (count - 1).bit_length()  # ceil(log2(count)), as DRAMSys checks (rows may fall short)
            if have != need_bits:
                raise AddressMappingError(
                    f"{self.source}: {name} has {have} bit(s) addressing {1 << have}; "
                    f"the memspec {spec.memory_id} needs {count} ({need_bits} bit(s))")

    def decode(self, addresses: np.ndarray, spec: MemSpec) -> dict[str, np.ndarray]:
        """Decode byte addresses into channel-global rank/bankgroup/bank indices, row and column."""
        a = np.asarray(addresses, dtype=np.uint64)
        if self.xor:
            a = a.copy()
            orig = a.copy()
            for group in self.xor:
                x = np.zeros_like(a)
                for b in group:
                    x ^= (orig >> np.uint64(b)) & np.uint64(1)
                first = np.uint64(group[0])
                a = (a & ~(np.uint64(1) << first)) | (x << first)

        def gather(name: str) -> np.ndarray:
            out = np.zeros(a.shape, dtype=np.int64)
            for i, b in enumerate(self.bits.get(name, ())):
                out |= (((a >> np.uint64(b)) & np.uint64(1)).astype(np.int64)) << i
            return out

        rank = gather("RANK_BIT") | gather("PSEUDOCHANNEL_BIT")
        group = gather("BANKGROUP_BIT") + rank * spec.bank_groups_per_rank
        bank = gather("BANK_BIT") + group * spec.banks_per_group
        return {"rank": rank, "bankgroup": group, "bank": bank, "row": gather("ROW_BIT"),
                "column": gather("COLUMN_BIT"), "stack": gather("STACK_BIT")}

    def encode(self, spec: MemSpec, rank=0, bankgroup=0, bank=0, row=0, column=0, stack=0) -> np.ndarray:
        """Inverse of :meth:`decode` for per-rank coordinates (bank group and bank within the rank); no XOR."""
        if self.xor:
            raise AddressMappingError(f"{self.source}: encode does not support XOR mappings")
        pc = "PSEUDOCHANNEL_BIT" if self.bits.get("PSEUDOCHANNEL_BIT") else "RANK_BIT"
        vals = {pc: rank, "BANKGROUP_BIT": bankgroup, "BANK_BIT": bank, "ROW_BIT": row, "COLUMN_BIT": column,
                "STACK_BIT": stack}
        out = None
        for name, v in vals.items():
            v = np.asarray(v, dtype=np.uint64)
            part = np.zeros(v.shape, dtype=np.uint64)
            for i, b in enumerate(self.bits.get(name, ())):
                part |= ((v >> np.uint64(i)) & np.uint64(1)) << np.uint64(b)
            out = part if out is None else out | part
        return out


def mapping_from_dict(data: Mapping[str, Any], source: str = "<addressmapping>") -> AddressMapping:
    """Build a mapping from DRAMSys's JSON structure (optionally wrapped in ``{"addressmapping": ...}``)."""
    if not isinstance(data, Mapping):
        raise AddressMappingError(f"{source}: expected a JSON object, got {type(data).__name__}")
    if "addressmapping" in data and isinstance(data["addressmapping"], Mapping):
        data = data["addressmapping"]
    unknown = [k for k in data if k not in FIELDS and k != "XOR"]
    if unknown:
        raise AddressMappingError(f"{source}: unknown field(s) {unknown}; allowed: {list(FIELDS) + ['XOR']}")
    bits = {}
    for k in FIELDS:
        if k in ("PSEUDOCHANNEL_BIT", "STACK_BIT") and not data.get(k):
            continue  # HBM2 only
        v = data.get(k, [])
        if not isinstance(v, list) or not all(isinstance(b, int) and not isinstance(b, bool) and 0 <= b < 64 for b in v):
            raise AddressMappingError(f"{source}: field {k} is {v!r}; allowed: a list of bit positions 0..63")
        bits[k] = tuple(v)
    xor = []
    for i, entry in enumerate(data.get("XOR", [])):
        if isinstance(entry, Mapping) and "FIRST" in entry and "SECOND" in entry:
            xor.append((int(entry["FIRST"]), int(entry["SECOND"])))
        elif isinstance(entry, list) and len(entry) >= 2 and all(isinstance(b, int) for b in entry):
            xor.append(tuple(entry))
        else:
            raise AddressMappingError(f"{source}: XOR[{i}] is {entry!r}; allowed: {{'FIRST': bit, 'SECOND': bit}} "
                                      "or a list of bits")
    return AddressMapping(bits=bits, xor=tuple(xor), source=source)


def load_mapping(path: str | Path) -> AddressMapping:
    """Read a DRAMSys address-mapping JSON file."""
    p = Path(path)
    data = read_json(p, "address-mapping", AddressMappingError)
    return mapping_from_dict(data, str(p))


def scheme_mapping(scheme: str, spec: MemSpec) -> AddressMapping:
    """A mapping from a DRAMsim3-style scheme name (fields MSB first), sized for ``spec``."""
    s = scheme.lower()
    if len(s) % 2 or any(s[i:i + 2] not in _SCHEME_FIELDS for i in range(0, len(s), 2)):
        raise AddressMappingError(f"address scheme {scheme!r} is not known; write two-letter fields MSB first from "
                                  f"{sorted(_SCHEME_FIELDS)}, e.g. {DEFAULT_SCHEME!r}")
    fields = [_SCHEME_FIELDS[s[i:i + 2]] for i in range(0, len(s), 2)]
    missing = [f for f in ("ROW_BIT", "RANK_BIT", "BANK_BIT", "BANKGROUP_BIT", "COLUMN_BIT") if f not in fields]
    if missing:
        raise AddressMappingError(f"address scheme {scheme!r} lacks field(s) {missing}")
    offset_bits = int(np.log2(spec.bus_width_bits // 8))
    widths = {
        "ROW_BIT": (spec.rows - 1).bit_length(), "CHANNEL_BIT": 0, "RANK_BIT": int(np.log2(spec.ranks)),
        "BANK_BIT": int(np.log2(spec.banks_per_group)), "BANKGROUP_BIT": int(np.log2(spec.bank_groups_per_rank)),
        "COLUMN_BIT": int(np.log2(spec.columns)),
    }
    bits = {"BYTE_BIT": tuple(range(offset_bits))}
    pos = offset_bits
    for f in reversed(fields):
        bits[f] = tuple(range(pos, pos + widths[f]))
        pos += widths[f]
    if spec.stacks > 1:  # HBM2 stacks: the most significant bits, above the scheme's fields
        bits["STACK_BIT"] = tuple(range(pos, pos + int(np.log2(spec.stacks))))
    return AddressMapping(bits=bits, source=f"scheme {scheme}")


def default_mapping(spec: MemSpec) -> AddressMapping:
    """The default mapping for a memspec: ``rochrababgco`` (consecutive lines walk a row's columns)."""
    return scheme_mapping(DEFAULT_SCHEME, spec)
