"""The leaderboard: a Markdown table and figures drawn from a benchmark's tidy table.

``<plan>.md``: the headline table (median normalised score and interquartile range per agent and
panel at the headline budget, with significance marks), then per panel every budget with the best
reward, simple regret, hypervolume ratio and p-values. ``<plan>_scores.png``: the headline scores as a
heat map. ``<plan>_convergence.png``: normalised score against evaluations, median and interquartile
band per agent, one panel per environment.
"""

from __future__ import annotations

import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from archgym.benchmark.scores import ALPHA, significance
from archgym.files.atomic import atomic_path
from archgym.plots import save_figure_atomic

PANEL = ["entry", "workload"]


def headline_budget(table: pd.DataFrame, wanted: int = 200) -> int:
    """``wanted`` if every panel has it, else the largest budget every panel has."""
    common = set.intersection(*(set(g["budget"]) for _, g in table.groupby(PANEL)))
    if not common:
        raise ValueError("the panels share no budget; give every environment the headline budget")
    return wanted if wanted in common else max(common)


def agent_order(table: pd.DataFrame, budget: int) -> list[str]:
    """Agents by their median normalised score at ``budget`` over panels (each panel's median first), best first."""
    per_panel = table[table["budget"] == budget].groupby(PANEL + ["agent"])["score"].median()
    overall = per_panel.groupby("agent").median().fillna(-np.inf)
    return sorted(dict.fromkeys(table["agent"]), key=lambda a: (-overall.get(a, -np.inf), a))


def summaries(table: pd.DataFrame) -> dict[tuple, pd.DataFrame]:
    """:func:`~archgym.benchmark.scores.significance` of each panel."""
    return {key: significance(g) for key, g in table.groupby(PANEL, sort=False)}


def markdown(table: pd.DataFrame, *, command: str = "", wall_seconds: float | None = None, headline: int = 200) -> str:
    b = headline_budget(table, headline)
    sums = summaries(table)
    agents = agent_order(table, b)
    panels = list(sums)
    lines = [f"# Leaderboard: {table['plan'].iat[0]}", ""]
    if command:
        lines += [f"Command: `{command}`  "]
    lines += [f"Machine: {platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} CPUs"
              + (f"; {wall_seconds / 60:.1f} min" if wall_seconds else "") + f"; {time.strftime('%Y-%m-%d')}.", "",
              "**Normalised score** (100 = the known optimum, 0 = random search's median best at the same budget, "
              "negative = worse than that; as Bayesmark normalises): median [q25, q75] over seeds. "
              f"**Bold**: better than random search (one-sided Mann-Whitney U, p < {ALPHA}); "
              f"`*`: the leader or tied with it (two-sided test against the agent with the highest median, p >= {ALPHA}). "
              "n/a: random search's median already reaches the optimum at that budget (a plateau: no score can "
              "separate the agents; compare their best rewards below).",
              "", f"## Normalised score at {b} evaluations", "",
              "Agents ordered by the median over environments of their median score.", "",
              "| agent | " + " | ".join(panel_name(k) for k in panels) + " |",
              "|---|" + "---:|" * len(panels)]
    for a in agents:
        cells = []
        for k in panels:
            r = sums[k][(sums[k]["budget"] == b) & (sums[k]["agent"] == a)]
            cells.append(_score_cell(r.iloc[0]) if len(r) else "")
        lines.append(f"| {a} | " + " | ".join(cells) + " |")
    lines += ["", "Optimum each score is measured against:", ""]
    for k, g in table.groupby(PANEL, sort=False):
        lines.append(f"- {panel_name(k)} ({g['env_id'].iat[0]}): reward {g['optimum'].iat[0]:.6g}; "
                     f"{g['optimum_source'].iat[0]}; seeds {g['seed'].nunique()}")
    for k, g in table.groupby(PANEL, sort=False):
        s = sums[k]
        has_hv = g["hypervolume"].notna().any()
        lines += ["", f"## {panel_name(k)}: {g['env_id'].iat[0]}", "",
                  "| budget | agent | score | best reward | simple regret | "
                  + ("hypervolume | " if has_hv else "") + "p vs random | p vs leader |",
                  "|---:|---|---:|---:|---:|" + ("---:|" if has_hv else "") + "---:|---:|"]
        hv = g.groupby(["budget", "agent"])["hypervolume"].median() if has_hv else None
        for _, r in s.iterrows():
            cells = [str(r["budget"]), r["agent"], _score_cell(r),
                     f"{r['best_median']:.5g} [{r['best_q25']:.5g}, {r['best_q75']:.5g}]", f"{r['regret_median']:.4g}"]
            if has_hv:
                cells.append(f"{hv[(r['budget'], r['agent'])]:.3f}")
            cells += [_p(r["p_vs_random"]), _p(r["p_vs_leader"])]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Better than random search", ""]
    for a in agents:
        if a == "random":
            continue
        where = [f"{panel_name(k)} @ {r['budget']}" for k, s in sums.items() for _, r in s.iterrows()
                 if r["agent"] == a and r["beats_random"]]
        lines.append(f"- {a}: " + (", ".join(where) if where else "nowhere"))
    lines.append("")
    return "\n".join(lines)


def panel_name(key: tuple) -> str:
    entry, workload = key
    return entry if workload in (None, "None", "default", "mix") else f"{entry} ({workload})"


def _score_cell(r) -> str:
    if not np.isfinite(r["score_median"]):
        return "n/a"
    txt = f"{_int(r['score_median'])} [{_int(r['score_q25'])}, {_int(r['score_q75'])}]"
    txt = f"**{txt}**" if r["beats_random"] else txt
    return txt + (" `*`" if r["tied_with_leader"] else "")


def _int(x: float) -> str:
    return "n/a" if not np.isfinite(x) else str(int(round(x)))  # no "-0"


def _p(p) -> str:
    return "" if not np.isfinite(p) else f"{p:.2g}"


def plot_scores(table: pd.DataFrame, path: str | os.PathLike, headline: int = 200) -> Path:
    """Heat map of the median normalised score at the headline budget (agents x panels)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    b = headline_budget(table, headline)
    t = table[table["budget"] == b]
    agents = agent_order(table, b)
    panels = list(dict.fromkeys(zip(t["entry"], t["workload"])))
    m = np.full((len(agents), len(panels)), np.nan)
    for j, k in enumerate(panels):
        g = t[(t["entry"] == k[0]) & (t["workload"] == k[1])]
        med = g.groupby("agent")["score"].median()
        for i, a in enumerate(agents):
            m[i, j] = med.get(a, np.nan)
    fig, ax = plt.subplots(figsize=(1.6 + 1.5 * len(panels), 0.9 + 0.36 * len(agents)))
    im = ax.imshow(np.clip(m, -100, 100), cmap="RdYlGn", vmin=-100, vmax=100, aspect="auto")
    for i in range(len(agents)):
        for j in range(len(panels)):
            if np.isfinite(m[i, j]):
                ax.text(j, i, _int(m[i, j]), ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(panels)), [panel_name(k) for k in panels], rotation=25, ha="right", fontsize=8)
    ax.set_yticks(range(len(agents)), agents, fontsize=8)
    fig.colorbar(im, ax=ax, label="median normalised score")
    ax.set_title(f"normalised score at {b} evaluations (100 = optimum, 0 = random search)", fontsize=9)
    fig.tight_layout()
    return save_figure_atomic(fig, path)


def plot_convergence(curves: dict[tuple, dict[str, np.ndarray]], path: str | os.PathLike) -> Path:
    """Normalised score of the best design so far against evaluations: median and interquartile band per
    agent (``curves[panel][agent]`` is a seeds x evaluations array of scores)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(curves)
    cols = min(3, n)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5.0 * cols, 3.8 * rows), squeeze=False)
    agents = list(dict.fromkeys(a for c in curves.values() for a in c))
    cmap = plt.get_cmap("tab20").colors
    colors = {a: cmap[i % len(cmap)] for i, a in enumerate(agents)}
    for ax, (key, by_agent) in zip(axes.flat, curves.items()):
        for a, s in by_agent.items():
            x = np.arange(1, s.shape[1] + 1)
            with warnings.catch_warnings():  # budgets where random search is already at the optimum have no score
                warnings.simplefilter("ignore", RuntimeWarning)
                med = np.nanmedian(s, axis=0)
                q25, q75 = np.nanpercentile(s, [25, 75], axis=0)
            ax.plot(x, med, color=colors[a], lw=1.4, label=a)
            ax.fill_between(x, q25, q75, color=colors[a], alpha=0.12, lw=0)
        ax.set_xscale("log")
        ax.set_ylim(-100, 105)
        ax.axhline(100, color="k", lw=0.6, ls=":")
        ax.set_title(panel_name(key), fontsize=9)
        ax.set_xlabel("simulator evaluations")
        ax.set_ylabel("normalised score")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=6, loc="lower right", ncol=2)
    fig.suptitle("normalised score of the best design so far: median and interquartile band over seeds", fontsize=10)
    fig.tight_layout()
    return save_figure_atomic(fig, path)


def score_curves(rows_by_panel: dict[tuple, pd.DataFrame], table: pd.DataFrame) -> dict[tuple, dict[str, np.ndarray]]:
    """Per panel and agent, seeds x evaluations of the normalised score of the best so far, against the
    panel's optimum and random search's median best-so-far curve (so 0 is random search at every budget)."""
    out = {}
    for key, rows in rows_by_panel.items():
        g = table[(table["entry"] == key[0]) & (table["workload"] == key[1])]
        optimum = float(g["optimum"].iat[0])
        best = {}
        for _, r in rows.groupby("run_id", sort=False):
            r = r.sort_values("step")
            best.setdefault(r["agent"].iat[0], []).append(np.maximum.accumulate(r["reward"].to_numpy(dtype=float)))
        length = min(len(c) for runs in best.values() for c in runs)
        arrays = {a: np.array([c[:length] for c in runs]) for a, runs in best.items()}
        rand = np.median(arrays["random"], axis=0)
        gap = optimum - rand
        with np.errstate(divide="ignore", invalid="ignore"):
            out[key] = {a: np.where(gap > 0, 100.0 * (s - rand) / gap, np.nan) for a, s in arrays.items()}
    return out


def write_report(table: pd.DataFrame, rows_by_panel: dict[tuple, pd.DataFrame], folder: str | os.PathLike, *,
                 command: str = "", wall_seconds: float | None = None, headline: int = 200) -> list[Path]:
    """``<plan>.md``, ``<plan>_scores.png`` and ``<plan>_convergence.png`` in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = table["plan"].iat[0]
    md = folder / f"{name}.md"
    with atomic_path(md) as tmp:
        tmp.write_text(markdown(table, command=command, wall_seconds=wall_seconds, headline=headline), encoding="utf-8")
    return [md, plot_scores(table, folder / f"{name}_scores.png", headline),
            plot_convergence(score_curves(rows_by_panel, table), folder / f"{name}_convergence.png")]


__all__ = ["markdown", "panel_name", "agent_order", "plot_scores", "plot_convergence", "score_curves", "summaries",
           "headline_budget", "write_report"]
