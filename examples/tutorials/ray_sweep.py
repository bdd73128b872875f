"""Tutorial: run an archgym sweep on a Ray cluster (or, without ``--address``, on a local Ray).

On a cluster, the driver joins the head with ``--address HOST:6379``. When the cluster uses Ray's
token authentication, the driver needs the head's token in ``RAY_AUTH_TOKEN`` (or a file in
``RAY_AUTH_TOKEN_PATH``); archgym then switches the driver into token mode itself. Without
``--address`` the same spec runs on a Ray started for this script only, with ``--num-cpus`` cores.

    python examples/tutorials/ray_sweep.py --out runs/sweeps/tutorial                  # local Ray
    RAY_AUTH_TOKEN=... python examples/tutorials/ray_sweep.py --address HEAD:6379 --out /nfs/runs/tutorial
"""

from __future__ import annotations

import argparse
from pathlib import Path

from archgym.records import load_records
from archgym.sweeps.run import run_sweep
from archgym.sweeps.spec import SweepSpec, parse_sweep_spec


def tutorial_spec(budget: int) -> SweepSpec:
    """Two agents x two seeds on SystolicArray-v0: the same content as a YAML sweep file."""
    return parse_sweep_spec({
        "name": "tutorial",
        "budget": budget,
        "seeds": [0, 1],
        "envs": [{"id": "archgym/SystolicArray-v0", "workloads": ["resnet18"]}],
        "agents": [{"name": "random"}, {"name": "ga", "params": {"population_size": 16}}],
    }, source="tutorial_spec")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--address", default=None, help="HOST:6379 or auto to join a cluster; default: a local Ray")
    ap.add_argument("--num-cpus", type=int, default=2, help="cores of the local Ray (ignored with --address)")
    ap.add_argument("--budget", type=int, default=200, help="simulator evaluations per experiment")
    ap.add_argument("--out", type=Path, default=Path("runs/sweeps/tutorial"))
    args = ap.parse_args(argv)

    result = run_sweep(tutorial_spec(args.budget), args.out, address=args.address, num_cpus=args.num_cpus,
                       progress=False)
    print(f"completed {len(result.completed)}, errored {len(result.errored)}, retried {result.retried}")
    print("best:", result.best)
    rows = load_records(args.out)
    print(f"{len(rows)} rows in {args.out}; by agent:", rows.groupby("agent")["reward"].max().to_dict())
    return len(rows)


if __name__ == "__main__":
    main()
