"""Benchmark: the path an RL agent takes, per environment: single steps, native vector steps, batched evaluation.

For every registered id (with the small-workload settings below for the slow ones), in one process:

- **single**: ``env.step`` on random actions (cache off), steps/s; and the time ``step`` adds above the
  model's own call (decode, evaluation bookkeeping, reward, observation, info), measured inside the steps: the
  environment's ``simulate_batch`` wrapped in a timer and the time spent in it subtracted from each run's (the
  least of 40 runs of 256 steps, or 5 runs of 8 for the slow simulators), so that the figure is exact to a
  fraction of a microsecond even where the model takes milliseconds. The older estimate, ``step`` minus
  ``simulate_batch([d])`` timed separately, is kept beside it: the difference of two noisy timings, meaningless
  where the model takes milliseconds on a shared machine (Dataflow-v0's 3,197 us of an earlier run was such noise);
  and the step's own cost with the model's call replaced by a stub returning its stored results (*stubbed*), and
  with a stub that also evicts the CPU caches first (*evicted*: what re-reading the step's data and code from
  memory after a large model run costs, the difference between the in-step and the stubbed figures);
- **vector**: ``gymnasium.make_vec(id, num_envs=N)`` (archgym's native vector env, SameStep autoreset, cache
  off), designs/s, and its ratio to batched;
- **batched**: ``env.unwrapped.evaluate_many`` on N x steps designs at once (cache off), designs/s.

Then Stable-Baselines3 PPO's frames/s on one Synthetic-v0 environment against ``SB3VecEnv`` with N copies.
Random actions are seeded; every figure is a median of ``--repeats`` timings.

With ``--first-use``, the start-up of every id in fresh processes: ``gym.make`` plus the first ``step`` (which
evaluates the baseline where the targets derive from it) with the numba cache warm (the installation's), and
with a cold one (``NUMBA_CACHE_DIR`` set to an empty temporary folder, the shared cache untouched): what a
first-ever use costs, with whether its first-use notice was printed.

    .venv/bin/python benchmarks/bench_env_path.py [--num-envs 64] [--steps 8] [--first-use] [--save]

With --save, writes benchmarks/results/bench_env_path.md and .json.
"""

from __future__ import annotations

import argparse
import itertools
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

import archgym
from archgym.core import gym_spaces

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
KWARGS = {"archgym/DRAM-v0": {"workload": "random"}, "archgym/DRAM-v1": {"workload": "random_g1"},
          "archgym/Dataflow-v0": {"mapper_budget": 16}}


def _median_time(fn, repeats: int) -> float:
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def _min_time(fn, repeats: int) -> float:
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out)


def step_adds_us(env, actions: list, repeats: int = 40, steps: int = 256) -> float:
    """Microseconds ``env.step`` spends outside the model's call, measured inside the steps themselves: the
    environment's ``simulate_batch`` wrapped in a timer, and each run's time spent in it subtracted from the run's
    time (the wrapper's own cost, measured around a no-op, subtracted too). The least of ``repeats`` runs: other
    work on the machine only ever adds time, so the least is the step's own cost (as ``timeit`` advises)."""
    real = env.simulate_batch
    inside = [0.0]
    clock = time.perf_counter

    def timed(designs, real=real):
        t = clock()
        r = real(designs)
        inside[0] += clock() - t
        return r

    def least(fn, calls: list) -> float:
        best = float("inf")
        for _ in range(repeats):
            inside[0] = 0.0
            t = clock()
            for c in calls:
                fn(c)
            best = min(best, (clock() - t - inside[0]) / len(calls))
        return best

    acts = list(itertools.islice(itertools.cycle(actions), max(len(actions), steps - steps % len(actions))))
    noop = lambda designs: designs  # noqa: E731
    wrapper = least(lambda c: timed(c, noop), [[None]] * len(acts))  # the wrapper's cost outside its own timer
    env.simulate_batch = timed
    try:
        t = least(env.step, acts)
    finally:
        del env.simulate_batch
    return (t - wrapper) * 1e6


def step_adds_stubbed_us(env, actions: list, repeats: int = 40, steps: int = 256) -> float:
    """The same with the model's call replaced by a stub that returns the model's stored result of each design
    (the stub's own call time subtracted): the step's own cost without the model evicting its data from the CPU's
    caches in between, which the in-step figure includes."""
    designs = [gym_spaces.decode(env.design_space, a) for a in actions]
    results = [env.simulate_batch([d])[0] for d in designs]
    cycle = itertools.cycle(results)
    stub = lambda ds: [next(cycle)]  # noqa: E731
    empty = [None]
    if "_repair_memo" in env.__dict__:  # SoC-v1: its model call repairs the design and keeps the repair for info
        repairs = []
        for d in designs:
            env.simulate_batch([d])
            repairs.append(env._repair_memo[id(d)][1:])
        cycle = itertools.cycle(list(zip(results, repairs)))

        def stub(ds):  # the stored result, and the repair the model call leaves behind, as the real call does
            r, kept = next(cycle)
            env._repair_memo = {id(ds[0]): (dict(ds[0]), *kept)}
            return [r]

        empty = [designs[0]]
    acts = list(itertools.islice(itertools.cycle(actions), max(len(actions), steps - steps % len(actions))))
    t_stub = _min_time(lambda: [stub(empty) for _ in acts], repeats) / len(acts)
    env.simulate_batch = stub
    try:
        step = env.step
        t = _min_time(lambda: [step(a) for a in acts], repeats) / len(acts)
    finally:
        del env.simulate_batch
    return (t - t_stub) * 1e6


def step_adds_evicted_us(env, actions: list) -> float:
    """In-step figure with the model's call replaced by a stub that returns its stored results after evicting the
    CPU caches (16 MiB of array writes and 50,000 Python objects read, as a large model run does): shows how much of
    the in-step figure is the step's data and code being re-read from memory after the model, not work."""
    results = [env.simulate_batch([d])[0] for d in (gym_spaces.decode(env.design_space, a) for a in actions)]
    cycle = itertools.cycle(results)
    block = np.zeros(2 * 2**20)
    objects = [{"k": i} for i in range(200_000)][::4]

    def evicting(designs):
        block[:] += 1.0
        sum(o["k"] for o in objects)
        return [next(cycle)]

    env.simulate_batch = evicting
    return step_adds_us(env, actions, repeats=5, steps=len(actions))  # (it removes the stub)


def measure(env_id: str, n: int, steps: int, repeats: int) -> dict:
    kw = {**KWARGS.get(env_id, {}), "cache_size": 0}
    env = gym.make(env_id, **kw).unwrapped
    env.reset(seed=0)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(n * steps)]
    designs = [gym_spaces.decode(env.design_space, a) for a in actions]
    env.step(actions[0])  # compile, baseline, targets
    env.simulate_batch(designs[:2])
    k = min(len(actions), 64 if env_id not in KWARGS else 8)
    t_step = _median_time(lambda: [env.step(a) for a in actions[:k]], repeats) / k
    t_sim = _median_time(lambda: [env.simulate_batch([d]) for d in designs[:k]], repeats) / k
    t_batch = _median_time(lambda: env.evaluate_many(designs), repeats) / len(designs)
    adds = step_adds_us(env, actions[:k], repeats=40 if k > 8 else 5, steps=256 if k > 8 else 8)
    adds_stubbed = step_adds_stubbed_us(env, actions[:k])
    adds_evicted = step_adds_evicted_us(env, actions[:8])
    venv = gym.make_vec(env_id, num_envs=n, autoreset_mode="SameStep", **kw)
    venv.reset(seed=0)
    venv.action_space.seed(0)
    vacts = [venv.action_space.sample() for _ in range(steps)]
    venv.step(vacts[0])
    t_vec = _median_time(lambda: [venv.step(a) for a in vacts], repeats) / (n * steps)
    return {"env": env_id, "single_steps_per_s": 1 / t_step, "step_adds_us": adds, "step_adds_stubbed_us": adds_stubbed,
            "step_adds_evicted_us": adds_evicted,
            "step_minus_simulate_us": (t_step - t_sim) * 1e6,
            "simulate_us": t_sim * 1e6, "vector_designs_per_s": 1 / t_vec, "batched_designs_per_s": 1 / t_batch,
            "vector_vs_batched": t_batch / t_vec}


FIRST_USE = """
import sys, time
t0 = time.perf_counter()
import gymnasium as gym
import archgym
t1 = time.perf_counter()
env = gym.make(sys.argv[1])
t2 = time.perf_counter()
env.reset(seed=0)
env.action_space.seed(0)
env.step(env.action_space.sample())
print(t1 - t0, t2 - t1, time.perf_counter() - t2)
"""


def _start(env_id: str, cache_dir: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "ARCHGYM_QUIET"}
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    r = subprocess.run([sys.executable, "-W", "ignore", "-c", FIRST_USE, env_id], env=env, capture_output=True,
                       text=True, check=True, cwd=ROOT)
    t_import, t_make, t_step = map(float, r.stdout.split())
    return {"import_s": t_import, "make_s": t_make, "first_step_s": t_step, "make_step_s": t_make + t_step,
            "notice": "compiling its numba kernels" in r.stderr}


def first_use(env_id: str, repeats: int) -> dict:
    """Fresh processes: ``import archgym``, ``gym.make`` and the first ``step``, warm cache (median) and cold."""
    _start(env_id, None)  # the installation's cache made warm for this id
    warm = [_start(env_id, None) for _ in range(repeats)]
    with tempfile.TemporaryDirectory() as cold_dir:
        cold = _start(env_id, cold_dir)
    med = {k: statistics.median(w[k] for w in warm) for k in ("import_s", "make_s", "first_step_s", "make_step_s")}
    return {"env": env_id, "warm": {**med, "notice": any(w["notice"] for w in warm)}, "cold": cold}


def batched_validation(n: int, repeats: int) -> dict:
    """SystolicArray-v0 on ResNet-18, ``evaluate_many`` of ``n`` random designs (cache off): designs/s with the
    column-by-column validation (``DesignSpace.validate_many``) and with it declined (every design through
    ``validate``, as before), timed alternately; and the validation alone, both ways."""
    env = gym.make("archgym/SystolicArray-v0", workload="resnet18", cache_size=0).unwrapped
    space = env.design_space
    designs = space.sample_many(n, 0)
    env.evaluate_many(designs[:64])  # kernels loaded
    column = space.validate_many
    declined = lambda ds: None  # noqa: E731
    times = {"column": [], "per design": []}
    alone = {"column": [], "per design": []}
    for _ in range(repeats):
        for name, fn in (("per design", declined), ("column", column)):
            space.validate_many = fn
            t = time.perf_counter()
            env.evaluate_many(designs)
            times[name].append(time.perf_counter() - t)
            t = time.perf_counter()
            if fn(designs) is None:
                [space.validate(d) for d in designs]
            alone[name].append(time.perf_counter() - t)
    del space.validate_many
    return {"n": n, **{f"{k}_designs_per_s": n / statistics.median(v) for k, v in times.items()},
            **{f"{k}_validation_us": statistics.median(v) / n * 1e6 for k, v in alone.items()}}


def sb3_frames(n: int, frames: int) -> dict:
    try:
        import torch
        from stable_baselines3 import PPO

        from archgym.sb3_vec_env import SB3VecEnv
    except ImportError as e:
        return {"skipped": str(e)}
    torch.set_num_threads(1)
    out = {}
    for name, env in (("one gymnasium env", gym.make("archgym/Synthetic-v0", flat_action=True)),
                      (f"SB3VecEnv x {n}", SB3VecEnv("archgym/Synthetic-v0", num_envs=n))):
        steps = 64 if name.startswith("one") else max(1, 512 // n)
        model = PPO("MlpPolicy", env, n_steps=steps, batch_size=64, seed=0, device="cpu", verbose=0)
        model.learn(512)
        t = time.perf_counter()
        model.learn(frames)
        out[name] = frames / (time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--num-envs", type=int, default=64)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sb3-frames", type=int, default=8192)
    ap.add_argument("--first-use", action="store_true", help="also time start-up in fresh processes (warm and cold cache)")
    ap.add_argument("--only", nargs="*", help="these ids only (not with --save)")
    ap.add_argument("--no-sb3", action="store_true", help="skip the Stable-Baselines3 frames/s")
    ap.add_argument("--validation-designs", type=int, default=20_000,
                    help="designs of the batched-validation timing (SystolicArray-v0, ResNet-18)")
    ap.add_argument("--save", action="store_true")
    args = ap.parse_args()
    if args.save and (args.only or args.no_sb3):
        ap.error("--save writes the whole table: not with --only or --no-sb3")
    ids = args.only or sorted(archgym.ENVIRONMENTS)
    starts = []
    if args.first_use:
        for env_id in ids:
            f = first_use(env_id, args.repeats)
            starts.append(f)
            print(f"{env_id:32s} warm: make + first step {f['warm']['make_step_s']:.2f} s (import "
                  f"{f['warm']['import_s']:.2f} s); cold: {f['cold']['make_step_s']:.2f} s, notice "
                  f"{'yes' if f['cold']['notice'] else 'NO'}", flush=True)
    rows = []
    for env_id in ids:
        r = measure(env_id, args.num_envs, args.steps, args.repeats)
        rows.append(r)
        print(f"{env_id:32s} single {r['single_steps_per_s']:9.0f}/s (step adds {r['step_adds_us']:6.1f} us, stubbed "
              f"{r['step_adds_stubbed_us']:5.1f}, above {r['simulate_us']:9.1f} us; step - simulate "
              f"{r['step_minus_simulate_us']:7.1f} us), vector "
              f"{r['vector_designs_per_s']:9.0f}/s, batched {r['batched_designs_per_s']:9.0f}/s "
              f"({r['vector_vs_batched']:.0%})", flush=True)
    val = batched_validation(args.validation_designs, args.repeats)
    print(f"SystolicArray-v0 evaluate_many x {val['n']}: per-design validation {val['per design_designs_per_s']:,.0f}"
          f" designs/s ({val['per design_validation_us']:.2f} us/design), column validation "
          f"{val['column_designs_per_s']:,.0f} designs/s ({val['column_validation_us']:.2f} us/design)", flush=True)
    sb3 = {} if args.no_sb3 else sb3_frames(args.num_envs, args.sb3_frames)
    lines = ["# The environment path: single, vector and batched", "",
             f"`.venv/bin/python benchmarks/bench_env_path.py --num-envs {args.num_envs} --steps {args.steps}"
             f"{' --first-use' if args.first_use else ''} --save` "
             f"({platform.machine()}, Python {platform.python_version()}, one process; 2 cores shared with other work). "
             "Cache off everywhere; median of "
             f"{args.repeats} timings. *step adds*: what `step` spends outside the model's call (decode, evaluation "
             "bookkeeping, reward, observation, info): each run's time minus the time spent inside `simulate_batch` "
             "(timed around the call), the least of 40 runs of 256 steps (5 runs of 8 for DRAM and Dataflow). *stubbed*: "
             "the same with `simulate_batch` replaced by a stub returning the model's stored results (40 runs of 256 "
             "steps): the step's own cost, without the model evicting the step's data from the CPU caches in between "
             "(SoC-v1's model call repairs the design and keeps the repair, which its info reuses: its stub also leaves "
             "the stored repair behind, as the real call does; before this the stubbed figure counted a second repair "
             "inside info). *evicted*: the in-step figure with a stub that evicts the CPU caches (16 MiB written, "
             "50,000 objects read) before returning the stored results: what cold caches alone cost the same step. "
             "*step - simulate*: `step` minus `simulate_batch([design])` timed separately (the older estimate: a "
             "difference of two noisy timings, meaningless where the model takes milliseconds).", "",
             "| environment | single steps/s | step adds (us) | stubbed (us) | evicted (us) | step - simulate (us) | "
             "simulate one (us) | vector designs/s | batched designs/s | vector / batched |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['env']} | {r['single_steps_per_s']:,.0f} | {r['step_adds_us']:.1f} | "
                     f"{r['step_adds_stubbed_us']:.1f} | {r['step_adds_evicted_us']:.1f} | "
                     f"{r['step_minus_simulate_us']:.1f} | {r['simulate_us']:,.1f} | {r['vector_designs_per_s']:,.0f} | "
                     f"{r['batched_designs_per_s']:,.0f} | {r['vector_vs_batched']:.0%} |")
    if starts:
        lines += ["", "First use, in fresh processes (`gym.make(id)` with default arguments, `reset`, one `step`; the first "
                  "step evaluates the baseline too where the targets derive from it). *warm*: the installation's numba "
                  f"cache (median of {args.repeats}); *cold*: `NUMBA_CACHE_DIR` an empty folder, as a first-ever use "
                  "(one run). `import archgym` comes before and is not in *make + step*.", "",
                  "| environment | import archgym (s) | warm: make + first step (s) | cold: make + first step (s) | "
                  "cold: notice printed |", "|---|---|---|---|---|"]
        for f in starts:
            lines.append(f"| {f['env']} | {f['warm']['import_s']:.2f} | {f['warm']['make_step_s']:.2f} | "
                         f"{f['cold']['make_step_s']:.1f} | {'yes' if f['cold']['notice'] else 'no'} |")
    lines += ["", f"Batched validation: SystolicArray-v0 on ResNet-18, `evaluate_many` of {val['n']:,} random designs "
              f"(cache off, median of {args.repeats}, the two ways timed alternately): every design through "
              f"`validate` (as before) {val['per design_designs_per_s']:,.0f} designs/s, validation "
              f"{val['per design_validation_us']:.2f} us/design; column by column (`validate_many`) "
              f"{val['column_designs_per_s']:,.0f} designs/s, validation {val['column_validation_us']:.2f} us/design."]
    if sb3:
        lines += ["", "Stable-Baselines3 PPO on Synthetic-v0, frames/s: " +
                  ", ".join(f"{k} {v:,.0f}" if isinstance(v, float) else f"{k}: {v}" for k, v in sb3.items())]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "bench_env_path.md").write_text(text)
        (RESULTS / "bench_env_path.json").write_text(json.dumps({"rows": rows, "first_use": starts,
                                                                 "sb3_frames_per_s": sb3,
                                                                 "batched_validation": val}, indent=1))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
