"""Reading the tools' text files: one place that says where a file is not UTF-8 text."""

from __future__ import annotations


def decode_error(e: UnicodeDecodeError) -> str:
    """Where and what the undecodable byte is, e.g. ``line 3: byte 0xff is not UTF-8 text``."""
    data = e.object if isinstance(e.object, (bytes, bytearray)) else b""
    line = data[: e.start].count(b"\n") + 1
    byte = data[e.start] if e.start < len(data) else None
    what = f"byte {byte:#04x}" if byte is not None else "a byte"
    return f"line {line}: {what} is not UTF-8 text (save the file as UTF-8)"


__all__ = ["decode_error"]
