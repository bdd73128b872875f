"""Benchmark: the loop-nest dataflow model and its mapper, against ZigZag (zigzag-dse), in one run.

Measures, on this machine and in the same process:

1. one fixed-mapping evaluation (reuse analysis + cost, ``cost.evaluate``) -- goal < 100 us -- and
   ZigZag's cost model on the same accelerator, layer and mapping (its CostModelEvaluation), as a ratio;
2. the mapper per layer (budget 1200, hybrid search) and ZigZag's own search
   (``get_hardware_performance_zigzag``, LOMA, lpf_limit 6, on its tpu_like accelerator) on the same
   layers, as a ratio, with the cycles each search's mapping achieves (both mappings costed by this model);
3. a full-network architecture evaluation with the mapping search inside (``network_cost``, what one step
   of archgym/Dataflow-v0 does) for AlexNet, ResNet-50 and MobileNetV2 -- goal < 1 s -- and env steps/s.

    .venv/bin/python benchmarks/bench_dataflow.py           # about a minute (plus numba's first compile)
    .venv/bin/python benchmarks/bench_dataflow.py --quick   # skip the live ZigZag search
    .venv/bin/python benchmarks/bench_dataflow.py --quick --compare-old /tmp/old/dataflow
        # also time a copy of an older simulators/dataflow folder (e.g. ``git archive``) on the same designs

4. Dataflow-v0's simulation of one unseen AlexNet design (architecture + mapping search of every layer), CPU
   time per design (``time.process_time``) -- goal <= 5 ms (issue 15) -- optionally interleaved with an
   older copy of the package on the same designs, as a same-run ratio.

Writes benchmarks/results/bench_dataflow.json and benchmarks/results/bench_dataflow.md.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import importlib.util
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
REF_CSV = ROOT / "tests" / "reference" / "dataflow" / "zigzag_reference.csv"
#: reference rows timed against ZigZag (its quickest searches: 1.4-5.4 s each in the reference run)
SEARCH_ROWS = ("gemm_SD_MatMul_QK_128x64x128", "resnet18_FC", "yolo_tiny_Conv9")


def _median_seconds(fn, min_seconds=0.3, min_calls=5):
    fn()
    times, end = [], time.perf_counter() + min_seconds
    while len(times) < min_calls or time.perf_counter() < end:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _reference_rows():
    if not REF_CSV.exists():
        return []
    with REF_CSV.open() as f:
        return {r["layer"]: r for r in csv.DictReader(f)}


def _case(row):
    from archgym.simulators.dataflow.formats.zigzag import (
        TPU_LIKE_MEMORIES,
        layer_from_loop_sizes,
        mapping_from_zigzag,
        parse_spatial,
        parse_temporal,
        tpu_like,
    )

    stride = 2 if row["layer"] in ("mobilenet_Conv1", "resnet18_Conv4_s") else 1
    layer = layer_from_loop_sizes(row["layer"], row["loop_sizes"], stride)
    arch, mapping = mapping_from_zigzag(tpu_like(), parse_temporal(row["temporal_mapping"]),
                                        parse_spatial(row["spatial_mapping"]), TPU_LIKE_MEMORIES, "sram_2MB")
    return layer, arch, mapping


def bench_fixed_mapping(rows, out):
    from archgym import datasets
    from archgym.simulators.dataflow.cost import evaluate
    from archgym.simulators.dataflow.eyeriss import eyeriss_like
    from archgym.simulators.dataflow.mapper import Mapper
    from archgym.simulators.dataflow.network import load_layers

    cases = []
    arch = eyeriss_like()
    for ly in load_layers(datasets.path("dataflow", "alexnet.csv"))[:2]:
        cases.append(("eyeriss_like", ly, arch, Mapper(arch).search_layer(ly)[0]))
    for name in ("googlenet_Inc5b_3x3", "gemm_vit_s_L0_196x192x384"):
        if name in rows:
            ly, a, m = _case(rows[name])
            cases.append(("tpu_like", ly, a, m))
    try:
        from archgym.simulators.dataflow.validation import zigzag_bridge as zz
        zz_acc = zz.accelerator("tpu_like")
    except ImportError:
        zz = None
    out["fixed_mapping"] = []
    for accel, ly, a, m in cases:
        t = _median_seconds(lambda: evaluate(a, ly, m))
        rec = {"architecture": accel, "layer": ly.name, "model_us": t * 1e6}
        if zz is not None and accel == "tpu_like":
            row = rows[ly.name]
            spatial = {oa: [(_zz(d), f) for d, f in v] for oa, v in _spatial(row).items()}
            temporal = {op: [[(_zz(d), f) for d, f in lv] for lv in lvs] for op, lvs in _temporal(row).items()}
            node = zz.layer_node(ly)
            tz = _median_seconds(lambda: zz.cost_model(node, zz_acc, spatial, temporal), min_seconds=0.5, min_calls=5)
            rec.update({"zigzag_cost_model_us": tz * 1e6, "speedup": tz / t})
        out["fixed_mapping"].append(rec)
        print(f"fixed mapping  {accel:13s} {ly.name:32s} {rec['model_us']:8.1f} us"
              + (f"   ZigZag {rec['zigzag_cost_model_us']:9.1f} us  ({rec['speedup']:.0f}x)" if "speedup" in rec else ""))


def _spatial(row):
    from archgym.simulators.dataflow.formats.zigzag import parse_spatial
    return parse_spatial(row["spatial_mapping"])


def _temporal(row):
    from archgym.simulators.dataflow.formats.zigzag import parse_temporal
    return parse_temporal(row["temporal_mapping"])


def _zz(d):
    return {"N": "B", "P": "OY", "Q": "OX", "R": "FY", "S": "FX"}.get(d, d)


def bench_search(rows, out, live_zigzag: bool):
    from archgym.simulators.dataflow.cost import evaluate
    from archgym.simulators.dataflow.formats.zigzag import tpu_like
    from archgym.simulators.dataflow.mapper import Mapper

    out["search"] = []
    for name in SEARCH_ROWS:
        if name not in rows:
            continue
        row = rows[name]
        ly, a, zmap = _case(row)
        t0 = time.perf_counter()
        best = Mapper(tpu_like(), objective="delay", budget=1200).best(ly)
        t_mine = time.perf_counter() - t0
        rec = {"layer": name, "mapper_s": t_mine, "mapper_cycles": best.cycles,
               "zigzag_mapping_cycles": evaluate(a, ly, zmap).cycles,
               "zigzag_search_s_reference_run": float(row["wall_s_layer"])}
        if live_zigzag:
            rec["zigzag_search_s"] = _zigzag_search(ly)
            rec["speedup"] = rec["zigzag_search_s"] / t_mine
        out["search"].append(rec)
        print(f"search         {name:32s} mapper {t_mine * 1e3:7.1f} ms  cycles {best.cycles:9.0f} "
              f"(ZigZag's mapping {rec['zigzag_mapping_cycles']:9.0f})"
              + (f"   ZigZag search {rec['zigzag_search_s']:6.2f} s ({rec['speedup']:.0f}x)" if live_zigzag else ""))


def _zigzag_search(layer) -> float:
    """Seconds of ZigZag's own search (LOMA, latency, lpf_limit 6) for one layer on tpu_like."""
    from archgym.simulators.dataflow.validation import zigzag_bridge as zz

    return zz.search(layer)[1]


def bench_networks(out):
    from archgym import datasets
    from archgym.simulators.dataflow.eyeriss import eyeriss_like
    from archgym.simulators.dataflow.mapper import Mapper
    from archgym.simulators.dataflow.network import load_layers, network_cost

    out["network"] = []
    arch = eyeriss_like()
    for net in ("alexnet", "resnet50", "mobilenetv2"):
        layers = load_layers(datasets.path("dataflow", f"{net}.csv"))
        shapes = len({ly.shape_key for ly in layers})
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            cost = network_cost(arch, layers, Mapper(arch))
            times.append(time.perf_counter() - t0)
        t = min(times)
        rec = {"network": net, "layers": len(layers), "distinct_shapes": shapes, "seconds": t,
               "ms_per_shape": t / shapes * 1e3, **cost.metrics()}
        out["network"].append(rec)
        print(f"network        {net:12s} {shapes:3d} shapes  {t:6.3f} s  ({rec['ms_per_shape']:.1f} ms per shape)  "
              f"{rec['energy_uj']:10.1f} uJ {rec['cycles']:12.0f} cycles")


def bench_env(out):
    import gymnasium as gym

    import archgym  # noqa: F401
    env = gym.make("archgym/Dataflow-v0", cache_size=0)
    env.reset(seed=0)
    env.action_space.seed(0)
    n, t0 = 10, time.perf_counter()
    for _ in range(n):
        env.step(env.action_space.sample())
    t = (time.perf_counter() - t0) / n
    env2 = gym.make("archgym/Mapping-v0")
    env2.reset(seed=0)
    env2.action_space.seed(0)
    m, t1 = 300, time.perf_counter()
    for _ in range(m):
        env2.step(env2.action_space.sample())
    t2 = (time.perf_counter() - t1) / m
    out["env"] = {"dataflow_step_s": t, "dataflow_steps_per_s": 1 / t, "mapping_step_us": t2 * 1e6,
                  "mapping_steps_per_s": 1 / t2}
    print(f"env            Dataflow-v0 (AlexNet, new designs) {t:.3f} s/step;  Mapping-v0 {t2 * 1e6:.0f} us/step")


def _load_package_copy(folder: str) -> str:
    """Import a copy of ``simulators/dataflow`` from ``folder`` as ``archgym.simulators.dataflow_old`` (its
    relative imports of the other simulators resolve to this checkout's); returns the package name."""
    import archgym.simulators as sims

    name = "archgym.simulators.dataflow_old"
    spec = importlib.util.spec_from_file_location(name, Path(folder) / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    if spec is None:
        raise SystemExit(f"--compare-old {folder}: no __init__.py there (expected a copy of simulators/dataflow)")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    sims.dataflow_old = mod
    return name


def bench_design_cpu(out, n: int, old_folder: str | None):
    """CPU time per unseen AlexNet design of Dataflow-v0's simulation (eyeriss_like + network_cost), the
    packages interleaved design by design when an old copy is given."""
    import numpy as np

    from archgym import datasets
    from archgym.envs.dataflow import design_space

    pkgs = {"current": "archgym.simulators.dataflow"}
    if old_folder:
        pkgs["old"] = _load_package_copy(old_folder)
    impl = {}
    for k, pkg in pkgs.items():
        ey, mp, nw = (importlib.import_module(f"{pkg}.{m}") for m in ("eyeriss", "mapper", "network"))
        layers = nw.load_layers(datasets.path("dataflow", "alexnet.csv"))
        base = ey.eyeriss_like()
        nw.network_cost(base, layers, mp.Mapper(base))  # compile / cache load
        impl[k] = (ey.eyeriss_like, mp.Mapper, nw.network_cost, layers)
    designs = design_space().sample_many(n, np.random.default_rng(int(time.time())))
    cpu = dict.fromkeys(impl, 0.0)
    same = True
    for d in designs:
        got = {}
        for k, (eyeriss_like, Mapper, network_cost, layers) in impl.items():
            t0 = time.process_time()
            arch = eyeriss_like(d)
            got[k] = network_cost(arch, layers, Mapper(arch)).metrics()
            cpu[k] += time.process_time() - t0
        same = same and all(v == got["current"] for v in got.values())
    rec = {"designs": n, "current_ms_cpu": cpu["current"] / n * 1e3}
    if "old" in cpu:
        rec.update({"old_folder": old_folder, "old_ms_cpu": cpu["old"] / n * 1e3, "speedup": cpu["old"] / cpu["current"],
                    "identical_metrics": same})
    out["design_cpu"] = rec
    print(f"Dataflow-v0    AlexNet, {n} unseen designs: {rec['current_ms_cpu']:.2f} ms CPU per design"
          + (f"  (old copy {rec['old_ms_cpu']:.2f} ms, {rec['speedup']:.2f}x, identical metrics: {same})"
             if "old" in cpu else ""))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the live ZigZag search")
    ap.add_argument("--designs", type=int, default=100, help="unseen AlexNet designs timed by CPU time (default 100)")
    ap.add_argument("--compare-old", metavar="FOLDER", help="a copy of an older simulators/dataflow to time alongside")
    args = ap.parse_args(argv)
    rows = _reference_rows()
    out = {"machine": {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
                       "loadavg_1m_at_start": os.getloadavg()[0]}}
    t0 = time.perf_counter()
    from archgym.simulators.dataflow.eyeriss import eyeriss_like
    from archgym.simulators.dataflow.formats.zigzag import tpu_like
    from archgym.simulators.dataflow.mapper import Mapper
    from archgym.simulators.dataflow.workload import conv

    # numba compile / cache load of every specialisation timed below (both architectures, both objectives)
    warm = conv("warm", K=8, C=8, H=8, R=3, padding=1)
    Mapper(eyeriss_like(), budget=16).best(warm)
    Mapper(tpu_like(), objective="delay", budget=16).best(warm)
    out["warmup_s"] = time.perf_counter() - t0
    bench_fixed_mapping(rows, out)
    bench_search(rows, out, live_zigzag=not args.quick)
    bench_networks(out)
    bench_env(out)
    bench_design_cpu(out, args.designs, args.compare_old)
    goals = {
        "fixed_mapping_under_100us": all(r["model_us"] < 100 for r in out["fixed_mapping"]),
        "network_under_1s": all(r["seconds"] < 1.0 for r in out["network"]),
        "dataflow_v0_alexnet_design_under_5ms_cpu": out["design_cpu"]["current_ms_cpu"] <= 5.0,
    }
    out["goals"] = goals
    RESULTS.mkdir(parents=True, exist_ok=True)
    from archgym.files.atomic import atomic_path

    with atomic_path(RESULTS / "bench_dataflow.json") as p:
        p.write_text(json.dumps(out, indent=2))
    with atomic_path(RESULTS / "bench_dataflow.md") as p:
        p.write_text(_markdown(out))
    print(f"goals: {goals}  (load average at start {out['machine']['loadavg_1m_at_start']:.1f} on "
          f"{out['machine']['cpus']} CPUs)")


def _markdown(out) -> str:
    lines = ["# bench_dataflow", "",
             f"Machine: {out['machine']['platform']}, {out['machine']['cpus']} CPUs, load average "
             f"{out['machine']['loadavg_1m_at_start']:.1f} at start; numba warm-up {out['warmup_s']:.1f} s.", "",
             "## Fixed-mapping evaluation (goal < 100 us)", "",
             "| architecture | layer | model us | ZigZag cost model us | ratio |", "|---|---|---|---|---|"]
    for r in out["fixed_mapping"]:
        zz = (f"{r['zigzag_cost_model_us']:.0f} | {r['speedup']:.0f}x" if "speedup" in r
              else "- (not a ZigZag accelerator) | -")
        lines.append(f"| {r['architecture']} | {r['layer']} | {r['model_us']:.1f} | {zz} |")
    lines += ["", "## Mapping search per layer (tpu_like, delay objective, budget 1200)", "",
              "| layer | mapper ms | ZigZag search s | ratio | mapper cycles | ZigZag's mapping cycles |",
              "|---|---|---|---|---|---|"]
    for r in out["search"]:
        zs = r.get("zigzag_search_s", r["zigzag_search_s_reference_run"])
        lines.append(f"| {r['layer']} | {r['mapper_s'] * 1e3:.1f} | {zs:.2f}"
                     f"{'' if 'zigzag_search_s' in r else ' (reference run)'} | {zs / r['mapper_s']:.0f}x | "
                     f"{r['mapper_cycles']:.0f} | {r['zigzag_mapping_cycles']:.0f} |")
    lines += ["", "## Full network with mapping search (Eyeriss-like baseline, goal < 1 s)", "",
              "| network | layers | distinct shapes | s | ms/shape | energy uJ | cycles |", "|---|---|---|---|---|---|---|"]
    for r in out["network"]:
        lines.append(f"| {r['network']} | {r['layers']} | {r['distinct_shapes']} | {r['seconds']:.3f} | "
                     f"{r['ms_per_shape']:.1f} | {r['energy_uj']:.1f} | {r['cycles']:.0f} |")
    e = out["env"]
    lines += ["", f"Env steps: Dataflow-v0 (AlexNet, unseen designs) {e['dataflow_step_s']:.3f} s/step; "
              f"Mapping-v0 {e['mapping_step_us']:.0f} us/step.", ""]
    c = out["design_cpu"]
    lines += ["## Dataflow-v0 simulation per unseen AlexNet design, CPU time (goal <= 5 ms)", "",
              f"{c['designs']} random designs, `time.process_time` around `eyeriss_like` + `network_cost`: "
              f"**{c['current_ms_cpu']:.2f} ms** per design."]
    if "old_ms_cpu" in c:
        lines.append(f"Same run, interleaved design by design, the copy at `{c['old_folder']}`: {c['old_ms_cpu']:.2f} ms "
                     f"(current {c['speedup']:.2f}x; identical metrics on every design: {c['identical_metrics']}).")
    lines += ["", f"Goals: {out['goals']}", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
