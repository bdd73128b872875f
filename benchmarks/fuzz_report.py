"""Counts of a hostile-user fuzz campaign, per category: cases tried, clear errors, other exceptions,
silent wrong answers, valid answers (issue 13's measure). Runs against whatever ``archgym`` imports, so
the same command measures another checkout installed in another virtualenv (before/after).

    .venv/bin/python benchmarks/fuzz_report.py [--cases 300] [--seed 0] [--save]

- *clear error*: a ValueError (or subclass) whose message names the parameter, file or option;
- *other exception*: any other exception type, or an error that names nothing;
- *silent wrong answer*: a result for an input that is not exactly valid (a coerced action), or a
  result with negative or non-finite metrics;
- *valid*: a valid input with a finite answer.
The tests in ``tests/fuzz`` assert the same properties with hypothesis; this script counts them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
HOSTILE = [1.7, "1", True, 1 + 2j, [1, 2], float("nan"), float("inf"), None, np.array([]), -1, 10**6, 2**70, "x"]


def _exact(p, v) -> bool:
    if p.is_discrete:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer, float)):
            return False
        return (not isinstance(v, float) or (math.isfinite(v) and v.is_integer())) and 0 <= v < p.n
    arr = np.asarray(v)
    return arr.dtype.kind in "if" and arr.size == 1 and math.isfinite(float(arr.reshape(-1)[0])) \
        and p.low <= float(arr.reshape(-1)[0]) <= p.high


def fuzz_actions(env_id: str, cases: int, rng, **kwargs) -> Counter:
    import gymnasium as gym

    import archgym  # noqa: F401

    env = gym.make(env_id, **kwargs).unwrapped
    out: Counter = Counter()
    for _ in range(cases):
        action, exact, named = {}, True, []
        for p in env.design_space:
            if rng.random() < 0.3:
                v = HOSTILE[rng.integers(len(HOSTILE))]
                named.append(p.name)
            else:
                v = int(rng.integers(p.n)) if p.is_discrete else np.array([rng.uniform(p.low, p.high)])
            action[p.name] = v
            exact &= _exact(p, v)
        env.reset(seed=0)
        try:
            obs, reward, *_ = env.step(action)
        except ValueError as e:
            out["clear error" if any(n in str(e) for n in named) or not named else "other exception"] += 1
            continue
        except Exception:  # noqa: BLE001  (counted, not raised)
            out["other exception"] += 1
            continue
        if not exact or not (np.all(np.isfinite(obs)) and math.isfinite(reward)):
            out["silent wrong answer"] += 1
        else:
            out["valid"] += 1
    return out


def _mutate(text: str, rng) -> str:
    lines = text.splitlines()
    for _ in range(int(rng.integers(1, 4))):
        i = int(rng.integers(len(lines)))
        k = int(rng.integers(5))
        junk = ["-1", "0", "1e400", "nan", "9" * 25, "", "x", "\xff", "0x" + "f" * 20][int(rng.integers(9))]
        if k == 0:
            del lines[i]
        elif k == 1:
            lines.insert(i, junk)
        elif k == 2:
            parts = lines[i].split(",")
            parts[int(rng.integers(len(parts)))] = junk
            lines[i] = ",".join(parts)
        elif k == 3:
            lines[i] = lines[i][: int(rng.integers(len(lines[i]) + 1))]
        else:
            lines[i] = lines[i].replace("\t", " " * int(rng.integers(0, 3)))
        if not lines:
            lines = [junk]
    return "\n".join(lines) + "\n"


def fuzz_files(reader, text: str, suffix: str, cases: int, rng, encoding="utf-8") -> Counter:
    out: Counter = Counter()
    with tempfile.TemporaryDirectory() as d:
        for k in range(cases):
            path = Path(d) / f"in{k}{suffix}"
            data = _mutate(text, rng).encode(encoding, errors="surrogateescape") if rng.random() < 0.9 else b"\xff\xfe\x00"
            path.write_bytes(data)
            try:
                reader(path)
            except ValueError as e:
                out["clear error" if path.name in str(e) else "other exception"] += 1
            except Exception:  # noqa: BLE001
                out["other exception"] += 1
            else:
                out["valid"] += 1
    return out


def fuzz_systolic_extremes(cases: int, rng) -> Counter:
    from archgym.simulators import systolic as model

    out: Counter = Counter()
    for _ in range(cases):
        dims = [int(2 ** rng.uniform(0, 20)) for _ in range(2)] + [int(rng.integers(1, 8))] * 2 + \
            [int(2 ** rng.uniform(0, 14)) for _ in range(2)]
        h, w, fh, fw, c, k = dims
        layer = model.Layer("x", max(h, fh), max(w, fw), fh, fw, c, k, 1)
        cfg = model.SystolicConfig(array_rows=int(2 ** rng.integers(2, 9)), array_cols=int(2 ** rng.integers(2, 9)),
                                   dataflow=["os", "ws", "is"][int(rng.integers(3))], bandwidth_mode="USER",
                                   bandwidth=int(2 ** rng.integers(1, 9)))
        try:
            t = model.simulate_batch([cfg], [layer])
        except ValueError:
            out["clear error"] += 1
            continue
        except Exception:  # noqa: BLE001
            out["other exception"] += 1
            continue
        vals = [float(np.asarray(t[f])[0]) for f in ("total_cycles", "stall_cycles", "energy_uj", "dram_ifmap_reads",
                                                    "dram_filter_reads", "overall_util_pct")]
        out["valid" if all(math.isfinite(v) and v >= 0 for v in vals) else "silent wrong answer"] += 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save", action="store_true", help="write benchmarks/results/fuzz.{json,md}")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    from archgym import datasets
    from archgym.simulators import systolic
    from archgym.simulators.dataflow.network import load_layers
    from archgym.simulators.dram.memspec import load_memspec
    from archgym.simulators.dram.traces import read_stl

    report = {}
    for env_id, kw in (("archgym/Synthetic-v0", {}), ("archgym/SystolicArray-v0", {}), ("archgym/SoC-v0", {}),
                       ("archgym/Mapping-v0", {}), ("archgym/DRAM-v0", {"workload": "random"})):
        report[f"actions {env_id}"] = fuzz_actions(env_id, a.cases if "DRAM" not in env_id else a.cases // 10, rng, **kw)
    trace = "".join(f"{i}:\t{'write' if i % 3 == 0 else 'read'}\t0x{i * 64:x}\n" for i in range(20))
    report["SCALE-Sim topology files"] = fuzz_files(systolic.load_workload, datasets.path("workloads", "resnet18.csv").read_text(),
                                                    ".csv", a.cases, rng)
    report["layer-table files"] = fuzz_files(load_layers, datasets.path("dataflow", "alexnet.csv").read_text(), ".csv", a.cases, rng)
    report["DRAMSys traces"] = fuzz_files(read_stl, trace, ".stl", a.cases, rng)
    report["DRAMSys memspecs"] = fuzz_files(load_memspec, datasets.path("dram", "memspec_ddr4_8Gb_x8_2400.json").read_text(),
                                            ".json", a.cases, rng)
    report["systolic extreme layers"] = fuzz_systolic_extremes(a.cases, rng)
    cols = ["valid", "clear error", "other exception", "silent wrong answer"]
    lines = [f"# Fuzz report ({os.path.dirname(__import__('archgym').__file__)}, seed {a.seed})", "",
             "| category | cases | " + " | ".join(cols) + " |", "|---|---:|" + "---:|" * len(cols)]
    for k, c in report.items():
        lines.append(f"| {k} | {sum(c.values())} | " + " | ".join(str(c.get(x, 0)) for x in cols) + " |")
    text = "\n".join(lines)
    print(text)
    if a.save:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "fuzz.md").write_text(text + "\n")
        (RESULTS / "fuzz.json").write_text(json.dumps({k: dict(v) for k, v in report.items()}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
