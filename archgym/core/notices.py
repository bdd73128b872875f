"""One-line notices of slow first-use work, on stderr, so that a long silence is never a mystery.

The simulators' numba kernels compile on their first call in a fresh installation (7-25 s) and are
cached on disk afterwards (under 1 s). :func:`first_use` says so before the work and how long it took
after it. ``ARCHGYM_QUIET=1`` (what ``archgym --quiet`` sets) turns every notice off.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

QUIET_ENV = "ARCHGYM_QUIET"
_checked: set[str] = set()


def quiet() -> bool:
    """True when notices are turned off (``ARCHGYM_QUIET`` set to anything but "", "0" or "false")."""
    return os.environ.get(QUIET_ENV, "").strip().lower() not in ("", "0", "false", "no")


def notice(message: str) -> None:
    """Print ``archgym: message`` on stderr unless quiet."""
    if not quiet():
        print(f"archgym: {message}", file=sys.stderr, flush=True)


def numba_cache_dir(package: str) -> Path:
    """Where numba caches the compiled kernels of ``package`` (NUMBA_CACHE_DIR, else beside the sources)."""
    custom = os.environ.get("NUMBA_CACHE_DIR")
    return Path(custom) if custom else Path(importlib.import_module(package).__path__[0])


def _cache_folders(package: str) -> list[Path]:
    """The folders numba caches ``package``'s kernels in: beside the sources, or with ``NUMBA_CACHE_DIR`` set one
    folder there per source folder, named as numba names it (``_CacheLocator.get_suitable_cache_subpath``: the
    folder's name and the SHA-1 of its absolute path), so that other packages' kernels in a shared cache folder
    do not count."""
    custom = os.environ.get("NUMBA_CACHE_DIR")
    root = Path(importlib.import_module(package).__path__[0])
    if not custom:
        return [root]
    dirs = [root, *(p for p in root.rglob("*") if p.is_dir() and p.name != "__pycache__")]
    return [Path(custom) / f"{os.path.basename(str(d))}_{hashlib.sha1(str(d).encode()).hexdigest()}"
            for d in (Path(os.path.abspath(d)) for d in dirs)]


def cache_is_cold(package: str) -> bool:
    """True if no compiled kernel of ``package`` is cached on disk yet (a fresh installation)."""
    return not any(next(folder.rglob("*.nbi"), None) for folder in _cache_folders(package) if folder.is_dir())


@contextmanager
def first_use(package: str | None, what: str, typical_seconds: float) -> Iterator[None]:
    """Around the first simulation of ``package`` in this process: a notice before and after it when its
    numba kernels are not cached yet (checked once per package and process)."""
    if package is None or package in _checked or quiet():
        yield
        return
    _checked.add(package)
    if not cache_is_cold(package):
        yield
        return
    notice(f"first use of {what}: compiling its numba kernels (typically {typical_seconds:.0f} s, once; "
           f"cached in {numba_cache_dir(package)}, later starts take under a second) ...")
    t0 = time.perf_counter()
    yield
    notice(f"compiled {what} in {time.perf_counter() - t0:.1f} s (cached)")


@contextmanager
def working(what: str) -> Iterator[None]:
    """``archgym: what ...`` before a long step and ``... done in X s`` after it (on stderr, unless quiet)."""
    notice(f"{what} ...")
    t0 = time.perf_counter()
    yield
    notice(f"{what}: done in {time.perf_counter() - t0:.1f} s")
