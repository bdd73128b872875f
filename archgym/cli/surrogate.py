"""``archgym surrogate``: train, evaluate and use surrogate cost models from archgym datasets.

    archgym surrogate train DATASET_DIR --model hgb --out model.surrogate     # held-out metrics as JSON
    archgym surrogate evaluate model.surrogate DATASET_DIR
    archgym surrogate learning-curve DATASET_DIR --model hgb --model rf --plot curve.png
    archgym surrogate recheck model.surrogate --agent random --budget 20000 --top 10
    archgym surrogate models
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from archgym.cli.app import app
from archgym.cli.options import fail, parse_json_values, parse_key_values
from archgym.core.notices import notice, working

surrogate_app = typer.Typer(help="Surrogate cost models: train from datasets, evaluate, learning curves, "
                                 "search on a surrogate and re-check on the simulator.", no_args_is_help=True)
app.add_typer(surrogate_app, name="surrogate")

MODEL_HELP = ("model: rf, hgb, xgb, knn, mlp or gp (see `archgym surrogate models`), or auto (picked and tuned by "
              "cross-validation on the training designs)")


def _errors():
    """The exception types that mean bad input (reported without a traceback, exit code 2)."""
    from archgym.core.rewards import RewardError
    from archgym.core.spaces import DesignError
    from archgym.records import RecordsError
    from archgym.surrogates import SurrogateError
    from archgym.surrogates.data import DatasetError
    from archgym.surrogates.models import ModelError

    return (SurrogateError, DatasetError, ModelError, RecordsError, DesignError, RewardError)


def _echo_json(data) -> None:
    from archgym.surrogates import jsonable

    typer.echo(json.dumps(jsonable(data), indent=2))


def _sizes(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        fail(f"--sizes {text!r}: expected comma-separated integers, e.g. 100,1000,10000")
    if not sizes or min(sizes) < 2:
        fail(f"--sizes {text!r}: every size must be an integer >= 2")
    return sizes


@surrogate_app.command("train", help="Train a surrogate on DATASET_DIR (rows of one environment and workload), "
                                     "report on a seeded held-out split (printed as JSON) and save it to --out.")
def train_command(
    dataset: list[Path] = typer.Argument(..., help="dataset directories or Parquet files (archgym run/sweep/collect)"),
    model: str = typer.Option("hgb", "--model", "-m", help=MODEL_HELP),
    out: Path | None = typer.Option(None, "--out", "-o", help="surrogate file to write (a zip holding schema, "
                                                               "metadata and model)"),
    seed: int = typer.Option(0, "--seed", "-s", help="seed of the held-out split and of the model"),
    test_fraction: float = typer.Option(0.2, "--test-fraction", help="share of distinct designs held out"),
    param: list[str] = typer.Option([], "--param", "-p", help="model hyper-parameter key=value, value as JSON "
                                                              "(repeatable), e.g. -p max_iter=1000"),
    search: int = typer.Option(0, "--search", help="randomised hyper-parameter search with this many candidates "
                                                   "(3-fold CV on the training designs); 0 = defaults"),
    per_metric: bool | None = typer.Option(None, "--per-metric/--joint", help="one model per metric or one "
                                                                                 "multi-output model [model default]"),
    transform: str = typer.Option("auto", "--transform", help="target transform: auto (log of positive metrics), "
                                                              "log or none"),
    max_train: int | None = typer.Option(None, "--max-train", help="use at most this many training designs"),
    env_id: str | None = typer.Option(None, "--env", help="environment id, if the dataset holds several"),
    workload: str | None = typer.Option(None, "--workload", "-w", help="workload, if the dataset holds several"),
    speed: bool = typer.Option(True, "--speed/--no-speed", help="time surrogate against simulator in this run"),
    report: Path | None = typer.Option(None, "--report", help="also write the JSON report to this file"),
) -> None:
    from archgym.records import write_json_atomic
    from archgym.surrogates import jsonable, train

    if max_train is not None and max_train < 2:
        fail(f"--max-train must be >= 2, got {max_train}")
    if search < 0:
        fail(f"--search must be >= 0, got {search}")
    try:
        with working(f"training a {model!r} surrogate on {', '.join(map(str, dataset))}"
                     + (f" ({search} candidates of 3-fold CV)" if search else "")
                     + (" and timing it against the simulator" if speed else "")):
            result = train([str(d) for d in dataset], model, env_id=env_id, workload=workload,
                           params=parse_json_values(param, "--param"),
                           per_metric=per_metric, target_transform=transform, test_fraction=test_fraction, seed=seed,
                           search=search, max_train=max_train, speed=speed)
        if out is not None:
            result.surrogate.save(out)
    except _errors() as e:
        fail(str(e))
    d = result.report.get("dataset", {})
    if d.get("n_rows_read", 0) != d.get("n_designs", 0):
        notice(f"trained on {d['n_designs']:,} distinct designs of the {d['n_rows_read']:,} rows read: "
               f"{d['n_duplicates_dropped']:,} repeated designs (the simulators are deterministic: first kept) and "
               f"{d['n_not_simulated_dropped']:,} rows not simulated (predicted or cached-only) dropped")
    rep = {**result.report, "model_path": str(out) if out is not None else None}
    if report is not None:
        write_json_atomic(jsonable(rep), report)
    _echo_json(rep)


@surrogate_app.command("evaluate", help="Score a saved surrogate on the rows of a dataset (all of them, or with "
                                        "--held-out only the designs its own training split held out).")
def evaluate_command(
    model_path: Path = typer.Argument(..., help="surrogate file written by `archgym surrogate train`"),
    dataset: list[Path] = typer.Argument(..., help="dataset directories or Parquet files"),
    held_out: bool = typer.Option(False, "--held-out", help="only the designs held out by the surrogate's split "
                                                            "(same seed and test fraction)"),
    speed: bool = typer.Option(False, "--speed/--no-speed", help="time surrogate against simulator"),
) -> None:
    from archgym.surrogates import environment_for, evaluate, load
    from archgym.surrogates.data import load_training_data, split

    try:
        sur = load(model_path)
        data = load_training_data([str(d) for d in dataset], sur.identity["env_id"], sur.identity["workload"])
        env = environment_for(data)
        sur.check_compatible(env)
        frame = data.frame
        if held_out:
            s = sur.metadata.get("split")
            if not s:
                fail(f"{model_path}: records no training split; evaluate without --held-out")
            frame = frame.iloc[split(frame, s["test_fraction"], s["seed"])[1]]
        rep = {"model_path": str(model_path), "dataset_hash": data.dataset_hash, **evaluate(sur, frame, env)}
        if speed:
            from archgym.surrogates.speed import measure_speed

            rep["speed"] = measure_speed(sur, env, frame)
    except _errors() as e:
        fail(str(e))
    _echo_json(rep)


@surrogate_app.command("learning-curve", help="Held-out error and ranking against the number of training designs "
                                              "(same held-out designs for every size).")
def learning_curve_command(
    dataset: list[Path] = typer.Argument(..., help="dataset directories or Parquet files"),
    model: list[str] = typer.Option(["hgb"], "--model", "-m", help=MODEL_HELP + " (repeatable)"),
    sizes: str | None = typer.Option(None, "--sizes", help="comma-separated training-set sizes "
                                                              "[about 7 log-spaced sizes]"),
    seed: int = typer.Option(0, "--seed", "-s"),
    test_fraction: float = typer.Option(0.2, "--test-fraction"),
    goal: float = typer.Option(0.5, "--goal", help="RMSE goal in % of the mean, for the summary and the plot"),
    out: Path | None = typer.Option(None, "--out", "-o", help="write the curve as CSV"),
    plot: Path | None = typer.Option(None, "--plot", help="write a plot (png/pdf/svg)"),
    env_id: str | None = typer.Option(None, "--env"),
    workload: str | None = typer.Option(None, "--workload", "-w"),
    param: list[str] = typer.Option([], "--param", "-p", help="hyper-parameter key=value of every model, value as "
                                                              "JSON (repeatable), e.g. -p max_iter=200"),
) -> None:
    from archgym.files.atomic import atomic_path
    from archgym.surrogates.curves import designs_needed, learning_curve

    params = parse_json_values(param, "--param")

    try:
        with working(f"learning curve of {', '.join(model)} (one fit per model and training-set size)"):
            curve = learning_curve([str(d) for d in dataset], model, _sizes(sizes), env_id=env_id,
                                   workload=workload, test_fraction=test_fraction, seed=seed,
                                   params={m: params for m in model} if params else None)
    except _errors() as e:
        fail(str(e))
    if out is not None:
        with atomic_path(out) as tmp:
            curve.to_csv(tmp, index=False)
    if plot is not None:
        from archgym.surrogates.plots import plot_learning_curve

        plot_learning_curve(curve, goal=goal, path=plot)
    _echo_json({"designs_needed_for_goal": designs_needed(curve, goal), "goal_rmse_pct_mean": goal,
                "curve": curve.to_dict(orient="records")})


@surrogate_app.command("recheck", help="Search on the surrogate, simulate the best designs found, report the gap.")
def recheck_command(
    model_path: Path = typer.Argument(..., help="surrogate file"),
    agent: str = typer.Option("random", "--agent", "-a", help="search agent"),
    budget: int = typer.Option(10_000, "--budget", "-n", help="surrogate evaluations of the search"),
    top: int = typer.Option(10, "--top", help="best distinct designs re-checked on the simulator"),
    seed: int = typer.Option(0, "--seed", "-s"),
    param: list[str] = typer.Option([], "--param", "-p", help="agent hyper-parameter key=value (repeatable)"),
    baseline: int = typer.Option(0, "--baseline", help="also run the agent on the simulator for this many "
                                                       "evaluations (0 = no baseline)"),
    out: Path | None = typer.Option(None, "--out", "-o", help="write the re-checked designs as CSV"),
) -> None:
    from archgym.files.atomic import atomic_path
    from archgym.surrogates.recheck import search_and_recheck

    if budget < 1 or top < 1 or baseline < 0:
        fail(f"--budget and --top must be >= 1 and --baseline >= 0, got {budget}, {top}, {baseline}")
    try:
        with working(f"{agent} search of {budget:,} surrogate evaluations, then the best {top} re-simulated"
                     + (f", and a {baseline:,}-evaluation baseline on the simulator" if baseline else "")):
            result = search_and_recheck(str(model_path), agent, budget, top, seed,
                                        agent_params=parse_key_values(param, "--param"),
                                        baseline_budget=baseline or None)
    except _errors() + (ValueError,) as e:
        fail(str(e))
    if out is not None:
        with atomic_path(out) as tmp:
            result.table.to_csv(tmp, index=False)
    _echo_json(result.to_json())


@surrogate_app.command("models", help="The model registry: names, descriptions, defaults, availability.")
def models_command() -> None:
    from archgym.surrogates.models import MODELS, is_available

    _echo_json({n: {"description": s.description, "available": is_available(n), "per_metric": s.per_metric,
                    "max_train": s.max_train, "defaults": dict(s.defaults)} for n, s in MODELS.items()})
