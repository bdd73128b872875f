"""Issue 19 item 5: the README's compatibility table is what walking the tools' shipped files gives
today (regenerate it with ``python benchmarks/compatibility.py --save``)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _walker():
    spec = importlib.util.spec_from_file_location("compatibility", ROOT / "benchmarks" / "compatibility.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_readme_table_is_what_the_walk_gives():
    c = _walker()
    rows = c.walk()
    assert c.readme_block((ROOT / "README.md").read_text()) == c.table(rows), \
        "README.md's compatibility table is stale: run python benchmarks/compatibility.py --save"
    by_kind = {r["kind"]: r for r in rows}
    assert by_kind["memspec"]["read"] == 50 and by_kind["memspec"]["files"] == 60
    assert all(r["files"] > 0 for r in rows), "every walked folder holds files"


def test_reasons_drop_what_differs_between_files():
    c = _walker()
    assert c.reason("/x/a.cfg, line 3, field 'Dataflow': value 'rs' is not allowed; allowed: os, ws, is") == \
        "Dataflow: a value is not allowed"
