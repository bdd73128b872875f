"""DESIGN.md's three layers: simulators import neither the gym layer nor agents; agents import no
simulator or environment (only archgym.spaces from the gym layer)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _files("simulators"), ids=lambda p: str(p.relative_to(ROOT)))
def test_simulators_import_no_gym_and_no_agents(path):
    for name in _imports(path):
        top = name.split(".")[0]
        assert top not in ("gymnasium", "gym", "ray", "agents"), f"{path.name} imports {name}"
        if top == "archgym":
            assert name.startswith("archgym.simulators"), f"{path.name} imports {name} (outside the simulators layer)"


@pytest.mark.parametrize("path", _files("agents"), ids=lambda p: str(p.relative_to(ROOT)))
def test_agents_import_only_the_space_vocabulary(path):
    for name in _imports(path):
        top = name.split(".")[0]
        assert top not in ("simulators", "gymnasium", "gym"), f"{path.name} imports {name}"
        if top == "archgym":
            assert name == "archgym.spaces" or name.startswith("archgym.agents"), f"{path.name} imports {name}"
