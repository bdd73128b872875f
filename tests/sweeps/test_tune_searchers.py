"""One design per Tune trial: an archgym agent as a Tune searcher, and Tune's Optuna and HyperOpt
searchers driving an environment (optional extras: skipped when not installed)."""

import json

import pandas as pd
import pytest

from archgym.core.spaces import Categorical, DesignSpace, PowerOfTwo, Real
from archgym.records import load_records
from archgym.runner import make_env, run

pytest.importorskip("ray")
from archgym.sweeps.searcher import AgentSearcher, tune_design, tune_param_space  # noqa: E402

ENV = "archgym/Synthetic-v0"


def test_param_space_covers_every_parameter_kind():
    from ray.tune.search.sample import Categorical as TuneChoice
    from ray.tune.search.sample import Float

    space = DesignSpace([Categorical("df", ("os", "ws")), PowerOfTwo("rows", 4, 64), Real("bw", 1.0, 100.0, log=True)])
    ps = tune_param_space(space)
    assert isinstance(ps["df"], TuneChoice) and ps["df"].categories == ["os", "ws"]
    assert ps["rows"].categories == [4, 8, 16, 32, 64]
    assert isinstance(ps["bw"], Float) and ps["bw"].lower == 1.0 and ps["bw"].upper == 100.0


def test_agent_searcher_tells_whole_batches():
    env = make_env(ENV)
    from archgym.agents import make_agent

    agent = make_agent("random", env.design_space, seed=0, batch_size=3)
    s = AgentSearcher(agent)
    a, b, c = (s.suggest(t) for t in ("t0", "t1", "t2"))
    assert s.suggest("t3") is None, "waits for the batch before asking again"
    s.on_trial_complete("t1", {"reward": -1.0})
    s.on_trial_complete("t0", {"reward": -2.0})
    assert agent.n_told == 0
    s.on_trial_complete("t2", error=True)
    assert agent.n_told == 3 and agent.best_reward == -1.0 and agent.best_design == b
    assert s.suggest("t3") is not None


def test_agent_as_searcher_reproduces_the_run_loop(ray_local, tmp_path):
    res = tune_design(ENV, "random", budget=12, seed=3, agent_params={"batch_size": 4}, out=tmp_path / "t")
    direct = run(ENV, "random", 12, 3, agent_params={"batch_size": 4}, progress=False).rows
    rows = load_records(tmp_path / "t").sort_values("step", ignore_index=True)
    cols = ["step", "reward", "design.x0", "design.p0", "design.mode", "metric.cost", "target_met"]
    pd.testing.assert_frame_equal(rows[cols], direct[cols])
    assert (rows["agent"] == "tune:random").all() and res.best_reward == direct["reward"].max()
    card = json.loads((tmp_path / "t" / "run.json").read_text())
    assert card["n_rows"] == 12 and card["n_failed_trials"] == 0


@pytest.mark.parametrize("searcher", ["optuna", "hyperopt"])
def test_tune_searchers_drive_an_environment(ray_local, searcher):
    pytest.importorskip(searcher)
    res = tune_design(ENV, searcher, budget=15, seed=1)
    df = res.rows
    assert len(df) == 15 and df["step"].tolist() == list(range(15)) and (df["agent"] == f"tune:{searcher}").all()
    env = make_env(ENV)
    # every logged reward is the environment's own evaluation of the logged design
    for _, row in df.iterrows():
        design = {k[len("design."):]: (v.item() if hasattr(v, "item") else v) for k, v in row.items() if k.startswith("design.")}
        assert env.reward_of(env.evaluate(design)) == pytest.approx(row["reward"], rel=0, abs=0)
    assert res.best_reward == df["reward"].max()
    assert df[[c for c in df.columns if c.startswith("design.")]].drop_duplicates().shape[0] > 1
