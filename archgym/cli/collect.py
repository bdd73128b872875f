"""``archgym collect``: sample designs (random or Latin hypercube) at high throughput, for surrogates."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from archgym.cli.app import app
from archgym.cli.options import fail, parse_json_values
from archgym.envs import ENVIRONMENTS
from archgym.files.lock import LockError


@app.command(
    "collect",
    help=(
        "Evaluate N designs drawn from an environment's design space (uniform random or Latin hypercube) through its "
        "batched simulator path, for training surrogate models.\n\n"
        "Writes OUT/evaluations/part-*.parquet (same rows as archgym run), OUT/run.json and OUT/dataset.json."
    ),
)
def collect_command(
    env_id: str = typer.Argument(..., help=f"registered environment id: {', '.join(ENVIRONMENTS)}"),
    n: int = typer.Option(..., "--n", "-n", help="designs to sample and evaluate"),
    sampler: str = typer.Option("random", "--sampler", help="random or lhs (Latin hypercube)"),
    seed: int = typer.Option(0, "--seed", "-s", help="seed of the sample"),
    out: Path | None = typer.Option(None, "--out", "-o", help="output folder [default: runs/collect/<env>-<sampler>-n<N>-seed<S>]"),
    workload: str | None = typer.Option(None, "--workload", "-w", help="workload of the environment (its default if omitted)"),
    env_arg: list[str] = typer.Option([], "--env-arg", "-e",
                                      help="environment keyword argument key=value, value as JSON or text (repeatable)"),
    chunk: int = typer.Option(8192, "--chunk", help="designs evaluated (and written) per batch"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
) -> None:
    from archgym.collect import SAMPLERS, collect
    from archgym.records import RecordsError

    if env_id not in ENVIRONMENTS:
        fail(f"environment {env_id!r} is not registered; allowed: {', '.join(ENVIRONMENTS)}")
    if sampler not in SAMPLERS:
        fail(f"--sampler {sampler!r} is not known; allowed: {', '.join(SAMPLERS)}")
    if n < 1:
        fail(f"--n must be >= 1, got {n}")
    if chunk < 1:
        fail(f"--chunk must be >= 1, got {chunk}")
    env_kwargs = parse_json_values(env_arg, "--env-arg")
    if workload is not None:
        env_kwargs["workload"] = workload
    out = out or Path("runs") / "collect" / f"{env_id.split('/')[-1]}-{sampler}-n{n}-seed{seed}"
    try:
        res = collect(env_id, n, sampler, seed, out=out, env_kwargs=env_kwargs, chunk=chunk, progress=progress)
    except (ValueError, TypeError, KeyError, RecordsError, LockError) as e:
        fail(str(e))
    if as_json:
        typer.echo(json.dumps(res.summary(), indent=2))
        return
    typer.echo(f"{res.n:,} designs ({sampler}) of {env_id} in {res.wall_seconds:.2f} s "
               f"({res.designs_per_second:,.0f} designs/s; simulator {res.sim_seconds:.2f} s); "
               f"{res.n_feasible:,} feasible, {res.n_target_met:,} meet the target; wrote {out}")
