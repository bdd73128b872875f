"""Tutorial: collect a dataset of simulated designs and train a surrogate cost model on it.

The command-line equivalent:

    archgym collect archgym/SystolicArray-v0 -n 20000 --sampler lhs --seed 0 --out runs/sys-lhs
    archgym surrogate train runs/sys-lhs --model hgb --out sys.surrogate

This script does the same through the Python API, on a smaller sample by default:

    python examples/tutorials/surrogate.py --n 2000 --out runs/tutorial-surrogate
"""

from __future__ import annotations

import argparse
from pathlib import Path

from archgym.collect import collect
from archgym.surrogates import train

ENV_ID = "archgym/SystolicArray-v0"


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="designs to simulate")
    ap.add_argument("--model", default="hgb", help="rf, hgb, xgb, knn, mlp or gp")
    ap.add_argument("--out", type=Path, default=Path("runs/tutorial-surrogate"))
    args = ap.parse_args(argv)

    # 1. simulate a Latin-hypercube sample of the design space; one dataset row per design
    data = args.out / "dataset"
    collect(ENV_ID, args.n, sampler="lhs", seed=0, out=data, progress=False)

    # 2. fit on 80 % of the designs, report on the held-out 20 %
    result = train(data, model=args.model, seed=0, speed=False)
    for metric, r in result.report["metrics"].items():
        print(f"{metric:16s} RMSE {r['rmse_pct_mean']:6.2f} % of the mean   R2 {r['r2']:.3f}")
    print(f"reward ranking on held-out designs: Kendall tau {result.report['reward']['kendall_tau']:.3f}")

    # 3. save it: one zip with the model, the design space and the dataset's identity
    path = result.surrogate.save(args.out / "sys.surrogate")
    print("saved", path)
    return path


if __name__ == "__main__":
    main()
