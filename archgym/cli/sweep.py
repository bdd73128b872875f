"""``archgym sweep``: run (or resume) a sweep file under Ray Tune and write its dataset."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from archgym.cli.app import app
from archgym.cli.options import console, fail
from archgym.files.lock import LockError


@app.command(
    "sweep",
    help=(
        "Run a sweep file (environments x workloads x agents x hyper-parameter grids x seeds) under Ray Tune, "
        "one trial per experiment.\n\n"
        "Writes OUT/runs/<run_id>/evaluations/part-*.parquet (one row per evaluated design), OUT/runs/<run_id>/run.json, "
        "OUT/dataset.json (the dataset card) and OUT/tune/ (Ray Tune's state). Running the same command again on an "
        "interrupted sweep resumes it (Tuner.restore) without losing or duplicating rows. Exit code 1 if a trial failed "
        "after its retries, 130 if the sweep was interrupted (Ctrl-C) before its end. The file format is described in "
        "README.md, section 'Sweeps under Ray Tune'."
    ),
)
def sweep_command(
    file: Path = typer.Argument(..., help="sweep file (YAML)"),
    out: Path | None = typer.Option(None, "--out", "-o", help="dataset folder [default: runs/sweeps/<name>]"),
    address: str | None = typer.Option(None, "--address", envvar="RAY_ADDRESS", help="join a running Ray cluster (e.g. auto or HOST:6379); "
                                          "OUT must then be on a file system every node can write"),
    num_cpus: int | None = typer.Option(None, "--num-cpus", help="CPUs of the local Ray instance [default: all cores]"),
    max_concurrent: int | None = typer.Option(None, "--max-concurrent", help="at most this many trials at once"),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="continue an interrupted sweep found in OUT"),
    retry_errored: bool = typer.Option(False, "--retry-errored", help="on resume, restart trials that had failed too"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check the file and list the experiments; run nothing"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar"),
    as_json: bool = typer.Option(False, "--json", help="print the result summary as JSON"),
) -> None:
    from archgym.records import RecordsError
    from archgym.sweeps.run import SweepError, run_sweep
    from archgym.sweeps.spec import SweepSpecError, load_sweep_spec

    if num_cpus is not None and num_cpus < 1:
        fail(f"--num-cpus must be >= 1, got {num_cpus}")
    if max_concurrent is not None and max_concurrent < 1:
        fail(f"--max-concurrent must be >= 1, got {max_concurrent}")
    try:
        spec = load_sweep_spec(file)
        spec.check()
    except SweepSpecError as e:
        fail(str(e))
    if dry_run:
        _print_plan(spec)
        return
    out = out or Path("runs") / "sweeps" / spec.name
    try:
        result = run_sweep(spec, out, address=address, num_cpus=num_cpus, resume=resume, retry_errored=retry_errored,
                           max_concurrent_trials=max_concurrent, progress=progress)
    except (SweepError, SweepSpecError, RecordsError, LockError) as e:
        fail(str(e))
    except ConnectionError as e:
        fail(f"--address {address!r}: cannot join the Ray cluster: {e}")
    if as_json:
        typer.echo(json.dumps(result.summary(), indent=2, default=str))
    else:
        _print_result(result)
    if result.unfinished:
        typer.echo(f"interrupted: {len(result.unfinished)} experiment(s) unfinished; run the same command again to "
                   "resume (rows already written are kept, none is duplicated)", err=True)
        raise typer.Exit(130)
    if not result.ok:
        raise typer.Exit(1)


def _print_plan(spec) -> None:
    from collections import Counter

    exps = spec.experiments()
    by = Counter((e.env_label, e.workload, e.label) for e in exps)
    evals = Counter()
    for e in exps:
        evals[(e.env_label, e.workload, e.label)] += e.budget
    typer.echo(f"sweep {spec.name!r}: {len(exps)} experiments, {sum(e.budget for e in exps):,} simulator evaluations")
    for (env, w, agent), n in by.items():
        typer.echo(f"  {env} [{w or 'default workload'}] {agent}: {n} experiments, {evals[(env, w, agent)]:,} evaluations")


def _print_result(result) -> None:

    c = console()
    rate = result.evaluations / max(result.wall_seconds, 1e-9)
    c.print(f"[bold]sweep {result.name}[/bold]{' (resumed)' if result.resumed else ''}: "
            f"{len(result.completed)}/{result.n_experiments} experiments completed, {result.evaluations:,} evaluations "
            f"in {result.wall_seconds:.1f} s ({rate:,.0f} evaluations/s)")
    if result.retried:
        c.print(f"{len(result.retried)} trial(s) completed in more than one attempt (retried or resumed): "
                + ", ".join(f"{r['agent']} seed {r['seed']} ({r['attempts']} attempts)" for r in result.retried[:5]))
    for e in result.errored:
        c.print(f"[red]failed[/red]: {e['agent']} on {e['env_id']} ({e['setting']}, seed {e['seed']}) after "
                f"{e['attempts']} attempt(s): {e['error']}")
    if result.best:
        b = result.best
        c.print(f"best reward {b['best_reward']:.6g}: {b['agent']} on {b['env_id']} ({b['setting']}, seed {b['seed']})")
    c.print(f"dataset: {result.out} (load with archgym.sweeps.dataset.load_dataset; card {result.out / 'dataset.json'})")
