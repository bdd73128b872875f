"""The documentation site builds with ``mkdocs build --strict``, its generated tables follow the code,
and every tutorial script in examples/tutorials/ runs (with small budgets)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "examples" / "tutorials"


def _load(path: Path, name: str):
    """Import a script or hook by its path (they are not part of the package)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _have(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


needs_docs = pytest.mark.skipif(not _have("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python", "pymdownx"),
                                reason="the docs extra (mkdocs, mkdocs-material, mkdocstrings-python) is not installed")


# -- the site --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site built once, strictly, into a temporary folder."""
    out = tmp_path_factory.mktemp("site")
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    seconds = time.perf_counter() - t
    assert proc.returncode == 0, f"mkdocs build --strict failed ({seconds:.1f} s):\n{proc.stderr[-4000:]}"
    assert "WARNING" not in proc.stderr, proc.stderr[-4000:]
    print(f"mkdocs build --strict: {seconds:.1f} s")
    return out


def _text(site: Path, page: str) -> str:
    html = (site / page / "index.html").read_text()
    return re.sub(r"<[^>]+>", " ", html)


@needs_docs
def test_site_builds_with_every_page(site):
    nav_pages = ["getting-started", "envs/systolicarray", "envs/dataflow", "envs/mapping", "envs/dram", "envs/soc",
                 "envs/synthetic", "tutorials/sb3-ppo", "tutorials/ray-cluster", "tutorials/surrogate",
                 "tutorials/recheck", "tutorials/new-env", "validation", "architecture", "api/core", "api/envs",
                 "api/sweeps", "api/surrogates", "api/simulators", "api/agents"]
    from archgym.agents import AGENTS

    nav_pages += [f"agents/{name}" for name in AGENTS]
    missing = [p for p in nav_pages if not (site / p / "index.html").is_file()]
    assert not missing
    for page in site.rglob("*.html"):
        assert not re.search(r"<!--\s*archgym:", page.read_text()), f"{page}: a directive was left unexpanded"


@needs_docs
def test_environment_pages_follow_the_code(site):
    """Every parameter and metric of every registered environment appears on its page; every
    environment has a page."""
    from archgym.envs import ENVIRONMENTS

    hook = _load(ROOT / "docs" / "_hooks" / "tables.py", "docs_tables_hook")
    for env_id in ENVIRONMENTS:
        page = "envs/" + env_id.split("/")[1].split("-")[0].lower()
        text = _text(site, page)
        env = hook._env(env_id)
        for name in [*env.design_space.names, *env.metrics]:
            assert f" {name} " in text, f"{page}: {name} missing"


@needs_docs
def test_tutorial_pages_include_their_scripts(site):
    for page, script in [("sb3-ppo", "sb3_ppo.py"), ("ray-cluster", "ray_sweep.py"), ("surrogate", "surrogate.py"),
                         ("recheck", "recheck.py"), ("new-env", "new_env.py")]:
        first_def = re.search(r"^def (\w+)\(", (TUTORIALS / script).read_text(), re.M).group(1)
        assert first_def in _text(site, f"tutorials/{page}"), f"{script} is not included in tutorials/{page}"


@needs_docs
def test_agent_pages_list_every_hyperparameter(site):
    from archgym.agents import AGENTS, agent_class

    for name in AGENTS:
        text = _text(site, f"agents/{name}")
        for hp in agent_class(name).hyperparameter_defaults():
            assert f" {hp} " in text, f"agents/{name}: hyper-parameter {hp} missing"


# -- the hook on its own -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hook():
    pytest.importorskip("mkdocs")
    return _load(ROOT / "docs" / "_hooks" / "tables.py", "docs_tables_hook")


class _Page:
    class file:
        src_path = "test.md"


def test_hook_expands_tables_from_the_code(hook):
    from archgym.envs import systolic

    md = hook.on_page_markdown("<!-- archgym:metrics archgym/SystolicArray-v0 -->", _Page, None, None)
    for metric, factor in systolic.TARGET_FACTORS.items():
        assert re.search(rf"`{metric}` \|.*\| {factor:g} x baseline \|", md), (metric, md)
    md = hook.on_page_markdown("<!-- archgym:space archgym/SystolicArray-v0 -->", _Page, None, None)
    for name in systolic.design_space().names:
        assert f"`{name}`" in md


def test_hook_refuses_unknown_directives_and_ids(hook):
    with pytest.raises(ValueError, match="unknown archgym directive"):
        hook.on_page_markdown("<!-- archgym:nonsense -->", _Page, None, None)
    with pytest.raises(ValueError, match="not registered"):
        hook.on_page_markdown("<!-- archgym:space archgym/NoSuch-v0 -->", _Page, None, None)
    with pytest.raises(ValueError, match="not registered"):
        hook.on_page_markdown("<!-- archgym:hyperparams nosuch -->", _Page, None, None)


def test_hook_reads_hyperparameter_meanings_from_docstrings(hook):
    doc = "Title.\n\nalpha: first line\n    continued.\nbeta, gamma: shared.\n\nOther text: not a parameter"
    got = hook._param_lines(doc)
    assert got["alpha"] == "first line continued."
    assert got["beta"] == got["gamma"] == "shared."
    assert "Other text" not in got


def test_doctest_lines_are_fenced():
    pytest.importorskip("griffe")
    ext = _load(ROOT / "docs" / "_hooks" / "doctest_blocks.py", "docs_doctest_blocks")
    out = ext.fence_doctests('Intro.\n\n>>> r = f()\n>>> r["a"]["b"]\n1\n\nAfter.')
    assert out == 'Intro.\n\n```python\n>>> r = f()\n>>> r["a"]["b"]\n1\n```\n\nAfter.'


# -- the tutorials -----------------------------------------------------------------------------------
def test_tutorial_new_env():
    """The example environment registers, passes check_env and is searched."""
    tut = _load(TUTORIALS / "new_env.py", "tutorial_new_env")
    best = tut.main([])
    assert -10 < best <= 0


def test_tutorial_surrogate_then_recheck(tmp_path):
    """Collect, train (a random forest: fast) and save; then search on it and re-simulate."""
    sur = _load(TUTORIALS / "surrogate.py", "tutorial_surrogate")
    path = sur.main(["--n", "300", "--model", "rf", "--out", str(tmp_path)])
    assert path.is_file()
    rc = _load(TUTORIALS / "recheck.py", "tutorial_recheck")
    summary = rc.main([str(path), "--agent", "random", "--budget", "200", "--top", "3"])
    assert summary["simulator_evaluations"] == 3
    assert summary["surrogate_evaluations"] == 200


@pytest.mark.skipif(not _have("stable_baselines3"), reason="stable_baselines3 is not installed (extra rl)")
def test_tutorial_sb3_ppo(tmp_path):
    """SB3 PPO on flat-action copies in a DummyVecEnv; every design it tried is a dataset row."""
    from archgym.records import load_records

    tut = _load(TUTORIALS / "sb3_ppo.py", "tutorial_sb3_ppo")
    best = tut.main(["--timesteps", "64", "--n-envs", "2", "--out", str(tmp_path)])
    rows = load_records([tmp_path / "env0", tmp_path / "env1"])
    assert len(rows) >= 64 and best == rows["reward"].max()


@pytest.mark.slow
@pytest.mark.skipif(not _have("ray"), reason="ray is not installed (extra ray)")
def test_tutorial_ray_sweep_on_a_local_ray(tmp_path):
    """The sweep tutorial on a local Ray (no --address): 2 agents x 2 seeds, every row kept. (~15 s.)"""
    tut = _load(TUTORIALS / "ray_sweep.py", "tutorial_ray_sweep")
    assert tut.main(["--budget", "20", "--num-cpus", "2", "--out", str(tmp_path / "sweep")]) == 4 * 20
