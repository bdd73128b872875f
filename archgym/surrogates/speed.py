"""Speed of a surrogate against the analytic simulator it replaces, measured in the same run.

Four timings on the same held-out designs: the simulator one design at a time (``simulate``) and
batched (``simulate_batch``, vectorised where the environment has a batched path), the surrogate
one design at a time and batched (``predict`` on design dicts, feature encoding included), plus the
fitted model alone on pre-encoded features. Simulator timings stop after a time budget, so that a
slow simulator does not make the measurement itself slow, and use designs the environment has not
evaluated before in the measurement (some environments cache results).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from archgym.core.env import ArchGymEnv, InfeasibleDesign
from archgym.records import designs_of


def _best_of(fn, repeat: int, clock=time.perf_counter) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best


def _simulate_each(env: ArchGymEnv, designs: list[dict], budget_s: float) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = 0
    for d in designs:
        try:
            env.simulate(d)
        except InfeasibleDesign:
            pass
        n += 1
        if time.perf_counter() - t0 > budget_s:
            break
    return (time.perf_counter() - t0) / n, n


def measure_speed(surrogate: Any, env: ArchGymEnv, designs: pd.DataFrame | list[dict], *, single: int = 300,
                  batch: int = 20_000, sim_budget_s: float = 4.0, repeat: int = 2,
                  dataset_sim_seconds: pd.Series | None = None) -> dict:
    """Seconds per design of simulator and surrogate, single and batched, and the speed-ups."""
    ds = designs_of(designs) if isinstance(designs, pd.DataFrame) else list(designs)
    if not ds:
        raise ValueError("measure_speed needs at least one design")
    few = ds[:single]
    sim_single, n_single = _simulate_each(env, few, sim_budget_s / 2)
    # the batched timing uses other designs than the single one: an environment may cache results
    rest = ds[n_single:] or ds
    n_batch = int(max(1, min(len(rest), 20_000, (sim_budget_s / 2) / max(sim_single, 1e-9))))
    t0 = time.perf_counter()
    env.simulate_batch(rest[:n_batch])
    sim_batched = (time.perf_counter() - t0) / n_batch

    surrogate.predict([ds[-1]])  # a fitted model stays in memory: its first call's one-time set-up (compiling
    surrogate.predict(ds[-2:])  # the trees, loading kernels) is not a prediction's cost
    t0 = time.perf_counter()
    for d in few[:n_single]:
        surrogate.predict([d])
    sur_single = (time.perf_counter() - t0) / n_single
    big = (ds * (batch // len(ds) + 1))[:batch]
    sur_batched = _best_of(lambda: surrogate.predict(big), repeat) / len(big)
    X = surrogate.encoder.encode(big)
    model_only = _best_of(lambda: surrogate.predict_features(X), repeat) / len(big)
    # the same on this thread's CPU clock: what one core does when it is not shared (the wall figures
    # above include the time other processes of a loaded machine hold the core)
    cpu_batched = _best_of(lambda: surrogate.predict(big), repeat, time.thread_time) / len(big)
    cpu_model = _best_of(lambda: surrogate.predict_features(X), repeat, time.thread_time) / len(big)
    out = {
        "sim_single_s_per_design": sim_single, "sim_single_n": n_single,
        "sim_batched_s_per_design": sim_batched, "sim_batched_n": n_batch,
        "surrogate_single_s_per_design": sur_single,
        "surrogate_batched_s_per_design": sur_batched, "surrogate_batched_n": len(big),
        "surrogate_batched_designs_per_s": 1.0 / sur_batched,
        "model_only_designs_per_s": 1.0 / model_only,
        "surrogate_batched_designs_per_cpu_s": 1.0 / max(cpu_batched, 1e-12),
        "model_only_designs_per_cpu_s": 1.0 / max(cpu_model, 1e-12),
        "speedup_single": sim_single / sur_single,
        "speedup_batched": sim_batched / sur_batched,
    }
    if dataset_sim_seconds is not None and len(dataset_sim_seconds):
        out["dataset_sim_s_per_design"] = float(np.mean(dataset_sim_seconds))
    return out


__all__ = ["measure_speed"]
