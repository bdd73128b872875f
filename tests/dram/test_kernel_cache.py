"""The DRAM controller's compiled loop is cached on the content of every file it inlines.

numba checks only the defining file of a cached kernel; ``run_channel`` inlines helpers from ten sibling
files. These tests build a two-file kernel in a temporary folder, compile it in one process, edit the
helper, and run it again in a fresh process: plain numba serves the stale machine code, a kernel keyed with
:func:`key_on_sources` recompiles.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from archgym.simulators.dram.controller import channel
from archgym.simulators.kernel_cache import sources_digest

ROOT = Path(__file__).resolve().parents[2]


def _write_kernel(folder: Path, keyed: bool, value: int) -> None:
    pkg = folder / "kpkg"
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "helper.py").write_text(textwrap.dedent(f"""
        from numba import njit
        @njit(inline="always", cache=True)
        def helper(x):
            return x + {value}
        """))
    key = ("from archgym.simulators.kernel_cache import key_on_sources\n"
           "from pathlib import Path\n"
           "key_on_sources(kernel, Path(__file__).parent)\n") if keyed else ""
    (pkg / "main.py").write_text(textwrap.dedent("""
        from numba import njit
        from .helper import helper
        @njit(cache=True)
        def kernel(x):
            return helper(x)
        """) + key)


def _run(folder: Path) -> int:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(folder / "cache"), "PYTHONPATH": str(folder)}
    out = subprocess.run([sys.executable, "-c", "from kpkg.main import kernel; print(kernel(1))"], env=env,
                         capture_output=True, text=True, check=True, cwd=folder)
    return int(out.stdout.split()[-1])


def test_plain_numba_serves_a_stale_kernel_after_a_helper_file_changes(tmp_path):
    """The problem key_on_sources solves (if numba ever fixes it, this test says so and can go)."""
    _write_kernel(tmp_path, keyed=False, value=1)
    assert _run(tmp_path) == 2
    _write_kernel(tmp_path, keyed=False, value=10)
    assert _run(tmp_path) == 2, "numba now notices edits to inlined helpers: key_on_sources may be redundant"


def test_a_kernel_keyed_on_its_sources_recompiles_after_a_helper_file_changes(tmp_path):
    _write_kernel(tmp_path, keyed=True, value=1)
    assert _run(tmp_path) == 2
    _write_kernel(tmp_path, keyed=True, value=10)
    assert _run(tmp_path) == 11  # stale machine code would still give 2
    assert _run(tmp_path) == 11  # and the recompiled kernel is cached under the new key


def test_run_channel_is_keyed_on_the_controller_folder_and_the_timing_rules():
    stamp = channel.run_channel._cache._cache_file._source_stamp
    folder = Path(channel.__file__).parent
    assert stamp[1] == sources_digest([folder, folder.parent / "timing.py"])
    assert len(list(folder.glob("*.py"))) >= 10  # the split files are all in the digest


def test_kernels_that_use_sibling_files_are_keyed_on_their_folder():
    import importlib

    for name in ("systolic.events", "systolic.writes", "dataflow.mapper", "dataflow.cost", "soc.cost", "soc.evaluate"):
        mod = importlib.import_module(f"archgym.simulators.{name}")
        kernels = [v for v in vars(mod).values() if hasattr(v, "_cache") and getattr(v, "py_func", None) is not None
                   and v.py_func.__module__ == mod.__name__]
        assert kernels, name
        for k in kernels:
            stamp = k._cache._cache_file._source_stamp
            assert stamp[1] == sources_digest([Path(mod.__file__).parent]), f"{name}.{k.__name__} is not keyed"
