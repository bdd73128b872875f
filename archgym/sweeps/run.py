"""Sweeps under Ray Tune: every experiment of a sweep file is one Tune trial.

:func:`run_sweep` expands a :class:`~archgym.sweeps.spec.SweepSpec` into experiments, hands them to a
``tune.Tuner`` as a grid (one trial each), and waits. Each trial builds its environment and agent,
drives them with :func:`archgym.runner.run` for its budget of simulator evaluations, writes its rows
under ``OUT/runs/<run_id>/`` and reports the best reward so far to Tune every ``report_every``
evaluations (batched, so that Ray's per-report cost does not dominate fast simulators).

Fault tolerance: a trial that raises is retried ``max_failures`` times (Tune's ``FailureConfig``)
and, if it still fails, reported in the result and the dataset card. A sweep whose process was
killed resumes with ``Tuner.restore`` when :func:`run_sweep` is called again on the same ``OUT``.
In both cases a restarted trial replays the rows its earlier attempt already wrote (the agent is
deterministic under its seed) and simulates only the rest, so the dataset ends with every
evaluation exactly once.

Ray starts embedded with the machine's cores unless ``address`` names a running cluster (then
``OUT`` must be on a file system every node can write, e.g. NFS).
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archgym.core.notices import quiet
from archgym.files.lock import DirectoryLock
from archgym.records import write_json_atomic
from archgym.runner import make_env, run
from archgym.sweeps import reaper
from archgym.sweeps.dataset import DATASET_CARD, RUN_CARD, RUNS_DIR, SPEC_FILE, TUNE_DIR, read_json, write_dataset_card
from archgym.sweeps.spec import Experiment, SweepSpec, build_agent, load_sweep_spec

#: Tune's experiment folder name inside OUT/tune
TUNE_NAME = "sweep"
ATTEMPTS_FILE = "attempts.json"


class SweepError(RuntimeError):
    """A sweep that cannot start or resume (e.g. OUT holds a different sweep)."""


@dataclass
class SweepResult:
    """What a sweep did: trials completed, retried and failed, and where the dataset is."""

    out: Path
    name: str
    n_experiments: int
    completed: list[str]
    errored: list[dict]
    retried: list[dict]
    evaluations: int
    wall_seconds: float
    resumed: bool
    best: dict = field(default_factory=dict)
    #: experiments that neither completed nor failed (the sweep was interrupted): resume to finish them
    unfinished: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errored and not self.unfinished

    def summary(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k != "completed"}  # run ids: see the dataset card
        d["out"] = str(self.out)
        d["n_completed"] = len(self.completed)
        return d


# -- Ray session ------------------------------------------------------------------------------
def prepare_ray_environment() -> None:
    """Environment variables Ray reads at start-up: no uv runtime env, the classic (quiet) console
    output, and no TensorBoard logger (the sweep adds Tune's JSON and CSV loggers itself)."""
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")


#: where ``ray start`` / ``ray get-auth-token --generate`` keep a cluster's token by default
DEFAULT_TOKEN_FILE = Path.home() / ".ray" / "auth_token"


def use_token_auth() -> bool:
    """Turn on Ray's token authentication for this driver when the user gave a token (``RAY_AUTH_TOKEN``
    or ``RAY_AUTH_TOKEN_PATH``) and the mode is not set: joining a token-authenticated head by an explicit
    address otherwise fails. A token file left at the default place alone does not switch the mode (it
    may belong to another cluster; a driver in token mode breaks a cluster without tokens). Returns
    whether token mode is on."""
    if os.environ.get("RAY_AUTH_MODE"):
        return os.environ["RAY_AUTH_MODE"] == "token"
    if os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH"):
        os.environ["RAY_AUTH_MODE"] = "token"
        if "ray" in sys.modules:  # Ray read the mode into its config when it was imported: make it read it again
            _reload_ray_auth_mode()
        return True
    return False


def _reload_ray_auth_mode() -> None:
    """Make an already imported Ray see ``RAY_AUTH_MODE=token`` (setting the variable alone is not enough:
    Ray caches its config at import, and would then join without sending the token)."""
    try:
        from ray._private.authentication.authentication_token_setup import _enable_token_auth
    except ImportError:
        raise RuntimeError("Ray was imported before archgym could switch it to token authentication; set "
                           "RAY_AUTH_MODE=token in the environment before starting Python") from None
    _enable_token_auth()


@contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator[dict]:
    """Use the running Ray session if there is one; else join ``address`` or start a new local Ray
    instance with ``num_cpus`` (default: every core; a ``RAY_ADDRESS`` in the environment is not
    followed unless passed as ``address``). A session started here is shut down on exit, and, should
    this process be killed, by a watcher process (:mod:`archgym.sweeps.reaper`). A joined cluster is
    only disconnected from, never stopped."""
    prepare_ray_environment()
    if address:
        use_token_auth()  # before Ray is imported, which reads the mode
    import ray

    if ray.is_initialized():
        yield {"address": "existing session", "num_cpus": ray.cluster_resources().get("CPU")}
        return
    if address:
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
        except (ConnectionError, RuntimeError, ray.exceptions.AuthenticationError) as e:
            first = ("token authentication is on but no token was found" if isinstance(e, ray.exceptions.AuthenticationError)
                     else str(e).strip().splitlines()[0].rstrip(".") if str(e).strip() else type(e).__name__)
            raise ConnectionError(
                f"{first}. If the cluster uses token authentication, the driver needs its token: set "
                f"RAY_AUTH_TOKEN=<token> or RAY_AUTH_TOKEN_PATH=<file> (print it with `ray get-auth-token` on the "
                f"head node), or RAY_AUTH_MODE=token to use {DEFAULT_TOKEN_FILE}") from None
        watcher = None
    else:
        watcher = reaper.start()  # stops this Ray's processes should this process be killed
        ray.init(address="local", num_cpus=num_cpus or os.cpu_count(), include_dashboard=False, log_to_driver=False,
                 logging_level=logging.WARNING)
    try:
        yield {"address": address or "local", "num_cpus": ray.cluster_resources().get("CPU")}
    finally:
        ray.shutdown()
        if watcher is not None:
            reaper.stop(watcher)


# -- the trial --------------------------------------------------------------------------------
class _TuneReporter:
    """Runner callback that reports best-so-far to Tune every ``every`` evaluations."""

    def __init__(self, every: int, extra: dict):
        self.every = max(int(every), 1)
        self.extra = extra
        self.next = self.every
        self.n_reports = 0

    def __call__(self, progress: dict) -> None:
        if progress["evaluations"] >= self.next and progress["evaluations"] < progress["budget"]:
            _report(progress, done=False, **self.extra)
            self.n_reports += 1
            self.next = (progress["evaluations"] // self.every + 1) * self.every


def _report(progress: dict, done: bool, **extra: Any) -> None:
    from ray import tune

    first = progress.get("first_target_met_step")
    tune.report({"evaluations": int(progress["evaluations"]), "best_reward": float(progress["best_reward"]),
                 "n_target_met": int(progress["n_target_met"]), "target_met": first is not None,
                 "first_target_met_evaluation": -1 if first is None else int(first) + 1,
                 "run_seconds": float(progress["wall_seconds"]), "done": done, **extra})


def report_interval(report_every: Any, budget: int) -> int:
    """Evaluations between reports: an integer, or ``auto`` = a tenth of the budget."""
    return int(report_every) if report_every != "auto" else max(1, math.ceil(budget / 10))


def sweep_trial(config: dict, settings: dict) -> None:
    """One Tune trial: one experiment, rows under ``settings['out']/runs/<run_id>/``."""
    import ray

    exp = Experiment.from_dict(config["experiment"])
    run_dir = Path(settings["out"]) / RUNS_DIR / exp.run_id
    attempt = _next_attempt(run_dir)
    env = make_env(exp.env_id, **exp.make_env_kwargs())
    agent = build_agent(exp.agent, env.design_space, exp.seed, exp.params)
    node = ray.get_runtime_context().get_node_id()
    ids = {"run_id": exp.run_id, "attempt": attempt, "node_id": node}  # in every report: same columns throughout
    reporter = _TuneReporter(report_interval(settings["report_every"], exp.budget), ids)
    result = run(env, agent, exp.budget, exp.seed, out=run_dir, agent_name=exp.label, agent_params=exp.params,
                 progress=False, plot=False, run_id=exp.run_id, rows_per_part=settings["rows_per_part"],
                 callback=reporter, resume=True, lock=False,
                 card_extra={"sweep": settings["name"], "experiment": exp.to_dict(), "setting": exp.setting,
                             "setting_id": exp.setting_id, "attempt": attempt, "node_id": node})
    card_path = run_dir / RUN_CARD  # add the number of reports now that the run has made them
    write_json_atomic({**read_json(card_path, "run card"), "tune_reports": reporter.n_reports + 1}, card_path)
    _report({"evaluations": exp.budget, "best_reward": result.best_reward, "n_target_met": result.n_target_met,
             "first_target_met_step": result.first_target_met_step, "wall_seconds": result.wall_seconds},
            done=True, **ids)


def _next_attempt(run_dir: Path) -> int:
    path = run_dir / ATTEMPTS_FILE
    n = int(read_json(path, "attempts file").get("attempts", 0)) + 1 if path.is_file() else 1
    write_json_atomic({"attempts": n}, path)
    return n


def _trial_name(trial) -> str:
    exp = trial.config["experiment"]
    return f"{exp['label']}-s{exp['seed']}-{Experiment.from_dict(exp).run_id[:8]}"


def _trial_dirname(trial) -> str:
    return trial.trial_id


# -- progress in the driver --------------------------------------------------------------------
def _progress_callback(total_evaluations: int, enabled: bool):
    from ray import tune

    class Progress(tune.Callback):
        """A tqdm bar over the evaluations reported by every trial."""

        def __init__(self):
            self.seen: dict[str, int] = {}
            self.bar = None

        def _bar(self):
            if self.bar is None:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=total_evaluations, unit="design", desc="sweep", disable=not enabled or quiet())
            return self.bar

        def on_trial_result(self, iteration, trials, trial, result, **info):
            n = int(result.get("evaluations", 0))
            bar = self._bar()
            bar.update(max(n - self.seen.get(trial.trial_id, 0), 0))
            self.seen[trial.trial_id] = n
            self._postfix(trials, refresh=False)

        def _postfix(self, trials, finished=None, refresh=True):
            # a trial's status turns TERMINATED only after its last result: count it from on_trial_complete
            done = {t.trial_id for t in trials if t.status in ("TERMINATED", "ERROR")}
            if finished is not None:
                done.add(finished.trial_id)
            self._bar().set_postfix(trials=f"{len(done)}/{len(trials)}", refresh=refresh)

        def on_trial_complete(self, iteration, trials, trial, **info):
            self._postfix(trials, finished=trial)

        def on_trial_error(self, iteration, trials, trial, **info):
            self._postfix(trials, finished=trial)

        def on_experiment_end(self, trials, **info):
            if self.bar is not None:
                self._postfix(trials)
                self.bar.close()

        def __getstate__(self):
            return {"seen": {}, "bar": None}

    return Progress()


# -- the sweep ----------------------------------------------------------------------------------
def run_sweep(spec: SweepSpec | str | os.PathLike, out: str | os.PathLike, *, address: str | None = None,
              num_cpus: int | None = None, resume: bool = True, retry_errored: bool = False,
              max_concurrent_trials: int | None = None, progress: bool = True, reuse_actors: bool = True) -> SweepResult:
    """Run (or resume) a sweep; the dataset goes to ``out``.

    ``resume``: if ``out`` holds an interrupted run of the same sweep, continue it with
    ``Tuner.restore`` (trials that had finished are kept, the others resume from their rows).
    ``retry_errored``: on resume, also give trials that had exhausted their retries a new start.
    """
    if not isinstance(spec, SweepSpec):
        spec = load_sweep_spec(spec)
    spec.check()
    out = Path(out).resolve()
    with DirectoryLock(out, "archgym sweep"):
        return _run_sweep(spec, out, address=address, num_cpus=num_cpus, resume=resume, retry_errored=retry_errored,
                          max_concurrent_trials=max_concurrent_trials, progress=progress, reuse_actors=reuse_actors)


def _run_sweep(spec: SweepSpec, out: Path, *, address, num_cpus, resume, retry_errored, max_concurrent_trials,
               progress, reuse_actors) -> SweepResult:
    experiments = spec.experiments()
    spec_card = {**spec.to_dict(), "experiments": [dict(e.to_dict(), run_id=e.run_id) for e in experiments]}
    spec_path = out / SPEC_FILE
    resumed = False
    if spec_path.is_file():
        old = read_json(spec_path, "sweep file record")
        if old.get("fingerprint") != spec_card["fingerprint"]:
            raise SweepError(f"{out} holds another sweep ({old.get('name')!r}, {old.get('n_experiments')} experiments, "
                             f"fingerprint {old.get('fingerprint')}); this one has fingerprint {spec_card['fingerprint']}. "
                             "Give a new --out, or delete the folder to start again")
        if not resume:
            raise SweepError(f"{out} already holds this sweep; resume it, or delete the folder to start again")
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(spec_card, spec_path)

    prepare_ray_environment()
    from ray import tune
    from ray.tune.logger import CSVLoggerCallback, JsonLoggerCallback

    settings = {"out": str(out), "name": spec.name, "report_every": spec.report_every, "rows_per_part": spec.rows_per_part}
    trainable = tune.with_resources(tune.with_parameters(sweep_trial, settings=settings), {"cpu": spec.cpus_per_trial})
    tune_path = out / TUNE_DIR / TUNE_NAME
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    t0 = time.perf_counter()
    logging.getLogger("ray.tune").setLevel(logging.WARNING)
    # after an interrupt Tune warns about every trial that never reported; the summary lists them instead
    logging.getLogger("ray.tune.analysis.experiment_analysis").setLevel(logging.ERROR)
    with ray_session(address, num_cpus) as session:
        if tune.Tuner.can_restore(str(tune_path)):
            resumed = True
            tuner = tune.Tuner.restore(str(tune_path), trainable, resume_unfinished=True, restart_errored=retry_errored)
        else:
            tuner = tune.Tuner(
                trainable,
                param_space={"experiment": tune.grid_search([e.to_dict() for e in experiments])},
                tune_config=tune.TuneConfig(metric="best_reward", mode="max", max_concurrent_trials=max_concurrent_trials,
                                            reuse_actors=reuse_actors, trial_name_creator=_trial_name,
                                            trial_dirname_creator=_trial_dirname),
                run_config=tune.RunConfig(name=TUNE_NAME, storage_path=str(out / TUNE_DIR), verbose=0,
                                          failure_config=tune.FailureConfig(max_failures=spec.max_failures),
                                          callbacks=[_progress_callback(sum(e.budget for e in experiments), progress),
                                                     JsonLoggerCallback(), CSVLoggerCallback()]),
            )
        grid = tuner.fit()
    wall = time.perf_counter() - t0
    result = _summarise(out, spec, experiments, grid, wall, resumed)
    _write_card(out, spec, result, session, started)
    return result


def _summarise(out: Path, spec: SweepSpec, experiments: list[Experiment], grid, wall: float, resumed: bool) -> SweepResult:
    completed, errored, retried = [], [], []
    best = {"best_reward": -math.inf}
    evaluations = 0
    for r in grid:
        if not r.config:  # a trial that an interrupt stopped before it started
            continue
        exp = Experiment.from_dict(r.config["experiment"])
        run_dir = out / RUNS_DIR / exp.run_id
        label = _label(exp, run_dir)
        if r.error is not None:
            errored.append({**label, "error": _error_text(r.error)})
            continue
        if not (run_dir / RUN_CARD).is_file():  # interrupted: unfinished, not failed
            continue
        card = read_json(run_dir / RUN_CARD, "run card")
        completed.append(exp.run_id)
        evaluations += int(card["n_rows"])
        if label["attempts"] > 1:
            retried.append(label)
        if card["result"]["best_reward"] > best["best_reward"]:
            best = {**label, "best_reward": card["result"]["best_reward"], "best_design": card["result"]["best_design"]}
    done = set(completed) | {e["run_id"] for e in errored}
    unfinished = [_label(e, out / RUNS_DIR / e.run_id) for e in experiments if e.run_id not in done]
    return SweepResult(out=out, name=spec.name, n_experiments=len(experiments), completed=completed, errored=errored,
                       retried=retried, evaluations=evaluations, wall_seconds=wall, resumed=resumed,
                       best=best if completed else {}, unfinished=unfinished)


def _label(exp: Experiment, run_dir: Path) -> dict:
    path = run_dir / ATTEMPTS_FILE
    attempts = read_json(path, "attempts file").get("attempts", 0) if path.is_file() else 0
    return {"run_id": exp.run_id, "agent": exp.label, "env_id": exp.env_id, "workload": exp.workload,
            "setting": exp.setting, "seed": exp.seed, "attempts": attempts}


def _error_text(err: Any) -> str:
    if err is None:
        return "no run card written (the trial stopped before its end)"
    lines = [x.strip() for x in str(err).strip().splitlines() if x.strip()]
    tail = [x for x in lines if not x.startswith(("File ", "Traceback", "^"))]
    return (tail[-1] if tail else lines[-1] if lines else type(err).__name__)[:500]


def _write_card(out: Path, spec: SweepSpec, result: SweepResult, session: dict, started: str) -> None:
    import ray

    previous = read_json(out / DATASET_CARD, "dataset card").get("sessions", []) if (out / DATASET_CARD).is_file() else []
    sessions = previous + [{"started": started, "wall_seconds": result.wall_seconds, "resumed": result.resumed,
                            "ray_address": session["address"], "ray_cpus": session["num_cpus"]}]
    write_dataset_card(out, {
        "kind": "sweep",
        "sweep": {"name": spec.name, "description": spec.description, "source": spec.source,
                  "fingerprint": spec.fingerprint(), "n_experiments": result.n_experiments},
        "trials": {"completed": len(result.completed), "errored": result.errored, "retried": result.retried,
                   "unfinished": len(result.unfinished)},
        "time": {"wall_seconds_total": sum(s["wall_seconds"] for s in sessions), "sessions": len(sessions)},
        "sessions": sessions,
        "best": result.best,
        "ray_version": ray.__version__,
    })


__all__ = ["run_sweep", "SweepResult", "SweepError", "ray_session", "sweep_trial", "report_interval"]
