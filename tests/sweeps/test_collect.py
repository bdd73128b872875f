"""``collect``: random and Latin-hypercube samples evaluated in chunks, written in the run row format."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from archgym.cli import build_app
from archgym.collect import collect, sample_columns
from archgym.records import RecordsError, load_records
from archgym.runner import make_env, run
from archgym.sweeps.dataset import load_dataset

ENV = "archgym/Synthetic-v0"


def test_lhs_balances_every_parameter_exactly():
    space = make_env(ENV).design_space  # cardinalities 16, 11 and 4
    n = 64
    cols = sample_columns(space, n, "lhs", np.random.default_rng(0))
    for p in space:
        counts = np.bincount(cols[p.name], minlength=p.n)
        # n strata over p.n values: each value drawn floor(n / p.n) or ceil(n / p.n) times, no more, no less
        assert counts.min() >= n // p.n and counts.max() <= -(-n // p.n), (p.name, counts)
    rnd = sample_columns(space, n, "random", np.random.default_rng(0))
    assert any(np.bincount(rnd[p.name], minlength=p.n).max() > -(-n // p.n) for p in space), "random is not stratified"


def test_collect_rows_match_the_run_format_and_the_environment(tmp_path):
    res = collect(ENV, 1000, "lhs", seed=2, out=tmp_path / "c", chunk=300, progress=False)
    assert res.n == 1000 and res.designs_per_second > 0
    df = load_records(tmp_path / "c")
    assert len(sorted((tmp_path / "c" / "evaluations").glob("part-*.parquet"))) == 4
    assert df["step"].tolist() == list(range(1000)) and (df["agent"] == "sampler:lhs").all()
    ref = run(ENV, "random", 5, 0, progress=False).rows
    assert list(df.columns) == list(ref.columns)
    assert df.dtypes.astype(str).tolist() == ref.dtypes.astype(str).tolist()
    env = make_env(ENV)
    for _, row in df.sample(20, random_state=0).iterrows():
        design = {k[7:]: (v.item() if hasattr(v, "item") else v) for k, v in row.items() if k.startswith("design.")}
        ev = env.evaluate(design)
        assert env.reward_of(ev) == row["reward"] and ev.metrics["cost"] == row["metric.cost"]
    card = json.loads((tmp_path / "c" / "dataset.json").read_text())
    assert card["kind"] == "collect" and card["counts"]["rows"] == 1000 and card["collect"]["sampler"] == "lhs"
    typed = load_dataset(tmp_path / "c")
    assert isinstance(typed["design.mode"].dtype, pd.CategoricalDtype)


def test_same_seed_same_sample_whatever_the_chunk(tmp_path):
    a = collect(ENV, 500, "random", seed=7, out=tmp_path / "a", chunk=500, progress=False)
    b = collect(ENV, 500, "random", seed=7, out=tmp_path / "b", chunk=64, progress=False)
    c = collect(ENV, 500, "random", seed=8, out=tmp_path / "c", chunk=64, progress=False)
    cols = ["step", "design.x0", "design.p0", "design.mode", "reward"]
    da, db, dc = (load_records(r.out)[cols] for r in (a, b, c))
    pd.testing.assert_frame_equal(da, db)
    assert not da.equals(dc)


def test_collect_cli_and_its_errors(tmp_path):
    runner = CliRunner()
    app = build_app()
    r = runner.invoke(app, ["collect", ENV, "--n", "200", "--sampler", "lhs", "--seed", "1", "--out", str(tmp_path / "o"),
                            "--no-progress", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["n"] == 200
    again = runner.invoke(app, ["collect", ENV, "--n", "200", "--out", str(tmp_path / "o"), "--no-progress"])
    assert again.exit_code == 2 and "already holds a dataset" in again.output
    bad = runner.invoke(app, ["collect", ENV, "--n", "10", "--sampler", "sobol", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "--sampler 'sobol' is not known; allowed: random, lhs" in bad.output
    bad_env = runner.invoke(app, ["collect", "archgym/Nope-v0", "--n", "10"])
    assert bad_env.exit_code == 2 and "not registered" in bad_env.output
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        collect(ENV, 0, out=tmp_path / "z")
    with pytest.raises(RecordsError, match="already holds a dataset"):
        collect(ENV, 5, out=tmp_path / "o")


def test_lhs_puts_one_real_draw_in_each_stratum():
    from archgym.core.spaces import DesignSpace, Real

    cols = sample_columns(DesignSpace([Real("a", 0.0, 1.0), Real("b", 1.0, 10.0, log=True)]), 50, "lhs",
                          np.random.default_rng(3))
    for name in ("a", "b"):
        assert sorted((cols[name] * 50).astype(int).tolist()) == list(range(50))
