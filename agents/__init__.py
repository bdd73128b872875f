"""Search agents (installed as ``archgym.agents``): one ask/tell interface, one file per algorithm.

    random  random_search.py   uniform random walk (ArchGym's baseline)
    ga      ga.py              genetic algorithm on choice-index genes
    bo      bo.py              Bayesian optimisation, GP (gaussian_process.py), EI/UCB, batches
    aco     aco.py             ant colony system
    ppo     ppo.py             PPO, factored categorical policy, numpy
    marl    marl.py            one PPO learner per parameter group, shared reward
    nsga2   nsga2.py           NSGA-II, ``pareto_front()``
    surrogate surrogate_search.py tree-ensemble surrogate learnt as it goes, EI/LCB, trust region

Baselines everyone knows (``BASELINES``; the optional extras they need in brackets):

    optuna-tpe     optuna_samplers.py  Optuna's TPESampler through study.ask/tell        [optuna]
    optuna-cmaes   optuna_samplers.py  Optuna's CmaEsSampler (with margin)              [optuna]
    optuna-gp      optuna_samplers.py  Optuna's GPSampler                         [optuna, rl]
    optuna-nsga2   optuna_samplers.py  Optuna's NSGAIISampler on info["objectives"]      [optuna]
    sb3-ppo        sb3_agents.py       Stable-Baselines3 PPO, one-step episodes, ask/tell bridge [rl]
    sb3-a2c        sb3_agents.py       Stable-Baselines3 A2C, likewise                       [rl]
    sb3-dqn        sb3_agents.py       Stable-Baselines3 DQN on one Discrete index (small spaces) [rl]
    sac            sac.py              discrete soft actor-critic (Christodoulou 2019), numpy

Shared pieces: base.py (the interface), choices.py (designs as rows of choice indices),
generational.py (ask/tell bookkeeping by generation), genetic_operators.py, numpy_nn.py.

Use: ``archgym run ENV --agent NAME --param key=value``, or
``archgym.runner.run(env, make_agent(name, env.design_space, seed, **params), budget)``, or
ask/tell by hand. PPO and MARL also drive a gymnasium environment with multi-step episodes
themselves: ``make_agent("ppo", space, seed, learning_rate=3e-3).learn(env, total_steps)``.
A new agent is one file in this folder plus one line in ``AGENTS`` (name -> module:class).
``AGENTS`` holds archgym's own agents, which need nothing beyond the core install and are all held
to the interface tests; ``BASELINES`` holds the well-known baselines above, built and run the same
way (``make_agent``, ``archgym run --agent``); ``ALL_AGENTS`` is both.
"""

from __future__ import annotations

import importlib
from typing import Any

AGENTS: dict[str, str] = {
    "random": "archgym.agents.random_search:RandomSearch",
    "ga": "archgym.agents.ga:GeneticAlgorithm",
    "bo": "archgym.agents.bo:BayesianOptimization",
    "aco": "archgym.agents.aco:AntColony",
    "ppo": "archgym.agents.ppo:PPO",
    "marl": "archgym.agents.marl:MultiAgentPPO",
    "nsga2": "archgym.agents.nsga2:NSGA2",
    "surrogate": "archgym.agents.surrogate_search:SurrogateSearch",
}

#: baselines everyone knows, most behind optional extras (each raises an ImportError naming its extra)
BASELINES: dict[str, str] = {
    "optuna-tpe": "archgym.agents.optuna_samplers:OptunaTPE",
    "optuna-cmaes": "archgym.agents.optuna_samplers:OptunaCMAES",
    "optuna-gp": "archgym.agents.optuna_samplers:OptunaGP",
    "optuna-nsga2": "archgym.agents.optuna_samplers:OptunaNSGA2",
    "sb3-ppo": "archgym.agents.sb3_agents:SB3PPO",
    "sb3-a2c": "archgym.agents.sb3_agents:SB3A2C",
    "sb3-dqn": "archgym.agents.sb3_agents:SB3DQN",
    "sac": "archgym.agents.sac:DiscreteSAC",
}

ALL_AGENTS: dict[str, str] = {**AGENTS, **BASELINES}


def agent_class(name: str):
    """The class registered under ``name``."""
    if name not in ALL_AGENTS:
        raise ValueError(f"agent {name!r} is not known; allowed: {sorted(ALL_AGENTS)}")
    module, cls = ALL_AGENTS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def make_agent(name: str, space, seed: int | None = None, **params: Any):
    """Build agent ``name`` on ``space``; ``params`` are its hyper-parameters. String values (from a
    command line) are converted to the type of the parameter's default; unknown names are refused."""
    cls = agent_class(name)
    defaults = cls.hyperparameter_defaults()
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ValueError(f"agent {name!r} has no hyper-parameter(s) {unknown}; allowed: {sorted(defaults)}")
    typed = {k: coerce_param(name, k, v, defaults[k]) for k, v in params.items()}
    return cls(space, seed=seed, **typed)


def coerce_param(agent: str, key: str, value: Any, default: Any) -> Any:
    """Convert a command-line string to the type of the hyper-parameter's default."""
    if not isinstance(value, str) or isinstance(default, str) or default is None:
        return value
    try:
        if isinstance(default, bool):
            low = value.strip().lower()
            if low not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return low in ("true", "1", "yes")
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
    except ValueError:
        raise ValueError(
            f"agent {agent!r}: hyper-parameter {key}={value!r} is not a valid {type(default).__name__}"
        ) from None
    return value


def describe_agents() -> dict[str, dict[str, Any]]:
    """name -> hyper-parameter defaults, for help texts and docs (archgym's own agents, ``AGENTS``)."""
    return {n: agent_class(n).hyperparameter_defaults() for n in AGENTS}


__all__ = ["AGENTS", "BASELINES", "ALL_AGENTS", "agent_class", "make_agent", "describe_agents", "coerce_param"]
