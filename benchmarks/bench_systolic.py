"""Benchmark: the systolic-array model against SCALE-Sim 3.0, in one run.

Times SCALE-Sim (PyPI ``scalesim``, run per layer through its Python API with
``save_disk_space=True``), the analytic model and the exact replay on the same layers and designs,
and reports the speed ratios and the agreement of every report quantity; checks the analytic
model against the exact replay (which reproduces SCALE-Sim) on a calibration set of random
(shipped layer, environment design) pairs in USER mode; then measures designs evaluated per second
through ``env.step`` and through the vectorised batch path.

    .venv/bin/python benchmarks/bench_systolic.py          # about ten minutes on a loaded 2-core machine
    .venv/bin/python benchmarks/bench_systolic.py --full   # more layers, designs and calibration pairs (much longer)
    .venv/bin/python benchmarks/bench_systolic.py --calibration-only   # only the analytic-vs-replay sets (~1 min)

Writes benchmarks/results/systolic.json and benchmarks/results/systolic.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

FIELDS_EXACT = ("compute_cycles", "sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes", "mapping_eff_pct",
                "compute_util_pct")
FIELDS_MEMORY = ("total_cycles", "stall_cycles", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes",
                 "overall_util_pct")


def _layers(full: bool):
    """Real layers of the shipped workloads, small enough for SCALE-Sim: from each workload, the
    largest distinct layer whose longest run on the benchmark designs stays under a cycle cap
    (SCALE-Sim needs ~200 us per simulated cycle)."""
    from archgym import datasets
    from archgym.envs.systolic import WORKLOADS
    from archgym.simulators.systolic import simulate_batch

    cap = 60_000 if full else 12_000
    designs = _designs(full)
    out = []
    for workload in WORKLOADS:
        from archgym.simulators.systolic import load_workload

        layers = load_workload(datasets.path("workloads", f"{workload}.csv"))
        cycles = simulate_batch(designs, layers, per_layer=True)["layers"]["compute_cycles"].max(axis=0)
        ok = [(int(c), l) for c, l in zip(cycles, layers) if c <= cap]
        seen, picked = set(), []
        for _c, l in sorted(ok, key=lambda t: -t[0]):
            key = (l.gemm_m, l.gemm_n, l.gemm_k)
            if key not in seen:
                seen.add(key)
                picked.append((workload, dataclasses.replace(l, repeat=1)))  # one copy of a depth-wise layer
        out += picked[: (2 if full else 1)]
    return out


def _designs(full: bool):
    from archgym.simulators.systolic import SystolicConfig

    arrays = [(32, 32), (16, 64)] + ([(8, 8), (128, 128), (64, 16)] if full else [])
    out = []
    for rows, cols in arrays:
        for df in ("os", "ws", "is"):
            out.append(SystolicConfig(rows, cols, df, 64, 64, 64, "CALC"))
            out.append(SystolicConfig(rows, cols, df, 64, 64, 64, "USER", 10))
            if full:
                out.append(SystolicConfig(rows, cols, df, 16, 32, 16, "USER", 40))
    return out


def _time_model(fn, min_seconds=0.05):
    """Median seconds per call of fn (repeated until min_seconds have passed)."""
    fn()
    times = []
    t_end = time.perf_counter() + min_seconds
    while True:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() > t_end and len(times) >= 3:
            break
    return statistics.median(times)


def compare(full: bool, budget_s: float) -> dict:
    from archgym.simulators.systolic import simulate
    from archgym.simulators.systolic.validation.scalesim_runner import run_scalesim

    rows = []
    spent = 0.0
    simulate(_designs(False)[0], [_layers(False)[0][1]], memory="replay")  # numba compile outside the timings
    with tempfile.TemporaryDirectory(prefix="bench-scalesim-") as tmp:
        for config in _designs(full):
            for workload, layer in _layers(full):
                if spent > budget_s:
                    break
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ref = run_scalesim(config, [layer], Path(tmp) / "run")
                spent += ref["seconds"]
                t_an = _time_model(lambda: simulate(config, [layer]))
                t_re = _time_model(lambda: simulate(config, [layer], memory="replay"), 0.2)
                an = simulate(config, [layer])["layers"][0]
                re = simulate(config, [layer], memory="replay")["layers"][0]
                r = ref["layers"][0]
                rows.append({
                    "workload": workload, "layer": layer.name, "array": f"{config.array_rows}x{config.array_cols}",
                    "dataflow": config.dataflow, "mode": config.bandwidth_mode, "bandwidth": config.bandwidth,
                    "sram_kb": [config.ifmap_sram_kb, config.filter_sram_kb, config.ofmap_sram_kb],
                    "scalesim_s": ref["seconds"], "analytic_s": t_an, "replay_s": t_re,
                    "scalesim": {k: r[k] for k in FIELDS_EXACT + FIELDS_MEMORY},
                    "analytic": {k: an[k] for k in FIELDS_EXACT + FIELDS_MEMORY},
                    "replay": {k: re[k] for k in FIELDS_EXACT + FIELDS_MEMORY},
                })
                print(f"  {workload}/{layer.name} {config.array_rows}x{config.array_cols} {config.dataflow} "
                      f"{config.bandwidth_mode}: SCALE-Sim {ref['seconds']:.2f} s, analytic {t_an * 1e6:.0f} us, "
                      f"replay {t_re * 1e3:.1f} ms", flush=True)
    return {"rows": rows, "agreement": _agreement(rows), "speed": _speed(rows)}


def _agreement(rows):
    out = {}
    for model in ("analytic", "replay"):
        out[model] = {}
        for k in FIELDS_EXACT + FIELDS_MEMORY:
            errs = []
            exact = 0
            for r in rows:
                ref, got = r["scalesim"][k], r[model][k]
                if abs(got - ref) <= 1e-9 * max(1.0, abs(ref)):
                    exact += 1
                # stalls are often 0 in SCALE-Sim: measure their error against its total cycles
                scale = r["scalesim"]["total_cycles"] if k == "stall_cycles" else ref
                errs.append(abs(got - ref) / max(abs(scale), 1.0))
            out[model][k] = {"exact": exact, "n": len(rows), "max_rel_err": max(errs) if errs else 0.0,
                             "median_rel_err": statistics.median(errs) if errs else 0.0}
    return out


def _speed(rows):
    s = np.array([r["scalesim_s"] for r in rows])
    a = np.array([r["analytic_s"] for r in rows])
    p = np.array([r["replay_s"] for r in rows])
    return {
        "layers": len(rows), "scalesim_total_s": float(s.sum()), "analytic_total_s": float(a.sum()),
        "replay_total_s": float(p.sum()),
        "speedup_analytic_median": float(np.median(s / a)), "speedup_analytic_total": float(s.sum() / a.sum()),
        "speedup_replay_median": float(np.median(s / p)), "speedup_replay_total": float(s.sum() / p.sum()),
        "analytic_us_per_layer_median": float(np.median(a) * 1e6), "replay_ms_per_layer_median": float(np.median(p) * 1e3),
    }


CALIBRATED = ("total_cycles", "stall_cycles", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes")


def calibration(n: int, seed: int, max_work: float, mode: str = "USER") -> dict:
    """Analytic vs exact replay on ``n`` random (distinct shipped layer, environment design) pairs
    (the environment's USER bandwidth mode, or the same designs in CALC mode)."""
    from archgym.envs.systolic import calibration_pairs
    from archgym.simulators.systolic import simulate
    from archgym.simulators.systolic.exactness import exact_pairs

    t0 = time.perf_counter()
    rows = []
    for layer, config in calibration_pairs(n, seed, max_work):
        if mode != "USER":
            config = dataclasses.replace(config, bandwidth_mode=mode)
        a = simulate(config, [layer])["layers"][0]
        x = simulate(config, [layer], memory="replay")["layers"][0]
        rows.append({"overlap": layer.windows_overlap, "certified": int(exact_pairs([config], [layer])[0, 0]) == 0,
                     "analytic": {k: a[k] for k in CALIBRATED},
                     "replay": {k: x[k] for k in CALIBRATED}})
    out = {"mode": mode, "pairs": n, "seed": seed, "max_work": max_work, "seconds": time.perf_counter() - t0, "all": {},
           "single_copy_ifmap": {}, "overlapping_windows": {}, "certified_exact": {}, "not_certified": {}}
    for part, keep in (("all", lambda r: True), ("single_copy_ifmap", lambda r: not r["overlap"]),
                       ("overlapping_windows", lambda r: r["overlap"]), ("certified_exact", lambda r: r["certified"]),
                       ("not_certified", lambda r: not r["certified"])):
        sel = [r for r in rows if keep(r)]
        out[part]["pairs"] = len(sel)
        for k in CALIBRATED:
            if not sel:
                continue
            # stalls are often 0: measure their error against the replay's total cycles
            scale = [r["replay"]["total_cycles" if k == "stall_cycles" else k] for r in sel]
            err = np.array([abs(r["analytic"][k] - r["replay"][k]) / max(s_, 1) for r, s_ in zip(sel, scale)])
            ratio = np.array([r["analytic"][k] / r["replay"][k] if r["replay"][k] else 1.0 for r in sel])
            out[part][k] = {
                "exact": float(np.mean(err == 0)), "within_1pct": float(np.mean(err <= 0.01)),
                "within_5pct": float(np.mean(err <= 0.05)), "median_err": float(np.median(err)),
                "p90_err": float(np.percentile(err, 90)), "max_err": float(err.max()),
                "off_2x": int(np.sum((ratio > 2) | (ratio < 0.5))),
                "summed_ratio": float(sum(r["analytic"][k] for r in sel) / max(1, sum(r["replay"][k] for r in sel))),
            }
    print(f"  {n} pairs in {out['seconds']:.0f} s: total cycles within 5 % on "
          f"{out['all']['total_cycles']['within_5pct']:.1%}", flush=True)
    return out


def throughput(steps: int, batch: int) -> dict:
    import gymnasium as gym

    import archgym  # noqa: F401
    from archgym.envs.systolic import SystolicArrayEnv

    out = {}
    for workload in ("resnet18", "bert_base"):
        env = gym.make("archgym/SystolicArray-v0", workload=workload)
        env.reset(seed=0)
        env.action_space.seed(0)
        actions = [env.action_space.sample() for _ in range(steps)]
        env.step(actions[0])
        t0 = time.perf_counter()
        for a in actions:
            env.step(a)
        step_rate = steps / (time.perf_counter() - t0)
        raw = SystolicArrayEnv(workload=workload)
        designs = raw.design_space.sample_many(batch, 0)
        raw.simulate_batch(designs[:100])
        t0 = time.perf_counter()
        raw.simulate_batch(designs)
        batch_rate = batch / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        raw.evaluate_many(designs)
        eval_rate = batch / (time.perf_counter() - t0)
        out[workload] = {"layers": len(raw.layers), "env_step_designs_per_s": step_rate,
                         "simulate_batch_designs_per_s": batch_rate, "evaluate_many_designs_per_s": eval_rate}
        print(f"  {workload}: env.step {step_rate:,.0f} designs/s; vectorised simulate_batch {batch_rate:,.0f} "
              f"designs/s; evaluate_many (validation + batch) {eval_rate:,.0f} designs/s", flush=True)
    return out


def network_replay() -> dict:
    """Whole ResNet-18 on the environment's baseline design: analytic vs replay time and totals."""
    from archgym import datasets
    from archgym.simulators.systolic import SystolicConfig, load_workload, simulate

    layers = load_workload(datasets.path("workloads", "resnet18.csv"))
    out = {}
    for mode, bw in (("CALC", 10), ("USER", 10)):
        c = SystolicConfig(32, 32, "os", 64, 64, 64, mode, bw)
        t0 = time.perf_counter()
        re = simulate(c, layers, memory="replay")["total"]
        t_re = time.perf_counter() - t0
        t_an = _time_model(lambda: simulate(c, layers))
        an = simulate(c, layers)["total"]
        out[mode] = {"replay_s": t_re, "analytic_s": t_an, "replay_total_cycles": re["total_cycles"],
                     "analytic_total_cycles": an["total_cycles"], "replay_dram_words": re["dram_ifmap_reads"]
                     + re["dram_filter_reads"] + re["dram_ofmap_writes"], "analytic_dram_words": an["dram_ifmap_reads"]
                     + an["dram_filter_reads"] + an["dram_ofmap_writes"],
                     "estimated_scalesim_s": re["total_cycles"] * 200e-6}
        print(f"  resnet18 32x32 os {mode}: replay {t_re:.2f} s, analytic {t_an * 1e3:.2f} ms", flush=True)
    return out


def _markdown(res: dict) -> str:
    sp = res["comparison"]["speed"]
    lines = [
        "# Systolic-array model vs SCALE-Sim 3.0",
        "",
        f"Command: `{res['command']}` on {res['machine']} ({res['date']}).",
        *([f"Calibration sections rerun with `--calibration-only` on {res['calibration_date']} "
           "(the model unchanged since the full run)."] if res.get("calibration_date") else []),
        "",
        f"## Speed ({sp['layers']} layer runs)",
        "",
        "| | total s | median per layer | speed-up vs SCALE-Sim (median / total) |",
        "|---|---|---|---|",
        f"| SCALE-Sim 3.0.0 | {sp['scalesim_total_s']:.1f} | | |",
        f"| analytic model | {sp['analytic_total_s']:.4f} | {sp['analytic_us_per_layer_median']:.0f} us | "
        f"{sp['speedup_analytic_median']:,.0f}x / {sp['speedup_analytic_total']:,.0f}x |",
        f"| exact replay | {sp['replay_total_s']:.2f} | {sp['replay_ms_per_layer_median']:.1f} ms | "
        f"{sp['speedup_replay_median']:,.0f}x / {sp['speedup_replay_total']:,.0f}x |",
        "",
        "## Agreement with SCALE-Sim (exact matches / runs; relative error max, median; stall errors "
        "relative to SCALE-Sim's total cycles)",
        "",
        "| quantity | analytic exact | analytic max / median err | replay exact | replay max err |",
        "|---|---|---|---|---|",
    ]
    ag = res["comparison"]["agreement"]
    for k in FIELDS_EXACT + FIELDS_MEMORY:
        a, r = ag["analytic"][k], ag["replay"][k]
        lines.append(f"| {k} | {a['exact']}/{a['n']} | {a['max_rel_err']:.2%} / {a['median_rel_err']:.2%} | "
                     f"{r['exact']}/{r['n']} | {r['max_rel_err']:.2%} |")
    for cal in (res.get("calibration"), res.get("calibration_calc")):
        if not cal:
            continue
        lines += ["", f"## Analytic vs exact replay, {cal.get('mode', 'USER')} mode: {cal['pairs']} random (shipped layer, environment "
                  f"design) pairs (seed {cal['seed']}, compute cycles x (rows + cols) <= {cal['max_work']:.0e})", "",
                  "Errors relative to the replay's figure (stalls: to its total cycles); `2x`: pairs off by more "
                  "than a factor 2; summed = analytic total / replay total over the pairs. `certified_exact`: "
                  "pairs simulators.systolic.exactness.exact_pairs certifies exact (must be 100 % exact), "
                  "`not_certified`: the rest.", "",
                  "| pairs | quantity | exact | within 1 % | within 5 % | median / p90 / max err | 2x | summed |",
                  "|---|---|---|---|---|---|---|---|"]
        for part in ("all", "single_copy_ifmap", "overlapping_windows", "certified_exact", "not_certified"):
            for k in CALIBRATED:
                v = cal.get(part, {}).get(k)
                if v:
                    lines.append(f"| {part} ({cal[part]['pairs']}) | {k} | {v['exact']:.1%} | {v['within_1pct']:.1%} | "
                                 f"{v['within_5pct']:.1%} | {v['median_err']:.2%} / {v['p90_err']:.2%} / "
                                 f"{v['max_err']:.2%} | {v['off_2x']} | {v['summed_ratio']:.4f} |")
    lines += ["", "## Designs per second", "", "| workload | layers | env.step | simulate_batch (vectorised) | "
              "evaluate_many |", "|---|---|---|---|---|"]
    for w, t in res["throughput"].items():
        lines.append(f"| {w} | {t['layers']} | {t['env_step_designs_per_s']:,.0f} | "
                     f"{t['simulate_batch_designs_per_s']:,.0f} | {t['evaluate_many_designs_per_s']:,.0f} |")
    nr = res.get("network_replay")
    if nr:
        lines += ["", "## Whole ResNet-18, 32x32 os, 64 KiB SRAMs", "",
                  "| mode | replay s | analytic ms | cycles replay / analytic | DRAM words replay / analytic | "
                  "SCALE-Sim estimate (200 us/cycle) |", "|---|---|---|---|---|---|"]
        for mode, v in nr.items():
            lines.append(f"| {mode} | {v['replay_s']:.2f} | {v['analytic_s'] * 1e3:.2f} | "
                         f"{v['replay_total_cycles']:,} / {v['analytic_total_cycles']:,} | "
                         f"{v['replay_dram_words']:,} / {v['analytic_dram_words']:,} | "
                         f"{v['estimated_scalesim_s'] / 60:.0f} min |")
    return "\n".join(lines) + "\n"


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="more layers and designs (SCALE-Sim takes much longer)")
    ap.add_argument("--scalesim-budget", type=float, default=None,
                    help="stop starting SCALE-Sim runs after this many seconds [default 150, --full 3600]")
    ap.add_argument("--steps", type=int, default=3000, help="env.step calls to time")
    ap.add_argument("--batch", type=int, default=50000, help="designs in the vectorised batch")
    ap.add_argument("--calibration", type=int, default=None,
                    help="random (layer, design) pairs checked against the replay [default 300, --full 1500]")
    ap.add_argument("--calibration-only", action="store_true",
                    help="rerun only the two calibration sets and update them in the saved results")
    args = ap.parse_args(argv)
    if args.calibration_only:
        n_cal = args.calibration if args.calibration is not None else (1500 if args.full else 300)
        res = json.loads((RESULTS / "systolic.json").read_text())
        res["calibration"] = calibration(n_cal, 0, 4e7 if args.full else 1e7)
        res["calibration_calc"] = calibration(n_cal, 0, 4e7 if args.full else 1e7, "CALC")
        res["calibration_date"] = time.strftime("%Y-%m-%d %H:%M")
        _write_atomic(RESULTS / "systolic.json", json.dumps(res, indent=2))
        md = _markdown(res)
        _write_atomic(RESULTS / "systolic.md", md)
        print(md)
        return 0
    budget = args.scalesim_budget if args.scalesim_budget is not None else (3600.0 if args.full else 150.0)
    try:
        import scalesim  # noqa: F401
    except ImportError:
        print("scalesim is not installed (pip install -e .[test]); it is needed for the comparison", file=sys.stderr)
        return 2
    print("SCALE-Sim vs model, per layer:")
    comparison = compare(args.full, budget)
    print("Analytic vs replay on random environment designs:")
    cal = calibration(args.calibration if args.calibration is not None else (1500 if args.full else 300), 0,
                      4e7 if args.full else 1e7)
    cal_calc = calibration(args.calibration if args.calibration is not None else (1500 if args.full else 300), 0,
                           4e7 if args.full else 1e7, "CALC")
    print("Throughput:")
    thr = throughput(args.steps, args.batch)
    print("Whole network:")
    net = network_replay()
    res = {
        "command": "python benchmarks/bench_systolic.py" + (" --full" if args.full else ""),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "comparison": comparison, "calibration": cal, "calibration_calc": cal_calc, "throughput": thr, "network_replay": net,
    }
    _write_atomic(RESULTS / "systolic.json", json.dumps(res, indent=2))
    md = _markdown(res)
    _write_atomic(RESULTS / "systolic.md", md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
