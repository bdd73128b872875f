"""The LPDDR4/HBM2 reference traces, rebuilt from the generator rules in the reference README.

The reference ran DRAMSys on 15 ``.stl`` traces per address mapping (5 patterns x gaps 1, 8, 32,
20,000 requests of 32 bytes each). This module writes them again from the README's rules alone, so
the repository ships no trace files; each text is checked against the sha256 in the manifests.
"""

from __future__ import annotations

import hashlib
import random

#: per mapping: the fields above the 32-byte request offset, least significant first, as (name, bits)
FIELDS = {
    # am_lpddr4_8Gbx16_brc: COLUMN 1-10 (bits 5-10 above the offset), ROW 11-26, BANK 27-29
    "lpddr4_8Gbx16_brc": (("co", 6), ("ro", 16), ("ba", 3)),
    # am_lpddr4_1Gbx16_robaco: COLUMN 1-10, BANK 11-13, ROW 14-30
    "lpddr4_1Gbx16_robaco": (("co", 6), ("ba", 3), ("ro", 17)),
    # am_hbm2_8Gb_pc_brc: COLUMN 3-9, ROW 10-24, BANK 25-26, BANKGROUP 27-28, PSEUDOCHANNEL 29, STACK 30
    "hbm2_8Gb_pc_brc": (("co", 5), ("ro", 15), ("ba", 2), ("bg", 2), ("pc", 1), ("st", 1)),
}
REQUEST_BYTES = 32
OFFSET_BITS = 5
ROW0 = 0x1234
PATTERNS = ("seq", "rand", "mixed", "stride", "conflict")
GAPS = (1, 8, 32)
N_REQUESTS = 20000
SEED = 12345


def _address(mapping: str, **values: int) -> int:
    addr, pos = 0, OFFSET_BITS
    for name, bits in FIELDS[mapping]:
        addr |= values.get(name, 0) << pos
        pos += bits
    return addr


def requests(mapping: str, pattern: str, n: int = N_REQUESTS, seed: int = SEED) -> list[tuple[int, bool]]:
    """(address, is_write) of each request of one pattern."""
    widths = dict(FIELDS[mapping])
    ncol = 1 << widths["co"]
    lines = 1 << sum(widths.values())
    rng = random.Random(f"{seed}-{pattern}")
    out = []
    for i in range(n):
        if pattern == "seq":
            out.append((i * REQUEST_BYTES, False))
        elif pattern == "rand":
            out.append((rng.randrange(lines) * REQUEST_BYTES, False))
        elif pattern == "mixed":
            a = rng.randrange(lines) * REQUEST_BYTES
            out.append((a, rng.random() < 1.0 / 3.0))
        elif pattern == "stride":
            out.append((_address(mapping, ba=i % 4, co=(i // 4) % ncol, ro=ROW0 + i // (4 * ncol)), False))
        elif pattern == "conflict":
            pick = {"bg": i % 2} if "bg" in widths else {"ba": i % 2}
            out.append((_address(mapping, ro=ROW0 + (i // 2) % 4, co=(i // 8) % ncol, **pick), False))
        else:
            raise ValueError(f"pattern is {pattern!r}; allowed: {PATTERNS}")
    return out


def stl_text(reqs: list[tuple[int, bool]], gap: int) -> str:
    """DRAMSys .stl lines: ``<cycle>:\\t<read|write>\\t0x<address>``."""
    return "".join(f"{i * gap}:\t{'write' if w else 'read'}\t0x{a:x}\n" for i, (a, w) in enumerate(reqs))


def write_traces(mapping: str, out_dir, manifest: dict, names=None) -> dict:
    """Write the mapping's traces (all, or those in ``names``) into ``out_dir``, each checked against
    ``manifest`` (sha256, reads, writes); returns name -> path."""
    paths = {}
    cache: dict[str, list] = {}
    for name, info in sorted(manifest["files"].items()):
        if names is not None and name not in names:
            continue
        reqs = cache.setdefault(info["pattern"], requests(mapping, info["pattern"], manifest["n"], manifest["seed"]))
        text = stl_text(reqs, info["gap"])
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest != info["sha256"]:
            raise AssertionError(f"{mapping}/{name}: regenerated trace sha256 {digest} differs from the manifest")
        writes = sum(1 for _, w in reqs if w)
        assert (len(reqs) - writes, writes) == (info["reads"], info["writes"]), name
        path = out_dir / name
        path.write_text(text)
        paths[name] = path
    return paths
