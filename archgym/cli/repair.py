"""``archgym repair``: set aside damaged part files of a run, collect or sweep folder and re-simulate only what is missing."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from archgym.cli.app import app
from archgym.cli.options import fail
from archgym.files.lock import LockError


@app.command(
    "repair",
    help=(
        "Check a run, collect or sweep folder against the part files its cards list (row counts and sha256), "
        "move changed, unreadable or unlisted ones to <run>/damaged/, and re-simulate only the rows that are "
        "missing (agents are replayed under their seeds; the rows still there are not simulated again).\n\n"
        "With --dry-run, only say what is damaged and what would be re-simulated."
    ),
)
def repair_command(
    path: Path = typer.Argument(..., help="the folder: OUT of archgym run, collect or sweep"),
    dry_run: bool = typer.Option(False, "--dry-run", help="say what is damaged; change nothing"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar per repaired run"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
) -> None:
    from archgym.records import RecordsError
    from archgym.repair import repair

    try:
        report = repair(path, dry_run=dry_run, progress=progress)
    except (ValueError, TypeError, KeyError, RecordsError, LockError) as e:
        fail(str(e))
    if as_json:
        typer.echo(json.dumps(report.summary(), indent=2))
        return
    if not report.runs:
        typer.echo(f"{path}: intact (every part file its cards list is there, with its row count and sha256)")
        return
    for r in report.runs:
        what = "; ".join(f"{name} {why}" for name, why in r["why"].items())
        done = ("would re-simulate its missing rows" if dry_run
                else f"re-simulated {r['rows_simulated']:,} row(s)"
                + (f"; set aside {len(r['set_aside'])} file(s) in {r['run']}/damaged/" if r["set_aside"] else ""))
        typer.echo(f"{r['run']}: {what}: {done}")
    if not dry_run:
        typer.echo(f"{path}: repaired ({report.rows_simulated:,} row(s) simulated); verified against its cards")
