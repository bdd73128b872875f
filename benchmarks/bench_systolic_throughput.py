"""Benchmark: SystolicArray-v0 throughput on ResNet-18, before -> after, in one run (issue 15, item 2).

Goals: >= 100k designs/s batched and <= 100 us for one design, on one core. Measured here, with the
model of the current checkout ("after") and the model of an earlier commit ("before", ``--before``:
its ``simulators/`` folder extracted with ``git archive`` into a cache folder and imported under
another package name; such a copy can bias the timing by a few %), alternately, median of
``--repeats`` timings:

- ``simulate_batch`` on the environment's config columns of 1, 64, 4,096 and 20,000 random designs
  (designs/s; one design: us per call over ``--singles`` distinct designs, first pass with the
  read-replay memo cold for them, then a second pass over the same designs, memo warm);
- ``env.step`` (cache off) on random actions, us per step (the same actions for both: the first repeat
  with the replay memo cold for them, the median of the others warm), and ``env.unwrapped.evaluate_many`` on 64, 4,096 and
  20,000 designs (designs/s): the environment's ``model`` swapped for the before copy, alternately;
- every result of before and after compared with ``np.array_equal`` (each key);
- the cold first use (``NUMBA_CACHE_DIR`` an empty temporary folder, a fresh process): seconds of
  ``import`` + the first ``simulate_batch`` of one design, and numba's compile time of this
  change's kernels (``network_totals``, ``user_stalls``, from numba's compile events).

    .venv/bin/python benchmarks/bench_systolic_throughput.py [--before 1d13128] [--repeats 3] [--save]

With --save, writes benchmarks/results/bench_systolic_throughput.md and .json.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import archgym  # noqa: F401  (registers the environments)
import archgym.envs.systolic as env_module
from archgym.simulators import systolic as after_model

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
BATCHES = (1, 64, 4096, 20000)
GOAL_DESIGNS_PER_S = 100_000
GOAL_ONE_DESIGN_US = 100.0


def before_model(commit: str):
    """The ``archgym.simulators.systolic`` of ``commit``: its ``simulators/`` extracted once into a
    cache folder (kept, so that its numba cache stays warm between runs) and imported from there."""
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", commit], check=True, capture_output=True,
                         text=True).stdout.strip()
    base = Path(tempfile.gettempdir()) / f"archgym_bench_before_{sha}"
    pkg = base / f"before_{sha}"
    if not (pkg / "systolic" / "model.py").exists():
        base.mkdir(parents=True, exist_ok=True)
        tar = subprocess.run(["git", "-C", str(ROOT), "archive", sha, "simulators"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=tar, check=True)
        (base / "simulators").rename(pkg)
    sys.path.insert(0, str(base))
    return importlib.import_module(f"before_{sha}.systolic"), sha


def _median(fn, repeats: int) -> float:
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.asarray(a[k]).dtype == np.asarray(b[k]).dtype and np.array_equal(a[k], b[k])
                                        for k in a)


def measure(before, repeats: int, singles: int, steps: int) -> dict:
    env = gym.make("archgym/SystolicArray-v0", workload="resnet18", cache_size=0)
    u = env.unwrapped
    rng = np.random.default_rng(0)
    designs = [u.design_space.sample(rng) for _ in range(max(BATCHES))]
    lay = u._layer_arrays
    models = {"before": before, "after": after_model}
    res: dict = {"simulate_batch": {}, "identical": True}
    for m in models.values():  # compile and warm both
        m.simulate_batch(u._config_columns(designs[:64]), lay, check=False)
    # one design: distinct designs, first pass (memo cold for them), second pass (memo warm)
    ones = [u._config_columns([d]) for d in designs[-singles:]]
    for which in ("cold_memo", "warm_memo"):
        for name, m in models.items():
            t = time.perf_counter()
            for c in ones:
                m.simulate_batch(c, lay, check=False)
            res["simulate_batch"].setdefault(f"one_design_us_{which}", {})[name] = (time.perf_counter() - t) / singles * 1e6
    for n in BATCHES:
        cfg = u._config_columns(designs[:n])
        outs = {name: m.simulate_batch(cfg, lay, check=False) for name, m in models.items()}
        res["identical"] &= _same(outs["before"], outs["after"])
        times = {name: [] for name in models}
        for _ in range(repeats):
            for name, m in models.items():  # alternately
                t = time.perf_counter()
                m.simulate_batch(cfg, lay, check=False)
                times[name].append(time.perf_counter() - t)
        res["simulate_batch"][f"designs_per_s_{n}"] = {name: n / statistics.median(v) for name, v in times.items()}
    # the environment: its model module swapped, before and after alternately
    res["env"] = {}
    actions = [env.action_space.sample() for _ in range(steps)]
    env.reset(seed=0)
    step_t: dict = {name: [] for name in models}
    eval_t: dict = {n: {name: [] for name in models} for n in BATCHES[1:]}
    for _ in range(repeats):
        for name, m in models.items():
            env_module.model = m
            try:
                for a in actions[:20]:  # warm
                    env.step(a)
                t = time.perf_counter()
                for a in actions:
                    env.step(a)
                step_t[name].append((time.perf_counter() - t) / steps * 1e6)
                for n in BATCHES[1:]:
                    t = time.perf_counter()
                    u.evaluate_many(designs[:n])
                    eval_t[n][name].append(n / (time.perf_counter() - t))
            finally:
                env_module.model = after_model
    # the first repeat meets the actions' designs for the first time (replay memo cold), later ones again
    res["env"]["step_us_cold_memo"] = {name: v[0] for name, v in step_t.items()}
    res["env"]["step_us_warm_memo"] = {name: statistics.median(v[1:] or v) for name, v in step_t.items()}
    for n in BATCHES[1:]:
        res["env"][f"evaluate_many_designs_per_s_{n}"] = {name: statistics.median(v) for name, v in eval_t[n].items()}
    return res


_COLD = r"""
import json, sys, time
t0 = time.perf_counter()
from numba.core import event
recorder = event.install_recorder("numba:compile")  # keep a reference: the listener lives as long as it
rec = recorder.__enter__()
import importlib
sys.path.insert(0, sys.argv[3])
m = importlib.import_module(sys.argv[2])
cfg = m.SystolicConfig(array_rows=32, array_cols=32, dataflow="os", bandwidth_mode="USER", bandwidth=8)
layers = m.load_workload(sys.argv[1])
m.simulate_batch([cfg], layers)
m.simulate_batch([m.SystolicConfig(bandwidth_mode="CALC")], layers)
total = time.perf_counter() - t0
starts, mine = {}, {}
for ts, ev in rec.buffer:
    name = getattr(ev.data.get("dispatcher"), "py_func", None)
    name = getattr(name, "__qualname__", "?")
    if ev.is_start:
        starts[name] = ts
    elif name in ("network_totals", "user_stalls") and name in starts:
        mine[name] = mine.get(name, 0.0) + ts - starts.pop(name)
print(json.dumps({"first_use_s": total, "kernels_s": mine}))
"""


def cold_first_use(module: str = "archgym.simulators.systolic", path: str = "") -> dict:
    """A fresh process with an empty numba cache: import ``module`` + its first simulate_batch (USER,
    then CALC) on ResNet-18."""
    from archgym import datasets

    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = subprocess.run([sys.executable, "-c", _COLD, str(datasets.path("workloads", "resnet18.csv")), module,
                              path or str(ROOT)], env=env, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def _markdown(res: dict) -> str:
    sb, ev = res["simulate_batch"], res["env"]
    lines = [
        "# SystolicArray-v0 throughput on ResNet-18 (issue 15, item 2)",
        "",
        f"Before = commit {res['before']} (model copy imported from a cache folder), after = {res['after']}; same run, "
        f"alternately, median of {res['repeats']}. Machine: {res['machine']}, load average {res['load']} "
        "(2 cores shared by several engineers: compare ratios, not absolute figures).",
        f"Results of before and after identical (np.array_equal, every key and dtype): **{res['identical']}**.",
        "",
        "| path | before | after | speed-up | goal |",
        "|---|---:|---:|---:|---:|",
    ]
    for k, v in sb.items():
        goal = f"<= {GOAL_ONE_DESIGN_US:.0f} us" if k.startswith("one_design") else (
            f">= {GOAL_DESIGNS_PER_S:,}/s" if k != "designs_per_s_1" else "")
        if k.startswith("one_design"):
            lines.append(f"| simulate_batch, one design ({k[14:].replace('_', ' ')}), us | {v['before']:.1f} | "
                         f"{v['after']:.1f} | {v['before'] / v['after']:.2f}x | {goal} |")
        else:
            lines.append(f"| simulate_batch, {int(k.rsplit('_', 1)[1]):,} designs, designs/s | {v['before']:,.0f} | "
                         f"{v['after']:,.0f} | {v['after'] / v['before']:.2f}x | {goal} |")
    for k, v in ev.items():
        if k.startswith("step_us"):
            lines.append(f"| env.step (cache off, {k[8:].replace('_', ' ')}), us | {v['before']:.1f} | {v['after']:.1f} | "
                         f"{v['before'] / v['after']:.2f}x | <= {GOAL_ONE_DESIGN_US:.0f} us |")
        else:
            lines.append(f"| evaluate_many, {int(k.rsplit('_', 1)[1]):,} designs, designs/s | {v['before']:,.0f} | "
                         f"{v['after']:,.0f} | {v['after'] / v['before']:.2f}x | >= {GOAL_DESIGNS_PER_S:,}/s |")
    c = res.get("cold")
    if c:
        lines += ["", f"Cold first use (empty NUMBA_CACHE_DIR, fresh process; import + first USER and CALC "
                      f"simulate_batch on ResNet-18): before {res['cold_before']['first_use_s']:.1f} s, after "
                      f"{c['first_use_s']:.1f} s (run one after the other, not interleaved); compile of this change's kernels "
                      + ", ".join(f"{k} {s:.2f} s" for k, s in c["kernels_s"].items())
                      + " (user_stalls' figure includes compiling the writes/drain kernels it calls)."]
    lines += ["", "Reproduce: `.venv/bin/python benchmarks/bench_systolic_throughput.py --before "
              f"{res['before']} --save`", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default="1d13128", help="commit whose model is timed as 'before'")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--singles", type=int, default=2000, help="distinct designs timed one by one")
    ap.add_argument("--steps", type=int, default=2000, help="env.step calls timed")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold first-use process")
    ap.add_argument("--save", action="store_true")
    args = ap.parse_args(argv)
    before, sha = before_model(args.before)
    res = measure(before, args.repeats, args.singles, args.steps)
    after = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                           text=True).stdout.strip()
    res.update(before=sha, after=f"{after} (working tree)", repeats=args.repeats, machine=platform.processor() or
               platform.machine(), load=" ".join(f"{x:.1f}" for x in os.getloadavg()))
    if not args.no_cold:  # before, then after
        res["cold_before"] = cold_first_use(before.__name__, str(Path(before.__file__).parents[2]))
        res["cold"] = cold_first_use()
    text = _markdown(res)
    print(text)
    if args.save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "bench_systolic_throughput.json").write_text(json.dumps(res, indent=2) + "\n")
        (RESULTS / "bench_systolic_throughput.md").write_text(text)
    return 0 if res["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
