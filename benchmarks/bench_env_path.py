"""Benchmark: the path an RL agent takes, per environment: single steps, native vector steps, batched evaluation.

For every registered id (with the small-workload settings below for the slow ones), in one process:

- **single**: ``env.step`` on random actions (cache off), steps/s, and the time ``step`` adds above the
  simulator's own ``simulate_batch`` call on the same designs (decode, reward, observation, info);
- **vector**: ``gymnasium.make_vec(id, num_envs=N)`` (archgym's native vector env, SameStep autoreset, cache
  off), designs/s, and its ratio to batched;
- **batched**: ``env.unwrapped.evaluate_many`` on N x steps designs at once (cache off), designs/s.

Then Stable-Baselines3 PPO's frames/s on one Synthetic-v0 environment against ``SB3VecEnv`` with N copies.
Random actions are seeded; every figure is a median of ``--repeats`` timings.

    .venv/bin/python benchmarks/bench_env_path.py [--num-envs 64] [--steps 8] [--save]

With --save, writes benchmarks/results/bench_env_path.md and .json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
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
    venv = gym.make_vec(env_id, num_envs=n, autoreset_mode="SameStep", **kw)
    venv.reset(seed=0)
    venv.action_space.seed(0)
    vacts = [venv.action_space.sample() for _ in range(steps)]
    venv.step(vacts[0])
    t_vec = _median_time(lambda: [venv.step(a) for a in vacts], repeats) / (n * steps)
    return {"env": env_id, "single_steps_per_s": 1 / t_step, "step_overhead_us": (t_step - t_sim) * 1e6,
            "simulate_us": t_sim * 1e6, "vector_designs_per_s": 1 / t_vec, "batched_designs_per_s": 1 / t_batch,
            "vector_vs_batched": t_batch / t_vec}


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
    ap.add_argument("--save", action="store_true")
    args = ap.parse_args()
    rows = []
    for env_id in sorted(archgym.ENVIRONMENTS):
        r = measure(env_id, args.num_envs, args.steps, args.repeats)
        rows.append(r)
        print(f"{env_id:32s} single {r['single_steps_per_s']:9.0f}/s (step adds {r['step_overhead_us']:6.1f} us above "
              f"{r['simulate_us']:9.1f} us), vector {r['vector_designs_per_s']:9.0f}/s, batched "
              f"{r['batched_designs_per_s']:9.0f}/s ({r['vector_vs_batched']:.0%})", flush=True)
    sb3 = sb3_frames(args.num_envs, args.sb3_frames)
    lines = ["# The environment path: single, vector and batched", "",
             f"`.venv/bin/python benchmarks/bench_env_path.py --num-envs {args.num_envs} --steps {args.steps} --save` "
             f"({platform.machine()}, Python {platform.python_version()}, one process; 2 cores shared with other work). "
             "Cache off everywhere; median of "
             f"{args.repeats} timings. *step adds*: `step` time minus `simulate_batch([design])` on the same designs.", "",
             "| environment | single steps/s | step adds (us) | simulate one (us) | vector designs/s | batched designs/s | "
             "vector / batched |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['env']} | {r['single_steps_per_s']:,.0f} | {r['step_overhead_us']:.1f} | {r['simulate_us']:,.1f} | "
                     f"{r['vector_designs_per_s']:,.0f} | {r['batched_designs_per_s']:,.0f} | {r['vector_vs_batched']:.0%} |")
    lines += ["", "Stable-Baselines3 PPO on Synthetic-v0, frames/s: " +
              ", ".join(f"{k} {v:,.0f}" if isinstance(v, float) else f"{k}: {v}" for k, v in sb3.items())]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "bench_env_path.md").write_text(text)
        (RESULTS / "bench_env_path.json").write_text(json.dumps({"rows": rows, "sb3_frames_per_s": sb3}, indent=1))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
