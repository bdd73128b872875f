"""Per-layer surrogates on networks they never saw (issue 18 item 3).

    .venv/bin/python benchmarks/bench_surrogate_transfer.py [--envs systolic,dataflow] [--n-train 600]
        [--n-test 200] [--seed 0] [--model hgb] [--random-shapes 0]

Per environment: ``--n-train`` random designs (seed ``--seed``) are simulated layer by layer on every
distinct layer of the training networks (SystolicArray-v0: ResNet-18, ResNet-50, MobileNet-v1;
Dataflow-v0: ResNet-50, MobileNet-v2) and a per-layer surrogate
(:class:`archgym.surrogates.per_layer.PerLayerSurrogate`) is fitted. ``--n-test`` other random designs
(seed ``--seed + 1``) are then simulated by the environment itself on each held-out network (the
network totals the simulator reports) and predicted as the sum over that network's layers; the table
gives RMSE as % of the mean, MAPE and Kendall tau of the network's cycles and energy over those
designs. The training networks on the test designs are reported too (unseen designs, seen layers).
``--random-shapes N`` adds N random layer shapes (log-uniform GEMMs and convolutions, of no network) to the
systolic training rows, so that the trees see layers as large as the held-out ones.
Before the fit, the sum of the simulator's own per-layer figures is checked against its network totals.

Writes benchmarks/results/bench_surrogate_transfer.{md,json}. The machine may be shared: times are wall
times of this run.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SPLITS = {
    "systolic": (["resnet18", "resnet50", "mobilenet_v1"],
                 ["alexnet", "vgg16", "bert_base", "vit_b16", "llama3_8b_prefill", "llama3_8b_decode_b1",
                  "llama3_8b_decode_b16"]),
    "dataflow": (["resnet50", "mobilenetv2"], ["alexnet", "llama3_8b_prefill", "llama3_8b_decode_b1",
                                                "llama3_8b_decode_b16"]),
}


def bench(kind: str, args) -> dict:
    from archgym.surrogates.metrics import kendall_tau, mape_pct, rmse
    from archgym.surrogates.per_layer import DataflowLayers, PerLayerSurrogate, SystolicLayers

    adapter = SystolicLayers() if kind == "systolic" else DataflowLayers()
    train_w, test_w = SPLITS[kind]
    n_train = args.n_train if kind == "systolic" else args.n_train_dataflow
    n_test = args.n_test if kind == "systolic" else args.n_test_dataflow
    space = adapter.space
    train_designs = space.sample_many(n_train, np.random.default_rng(args.seed))
    test_designs = space.sample_many(n_test, np.random.default_rng(args.seed + 1))
    # the decomposition the surrogate relies on: per-layer figures x repeat counts = the network totals
    shapes, reps = adapter.layers(train_w[0])
    few = test_designs[:5]
    per, ok = adapter.simulate_layers(few, shapes)
    truth, ok2 = adapter.network_truth(few, train_w[0])
    both = ok & ok2
    identity = float(np.max(np.abs(np.einsum("dlm,l->dm", per[both], reps) / truth[both] - 1))) if both.any() else None
    print(f"[{kind}] sum of per-layer figures vs network totals on {train_w[0]}: max rel diff {identity}", flush=True)
    t0 = time.perf_counter()
    extra = args.random_shapes if kind == "systolic" else 0
    model = PerLayerSurrogate.fit(adapter, train_designs, train_w, model=args.model, seed=args.seed,
                                  random_shapes=extra)
    print(f"[{kind}] fitted in {time.perf_counter() - t0:.0f} s: {model.metadata}", flush=True)
    rows = []
    for w in train_w + test_w:
        t0 = time.perf_counter()
        Y, ok = adapter.network_truth(test_designs, w)
        sim_s = time.perf_counter() - t0
        designs = [d for d, f in zip(test_designs, ok) if f]
        t0 = time.perf_counter()
        P = model.predict_network(designs, w)
        pred_s = time.perf_counter() - t0
        Y = Y[ok]
        row = {"workload": w, "seen": w in train_w, "n_designs": len(designs),
               "n_layer_shapes": len(adapter.layers(w)[0]), "sim_s": sim_s, "predict_s": pred_s}
        for j, m in enumerate(adapter.metrics):
            row[m] = {"rmse_pct_mean": 100 * rmse(Y[:, j], P[:, j]) / float(np.mean(np.abs(Y[:, j]))),
                      "mape_pct": mape_pct(Y[:, j], P[:, j]), "kendall_tau": kendall_tau(Y[:, j], P[:, j]),
                      "log_rmse": float(np.sqrt(np.mean((np.log(P[:, j]) - np.log(Y[:, j])) ** 2)))}
        edp_t, edp_p = Y[:, 0] * Y[:, 1], P[:, 0] * P[:, 1]
        row["edp"] = {"kendall_tau": kendall_tau(edp_t, edp_p), "mape_pct": mape_pct(edp_t, edp_p)}
        rows.append(row)
        print(f"[{kind}] {w}: " + ", ".join(f"{m} rmse {row[m]['rmse_pct_mean']:.1f}% tau {row[m]['kendall_tau']:.3f}"
                                             for m in adapter.metrics), flush=True)
    return {"env_id": adapter.env_id, "train_workloads": train_w, "test_workloads": test_w,
            "n_train_designs": n_train, "n_test_designs": n_test, "model": args.model,
            "fit": model.metadata, "per_layer_sum_identity_max_rel_diff": identity, "rows": rows}


def markdown(res: dict, cmd: str) -> str:
    out = ["# Per-layer surrogates on unseen networks (issue 18 item 3)", "",
           f"Command: `{cmd}` (commit {res['commit']}, {res['date']}, Python {res['python']}).", "",
           "A per-layer surrogate (`archgym.surrogates.per_layer`) predicts one layer's cycles and energy on one "
           "design from the design and the layer's shape (never a simulator output); a network is the sum over "
           "its distinct layers times their repeat counts. Ground truth: the environment's own network totals "
           "on random test designs drawn with another seed than the training designs. RMSE is % of the mean "
           "over the test designs; tau is Kendall's tau-b over them; EDP = energy x cycles of the predictions.", ""]
    for r in res["envs"].values():
        f = r["fit"]
        out += [f"## {r['env_id']}", "",
                f"Trained on {', '.join(r['train_workloads'])}: {f['n_designs']} random designs x "
                f"{f['n_layer_shapes']} distinct layer shapes"
                + (f" (of which {f['random_shapes']} random shapes of no network)" if f.get("random_shapes") else "")
                + f" = {f['n_rows']} rows (layer simulation "
                f"{f['simulate_seconds']:.0f} s, fit {f['fit_seconds']:.0f} s, model {r['model']}). Sum of the "
                f"simulator's per-layer figures against its network totals: max relative difference "
                f"{r['per_layer_sum_identity_max_rel_diff']:.1e}.", "",
                "| network | seen in training | test designs | layer shapes | cycles RMSE % mean | cycles MAPE % | "
                "cycles tau | energy RMSE % mean | energy MAPE % | energy tau | EDP tau |",
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        e = r["rows"][0]
        energy = [m for m in e if m.startswith("energy")][0]
        for row in r["rows"]:
            c, en = row["cycles"], row[energy]
            out.append(f"| {row['workload']} | {'yes' if row['seen'] else '**no**'} | {row['n_designs']} | "
                       f"{row['n_layer_shapes']} | {c['rmse_pct_mean']:.1f} | {c['mape_pct']:.1f} | "
                       f"{c['kendall_tau']:.3f} | {en['rmse_pct_mean']:.1f} | {en['mape_pct']:.1f} | "
                       f"{en['kendall_tau']:.3f} | {row['edp']['kendall_tau']:.3f} |")
        out.append("")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--envs", default="systolic,dataflow")
    ap.add_argument("--n-train", type=int, default=600, help="training designs, SystolicArray-v0")
    ap.add_argument("--n-test", type=int, default=200, help="test designs, SystolicArray-v0")
    ap.add_argument("--n-train-dataflow", type=int, default=150, help="training designs, Dataflow-v0 (slow mapper)")
    ap.add_argument("--n-test-dataflow", type=int, default=60, help="test designs, Dataflow-v0")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model", default="hgb")
    ap.add_argument("--random-shapes", type=int, default=0,
                    help="SystolicArray-v0: also train on this many random layer shapes of no network")
    ap.add_argument("--out", default=str(RESULTS / "bench_surrogate_transfer"))
    args = ap.parse_args(argv)
    envs = [e.strip() for e in args.envs.split(",") if e.strip()]
    bad = [e for e in envs if e not in SPLITS]
    if bad:
        ap.error(f"--envs: {bad} not allowed; allowed: {sorted(SPLITS)}")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    res = {"commit": commit, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "python": platform.python_version(), "argv": sys.argv[1:], "envs": {}}
    for e in envs:
        res["envs"][e] = bench(e, args)
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(res, indent=2) + "\n")
    cmd = "python benchmarks/bench_surrogate_transfer.py " + " ".join(sys.argv[1:])
    out.with_suffix(".md").write_text(markdown(res, cmd.strip()))
    print(f"wrote {out}.json and {out}.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
