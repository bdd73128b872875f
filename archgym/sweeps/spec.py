"""The sweep file: environments x workloads x agents x hyper-parameter grids (or samples) x seeds.

A sweep file (YAML, or the same structure as a dict) expands into a list of :class:`Experiment`
objects, one per Ray Tune trial. The expansion is deterministic (grids in file order, samples from a
seeded generator), so a sweep that is resumed finds the same experiments under the same run ids.
The format is documented in README.md (section "Sweeps under Ray Tune"); in short::

    name: smoke
    budget: 200              # simulator evaluations per experiment (default for every agent)
    seeds: [0, 1]            # or a count: 2 means [0, 1]
    envs:
      - id: archgym/SystolicArray-v0
        workloads: [resnet18]          # optional; the environment's default if omitted
        kwargs: {reward: target}       # optional keyword arguments of the environment
    agents:
      - name: random
      - name: ga
        params:                        # a list is a grid axis, a scalar is fixed,
          population_size: [8, 32]     # {uniform: [lo, hi]} (loguniform, randint, choice) is sampled
        vars: {generations: [8, 16]}   # grid axes that are not agent parameters...
        budget: population_size * generations   # ...usable in the budget
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
import operator
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from archgym.agents import ALL_AGENTS as AGENTS
from archgym.agents import agent_class, make_agent
from archgym.envs import ENVIRONMENTS
from archgym.files.yaml_lines import YamlError, load_with_lines, path_text
from archgym.runner import make_env

TOP_KEYS = ("name", "description", "budget", "seeds", "envs", "agents", "report_every", "max_failures",
            "rows_per_part", "cpus_per_trial", "sample_seed")
ENV_KEYS = ("id", "label", "workload", "workloads", "kwargs")
AGENT_KEYS = ("name", "label", "params", "vars", "budget", "seeds", "num_samples")
DISTRIBUTIONS = ("uniform", "loguniform", "randint", "choice")
DEFAULTS = {"budget": 1000, "seeds": [0], "report_every": "auto", "max_failures": 2, "rows_per_part": 1000,
            "cpus_per_trial": 1, "sample_seed": 0}


class SweepSpecError(ValueError):
    """A sweep file that cannot be used; the message names file, line, field, value and what is allowed."""


@dataclass(frozen=True)
class Experiment:
    """One experiment = one Ray Tune trial: one agent setting on one environment/workload with one seed."""

    env_id: str
    env_label: str
    workload: str | None
    env_kwargs: dict
    agent: str
    label: str
    params: dict
    vars: dict
    budget: int
    seed: int

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Experiment:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})

    @property
    def run_id(self) -> str:
        """Deterministic id of the experiment (every field, seed included): names its output folder."""
        return _digest(self.to_dict())

    @property
    def setting_id(self) -> str:
        """Id shared by the seeds of one setting (everything but the seed)."""
        return _digest({k: v for k, v in self.to_dict().items() if k != "seed"})

    @property
    def setting(self) -> str:
        """Readable description of the hyper-parameter setting (parameters, variables, budget)."""
        items = {**self.params, **self.vars, "budget": self.budget}
        return ", ".join(f"{k}={v}" for k, v in items.items())

    def make_env_kwargs(self) -> dict:
        kw = dict(self.env_kwargs)
        if self.workload is not None:
            kw["workload"] = self.workload
        return kw


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass
class EnvEntry:
    id: str
    label: str
    workloads: list
    kwargs: dict
    path: tuple


@dataclass
class AgentEntry:
    name: str
    label: str
    params: dict
    vars: dict
    budget: Any
    seeds: list
    num_samples: int
    path: tuple


@dataclass
class SweepSpec:
    """A parsed, validated sweep file."""

    name: str
    envs: list[EnvEntry]
    agents: list[AgentEntry]
    budget: Any = 1000
    seeds: list = field(default_factory=lambda: [0])
    report_every: Any = "auto"
    max_failures: int = 2
    rows_per_part: int = 1000
    cpus_per_trial: float = 1
    sample_seed: int = 0
    description: str = ""
    source: str = "<dict>"
    lines: dict = field(default_factory=dict, repr=False)
    raw: dict = field(default_factory=dict, repr=False)

    # -- expansion --------------------------------------------------------------------------
    def experiments(self) -> list[Experiment]:
        """Every experiment of the sweep, in a deterministic order."""
        out = []
        for env in self.envs:
            for workload in env.workloads:
                for ai, agent in enumerate(self.agents):
                    for params, vars_, budget in self._settings(agent, ai):
                        for seed in agent.seeds:
                            out.append(Experiment(env.id, env.label, workload, dict(env.kwargs), agent.name,
                                                  agent.label, params, vars_, budget, int(seed)))
        ids = [e.run_id for e in out]
        if len(set(ids)) != len(ids):
            dup = next(e for e in out if ids.count(e.run_id) > 1)
            raise SweepSpecError(f"{self.source}: experiment listed twice ({dup.label} on {dup.env_id}, "
                                 f"{dup.setting}, seed {dup.seed}); remove the repeated grid values or seeds")
        return out

    def _settings(self, agent: AgentEntry, index: int) -> list[tuple[dict, dict, int]]:
        rng = np.random.default_rng([self.sample_seed, index])
        grids = {("params", k): v for k, v in agent.params.items() if isinstance(v, list)}
        grids.update({("vars", k): v for k, v in agent.vars.items() if isinstance(v, list)})
        budget_spec = agent.budget
        if isinstance(budget_spec, list):
            grids[("budget", "budget")] = budget_spec
        sampled = any(_is_distribution(v) for v in list(agent.params.values()) + list(agent.vars.values()))
        draws = agent.num_samples if sampled else 1
        settings, drawn = [], set()
        for combo in itertools.product(*grids.values()):
            chosen = dict(zip(grids, combo))
            for _ in range(draws):
                groups: dict[str, dict] = {"params": {}, "vars": {}}
                for group in ("params", "vars"):
                    for k, v in getattr(agent, group).items():
                        if (group, k) in chosen:
                            groups[group][k] = chosen[(group, k)]
                        elif _is_distribution(v):
                            groups[group][k] = _sample(v, rng)
                        else:
                            groups[group][k] = v["value"] if isinstance(v, dict) else v
                budget = chosen.get(("budget", "budget"), budget_spec)
                if isinstance(budget, str):
                    budget = _eval_budget(budget, {**groups["params"], **groups["vars"]}, self._where(agent.path + ("budget",)))
                setting = (groups["params"], groups["vars"], _check_budget(budget, self._where(agent.path + ("budget",))))
                key = json.dumps(setting, sort_keys=True, default=str)
                if sampled and key in drawn:
                    continue  # a repeated random draw is one experiment, not two with the same id
                drawn.add(key)
                settings.append(setting)
        return settings

    def fingerprint(self) -> str:
        """Hash of the expanded experiment list: a resumed sweep must have the same one."""
        return _digest([e.run_id for e in self.experiments()])

    # -- validation against the registries --------------------------------------------------
    def check(self) -> None:
        """Build each environment and each distinct agent setting once, so that a bad workload,
        keyword or hyper-parameter fails here with the file position, not inside every trial."""
        exps = self.experiments()
        spaces = {}
        for env in self.envs:
            for w in env.workloads:
                kw = dict(env.kwargs, **({"workload": w} if w is not None else {}))
                try:
                    spaces[(env.id, env.label, w)] = make_env(env.id, **kw).design_space
                except Exception as e:  # environment constructors raise ValueError/TypeError/KeyError...
                    raise SweepSpecError(f"{self._where(env.path)}: environment {env.id} with {kw} cannot be built: {e}") from None
        seen = set()
        entries = {a.label: a for a in self.agents}
        for e in exps:
            key = (e.env_id, e.env_label, e.workload, e.agent, json.dumps(e.params, sort_keys=True, default=str))
            if key in seen:
                continue
            seen.add(key)
            try:
                build_agent(e.agent, spaces[(e.env_id, e.env_label, e.workload)], e.seed, e.params)
            except Exception as ex:
                raise SweepSpecError(f"{self._where(entries[e.label].path + ('params',))}: agent {e.agent!r} with "
                                     f"{e.params} cannot be built on {e.env_id}: {ex}") from None

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "source": self.source, "spec": self.raw,
                "n_experiments": len(self.experiments()), "fingerprint": self.fingerprint()}

    def _where(self, path: tuple) -> str:
        return _where(self.source, self.lines, path)


def build_agent(name: str, space, seed: int, params: Mapping[str, Any]):
    """An agent from a registered name (``ga``) or an import path (``package.module:Class``)."""
    if ":" in name:
        return import_agent_class(name)(space, seed=seed, **dict(params))
    return make_agent(name, space, seed=seed, **dict(params))


def import_agent_class(path: str):
    import importlib

    module, _, cls = path.partition(":")
    try:
        return getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError) as e:
        raise SweepSpecError(f"agent {path!r} cannot be imported ({e}); expected 'package.module:Class' on the Python path") from None


# -- parsing ---------------------------------------------------------------------------------
def load_sweep_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file."""
    p = Path(path)
    if not p.is_file():
        raise SweepSpecError(f"sweep file {str(p)!r} does not exist")
    try:
        data, lines = load_with_lines(p.read_text(), str(p))
    except YamlError as e:
        raise SweepSpecError(str(e)) from None
    return parse_sweep_spec(data, source=str(p), lines=lines)


def parse_sweep_spec(data: Any, source: str = "<dict>", lines: Mapping[tuple, int] | None = None) -> SweepSpec:
    """Validate the structure of a sweep (a dict as read from YAML) and return a :class:`SweepSpec`."""
    lines = dict(lines or {})
    w = lambda path: _where(source, lines, path)  # noqa: E731
    if not isinstance(data, dict):
        raise SweepSpecError(f"{w(())}: a sweep file is a mapping with keys {list(TOP_KEYS)}, got {type(data).__name__}")
    _no_unknown(data, TOP_KEYS, (), w)
    for k in ("envs", "agents"):
        if k not in data:
            raise SweepSpecError(f"{w(())}: missing required key {k!r}")
    name = data.get("name", Path(source).stem if source != "<dict>" else "sweep")
    if not isinstance(name, str) or not name or any(c in name for c in "/\\ "):
        raise SweepSpecError(f"{w(('name',))}: name {name!r} must be a non-empty word (no spaces or slashes)")
    budget = data.get("budget", DEFAULTS["budget"])
    _check_budget_spec(budget, ("budget",), w)
    seeds = _seeds(data.get("seeds", DEFAULTS["seeds"]), ("seeds",), w)
    report_every = data.get("report_every", "auto")
    if report_every != "auto" and not (isinstance(report_every, int) and not isinstance(report_every, bool) and report_every >= 1):
        raise SweepSpecError(f"{w(('report_every',))}: report_every {report_every!r} must be 'auto' or an integer >= 1")
    ints = {}
    for k, lo in (("max_failures", 0), ("rows_per_part", 1), ("sample_seed", 0)):
        v = data.get(k, DEFAULTS[k])
        if not isinstance(v, int) or isinstance(v, bool) or v < lo:
            raise SweepSpecError(f"{w((k,))}: {k} {v!r} must be an integer >= {lo}")
        ints[k] = v
    cpus = data.get("cpus_per_trial", 1)
    if not isinstance(cpus, (int, float)) or isinstance(cpus, bool) or cpus <= 0:
        raise SweepSpecError(f"{w(('cpus_per_trial',))}: cpus_per_trial {cpus!r} must be a number > 0")
    envs = _envs(data["envs"], w)
    agents = _agents(data["agents"], budget, seeds, w)
    spec = SweepSpec(name=name, envs=envs, agents=agents, budget=budget, seeds=seeds, report_every=report_every,
                     cpus_per_trial=cpus, description=str(data.get("description", "")), source=source, lines=lines,
                     raw=data, **ints)
    spec.experiments()  # expands grids and budgets now, so that their errors surface at load time
    return spec


def _envs(items: Any, w) -> list[EnvEntry]:
    out = []
    for path, item in _entries(items, "envs", "id", ENV_KEYS, "{id: ..., workloads: [...], kwargs: {...}}", w):
        env_id = item.get("id")
        if env_id not in ENVIRONMENTS:
            raise SweepSpecError(f"{w(path + ('id',))}: environment {env_id!r} is not registered; allowed: {sorted(ENVIRONMENTS)}")
        if "workload" in item and "workloads" in item:
            raise SweepSpecError(f"{w(path)}: give either workload or workloads, not both")
        workloads = item.get("workloads", [item["workload"]] if "workload" in item else [None])
        if not isinstance(workloads, list) or not workloads or not all(isinstance(x, str) or x is None for x in workloads):
            raise SweepSpecError(f"{w(path + ('workloads',))}: workloads must be a non-empty list of names, got {workloads!r}")
        kwargs = item.get("kwargs", {})
        if not isinstance(kwargs, dict):
            raise SweepSpecError(f"{w(path + ('kwargs',))}: kwargs must be a mapping of keyword arguments, got {kwargs!r}")
        if "workload" in kwargs:
            raise SweepSpecError(f"{w(path + ('kwargs', 'workload'))}: give the workload as workloads: [...], not in kwargs")
        out.append(EnvEntry(env_id, str(item.get("label", env_id)), workloads, kwargs, path))
    labels = [(e.label, tuple(e.workloads)) for e in out]
    if len(set(labels)) != len(labels):
        raise SweepSpecError(f"{w(('envs',))}: the same environment is listed twice; give each entry a distinct label")
    return out


def _agents(items: Any, budget: Any, seeds: list, w) -> list[AgentEntry]:
    out = []
    for path, item in _entries(items, "agents", "name", AGENT_KEYS, "{name: ..., params: {...}}", w):
        name = item.get("name")
        if not isinstance(name, str) or (name not in AGENTS and ":" not in name):
            raise SweepSpecError(f"{w(path + ('name',))}: agent {name!r} is not known; allowed: {sorted(AGENTS)} "
                                 "or an import path 'package.module:Class'")
        groups = {}
        for group in ("params", "vars"):
            g = item.get(group, {})
            if not isinstance(g, dict):
                raise SweepSpecError(f"{w(path + (group,))}: {group} must be a mapping of name to value, list (grid) "
                                     f"or distribution ({', '.join(DISTRIBUTIONS)}), got {g!r}")
            for k, v in g.items():
                _check_value(v, path + (group, k), w)
            groups[group] = g
        clash = sorted(set(groups["params"]) & set(groups["vars"]))
        if clash:
            raise SweepSpecError(f"{w(path + ('vars',))}: {clash} are both params and vars; a var is a grid axis that is not a parameter")
        if name in AGENTS:
            allowed = agent_class(name).hyperparameter_defaults()
            unknown = sorted(set(groups["params"]) - set(allowed))
            if unknown:
                raise SweepSpecError(f"{w(path + ('params', unknown[0]))}: agent {name!r} has no hyper-parameter(s) "
                                     f"{unknown}; allowed: {sorted(allowed)}")
        b = item.get("budget", budget)
        _check_budget_spec(b, path + ("budget",), w)
        agent_seeds = _seeds(item.get("seeds", seeds), path + ("seeds",), w)
        n = item.get("num_samples", 1)
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise SweepSpecError(f"{w(path + ('num_samples',))}: num_samples {n!r} must be an integer >= 1")
        out.append(AgentEntry(name, str(item.get("label", name)), groups["params"], groups["vars"], b, agent_seeds, n, path))
    labels = [a.label for a in out]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise SweepSpecError(f"{w(('agents',))}: agent label(s) {dup} used twice; give each entry a distinct label")
    return out


def _entries(items: Any, section: str, shorthand: str, keys: tuple, example: str, w):
    """``(path, mapping)`` of each entry of a list section; a bare string stands for ``{shorthand: it}``."""
    if not isinstance(items, list) or not items:
        raise SweepSpecError(f"{w((section,))}: {section} must be a non-empty list of {example}")
    for i, item in enumerate(items):
        path = (section, i)
        if isinstance(item, str):
            item = {shorthand: item}
        if not isinstance(item, dict):
            raise SweepSpecError(f"{w(path)}: an entry of {section} is a mapping with keys {list(keys)} "
                                 f"(or a {shorthand}), got {item!r}")
        _no_unknown(item, keys, path, w)
        yield path, item


def _check_value(v: Any, path: tuple, w) -> None:
    if isinstance(v, list) and not v:
        raise SweepSpecError(f"{w(path)}: an empty list is an empty grid axis; give at least one value")
    if isinstance(v, dict):
        keys = list(v)
        if len(keys) != 1 or keys[0] not in DISTRIBUTIONS + ("value",):
            raise SweepSpecError(f"{w(path)}: {v!r} is not a distribution; allowed: "
                                 "{uniform: [lo, hi]}, {loguniform: [lo, hi]}, {randint: [lo, hi]}, {choice: [...]}, {value: literal}")
        kind, arg = keys[0], v[keys[0]]
        if kind in ("uniform", "loguniform", "randint"):
            ok = (isinstance(arg, list) and len(arg) == 2
                  and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in arg) and arg[0] < arg[1])
            if ok and kind == "loguniform":
                ok = arg[0] > 0
            if ok and kind == "randint":
                ok = all(isinstance(x, int) for x in arg)
            if not ok:
                raise SweepSpecError(f"{w(path)}: {kind} needs [low, high] with low < high"
                                     + (" and low > 0" if kind == "loguniform" else "")
                                     + (" (integers)" if kind == "randint" else "") + f", got {arg!r}")
        if kind == "choice" and (not isinstance(arg, list) or not arg):
            raise SweepSpecError(f"{w(path)}: choice needs a non-empty list, got {arg!r}")


def _is_distribution(v: Any) -> bool:
    return isinstance(v, dict) and len(v) == 1 and next(iter(v)) in DISTRIBUTIONS


def _sample(v: dict, rng: np.random.Generator) -> Any:
    kind, arg = next(iter(v.items()))
    if kind == "uniform":
        return float(rng.uniform(arg[0], arg[1]))
    if kind == "loguniform":
        return float(np.exp(rng.uniform(np.log(arg[0]), np.log(arg[1]))))
    if kind == "randint":
        return int(rng.integers(arg[0], arg[1] + 1))
    x = arg[int(rng.integers(len(arg)))]
    return x.item() if hasattr(x, "item") else x


def _seeds(v: Any, path: tuple, w) -> list[int]:
    if isinstance(v, int) and not isinstance(v, bool):
        if v < 1:
            raise SweepSpecError(f"{w(path)}: seeds {v!r}: a count must be >= 1 (or give a list of seeds)")
        return list(range(v))
    if isinstance(v, list) and v and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in v):
        if len(set(v)) != len(v):
            raise SweepSpecError(f"{w(path)}: seeds {v!r} repeat a seed")
        return list(v)
    raise SweepSpecError(f"{w(path)}: seeds must be a count (integer >= 1) or a list of integers >= 0, got {v!r}")


def _check_budget_spec(b: Any, path: tuple, w) -> None:
    if isinstance(b, bool):
        pass
    elif isinstance(b, int) and b >= 1:
        return
    elif isinstance(b, list) and b and all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in b):
        return
    elif isinstance(b, str) and b.strip():
        try:
            ast.parse(b, mode="eval")
            return
        except SyntaxError:
            pass
    raise SweepSpecError(f"{w(path)}: budget {b!r} must be an integer >= 1 (simulator evaluations), a list of them "
                         "(a grid axis), or an expression of params and vars such as 'population_size * generations'")


def _check_budget(b: Any, where: str) -> int:
    if isinstance(b, float) and b.is_integer():
        b = int(b)
    if not isinstance(b, int) or isinstance(b, bool) or b < 1:
        raise SweepSpecError(f"{where}: budget evaluates to {b!r}; it must be an integer >= 1")
    return b


_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv,
        ast.Div: operator.truediv, ast.Pow: operator.pow, ast.Mod: operator.mod}


def _eval_budget(expr: str, names: Mapping[str, Any], where: str) -> Any:
    """Evaluate an arithmetic budget expression over ``names`` (no calls, no attributes)."""

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in names:
                raise SweepSpecError(f"{where}: budget {expr!r} uses {node.id!r}, which is neither a param nor a var; "
                                     f"available: {sorted(names)}")
            v = names[node.id]
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                raise SweepSpecError(f"{where}: budget {expr!r}: {node.id}={v!r} is not a number")
            return v
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        raise SweepSpecError(f"{where}: budget {expr!r}: only numbers, names and + - * / // % ** are allowed")

    return ev(ast.parse(expr, mode="eval"))


def _no_unknown(d: dict, allowed: tuple, path: tuple, w) -> None:
    for k in d:
        if k not in allowed:
            raise SweepSpecError(f"{w(path + (k,))}: unknown key {k!r} in {path_text(path)}; allowed: {list(allowed)}")


def _where(source: str, lines: Mapping[tuple, int], path: tuple) -> str:
    p = tuple(path)
    while p and p not in lines:
        p = p[:-1]
    line = lines.get(p)
    loc = f"{source}:{line}" if line else source
    return f"{loc}: {path_text(tuple(path))}"
