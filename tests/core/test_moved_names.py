"""Modules moved in 0.2.0 stay importable under their old names, as the very same module, with a warning."""

import importlib
import sys

import pytest

import archgym  # noqa: F401  (installs the old names)
from archgym.moved import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_name_is_the_new_module_with_a_deprecation_warning(old, monkeypatch):
    new = importlib.import_module(MOVED[old])
    monkeypatch.delitem(sys.modules, old, raising=False)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {MOVED[old]}"):
        assert importlib.import_module(old) is new


def test_unknown_names_still_fail():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("archgym.no_such_module")
