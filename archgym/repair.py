"""Repair a damaged run, collect or sweep folder: set aside what is corrupt, re-simulate only what is missing.

Every card (``run.json``, ``dataset.json``) lists its part files with their row counts and sha256.
:func:`repair` compares the folder with them, moves each changed, unreadable or unlisted part file
of a finished run to ``<run>/damaged/`` (renamed ``*.damaged``, so that no reader picks it up), and
rebuilds the rows that are gone:

- a run of ``archgym run``, from its card's ``recipe``: the agent is replayed under its seed, the
  rows still there are fed back to it without simulation, and only the missing steps are simulated;
- a sweep trial, from the experiment in its card (or, when its whole folder is gone, from the
  sweep's ``sweep.json``);
- a ``collect`` output, from its sample seed: only the missing chunks are simulated.

The cards are then rewritten (each repair is recorded in them) and the folder is verified again.
Everything is deterministic under the seeds, so a repaired folder holds the rows the undamaged one held.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from archgym.collect import part_name, sample_columns, simulate_part
from archgym.files.lock import DirectoryLock
from archgym.records import PART_PROBLEMS, RecordsError, file_manifest, part_status, write_json_atomic
from archgym.runner import PLOT_FILE, make_env, run
from archgym.sweeps.dataset import (
    DATASET_CARD,
    EVALUATIONS_DIR,
    RUN_CARD,
    RUNS_DIR,
    SPEC_FILE,
    TUNE_DIR,
    check_card,
    damage,
    read_json,
    write_dataset_card,
)
from archgym.sweeps.spec import Experiment, build_agent

DAMAGED_DIR = "damaged"
#: card entries that the runner writes itself; everything else in an old card is carried over
_RUNNER_KEYS = {"run_id", "env_id", "env_version", "simulator_version", "workload", "agent", "agent_params", "seed",
                "budget", "environment", "archgym_version", "result", "n_rows", "n_replayed", "rows_per_part",
                "recipe", "files"}
_SUMMARY_KEYS = {"schema_version", "environments", "counts", "simulator_seconds", "files", "archgym_version", "written"}


@dataclass
class RepairReport:
    """What :func:`repair` found and did (or, with ``dry_run``, would do)."""

    path: Path
    problems: list[str] = field(default_factory=list)
    runs: list[dict] = field(default_factory=list)
    dry_run: bool = False

    @property
    def rows_simulated(self) -> int:
        return sum(r.get("rows_simulated", 0) for r in self.runs)

    def summary(self) -> dict:
        return {"path": str(self.path), "problems": self.problems, "runs": self.runs, "dry_run": self.dry_run,
                "rows_simulated": self.rows_simulated}


def repair(path: str | os.PathLike, *, dry_run: bool = False, progress: bool = True) -> RepairReport:
    """Repair the run, collect or sweep folder ``path`` (holding its lock); see the module docstring.

    Raises :class:`~archgym.records.RecordsError` when a damaged run cannot be rebuilt (its card lacks
    what is needed, or the environment's version changed since the rows were written)."""
    root = Path(path)
    if not root.is_dir():
        raise RecordsError(f"{root} is not a folder (give a run, collect or sweep output folder)")
    if dry_run:
        return _repair(root, dry_run=True, progress=progress)
    with DirectoryLock(root, "archgym repair"):
        return _repair(root, dry_run=False, progress=progress)


def _repair(root: Path, dry_run: bool, progress: bool) -> RepairReport:
    dataset_card = check_card(root)
    report = RepairReport(root, problems=damage(root, dataset_card), dry_run=dry_run)
    for run_dir, card in _runs(root, dataset_card):
        bad = part_status(run_dir / EVALUATIONS_DIR, card["files"]) if card is not None else {"(the whole run)": "missing"}
        if not bad:
            continue
        entry = {"run": run_dir.relative_to(root).as_posix() or ".",
                 "set_aside": sorted(n for n, w in bad.items() if w != "missing"),
                 "missing": sorted(n for n, w in bad.items() if w == "missing"),
                 "why": {n: PART_PROBLEMS[w] for n, w in sorted(bad.items())}}
        report.runs.append(entry)
        if dry_run:
            continue
        _set_aside(run_dir, entry["set_aside"])
        entry["rows_simulated"] = _rebuild(root, run_dir, card, entry, progress)
    if not dry_run and report.runs:
        if dataset_card is not None:
            extra = {k: v for k, v in dataset_card.items() if k not in _SUMMARY_KEYS}
            extra["repairs"] = list(dataset_card.get("repairs", [])) + [_stamp(report.runs)]
            write_dataset_card(root, extra)
        left = damage(root, check_card(root))
        if left:
            raise RecordsError(f"{root}: still damaged after the repair: {'; '.join(left[:5])}")
    return report


def _runs(root: Path, dataset_card: dict | None) -> list[tuple[Path, dict | None]]:
    """Every run folder under ``root`` with its card; ``None`` as card for a sweep trial whose folder
    (card included) is gone although the dataset card lists its files."""
    found = []
    for d in sorted(p.parent for p in root.rglob(RUN_CARD) 
                    if not {EVALUATIONS_DIR, TUNE_DIR} & set(p.relative_to(root).parts)):
        card = read_json(d / RUN_CARD, "run card")
        if card.get("files") is not None:
            found.append((d, card))
    if dataset_card is not None and (root / SPEC_FILE).is_file():
        have = {d for d, _ in found}
        listed = {Path(name).parts[1] for name in dataset_card.get("files", {}) if Path(name).parts[:1] == (RUNS_DIR,)}
        found += [(root / RUNS_DIR / run_id, None) for run_id in sorted(listed) if root / RUNS_DIR / run_id not in have
                  and not (root / RUNS_DIR / run_id / RUN_CARD).is_file()]
    return found


def _set_aside(run_dir: Path, names: list[str]) -> None:
    """Move damaged part files out of the way (kept, for inspection), never deleting them."""
    if not names:
        return
    where = run_dir / DAMAGED_DIR
    where.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    for name in names:
        src = run_dir / EVALUATIONS_DIR / name
        os.replace(src, where / f"{Path(name).name}.{stamp}.damaged")


def _stamp(runs: list[dict]) -> dict:
    return {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "runs": [{k: r[k] for k in ("run", "set_aside", "missing", "rows_simulated") if k in r} for r in runs]}


def _rebuild(root: Path, run_dir: Path, card: dict | None, entry: dict, progress: bool) -> int:
    """Re-simulate what ``run_dir`` lacks; the number of rows simulated."""
    if card is None:
        exp = _experiment_from_spec(root, run_dir.name)
        extra = {"sweep": read_json(root / SPEC_FILE, "sweep file record").get("name"), "experiment": exp.to_dict(),
                 "setting": exp.setting, "setting_id": exp.setting_id}
        return _rebuild_trial(run_dir, exp, extra, None, entry, progress)
    extra = {k: v for k, v in card.items() if k not in _RUNNER_KEYS}
    if "experiment" in card:
        return _rebuild_trial(run_dir, Experiment.from_dict(card["experiment"]), extra, card, entry, progress)
    if str(card.get("agent", "")).startswith("sampler:"):
        return _rebuild_collect(root, run_dir, card, entry)
    recipe = card.get("recipe")
    if not recipe:
        raise RecordsError(f"{run_dir / RUN_CARD}: cannot rebuild this run: its card has no recipe (the run was "
                           "given an environment or agent object, or was written by an archgym before 0.2); "
                           f"run it again instead ({', '.join(entry['missing'] + entry['set_aside'])} damaged)")
    env = make_env(recipe["env"], **recipe["env_kwargs"])
    _same_environment(run_dir, card, env)
    res = run(recipe["env"], recipe["agent"], int(card["budget"]), int(card["seed"]), out=run_dir,
               env_kwargs=recipe["env_kwargs"], agent_params=recipe["agent_params"], agent_name=card["agent"],
               run_id=card["run_id"], rows_per_part=int(card.get("rows_per_part", 1000)), progress=progress,
               plot=(run_dir / PLOT_FILE).is_file(), resume=True, repair=True, lock=False,
               card_extra={**extra, "repairs": _repairs(card, entry)})
    return _simulated(run_dir, res.budget)


def _rebuild_trial(run_dir: Path, exp: Experiment, extra: dict, card: dict | None, entry: dict, progress: bool) -> int:
    env = make_env(exp.env_id, **exp.make_env_kwargs())
    if card is not None:
        _same_environment(run_dir, card, env)
    agent = build_agent(exp.agent, env.design_space, exp.seed, exp.params)
    res = run(env, agent, exp.budget, exp.seed, out=run_dir, agent_name=exp.label, agent_params=exp.params,
               progress=progress, plot=False, run_id=exp.run_id,
               rows_per_part=int((card or {}).get("rows_per_part", 1000)), resume=True, repair=True, lock=False,
               card_extra={**extra, "repairs": _repairs(card or {}, entry)})
    return _simulated(run_dir, res.budget)


def _rebuild_collect(root: Path, run_dir: Path, card: dict, entry: dict) -> int:
    recipe = card.get("recipe")
    if recipe is None:  # written before cards carried a recipe: the dataset card has the arguments
        ds = read_json(run_dir / DATASET_CARD, "dataset card") if (run_dir / DATASET_CARD).is_file() else {}
        if "collect" not in ds:
            raise RecordsError(f"{run_dir / RUN_CARD}: cannot rebuild this collect output: neither its card nor "
                               f"{DATASET_CARD} records its environment arguments")
        recipe = {"env": card["env_id"], "env_kwargs": ds["collect"].get("env_kwargs", {}), "sampler": ds["collect"]["sampler"]}
    env = make_env(recipe["env"], **recipe["env_kwargs"])
    _same_environment(run_dir, card, env)
    seed, n, chunk = int(card["seed"]), int(card["budget"]), int(card["chunk"])
    env.reset(seed=seed)
    identity = {k: card[k] for k in ("run_id", "env_id", "env_version", "simulator_version", "workload", "agent", "seed")}
    identity["agent_params"] = _json(card["agent_params"])
    cols = sample_columns(env.design_space, n, recipe["sampler"], np.random.default_rng(seed))
    evals_dir = run_dir / EVALUATIONS_DIR
    todo = [p for p in range(math.ceil(n / chunk)) if not (evals_dir / part_name(p)).is_file()]
    rows = 0
    for p in todo:
        start, stop = p * chunk, min((p + 1) * chunk, n)
        simulate_part(env, identity, cols, start, stop, evals_dir / part_name(p))
        rows += stop - start
    write_json_atomic({**card, "files": file_manifest(evals_dir), "repairs": _repairs(card, {**entry, "rows_simulated": rows})},
                      run_dir / RUN_CARD)
    return rows


def _experiment_from_spec(root: Path, run_id: str) -> Experiment:
    spec = read_json(root / SPEC_FILE, "sweep file record")
    for e in spec.get("experiments", []):
        if e.get("run_id") == run_id:
            return Experiment.from_dict(e)
    raise RecordsError(f"{root / SPEC_FILE}: no experiment {run_id!r}, whose rows {DATASET_CARD} lists; cannot rebuild it")


def _same_environment(run_dir: Path, card: Mapping[str, Any], env) -> None:
    """Refuse to mix rows of two versions of an environment in one run."""
    now = {"env_version": env.version, "simulator_version": env.simulator_version, "workload": str(env.workload)}
    then = {k: card.get(k) for k in now}
    if now != then:
        changed = ", ".join(f"{k} {then[k]!r} -> {now[k]!r}" for k in now if now[k] != then[k])
        raise RecordsError(f"{run_dir}: cannot repair: the environment changed since its rows were written ({changed}); "
                           "re-simulated rows would not match the others. Run it again into a new folder instead")


def _repairs(card: Mapping[str, Any], entry: dict) -> list[dict]:
    done = {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "set_aside": entry["set_aside"], "missing": entry["missing"]}
    if "rows_simulated" in entry:
        done["rows_simulated"] = entry["rows_simulated"]
    return list(card.get("repairs", [])) + [done]


def _simulated(run_dir: Path, budget: int) -> int:
    card = read_json(run_dir / RUN_CARD, "run card")
    n = int(budget) - int(card.get("n_replayed", 0))
    card["repairs"][-1]["rows_simulated"] = n
    write_json_atomic(card, run_dir / RUN_CARD)
    return n


def _json(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, sort_keys=True)


__all__ = ["repair", "RepairReport", "DAMAGED_DIR"]
