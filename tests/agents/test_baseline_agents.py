"""The baselines everyone knows (issue 17): Optuna's samplers, Stable-Baselines3's PPO/A2C/DQN and
archgym's discrete SAC, behind the ask/tell interface. Each runs through ``archgym.runner.run``, is
repeatable under its seed, refuses bad settings with a clear message, and (``-m slow``) matches or
beats random search on the median of several seeds. A baseline whose extra is absent is skipped."""

import json
import re
import statistics
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from archgym.agents import AGENTS, ALL_AGENTS, BASELINES, make_agent
from archgym.cli import build_app
from archgym.core.env import ArchGymEnv, Metric
from archgym.core.spaces import Categorical, DesignSpace, Integer, Ordinal, PowerOfTwo, Real
from archgym.runner import make_env, run

ENV = "archgym/Synthetic-v0"

#: the extra (module to import) each baseline needs; None: nothing beyond the core install
NEEDS = {
    "optuna-tpe": ["optuna"], "optuna-cmaes": ["optuna", "cmaes"], "optuna-gp": ["optuna", "torch"],
    "optuna-nsga2": ["optuna"], "sb3-ppo": ["stable_baselines3", "torch"], "sb3-a2c": ["stable_baselines3", "torch"],
    "sb3-dqn": ["stable_baselines3", "torch"], "sac": [],
}
#: a small budget per baseline for the default run, past each one's random start (TPE, GP: 10 random
#: trials; SAC: 16 designs before the actor learns; DQN: 64 before learning starts; SB3 PPO/A2C: 8 per
#: step, an update every 64 / 32 designs)
BUDGET = {"optuna-tpe": 24, "optuna-gp": 12, "sac": 32, "sb3-dqn": 96, "sb3-ppo": 72, "sb3-a2c": 48}


def needs(name):
    for module in NEEDS[name]:
        pytest.importorskip(module, reason=f"{name} needs {module} (an optional extra)")


class Small(ArchGymEnv):
    """768 designs (DQN needs a space small enough for one action per design), optimum at (11, 4, 'b')."""

    env_id = "test/Small-v0"

    def __init__(self, **kwargs):
        space = DesignSpace([Integer("x", 0, 15), Integer("y", 0, 15), Categorical("m", ("a", "b", "c"))])
        super().__init__(space, [Metric("cost", "a.u.", "min")], workload="w", default_targets={"cost": 1.0}, **kwargs)

    @property
    def baseline_design(self):
        return {"x": 0, "y": 0, "m": "a"}

    def simulate(self, design):
        return {"cost": 1.0 + ((design["x"] - 11) / 15) ** 2 + 2 * ((design["y"] - 4) / 15) ** 2
                + 0.3 * (design["m"] != "b")}


def designs_and_rewards(result):
    df = result.rows
    return df[[c for c in df.columns if c.startswith("design.")] + ["reward"]].reset_index(drop=True)


def test_registry_keeps_archgyms_own_agents_apart():
    assert set(BASELINES) == set(NEEDS)
    assert not set(BASELINES) & set(AGENTS)
    assert ALL_AGENTS == {**AGENTS, **BASELINES}


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_runs_through_the_runner_and_repeats_under_its_seed(name):
    needs(name)
    env = Small() if name == "sb3-dqn" else ENV
    budget = BUDGET.get(name, 64)  # CMA-ES, NSGA-II: cheap

    def go(seed, n=budget):
        return designs_and_rewards(run(env if isinstance(env, str) else Small(), name, n, seed=seed,
                                       progress=False, plot=False))

    a, b = go(3), go(3)
    assert len(a) == budget
    pd.testing.assert_frame_equal(a, b)
    assert not a.head(10).equals(go(4, 10))  # another seed: its first designs are enough to differ


@pytest.mark.parametrize("name", sorted(NEEDS))
@pytest.mark.parametrize("n", [1, 3])
def test_ask_tell_by_hand_any_batch_valid_designs(name, n):
    needs(name)
    space = (Small().design_space if name == "sb3-dqn" else
             DesignSpace([Integer("i", 0, 4), PowerOfTwo("p", 1, 64), Categorical("c", ("x", "y", "z")),
                          Ordinal("o", (1, 2, 3, 6, 12)), Real("r", 0.5, 8.0, log=True)]))
    agent = make_agent(name, space, seed=1)
    assert agent.hyperparameters() == type(agent).hyperparameter_defaults()
    rng = np.random.default_rng(0)
    for _ in range(3):
        designs = agent.ask(n)
        assert len(designs) == n
        for d in designs:
            assert space.validate(d) == d
        agent.tell(designs, list(rng.normal(size=n)),
                   [{"feasible": True, "objectives": {"a": float(rng.normal()), "b": float(rng.normal())}}] * n)
    assert agent.n_told == 3 * n and np.isfinite(agent.best_reward)
    if hasattr(agent, "close"):
        agent.close()


def test_interleaved_sb3_agents_do_not_disturb_each_other():
    """Each SB3 worker keeps its own random state: two agents stepped in turn give what each gives alone."""
    needs("sb3-a2c")
    space = make_env(ENV).design_space

    def alone(seed, steps=6):
        agent, out = make_agent("sb3-a2c", space, seed=seed, batch_size=4, n_steps=2), []
        for _ in range(steps):
            d = agent.ask(4)
            agent.tell(d, [-float(sum(x.get("x0", 0) for x in d))] * 4)
            out.append(d)
        return out

    ref_a, ref_b = alone(0), alone(1)
    a = make_agent("sb3-a2c", space, seed=0, batch_size=4, n_steps=2)
    b = make_agent("sb3-a2c", space, seed=1, batch_size=4, n_steps=2)
    got_a, got_b = [], []
    for _ in range(6):
        for agent, got in ((a, got_a), (b, got_b)):
            d = agent.ask(4)
            agent.tell(d, [-float(sum(x.get("x0", 0) for x in d))] * 4)
            got.append(d)
    assert got_a == ref_a and got_b == ref_b


def test_sb3_worker_stops_on_close():
    needs("sb3-ppo")
    agent = make_agent("sb3-ppo", make_env(ENV).design_space, seed=0)
    agent.tell(agent.ask(2), [0.0, 1.0])
    assert agent.model is not None and agent._thread.is_alive()
    agent.close()
    agent._thread.join(timeout=10)
    assert not agent._thread.is_alive()


@pytest.mark.parametrize("name, module, extra", [("optuna-tpe", "optuna", "archgym[optuna]"),
                                                 ("optuna-cmaes", "cmaes", "archgym[optuna]"),
                                                 ("sb3-ppo", "stable_baselines3", "archgym[rl]")])
def test_a_missing_extra_is_named(monkeypatch, name, module, extra):
    if name == "optuna-cmaes":
        needs("optuna-tpe")  # cmaes absent is the case; optuna itself present
    monkeypatch.setitem(sys.modules, module, None)  # import of it fails, as when it is not installed
    with pytest.raises(ImportError, match=re.escape(extra)):
        make_agent(name, make_env(ENV).design_space, seed=0)


def test_dqn_refuses_a_large_space_naming_its_size():
    needs("sb3-dqn")
    with pytest.raises(ValueError, match=r"sb3-dqn needs one Discrete action per design, and this space has "
                                         r"1\.299e\+11 designs \(> max_designs=100000\)"):
        make_agent("sb3-dqn", make_env(ENV).design_space, seed=0)


def test_optuna_nsga2_optimises_the_objectives_and_keeps_a_pareto_front():
    """Two objectives (cost and distance, weighted reward): the study is multi-objective and its first
    generation joins it as NSGA-II's generation 0."""
    needs("optuna-nsga2")
    env = make_env(ENV, reward="weighted", weights={"cost": 1.0, "distance": 1.0})
    agent = make_agent("optuna-nsga2", env.design_space, seed=0, population_size=16)
    res = run(env, agent, 64, seed=0, progress=False, plot=False)
    assert len(res.rows) == 64
    assert agent.objective_names == ["cost", "distance"]
    assert len(agent.study.directions) == 2 and len(agent.study.trials) >= 64
    front = agent.pareto_front()
    assert front and all(env.design_space.validate(d) == d for d in front)


def test_optuna_agents_leave_optunas_log_level_alone():
    needs("optuna-tpe")
    import optuna

    before = optuna.logging.get_verbosity()
    agent = make_agent("optuna-tpe", make_env(ENV).design_space, seed=0)
    agent.tell(agent.ask(2), [0.0, 1.0])
    assert optuna.logging.get_verbosity() == before


@pytest.mark.parametrize(
    "name, params, message",
    [
        ("optuna-tpe", {"batch_size": "0"}, "batch_size must be >= 1, got 0"),
        ("optuna-cmaes", {"popsize": "-1"}, "popsize must be >= 0"),
        ("optuna-nsga2", {"crossover_prob": "2"}, "crossover_prob must be in [0, 1], got 2.0"),
        ("sb3-ppo", {"learning_rate": "0"}, "learning_rate must be > 0, got 0.0"),
        ("sb3-dqn", {"exploration_fraction": "1.5"}, "exploration_fraction must be in [0, 1], got 1.5"),
        ("sac", {"target_entropy_ratio": "2"}, "target_entropy_ratio must be in [0, 1], got 2.0"),
        ("sac", {"hidden": "x"}, "hyper-parameter hidden='x' is not a valid int"),
    ],
)
def test_bad_hyperparameters_are_named(name, params, message):
    needs(name)
    with pytest.raises(ValueError) as e:
        make_agent(name, make_env(ENV).design_space, seed=0, **params)
    assert message in str(e.value)


@pytest.mark.parametrize("name, key, text, typed", [("optuna-tpe", "n_startup_trials", "5", 5),
                                                    ("sb3-a2c", "n_steps", "2", 2), ("sac", "batch_size", "4", 4)])
def test_cli_runs_a_baseline(tmp_path, name, key, text, typed):
    needs(name)
    out = tmp_path / name
    res = CliRunner().invoke(build_app(), ["run", ENV, "--agent", name, "--budget", "24", "--seed", "2", "--out",
                                           str(out), "--param", f"{key}={text}", "--no-progress", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["agent"] == name
    assert json.loads((out / "run.json").read_text())["agent_params"][key] == typed


# -- against random search, on the median of seeds (slow) -------------------------------------------------
#: budget, seeds; the median best reward must be at least random search's at the same budget and seeds
VERSUS_RANDOM = {
    "optuna-tpe": (300, 5), "optuna-cmaes": (300, 5), "optuna-gp": (60, 3), "optuna-nsga2": (320, 5),
    "sb3-ppo": (400, 5), "sb3-a2c": (300, 5), "sb3-dqn": (200, 5), "sac": (300, 5),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(VERSUS_RANDOM))
def test_matches_or_beats_random_search_on_the_median_of_seeds(name):
    needs(name)
    budget, n_seeds = VERSUS_RANDOM[name]

    def median_best(agent):
        return statistics.median(run(Small() if name == "sb3-dqn" else ENV, agent, budget, seed=s,
                                     progress=False, plot=False).best_reward for s in range(n_seeds))

    ours, rand = median_best(name), median_best("random")
    print(f"{name}: median best reward {ours:.4f} vs random {rand:.4f} ({n_seeds} seeds, {budget} designs)")
    assert ours >= rand


def test_sb3_agents_leave_no_log_folders_behind(tmp_path, monkeypatch):
    """SB3's default logger makes a folder in the temp directory for every model; a sweep made hundreds."""
    pytest.importorskip("stable_baselines3")
    import tempfile

    from archgym.runner import run

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    run(Small(), "sb3-ppo", 40, seed=0, progress=False, plot=False)
    assert not list(tmp_path.glob("SB3-*")), "SB3 wrote a log folder into the temp directory"
