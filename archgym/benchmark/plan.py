"""A benchmark plan: environments x agents x seeds, each environment read at several budgets.

A plan is a sweep file (see :mod:`archgym.sweeps.spec`) with ``budgets`` instead of ``budget``, at the
top or per environment. Each environment entry becomes one sweep at its largest budget; the smaller
budgets are read off the same runs (no agent is told its budget, so the first 50 evaluations of a
1,000-evaluation run are exactly a 50-evaluation run: anytime performance, as convergence curves show)::

    name: leaderboard
    seeds: 10                        # a count (0..9) or a list
    budgets: [50, 200]               # default for every environment
    agents: [random, ga, {name: bo, params: {batch_size: 4}}]
    envs:
      - id: archgym/SystolicArray-v0
        workloads: [resnet18]
        budgets: [50, 200, 1000]
      - {id: archgym/DRAM-v1, label: dram-v1-power, kwargs: {objective: power}}

Named plans (:data:`PLANS`) ship with archgym: ``leaderboard`` (the shipped leaderboard),
``marl-study`` (the MARL paper's comparison on DRAM-v1), ``best-known`` (best-known designs of the
other environments, for ``--save-best-known``) and ``smoke`` (a minute, for tests).
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archgym.files.yaml_lines import YamlError, load_with_lines, path_text
from archgym.sweeps.spec import SweepSpec, SweepSpecError, parse_sweep_spec

PLAN_KEYS = ("name", "description", "seeds", "budgets", "agents", "envs", "cpus_per_trial", "max_failures")
ENV_KEYS = ("id", "label", "workload", "workloads", "kwargs", "budgets")

#: every agent the leaderboard compares: archgym's own and the baselines (BO with kriging-believer
#: batches of 4, which keeps its 1,000-evaluation runs affordable; the others on their defaults).
#: Left out: sb3-dqn (one Discrete action per design: most spaces here have far more than its 100,000)
#: and optuna-gp (its GP refit per trial costs seconds at a few hundred trials)
LEADERBOARD_AGENTS = ["random", "ga", {"name": "bo", "params": {"batch_size": 4}}, "aco", "ppo", "marl", "nsga2", "sac",
                      "optuna-tpe", "optuna-cmaes", "optuna-nsga2", "sb3-ppo", "sb3-a2c"]

PLANS: dict[str, dict] = {
    "leaderboard": {
        "name": "leaderboard",
        "description": "every agent on every environment with a fast simulator, 10 seeds, at 50 and 200 evaluations",
        "seeds": 10,
        "budgets": [50, 200],
        "agents": LEADERBOARD_AGENTS,
        "envs": [
            {"id": "archgym/SystolicArray-v0", "workloads": ["resnet18"]},
            {"id": "archgym/Synthetic-v0"},
            {"id": "archgym/SoC-v1"},
            {"id": "archgym/DRAM-v1"},
            {"id": "archgym/DistributedTraining-v0"},
        ],
    },
    "marl-study": {
        "name": "marl-study",
        "description": "the MARL paper's study: multi-agent PPO against single-agent PPO and SAC on DRAM controller "
                       "design, low-power and low-latency objectives, three traces of different character",
        "seeds": 10,
        "budgets": [50, 200],
        "agents": ["random", "marl", "ppo", "sac"],
        "envs": [{"id": "archgym/DRAM-v1", "label": f"DRAM-v1-{objective}-{trace}", "workloads": [trace],
                  "kwargs": {"objective": objective}}
                 for objective in ("power", "latency") for trace in ("stream", "random", "conflict")],
    },
    "best-known": {
        "name": "best-known",
        "description": "best-known designs of the environments outside the leaderboard (slower simulators, or SoC-v0's "
                       "mostly infeasible space): four agents, three seeds, 200 evaluations",
        "seeds": 3,
        "budgets": [200],
        "agents": ["random", "ga", {"name": "bo", "params": {"batch_size": 4}}, "aco"],
        "envs": [{"id": "archgym/DRAM-v0"}, {"id": "archgym/SoC-v0"}, {"id": "archgym/Mapping-v0"},
                 {"id": "archgym/Dataflow-v0"}],
    },
    "smoke": {
        "name": "smoke",
        "description": "two agents, two seeds, two small environments: under a minute",
        "seeds": 2,
        "budgets": [10, 30],
        "agents": ["random", "ga"],
        "envs": [{"id": "archgym/Synthetic-v0"}, {"id": "archgym/SystolicArray-v0", "workloads": ["resnet18"]}],
    },
}


class BenchmarkPlanError(ValueError):
    """A plan that cannot be used; the message names the file (and line), the field, the value and what is allowed."""


@dataclass
class PlanEntry:
    """One environment entry of a plan: its sweep (at the largest budget) and the budgets read off it."""

    label: str
    budgets: list[int]
    sweep: SweepSpec


@dataclass
class BenchmarkPlan:
    name: str
    description: str
    entries: list[PlanEntry]
    source: str

    @property
    def n_experiments(self) -> int:
        return sum(len(e.sweep.experiments()) for e in self.entries)

    @property
    def n_evaluations(self) -> int:
        return sum(x.budget for e in self.entries for x in e.sweep.experiments())


def load_plan(plan: str | os.PathLike | dict, *, seeds: int | None = None, agents: list[str] | None = None,
              envs: list[str] | None = None) -> BenchmarkPlan:
    """A plan from a name of :data:`PLANS`, a YAML file or a dict; ``seeds``/``agents``/``envs`` narrow it."""
    lines: dict = {}
    if isinstance(plan, dict):
        raw, source = copy.deepcopy(plan), "<dict>"
    elif str(plan) in PLANS:
        raw, source = copy.deepcopy(PLANS[str(plan)]), f"plan {plan!r}"
    else:
        path = Path(plan)
        if not path.is_file():
            raise BenchmarkPlanError(f"plan {str(plan)!r} is neither a file nor a named plan; allowed: a YAML file or "
                                     f"one of {sorted(PLANS)}")
        try:
            raw, lines = load_with_lines(path.read_text(encoding="utf-8"), str(path))
        except YamlError as e:
            raise BenchmarkPlanError(str(e)) from None
        source = str(path)
    where = _where(source, lines)
    if not isinstance(raw, dict):
        raise BenchmarkPlanError(f"{source}: a plan is a mapping with keys {list(PLAN_KEYS)}, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(PLAN_KEYS))
    if unknown:
        raise BenchmarkPlanError(f"{where((unknown[0],))}: unknown key {unknown[0]!r}; allowed: {list(PLAN_KEYS)}"
                                 + (" (a plan gives 'budgets', a list)" if unknown[0] == "budget" else ""))
    name = raw.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise BenchmarkPlanError(f"{where(('name',))}: name {name!r} must be a word (letters, digits, '_', '.', '-')")
    if seeds is not None:
        raw["seeds"] = seeds
    if agents is not None:
        raw["agents"] = [a for a in raw.get("agents", []) if (a if isinstance(a, str) else a.get("name")) in agents] + \
            [a for a in agents if a not in [(x if isinstance(x, str) else x.get("name")) for x in raw.get("agents", [])]]
        if "random" not in agents:
            raw["agents"].insert(0, "random")  # the baseline that normalised scores need
    env_items = raw.get("envs")
    if not isinstance(env_items, list) or not env_items:
        raise BenchmarkPlanError(f"{where(('envs',))}: envs must be a non-empty list of {{id: ..., budgets: [...]}}")
    if envs is not None:
        env_items = [e for e in env_items if isinstance(e, dict) and (e.get("id") in envs or e.get("label") in envs)]
        if not env_items:
            raise BenchmarkPlanError(f"--env {envs} selects no environment of the plan; it has "
                                     f"{[e.get('label') or e.get('id') for e in raw['envs'] if isinstance(e, dict)]}")
    agent_names = [a if isinstance(a, str) else a.get("name") if isinstance(a, dict) else a for a in raw.get("agents", [])]
    if "random" not in agent_names:
        raise BenchmarkPlanError(f"{where(('agents',))}: the agents must include 'random' (normalised scores are measured "
                                 f"from random search's median), got {agent_names}")
    default_budgets = _budgets(raw.get("budgets"), where(("budgets",)))
    entries = []
    for i, item in enumerate(env_items):
        w = where(("envs", i))
        if not isinstance(item, dict) or "id" not in item:
            raise BenchmarkPlanError(f"{w}: an environment entry is a mapping {{id: ..., budgets: [...]}}, got {item!r}")
        bad = sorted(set(item) - set(ENV_KEYS))
        if bad:
            raise BenchmarkPlanError(f"{w}: unknown key {bad[0]!r}; allowed: {list(ENV_KEYS)}")
        budgets = _budgets(item["budgets"], where(("envs", i, "budgets"))) if "budgets" in item else default_budgets
        env = {k: v for k, v in item.items() if k != "budgets"}
        label = str(item.get("label") or item["id"].split("/")[-1])
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", label):
            raise BenchmarkPlanError(f"{w}: label {label!r} must be a word (it names the sweep's folder)")
        sweep = {"name": f"{name}-{label}", "description": raw.get("description", ""), "budget": max(budgets),
                 "seeds": raw.get("seeds", 10), "envs": [env], "agents": raw.get("agents", []),
                 "cpus_per_trial": raw.get("cpus_per_trial", 1), "max_failures": raw.get("max_failures", 2)}
        try:
            spec = parse_sweep_spec(sweep, source=f"{source} (envs[{i}])")
            spec.check()
        except SweepSpecError as e:
            raise BenchmarkPlanError(str(e)) from None
        entries.append(PlanEntry(label, budgets, spec))
    labels = [e.label for e in entries]
    if len(set(labels)) != len(labels):
        raise BenchmarkPlanError(f"{where(('envs',))}: two entries share the label {labels}; give each a distinct label")
    return BenchmarkPlan(name, str(raw.get("description", "")), entries, source)


def _budgets(value: Any, where: str) -> list[int]:
    if value is None:
        return [50, 200]
    if not isinstance(value, list) or not value or not all(isinstance(b, int) and not isinstance(b, bool) and b >= 1
                                                           for b in value):
        raise BenchmarkPlanError(f"{where}: budgets {value!r} must be a non-empty list of integers >= 1")
    return sorted(set(value))


def _where(source: str, lines: dict):
    def where(path: tuple) -> str:
        p = tuple(path)
        while p and p not in lines:
            p = p[:-1]
        line = lines.get(p)
        return f"{source}:{line}: {path_text(tuple(path))}" if line else f"{source}: {path_text(tuple(path))}"
    return where


__all__ = ["BenchmarkPlan", "BenchmarkPlanError", "PlanEntry", "PLANS", "load_plan"]
