"""``archgym run``: one agent against one environment for a budget of evaluations (the main job)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from archgym.cli.app import app
from archgym.cli.options import console as _console
from archgym.cli.options import fail, parse_json_values, parse_key_values
from archgym.envs import ENVIRONMENTS
from archgym.files.lock import LockError

DEFAULT_ENV = "archgym/SystolicArray-v0"


def _agents_help() -> str:
    from archgym.agents import ALL_AGENTS as AGENTS  # archgym's own agents and the baselines

    return ", ".join(sorted(AGENTS))


@app.command(
    "run",
    help=(
        "Run a search agent against an environment and log every evaluated design.\n\n"
        f"Environments: {', '.join(ENVIRONMENTS)}.\n\n"
        f"Agents: {_agents_help()}.\n\n"
        "Writes OUT/evaluations/part-*.parquet (one row per design), OUT/run.json (summary card) and "
        "OUT/convergence.png; prints the best design and its metrics."
    ),
)
def run_command(
    env_id: str = typer.Argument(DEFAULT_ENV, help="registered environment id", show_default=True),
    agent: str = typer.Option("random", "--agent", "-a", help=f"search agent: {_agents_help()}"),
    budget: int = typer.Option(1000, "--budget", "-n", help="simulator evaluations"),
    seed: int = typer.Option(0, "--seed", "-s", help="seed of the agent and the environment"),
    out: Path | None = typer.Option(None, "--out", "-o", help="output folder [default: runs/<env>-<agent>-seed<S>]"),
    workload: str | None = typer.Option(None, "--workload", "-w", help="workload of the environment (its default if omitted)"),
    param: list[str] = typer.Option([], "--param", "-p", help="agent hyper-parameter key=value (repeatable)"),
    env_arg: list[str] = typer.Option([], "--env-arg", "-e",
                                      help="environment keyword argument key=value, value as JSON or text (repeatable)"),
    reward: str = typer.Option("target", "--reward", help="reward family: target, hinge or weighted"),
    target: list[str] = typer.Option([], "--target", "-t", help="metric=value target override (repeatable)"),
    weight: list[str] = typer.Option([], "--weight", help="metric=value weight for --reward weighted (repeatable)"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar"),
    resume: bool = typer.Option(True, "--resume/--no-resume",
                                help="continue (or replay, if complete) the run already in OUT, never duplicating "
                                     "its rows; --no-resume refuses an OUT that holds rows"),
    as_json: bool = typer.Option(False, "--json", help="print the result summary as JSON"),
) -> None:
    from archgym.agents import ALL_AGENTS as AGENTS  # archgym's own agents and the baselines
    from archgym.runner import run

    if env_id not in ENVIRONMENTS:
        fail(f"environment {env_id!r} is not registered; allowed: {', '.join(ENVIRONMENTS)}")
    if agent not in AGENTS:
        fail(f"--agent {agent!r} is not known; allowed: {', '.join(sorted(AGENTS))}")
    if budget < 1:
        fail(f"--budget must be >= 1, got {budget}")
    env_kwargs = parse_json_values(env_arg, "--env-arg")
    if workload is not None:
        env_kwargs["workload"] = workload
    env_kwargs["reward"] = reward
    targets = {k: _number(k, v, "--target") for k, v in parse_key_values(target, "--target").items()}
    weights = {k: _number(k, v, "--weight") for k, v in parse_key_values(weight, "--weight").items()}
    if reward == "weighted" and not weights:
        fail("--reward weighted needs at least one --weight metric=value (raw metrics differ by orders of "
             "magnitude, so no weighting is a safe default); each term is scaled by its target")
    if weights and reward != "weighted":
        fail(f"--weight is only used by --reward weighted, got --reward {reward!r}")
    if targets:
        env_kwargs["targets"] = targets
    if weights:
        env_kwargs["weights"] = weights
    if out is None:
        out = Path("runs") / f"{env_id.split('/')[-1]}-{agent}-seed{seed}"
    try:
        result = run(env_id, agent, budget, seed, out=out, env_kwargs=env_kwargs,
                     agent_params=parse_key_values(param, "--param"), progress=progress, resume=resume)
    except (ValueError, TypeError, KeyError, LockError) as e:
        fail(str(e))
    if as_json:
        typer.echo(json.dumps(result.summary(), indent=2, default=str))
        return
    _print_result(result)


def _print_result(result) -> None:
    from rich.table import Table

    console = _console()
    met = result.first_target_met_step
    console.print(
        f"[bold]{result.agent}[/bold] on [bold]{result.env_id}[/bold], seed {result.seed}: "
        f"{result.budget} designs in {result.wall_seconds:.2f} s "
        f"({result.budget / max(result.wall_seconds, 1e-9):,.0f} designs/s; simulator {result.sim_seconds:.2f} s)"
    )
    console.print(
        f"best reward {result.best_reward:.6g} at evaluation {result.best_step + 1}; "
        f"target met by {result.n_target_met} design(s)"
        + (f", first at evaluation {met + 1}" if met is not None else "")
        + (f"; {result.n_infeasible} infeasible" if result.n_infeasible else "")
    )
    t = Table(title="best design")
    t.add_column("parameter")
    t.add_column("value", justify="right")
    for k, v in (result.best_design or {}).items():
        t.add_row(k, str(v))
    console.print(t)
    m = Table(title="its metrics")
    m.add_column("metric")
    m.add_column("value", justify="right")
    for k, v in result.best_metrics.items():
        m.add_row(k, f"{v:.6g}")
    console.print(m)
    out = result.out_dir
    console.print(f"wrote {out / 'evaluations'} (Parquet rows), {out / 'run.json'}, {out / 'convergence.png'}")


def _number(key: str, value: str, option: str) -> float:
    try:
        return float(value)
    except ValueError:
        fail(f"{option} {key}={value!r}: value must be a number")
