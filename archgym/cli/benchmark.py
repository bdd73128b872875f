"""``archgym benchmark``: run a benchmark plan under Ray Tune and write its leaderboard."""

from __future__ import annotations

import json
import shlex
import time
from pathlib import Path

import typer

from archgym.cli.app import app
from archgym.cli.options import console, fail
from archgym.files.lock import LockError


def sweeps_wall_seconds(out: Path) -> float | None:
    """Total wall time of the benchmark's sweeps, from their dataset cards (None if a card is missing)."""
    cards = sorted((out / "sweeps").glob("*/dataset.json"))
    try:
        return sum(json.loads(c.read_text())["time"]["wall_seconds_total"] for c in cards) if cards else None
    except (KeyError, ValueError):
        return None


@app.command(
    "benchmark",
    help=(
        "Run agents x environments x seeds as parallel trials under Ray Tune and score them: at each budget the "
        "normalised score (100 = the known optimum, 0 = random search's median best at the same budget), the simple "
        "regret and, where a true Pareto front is shipped, the hypervolume ratio; Mann-Whitney tests against random "
        "search and against the leader.\n\n"
        "PLAN is a named plan (leaderboard, marl-study, smoke) or a plan file (a sweep file with 'budgets'). Writes "
        "OUT/sweeps/<entry>/ (one resumable sweep dataset per environment entry), OUT/<plan>.parquet (the tidy "
        "table), OUT/<plan>.md and OUT/<plan>_scores.png, OUT/<plan>_convergence.png. Running the same command "
        "again resumes an interrupted benchmark."
    ),
)
def benchmark_command(
    plan: str = typer.Argument("leaderboard", help="named plan (leaderboard, marl-study, smoke) or a plan file (YAML)"),
    out: Path | None = typer.Option(None, "--out", "-o", help="folder [default: runs/benchmarks/<plan>]"),
    seeds: int | None = typer.Option(None, "--seeds", help="seeds 0..N-1 instead of the plan's"),
    agent: list[str] = typer.Option([], "--agent", "-a", help="only these agents (repeatable; random is always kept)"),
    env: list[str] = typer.Option([], "--env", "-e", help="only these environment entries, by id or label (repeatable)"),
    headline: int = typer.Option(200, "--headline", help="budget of the headline table"),
    address: str | None = typer.Option(None, "--address", envvar="RAY_ADDRESS", help="join a running Ray cluster"),
    num_cpus: int | None = typer.Option(None, "--num-cpus", help="CPUs of the local Ray instance [default: all cores]"),
    report_only: bool = typer.Option(False, "--report-only", help="score the runs already in OUT; run nothing"),
    publish: Path | None = typer.Option(None, "--publish", help="also write the report (md, png, parquet) into this folder"),
    save_best_known: bool = typer.Option(False, "--save-best-known",
                                         help="write each panel's best design as its best-known optimum into datasets/optima "
                                              "(where no exact optimum is shipped)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check the plan and list its experiments; run nothing"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show progress bars"),
) -> None:
    from archgym.benchmark import report
    from archgym.benchmark.plan import BenchmarkPlanError, load_plan
    from archgym.benchmark.run import BenchmarkError, BenchmarkInterrupted, panels, run_sweeps, score_table
    from archgym.benchmark.run import save_best_known as save
    from archgym.records import RecordsError
    from archgym.sweeps.run import SweepError

    if seeds is not None and seeds < 1:
        fail(f"--seeds must be >= 1, got {seeds}")
    try:
        p = load_plan(plan, seeds=seeds, agents=list(agent) or None, envs=list(env) or None)
    except BenchmarkPlanError as e:
        fail(str(e))
    c = console()
    c.print(f"benchmark {p.name!r}: {len(p.entries)} environment entries, {p.n_experiments} experiments, "
            f"{p.n_evaluations:,} simulator evaluations")
    if dry_run:
        for e in p.entries:
            c.print(f"  {e.label}: {len(e.sweep.experiments())} experiments, budgets {e.budgets}")
        return
    out = out or Path("runs") / "benchmarks" / p.name
    t0 = time.perf_counter()
    try:
        if not report_only:
            run_sweeps(p, out, address=address, num_cpus=num_cpus, progress=progress)
        loaded = panels(p, out)
        table = score_table(p, out, loaded=loaded)
    except BenchmarkInterrupted as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(130) from None
    except (BenchmarkError, SweepError, RecordsError, LockError, FileNotFoundError, ValueError) as e:
        fail(str(e), code=1)
    # the command that runs this benchmark (not the report-only or publishing options of this call)
    command = " ".join(["archgym benchmark", shlex.quote(plan)] + ([f"--seeds {seeds}"] if seeds else [])
                       + [f"--agent {a}" for a in agent] + [f"--env {e}" for e in env])
    rows_by_panel = {(x["entry"], str(x["env"].workload)): x["rows"] for x in loaded}
    wall = time.perf_counter() - t0 if not report_only else sweeps_wall_seconds(out)
    files = report.write_report(table, rows_by_panel, out, command=command, wall_seconds=wall, headline=headline)
    if publish is not None:
        files += report.write_report(table, rows_by_panel, publish, command=command, wall_seconds=wall, headline=headline)
        table.to_parquet(publish / f"{p.name}.parquet", index=False)
    if save_best_known:
        for f in save(p, out, loaded=loaded):
            c.print(f"best known design written: {f}")
    b = report.headline_budget(table, headline)
    sums = report.summaries(table)
    for key, s in sums.items():
        s = s[s["budget"] == b].sort_values("score_median", ascending=False)
        top = ", ".join(f"{r['agent']} {r['score_median']:.0f}" for _, r in s.head(4).iterrows())
        c.print(f"{report.panel_name(key)} @ {b}: {top}")
    c.print(f"table: {out / (p.name + '.parquet')}; report: {', '.join(str(f) for f in files)}")
