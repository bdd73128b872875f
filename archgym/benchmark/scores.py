"""Scores of a benchmark: best reward at each budget, normalised score, simple regret, hypervolume.

For one panel (an environment entry with one workload) and one budget ``b``:

- ``best``: the best reward among a run's first ``b`` evaluations;
- ``random_median``: the median of random search's ``best`` over its seeds at the same budget;
- ``optimum``: the known optimum's reward (``env.unwrapped.known_optimum()``), or, where none is
  known, the best reward any run of the benchmark found (``optimum_source`` says which);
- **normalised score** = 100 x (best - random_median) / (optimum - random_median): 100 is the optimum,
  0 is random search's median at that budget, negative is worse than it (Bayesmark's normalisation);
- **simple regret** = optimum - best (0 at the optimum);
- **hypervolume ratio**: the hypervolume of the feasible designs found, in the reward's objectives,
  as a fraction of the true Pareto front's (where a front is shipped; see :mod:`.hypervolume`).

Significance, per panel and budget, over seeds: each agent against random search (one-sided
Mann-Whitney U, "better than random") and against the agent with the highest median (two-sided;
"tied with the leader" when p >= ``ALPHA``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from archgym.benchmark.hypervolume import normalised_hypervolume

ALPHA = 0.05


def best_at_budgets(rows: pd.DataFrame, budgets: list[int]) -> pd.DataFrame:
    """One row per (run, budget): ``agent``, ``seed``, ``budget``, ``best`` (NaN if the run is shorter)."""
    out = []
    for run_id, g in rows.groupby("run_id", sort=False):
        g = g.sort_values("step")
        best = np.maximum.accumulate(g["reward"].to_numpy(dtype=float))
        for b in budgets:
            out.append({"run_id": run_id, "agent": g["agent"].iat[0], "seed": int(g["seed"].iat[0]), "budget": int(b),
                        "evaluations": len(best), "best": float(best[b - 1]) if len(best) >= b else float("nan")})
    return pd.DataFrame(out)


def normalised_scores(table: pd.DataFrame, optimum: float) -> pd.DataFrame:
    """Add ``random_median``, ``score`` and ``regret`` to :func:`best_at_budgets`'s table (one panel)."""
    table = table.copy()
    rand = table[table["agent"] == "random"].groupby("budget")["best"].median()
    if rand.empty:
        raise ValueError("normalised scores need random search's runs in the panel (agent 'random')")
    table["optimum"] = float(optimum)
    table["random_median"] = table["budget"].map(rand)
    gap = optimum - table["random_median"]
    table["score"] = np.where(gap > 0, 100.0 * (table["best"] - table["random_median"]) / gap.where(gap > 0, 1.0), np.nan)
    table["regret"] = optimum - table["best"]
    return table


def hypervolume_ratios(rows: pd.DataFrame, budgets: list[int], senses: dict[str, str], front: list[dict]) -> pd.DataFrame:
    """One row per (run, budget): ``hypervolume`` of the feasible designs among the first ``budget``
    evaluations, as a fraction of ``front``'s (points' ``metrics``), in the objectives of ``senses``."""
    names = list(senses)
    sign = np.array([-1.0 if senses[m] == "min" else 1.0 for m in names])
    true = np.array([[p["metrics"][m] for m in names] for p in front], dtype=float) * sign
    out = []
    cols = [f"metric.{m}" for m in names]
    for run_id, g in rows.groupby("run_id", sort=False):
        g = g.sort_values("step")
        pts = g[cols].to_numpy(dtype=float) * sign
        ok = g["feasible"].to_numpy(dtype=bool)
        for b in budgets:
            sel = pts[:b][ok[:b]]
            out.append({"run_id": run_id, "budget": int(b),
                        "hypervolume": normalised_hypervolume(sel, true) if len(g) >= b else float("nan")})
    return pd.DataFrame(out)


def significance(table: pd.DataFrame) -> pd.DataFrame:
    """Per (budget, agent): median and quartiles of score and best reward, p against random search and
    against the leader (highest median best), and the flags ``beats_random`` and ``tied_with_leader``."""
    from scipy.stats import mannwhitneyu

    out = []
    for b, g in table.groupby("budget"):
        by_agent = {a: x["best"].dropna().to_numpy() for a, x in g.groupby("agent", sort=False)}
        medians = {a: float(np.median(v)) if len(v) else -np.inf for a, v in by_agent.items()}
        leader = max(medians, key=medians.get)
        rand = by_agent.get("random", np.array([]))
        for a, v in by_agent.items():
            x = g[g["agent"] == a]
            p_rand = _mwu(v, rand, "greater", mannwhitneyu) if a != "random" else np.nan
            p_lead = _mwu(v, by_agent[leader], "two-sided", mannwhitneyu) if a != leader else np.nan
            q = lambda s, k, x=x: float(np.nanpercentile(x[s], k)) if x[s].notna().any() else np.nan  # noqa: E731
            out.append({"budget": int(b), "agent": a, "seeds": int(len(v)),
                        "score_median": q("score", 50), "score_q25": q("score", 25), "score_q75": q("score", 75),
                        "best_median": q("best", 50), "best_q25": q("best", 25), "best_q75": q("best", 75),
                        "regret_median": q("regret", 50), "p_vs_random": p_rand, "p_vs_leader": p_lead,
                        "beats_random": bool(a != "random" and medians[a] > medians.get("random", np.inf) and p_rand < ALPHA),
                        "leader": a == leader, "tied_with_leader": bool(a == leader or p_lead >= ALPHA)})
    return pd.DataFrame(out)


def _mwu(x: np.ndarray, y: np.ndarray, alternative: str, test) -> float:
    if len(x) == 0 or len(y) == 0:
        return np.nan
    if np.ptp(np.r_[x, y]) == 0:
        return 1.0  # every value equal: no evidence of any difference
    return float(test(x, y, alternative=alternative).pvalue)


__all__ = ["ALPHA", "best_at_budgets", "normalised_scores", "hypervolume_ratios", "significance"]
