"""Speed of the DRAM controller model: requests/s per reference trace, env evaluations/s, compile time.

    .venv/bin/python benchmarks/bench_dram.py [--repeats 3] [--quick] [--compare-with DIR] [--dramsys BINARY]
        [--env-designs 200] [--save]

For each of the 15 reference traces (unpacked from tests/reference/dram/traces into a temp
dir) and each of the 12 reference controller configurations, the best-of-``repeats`` wall time of
one simulation (trace already parsed; controller, timing checker and DRAMPower energy included)
gives requests/s. Without ``--dramsys``, DRAMSys's figures (``wall_s`` / ``requests_per_s`` in dramsys_full.csv)
are the reference's, measured on this kind of machine but not in this run. ``--dramsys BINARY`` runs that
DRAMSys binary (the standalone ``DRAMSys`` of a DRAMSys 5 build) on the same traces and controllers in this run,
interleaved repeat by repeat with the model: one process per run, wall time of the whole process (start, config
and trace parse, simulation; database recording off, PowerAnalysis on as the model computes energy), best of
``repeats`` as for the model; its total cycles are checked against the model's. The build type is read from
the ``CMakeCache.txt`` of the binary's build tree and recorded with the commit (``--dramsys-commit``).
CPU (process) time is reported beside wall time: on a shared machine it is the steadier figure.
Environment evaluations/s: archgym/DRAM-v0 stepping random designs (result cache off), per workload, and on its
default workload over a fixed seeded set of ``--env-designs`` designs. The numba
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


#: DRAMSys commit of the reference figures (tests/reference/dram/README.md); what ``--dramsys-commit`` defaults to
DRAMSYS_COMMIT = "6b0146713a89b49eb9401fd3d50d36836ba2ab89"


def dramsys_build_info(binary: Path, commit: str) -> dict:
    """What the DRAMSys binary is: its path, the commit it was built from (as given) and the build type and
    flags from the ``CMakeCache.txt`` of its build tree (the first one found above the binary)."""
    info = {"binary": str(binary), "commit": commit, "build_type": None, "cxx_compiler": None, "cxx_flags": None}
    for folder in binary.resolve().parents:
        cache = folder / "CMakeCache.txt"
        if cache.exists():
            entries = {}
            for line in cache.read_text(errors="replace").splitlines():
                if ":" in line and "=" in line and not line.startswith(("//", "#")):
                    key, value = line.split("=", 1)
                    entries[key.split(":", 1)[0]] = value
            build_type = entries.get("CMAKE_BUILD_TYPE") or None
            info.update(build_type=build_type, cmake_cache=str(cache),
                        cxx_compiler=entries.get("CMAKE_CXX_COMPILER"),
                        cxx_flags=" ".join(x for x in (entries.get("CMAKE_CXX_FLAGS", ""),
                                                        entries.get(f"CMAKE_CXX_FLAGS_{(build_type or '').upper()}",
                                                                    "")) if x).strip() or None)
            break
    return info


def _dramsys_config(trace: str, mc: dict, tck_ps: int) -> dict:
    """A DRAMSys simulation JSON (every part inline) for one reference trace and controller."""
    memspec = json.loads((REF / "configs" / "memspec_ddr4_8Gb_x8_2400.json").read_text())
    mapping = json.loads((REF / "configs" / "addressmapping_rochrababgco.json").read_text())
    simconfig = {"AddressOffset": 0, "CheckTLM2Protocol": False, "DatabaseRecording": False, "Debug": False,
                 "EnableWindowing": False, "PowerAnalysis": True, "SimulationName": "bench",
                 "SimulationProgressBar": False, "StoreMode": "NoStorage", "UseMalloc": False, "WindowSize": 1000}
    return {"simulation": {"addressmapping": mapping, "mcconfig": mc, "memspec": memspec, "simconfig": simconfig,
                           "simulationid": "bench", "tracesetup": [{"clkMhz": 1e6 / tck_ps, "name": trace}]}}


_TIME_UNITS = {"fs": 1e-3, "ps": 1.0, "ns": 1e3, "us": 1e6, "ms": 1e9, "s": 1e12}


def run_dramsys(binary: Path, config: Path, resources: Path, timeout: float = 60.0) -> tuple[float, float, float]:
    """One DRAMSys process: (wall s, CPU s of the child, simulated time in ps from its ``Total Time`` line)."""
    import re
    import resource

    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run([str(binary), str(config), str(resources)], cwd=config.parent, capture_output=True,
                         text=True, timeout=timeout)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    m = re.search(r"Total Time:\s+([0-9.eE+-]+)\s*(fs|ps|ns|us|ms|s)\b", res.stdout)
    if res.returncode != 0 or m is None:
        sys.exit(f"DRAMSys {binary} on {config} failed (exit {res.returncode}):\n{res.stdout[-2000:]}{res.stderr[-2000:]}")
    return wall, cpu, float(m.group(1)) * _TIME_UNITS[m.group(2)]


def bench_traces(repeats: int, quick: bool, before=None, dramsys: Path | None = None) -> list[dict]:
    from archgym.simulators.dram.simulation import PreparedChannel

    ref = pd.read_csv(REF / "dramsys_full.csv")
    base = json.loads((REF / "configs" / "mcconfig_base.json").read_text())
    variants = json.loads((REF / "configs" / "mcconfig_variants.json").read_text())
    if quick:
        variants = {k: variants[k] for k in ("open_frfcfs", "archgym_policy_json")}
    tck_ps = int(json.loads((REF / "configs" / "memspec_ddr4_8Gb_x8_2400.json").read_text())["memtimingspec"]["tCK"])
    rows = []
    with tempfile.TemporaryDirectory() as d:
        _unpack_traces(Path(d))
        if dramsys is not None:  # DRAMSys reads traces from <resource dir>/traces
            (Path(d) / "traces").mkdir()
            for f in Path(d).glob("*.stl"):
                os.symlink(f, Path(d) / "traces" / f.name)
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
                r = ref[(ref.trace == trace) & (ref.variant == name)].iloc[0]
                # DRAMSys hangs on the reference's time-outs (no figures in the CSV): those are not run
                ds_cfg = None
                if dramsys is not None and not np.isnan(r.wall_s):
                    ds_cfg = Path(d) / f"dramsys_{trace}_{name}.json"
                    ds_cfg.write_text(json.dumps(_dramsys_config(trace, mc, tck_ps)))
                best: dict = {}
                ds_runs = []
                for rep in range(repeats):  # interleaved: all versions see the same load (order alternating)
                    if old is not None and rep % 2:
                        _time(old.run, mc, 1, best, "before")
                    _time(ch.run, mc, 1, best, "now")
                    if old is not None and not rep % 2:
                        _time(old.run, mc, 1, best, "before")
                    if ds_cfg is not None:
                        ds_runs.append(run_dramsys(dramsys, ds_cfg, Path(d)))
                if old is not None:
                    was, now = old.run(mc).metrics, ch.run(mc).metrics
                    if {k: v for k, v in was.items() if k not in CHANGED} != \
                            {k: now[k] for k in was if k not in CHANGED}:
                        sys.exit(f"{trace} {name}: the compared version gives different metrics")
                wall, cpu = best["now"]
                row = {
                    "trace": trace, "variant": name, "n_requests": ch.n, "wall_s": wall,
                    "requests_per_s": ch.n / wall, "cpu_s": cpu, "cpu_requests_per_s": ch.n / cpu,
                    "dramsys_wall_s": None if np.isnan(r.wall_s) else float(r.wall_s),
                    "dramsys_requests_per_s": None if np.isnan(r.requests_per_s) else float(r.requests_per_s),
                }
                if dramsys is not None:
                    ds_wall = min(x[0] for x in ds_runs) if ds_runs else None
                    ds_cycles = ds_runs[0][2] / tck_ps if ds_runs else None
                    row.update(
                        dramsys_measured_wall_s=ds_wall,
                        dramsys_measured_wall_s_runs=[x[0] for x in ds_runs],
                        dramsys_measured_cpu_s=min(x[1] for x in ds_runs) if ds_runs else None,
                        dramsys_measured_requests_per_s=ch.n / ds_wall if ds_runs else None,
                        dramsys_total_cycles=ds_cycles,
                        model_total_cycles=float(ch.run(mc).metrics["total_cycles"]),
                        dramsys_repeats_agree=len({x[2] for x in ds_runs}) <= 1)
                    row["total_cycles_equal"] = None if ds_cycles is None else ds_cycles == row["model_total_cycles"]
                if old is not None:
                    bw, bc = best["before"]
                    row.update(before_wall_s=bw, before_requests_per_s=ch.n / bw, before_cpu_s=bc,
                               before_cpu_requests_per_s=ch.n / bc)
                rows.append(row)
    return rows


#: issue 15 item 5: the model at >= 5 M requests/s (median; earlier goal 2 M)
GOAL_REQUESTS_PER_S = 5e6


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


DESIGN_SEED = 2026


def bench_env_designs(n_designs: int, before=None) -> dict:
    """archgym/DRAM-v0 on its default workload over a fixed set of ``n_designs`` designs (action space seeded
    with ``DESIGN_SEED``; simulation times vary about 10x between designs, so a fixed set is what compares runs):
    designs/s of whole ``env.step`` calls (wall and CPU, result cache off, one pass) and, with ``before``, the
    simulation alone of both versions interleaved design by design (CPU time, best of 3), their metrics equal."""
    import gymnasium as gym

    import archgym  # noqa: F401
    from archgym import datasets
    from archgym.core import gym_spaces
    from archgym.envs.dram import MEMORIES

    env = gym.make("archgym/DRAM-v0", cache_size=0)
    env.reset(seed=0)
    env.action_space.seed(DESIGN_SEED)
    actions = [env.action_space.sample() for _ in range(n_designs)]
    env.step(actions[0])
    t0, c0 = time.perf_counter(), time.process_time()
    for a in actions:
        env.step(a)
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    out = {"workload": env.unwrapped.workload, "designs": n_designs, "seed": DESIGN_SEED,
           "designs_per_s": n_designs / dt, "cpu_designs_per_s": n_designs / dc}
    if before is not None:
        u = env.unwrapped
        designs = [gym_spaces.decode(u.design_space, a) for a in actions]
        spec_file, map_file = MEMORIES[u.memory]
        old = before.PreparedChannel(datasets.path("dram", spec_file), _request_array(u.channel),
                                     datasets.path("dram", map_file))
        old.run(designs[0])
        total = {"now": 0.0, "before": 0.0}
        for d in designs:
            best = {"now": float("inf"), "before": float("inf")}
            for rep in range(3):  # the order alternates: the version run second finds the caches warmer
                pair = (("now", u.channel), ("before", old))
                for key, ch in (pair if rep % 2 == 0 else pair[::-1]):
                    c0 = time.process_time()
                    ch.run(d)
                    best[key] = min(best[key], time.process_time() - c0)
            if old.run(d).metrics != u.channel.run(d).metrics:
                sys.exit(f"DRAM-v0 design {d}: the compared version gives different metrics")
            for key in best:
                total[key] += best[key]
        out.update(sim_cpu_designs_per_s=n_designs / total["now"],
                   before_sim_cpu_designs_per_s=n_designs / total["before"])
    return out


def _request_array(channel):
    """The channel's trace as a request array (cycles, directions, addresses), for another version to decode."""
    from archgym.simulators.dram.traces import make_requests

    return make_requests(channel.ts, channel.is_write, channel.addr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--env-steps", type=int, default=40)
    ap.add_argument("--env-designs", type=int, default=200,
                    help="DRAM-v0 designs of the fixed seeded set (default workload)")
    ap.add_argument("--quick", action="store_true", help="two controller variants instead of twelve")
    ap.add_argument("--compare-with", type=Path, default=None, metavar="DIR",
                    help="another copy of simulators/dram to time side by side (before/after)")
    ap.add_argument("--dramsys", type=Path, default=None, metavar="BINARY",
                    help="a DRAMSys 5 binary to time in this run, interleaved with the model (else the reference's "
                         "stored figures)")
    ap.add_argument("--dramsys-commit", default=DRAMSYS_COMMIT,
                    help="the DRAMSys commit the binary was built from, recorded with the results")
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
    dramsys = None
    if a.dramsys is not None:
        if not (a.dramsys.is_file() and os.access(a.dramsys, os.X_OK)):
            sys.exit(f"--dramsys {a.dramsys}: not an executable file (expected the DRAMSys binary of a build)")
        dramsys = dramsys_build_info(a.dramsys, a.dramsys_commit)
    load_start = os.getloadavg()[0]
    comp = None if a.no_compile else compile_time()
    rows = bench_traces(a.repeats, a.quick, before, a.dramsys)
    env = bench_env(a.env_steps, before)
    env_designs = bench_env_designs(a.env_designs, before)
    df = pd.DataFrame(rows)
    aggs = {"requests_per_s": ("requests_per_s", "median"), "cpu_requests_per_s": ("cpu_requests_per_s", "median"),
            "dramsys_requests_per_s": ("dramsys_requests_per_s", "median")}
    if before is not None:
        aggs.update(before_requests_per_s=("before_requests_per_s", "median"),
                    before_cpu_requests_per_s=("before_cpu_requests_per_s", "median"))
    if dramsys is not None:  # this run's DRAMSys figures replace the stored ones in the comparison
        df["dramsys_stored_requests_per_s"] = df.dramsys_requests_per_s
        df["dramsys_requests_per_s"] = df.dramsys_measured_requests_per_s.astype(float)
        aggs["dramsys_stored_requests_per_s"] = ("dramsys_stored_requests_per_s", "median")
    per_trace = df.groupby("trace").agg(**aggs).reset_index()
    per_trace["speedup"] = per_trace.requests_per_s / per_trace.dramsys_requests_per_s
    summary = {
        "median_requests_per_s": float(df.requests_per_s.median()),
        "min_requests_per_s": float(df.requests_per_s.min()),
        "max_requests_per_s": float(df.requests_per_s.max()),
        "dramsys_median_requests_per_s": float(df.dramsys_requests_per_s.median()),
        "median_speedup_vs_dramsys": float((df.requests_per_s / df.dramsys_requests_per_s).median()),
        "median_cpu_requests_per_s": float(df.cpu_requests_per_s.median()),
        "runs_meeting_goal_cpu_time": int((df.cpu_requests_per_s >= GOAL_REQUESTS_PER_S).sum()),
        "goal_requests_per_s": GOAL_REQUESTS_PER_S,
        "runs_meeting_goal": int((df.requests_per_s >= GOAL_REQUESTS_PER_S).sum()),
        "runs": len(df),
        "load_average_at_start": load_start,
        "load_average_at_end": os.getloadavg()[0],
    }
    if dramsys is not None:
        ran = df[df.dramsys_measured_wall_s.notna()]
        speedups = ran.requests_per_s / ran.dramsys_requests_per_s
        summary.update(
            dramsys=dramsys, dramsys_runs=len(ran), dramsys_not_run_reference_timeouts=int(len(df) - len(ran)),
            dramsys_total_cycles_equal=int(ran.total_cycles_equal.sum()),
            dramsys_stored_median_requests_per_s=float(df.dramsys_stored_requests_per_s.median()),
            min_speedup_vs_dramsys=float(speedups.min()), max_speedup_vs_dramsys=float(speedups.max()),
            median_cpu_speedup_vs_dramsys=float((ran.cpu_requests_per_s
                                                 / (ran.n_requests / ran.dramsys_measured_cpu_s)).median()))
    if before is not None:
        summary.update(
            compared_with=str(a.compare_with),
            before_median_requests_per_s=float(df.before_requests_per_s.median()),
            before_median_cpu_requests_per_s=float(df.before_cpu_requests_per_s.median()),
            median_cpu_speedup_vs_before=float((df.cpu_requests_per_s / df.before_cpu_requests_per_s).median()),
            before_runs_meeting_goal_cpu_time=int((df.before_cpu_requests_per_s >= GOAL_REQUESTS_PER_S).sum()))
    result = {"compile": comp, "summary": summary, "per_trace": per_trace.to_dict("records"), "runs": rows,
              "env": env, "env_designs": env_designs,
              "note": "DRAMSys figures are the reference's own measurements on this kind of machine (wall_s, "
                      "requests_per_s columns of dramsys_full.csv), not taken in this run." if dramsys is None else
                      "DRAMSys figures were measured in this run, interleaved with the model: "
                      f"{dramsys['binary']}, commit {dramsys['commit']}, build type {dramsys['build_type']}; "
                      "one process per run (start, parse and simulation), database off, PowerAnalysis on."}
    if a.save:
        _atomic_write(RESULTS / "bench_dram.json", json.dumps(result, indent=1))
    cmd = ("`.venv/bin/python benchmarks/bench_dram.py --save" + (f" --compare-with {a.compare_with}" if before else "")
           + (f" --dramsys {a.dramsys}" if dramsys else "") + (" --quick" if a.quick else "")
           + (f" --repeats {a.repeats}" if a.repeats != 3 else "") + "`")
    against = ("vs DRAMSys 5 as measured by the reference (not in this run)" if dramsys is None else
               f"vs DRAMSys measured in this run, interleaved (commit {dramsys['commit'][:7]}, build type "
               f"{dramsys['build_type']}, `{dramsys['cxx_flags']}`; one process per run, wall time including process "
               "start and trace parsing, best of the same repeats; database off, PowerAnalysis on)")
    lines = ["# bench_dram", "", f"{cmd} -- requests simulated per second (best of {a.repeats} repeats, median over the "
             f"controller variants; one core) {against}. "
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
    if dramsys is not None:
        lines += ["", f"DRAMSys in this run: median {summary['dramsys_median_requests_per_s']:,.0f} req/s over "
                  f"{summary['dramsys_runs']} runs ({summary['dramsys_not_run_reference_timeouts']} not run: the "
                  "reference's time-outs); the reference's stored figures had median "
                  f"{summary['dramsys_stored_median_requests_per_s']:,.0f}. Model / DRAMSys by wall time: median "
                  f"{summary['median_speedup_vs_dramsys']:.1f}x (min {summary['min_speedup_vs_dramsys']:.1f}x, max "
                  f"{summary['max_speedup_vs_dramsys']:.1f}x); by CPU time median "
                  f"{summary['median_cpu_speedup_vs_dramsys']:.1f}x. Equal total cycles on "
                  f"{summary['dramsys_total_cycles_equal']} of {summary['dramsys_runs']} runs."]
    lines += ["", f"median {summary['median_requests_per_s']:,.0f} req/s wall (min {summary['min_requests_per_s']:,.0f}, "
              f"max {summary['max_requests_per_s']:,.0f}); by CPU time median {summary['median_cpu_requests_per_s']:,.0f} "
              f"req/s; goal {GOAL_REQUESTS_PER_S:,.0f} met by {summary['runs_meeting_goal']} of {summary['runs']} runs by wall time, "
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
    ed = env_designs
    lines += ["", f"DRAM-v0, default workload ({ed['workload']}), fixed set of {ed['designs']} designs (action space seeded "
              f"{ed['seed']}), result cache off: {ed['designs_per_s']:.1f} designs/s wall, {ed['cpu_designs_per_s']:.1f} "
              "by CPU time (whole env.step)."]
    if before is not None:
        lines[-1] += (f" Simulation alone, interleaved, CPU time best of 3 per design: before "
                      f"{ed['before_sim_cpu_designs_per_s']:.1f}, after {ed['sim_cpu_designs_per_s']:.1f} designs/s "
                      f"({ed['sim_cpu_designs_per_s'] / ed['before_sim_cpu_designs_per_s']:.2f}x); equal metrics on "
                      "every design.")
    if comp is not None:
        lines += ["", f"numba first call: {comp['cold_cache']['first_call_s']} s with an empty cache (compile), "
                  f"{comp['warm_cache']['first_call_s']} s with the cache warm."]
    if a.save:
        _atomic_write(RESULTS / "bench_dram.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
