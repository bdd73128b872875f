"""Every registered agent: built by name with typed hyper-parameters, proposes valid designs,
accepts any batch size, is deterministic under its seed, runs from the CLI, refuses bad values."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from archgym.agents import AGENTS, agent_class, make_agent
from archgym.cli import build_app
from archgym.core.spaces import Categorical, DesignSpace, Integer, Ordinal, PowerOfTwo, Real
from archgym.runner import make_env, run

ENV = "archgym/Synthetic-v0"
NAMES = sorted(AGENTS)

#: one hyper-parameter per agent, set from the command line (key, CLI string, typed value)
CLI_PARAM = {
    "random": ("batch_size", "16", 16),
    "ga": ("mutation_prob", "0.2", 0.2),
    "bo": ("acquisition", "ucb", "ucb"),
    "aco": ("greediness", "0.3", 0.3),
    "ppo": ("clip_eps", "0.1", 0.1),
    "marl": ("n_agents", "3", 3),
    "nsga2": ("population_size", "16", 16),
    "surrogate": ("acquisition", "lcb", "lcb"),
}


def test_every_agent_is_registered_with_the_issue_names():
    assert set(NAMES) == {"random", "ga", "bo", "aco", "ppo", "marl", "nsga2", "surrogate"}


@pytest.mark.parametrize("name", NAMES)
def test_hyperparameters_are_keyword_defaults(name):
    defaults = agent_class(name).hyperparameter_defaults()
    agent = make_agent(name, make_env(ENV).design_space, seed=0)
    assert agent.hyperparameters() == defaults
    assert agent.name == name


def test_archgym_study_grid_names():
    """The names of the hyper-parameters ArchGym's study swept."""
    hp = {n: agent_class(n).hyperparameter_defaults() for n in NAMES}
    assert {"ant_count", "evaporation", "greediness", "depth"} <= set(hp["aco"])
    assert {"population_size", "generations", "mutation_prob", "crossover_prob", "selection", "elitism"} <= set(hp["ga"])
    assert {"n_initial", "acquisition", "xi", "kappa", "batch_size"} <= set(hp["bo"])
    assert {"learning_rate", "ent_coef", "clip_eps", "batch_size", "epochs"} <= set(hp["ppo"])
    assert {"n_agents", "groups", "learning_rate"} <= set(hp["marl"])


MIXED = DesignSpace([Integer("i", 0, 4), PowerOfTwo("p", 1, 64), Categorical("c", ("x", "y", "z")),
                     Ordinal("o", (1, 2, 3, 6, 12)), Real("r", 0.5, 8.0, log=True)])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n", [1, 3, 7])
def test_ask_gives_valid_designs_for_any_batch(name, n):
    agent = make_agent(name, MIXED, seed=1)
    rng = np.random.default_rng(0)
    for _ in range(6):
        designs = agent.ask(n)
        assert len(designs) == n
        for d in designs:
            assert MIXED.validate(d) == d
        agent.tell(designs, list(rng.normal(size=n)),
                   [{"feasible": True, "objectives": {"a": float(rng.normal()), "b": float(rng.normal())}}] * n)
    assert agent.n_told == 6 * n
    assert agent.best_design is not None and np.isfinite(agent.best_reward)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_run_other_seed_other_run(name):
    budget = 60 if name in ("bo", "surrogate") else 120  # BO and the surrogate agent: 10 random designs, then 50 model-based ones

    def rows(seed):
        df = run(ENV, name, budget, seed=seed, progress=False, plot=False, env_kwargs={"instance": 5}).rows
        return df[[c for c in df.columns if c.startswith("design.")] + ["reward"]]

    a, b, c = rows(3), rows(3), rows(4)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


@pytest.mark.parametrize("name", sorted(set(NAMES) - {"random"}))
def test_no_design_is_proposed_twice(name):
    """The simulators are deterministic: a search agent does not spend budget on a design twice."""
    budget = 150 if name in ("bo", "surrogate") else 400
    df = run(ENV, name, budget, seed=0, progress=False, plot=False, env_kwargs={"instance": 2}).rows
    designs = df[[c for c in df.columns if c.startswith("design.")]]
    assert not designs.duplicated().any(), f"{name} re-proposed {int(designs.duplicated().sum())} designs"


@pytest.fixture(scope="module")
def app():
    return build_app()


@pytest.mark.parametrize("name", NAMES)
def test_cli_runs_every_agent_with_a_param(app, tmp_path, name):
    key, text, typed = CLI_PARAM[name]
    out = tmp_path / name
    res = CliRunner().invoke(app, ["run", ENV, "--agent", name, "--budget", "40", "--seed", "2", "--out", str(out),
                                   "--param", f"{key}={text}", "--no-progress", "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    assert summary["agent"] == name and summary["budget"] == 40
    card = json.loads((out / "run.json").read_text())
    assert card["agent_params"][key] == typed
    df = pd.concat(pd.read_parquet(p) for p in sorted((out / "evaluations").glob("part-*.parquet")))
    assert len(df) == 40 and "reward" in df.columns


@pytest.mark.parametrize(
    "name, params, message",
    [
        ("ga", {"mutation_prob": "1.5"}, "mutation_prob must be in [0, 1], got 1.5"),
        ("ga", {"selection": "lottery"}, "selection 'lottery' is not known; allowed: ['tournament', 'rank', 'roulette']"),
        ("ga", {"elitism": "40"}, "elitism must be in [0, population_size), got 40"),
        ("bo", {"acquisition": "pi"}, "acquisition 'pi' is not known; allowed: ['ei', 'ucb']"),
        ("bo", {"n_initial": "0"}, "n_initial must be >= 1, got 0"),
        ("bo", {"y_transform": "sqrt"}, "y_transform 'sqrt' is not known"),
        ("aco", {"evaporation": "2"}, "evaporation must be in [0, 1], got 2.0"),
        ("aco", {"ant_count": "0"}, "ant_count must be >= 1, got 0"),
        ("ppo", {"gamma": "1.5"}, "gamma must be in [0, 1], got 1.5"),
        ("ppo", {"learning_rate": "0"}, "learning_rate must be > 0, got 0.0"),
        ("ppo", {"epochs": "x"}, "hyper-parameter epochs='x' is not a valid int"),
        ("marl", {"groups": "x0,x1;nope"}, "groups: unknown parameter(s) ['nope']"),
        ("marl", {"groups": "x0,x1"}, "groups must cover every parameter exactly once"),
        ("marl", {"n_agents": "99"}, "n_agents must be in 0..10"),
        ("nsga2", {"population_size": "2"}, "population_size must be >= 4, got 2"),
    ],
)
def test_bad_hyperparameters_are_named(name, params, message):
    with pytest.raises(ValueError) as e:
        make_agent(name, make_env(ENV).design_space, seed=0, **params)
    assert message in str(e.value)


def test_cli_bad_hyperparameter_exits_2(app, tmp_path):
    res = CliRunner().invoke(app, ["run", ENV, "--agent", "aco", "--budget", "5", "--out", str(tmp_path / "x"),
                                   "--param", "evaporation=7", "--no-progress"])
    assert res.exit_code == 2
    assert "evaporation must be in [0, 1], got 7.0" in res.output
