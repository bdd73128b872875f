"""Key numba's on-disk cache of a kernel on the content of every source file it compiles in.

numba marks a cached kernel stale only when the file that defines it changes. A kernel that inlines
helpers from other files (the DRAM controller's ``run_channel`` inlines its scheduler, refresh,
multiplexer ... modules) would keep serving the old machine code after one of those files changed: a
silent wrong answer. :func:`key_on_sources` adds a digest of the given files to the kernel's cache stamp,
so that any edit to them triggers a recompile.
"""

from __future__ import annotations

import functools
import hashlib
import warnings
from collections.abc import Iterable
from pathlib import Path


def sources_digest(paths: Iterable[Path]) -> str:
    """SHA-256 over the names and bytes of the ``.py`` files at ``paths`` (files, or folders searched
    recursively), in a stable order."""
    return _digest(tuple(sorted(str(Path(p).resolve()) for p in paths)))


@functools.cache
def _digest(paths: tuple[str, ...]) -> str:
    files: set[Path] = set()
    for p in map(Path, paths):
        files.update(p.rglob("*.py") if p.is_dir() else [p])
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(f.name.encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def key_on_sources(dispatcher, *paths: Path) -> None:
    """Make ``dispatcher``'s (an ``@njit(cache=True)`` function) cache entries stale whenever any source file
    under ``paths`` changes. Does nothing for a dispatcher without a disk cache."""
    cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    if cache_file is None or not hasattr(cache_file, "_source_stamp"):
        if getattr(dispatcher, "_cache", None) is not None and type(dispatcher._cache).__name__ != "NullCache":
            warnings.warn(f"numba's cache layout changed: {dispatcher.__name__}'s cache is keyed on its own file "
                          "only (clear __pycache__ after editing its helpers)", RuntimeWarning, stacklevel=2)
        return
    cache_file._source_stamp = (cache_file._source_stamp, sources_digest(paths))


def key_module_kernels(namespace: dict, *paths: Path) -> None:
    """:func:`key_on_sources` for every cached kernel defined in the module whose globals are ``namespace``
    (call it at the end of a module whose kernels use kernels of other files)."""
    for value in list(namespace.values()):
        py_func = getattr(value, "py_func", None)
        if py_func is not None and hasattr(value, "_cache") and py_func.__module__ == namespace["__name__"]:
            key_on_sources(value, *paths)
