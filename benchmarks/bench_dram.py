"""Speed of the DRAM controller model: requests/s per reference trace, env evaluations/s, compile time.

    .venv/bin/python benchmarks/bench_dram.py [--repeats 3] [--quick] [--compare-with DIR] [--save]

For each of the 15 reference traces (unpacked from tests/reference/dram/traces into a temp
dir) and each of the 12 reference controller configurations, the best-of-``repeats`` wall time of
one simulation (trace already parsed; controller, timing checker and DRAMPower energy included)
gives requests/s. DRAMSys's figures (``wall_s`` / ``requests_per_s`` in dramsys_full.csv) were
measured by the reference on this kind of machine, not in this run; DRAMSys is not installed here.
CPU (process) time is reported beside wall time: on a shared machine it is the steadier figure.
Environment evaluations/s: archgym/DRAM-v0 stepping random designs (result cache off). The numba
compile time of a first call is measured in a child process with an empty cache directory.

``--compare-with DIR`` times another copy of the simulator package (a ``simulators/dram`` folder, e.g. an
older commit's, unpacked with ``git archive <commit> simulators/dram | tar -x -C /tmp/before``) on the same
traces and configurations, interleaved run by run with this one so that both see the same machine load,
and reports before/after figures (for the environment: the same random designs on its workloads).
Prints its report; ``--save`` also writes benchmarks/results/bench_dram.json and bench_dram.md (a ``--quick``
run never overwrites them unless asked).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference" / "dram"
RESULTS = ROOT / "benchmarks" / "results"


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def compile_time() -> dict:
    """First-call times in a fresh process: with an empty numba cache (compile) and with the cache warm."""
    code = ("import time; t0=time.perf_counter();"
            "from archgym.simulators.dram.simulation import simulate;"
            "from archgym.simulators.dram.traces import make_requests; import numpy as np;"
            "from archgym import datasets;"
            "r=make_requests(np.arange(50)*4, np.zeros(50,bool), np.arange(50)*64);"
            "t1=time.perf_counter(); simulate(datasets.path('dram','memspec_ddr4_8Gb_x8_2400.json'), None, r);"
            "print(time.perf_counter()-t1, t1-t0)")
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        for label, env in (("cold_cache", {"NUMBA_CACHE_DIR": cache}), ("warm_cache", {"NUMBA_CACHE_DIR": cache})):
            res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 env={**os.environ, **env}, check=True)
            first, imp = (float(x) for x in res.stdout.split())
            out[label] = {"first_call_s": round(first, 3), "import_s": round(imp, 3)}
    return out


def load_package(folder: Path, name: str = "archgym.simulators.dram_before"):
    """Import a copy of the simulator package from ``folder`` under another name, beside ``archgym.simulators.dram``
    (its modules import each other relatively, so the copy runs on its own code; what it imports from its parent
    package, such as ``..textfile``, comes from this checkout)."""
    import archgym.simulators  # noqa: F401  (the parent package the copy's ``..`` imports resolve in)

    spec = importlib.util.spec_from_file_location(name, folder / "__init__.py", submodule_search_locations=[str(folder)])
    pkg = importlib.util.module_from_spec(spec)
    sys.modules[name] = pkg
    spec.loader.exec_module(pkg)
    return importlib.import_module(f"{name}.simulation")


def _time(run, mc, repeats: int, best: dict, key: str) -> None:
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        run(mc)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        w, c = best.get(key, (float("inf"), float("inf")))
        best[key] = (min(w, wall), min(c, cpu))


def _unpack_traces(out: Path) -> None:
    """The 15 reference traces (gzip'd in tests/reference/dram/traces), checked against their sha256."""
    import gzip
    import hashlib

    manifest = json.loads((REF / "traces" / "manifest.json").read_text())
    for name, info in manifest["files"].items():
        data = gzip.decompress((REF / "traces" / info["file"]).read_bytes())
        if hashlib.sha256(data).hexdigest() != info["sha256"]:
            sys.exit(f"{info['file']}: sha256 differs from {REF / 'traces' / 'manifest.json'}")
        (out / name).write_bytes(data)


#: metrics whose definition changed on purpose since earlier versions (not compared with ``--compare-with``):
#: the latency from acceptance counts from END_REQ, which follows a column command's admission by ThinkDelayFw
CHANGED = ("avg_read_latency_accept_cycles",)


def bench_traces(repeats: int, quick: bool, before=None) -> list[dict]:
    from archgym.simulators.dram.simulation import PreparedChannel

    ref = pd.read_csv(REF / "dramsys_full.csv")
    base = json.loads((REF / "configs" / "mcconfig_base.json").read_text())
    variants = json.loads((REF / "configs" / "mcconfig_variants.json").read_text())
    if quick:
        variants = {k: variants[k] for k in ("open_frfcfs", "archgym_policy_json")}
    rows = []
    with tempfile.TemporaryDirectory() as d:
        _unpack_traces(Path(d))
        for trace in sorted(ref.trace.unique()):
            args = (REF / "configs" / "memspec_ddr4_8Gb_x8_2400.json", Path(d) / trace,
                    REF / "configs" / "addressmapping_rochrababgco.json")
            ch = PreparedChannel(*args)
            ch.run()  # warm (numba cache load)
            old = None
            if before is not None:
                old = before.PreparedChannel(*args)
                old.run()
            for name, over in variants.items():
                mc = {**base, **over}
                best: dict = {}
                for _ in range(repeats):  # interleaved: both versions see the same load
                    _time(ch.run, mc, 1, best, "now")
                    if old is not None:
                        _time(old.run, mc, 1, best, "before")
                if old is not None:
                    was, now = old.run(mc).metrics, ch.run(mc).metrics
                    if {k: v for k, v in was.items() if k not in CHANGED} != \
                            {k: now[k] for k in was if k not in CHANGED}:
                        sys.exit(f"{trace} {name}: the compared version gives different metrics")
                wall, cpu = best["now"]
                r = ref[(ref.trace == trace) & (ref.variant == name)].iloc[0]
                row = {
                    "trace": trace, "variant": name, "n_requests": ch.n, "wall_s": wall,
                    "requests_per_s": ch.n / wall, "cpu_s": cpu, "cpu_requests_per_s": ch.n / cpu,
                    "dramsys_wall_s": None if np.isnan(r.wall_s) else float(r.wall_s),
                    "dramsys_requests_per_s": None if np.isnan(r.requests_per_s) else float(r.requests_per_s),
                }
                if old is not None:
                    bw, bc = best["before"]
                    row.update(before_wall_s=bw, before_requests_per_s=ch.n / bw, before_cpu_s=bc,
                               before_cpu_requests_per_s=ch.n / bc)
                rows.append(row)
    return rows


ENV_WORKLOADS = ("stream", "random", "mixed_g32", "conflict_g1")


def bench_env(n_steps: int, before=None) -> list[dict]:
    """env.step with random designs (result cache off); with ``before``, both versions' channels run the same
    designs on the same trace (best of 3 each, interleaved; the simulation is nearly all of a step)."""
    import gymnasium as gym

    import archgym  # noqa: F401
    from archgym import datasets
    from archgym.core import gym_spaces
    from archgym.envs.dram import MEMORIES

    out = []
    for workload in ENV_WORKLOADS:
        env = gym.make("archgym/DRAM-v0", workload=workload, cache_size=0)
        env.reset(seed=0)
        env.action_space.seed(0)
        env.step(env.action_space.sample())
        actions = [env.action_space.sample() for _ in range(n_steps)]
        t0, c0 = time.perf_counter(), time.process_time()
        for a in actions:
            env.step(a)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        row = {"workload": workload, "steps": n_steps, "evals_per_s": n_steps / dt, "evals_per_min": 60 * n_steps / dt,
               "cpu_evals_per_s": n_steps / dc, "cpu_evals_per_min": 60 * n_steps / dc}
        if before is not None:
            u = env.unwrapped
            designs = [gym_spaces.decode(u.design_space, a) for a in actions]
            new = u.channel
            spec_file, map_file = MEMORIES[u.memory]
            old = before.PreparedChannel(datasets.path("dram", spec_file), _request_array(new),
                                         datasets.path("dram", map_file))
            old.run(designs[0])
            cpu = {(k, simple): 0.0 for k in ("now", "before") for simple in (True, False)}
            for d in designs:  # interleaved, best of 3 per design
                best = {"now": float("inf"), "before": float("inf")}
                for _ in range(3):
                    for key, ch in (("now", new), ("before", old)):
                        c0 = time.process_time()
                        ch.run(d)
                        best[key] = min(best[key], time.process_time() - c0)
                for key in best:
                    cpu[key, d["Arbiter"] == "Simple"] += best[key]
            now, bef = cpu["now", True] + cpu["now", False], cpu["before", True] + cpu["before", False]
            row.update(sim_cpu_evals_per_s=n_steps / now, before_sim_cpu_evals_per_s=n_steps / bef,
                       speedup_simple_arbiter=cpu["before", True] / max(cpu["now", True], 1e-12),
                       speedup_fifo_reorder_arbiter=cpu["before", False] / max(cpu["now", False], 1e-12))
        out.append(row)
    return out


def _request_array(channel):
    """The channel's trace as a request array (cycles, directions, addresses), for another version to decode."""
    from archgym.simulators.dram.traces import make_requests

    return make_requests(channel.ts, channel.is_write, channel.addr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--env-steps", type=int, default=40)
    ap.add_argument("--quick", action="store_true", help="two controller variants instead of twelve")
    ap.add_argument("--compare-with", type=Path, default=None, metavar="DIR",
                    help="another copy of simulators/dram to time side by side (before/after)")
    ap.add_argument("--save", action="store_true", help="write benchmarks/results/bench_dram.{json,md}")
    ap.add_argument("--no-compile", action="store_true", help="skip the (slow) cold-cache compile measurement")
    a = ap.parse_args()
    if not (REF / "dramsys_full.csv").exists():
        sys.exit(f"reference data not found at {REF}")
    before = None
    if a.compare_with is not None:
        if not (a.compare_with / "simulation.py").exists():
            sys.exit(f"--compare-with {a.compare_with}: no simulation.py there (expected a simulators/dram folder)")
        before = load_package(a.compare_with.resolve())
    load_start = os.getloadavg()[0]
    comp = None if a.no_compile else compile_time()
    rows = bench_traces(a.repeats, a.quick, before)
    env = bench_env(a.env_steps, before)
    df = pd.DataFrame(rows)
    aggs = {"requests_per_s": ("requests_per_s", "median"), "cpu_requests_per_s": ("cpu_requests_per_s", "median"),
            "dramsys_requests_per_s": ("dramsys_requests_per_s", "median")}
    if before is not None:
        aggs.update(before_requests_per_s=("before_requests_per_s", "median"),
                    before_cpu_requests_per_s=("before_cpu_requests_per_s", "median"))
    per_trace = df.groupby("trace").agg(**aggs).reset_index()
    per_trace["speedup"] = per_trace.requests_per_s / per_trace.dramsys_requests_per_s
    summary = {
        "median_requests_per_s": float(df.requests_per_s.median()),
        "min_requests_per_s": float(df.requests_per_s.min()),
        "max_requests_per_s": float(df.requests_per_s.max()),
        "dramsys_median_requests_per_s": float(df.dramsys_requests_per_s.median()),
        "median_speedup_vs_dramsys": float((df.requests_per_s / df.dramsys_requests_per_s).median()),
        "median_cpu_requests_per_s": float(df.cpu_requests_per_s.median()),
        "runs_meeting_goal_cpu_time": int((df.cpu_requests_per_s >= 2e6).sum()),
        "goal_requests_per_s": 2e6,
        "runs_meeting_goal": int((df.requests_per_s >= 2e6).sum()),
        "runs": len(df),
        "load_average_at_start": load_start,
        "load_average_at_end": os.getloadavg()[0],
    }
    if before is not None:
        summary.update(
            compared_with=str(a.compare_with),
            before_median_requests_per_s=float(df.before_requests_per_s.median()),
            before_median_cpu_requests_per_s=float(df.before_cpu_requests_per_s.median()),
            median_cpu_speedup_vs_before=float((df.cpu_requests_per_s / df.before_cpu_requests_per_s).median()),
            before_runs_meeting_goal_cpu_time=int((df.before_cpu_requests_per_s >= 2e6).sum()))
    result = {"compile": comp, "summary": summary, "per_trace": per_trace.to_dict("records"), "runs": rows,
              "env": env,
              "note": "DRAMSys figures are the reference's own measurements on this kind of machine (wall_s, "
                      "requests_per_s columns of dramsys_full.csv), not taken in this run."}
    if a.save:
        _atomic_write(RESULTS / "bench_dram.json", json.dumps(result, indent=1))
    cmd = "`.venv/bin/python benchmarks/bench_dram.py --save" + (f" --compare-with {a.compare_with}" if before else "") + "`"
    lines = ["# bench_dram", "", f"{cmd} -- requests simulated per second (best of {a.repeats} repeats, median over the "
             "controller variants; one core) vs DRAMSys 5 as measured by the reference (not in this run). "
             f"Load average {load_start:.1f} at the start, {summary['load_average_at_end']:.1f} at the end on 2 shared "
             "cores: wall time includes waiting for a core, CPU (process) time is the steadier figure.", ""]
    if before is not None:
        lines += [f"Before = the package in `{a.compare_with}`, timed interleaved with this one (same load); both "
                  "give identical metrics on every run.", "",
                  "| trace | before req/s (CPU) | after req/s (CPU) | before req/s (wall) | after req/s (wall) | "
                  "DRAMSys req/s | speed-up vs DRAMSys (wall) |", "|---|---:|---:|---:|---:|---:|---:|"]
        for r in per_trace.to_dict("records"):
            lines.append(f"| {r['trace']} | {r['before_cpu_requests_per_s']:,.0f} | {r['cpu_requests_per_s']:,.0f} | "
                         f"{r['before_requests_per_s']:,.0f} | {r['requests_per_s']:,.0f} | "
                         f"{r['dramsys_requests_per_s']:,.0f} | {r['speedup']:.1f}x |")
    else:
        lines += ["| trace | archgym req/s (wall) | archgym req/s (CPU time) | DRAMSys req/s | speed-up (wall) |",
                  "|---|---:|---:|---:|---:|"]
        for r in per_trace.to_dict("records"):
            lines.append(f"| {r['trace']} | {r['requests_per_s']:,.0f} | {r['cpu_requests_per_s']:,.0f} | "
                         f"{r['dramsys_requests_per_s']:,.0f} | {r['speedup']:.1f}x |")
    lines += ["", f"median {summary['median_requests_per_s']:,.0f} req/s wall (min {summary['min_requests_per_s']:,.0f}, "
              f"max {summary['max_requests_per_s']:,.0f}); by CPU time median {summary['median_cpu_requests_per_s']:,.0f} "
              f"req/s; goal 2,000,000 met by {summary['runs_meeting_goal']} of {summary['runs']} runs by wall time, "
              f"{summary['runs_meeting_goal_cpu_time']} by CPU time."]
    if before is not None:
        lines.append(f"Before: median {summary['before_median_requests_per_s']:,.0f} req/s wall, "
                     f"{summary['before_median_cpu_requests_per_s']:,.0f} by CPU time (goal met by "
                     f"{summary['before_runs_meeting_goal_cpu_time']} runs by CPU time); median CPU-time speed-up "
                     f"{summary['median_cpu_speedup_vs_before']:.2f}x.")
    lines += ["", "| env workload | evaluations/s (wall) | per minute (wall) | evaluations/s (CPU) | per minute (CPU) |"
              + (" simulation only, before (CPU/s) | simulation only, after (CPU/s) | speed-up, Simple arbiter | "
                 "speed-up, Fifo/Reorder arbiter |" if before else ""),
              "|---|---:|---:|---:|---:|" + ("---:|---:|---:|---:|" if before else "")]
    for e in env:
        line = (f"| {e['workload']} | {e['evals_per_s']:.1f} | {e['evals_per_min']:,.0f} | {e['cpu_evals_per_s']:.1f} | "
                f"{e['cpu_evals_per_min']:,.0f} |")
        if before is not None:
            line += (f" {e['before_sim_cpu_evals_per_s']:.1f} | {e['sim_cpu_evals_per_s']:.1f} | "
                     f"{e['speedup_simple_arbiter']:.2f}x | {e['speedup_fifo_reorder_arbiter']:.2f}x |")
        lines.append(line)
    lines += ["", "Environment: random designs, 20,000-request traces, result cache off (designs that differ only in "
              "knobs the controller ignores share one simulation when the cache is on)."]
    if comp is not None:
        lines += ["", f"numba first call: {comp['cold_cache']['first_call_s']} s with an empty cache (compile), "
                  f"{comp['warm_cache']['first_call_s']} s with the cache warm."]
    if a.save:
        _atomic_write(RESULTS / "bench_dram.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
