"""Search on a surrogate, re-check the best designs on the simulator, report the gap.

The loop a surrogate is for: an agent spends a large budget of cheap predicted evaluations, the
``top`` designs it found (best predicted reward, distinct) are simulated, and the report says how
far the predictions were from the simulator -- per metric, in reward, and in the order of the
re-checked designs -- and which re-checked design is really best. Optionally the same agent also
runs on the simulator alone with the same number of *simulator* evaluations (``top``) or any other
budget, as the baseline a surrogate search has to beat.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from archgym.records import DESIGN_PREFIX, METRIC_PREFIX, designs_of
from archgym.runner import make_env, run
from archgym.surrogates.metrics import kendall_tau
from archgym.surrogates.surrogate import Surrogate, load


@dataclass
class RecheckResult:
    """Predicted against simulated for the top designs of a surrogate search."""

    table: pd.DataFrame = field(repr=False)
    summary: dict

    def to_json(self) -> dict:
        return {"summary": self.summary, "designs": self.table.to_dict(orient="records")}


def search_and_recheck(model: str | Surrogate, agent: str = "random", budget: int = 10_000, top: int = 10,
                       seed: int = 0, *, agent_params: Mapping[str, Any] | None = None,
                       env_kwargs: Mapping[str, Any] | None = None, baseline_budget: int | None = None) -> RecheckResult:
    """Run ``agent`` for ``budget`` evaluations on the surrogate ``model`` (path or Surrogate), simulate
    the ``top`` best distinct designs, and compare. ``env_kwargs`` (reward, targets, ...) apply to both
    environments; the workload is the surrogate's. With ``baseline_budget`` the agent also runs on the
    simulator for that many evaluations (same seed)."""
    sur = model if isinstance(model, Surrogate) else load(model)
    if not isinstance(top, int) or top < 1:
        raise ValueError(f"top must be an integer >= 1, got {top!r}")
    kwargs = {**dict(env_kwargs or {}), "workload": sur.identity["workload"]}
    env_id = sur.identity["env_id"]
    sur_env = make_env(env_id, **kwargs, backend="surrogate", model=sur)
    t0 = time.perf_counter()
    searched = run(sur_env, agent, budget, seed, agent_params=agent_params, progress=False, plot=False).rows
    search_s = time.perf_counter() - t0
    found = searched[searched["feasible"]].sort_values("reward", ascending=False, kind="stable")
    found = found.drop_duplicates([c for c in found.columns if c.startswith(DESIGN_PREFIX)]).head(top)
    designs = designs_of(found)
    sim_env = make_env(env_id, **kwargs)
    t0 = time.perf_counter()
    evals = sim_env.evaluate_many(designs)
    recheck_s = time.perf_counter() - t0
    rows = []
    for rank, (d, (_, pred), ev) in enumerate(zip(designs, found.iterrows(), evals), start=1):
        row = {"rank_predicted": rank, **d, "feasible": ev.feasible,
               "reward_predicted": float(pred["reward"]), "reward_simulated": sim_env.reward_of(ev)}
        for m in sur.metric_names:
            p, s = float(pred[METRIC_PREFIX + m]), ev.metrics.get(m, np.nan)
            row[f"{m}_predicted"], row[f"{m}_simulated"] = p, s
            row[f"{m}_error_pct"] = 100.0 * (p - s) / abs(s) if s else np.nan
        rows.append(row)
    table = pd.DataFrame(rows)
    best_sim = int(table["reward_simulated"].to_numpy().argmax())
    summary = {
        "env_id": env_id, "workload": sur.identity["workload"], "model": sur.model, "agent": agent, "seed": int(seed),
        "surrogate_evaluations": int(budget), "simulator_evaluations": len(designs),
        "search_seconds": search_s, "recheck_seconds": recheck_s,
        "predicted_best_reward": float(table["reward_predicted"].iloc[0]),
        "simulated_reward_of_predicted_best": float(table["reward_simulated"].iloc[0]),
        "reward_gap": float(table["reward_predicted"].iloc[0] - table["reward_simulated"].iloc[0]),
        "best_simulated_reward": float(table["reward_simulated"].iloc[best_sim]),
        "best_simulated_rank_predicted": best_sim + 1,
        "best_design": designs[best_sim],
        "n_infeasible_on_simulator": int((~table["feasible"]).sum()),
        "mean_abs_error_pct": {m: float(np.nanmean(np.abs(table[f"{m}_error_pct"]))) for m in sur.metric_names},
        "kendall_tau_reward_top": kendall_tau(table["reward_simulated"], table["reward_predicted"]),
    }
    if baseline_budget:
        base = run(env_id, agent, int(baseline_budget), seed, agent_params=agent_params, env_kwargs=kwargs,
                   progress=False, plot=False)
        summary["baseline"] = {"simulator_evaluations": int(baseline_budget), "best_reward": base.best_reward,
                               "best_design": base.best_design}
    return RecheckResult(table, summary)


__all__ = ["search_and_recheck", "RecheckResult"]
