"""The README is executable: its code blocks run here, against the sample files in ``examples/files``.

Blocks are read from README.md itself, so an edited command is tested as written. Each block is
either run (``RUN``) or listed in ``NOT_RUN`` with the reason; a block in neither fails the test, so a
new README block cannot go untested without saying so.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
ARCHGYM = [str(Path(sys.executable).with_name("archgym"))]  # the console script of this environment


def blocks() -> list[tuple[str, str]]:
    """(language, text) of every fenced block of the README, in order."""
    return re.findall(r"^```(\w*)\n(.*?)^```", README.read_text(encoding="utf-8"), flags=re.S | re.M)


def first_line(text: str) -> str:
    return text.strip().splitlines()[0]


#: blocks run by this file, by their first line
RUN = {
    'import gymnasium as gym': "python",
    'archgym run --help                                   # lists environments and agents': "commands",
    'cd examples/files    # sample inputs in each tool\'s own format (see its README)': "commands",
}
#: blocks not run here, by their first line, with the reason (and where they are covered instead)
NOT_RUN = {
    'python3.11 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/archgym run':
        "the install and test commands themselves: .ci/run runs them on a clean clone",
    'from archgym.records import load_records': "reads the main job's output (tests/core: load_records)",
    'archgym sweep examples/sweeps/smoke.yaml --out runs/sweeps/smoke     # 2 agents x 2 seeds, ~20 s':
        "a Ray sweep (tests/sweeps)",
    'from archgym.sweeps.run import run_sweep': "a Ray sweep (tests/sweeps)",
    'name: my-study                   # a word; the default --out is runs/sweeps/<name>':
        "a spec reference (tests/sweeps/test_sweep_spec.py)",
    'OUT/sweep.json                    the sweep as read, its experiment list and fingerprint': "a folder listing",
    'from archgym.sweeps.dataset import load_dataset': "reads sweep outputs (tests/sweeps)",
    'archgym collect archgym/SystolicArray-v0 --n 100000 --sampler lhs --seed 0 --out runs/collect/sa-lhs':
        "100,000 designs (tests/sweeps/test_collect.py)",
    'archgym analyze runs/sweeps/archgym_grids [more sweeps ...] --out runs/sweeps/archgym_grids/analysis':
        "reads a large sweep (tests/sweeps/test_analysis.py)",
    'from archgym.sweeps.searcher import tune_design': "Ray Tune searches (tests/sweeps)",
    'archgym collect archgym/SystolicArray-v0 -n 20000 --sampler lhs --seed 0 --out runs/sys-lhs':
        "minutes of collection and training (tests/surrogate)",
    'import gymnasium as gym, archgym': "needs the surrogate file of the block before (tests/surrogate)",
    '.venv/bin/python benchmarks/bench_systolic.py    # analytic and replay paths vs scalesim': "benchmarks",
    'simulators/        pure cost models (numpy, numba); no gymnasium, Ray, torch or agents': "a folder listing",
}


def test_every_block_is_run_or_says_why_not():
    firsts = [first_line(text) for _, text in blocks()]
    unknown = [f for f in firsts if f not in RUN and f not in NOT_RUN]
    assert not unknown, f"README blocks neither run by tests/test_readme.py nor listed in NOT_RUN: {unknown}"
    stale = [f for f in list(RUN) + list(NOT_RUN) if f not in firsts]
    assert not stale, f"tests/test_readme.py lists blocks the README no longer has: {stale}"


def _block(first: str) -> str:
    return next(text for _, text in blocks() if first_line(text) == first)


def _commands(text: str) -> list[list[str]]:
    """Shell lines of a block (continuations joined, comments dropped), split into words."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [shlex.split(line, comments=True) for line in joined.splitlines() if shlex.split(line, comments=True)]


def _run_commands(text: str, tmp_path: Path) -> None:
    cwd = tmp_path
    for k, words in enumerate(_commands(text)):
        if words[0] == "cd":
            cwd = ROOT / words[1]
            continue
        assert words[0] == "archgym", f"README command {words} is not an archgym command"
        if words[1] == "run" and "--help" not in words:  # as written, but with a small budget and a fresh --out
            words[words.index("--budget") + 1] = "12"
            out = str(tmp_path / f"run{k}")
            words = words[:words.index("--out") + 1] + [out] + words[words.index("--out") + 2:] if "--out" in words \
                else words + ["--out", out]
            words += ["--no-progress"]
        r = subprocess.run(ARCHGYM + words[1:], cwd=cwd, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, f"README command {' '.join(words)} (in {cwd}) failed:\n{r.stdout}\n{r.stderr}"


@pytest.mark.parametrize("first", [f for f, kind in RUN.items() if kind == "commands"])
def test_readme_commands_run(first, tmp_path):
    _run_commands(_block(first), tmp_path)


@pytest.mark.parametrize("first", [f for f, kind in RUN.items() if kind == "python"])
def test_readme_python_runs(first, tmp_path):
    r = subprocess.run([sys.executable, "-c", _block(first)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"README block {first!r} failed:\n{r.stderr}"
