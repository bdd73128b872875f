"""Benchmark: first use of every environment (``gym.make`` + ``reset`` + first ``step``), cold and warm numba cache.

Each figure comes from a fresh subprocess. *cold*: ``NUMBA_CACHE_DIR`` set to an empty temporary folder (a
first-ever use: every kernel the first step needs is compiled); *warm*: the installation's own cache (run once
before timing, so that it holds this id's kernels; median of ``--repeats``). ``import archgym`` is timed apart.

In the cold run a listener on numba's ``numba:compile`` event records every specialisation compiled: the kernel,
its argument types, the time inclusive of the kernels it compiled on the way (callees compile inside their
caller) and exclusive of them. The per-kernel table sums the exclusive times per kernel and counts its
specialisations, so that a kernel compiled for several argument types shows up as such.

    .venv/bin/python benchmarks/bench_first_use.py [--envs archgym/SoC-v0 ...] [--repeats 3] [--save]

With --save, writes benchmarks/results/bench_first_use.md and .json (with --envs, only those ids are run and
the saved files hold only them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
KWARGS = {"archgym/DRAM-v0": {"workload": "random"}, "archgym/DRAM-v1": {"workload": "random_g1"}}

CHILD = r"""
import json, sys, time
import numba.core.event as ev

events = []
stack = []


class Recorder(ev.Listener):
    def on_start(self, event):
        stack.append([time.perf_counter(), 0.0])

    def on_end(self, event):
        t0, nested = stack.pop()
        total = time.perf_counter() - t0
        if stack:
            stack[-1][1] += total
        d = event.data["dispatcher"]
        py = getattr(d, "py_func", None)
        name = f"{py.__module__}.{py.__qualname__}" if py is not None else repr(d)
        events.append({"kernel": name, "args": str(tuple(event.data["args"])), "inclusive_s": total,
                       "exclusive_s": total - nested})


ev.register("numba:compile", Recorder())
t0 = time.perf_counter()
import gymnasium as gym
import archgym
t1 = time.perf_counter()
env = gym.make(sys.argv[1], **json.loads(sys.argv[2]))
t2 = time.perf_counter()
env.reset(seed=0)
env.action_space.seed(0)
env.step(env.action_space.sample())
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "make_s": t2 - t1, "first_step_s": t3 - t2, "make_step_s": t3 - t1,
                  "compiles": events}))
"""


def _run(env_id: str, cache_dir: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "ARCHGYM_QUIET"}
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    r = subprocess.run([sys.executable, "-W", "ignore", "-c", CHILD, env_id, json.dumps(KWARGS.get(env_id, {}))],
                       env=env, capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        raise RuntimeError(f"{env_id}: first-use child failed:\n{r.stderr[-2000:]}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["notice"] = "compiling its numba kernels" in r.stderr
    return out


def kernel_table(compiles: list[dict]) -> list[dict]:
    """Per kernel: specialisations compiled, their argument types, exclusive compile seconds (summed)."""
    rows: dict[str, dict] = {}
    for c in compiles:
        r = rows.setdefault(c["kernel"], {"kernel": c["kernel"], "signatures": 0, "compile_s": 0.0, "args": []})
        r["signatures"] += 1
        r["compile_s"] += c["exclusive_s"]
        r["args"].append(c["args"])
    return sorted(rows.values(), key=lambda r: -r["compile_s"])


def first_use(env_id: str, repeats: int) -> dict:
    _run(env_id, None)  # the installation's cache made warm for this id
    warm = [_run(env_id, None) for _ in range(repeats)]
    with tempfile.TemporaryDirectory() as cold_dir:
        cold = _run(env_id, cold_dir)
    keys = ("import_s", "make_s", "first_step_s", "make_step_s")
    return {"env": env_id, "warm": {k: statistics.median(w[k] for w in warm) for k in keys},
            "warm_compiles": max(len(w["compiles"]) for w in warm),
            "cold": {k: cold[k] for k in keys}, "cold_notice": cold["notice"],
            "cold_compile_s": sum(c["exclusive_s"] for c in cold["compiles"]),
            "kernels": kernel_table(cold["compiles"])}


def _markdown(rows: list[dict], command: str) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    out = ["# First use of each environment: cold and warm numba cache", "",
           f"`{command}` ({platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} CPUs shared "
           f"with other work, load {load:.1f} at the end). Fresh process per figure: `gym.make(id)`, `reset(seed=0)`, "
           "one `step`. *cold*: `NUMBA_CACHE_DIR` an empty folder (first-ever use); *warm*: the installation's "
           "cache (median). *compiled*: seconds inside numba's compile events (exclusive times summed); the rest "
           "of *cold* is imports, the model and the environment.", "",
           "| environment | import archgym (s) | warm: make + step (s) | cold: make + step (s) | cold: compiled (s) "
           "| kernels compiled | specialisations | notice printed | compiles when warm |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        n_sig = sum(k["signatures"] for k in r["kernels"])
        out.append(f"| {r['env']} | {r['warm']['import_s']:.2f} | {r['warm']['make_step_s']:.2f} | "
                   f"{r['cold']['make_step_s']:.1f} | {r['cold_compile_s']:.1f} | {len(r['kernels'])} | {n_sig} | "
                   f"{'yes' if r['cold_notice'] else 'no'} | {r['warm_compiles']} |")
    for r in rows:
        if not r["kernels"]:
            continue
        out += ["", f"## {r['env']}: kernels compiled on first use (cold)", "",
                "| kernel | specialisations | compile s (exclusive) |", "|---|---|---|"]
        for k in r["kernels"]:
            out.append(f"| `{k['kernel'].removeprefix('archgym.')}` | {k['signatures']} | {k['compile_s']:.2f} |")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--envs", nargs="*", help="environment ids (default: every registered id)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--save", action="store_true")
    args = ap.parse_args()
    if args.envs:
        ids = args.envs
    else:
        from archgym.envs import ENVIRONMENTS
        ids = sorted(ENVIRONMENTS)
    rows = []
    for env_id in ids:
        r = first_use(env_id, args.repeats)
        rows.append(r)
        print(f"{env_id}: warm {r['warm']['make_step_s']:.2f} s, cold {r['cold']['make_step_s']:.1f} s "
              f"(compiling {r['cold_compile_s']:.1f} s, {len(r['kernels'])} kernels)", flush=True)
    command = "benchmarks/bench_first_use.py " + " ".join(sys.argv[1:])
    md = _markdown(rows, ".venv/bin/python " + command.strip())
    print(md)
    if args.save:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "bench_first_use.md").write_text(md)
        (RESULTS / "bench_first_use.json").write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
