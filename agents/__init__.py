"""Search agents (installed as ``archgym.agents``): one ask/tell interface, one file per algorithm.

    random  random_search.py   uniform random walk (ArchGym's baseline)
    ga      ga.py              genetic algorithm on choice-index genes
    bo      bo.py              Bayesian optimisation, GP (gaussian_process.py), EI/UCB, batches
    aco     aco.py             ant colony system
    ppo     ppo.py             PPO, factored categorical policy, numpy
    marl    marl.py            one PPO learner per parameter group, shared reward
    nsga2   nsga2.py           NSGA-II, ``pareto_front()``

Shared pieces: base.py (the interface), choices.py (designs as rows of choice indices),
generational.py (ask/tell bookkeeping by generation), genetic_operators.py, numpy_nn.py.

Use: ``archgym run ENV --agent NAME --param key=value``, or
``archgym.runner.run(env, make_agent(name, env.design_space, seed, **params), budget)``, or
ask/tell by hand. PPO and MARL also drive a gymnasium environment with multi-step episodes
themselves: ``make_agent("ppo", space, seed, learning_rate=3e-3).learn(env, total_steps)``.
A new agent is one file in this folder plus one line in ``AGENTS`` (name -> module:class).
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
}


def agent_class(name: str):
    """The class registered under ``name``."""
    if name not in AGENTS:
        raise ValueError(f"agent {name!r} is not known; allowed: {sorted(AGENTS)}")
    module, cls = AGENTS[name].split(":")
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
    """name -> hyper-parameter defaults, for help texts and docs."""
    return {n: agent_class(n).hyperparameter_defaults() for n in AGENTS}


__all__ = ["AGENTS", "agent_class", "make_agent", "describe_agents", "coerce_param"]
