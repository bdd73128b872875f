"""The surrogate model registry: a handful of scikit-learn / XGBoost regressors by short name.

Each entry builds a seeded estimator from keyword hyper-parameters (defaults chosen for design-space
features in [0, 1] and standardised targets), knows whether it is fitted per metric or as one
multi-output model by default, how many training designs it can take (a Gaussian process is cubic
in that number), and a search space for the optional randomised hyper-parameter search. XGBoost is
an optional extra (``pip install archgym[xgb]``): it is imported only when ``xgb`` is built.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted


class ModelError(ValueError):
    """An unknown model name, an unavailable optional library or a bad hyper-parameter."""


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    build: Callable[[dict, int, int], Any]  # (params, seed, n_features) -> estimator
    defaults: Mapping[str, Any]
    search_space: Mapping[str, Any] = field(default_factory=dict)
    #: fit one estimator per metric (True) or one multi-output estimator (False) by default
    per_metric: bool = True
    #: largest training set used (a seeded subsample beyond it), None = all
    max_train: int | None = None
    #: import name of an optional library the model needs
    requires: str | None = None


def _rf(params: dict, seed: int, n_features: int):
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(random_state=seed, **params)


#: iterations of :class:`EarlyStoppedHGB` on a training set too small to hold validation rows out
TINY_MAX_ITER = 100


class EarlyStoppedHGB(RegressorMixin, BaseEstimator):
    """Histogram gradient boosting that finds its number of iterations by early stopping on a
    validation share of the training rows, then (``refit``) fits that many iterations on all of them,
    so that a small training set neither runs ``max_iter`` iterations nor loses its validation rows.
    The fitted model is ``estimator_`` (a :class:`~sklearn.ensemble.HistGradientBoostingRegressor`)."""

    def __init__(self, max_iter=1000, learning_rate=0.1, max_leaf_nodes=31, min_samples_leaf=5, max_depth=None,
                 max_bins=255, l2_regularization=0.0, monotonic_cst=None, n_iter_no_change=20,
                 validation_fraction=0.1, refit=True, random_state=None):
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.max_depth = max_depth
        self.max_bins = max_bins
        self.l2_regularization = l2_regularization
        self.monotonic_cst = monotonic_cst
        self.n_iter_no_change = n_iter_no_change
        self.validation_fraction = validation_fraction
        self.refit = refit
        self.random_state = random_state

    def _model(self, **kw):
        from sklearn.ensemble import HistGradientBoostingRegressor

        p = {k: getattr(self, k) for k in ("max_iter", "learning_rate", "max_leaf_nodes", "min_samples_leaf",
                                           "max_depth", "max_bins", "l2_regularization", "monotonic_cst",
                                           "n_iter_no_change", "validation_fraction", "random_state")}
        p.update(kw)
        return HistGradientBoostingRegressor(**p)

    def fit(self, X, y):
        n = len(y)
        if n * float(self.validation_fraction or 0) >= 2 and self.n_iter_no_change:
            probe = self._model(early_stopping=True).fit(X, y)
            self.stopped_at_ = int(probe.n_iter_)
            est = self._model(max_iter=self.stopped_at_, early_stopping=False).fit(X, y) if self.refit else probe
        else:  # too few rows to hold any out: a short boosting run (more would only memorise them)
            est = self._model(max_iter=min(int(self.max_iter), TINY_MAX_ITER), early_stopping=False).fit(X, y)
            self.stopped_at_ = int(est.n_iter_)
        self.estimator_ = est
        self.n_iter_ = int(est.n_iter_)
        self.n_features_in_ = est.n_features_in_
        return self

    def predict(self, X):
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)


def _hgb(params: dict, seed: int, n_features: int):
    return EarlyStoppedHGB(random_state=seed, **params)


def _xgb(params: dict, seed: int, n_features: int):
    from xgboost import XGBRegressor

    return XGBRegressor(random_state=seed, **params)


def _knn(params: dict, seed: int, n_features: int):
    from sklearn.neighbors import KNeighborsRegressor

    return KNeighborsRegressor(**params)


def _mlp(params: dict, seed: int, n_features: int):
    from sklearn.neural_network import MLPRegressor

    p = dict(params)
    if isinstance(p.get("hidden_layer_sizes"), list):
        p["hidden_layer_sizes"] = tuple(int(x) for x in p["hidden_layer_sizes"])
    return MLPRegressor(random_state=seed, **p)


def _gp(params: dict, seed: int, n_features: int):
    import numpy as np
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    p = dict(params)
    nu = float(p.pop("nu", 2.5))
    # one length scale per feature (automatic relevance determination) + a noise floor
    kernel = (ConstantKernel(1.0, (1e-3, 1e3)) * Matern(np.ones(n_features), (1e-2, 1e3), nu=nu)
              + WhiteKernel(1e-4, (1e-9, 1e-1)))
    return GaussianProcessRegressor(kernel=kernel, random_state=seed, **p)


MODELS: dict[str, ModelSpec] = {
    "rf": ModelSpec(
        "rf", "random forest (scikit-learn)", _rf,
        {"n_estimators": 100, "min_samples_leaf": 1, "max_features": 1.0, "n_jobs": 1},
        {"n_estimators": [100, 200, 400], "min_samples_leaf": [1, 2, 4], "max_features": [0.5, 0.8, 1.0]},
        per_metric=False,
    ),
    "hgb": ModelSpec(
        "hgb", "histogram gradient boosting (scikit-learn), iterations by early stopping, refit on all rows", _hgb,
        {"max_iter": 1000, "learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 5,
         "max_bins": 255, "n_iter_no_change": 20, "validation_fraction": 0.1, "refit": True},
        {"max_iter": [500, 1000, 2000], "learning_rate": stats.loguniform(0.02, 0.3),
         "max_leaf_nodes": [15, 31, 63, 127, 255], "min_samples_leaf": [1, 3, 5, 10, 20],
         "l2_regularization": stats.loguniform(1e-6, 1.0)},
        per_metric=True,
    ),
    "xgb": ModelSpec(
        "xgb", "gradient-boosted trees (XGBoost, optional extra 'xgb')", _xgb,
        {"n_estimators": 500, "learning_rate": 0.1, "max_depth": 6, "min_child_weight": 1.0,
         "subsample": 0.9, "colsample_bytree": 1.0, "tree_method": "hist", "n_jobs": 1},
        {"n_estimators": [500, 1000, 2000, 4000], "learning_rate": stats.loguniform(0.01, 0.3),
         "max_depth": [4, 6, 8, 10, 12], "min_child_weight": [1.0, 3.0, 10.0],
         "subsample": [0.6, 0.8, 0.9, 1.0], "colsample_bytree": [0.6, 0.8, 1.0]},
        per_metric=True, requires="xgboost",
    ),
    "knn": ModelSpec(
        "knn", "k nearest neighbours (scikit-learn)", _knn,
        {"n_neighbors": 5, "weights": "distance"},
        {"n_neighbors": [1, 2, 3, 5, 8, 13], "weights": ["uniform", "distance"], "p": [1, 2]},
        per_metric=False,
    ),
    "mlp": ModelSpec(
        "mlp", "multi-layer perceptron (scikit-learn)", _mlp,
        {"hidden_layer_sizes": (256, 256), "alpha": 1e-6, "learning_rate_init": 1e-3, "batch_size": 256,
         "max_iter": 400, "early_stopping": True, "n_iter_no_change": 25, "tol": 1e-6},
        {"hidden_layer_sizes": [(128, 128), (256, 256), (256, 256, 256), (512, 512)],
         "alpha": stats.loguniform(1e-7, 1e-2), "learning_rate_init": stats.loguniform(1e-4, 1e-2)},
        per_metric=False,
    ),
    "gp": ModelSpec(
        "gp", "Gaussian process, Matern kernel with one length scale per feature (scikit-learn)", _gp,
        {"nu": 2.5, "n_restarts_optimizer": 0, "normalize_y": False},
        {"nu": [0.5, 1.5, 2.5], "n_restarts_optimizer": [0, 1]},
        per_metric=False, max_train=1000,
    ),
}


#: ``--model auto``: the candidates (model, hyper-parameters) compared by cross-validation on the
#: training designs only; each metric gets the candidate with its lowest CV RMSE (standardised, on the
#: transformed scale). ``"monotone": True`` adds the monotonic constraints the environment declares for
#: the metric (:data:`MONOTONE`, see :func:`archgym.surrogates.features.monotone_constraints`); a
#: model that takes none (rf) is not given the key
AUTO = "auto"
MONOTONE = "monotone"
AUTO_CANDIDATES: tuple[tuple[str, dict], ...] = (
    ("hgb", {}),
    ("hgb", {"learning_rate": 0.05, "max_leaf_nodes": 15, "min_samples_leaf": 3, "max_iter": 2000}),
    ("hgb", {MONOTONE: True}),
    ("xgb", {"n_estimators": 500, "learning_rate": 0.1, "max_depth": 6}),
    ("xgb", {"n_estimators": 1000, "learning_rate": 0.05, "max_depth": 4, MONOTONE: True}),
)
#: models that take monotonic constraints (scikit-learn's ``monotonic_cst``, XGBoost's ``monotone_constraints``)
MONOTONE_MODELS = {"hgb": "monotonic_cst", "xgb": "monotone_constraints"}


def model_spec(name: str) -> ModelSpec:
    if name not in MODELS:
        raise ModelError(f"model {name!r} is not known; allowed: {sorted(MODELS) + [AUTO]}")
    return MODELS[name]


def is_available(name: str) -> bool:
    """Whether the libraries model ``name`` needs are installed."""
    spec = model_spec(name)
    return spec.requires is None or importlib.util.find_spec(spec.requires) is not None


def available_models() -> list[str]:
    return [n for n in MODELS if is_available(n)]


def make_estimator(name: str, params: Mapping[str, Any] | None = None, seed: int = 0, n_features: int = 1):
    """A fresh, seeded estimator ``name`` with the registry defaults overridden by ``params``."""
    spec = model_spec(name)
    if not is_available(name):
        raise ModelError(f"model {name!r} needs the optional library {spec.requires!r}; "
                         f"install it (pip install 'archgym[xgb]') or choose one of {available_models()}")
    merged = {**spec.defaults, **dict(params or {})}
    try:
        return spec.build(merged, int(seed), int(n_features))
    except TypeError as e:
        allowed = sorted(spec.build(dict(spec.defaults), int(seed), int(n_features)).get_params(deep=False))
        bad = sorted(set(params or {}) - set(allowed) - set(spec.defaults))
        raise ModelError(f"model {name!r}: bad hyper-parameter(s) {bad or list(params or {})} ({e}); "
                         f"allowed: {allowed}") from None


__all__ = ["AUTO", "AUTO_CANDIDATES", "MONOTONE", "MONOTONE_MODELS", "MODELS", "ModelSpec", "ModelError", "model_spec",
           "make_estimator", "is_available",
           "available_models"]
