"""``archgym analyze``: ArchGym's hyper-parameter-lottery figures (PNG + CSV) from sweep datasets."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from archgym.cli.app import app
from archgym.cli.options import console, fail


@app.command(
    "analyze",
    help=(
        "Turn one or more sweep folders into ArchGym's study figures: per agent, the box plot of the best reward over "
        "its hyper-parameter settings (lottery.png/.csv), the fraction of settings that met the target within the "
        "budget (target_fraction.png/.csv), and best reward against simulator evaluations (convergence.png/.csv); "
        "plus experiments.csv and summary.json."
    ),
)
def analyze_command(
    sweeps: list[Path] = typer.Argument(..., help="sweep folder(s) written by archgym sweep (or run/collect folders)"),
    out: Path | None = typer.Option(None, "--out", "-o", help="output folder [default: <first sweep>/analysis]"),
    include_incomplete: bool = typer.Option(False, "--include-incomplete", help="also use experiments that did not finish"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
) -> None:
    from archgym.records import RecordsError
    from archgym.sweeps.analysis import analyze

    out = out or sweeps[0] / "analysis"
    try:
        summary = analyze(sweeps, out, include_incomplete=include_incomplete)
    except (RecordsError, ValueError) as e:
        fail(str(e))
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=str))
        return
    from rich.table import Table

    t = Table(title=f"hyper-parameter lottery ({summary['experiments']} experiments, {summary['evaluations']:,} evaluations)")
    for col in ("environment", "agent", "settings", "best reward: worst / median / best", "met target (experiments)",
                "met target (settings, all seeds)"):
        t.add_column(col)
    for p in summary["panels"]:
        t.add_row(f"{p['env_id']} ({p['workload']})", p["agent"], str(p["settings"]),
                  f"{p['best_reward_min']:.4g} / {p['best_reward_median']:.4g} / {p['best_reward_max']:.4g}",
                  f"{p['fraction_experiments_met_target']:.0%}", f"{p['fraction_settings_met_target_all_seeds']:.0%}")
    console().print(t)
    if summary["incomplete_experiments_left_out"]:
        typer.echo(f"{summary['incomplete_experiments_left_out']} incomplete experiment(s) left out (--include-incomplete)")
    typer.echo(f"wrote {', '.join(summary['files'])} to {out}")
