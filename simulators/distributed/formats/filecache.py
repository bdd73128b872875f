"""Reading input files once per content: what a file parses to is remembered under its bytes (never its path alone).

ASTRA-sim's inputs are small and a sweep reads the same few again and again: every reader here reads
the file's bytes (always: an edited file is a new key) and looks the parse up under
``(bytes, name the errors and warnings use)``. Failures are never remembered (the next call raises
again, with the same message); warnings are remembered with the result and given again on every call.
"""

from __future__ import annotations

import io
import json
import os
import warnings

from ...textfile import decode_error

#: entries per cache, and bytes of file contents its keys may hold; the oldest go first
LIMIT = 1024
MAX_BYTES = 64 << 20
_CACHES: list = []


class _Cache(dict):
    __slots__ = ("nbytes",)


def cache() -> dict:
    """A new content cache, emptied by :func:`clear_caches`."""
    c = _Cache()
    c.nbytes = 0
    _CACHES.append(c)
    return c


def _size(key) -> int:
    return sum(len(k) for k in key if isinstance(k, bytes)) if isinstance(key, tuple) else 0


def remember(c, key, value, limit: int = LIMIT, max_bytes: int = MAX_BYTES):
    """Keep ``value`` under ``key`` (unless the key's file contents are over a quarter of ``max_bytes``); returns ``value``."""
    n = _size(key)
    if n > max_bytes // 4:
        return value
    while c and (len(c) >= limit or c.nbytes + n > max_bytes):
        try:
            old = next(iter(c))
            del c[old]
        except (StopIteration, KeyError, RuntimeError):  # another thread changed it meanwhile: the count is approximate
            break
        c.nbytes -= _size(old)
    c[key] = value
    c.nbytes += n
    return value


def clear_caches() -> None:
    """Forget every parsed file (and remembered result) of the ASTRA-sim model."""
    for c in _CACHES:
        c.clear()
        c.nbytes = 0


def read_bytes(path) -> bytes:
    """The file's bytes (``OSError`` as ``os.open``/``os.read`` raise it: a third of ``open().read()``'s time)."""
    fd = os.open(path, _FLAGS)
    try:
        try:
            data = os.read(fd, 65536)
        except IsADirectoryError as e:
            raise IsADirectoryError(e.errno, e.strerror, os.fspath(path)) from None
        if data:
            more = os.read(fd, 1 << 20)
            if more:
                parts = [data, more]
                while more:
                    more = os.read(fd, 1 << 20)
                    parts.append(more)
                data = b"".join(parts)
        return data
    finally:
        os.close(fd)


_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)


def text(data: bytes) -> str:
    """``data`` decoded as ``Path.read_text`` decodes a file (locale encoding, universal newlines)."""
    return io.TextIOWrapper(io.BytesIO(data)).read()


def json_data(data: bytes, source: str, kind: str):
    """Parsed JSON of a file's bytes; bad encoding or syntax raises ``ValueError`` naming the file (as ``read_json``)."""
    try:
        return json.loads(text(data))
    except UnicodeDecodeError as e:
        raise ValueError(f"{source}: {decode_error(e)}") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{source}: not valid JSON (line {e.lineno}: {e.msg})") from None


def replay(messages, stacklevel: int = 4) -> None:
    """Give the remembered warnings again (``UserWarning``, as the readers warn)."""
    for m in messages:
        warnings.warn(m, stacklevel=stacklevel)


__all__ = ["cache", "remember", "clear_caches", "read_bytes", "text", "json_data", "replay"]
