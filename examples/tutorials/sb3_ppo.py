"""Tutorial: train Stable-Baselines3 PPO on a vector of archgym environments.

Four copies of SystolicArray-v0 with a flat MultiDiscrete action (``flat_action=True``) run in SB3's
DummyVecEnv; VecNormalize rescales the metrics (cycles are ~1e7, utilisation ~50) so the policy sees
inputs of order one. RecordEvaluations logs every design SB3 tries as dataset rows (the schema of
``archgym run``), readable with ``archgym.records.load_records``.

    python examples/tutorials/sb3_ppo.py --timesteps 2048 --out runs/sb3-ppo
"""

from __future__ import annotations

import argparse
from pathlib import Path

import gymnasium as gym
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

import archgym  # noqa: F401  (registers the ids)
from archgym.records import load_records
from archgym.trajectory import RecordEvaluations

ENV_ID = "archgym/SystolicArray-v0"


def make_env(rank: int, out: Path):
    """A factory for copy ``rank``: flat action, each copy logging its rows into its own folder."""
    def thunk():
        env = gym.make(ENV_ID, workload="resnet18", flat_action=True)
        return RecordEvaluations(env, out / f"env{rank}", agent="sb3-ppo")
    return thunk


def main(argv: list[str] | None = None) -> float:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timesteps", type=int, default=2048, help="designs evaluated in total")
    ap.add_argument("--n-envs", type=int, default=4)
    ap.add_argument("--out", type=Path, default=Path("runs/sb3-ppo"))
    args = ap.parse_args(argv)

    venv = VecNormalize(DummyVecEnv([make_env(i, args.out) for i in range(args.n_envs)]), norm_reward=False)
    venv.seed(0)
    n_steps = max(8, args.timesteps // (2 * args.n_envs))  # two PPO updates over the budget
    model = PPO("MlpPolicy", venv, n_steps=n_steps, batch_size=n_steps, n_epochs=4, seed=0, verbose=0)
    model.learn(total_timesteps=args.timesteps)
    venv.close()  # flushes the logged rows

    rows = load_records([args.out / f"env{i}" for i in range(args.n_envs)])
    best = rows.loc[rows["reward"].idxmax()]
    print(f"{len(rows)} designs evaluated; best reward {best['reward']:.4f}, target met by {int(rows['target_met'].sum())}")
    design = {k.removeprefix("design."): best[k] for k in rows.columns if k.startswith("design.")}
    print({k: v.item() if hasattr(v, "item") else v for k, v in design.items()})
    return float(best["reward"])


if __name__ == "__main__":
    main()
