"""DESIGN.md's layers, checked on the source: imports point down the layers only, never in a circle,
never dodged by moving them into functions; importing a simulator or an agent stays light; every
sub-package is installed.

Layers, bottom up: ``simulators`` and ``files`` (and the data package) < ``core`` < ``agents`` (which
know only ``core.spaces`` and ``core.rewards``) < ``envs`` < the package itself (``archgym``,
``archgym.registration``) < the applications (runner, collect, records, plots, trajectory, sweeps,
surrogates) < ``cli``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"archgym": "archgym", "simulators": "archgym.simulators", "agents": "archgym.agents",
           "datasets": "archgym.datasets"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = [FOLDERS[rel.parts[0]], *rel.parts[1:]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for folder in FOLDERS for p in sorted((ROOT / folder).rglob("*.py"))}


def layer(module: str) -> float:
    """Rank of a module in DESIGN.md's picture (a module imports only ranks at or below its own)."""
    if module.startswith(("archgym.simulators", "archgym.files", "archgym.datasets")):
        return 0
    if module.startswith("archgym.core"):
        return 1
    if module.startswith("archgym.agents"):
        return 1.5
    if module.startswith("archgym.envs"):
        return 2
    if module in ("archgym", "archgym.registration", "archgym.moved"):
        return 3
    if module.startswith("archgym.cli"):
        return 5
    return 4  # the applications


def _imports(module: str) -> tuple[set[str], set[str]]:
    """(archgym modules imported at module level, archgym modules imported inside functions)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    in_functions = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                    for n in ast.walk(f)}
    top, deferred = set(), set()
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            subs = [f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in MODULES]
            targets = subs if len(subs) == len(node.names) else [source, *subs]
        found = {t for t in targets if t in MODULES and t != module}
        (deferred if id(node) in in_functions else top).update(found)
    return top, deferred


GRAPH = {m: _imports(m) for m in MODULES}


def test_there_are_modules_to_check():
    assert len(MODULES) > 100 and "archgym.core.env" in MODULES and "archgym.simulators.systolic.model" in MODULES


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layers(module):
    top, deferred = GRAPH[module]
    up = sorted(t for t in top | deferred if layer(t) > layer(module))
    assert not up, f"{module} (layer {layer(module)}) imports higher layers: {[(t, layer(t)) for t in up]}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_is_moved_into_a_function(module):
    """Only the CLI defers imports: each command loads its implementation when it runs, so that
    ``archgym --help`` starts without pandas, Ray or numba (a choice of start-up time, not a dodged circle)."""
    _, deferred = GRAPH[module]
    if module.startswith("archgym.cli."):
        return
    assert not deferred, f"{module} imports {sorted(deferred)} inside functions"


def test_no_import_circles():
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(GRAPH[m][0]):
            if state.get(t) == 1:
                raise AssertionError(f"import circle: {' -> '.join(stack[stack.index(t):] + [t])}")
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(MODULES):
        if m not in state:
            visit(m)


@pytest.mark.parametrize("path", sorted((ROOT / "simulators").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_simulators_import_no_gym_ray_or_agents(path):
    for node in ast.walk(ast.parse(path.read_text())):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
        for name in names:
            assert name.split(".")[0] not in ("gymnasium", "gym", "ray", "torch", "xgboost", "agents"), \
                f"{path.name} imports {name}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("archgym.agents")))
def test_agents_know_only_spaces_and_rewards(module):
    top, deferred = GRAPH[module]
    outside = sorted(t for t in top | deferred
                     if not t.startswith("archgym.agents") and t not in ("archgym.core.spaces", "archgym.core.rewards"))
    assert not outside, f"{module} imports {outside}"


HEAVY = ("gymnasium", "ray", "torch", "xgboost", "sklearn", "pandas", "matplotlib")


@pytest.mark.parametrize("module", ["archgym", "archgym.simulators.systolic", "archgym.simulators.dram.simulation",
                                    "archgym.simulators.soc.model", "archgym.agents.ga", "archgym.agents.bo"])
def test_importing_a_simulator_or_an_agent_stays_light(module):
    code = f"import sys, {module}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"import {module} loads {out}"


@pytest.mark.parametrize("order", ["import archgym; import gymnasium as gym",
                                   "import gymnasium as gym; import archgym",
                                   "import archgym.simulators.systolic; import gymnasium as gym; import archgym"])
def test_environments_register_in_either_import_order(order):
    code = f"{order}; from archgym.envs import ENVIRONMENTS; print(all(i in gym.registry for i in ENVIRONMENTS))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "True"


def test_every_sub_package_is_installed():
    """pyproject lists the packages by hand (the folders are renamed into the archgym namespace)."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {_module_name(p) for folder in FOLDERS for p in (ROOT / folder).rglob("__init__.py")}
    assert sorted(on_disk - listed) == [], "add these to [tool.setuptools] packages in pyproject.toml"
    # a folder of modules without __init__.py is a namespace package, which a non-editable install leaves out
    bare = sorted(str(d.relative_to(ROOT)) for folder in FOLDERS for d in {p.parent for p in (ROOT / folder).rglob("*.py")}
                  if not (d / "__init__.py").exists() and "__pycache__" not in d.parts)
    assert bare == [], f"folders of modules without __init__.py: {bare}"
