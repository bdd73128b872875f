"""The shape of the code base: modules per folder, import circles, imports against the layer order,
deferred imports, the longest functions, import times and what importing a simulator or an agent loads,
and the steps per second of every registered environment.

    .venv/bin/python benchmarks/bench_architecture.py [--root DIR] [--steps-seconds 2] [--save]

``--root`` points at another checkout (for a before/after table, e.g. ``git worktree add /tmp/before
<commit>``); its environments are timed with the Python of this run, with ``DIR`` first on the path.
With ``--save`` the report goes to benchmarks/results/architecture.{json,md}; otherwise it is printed.

The layers, lowest first (DESIGN.md): ``datasets`` (data), then ``simulators`` and ``io`` (file plumbing,
which reads YAML with the simulators' YAML 1.2 loader: one layer, as in tests/core/test_layering.py),
``core`` (spaces, rewards, the environment contract), ``envs``, the applications (runner, collect,
records, sweeps, surrogates, analysis), ``cli``; ``agents`` sit beside ``core`` and may import only
``core.spaces`` (and ``io``). An import is *against the layer order* when it points from a lower layer to a
higher one; a *deferred* import is an ``archgym`` import inside a function body.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"archgym": "archgym", "simulators": "archgym.simulators", "agents": "archgym.agents",
           "datasets": "archgym.datasets"}
LAYER_RANK = {"datasets": 0, "io": 1, "simulators": 1, "core": 2, "agents": 2, "envs": 3, "apps": 4, "cli": 5}
#: modules of the pre-0.2 flat layout, by the layer they belong to
OLD_CORE = {"archgym.spaces", "archgym.rewards", "archgym.env"}
OLD_IO = {"archgym.atomic", "archgym.yaml_lines"}
HEAVY = ("gymnasium", "ray", "torch", "xgboost", "sklearn", "pandas", "matplotlib")


def modules(root: Path) -> dict[str, Path]:
    out = {}
    for folder, ns in FOLDERS.items():
        base = root / folder
        for p in sorted(base.rglob("*.py")):
            if "__pycache__" in p.parts:
                continue
            rel = p.relative_to(base).with_suffix("")
            parts = [] if rel.name == "__init__" else [rel.name]
            name = ".".join([ns, *rel.parent.parts, *parts]) if str(rel.parent) != "." else ".".join([ns, *parts])
            out[name] = p
    return out


def layer(mod: str) -> str:
    if mod.startswith("archgym.simulators"):
        return "simulators"
    if mod.startswith("archgym.agents"):
        return "agents"
    if mod.startswith("archgym.datasets"):
        return "datasets"
    if mod.startswith("archgym.core") or mod in OLD_CORE:
        return "core"
    if mod.startswith(("archgym.io", "archgym.files")) or mod in OLD_IO:
        return "io"
    if mod.startswith("archgym.envs"):
        return "envs"
    if mod.startswith("archgym.cli"):
        return "cli"
    if mod == "archgym":
        return "apps"  # the package root registers the environments: it sits above them
    return "apps"


def allowed(src: str, dst: str) -> bool:
    a, b = layer(src), layer(dst)
    if a == "agents":
        return b in ("agents", "io", "datasets") or dst in ("archgym.core.spaces", "archgym.core.rewards", "archgym.spaces",
                                                          "archgym.core")
    if b == "agents":
        return a in ("apps", "cli", "agents")
    return LAYER_RANK[b] <= LAYER_RANK[a]


def resolve(name: str, known: set[str]) -> str | None:
    """The longest known module that ``name`` (a dotted import target) lies in."""
    parts = name.split(".")
    while parts:
        cand = ".".join(parts)
        if cand in known:
            return cand
        parts.pop()
    return None


def imports(mod: str, path: Path, known: set[str]) -> list[tuple[str, bool]]:
    """(imported module, deferred?) for every archgym import of a module (``from x import y`` counts y
    when y is a module)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_pkg = path.name == "__init__.py"
    pkg = mod if is_pkg else mod.rsplit(".", 1)[0]
    out = []

    def visit(node, deferred):
        for child in ast.iter_child_nodes(node):
            d = deferred or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                for a in child.names:
                    r = resolve(a.name, known)
                    if r:
                        out.append((r, deferred))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = pkg.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                for a in child.names:
                    r = resolve(f"{target}.{a.name}", known) or resolve(target, known)
                    if r:
                        out.append((r, deferred))
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                continue
            else:
                visit(child, d)

    visit(tree, False)
    return [(m, d) for m, d in out if m != mod]


def _is_type_checking(test) -> bool:
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING" or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            strong(v)
    return out


def longest_functions(mods: dict[str, Path], n: int = 5) -> list[tuple[int, str]]:
    rows = []
    for mod, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                rows.append((node.end_lineno - node.lineno + 1, f"{mod}.{node.name}"))
    return sorted(rows, reverse=True)[:n]


def import_report(root: Path, target: str) -> dict:
    """Wall time of importing ``target`` in a fresh process (best of 3), the cumulative -X importtime
    figure, and which heavy libraries it loads."""
    env = {**os.environ, "PYTHONPATH": str(root)} if root != ROOT else dict(os.environ)
    code = (f"import time, sys; t=time.perf_counter(); import {target}; t=time.perf_counter()-t; "
            f"print(t); print(','.join(h for h in {HEAVY!r} if h in sys.modules))")
    best, loaded = float("inf"), ""
    for _ in range(3):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd="/")
        if r.returncode:
            return {"error": r.stderr.strip().splitlines()[-1]}
        t, loaded = r.stdout.splitlines()
        best = min(best, float(t))
    r = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {target}"], capture_output=True, text=True,
                       env=env, cwd="/")
    cum = [int(m.group(1)) for m in re.finditer(r"import time:\s+\d+ \|\s+(\d+) \| " + re.escape(target) + r"\s*$",
                                                 r.stderr, re.M)]
    return {"wall_s": best, "importtime_cumulative_us": cum[-1] if cum else None,
            "heavy_loaded": [h for h in loaded.split(",") if h]}


STEP_CODE = r"""
import json, sys, time
import gymnasium as gym, numpy as np
import archgym
from archgym.envs import ENVIRONMENTS
seconds = float(sys.argv[1])
out = {}
for env_id in ENVIRONMENTS:
    env = gym.make(env_id)
    env.reset(seed=0)
    env.action_space.seed(0)
    acts = [env.action_space.sample() for _ in range(20000)]  # distinct designs: no cache hits
    for a in acts[:8]:
        env.step(a); env.reset()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        env.step(acts[n % len(acts)]); env.reset(); n += 1
    out[env_id] = n / (time.perf_counter() - t0)
print(json.dumps(out))
"""


def steps_per_second(root: Path, seconds: float) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root)} if root != ROOT else dict(os.environ)
    r = subprocess.run([sys.executable, "-c", STEP_CODE, str(seconds)], capture_output=True, text=True, env=env,
                       cwd="/")
    if r.returncode:
        return {"error": r.stderr.strip().splitlines()[-1]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def report(root: Path, seconds: float) -> dict:
    mods = modules(root)
    known = set(mods)
    graph, against, deferred = defaultdict(set), [], []
    for m, p in mods.items():
        for dst, d in imports(m, p, known):
            graph[m].add(dst)
            if not allowed(m, dst):
                against.append(f"{m} -> {dst}")
            if d:
                deferred.append(f"{m} -> {dst}")
    per_folder = Counter(str(p.parent.relative_to(root)) for p in mods.values())
    return {
        "root": str(root),
        "modules": len(mods),
        "modules_per_folder": dict(sorted(per_folder.items())),
        "import_circles": cycles(graph),
        "imports_against_layers": sorted(set(against)),
        "deferred_archgym_imports": sorted(set(deferred)),
        "longest_functions": longest_functions(mods),
        "import_archgym": import_report(root, "archgym"),
        "import_simulator": import_report(root, "archgym.simulators.systolic"),
        "import_agent": import_report(root, "archgym.agents.ga"),
        "steps_per_second": steps_per_second(root, seconds),
    }


def markdown(r: dict) -> str:
    lines = [f"# Architecture report: `{r['root']}`", ""]
    lines += ["| folder | modules |", "|---|---:|"] + [f"| {k} | {v} |" for k, v in r["modules_per_folder"].items()]
    lines += ["", f"- modules: {r['modules']}",
              f"- import circles: {len(r['import_circles'])} {r['import_circles']}",
              f"- imports against the layer order: {len(r['imports_against_layers'])}",
              f"- deferred archgym imports (inside functions): {len(r['deferred_archgym_imports'])}",
              f"- longest functions: {r['longest_functions']}"]
    for k in ("import_archgym", "import_simulator", "import_agent"):
        lines.append(f"- {k}: {r[k]}")
    lines += ["", "| environment | steps/s |", "|---|---:|"]
    lines += [f"| {k} | {v:,.0f} |" for k, v in r["steps_per_second"].items() if isinstance(v, float)]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", type=Path, default=ROOT)
    ap.add_argument("--steps-seconds", type=float, default=2.0)
    ap.add_argument("--save", action="store_true", help="write benchmarks/results/architecture.{json,md}")
    args = ap.parse_args()
    t0 = time.perf_counter()
    r = report(args.root.resolve(), args.steps_seconds)
    r["load_average"] = os.getloadavg()
    r["seconds"] = time.perf_counter() - t0
    md = markdown(r)
    if args.save:
        out = ROOT / "benchmarks" / "results"
        for name, text in (("architecture.json", json.dumps(r, indent=1)), ("architecture.md", md)):
            tmp = out / (name + ".tmp")
            tmp.write_text(text)
            tmp.replace(out / name)
    print(md)


if __name__ == "__main__":
    main()
