"""mkdocs hook: replaces ``<!-- archgym:KIND ARG -->`` lines with tables generated from the code.

Design spaces, metrics, default targets, environment arguments, agent hyper-parameters and the
reference-data inventory are read from the installed package and the repository at build time, so the
site cannot drift from the code. An unknown directive or a failing lookup raises, which fails the build.
"""

from __future__ import annotations

import csv
import importlib
import inspect
import json
import re
import tempfile
from pathlib import Path

from mkdocs.plugins import event_priority

DIRECTIVE = re.compile(r"<!--\s*archgym:(?P<kind>[a-z-]+)(?:\s+(?P<arg>\S+))?\s*-->")
_ROOT: Path | None = None
_ENVS: dict = {}


#: the repository's folders that install under another name (pyproject.toml's package-dir)
MAPPED = {"agents": "agents", "simulators": "simulators", "datasets": "datasets"}
_STAGE: tempfile.TemporaryDirectory | None = None


@event_priority(100)  # before mkdocstrings reads its handler options
def on_config(config, **kwargs):
    """Remember the repository root, and point mkdocstrings at a staged ``archgym`` tree.

    The folders ``agents/``, ``simulators/`` and ``datasets/`` install as ``archgym.agents`` etc.
    (package-dir mapping), which griffe's static loader cannot see: a temporary tree of symlinks
    lays them out as they are imported, and becomes the python handler's search path."""
    global _ROOT, _STAGE
    _ROOT = Path(config.config_file_path).resolve().parent
    _STAGE = tempfile.TemporaryDirectory(prefix="archgym-docs-")
    pkg = Path(_STAGE.name) / "archgym"
    pkg.mkdir()
    for entry in (_ROOT / "archgym").iterdir():
        if entry.name != "__pycache__":
            (pkg / entry.name).symlink_to(entry)
    for name, folder in MAPPED.items():
        if (pkg / name).exists():
            raise RuntimeError(f"archgym/{name} exists and would hide the mapped folder {folder}/")
        (pkg / name).symlink_to(_ROOT / folder)
    handlers = config.plugins["mkdocstrings"].config.handlers
    handlers.setdefault("python", {})["paths"] = [_STAGE.name]
    return config


def on_post_build(config, **kwargs):
    """Remove the staged tree."""
    global _STAGE
    if _STAGE is not None:
        _STAGE.cleanup()
        _STAGE = None


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    """Expand every directive of the page; raise (failing the build) on one that cannot be expanded."""
    def expand(m: re.Match) -> str:
        kind, arg = m.group("kind"), m.group("arg")
        fn = RENDERERS.get(kind)
        if fn is None:
            raise ValueError(f"{page.file.src_path}: unknown archgym directive {kind!r}; allowed: {sorted(RENDERERS)}")
        return fn(arg) if arg is not None else fn()
    out = DIRECTIVE.sub(expand, markdown)
    if "archgym:" in out and re.search(r"<!--\s*archgym:", out):
        raise ValueError(f"{page.file.src_path}: a malformed archgym directive was left unexpanded")
    return out


# -- helpers ---------------------------------------------------------------------------------------
def _cell(v) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def _code(v) -> str:
    return f"`{v!r}`" if isinstance(v, str) else f"`{v}`"


def _entry(env_id: str):
    from archgym.envs import ENVIRONMENTS

    if env_id not in ENVIRONMENTS:
        raise ValueError(f"environment {env_id!r} is not registered; registered: {sorted(ENVIRONMENTS)}")
    module, cls = ENVIRONMENTS[env_id].split(":")
    return importlib.import_module(module), getattr(importlib.import_module(module), cls)


def _env(env_id: str):
    """A default instance (construction simulates nothing), cached for the build."""
    if env_id not in _ENVS:
        _ENVS[env_id] = _entry(env_id)[1]()
    return _ENVS[env_id]


def _values(p) -> str:
    vals = getattr(p, "values", None)
    if vals is None:  # Real
        return p.allowed()
    vals = list(vals)
    shown = ", ".join(str(v) for v in vals) if len(vals) <= 12 else ", ".join(str(v) for v in vals[:6]) + f", ... , {vals[-1]}"
    return f"{shown} ({len(vals)} values)"


# -- directives ------------------------------------------------------------------------------------
def env_overview() -> str:
    """Every registered id with its class, simulator version and design-space size."""
    from archgym.envs import ENVIRONMENTS

    rows = []
    for env_id in ENVIRONMENTS:
        env = _env(env_id)
        page = env_id.split("/")[1].split("-")[0].lower()
        rows.append([f"[`{env_id}`]({page}.md)", f"`{type(env).__name__}`", len(env.design_space),
                     f"{env.design_space.size:.3g}", ", ".join(f"`{m}`" for m in env.observation_metrics),
                     f"`{env.simulator_version}`"])
    return _table(["id", "class", "parameters", "designs", "observation", "simulator version"], rows)


def space(env_id: str) -> str:
    """The design space: parameter, kind, allowed values and the baseline design's value."""
    env = _env(env_id)
    try:
        base = env.baseline_design
    except NotImplementedError:
        base = {}
    rows = [[f"`{p.name}`", type(p).__name__, _values(p), _cell(base.get(p.name, "")) if base else ""]
            for p in env.design_space]
    size = env.design_space.size
    head = f"{len(env.design_space)} parameters, {size:.4g} designs (defaults of `gym.make`).\n\n"
    return head + _table(["parameter", "kind", "values", "baseline"], rows)


def metrics(env_id: str) -> str:
    """Every metric: unit, better direction, whether observed, and its default target."""
    env = _env(env_id)
    dt = env._default_targets
    if hasattr(dt, "factors"):
        targets = {m: f"{f:g} x baseline" for m, f in dt.factors.items()}
        targets.update({m: f"{v:g}" for m, v in dt.fixed.items()})
    else:
        targets = {m: f"{v:g}" for m, v in dt.items()}
    rows = []
    for m in env.metrics.values():
        obs = f"yes ({env.observation_metrics.index(m.name)})" if m.name in env.observation_metrics else ""
        rows.append([f"`{m.name}`", m.unit, "lower" if m.sense == "min" else "higher", obs, targets.get(m.name, ""),
                     m.description])
    return _table(["metric", "unit", "better", "observed (index)", "default target", "meaning"], rows)


def env_args(env_id: str) -> str:
    """The environment's own keyword arguments (its ``__init__``) and their defaults."""
    _, cls = _entry(env_id)
    rows = [[f"`{n}`", _code(p.default)] for n, p in inspect.signature(cls.__init__).parameters.items()
            if n != "self" and p.kind is not inspect.Parameter.VAR_KEYWORD]
    note = ("\nEvery other keyword argument is one of [`ArchGymEnv`](../api/core.md)'s "
            "(`reward`, `targets`, `weights`, `observe`, `episode_length`, `flat_action`, `backend`, ...).\n")
    return _table(["argument", "default"], rows) + note


def workloads(env_id: str) -> str:
    """The shipped workload names of the environment."""
    module, _ = _entry(env_id)
    names = getattr(module, "WORKLOADS", None)
    if names is None and env_id == "archgym/DRAM-v0":
        from archgym import datasets

        names = list(json.loads(datasets.path("dram", "workloads.json").read_text())["workloads"])
    if names is None:
        raise ValueError(f"{env_id}: no WORKLOADS in {module.__name__}")
    default = inspect.signature(_entry(env_id)[1].__init__).parameters["workload"].default
    return ", ".join(f"`{n}`" + (" (default)" if n == default else "") for n in names) + "."


def agent_overview() -> str:
    """Every registered agent: name, class and the first line of its docstring."""
    from archgym.agents import AGENTS, agent_class

    rows = []
    for name in AGENTS:
        cls = agent_class(name)
        rows.append([f"[`{name}`]({name}.md)", f"`{cls.__name__}`", (inspect.getdoc(cls) or "").split("\n")[0]])
    return _table(["name", "class", "what"], rows)


def hyperparams(name: str) -> str:
    """An agent's hyper-parameters: keyword arguments of ``__init__``, defaults and annotations."""
    from archgym.agents import AGENTS, agent_class

    if name not in AGENTS:
        raise ValueError(f"agent {name!r} is not registered; registered: {sorted(AGENTS)}")
    cls = agent_class(name)
    sig = inspect.signature(cls.__init__)
    defaults = cls.hyperparameter_defaults()
    meaning = _param_lines(inspect.getdoc(cls) or "")
    rows = []
    for n, d in defaults.items():
        ann = sig.parameters[n].annotation
        ann = "" if ann is inspect.Parameter.empty else (ann if isinstance(ann, str) else getattr(ann, "__name__", str(ann)))
        rows.append([f"`{n}`", _code(d), f"`{ann}`" if ann else "", meaning.get(n, "")])
    return _table(["hyper-parameter", "default", "type", "meaning (from the docstring)"], rows)


_PARAM_LINE = re.compile(r"^(?P<names>[a-z_][a-z0-9_]*(?:, [a-z_][a-z0-9_]*)*): (?P<text>.*)$")


def _param_lines(doc: str) -> dict[str, str]:
    """``name: text`` lines of a docstring (indented lines continue the previous one), per name."""
    out: dict[str, str] = {}
    last: list[str] = []
    for line in doc.splitlines():
        m = _PARAM_LINE.match(line)
        if m:
            last = m.group("names").split(", ")
            for n in last:
                out[n] = m.group("text").strip()
        elif line.startswith((" ", "\t")) and last:
            for n in last:
                out[n] += " " + line.strip()
        else:
            last = []
    return out


def reference() -> str:
    """The reference-data folders under tests/reference: files and CSV row counts."""
    base = _ROOT / "tests" / "reference"
    rows = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        csvs = sorted(folder.glob("*.csv"))
        counts = []
        for c in csvs:
            with c.open(newline="") as f:
                counts.append(f"`{c.name}`: {sum(1 for _ in csv.reader(f)) - 1} rows")
        others = sorted(p.name for p in folder.rglob("*") if p.is_file() and p.suffix != ".csv" and p.name != "README.md")
        rows.append([f"`tests/reference/{folder.name}/`", "; ".join(counts), len(others)])
    return _table(["folder", "reference rows", "other files (configs, traces, graphs)"], rows)


RENDERERS = {
    "env-overview": env_overview, "space": space, "metrics": metrics, "env-args": env_args, "workloads": workloads,
    "agent-overview": agent_overview, "hyperparams": hyperparams, "reference": reference,
}
