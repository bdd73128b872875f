"""The README is executable: every code block runs here, in README order, as a newcomer would run it.

Blocks are read from README.md itself, so an edited command is tested as written. Each block has a
kind in ``KIND`` (keyed by its first line); a block with no kind fails the test, so a new README
block cannot go untested. The walk runs in one scratch folder (with ``examples/`` linked in, as in a
clone), so a block can read what an earlier one wrote, exactly as in the README. The only changes
to what is written are the budgets in ``SCALE`` (same commands, fewer designs), listed so that
nothing else is edited silently.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
ARCHGYM = str(Path(sys.executable).with_name("archgym"))  # the console script of this environment


def blocks() -> list[tuple[str, str]]:
    """(language, text) of every fenced block of the README, in order."""
    return re.findall(r"^```(\w*)\n(.*?)^```", README.read_text(encoding="utf-8"), flags=re.S | re.M)


def first_line(text: str) -> str:
    """The block's key: its first line, or its first two when the first is a bare ``import gymnasium``."""
    lines = text.strip().splitlines()
    return "\n".join(lines[:2]) if lines[0] == "import gymnasium as gym" else lines[0]


#: how each block is run, by its first line:
#:   install  the install + main job + test commands: run by .ci/run on a clean clone; the walk runs
#:            its main job (`archgym run` on its defaults) and checks the files the README lists
#:   commands shell lines, run in the walk      python   run with this interpreter in the walk
#:   spec     the sweep-file reference: written out and checked by `archgym sweep --dry-run`
#:   dataset  the sweep folder listing: checked against the smoke sweep the walk ran
#:   layout   the repository listing: every folder and file it names exists
#:   bench    benchmark commands: each script exists and parses its arguments (`--help`); their
#:            full runs take minutes to hours and write benchmarks/results/
KIND = {
    'python3.11 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/archgym run': "install",
    'import gymnasium as gym\nimport archgym  # registers the ids': "python",
    'archgym run --help                                   # lists environments and agents': "commands",
    'cd examples/files    # sample inputs in each tool\'s own format (see its README)': "commands",
    'import gymnasium as gym\nfrom stable_baselines3 import PPO': "python",
    'from archgym.records import load_records': "python",
    'archgym sweep examples/sweeps/smoke.yaml --out runs/sweeps/smoke     # 2 agents x 2 seeds, ~20 s': "commands",
    'from archgym.sweeps.run import run_sweep': "python",
    'name: my-study                   # a word; the default --out is runs/sweeps/<name>': "spec",
    'OUT/sweep.json                    the sweep as read, its experiment list and fingerprint': "dataset",
    'from archgym.sweeps.dataset import load_dataset': "python",
    'archgym collect archgym/SystolicArray-v0 --n 100000 --sampler lhs --seed 0 --out runs/collect/sa-lhs':
        "commands",
    'archgym analyze runs/sweeps/archgym_grids --out runs/sweeps/archgym_grids/analysis   # or several sweeps':
        "commands",
    'from archgym.sweeps.searcher import tune_design': "python",
    'archgym repair runs/sweeps/smoke --dry-run   # what is damaged, and what would be re-simulated': "commands",
    'archgym collect archgym/SystolicArray-v0 -n 20000 --sampler lhs --seed 0 --out runs/sys-lhs': "commands",
    'import gymnasium as gym, archgym': "python",
    '.venv/bin/python benchmarks/bench_systolic.py    # analytic and replay paths vs scalesim': "bench",
    'simulators/        pure cost models (numpy, numba); no gymnasium, Ray, torch or agents': "layout",
}

#: the only edits the walk makes to what the README says: (pattern, replacement), budgets only
#: (designs, evaluations, training steps, boosting iterations: hgb's 2,000 trees take minutes on 2 cores),
#: plus the one sweep the README analyses but does not run (ArchGym's grids: hours) read as the
#: smoke sweep it does run
SCALE = [
    (r"--n 100000\b", "--n 300"),
    (r"-n 20000\b", "-n 600"),
    (r"--model hgb --out sys.surrogate", "--model hgb --param max_iter=100 --out sys.surrogate"),
    (r"--model hgb --plot curve.png", "--model hgb --param max_iter=100 --sizes 100,400 --plot curve.png"),
    (r"recheck (\S+) --agent ga --budget 100000", r"recheck \1 --agent ga --budget 200"),
    (r"budget=200\b", "budget=6"),
    (r"total_timesteps=256", "total_timesteps=64"),
    (r"n_steps=64, batch_size=32", "n_steps=32, batch_size=16"),
    (r"analyze runs/sweeps/archgym_grids --out runs/sweeps/archgym_grids/analysis",
     "analyze runs/sweeps/smoke --out runs/sweeps/grids-analysis"),
]


def scaled(text: str) -> str:
    for pattern, replacement in SCALE:
        text = re.sub(pattern, replacement, text)
    return text


def _commands(text: str) -> list[list[str]]:
    """Shell lines of a block (continuations joined, comments dropped), split into words."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [shlex.split(line, comments=True) for line in joined.splitlines() if shlex.split(line, comments=True)]


def _archgym(words: list[str], cwd: Path) -> subprocess.CompletedProcess:
    r = subprocess.run([ARCHGYM, *words[1:]], cwd=cwd, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f"README command {' '.join(words)} (in {cwd}) failed:\n{r.stdout}\n{r.stderr}"
    return r


def _run_commands(text: str, work: Path) -> None:
    cwd = work
    for k, words in enumerate(_commands(scaled(text))):
        if words[0] == "cd":
            cwd = cwd / words[1]
            continue
        assert words[0] == "archgym", f"README command {words} is not an archgym command"
        if words[1] == "run" and "--help" not in words:  # as written, with a small budget and its own --out
            words[words.index("--budget") + 1] = "12"
            out = f"runs/readme-run{k}"
            words = words[:words.index("--out") + 1] + [out] + words[words.index("--out") + 2:] if "--out" in words \
                else words + ["--out", out]
            words += ["--no-progress"]
        _archgym(words, cwd)


def _run_python(text: str, work: Path) -> None:
    r = subprocess.run([sys.executable, "-c", scaled(text)], cwd=work, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f"README block {first_line(text)!r} failed:\n{r.stderr[-4000:]}"


def _check_install(text: str, work: Path) -> None:
    """The main job of the first command, on its defaults, and the files the README says it writes."""
    main_job = text.split("&&")[-1].splitlines()[0].split()
    assert main_job == [".venv/bin/archgym", "run"], f"the first command's main job changed: {main_job}"
    _archgym(["archgym", "run", "--no-progress"], work)
    out = work / "runs" / "SystolicArray-v0-random-seed0"
    assert sorted((out / "evaluations").glob("part-*.parquet")), "the main job wrote no part file"
    assert (out / "run.json").is_file() and (out / "convergence.png").is_file()
    from archgym.records import load_records

    assert len(load_records(out)) == 1000, "the main job is 1,000 designs"


def _check_spec(text: str, work: Path) -> None:
    spec = work / "my-study.yaml"
    spec.write_text(text, encoding="utf-8")
    r = _archgym(["archgym", "sweep", str(spec), "--dry-run"], work)
    assert "experiment" in r.stdout.lower(), r.stdout


def _check_dataset(text: str, work: Path) -> None:
    out = work / "runs" / "sweeps" / "smoke"
    for line in text.strip().splitlines():
        path = line.split()[0].removeprefix("OUT/")
        if "<run_id>" in path:
            head, tail = path.split("<run_id>")
            runs = sorted((out / head).iterdir())
            assert runs, f"no run folder under {out / head}"
            matches = [r / tail.strip("/") for r in runs]
        else:
            matches = [out / path]
        assert all(m.exists() for m in matches), f"README lists {line.split()[0]}, the smoke sweep has no {matches}"


def _check_layout(text: str, work: Path) -> None:
    named = set()
    stack: list[tuple[int, str]] = []
    for line in text.splitlines():
        word = line.split()[0] if line.strip() else ""
        indent = len(line) - len(line.lstrip())
        if not word.endswith("/"):
            if indent == 0 and word.endswith(".py,"):  # "runner.py, collect.py, ..." under archgym/
                continue
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = "".join(p for _, p in stack) + word
        stack.append((indent, word))
        named.add(path)
    missing = [p for p in sorted(named) if not (ROOT / p).is_dir()]
    assert named and not missing, f"README's layout names folders the repository does not have: {missing}"


def _check_bench(text: str, work: Path) -> None:
    for words in _commands(text):
        script = ROOT / words[1]
        assert script.is_file(), f"README names {words[1]}, which does not exist"
        r = subprocess.run([sys.executable, str(script), "--help"], cwd=ROOT, capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, f"{words[1]} --help failed:\n{r.stderr}"
        flags = [w for w in words[2:] if w.startswith("--")]
        assert all(f in r.stdout for f in flags), f"{words[1]} has no option {flags}: {r.stdout}"


CHECK = {"commands": _run_commands, "python": _run_python, "install": _check_install, "spec": _check_spec,
         "dataset": _check_dataset, "layout": _check_layout, "bench": _check_bench}


def test_every_block_has_a_kind():
    firsts = [first_line(text) for _, text in blocks()]
    unknown = [f for f in firsts if f not in KIND]
    assert not unknown, f"README blocks tests/test_readme.py does not run (add them to KIND): {unknown}"
    stale = [f for f in KIND if f not in firsts]
    assert not stale, f"tests/test_readme.py lists blocks the README no longer has: {stale}"


def test_scale_edits_only_budgets():
    """Every SCALE edit applies to some block (no stale edit hides a changed command)."""
    text = "\n".join(t for _, t in blocks())
    unused = [p for p, _ in SCALE if not re.search(p, text)]
    assert not unused, f"SCALE edits that match no README block: {unused}"


def test_readme_top_to_bottom(tmp_path):
    """Every block, in README order, in one folder: what a newcomer reading top to bottom runs."""
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    order = [(first_line(t), t) for _, t in blocks()]
    # the dataset listing and load_dataset read the smoke sweep, which comes first in the README
    for first, text in order:
        CHECK[KIND[first]](text, tmp_path)


def test_layout_check_catches_a_missing_folder(tmp_path):
    """The layout check can fail: a listing naming a folder that does not exist is caught."""
    with pytest.raises(AssertionError, match="nosuchfolder"):
        _check_layout("archgym/\n  nosuchfolder/      nothing\n", tmp_path)


def test_dataset_check_catches_a_missing_file(tmp_path):
    (tmp_path / "runs" / "sweeps" / "smoke").mkdir(parents=True)
    with pytest.raises(AssertionError, match="sweep.json"):
        _check_dataset("OUT/sweep.json      the sweep\n", tmp_path)


def test_spec_is_yaml():
    text = next(t for _, t in blocks() if KIND.get(first_line(t)) == "spec")
    assert yaml.safe_load(text)["name"] == "my-study"
