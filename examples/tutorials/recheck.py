"""Tutorial: search on a trained surrogate, then re-check the best designs on the simulator.

The command-line equivalent:

    archgym surrogate recheck sys.surrogate --agent ga --budget 100000 --top 10

A surrogate also plugs into any environment as its backend
(``gym.make(..., backend="surrogate", model=path)``), which is what the search below runs on.

    python examples/tutorials/recheck.py runs/tutorial-surrogate/sys.surrogate --budget 5000
"""

from __future__ import annotations

import argparse
from pathlib import Path

import gymnasium as gym

import archgym  # noqa: F401  (registers the ids)
from archgym.surrogates.recheck import search_and_recheck


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path, help="a saved surrogate (see surrogate.py)")
    ap.add_argument("--agent", default="ga")
    ap.add_argument("--budget", type=int, default=5000, help="surrogate evaluations of the search")
    ap.add_argument("--top", type=int, default=5, help="best distinct designs re-simulated")
    args = ap.parse_args(argv)

    # the surrogate as an environment backend: metrics are predicted, info says so
    env = gym.make("archgym/SystolicArray-v0", backend="surrogate", model=str(args.model))
    env.reset(seed=0)
    _, reward, _, _, info = env.step(env.action_space.sample())
    print(f"one predicted step: backend={info['backend']}, predicted={info['predicted']}, reward={reward:.4f}")

    # search on the surrogate, simulate the top designs, compare predicted with simulated
    result = search_and_recheck(str(args.model), agent=args.agent, budget=args.budget, top=args.top, seed=0)
    s = result.summary
    print(f"predicted best reward {s['predicted_best_reward']:.4f}, simulated {s['simulated_reward_of_predicted_best']:.4f}")
    print(f"best simulated reward {s['best_simulated_reward']:.4f} (rank {s['best_simulated_rank_predicted']} by the surrogate)")
    print(result.table[["reward_predicted", "reward_simulated", "feasible"]].to_string())
    return s


if __name__ == "__main__":
    main()
