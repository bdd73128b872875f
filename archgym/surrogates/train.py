"""Training and held-out evaluation of surrogates: split a dataset, fit, report, time against the simulator.

>>> result = train("runs/dram-random", model="hgb", seed=0)      # held-out split by seed
>>> result.report["metrics"]["latency"]["rmse_pct_mean"]          # error as % of the mean
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd

from archgym.core.env import ArchGymEnv
from archgym.envs import ENVIRONMENTS
from archgym.records import METRIC_PREFIX
from archgym.surrogates.data import (
    DatasetError,
    TrainingData,
    load_training_data,
    split,
    subsample,
)
from archgym.surrogates.features import FeatureEncoder, declared_features, monotone_constraints
from archgym.surrogates.metrics import (
    DEFAULT_TOPK,
    metric_report,
    regression_report,
    worst,
)
from archgym.surrogates.models import (
    AUTO,
    AUTO_CANDIDATES,
    MONOTONE,
    MONOTONE_MODELS,
    ModelError,
    is_available,
    make_estimator,
    model_spec,
)
from archgym.surrogates.speed import measure_speed
from archgym.surrogates.surrogate import (
    DEFAULT_THREADS,
    Surrogate,
    SurrogateError,
    TargetTransform,
    jsonable,
    library_versions,
    limit_threads,
)

#: feature sets of :func:`fit`: the environment's declared features added, or the design space's alone
FEATURE_SETS = ("declared", "space")


@dataclass
class TrainResult:
    """A trained surrogate, its held-out report, and the data and split it came from."""

    surrogate: Surrogate
    report: dict
    data: TrainingData
    train_index: np.ndarray = field(repr=False)
    test_index: np.ndarray = field(repr=False)

    @property
    def test_frame(self) -> pd.DataFrame:
        return self.data.frame.iloc[self.test_index].reset_index(drop=True)


def make_environment(env_id: str, workload: str, **kwargs) -> ArchGymEnv:
    """The environment ``env_id`` of a recorded workload. A workload recorded as ``NETWORK:LAYER``
    (Mapping-v0 models one layer of a network) is rebuilt as ``workload=NETWORK, layer=LAYER``."""
    try:
        return gym.make(env_id, workload=workload, **kwargs).unwrapped
    except ValueError:
        name, sep, layer = str(workload).rpartition(":")
        if not sep or not name:
            raise
        try:
            env = gym.make(env_id, workload=name, layer=layer, **kwargs).unwrapped
        except (TypeError, ValueError):
            env = None
        if env is None or str(env.workload) != str(workload):
            raise
        return env


def environment_for(data: TrainingData, env: ArchGymEnv | None = None) -> ArchGymEnv:
    """The simulator-backed environment a dataset came from (built from the registry unless given),
    checked against the dataset's id, version and parameters."""
    if env is None:
        if data.env_id not in ENVIRONMENTS:
            raise DatasetError(f"dataset environment {data.env_id!r} is not registered in this archgym "
                               f"(registered: {sorted(ENVIRONMENTS)}); pass env=")
        env = make_environment(data.env_id, data.workload)
    if env.env_id != data.env_id or str(env.version) != data.env_version:
        raise DatasetError(f"dataset rows are from {data.env_id} version {data.env_version}, the environment is "
                           f"{env.env_id} version {env.version}")
    if sorted(data.parameter_names) != sorted(env.design_space.names):
        raise DatasetError(f"dataset parameters {data.parameter_names} differ from the environment's design space "
                           f"{env.design_space.names}")
    missing = [m for m in env.metrics if m not in data.metric_names]
    if missing:
        raise DatasetError(f"dataset has no column for metric(s) {missing} of {env.env_id}")
    if data.simulator_version and data.simulator_version != str(env.simulator_version):
        warnings.warn(f"dataset {data.sources} was simulated with {data.simulator_version}, the environment runs "
                      f"{env.simulator_version}: a surrogate trained on it models {data.simulator_version} and "
                      f"environments running {env.simulator_version} will refuse it; re-collect the dataset",
                      stacklevel=3)
    return env


def fit(data: TrainingData, train_index: np.ndarray, env: ArchGymEnv, model: str = "hgb", *,
        params: Mapping[str, Any] | None = None, per_metric: bool | None = None, target_transform: str = "auto",
        seed: int = 0, search: int = 0, max_train: int | None = None, classifier: bool = True,
        threads: int | None = DEFAULT_THREADS, features: str = "declared",
        select_max_train: int | None = None, selection: Mapping[str, Any] | None = None) -> Surrogate:
    """Fit a surrogate on the rows ``train_index`` of ``data`` (feasible rows for the regressors, all of
    them for the feasibility classifier). ``search`` > 0 runs a randomised hyper-parameter search
    of that many candidates (3-fold cross-validation on the training rows only). ``features``:
    ``"declared"`` adds the features the environment declares from its design space and workload
    (:func:`~archgym.surrogates.features.declared_features`), ``"space"`` uses the design space's alone.
    ``model="auto"`` gives every metric the candidate of :func:`select_model` with its lowest CV error
    (on at most ``select_max_train`` training designs, all of them by default); a candidate with
    ``"monotone": True`` takes the monotonic constraints the environment declares for the metric;
    ``selection`` (a :func:`select_model` result) reuses an earlier choice instead of selecting again."""
    if features not in FEATURE_SETS:
        raise SurrogateError(f"features {features!r} is not known; allowed: {list(FEATURE_SETS)}")
    auto = None
    chosen: dict[str, dict] = {}
    if model == AUTO:
        auto = selection if selection is not None else select_model(
            data, train_index, env, seed=seed, target_transform=target_transform,
            max_train=select_max_train or max_train, threads=threads, features=features)
        chosen = {m: {"model": c["model"], "params": {**c["params"], **dict(params or {})}}
                  for m, c in auto["per_metric"].items()}
        caps = [model_spec(c["model"]).max_train for c in chosen.values()]
        cap = min(x for x in [max_train, train_index.size] + caps if x is not None)
        per_metric = True
    else:
        spec = model_spec(model)
        per_metric = spec.per_metric if per_metric is None else bool(per_metric)
        cap = min(x for x in (max_train, spec.max_train, train_index.size) if x is not None)
    idx = subsample(np.asarray(train_index), cap, seed)
    frame = data.frame.iloc[idx]
    feasible = frame["feasible"].to_numpy(dtype=bool)
    if not feasible.any():
        raise DatasetError("no feasible design among the training rows; nothing to learn metrics from")
    derived = declared_features(env) if features == "declared" else None
    encoder = FeatureEncoder(env.design_space, derived)
    X_all = encoder.encode(frame)
    X = X_all[feasible]
    names = list(env.metrics)
    Y = frame.loc[feasible, [METRIC_PREFIX + m for m in names]].to_numpy(dtype=float)
    bad = ~np.isfinite(Y)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DatasetError(f"metric {names[c]!r} is {Y[r, c]!r} in a feasible training row; fix the dataset")
    transforms = {m: TargetTransform.fit(m, Y[:, j], target_transform) for j, m in enumerate(names)}
    Z = np.column_stack([transforms[m].forward(Y[:, j]) for j, m in enumerate(names)])
    t0 = time.perf_counter()
    searched: dict[str, Any] = {}
    with limit_threads(threads):
        if chosen:
            estimators = {}
            for j, m in enumerate(names):
                estimators[m], searched[m] = _fit_one(chosen[m]["model"], chosen[m]["params"], seed, X, Z[:, j], search,
                                                      monotone=monotone_constraints(encoder, m))
        elif per_metric:
            estimators = {}
            for j, m in enumerate(names):
                estimators[m], searched[m] = _fit_one(model, params, seed, X, Z[:, j], search,
                                                      monotone=monotone_constraints(encoder, m))
        else:
            est, searched["*"] = _fit_one(model, params, seed, X, Z if len(names) > 1 else Z[:, 0], search)
            estimators = {"*": est}
        fit_seconds = time.perf_counter() - t0
        clf = None
        if classifier and not feasible.all():
            from sklearn.ensemble import HistGradientBoostingClassifier

            clf = HistGradientBoostingClassifier(random_state=seed).fit(X_all, feasible)
    metadata = {
        "dataset": data.describe(),
        "training": {"seed": int(seed), "n_train_designs": int(idx.size), "n_train_feasible": int(feasible.sum()),
                     "subsampled_from": int(train_index.size), "search_candidates": int(search),
                     "searched_params": searched if search else {}, "fit_seconds": fit_seconds,
                     "target_transform": target_transform, "features": features,
                     "n_features": encoder.n_features},
        "libraries": library_versions("xgb" if any(c["model"] == "xgb" for c in chosen.values()) else model),
    }
    if auto is not None:
        metadata["training"]["auto"] = auto
        metadata["training"]["per_metric_models"] = {m: _describe(c) for m, c in chosen.items()}
    sur = Surrogate(env.design_space, {m: {"unit": env.metrics[m].unit, "sense": env.metrics[m].sense} for m in names},
                     {"env_id": env.env_id, "env_version": env.version,
                      "simulator_version": data.simulator_version or env.simulator_version, "workload": env.workload},
                     model, ({m: {"model": c["model"], "params": {**model_spec(c["model"]).defaults, **c["params"]}}
                              for m, c in chosen.items()} if chosen else {**model_spec(model).defaults, **dict(params or {})}),
                     estimators, transforms, clf, metadata,
                     derived=derived)
    sur.threads = threads
    return sur


def select_model(data: TrainingData, train_index: np.ndarray, env: ArchGymEnv, *, seed: int = 0, folds: int = 3,
                 candidates=AUTO_CANDIDATES, target_transform: str = "auto", max_train: int | None = None,
                 threads: int | None = DEFAULT_THREADS, features: str = "declared") -> dict:
    """``--model auto``: k-fold cross-validation of every available candidate of
    :data:`~archgym.surrogates.models.AUTO_CANDIDATES` on the training designs only (the held-out
    designs are never seen), one metric at a time. Score: the CV RMSE of the standardised
    (log-scale for positive metrics) target. ``per_metric`` holds each metric's winner; ``model`` /
    ``params`` the candidate with the lowest mean score over the metrics. A ``"monotone"`` candidate
    is scored only on metrics with declared constraints (elsewhere it is its unconstrained twin)."""
    from sklearn.model_selection import KFold

    idx = subsample(np.asarray(train_index), max_train, seed)
    frame = data.frame.iloc[idx]
    feasible = frame["feasible"].to_numpy(dtype=bool)
    derived = declared_features(env) if features == "declared" else None
    encoder = FeatureEncoder(env.design_space, derived)
    X = encoder.encode(frame)[feasible]
    names = list(env.metrics)
    Y = frame.loc[feasible, [METRIC_PREFIX + m for m in names]].to_numpy(dtype=float)
    if X.shape[0] < 2 * folds:
        raise DatasetError(f"--model auto needs at least {2 * folds} feasible training designs, got {X.shape[0]}")
    splits = list(KFold(folds, shuffle=True, random_state=seed).split(X))
    cst = {m: monotone_constraints(encoder, m) for m in names}
    scores = []
    t0 = time.perf_counter()
    with limit_threads(threads):
        for name, params in candidates:
            if not is_available(name):
                continue
            spec = model_spec(name)
            mono = bool(params.get(MONOTONE))
            if mono and (name not in MONOTONE_MODELS or not any(c is not None for c in cst.values())):
                continue
            errs = np.full(len(names), np.nan)
            for j, m in enumerate(names):
                if mono and cst[m] is None:
                    continue
                e = 0.0
                for tr, va in splits:
                    tf = TargetTransform.fit(m, Y[tr, j], target_transform)
                    z = tf.forward(Y[:, j])
                    if spec.per_metric or mono:
                        est = _fit_one(name, params, seed, X[tr], z[tr], 0, monotone=cst[m])[0]
                        p = np.asarray(est.predict(X[va])).reshape(-1)
                    else:  # a multi-output model is scored on this metric alone here
                        p = np.asarray(_fit_one(name, params, seed, X[tr], z[tr], 0)[0].predict(X[va])).reshape(-1)
                    e += float(np.sqrt(np.mean((p - z[va]) ** 2))) / folds
                errs[j] = e
            scored = errs[np.isfinite(errs)]
            scores.append({"model": name, "params": dict(params),
                           "cv_rmse_std_units": float(scored.mean()) if scored.size else float("nan"),
                           "cv_rmse_per_metric": {m: (float(v) if np.isfinite(v) else None)
                                                  for m, v in zip(names, errs.tolist())}})
    if not scores:
        raise ModelError("--model auto: none of its candidate models is available")
    complete = [r for r in scores if all(v is not None for v in r["cv_rmse_per_metric"].values())] or scores
    best = min(complete, key=lambda r: r["cv_rmse_std_units"])
    per_metric = {}
    for m in names:
        ok = [r for r in scores if r["cv_rmse_per_metric"][m] is not None]
        win = min(ok, key=lambda r: r["cv_rmse_per_metric"][m])
        per_metric[m] = {"model": win["model"], "params": dict(win["params"]),
                         "cv_rmse_std_units": win["cv_rmse_per_metric"][m]}
    return {"model": best["model"], "params": best["params"], "per_metric": per_metric, "folds": folds,
            "n_designs": int(X.shape[0]), "seconds": time.perf_counter() - t0, "candidates": scores}


def _describe(choice: Mapping[str, Any]) -> str:
    """``xgb(max_depth=4, monotone)``: a model choice in a report."""
    p = choice["params"]
    inner = ", ".join(MONOTONE if k == MONOTONE else f"{k}={v}" for k, v in p.items() if k != MONOTONE or v)
    return f"{choice['model']}({inner})" if inner else choice["model"]


def _fit_one(model: str, params, seed: int, X: np.ndarray, z: np.ndarray, search: int,
             monotone: Sequence[int] | None = None):
    """One fitted estimator; ``params`` may hold ``"monotone": True``, which applies ``monotone`` (one
    sign per feature, from the environment's declaration) through the library's own constraint."""
    params = dict(params or {})
    if params.pop(MONOTONE, False):
        if model not in MONOTONE_MODELS:
            raise ModelError(f"model {model!r} takes no monotonic constraints; models that do: {sorted(MONOTONE_MODELS)}")
        if monotone is not None:
            key = MONOTONE_MODELS[model]
            params[key] = list(monotone) if model == "hgb" else "(" + ",".join(str(int(c)) for c in monotone) + ")"
    est = make_estimator(model, params, seed, X.shape[1])
    try:
        if search and search > 0:
            from sklearn.model_selection import KFold, RandomizedSearchCV

            space = {k: v for k, v in model_spec(model).search_space.items() if k not in (params or {})}
            rs = RandomizedSearchCV(est, space, n_iter=int(search), cv=KFold(3, shuffle=True, random_state=seed),
                                    scoring="neg_root_mean_squared_error", random_state=seed, refit=True, n_jobs=1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=UserWarning)
                rs.fit(X, z)
            return rs.best_estimator_, {"best_params": jsonable(rs.best_params_), "cv_rmse_std_units": -rs.best_score_}
        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            # an MLP stopped by max_iter, a GP length scale at its bound (an irrelevant feature): the
            # held-out report, not a warning, says whether the fit is good enough
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, z)
    except (ValueError, TypeError) as e:
        if type(e).__name__ == "InvalidParameterError":
            raise ModelError(f"model {model!r}: {e}") from None
        raise
    return est, {}


def evaluate(surrogate: Surrogate, frame: pd.DataFrame, env: ArchGymEnv | None = None,
             topk: Sequence[int] = DEFAULT_TOPK) -> dict:
    """Held-out quality of ``surrogate`` on dataset rows ``frame``: per-metric errors and ranking on the
    feasible rows, ranking of the environment's reward, and feasibility accuracy."""
    X = surrogate.encoder.encode(frame)
    feasible = frame["feasible"].to_numpy(dtype=bool)
    Y = surrogate.predict_features(X[feasible])
    names = surrogate.metric_names
    truth = {m: frame.loc[feasible, METRIC_PREFIX + m].to_numpy(dtype=float) for m in names}
    pred = {m: Y[:, j] for j, m in enumerate(names)}
    senses = {m: surrogate.metrics[m]["sense"] for m in names}
    per_metric = regression_report(truth, pred, senses, topk)
    out: dict[str, Any] = {"n_test_designs": int(len(frame)), "n_test_feasible": int(feasible.sum()),
                           "metrics": per_metric}
    if env is not None and feasible.sum() > 1:
        r_true = np.array([env.reward_fn({m: truth[m][i] for m in names}) for i in range(int(feasible.sum()))])
        r_pred = np.array([env.reward_fn({m: pred[m][i] for m in names}) for i in range(int(feasible.sum()))])
        out["reward"] = {k: v for k, v in metric_report(r_true, r_pred, "max", topk).items()
                         if k not in ("rmse_pct_mean", "mape_pct")}
    p = surrogate.feasible_probability(X)
    if surrogate.classifier is not None or not feasible.all():
        guess = p >= 0.5
        out["feasibility"] = {"accuracy": float(np.mean(guess == feasible)),
                              "false_feasible": int(np.sum(guess & ~feasible)),
                              "false_infeasible": int(np.sum(~guess & feasible))}
    m_err, v_err = worst(per_metric, "rmse_pct_mean")
    m_tau, v_tau = worst(per_metric, "kendall_tau", largest=False)
    out["summary"] = {"max_rmse_pct_mean": v_err, "worst_metric_rmse": m_err,
                      "min_kendall_tau": v_tau, "worst_metric_tau": m_tau}
    return out


def train(dataset, model: str = "hgb", *, env: ArchGymEnv | None = None, env_id: str | None = None,
          workload: str | None = None, params: Mapping[str, Any] | None = None, per_metric: bool | None = None,
          target_transform: str = "auto", test_fraction: float = 0.2, seed: int = 0, search: int = 0,
          max_train: int | None = None, speed: bool = True, topk: Sequence[int] = DEFAULT_TOPK,
          threads: int | None = DEFAULT_THREADS, features: str = "declared") -> TrainResult:
    """Load a dataset, split it by ``seed``, fit ``model`` on the training designs and report on the
    held-out ones (and, with ``speed``, time surrogate against simulator in this run)."""
    data = load_training_data(dataset, env_id, workload)
    env = environment_for(data, env)
    tr, te = split(data.frame, test_fraction, seed)
    sur = fit(data, tr, env, model, params=params, per_metric=per_metric, target_transform=target_transform,
              seed=seed, search=search, max_train=max_train, threads=threads, features=features)
    test = data.frame.iloc[te]
    report = {"env_id": data.env_id, "env_version": data.env_version, "workload": data.workload, "model": sur.model,
              "seed": int(seed), "test_fraction": float(test_fraction), "n_train_designs": int(tr.size),
              "n_train_used": sur.metadata["training"]["n_train_designs"],
              "fit_seconds": sur.metadata["training"]["fit_seconds"], "dataset_hash": data.dataset_hash,
              "dataset": data.describe()}
    if "auto" in sur.metadata["training"]:
        report["model_selection"] = sur.metadata["training"]["auto"]
    report.update(evaluate(sur, test, env, topk))
    if speed:
        report["speed"] = measure_speed(sur, env, test, dataset_sim_seconds=data.frame["sim_seconds"])
    sur.metadata["split"] = {"seed": int(seed), "test_fraction": float(test_fraction), "n_train": int(tr.size),
                             "n_test": int(te.size)}
    sur.metadata["held_out"] = {k: report[k] for k in ("metrics", "summary") if k in report}
    if "reward" in report:
        sur.metadata["held_out"]["reward"] = report["reward"]
    return TrainResult(sur, report, data, tr, te)


__all__ = ["FEATURE_SETS", "TrainResult", "environment_for", "make_environment", "select_model", "evaluate", "fit", "train"]
