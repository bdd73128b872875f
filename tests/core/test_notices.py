"""Long work talks: a first-use compilation is announced (with how long it took) unless quiet."""

import json

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


def test_warm_cache_and_quiet_say_nothing(monkeypatch, tmp_path, capsys):
    (tmp_path / "k.nbi").write_text("")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
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
