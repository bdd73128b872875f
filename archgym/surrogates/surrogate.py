"""Surrogate cost models: trained from archgym datasets, saved with their schema, used as a backend.

>>> result = train("runs/dram-random", model="hgb", seed=0)      # held-out split by seed
>>> result.report["metrics"]["latency"]["rmse_pct_mean"]          # error as % of the mean
>>> result.surrogate.save("dram.surrogate")
>>> env = gymnasium.make("archgym/DRAM-v0", backend="surrogate", model="dram.surrogate")

Features come from the environment's design space (:class:`~archgym.surrogates.features.FeatureEncoder`,
i.e. ``DesignSpace.to_features``). Each metric is modelled in log space when it is positive (metrics
spanning orders of magnitude then get relative, not absolute, errors) and standardised; a regressor
from :mod:`archgym.surrogates.models` is fitted per metric or as one multi-output model. When the
dataset holds infeasible designs a classifier learns feasibility too, and predicted-infeasible
designs come back as :class:`~archgym.core.env.InfeasibleDesign`.

A saved surrogate is one zip file: ``surrogate.json`` (format version, environment id / version /
simulator version / workload, design space, feature names, metrics and their transforms, model and
hyper-parameters, dataset hash and split, held-out metrics, library versions) and ``model.pkl``
(the fitted estimators). :func:`load` reads the JSON first and refuses, with the difference spelled
out, a surrogate whose environment, version, workload or design space differs from the one asked for.
The pickle is only read from files you trust, as with any scikit-learn model.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import platform
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from archgym.core.env import ArchGymEnv, InfeasibleDesign
from archgym.core.spaces import DesignError, DesignSpace
from archgym.files.atomic import atomic_path
from archgym.records import METRIC_PREFIX
from archgym.surrogates.compiled import compile_classifier, compile_regressors
from archgym.surrogates.features import DerivedFeatures, FeatureEncoder, derived_for

FORMAT = "archgym-surrogate"
FORMAT_VERSION = 1
META_MEMBER = "surrogate.json"
MODEL_MEMBER = "model.pkl"
TRANSFORMS = ("auto", "log", "none")


#: threads a surrogate's fit and prediction may use (OpenMP and BLAS pools). One by default: the
#: models are fast single-threaded, and OpenMP thread pools that spin-wait on a shared, loaded
#: machine can be 30x slower than one thread. Set ``Surrogate.threads`` (or pass ``threads=`` to
#: :func:`train`) to use more.
DEFAULT_THREADS = 1
_CONTROLLER = None


def limit_threads(n: int | None):
    """Context manager limiting OpenMP/BLAS thread pools to ``n`` threads (no limit if None)."""
    global _CONTROLLER
    from contextlib import nullcontext

    if n is None:
        return nullcontext()
    from threadpoolctl import ThreadpoolController

    if _CONTROLLER is None:
        import sklearn.ensemble  # noqa: F401  (loads scikit-learn's OpenMP runtime before the scan)

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=int(n))


class SurrogateError(ValueError):
    """A surrogate that cannot be trained, read or used."""


class SurrogateMismatch(SurrogateError):
    """A surrogate loaded for an environment (id, version, workload, design space) it was not trained on."""


# -- target transforms ---------------------------------------------------------------------------
@dataclass(frozen=True)
class TargetTransform:
    """metric value -> standardised model target.

    ``auto``: a positive metric is modelled as ``log(y)``; a non-negative metric that reaches zero
    (e.g. stall cycles) as ``log(y + c)`` with ``c`` its smallest positive value, so that zeros stay
    distinguishable and large values still get relative errors; any other metric as is.
    ``log`` insists on the log of a positive metric, ``none`` models every metric as is."""

    log: bool
    mean: float
    std: float
    lower: float | None  # predictions are clipped to this bound (0 for non-negative metrics)
    offset: float = 0.0  # c in log(y + c)

    @classmethod
    def fit(cls, metric: str, y: np.ndarray, mode: str) -> TargetTransform:
        if mode not in TRANSFORMS:
            raise SurrogateError(f"target_transform {mode!r} is not known; allowed: {list(TRANSFORMS)}")
        positive = bool(np.all(y > 0))
        nonneg = bool(np.all(y >= 0))
        if mode == "log" and not positive:
            raise SurrogateError(f"target_transform 'log': metric {metric!r} has values <= 0 "
                                 f"(min {float(np.min(y))!r}); use 'auto' or 'none'")
        offset = 0.0
        if mode == "auto" and nonneg and not positive and np.any(y > 0):
            offset = float(np.min(y[y > 0]))
        log = mode != "none" and (positive or offset > 0)
        z = np.log(y + offset) if log else y
        std = float(np.std(z))
        return cls(log, float(np.mean(z)), std if std > 0 else 1.0, 0.0 if nonneg else None, offset)

    def forward(self, y: np.ndarray) -> np.ndarray:
        return ((np.log(y + self.offset) if self.log else y) - self.mean) / self.std

    def inverse_one(self, z: float) -> float:
        """:meth:`inverse` of one value, in plain Python (one design's prediction)."""
        y = z * self.std + self.mean
        if self.log:
            try:
                y = math.exp(y) - self.offset if self.offset else math.exp(y)
            except OverflowError:
                y = math.inf
        return max(y, self.lower) if self.lower is not None else y

    def inverse(self, z: np.ndarray) -> np.ndarray:
        y = z * self.std + self.mean
        if self.log:
            y = np.exp(y) - self.offset if self.offset else np.exp(y)
        return np.maximum(y, self.lower) if self.lower is not None else y


# -- the model -----------------------------------------------------------------------------------
class Surrogate:
    """A fitted surrogate of one environment (id, version, workload): designs in, metrics out.

    ``predict(designs)`` is the backend protocol of :class:`~archgym.core.env.ArchGymEnv`.
    """

    def __init__(self, space: DesignSpace, metrics: Mapping[str, Mapping[str, str]], identity: Mapping[str, str],
                 model: str, params: Mapping[str, Any], estimators: Mapping[str, Any],
                 transforms: Mapping[str, TargetTransform], classifier: Any = None,
                 metadata: Mapping[str, Any] | None = None, derived: DerivedFeatures | None = None):
        self.space = space
        self.encoder = FeatureEncoder(space, derived)
        self.metrics = {m: dict(v) for m, v in metrics.items()}
        self.metric_names = list(self.metrics)
        self.identity = {k: str(identity[k]) for k in ("env_id", "env_version", "simulator_version", "workload")}
        self.model = model
        self.params = dict(params)
        self.estimators = dict(estimators)  # metric -> estimator, or {"*": multi-output estimator}
        self.transforms = dict(transforms)
        self.classifier = classifier
        self.metadata = dict(metadata or {})
        self.threads: int | None = DEFAULT_THREADS
        self._compiled: Any = None  # (regressors, classifier) as CompiledEnsembles, built on first use
        #: prediction intervals (:class:`archgym.surrogates.uncertainty.Intervals`), None until fitted
        self.intervals: Any = None
        #: ``{metric: (lo, hi)}`` of the last design :meth:`predict_one` answered, when there are intervals
        self.last_interval: dict | None = None

    def __repr__(self) -> str:
        i = self.identity
        return (f"Surrogate({self.model!r} of {i['env_id']} v{i['env_version']} workload {i['workload']!r}, "
                f"metrics {self.metric_names})")

    @property
    def per_metric(self) -> bool:
        return "*" not in self.estimators

    # prediction ------------------------------------------------------------------------------
    @property
    def compiled(self) -> tuple[Any, Any]:
        """(regressors, feasibility classifier) compiled to flat trees (:mod:`.compiled`), each None
        when the model is not a tree ensemble (it then predicts through its library)."""
        if self._compiled is None:
            reg = compile_regressors(self.estimators, self.metric_names) if None not in self.estimators.values() else None
            clf = compile_classifier(self.classifier) if self.classifier is not None else None
            self._compiled = (reg, clf)
        return self._compiled

    def _transformed(self, X: np.ndarray) -> np.ndarray:
        """Model outputs on the transformed (standardised) scale, (n, n_metrics)."""
        reg = self.compiled[0]
        if reg is not None:
            return reg.predict(X)
        with limit_threads(self.threads):
            if self.per_metric:
                return np.column_stack([_predict(self.estimators[m], X) for m in self.metric_names])
            return _predict(self.estimators["*"], X).reshape(X.shape[0], -1)

    def predict_features(self, X: np.ndarray) -> np.ndarray:
        """Metric values (n, n_metrics), in the order of :attr:`metric_names`, from encoded features."""
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.encoder.n_features:
            raise SurrogateError(f"features must have shape (n, {self.encoder.n_features}), got {X.shape}")
        if X.shape[0] == 0:
            return np.empty((0, len(self.metric_names)))
        Z = self._transformed(X)
        out = np.empty_like(Z)
        for j, m in enumerate(self.metric_names):
            out[:, j] = self.transforms[m].inverse(Z[:, j])
        return out

    def feasible_probability(self, X: np.ndarray) -> np.ndarray:
        """Predicted probability that each design is feasible (1 when the training data had no infeasible design)."""
        if self.classifier is None:
            return np.ones(np.asarray(X).shape[0])
        clf = self.compiled[1]
        classes = list(self.classifier.classes_)
        if clf is not None:
            raw = clf.predict(X)[:, 0]  # log-odds of classes_[1]
            p1 = 1.0 / (1.0 + np.exp(-raw))
            return p1 if classes.index(True) == 1 else 1.0 - p1
        with limit_threads(self.threads):
            return self.classifier.predict_proba(X)[:, classes.index(True)]

    def predict_arrays(self, designs) -> tuple[np.ndarray, np.ndarray]:
        """(metric values (n, n_metrics), feasible mask (n,)) of designs (dicts or a dataset DataFrame)."""
        if isinstance(designs, Sequence) and len(designs) == 1 and isinstance(designs[0], Mapping):
            X = self.encoder.encode_one(designs[0])
        else:
            X = self.encoder.encode(designs)
        return self.predict_features(X), self.feasible_probability(X) >= 0.5

    def predict_interval_features(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) bounds (n, n_metrics) each, metric units, of the surrogate's prediction
        intervals (level ``self.intervals.level``) from encoded features."""
        if self.intervals is None:
            raise SurrogateError("this surrogate has no prediction intervals; fit them with "
                                 "archgym.surrogates.uncertainty.fit_intervals (or attach_intervals)")
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.encoder.n_features:
            raise SurrogateError(f"features must have shape (n, {self.encoder.n_features}), got {X.shape}")
        zlo, zhi = self.intervals.transformed(X)
        lo, hi = np.empty_like(zlo), np.empty_like(zhi)
        for j, m in enumerate(self.metric_names):
            lo[:, j] = self.transforms[m].inverse(zlo[:, j])
            hi[:, j] = self.transforms[m].inverse(zhi[:, j])
        return lo, hi

    def predict_interval(self, designs) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) bounds (n, n_metrics) of designs (dicts or a dataset DataFrame)."""
        return self.predict_interval_features(self.encoder.encode(designs))

    def predict_one(self, design: Mapping[str, Any]) -> dict | InfeasibleDesign:
        """One design's metrics dict (or InfeasibleDesign): the numbers of :meth:`predict` on a batch,
        on a short path (one encoded row, the compiled trees, the inverse transforms in Python)."""
        X = self.encoder.encode_one(design)
        reg, clf = self.compiled
        z = reg.predict(X)[0] if reg is not None else self._transformed(X)[0]
        if self.intervals is not None:
            zlo, zhi = self.intervals.transformed(X)
            t = self.transforms
            self.last_interval = {m: (t[m].inverse_one(float(a)), t[m].inverse_one(float(b)))
                                  for m, a, b in zip(self.metric_names, zlo[0].tolist(), zhi[0].tolist())}
        if self.classifier is not None:
            if clf is not None:
                raw = float(clf.predict(X)[0, 0])
                p1 = 1.0 / (1.0 + math.exp(-raw)) if raw > -700 else 0.0
                p = p1 if list(self.classifier.classes_).index(True) == 1 else 1.0 - p1
            else:
                p = float(self.feasible_probability(X)[0])
            if not p >= 0.5:
                return InfeasibleDesign("predicted infeasible by the surrogate")
        t = self.transforms
        return {m: t[m].inverse_one(float(v)) for m, v in zip(self.metric_names, z.tolist())}

    def predict(self, designs: Sequence[Mapping[str, Any]]) -> list[dict | InfeasibleDesign]:
        """Backend protocol: one metrics dict (or InfeasibleDesign) per design."""
        if isinstance(designs, Sequence) and len(designs) == 1 and isinstance(designs[0], Mapping):
            return [self.predict_one(designs[0])]
        Y, ok = self.predict_arrays(designs)
        names = self.metric_names
        return [dict(zip(names, row)) if f else InfeasibleDesign("predicted infeasible by the surrogate")
                for row, f in zip(Y.tolist(), ok.tolist())]

    def predict_frame(self, designs) -> pd.DataFrame:
        """``metric.<name>`` columns and ``feasible`` for designs (dicts or a dataset DataFrame)."""
        Y, ok = self.predict_arrays(designs)
        df = pd.DataFrame(Y, columns=[METRIC_PREFIX + m for m in self.metric_names])
        df["feasible"] = ok
        return df

    # compatibility ---------------------------------------------------------------------------
    def check_compatible(self, env: ArchGymEnv) -> None:
        """Raise SurrogateMismatch unless ``env`` is the environment (id, version, workload, design
        space, metrics) this surrogate was trained on."""
        where = self.metadata.get("path") or "the surrogate"
        i = self.identity
        for key, have in (("env_id", env.env_id), ("env_version", str(env.version)),
                          ("simulator_version", str(env.simulator_version)), ("workload", str(env.workload))):
            if i[key] != str(have):
                raise SurrogateMismatch(
                    f"{where} was trained on {i['env_id']} version {i['env_version']} (simulator "
                    f"{i['simulator_version']}, workload {i['workload']!r}); this environment has {key} {have!r} "
                    f"instead of {i[key]!r}. Retrain the surrogate on a dataset of this environment.")
        diff = space_difference(self.space, env.design_space)
        if diff:
            raise SurrogateMismatch(f"{where}: design space differs from the environment's: {diff}. "
                                    f"Retrain the surrogate on a dataset of this design space.")
        missing = [m for m in env.metrics if m not in self.metrics]
        if missing:
            raise SurrogateMismatch(f"{where} predicts {self.metric_names} but the environment also needs {missing}")

    # persistence -----------------------------------------------------------------------------
    def to_json(self) -> dict:
        return {
            "format": FORMAT, "format_version": FORMAT_VERSION, **self.identity,
            "design_space": self.space.to_dict(), "feature_names": self.encoder.feature_names,
            "derived_features": (jsonable(self.encoder.derived.to_json()) if self.encoder.derived is not None else None),
            "metrics": self.metrics,
            "transforms": {m: t.__dict__ for m, t in self.transforms.items()},
            "model": self.model, "params": jsonable(self.params), "per_metric": self.per_metric,
            "feasibility_classifier": self.classifier is not None,
            "metadata": jsonable({k: v for k, v in self.metadata.items() if k != "path"}),
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write the surrogate to ``path`` (one zip file) atomically."""
        blob = pickle.dumps({"estimators": self.estimators, "classifier": self.classifier, "intervals": self.intervals},
                            protocol=pickle.HIGHEST_PROTOCOL)
        meta = json.dumps(self.to_json(), indent=2, sort_keys=False).encode()
        with atomic_path(path) as tmp:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
                z.writestr(_zipinfo(META_MEMBER), meta)
                z.writestr(_zipinfo(MODEL_MEMBER), blob)
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike, env: ArchGymEnv | None = None) -> Surrogate:
        return load(path, env)


def _predict(estimator, X: np.ndarray) -> np.ndarray:
    if type(estimator).__module__.startswith("xgboost"):
        return np.asarray(estimator.get_booster().inplace_predict(X, iteration_range=_xgb_range(estimator)))
    return np.asarray(estimator.predict(X))


def _xgb_range(estimator) -> tuple[int, int]:
    best = getattr(estimator, "best_iteration", None)
    return (0, int(best) + 1) if best is not None else (0, 0)


def _zipinfo(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # fixed date: same model, same bytes
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def jsonable(o: Any) -> Any:
    """``o`` with numpy scalars as Python numbers, NaN/inf as None, tuples as lists (strict JSON)."""
    if isinstance(o, Mapping):
        return {str(k): jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [jsonable(v) for v in o]
    if isinstance(o, (np.integer, np.floating, np.bool_)):
        return o.item()
    if isinstance(o, float) and not np.isfinite(o):
        return None
    if o is None or isinstance(o, (str, int, float, bool)):
        return o
    return repr(o)


def space_difference(trained: DesignSpace, other: DesignSpace) -> str:
    """'' if equal, else which parameters were added, removed or changed (with their allowed values)."""
    a = {p.name: p for p in trained.params}
    b = {p.name: p for p in other.params}
    parts = []
    removed = [n for n in a if n not in b]
    added = [n for n in b if n not in a]
    if removed:
        parts.append(f"parameter(s) {removed} trained on are not in the environment")
    if added:
        parts.append(f"parameter(s) {added} of the environment were not trained on")
    for n in a:
        if n in b and a[n].to_dict() != b[n].to_dict():
            parts.append(f"parameter {n!r}: trained on {a[n].allowed()} ({a[n].to_dict()['kind']}), "
                         f"environment has {b[n].allowed()} ({b[n].to_dict()['kind']})")
    if not parts and trained.names != other.names:
        parts.append(f"parameter order differs: trained on {trained.names}, environment has {other.names}")
    return "; ".join(parts)


def library_versions(model: str) -> dict[str, str]:
    names = ["numpy", "scipy", "scikit-learn", "pandas", "gymnasium"] + (["xgboost"] if model == "xgb" else [])
    out = {"python": platform.python_version()}
    for n in ["archgym"] + names:
        try:
            out[n] = importlib_metadata.version(n)
        except importlib_metadata.PackageNotFoundError:
            out[n] = "absent"
    return out


def load(path: str | os.PathLike, env: ArchGymEnv | None = None) -> Surrogate:
    """Read a saved surrogate; with ``env``, refuse it unless it was trained on that environment."""
    p = Path(path)
    if not p.is_file():
        raise SurrogateError(f"surrogate file {str(p)!r} does not exist")
    try:
        with zipfile.ZipFile(p) as z:
            names = z.namelist()
            if META_MEMBER not in names or MODEL_MEMBER not in names:
                raise SurrogateError(f"{p}: not an archgym surrogate (needs {META_MEMBER} and {MODEL_MEMBER}, has {names})")
            meta = json.loads(z.read(META_MEMBER))
            if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
                raise SurrogateError(f"{p}: format {meta.get('format')!r} version {meta.get('format_version')!r}; "
                                     f"this archgym reads {FORMAT!r} version {FORMAT_VERSION}")
            space = DesignSpace.from_dict(meta["design_space"])
            identity = {k: meta[k] for k in ("env_id", "env_version", "simulator_version", "workload")}
            declared = meta.get("derived_features")
            try:
                derived = (derived_for(identity["env_id"], declared["names"], declared["spec"],
                                       declared.get("source", "environment"), declared.get("replaces", ()))
                           if declared else None)
            except DesignError as e:
                raise SurrogateError(f"{p}: {e}") from None
            if FeatureEncoder(space, derived).feature_names != meta["feature_names"]:
                raise SurrogateError(f"{p}: feature schema {meta['feature_names']} does not match its design space")
            shell = Surrogate(space, meta["metrics"], identity, meta["model"], meta["params"], {"*": None},
                              {m: TargetTransform(**t) for m, t in meta["transforms"].items()},
                              metadata={**meta.get("metadata", {}), "path": str(p)}, derived=derived)
            if env is not None:
                shell.check_compatible(env)  # before unpickling anything
            _warn_versions(p, meta.get("metadata", {}).get("libraries", {}))
            blob = pickle.loads(z.read(MODEL_MEMBER))
    except (zipfile.BadZipFile, json.JSONDecodeError, KeyError, EOFError, pickle.UnpicklingError) as e:
        raise SurrogateError(f"{p}: not a readable archgym surrogate ({type(e).__name__}: {e})") from None
    shell.estimators = dict(blob["estimators"])
    shell.classifier = blob["classifier"]
    shell.intervals = blob.get("intervals")
    return shell


def _warn_versions(path: Path, saved: Mapping[str, str]) -> None:
    now = library_versions("xgb" if "xgboost" in saved else "")
    for lib in ("scikit-learn", "xgboost"):
        if lib in saved and saved[lib] != now.get(lib):
            warnings.warn(f"{path}: trained with {lib} {saved[lib]}, loading with {now.get(lib)}; "
                          f"predictions may differ -- retrain if in doubt", stacklevel=3)


def load_backend(model: Any, env: ArchGymEnv) -> Surrogate:
    """The surrogate backend of ``env`` (``backend="surrogate", model=PATH`` or a :class:`Surrogate`)."""
    if model is None:
        raise SurrogateError("backend='surrogate' needs model=PATH (a file saved by archgym.surrogates.surrogate) "
                             "or a Surrogate instance")
    if isinstance(model, Surrogate):
        model.check_compatible(env)
        return model
    if isinstance(model, (str, os.PathLike)):
        return load(model, env)
    raise SurrogateError(f"model must be a path or a Surrogate, got {type(model).__name__}")


__all__ = ["Surrogate", "SurrogateError", "SurrogateMismatch", "TargetTransform", "jsonable", "library_versions",
           "load", "load_backend", "space_difference"]
