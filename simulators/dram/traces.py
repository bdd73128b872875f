"""Request traces: DRAMSys ``.stl`` files and numpy request arrays.

A request array is a numpy structured array with fields ``cycle`` (int64, arrival in
controller clock cycles), ``write`` (bool) and ``address`` (uint64, byte address). ``.stl``
lines read ``<cycle>:<tab>read|write<tab><hex address>`` (DRAMSys's absolute trace-player
format; ``#`` starts a comment line), read as DRAMSys's trace player reads them:

- an optional ``(length)`` before the command gives the request's bytes (else the player's
  ``dataLength``, one burst by default): a power of two, the address aligned to it, as DRAMSys's
  controller requires; a request up to one burst is one burst, a longer one is split into bursts at
  consecutive addresses, all arriving together;
- write data after the address is read past (timing does not depend on it);
- a request whose cycle is earlier than the one before it is behind schedule, and the player issues it
  at once, i.e. at the earlier request's cycle (with a warning saying how many).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from ..textfile import decode_error

REQUEST_DTYPE = np.dtype([("cycle", np.int64), ("write", np.bool_), ("address", np.uint64)])


class TraceError(ValueError):
    """A trace that cannot be read; the message names the file and line."""


def make_requests(cycle, write, address) -> np.ndarray:
    """A request array from three equally long sequences."""
    cycle = np.asarray(cycle, dtype=np.int64)
    out = np.empty(cycle.shape[0], dtype=REQUEST_DTYPE)
    out["cycle"] = cycle
    out["write"] = np.asarray(write, dtype=bool)
    out["address"] = np.asarray(address, dtype=np.uint64)
    return out


def check_requests(req: np.ndarray, source: str = "requests") -> np.ndarray:
    """Validate a request array (dtype, non-empty, non-decreasing arrival cycles)."""
    if not isinstance(req, np.ndarray) or req.dtype.names is None or \
            not {"cycle", "write", "address"} <= set(req.dtype.names):
        raise TraceError(f"{source}: expected a structured array with fields cycle, write, address "
                         "(see simulators.dram.traces.make_requests)")
    if req.shape[0] == 0:
        raise TraceError(f"{source}: the trace holds no request")
    cyc = req["cycle"]
    if np.any(cyc < 0):
        i = int(np.argmax(cyc < 0))
        raise TraceError(f"{source}: request {i} has negative cycle {int(cyc[i])}")
    back = np.flatnonzero(np.diff(cyc) < 0)
    if back.size:
        i = int(back[0]) + 1
        raise TraceError(f"{source}: request {i} arrives at cycle {int(cyc[i])}, before request {i - 1} "
                         f"(cycle {int(cyc[i - 1])}); cycles must not decrease")
    return req


#: the largest values a trace line may hold (they are stored as int64)
MAX_CYCLE = 1 << 62
MAX_ADDRESS = 1 << 63


def read_stl(path: str | Path, burst_bytes: int = 64, data_length: int | None = None) -> np.ndarray:
    """Read a DRAMSys ``.stl`` trace as DRAMSys's player does (see the module docstring); a malformed line
    raises :class:`TraceError` with its line number. ``data_length``: bytes of a request without its own
    ``(length)`` (the trace setup's ``dataLength``; default one burst of ``burst_bytes``)."""
    default_length = burst_bytes if data_length is None else data_length
    if not isinstance(default_length, int) or isinstance(default_length, bool) or default_length < 1 or \
            default_length & (default_length - 1):
        raise TraceError(f"{path}: dataLength {data_length!r}; allowed: a power of two (bytes)")
    p = Path(path)
    try:
        text = p.read_text()
    except FileNotFoundError:
        raise TraceError(f"{p}: trace file not found") from None
    except UnicodeDecodeError as e:
        raise TraceError(f"{p}: {decode_error(e)}") from None
    cycles: list[int] = []
    writes: list[bool] = []
    addrs: list[int] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if len(line) <= 1 or line[0] == "#":
            continue
        parts = line.split()
        try:
            stamp = parts[0]
            if not stamp.endswith(":"):
                raise ValueError("the cycle must end with ':'")
            cyc = int(stamp[:-1])
            if cyc < 0:
                raise ValueError("negative cycle")
            if cyc >= MAX_CYCLE:
                raise ValueError(f"cycle {cyc} is beyond {MAX_CYCLE} (2^62); allowed: 0 <= cycle < 2^62")
            i = 1
            length = default_length
            if parts[i].startswith("("):
                length = int(parts[i].strip("()"))
                if length < 1 or length & (length - 1):
                    raise ValueError(f"request length {length} bytes; allowed: a power of two")
                i += 1
            cmd = parts[i]
            if cmd not in ("read", "write"):
                raise ValueError(f"command {cmd!r}; allowed: 'read', 'write'")
            addr = int(parts[i + 1], 16)
            if addr < 0:
                raise ValueError("negative address")
            if addr >= MAX_ADDRESS:
                raise ValueError(f"address {parts[i + 1]} is beyond 64 bits; allowed: 0 <= address < 2^63")
            if addr % length:
                raise ValueError(f"address {parts[i + 1]} is not aligned to the request length {length} "
                                 "(DRAMSys's controller needs naturally aligned requests)")
        except (ValueError, IndexError) as e:
            why = str(e) if isinstance(e, ValueError) and str(e) and "invalid literal" not in str(e) else \
                "expected '<cycle>:<tab>read|write<tab><hex address>'"
            raise TraceError(f"{p}:{lineno}: malformed trace line {line.strip()!r}: {why}") from None
        for k in range(max(1, length // burst_bytes)):  # longer than a burst: split into bursts
            cycles.append(cyc)
            writes.append(cmd == "write")
            addrs.append(addr + k * burst_bytes)
    if not cycles:
        raise TraceError(f"{p}: the trace holds no request")
    cyc = np.asarray(cycles, dtype=np.int64)
    late = int(np.count_nonzero(np.diff(cyc) < 0))
    if late:
        first = int(np.flatnonzero(np.diff(cyc) < 0)[0]) + 1
        warnings.warn(f"{p}: {late} request(s) are behind schedule (the first is request {first}, cycle {int(cyc[first])}, "
                      f"after cycle {int(cyc[first - 1])}); issued at once, as DRAMSys's player does", stacklevel=2)
        cyc = np.maximum.accumulate(cyc)
    return check_requests(make_requests(cyc, writes, addrs), str(p))


def write_stl(path: str | Path, req: np.ndarray) -> Path:
    """Write a request array as a ``.stl`` trace (atomically: temp file, then rename)."""
    check_requests(req)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=p.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            kinds = np.where(req["write"], "write", "read")
            fh.writelines(f"{c}:\t{k}\t0x{a:x}\n" for c, k, a in zip(req["cycle"].tolist(), kinds.tolist(),
                                                                     req["address"].tolist()))
        os.replace(tmp, p)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return p
