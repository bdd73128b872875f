"""``archgym optimum``: the exact optimum of an environment's problem, by enumerating its whole design space."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from archgym.cli.app import app
from archgym.cli.options import console, fail, parse_json_values
from archgym.envs import ENVIRONMENTS


@app.command(
    "optimum",
    help=(
        "Evaluate every design of an environment (discrete spaces up to --max-designs) through its batched simulator "
        "and print the best reward (ties: how many share it) and the Pareto front of the reward's objectives.\n\n"
        "With --save, write it to datasets/optima/ (or --out DIR), where env.unwrapped.known_optimum() finds it for the "
        "same workload, reward and targets."
    ),
)
def optimum_command(
    env_id: str = typer.Argument(..., help=f"registered environment id: {', '.join(ENVIRONMENTS)}"),
    workload: str | None = typer.Option(None, "--workload", "-w", help="workload of the environment (its default if omitted)"),
    env_arg: list[str] = typer.Option([], "--env-arg", "-e", help="environment keyword argument key=value (repeatable)"),
    max_designs: int = typer.Option(5_000_000, "--max-designs", help="refuse spaces larger than this"),
    save: bool = typer.Option(False, "--save", help="write the result where known_optimum() reads it"),
    out: Path | None = typer.Option(None, "--out", help="with --save: write into this folder instead of datasets/optima"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    from archgym.optimum import find_optimum, save_optimum

    if env_id not in ENVIRONMENTS:
        fail(f"environment {env_id!r} is not registered; allowed: {', '.join(ENVIRONMENTS)}")
    env_kwargs = parse_json_values(env_arg, "--env-arg")
    if workload is not None:
        env_kwargs["workload"] = workload
    command = " ".join(["archgym optimum", env_id] + (["--workload", workload] if workload else [])
                       + [f"--env-arg {a}" for a in env_arg])
    try:
        result = find_optimum(env_id, env_kwargs=env_kwargs, max_designs=max_designs, progress=progress)
    except (ValueError, TypeError, KeyError) as e:
        fail(str(e))
    result.command = command
    path = save_optimum(result, out) if save else None
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    b = result.best
    c = console()
    c.print(f"{env_id} ({result.problem['workload']}): {result.n_designs:,} designs in {result.seconds:.0f} s, "
            f"{result.n_feasible:,} feasible; best reward {b['reward']:.6g}, shared by {result.n_optimal:,} design(s)")
    c.print(f"optimum: {b['design']}")
    c.print(f"metrics: {b['metrics']}")
    c.print(f"Pareto front of {', '.join(result.front_objectives)}: {len(result.front)} designs")
    if path is not None:
        c.print(f"wrote {path}")
