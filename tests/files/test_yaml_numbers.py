"""YAML files are read with YAML 1.2's numbers: ``2.0e6`` is a float, as the README's sweep file writes it.

PyYAML (YAML 1.1) reads ``2.0e6`` and ``1e-3`` as text, so ``targets: {cycles: 2.0e6}`` used to fail
(or, for a field that takes text, pass silently as a string).
"""

from __future__ import annotations

import math

import pytest

from archgym.files.yaml_lines import load_with_lines
from archgym.simulators.yaml12 import safe_load
from archgym.sweeps.spec import load_sweep_spec


@pytest.mark.parametrize("text, value", [
    ("2.0e6", 2.0e6), ("1e-3", 1e-3), ("1E6", 1e6), ("-1.5e+3", -1500.0), (".5", 0.5), ("3.", 3.0),
    ("12", 12), ("1_000", 1000), ("0x1f", 31), (".inf", math.inf),
    ("1e", "1e"), ("abc", "abc"), ("true", True), ("'2.0e6'", "2.0e6"),
])
def test_numbers_read_as_yaml_1_2(text, value):
    got = safe_load(f"x: {text}")["x"]
    assert got == value and type(got) is type(value), f"{text!r} read as {got!r}, expected {value!r}"
    data, _ = load_with_lines(f"x: {text}\n")
    assert data["x"] == value and type(data["x"]) is type(value)


def test_pyyaml_itself_is_unchanged():
    import yaml

    assert yaml.safe_load("x: 2.0e6") == {"x": "2.0e6"}  # our loader is a subclass; the global one is untouched


def test_sweep_file_target_in_exponent_notation(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("name: t\nbudget: 4\nseeds: 1\nenvs:\n  - id: archgym/SystolicArray-v0\n"
                 "    kwargs: {reward: hinge, targets: {cycles: 2.0e6}}\nagents: [random]\n")
    spec = load_sweep_spec(p)
    assert spec.envs[0].kwargs["targets"]["cycles"] == 2.0e6
