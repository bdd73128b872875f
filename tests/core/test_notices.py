"""Long work talks: a first-use compilation is announced (with how long it took) unless quiet."""

import json
import os
import subprocess
import sys

from typer.testing import CliRunner

from archgym.cli import build_app
from archgym.core import notices


def test_cold_cache_is_announced_once(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv(notices.QUIET_ENV, raising=False)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))  # an empty cache: a fresh installation
    monkeypatch.setattr(notices, "_checked", set())
    with notices.first_use("archgym.simulators.dram", "the DRAM simulator", 22):
        pass
    err = capsys.readouterr().err
    assert "first use of the DRAM simulator: compiling" in err and "typically 22 s" in err
    assert "compiled the DRAM simulator in" in err
    with notices.first_use("archgym.simulators.dram", "the DRAM simulator", 22):
        pass
    assert capsys.readouterr().err == ""


def test_a_cache_folder_is_warm_for_the_packages_cached_in_it(tmp_path):
    """With NUMBA_CACHE_DIR set, numba keeps one folder per source folder there: a kernel compiled for one
    package (here a real one, by numba in a fresh process) makes that package warm, not every other one."""
    pkg = tmp_path / "src" / "tinykernels"
    (pkg / "inner").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "inner" / "__init__.py").write_text("import numba\n\n\n@numba.njit(cache=True)\ndef f(x):\n    return x + 1\n")
    cache = tmp_path / "cache"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "PYTHONPATH": str(tmp_path / "src")}
    code = ("import sys; from archgym.core import notices; print(notices.cache_is_cold('tinykernels'), "
            "notices.cache_is_cold('archgym.simulators.soc')); import tinykernels.inner as k; k.f(1); "
            "print(notices.cache_is_cold('tinykernels'), notices.cache_is_cold('archgym.simulators.soc'))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True", "False", "True"]


def test_warm_cache_and_quiet_say_nothing(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    folder = notices._cache_folders("archgym.simulators.dram")[0]
    folder.mkdir()
    (folder / "k.nbi").write_text("")
    monkeypatch.setattr(notices, "_checked", set())
    with notices.first_use("archgym.simulators.dram", "x", 1):
        pass
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv(notices.QUIET_ENV, "1")
    with notices.first_use("archgym.simulators.soc", "y", 1), notices.working("z"):
        pass
    assert capsys.readouterr().err == ""


def test_quiet_option_silences_the_run(monkeypatch, tmp_path):
    monkeypatch.setenv(notices.QUIET_ENV, "0")  # restored (unset) after the test: --quiet sets it process-wide
    r = CliRunner().invoke(build_app(), ["--quiet", "run", "archgym/Synthetic-v0", "-n", "30", "-o", str(tmp_path / "r"),
                                         "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["budget"] == 30  # nothing but the JSON: no bar, no notice
