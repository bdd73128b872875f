"""ArchGym's study figures from sweep datasets: the hyper-parameter lottery.

:func:`analyze` reads one or more sweep folders and writes, as PNG and CSV:

- ``lottery.png`` / ``lottery.csv`` -- per agent, the distribution of the best reward each
  experiment (one hyper-parameter setting, one seed) reached within its budget: a box plot with
  every experiment as a point (ArchGym Fig. "hyperparameter lottery");
- ``target_fraction.png`` / ``target_fraction.csv`` -- per agent, the fraction of experiments and
  of hyper-parameter settings (all seeds) that met the target within the budget, and the fraction
  of experiments that came within ``NEAR_BEST`` of the best reward found (when no design meets
  the target, this is what separates lucky settings from unlucky ones);
- ``convergence.png`` / ``convergence.csv`` -- best reward so far against simulator evaluations:
  median and interquartile band over an agent's experiments, and the curve of its best one;
- ``experiments.csv`` -- one row per experiment (the table the figures are drawn from);
- ``summary.json`` -- the numbers quoted above, per environment/workload and agent.

Panels are per environment and workload (rewards of different environments are not comparable).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from archgym.files.atomic import atomic_path
from archgym.plots import save_figure_atomic
from archgym.records import load_records, write_json_atomic
from archgym.sweeps.dataset import evaluation_dirs, read_json

#: "near the best": within this many reward units of the best reward of the panel (for target
#: rewards, 0.01 = one percentage point of summed relative distance to the targets)
NEAR_BEST = 0.01
ROW_COLUMNS = ["run_id", "env_id", "workload", "agent", "agent_params", "seed", "step", "reward", "target_met"]
PANEL = ["env_id", "workload"]


def experiment_table(paths: str | os.PathLike | Sequence[str | os.PathLike]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(experiments, rows)``: one row per experiment with its best reward, whether and when it met
    the target, and its setting; and the evaluation rows (few columns) in step order."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    dirs, cards = [], {}
    for root in paths:
        for d in evaluation_dirs(root):
            dirs.append(d)
            card_path = d.parent / "run.json"
            if card_path.is_file():
                c = read_json(card_path, "run card")
                cards[c["run_id"]] = c
    rows = load_records(dirs, columns=ROW_COLUMNS).drop(columns="schema_version")
    rows = rows.sort_values(["run_id", "step"], ignore_index=True)
    rows["best_so_far"] = rows.groupby("run_id", sort=False)["reward"].cummax()
    g = rows.groupby("run_id", sort=False)
    exps = g.agg(env_id=("env_id", "first"), workload=("workload", "first"), agent=("agent", "first"),
                 agent_params=("agent_params", "first"), seed=("seed", "first"), evaluations=("step", "size"),
                 best_reward=("reward", "max"), target_met=("target_met", "any")).reset_index()
    first = rows[rows["target_met"]].groupby("run_id", sort=False)["step"].min() + 1
    exps["first_target_met_evaluation"] = exps["run_id"].map(first).astype("Int64")
    exps["complete"] = exps["run_id"].isin(cards)
    exps["budget"] = [cards[r]["budget"] if r in cards else n for r, n in zip(exps["run_id"], exps["evaluations"])]
    exps["setting"] = [cards.get(r, {}).get("setting") or _setting_text(p, b)
                       for r, p, b in zip(exps["run_id"], exps["agent_params"], exps["budget"])]
    exps["setting_id"] = [cards.get(r, {}).get("setting_id") or f"{e}|{w}|{a}|{s}" for r, e, w, a, s in
                          zip(exps["run_id"], exps["env_id"], exps["workload"], exps["agent"], exps["setting"])]
    exps["sweep"] = [cards.get(r, {}).get("sweep") for r in exps["run_id"]]
    return exps.sort_values(PANEL + ["agent", "setting", "seed"], ignore_index=True), rows


def _setting_text(agent_params: str, budget: int) -> str:
    try:
        params = json.loads(agent_params)
    except (TypeError, json.JSONDecodeError):
        params = {}
    return ", ".join(f"{k}={v}" for k, v in {**params, "budget": budget}.items())


def lottery_table(exps: pd.DataFrame, near: float = NEAR_BEST) -> pd.DataFrame:
    """Per panel and agent: spread of the best reward over its experiments, the fractions that met
    the target, and the fraction that came within ``near`` (reward units) of the best reward any
    experiment of the panel found -- the useful measure when no design meets the target."""
    out = []
    panel_best = exps.groupby(PANEL)["best_reward"].transform("max")
    for (env, wl, agent), e in exps.groupby(PANEL + ["agent"], sort=False):
        q = e["best_reward"].quantile([0.0, 0.25, 0.5, 0.75, 1.0]).to_numpy()
        per_setting = e.groupby("setting_id")["target_met"].agg(["all", "any"])
        out.append({"env_id": env, "workload": wl, "agent": agent, "experiments": len(e), "settings": len(per_setting),
                    "best_reward_min": q[0], "best_reward_q25": q[1], "best_reward_median": q[2],
                    "best_reward_q75": q[3], "best_reward_max": q[4],
                    "best_reward_spread": q[4] - q[0],
                    "fraction_experiments_met_target": float(e["target_met"].mean()),
                    "fraction_settings_met_target_all_seeds": float(per_setting["all"].mean()),
                    "fraction_settings_met_target_any_seed": float(per_setting["any"].mean()),
                    "fraction_experiments_near_best": float((e["best_reward"] >= panel_best[e.index] - near).mean()),
                    "median_evaluations_to_target": float(e["first_target_met_evaluation"].dropna().median())
                    if e["first_target_met_evaluation"].notna().any() else np.nan,
                    "best_setting": e.loc[e["best_reward"].idxmax(), "setting"],
                    "worst_setting": e.loc[e["best_reward"].idxmin(), "setting"]})
    return pd.DataFrame(out)


def convergence_table(exps: pd.DataFrame, rows: pd.DataFrame, points: int = 60) -> pd.DataFrame:
    """Best reward so far at log-spaced evaluation counts: per panel and agent, the median, quartiles
    and maximum over the experiments whose budget reaches that count, and the curve of the agent's
    best experiment (the one with the highest final reward; NaN beyond its budget)."""
    out = []
    budgets = exps.set_index("run_id")["evaluations"]
    for (env, wl, agent), e in exps.groupby(PANEL + ["agent"], sort=False):
        top = int(e["evaluations"].max())
        grid = np.unique(np.geomspace(1, top, num=min(points, top)).round().astype(int))
        curves = np.full((len(e), len(grid)), np.nan)
        sub = rows[rows["run_id"].isin(e["run_id"])]
        winner = e.loc[e["best_reward"].idxmax(), "run_id"]
        for i, (rid, r) in enumerate(sub.groupby("run_id", sort=False)):
            best = r["best_so_far"].to_numpy()
            ok = grid <= budgets[rid]
            curves[i, ok] = best[grid[ok] - 1]
            if rid == winner:
                i_winner = i
        with warnings.catch_warnings():  # all-NaN columns cannot occur: grid[0] = 1 <= every budget
            warnings.simplefilter("ignore", RuntimeWarning)
            q = np.nanquantile(curves, [0.25, 0.5, 0.75], axis=0)
            mx = np.nanmax(curves, axis=0)
        n = np.sum(~np.isnan(curves), axis=0)
        for j, x in enumerate(grid):
            out.append({"env_id": env, "workload": wl, "agent": agent, "evaluations": int(x), "experiments": int(n[j]),
                        "best_reward_q25": q[0, j], "best_reward_median": q[1, j], "best_reward_q75": q[2, j],
                        "best_reward_max": mx[j], "best_experiment": curves[i_winner, j]})
    return pd.DataFrame(out)


def analyze(paths: str | os.PathLike | Sequence[str | os.PathLike], out: str | os.PathLike,
            include_incomplete: bool = False) -> dict:
    """Write the study's figures and tables for the sweep(s) at ``paths`` into ``out``; return the summary."""
    out = Path(out)
    exps, rows = experiment_table(paths)
    out.mkdir(parents=True, exist_ok=True)
    n_incomplete = int((~exps["complete"]).sum())
    if not include_incomplete:
        exps = exps[exps["complete"]].reset_index(drop=True)
        rows = rows[rows["run_id"].isin(exps["run_id"])]
    if exps.empty:
        raise ValueError(f"no complete experiment in {paths}; analyse incomplete ones with include_incomplete=True")
    lottery = lottery_table(exps)
    conv = convergence_table(exps, rows)
    _csv(exps.drop(columns=["agent_params"]), out / "experiments.csv")
    _csv(lottery, out / "lottery.csv")
    _csv(lottery[PANEL + ["agent", "experiments", "settings", "fraction_experiments_met_target",
                          "fraction_settings_met_target_all_seeds", "fraction_settings_met_target_any_seed",
                          "fraction_experiments_near_best", "median_evaluations_to_target"]], out / "target_fraction.csv")
    _csv(conv, out / "convergence.csv")
    plot_lottery(exps, out / "lottery.png")
    plot_target_fraction(lottery, out / "target_fraction.png")
    plot_convergence_curves(conv, out / "convergence.png")
    summary = {"experiments": len(exps), "incomplete_experiments_left_out": n_incomplete if not include_incomplete else 0,
               "evaluations": int(len(rows)), "panels": lottery.to_dict("records"),
               "files": sorted({p.name for p in out.iterdir() if not p.name.startswith(".")} | {"summary.json"})}
    write_json_atomic(summary, out / "summary.json")
    return summary


def _csv(df: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)


def _panels(df: pd.DataFrame) -> tuple:
    """A figure with one axes per environment/workload of ``df``, and ``[(axes, (env, workload), rows)]``."""
    import matplotlib.pyplot as plt

    groups = list(df.groupby(PANEL, sort=False))
    n = len(groups)
    cols = min(n, 2)
    fig, axes = plt.subplots((n + cols - 1) // cols, cols, figsize=(6.5 * cols, 4.2 * ((n + cols - 1) // cols)), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, [(ax, key, sub) for ax, (key, sub) in zip(axes.flat, groups)]


def _title(env: str, wl: str) -> str:
    return f"{env} ({wl})"


def _reward_scale(ax, rewards: pd.Series) -> None:
    """Symmetric-log reward axis when rewards span decades (target distances: a few far-off designs
    would otherwise squash the differences near the target, which are the ones that matter)."""
    r = rewards.dropna()
    if len(r) and r.abs().max() > 20 * max(r.abs().min(), 1e-12):
        ax.set_yscale("symlog", linthresh=max(float(r.abs().quantile(0.05)), 1e-3))
        if r.max() <= 0:
            ax.set_ylim(top=0.0)


def plot_lottery(exps: pd.DataFrame, path: Path) -> Path:
    """Box plot per agent of the best reward of each experiment; points coloured by target met."""
    fig, panels = _panels(exps)
    rng = np.random.default_rng(0)
    for ax, key, e in panels:
        agents = list(dict.fromkeys(e["agent"]))
        data = [e.loc[e["agent"] == a, "best_reward"].to_numpy() for a in agents]
        ax.boxplot(data, showfliers=False, widths=0.6)
        ax.set_xticks(range(1, len(agents) + 1), agents)
        for i, a in enumerate(agents, start=1):
            sel = e[e["agent"] == a]
            x = i + rng.uniform(-0.18, 0.18, len(sel))
            met = sel["target_met"].to_numpy(bool)
            ax.scatter(x[~met], sel["best_reward"].to_numpy()[~met], s=9, alpha=0.5, color="tab:gray", zorder=3)
            ax.scatter(x[met], sel["best_reward"].to_numpy()[met], s=9, alpha=0.6, color="tab:green", zorder=3)
            ax.annotate(f"n={len(sel)}", (i, 1.0), xycoords=("data", "axes fraction"), ha="center", va="bottom", fontsize=7)
        _reward_scale(ax, e["best_reward"])
        ax.set_ylabel("best reward within the budget")
        ax.set_title(_title(*key), fontsize=10, pad=14)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("Hyper-parameter lottery: best reward of every setting x seed (green: met the target)", fontsize=10, y=1.03)
    return save_figure_atomic(fig, path)


def plot_target_fraction(lottery: pd.DataFrame, path: Path) -> Path:
    fig, panels = _panels(lottery)
    for ax, key, t in panels:
        x = np.arange(len(t))
        ax.bar(x - 0.27, t["fraction_experiments_met_target"], width=0.27, label="met target: experiments (setting x seed)")
        ax.bar(x, t["fraction_settings_met_target_all_seeds"], width=0.27, label="met target: settings, every seed")
        ax.bar(x + 0.27, t["fraction_experiments_near_best"], width=0.27,
               label=f"experiments within {NEAR_BEST:g} of the best reward found")
        ax.set_xticks(x, t["agent"])
        ax.set_ylim(0, 1.35)  # room for the legend above the bars
        ax.set_yticks(np.linspace(0, 1, 6))
        ax.set_ylabel("fraction of experiments / settings")
        ax.set_title(_title(*key), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    return save_figure_atomic(fig, path)


def plot_convergence_curves(conv: pd.DataFrame, path: Path) -> Path:
    fig, panels = _panels(conv)
    for ax, key, c in panels:
        for i, (agent, a) in enumerate(c.groupby("agent", sort=False)):
            color = f"C{i}"
            ax.plot(a["evaluations"], a["best_reward_median"], color=color, lw=2, label=f"{agent} (median)")
            ax.fill_between(a["evaluations"], a["best_reward_q25"], a["best_reward_q75"], color=color, alpha=0.2)
            ax.plot(a["evaluations"], a["best_experiment"], color=color, lw=1, ls="--")
        ax.set_xscale("log")
        _reward_scale(ax, c["best_reward_q25"])
        ax.set_xlabel("simulator evaluations")
        ax.set_ylabel("best reward so far")
        ax.set_title(_title(*key) + " -- band: quartiles, dashed: best experiment", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    return save_figure_atomic(fig, path)


__all__ = ["analyze", "experiment_table", "lottery_table", "convergence_table", "plot_lottery",
           "plot_target_fraction", "plot_convergence_curves"]
