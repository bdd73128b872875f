"""Tree ensembles flattened into arrays and evaluated by one numba kernel: surrogate prediction
without per-call library overhead.

XGBoost's ``inplace_predict`` costs about a millisecond per call whatever the number of rows, and
scikit-learn's ``predict`` validates its input on every call; a surrogate that answers one design at a
time (an environment step) pays that on every step. :func:`compile_ensemble` turns the fitted trees
of a surrogate -- XGBoost regressors (one per metric), a scikit-learn random forest (one multi-output
forest), histogram gradient boosting (per metric) or a histogram-gradient-boosting feasibility
classifier -- into flat node arrays; :meth:`CompiledEnsemble.predict` walks every tree for every row
of a 2-D float array in compiled code, rows in blocks so that a tree's nodes stay in cache.

Each library's split rule is kept exactly: XGBoost compares float32 features with float32 thresholds
(``x < t``), scikit-learn forests compare float32 features with float64 thresholds (``x <= t``),
histogram gradient boosting compares float64 features (``x <= t``). Predictions agree with the
libraries' own to float rounding of the sum (the tests check it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
from numba import njit

#: rows evaluated together against one tree (its nodes stay in cache across the block)
BLOCK = 256


@njit(cache=True, nogil=True)
def _walk(X, feat, thr, left, right, value, roots, tout, base, out):  # pragma: no cover - compiled
    n = X.shape[0]
    width = value.shape[1]
    n_out = base.shape[0]
    for i in range(n):
        for j in range(n_out):
            out[i, j] = base[j]
    for b0 in range(0, n, BLOCK):
        b1 = min(n, b0 + BLOCK)
        for t in range(roots.shape[0]):
            root = roots[t]
            o = tout[t]
            for i in range(b0, b1):
                node = root
                while feat[node] >= 0:
                    if X[i, feat[node]] < thr[node]:
                        node = left[node]
                    else:
                        node = right[node]
                for k in range(width):
                    out[i, o + k] += value[node, k]


@dataclass
class CompiledEnsemble:
    """Flat trees: node ``feature`` (-1 at a leaf), ``threshold`` (go left when ``x < threshold``),
    ``left`` / ``right`` (global node indices), leaf ``value`` rows (width = outputs per tree),
    tree ``roots`` and first output column ``tree_output``; ``base`` is added to every output."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    tree_output: np.ndarray
    base: np.ndarray
    float32_inputs: bool  # round features to float32 first (XGBoost, scikit-learn forests)

    @property
    def n_outputs(self) -> int:
        return int(self.base.size)

    @property
    def n_trees(self) -> int:
        return int(self.roots.size)

    @property
    def n_nodes(self) -> int:
        return int(self.feature.size)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Raw outputs (n, n_outputs) of a 2-D float array of features."""
        X = np.asarray(X, dtype=np.float32 if self.float32_inputs else np.float64)
        X = np.ascontiguousarray(X, dtype=np.float64)
        out = np.empty((X.shape[0], self.n_outputs))
        _walk(X, self.feature, self.threshold, self.left, self.right, self.value, self.roots, self.tree_output,
              self.base, out)
        return out


class _Builder:
    def __init__(self, width: int, n_outputs: int, float32_inputs: bool):
        self.width, self.float32 = width, float32_inputs
        self.parts: list[tuple] = []
        self.roots: list[int] = []
        self.tout: list[int] = []
        self.n = 0
        self.base = np.zeros(n_outputs)

    def add(self, feature, threshold, left, right, value, output: int) -> None:
        feature = np.asarray(feature, dtype=np.int64)
        leaf = feature < 0
        left = np.where(leaf, 0, np.asarray(left, dtype=np.int64) + self.n)
        right = np.where(leaf, 0, np.asarray(right, dtype=np.int64) + self.n)
        value = np.asarray(value, dtype=np.float64).reshape(feature.size, self.width)
        self.parts.append((np.where(leaf, -1, feature), np.asarray(threshold, dtype=np.float64), left, right, value))
        self.roots.append(self.n)
        self.tout.append(int(output))
        self.n += feature.size

    def build(self) -> CompiledEnsemble:
        cols = list(zip(*self.parts)) if self.parts else [[np.empty(0)]] * 5
        feat, thr, left, right, value = (np.concatenate(c) for c in cols)
        if not self.parts:
            value = np.empty((0, self.width))
        return CompiledEnsemble(feat.astype(np.int32), thr, left.astype(np.int32), right.astype(np.int32),
                                np.ascontiguousarray(value), np.asarray(self.roots, dtype=np.int64),
                                np.asarray(self.tout, dtype=np.int64), self.base, self.float32)


def _le_to_lt(threshold: np.ndarray) -> np.ndarray:
    """``x <= t`` as ``x < t'``: the next float64 above ``t``."""
    return np.nextafter(np.asarray(threshold, dtype=np.float64), np.inf)


def _add_xgb(b: _Builder, estimator, output: int) -> None:
    booster = estimator.get_booster()
    model = json.loads(booster.save_raw(raw_format="json"))["learner"]
    param = model["learner_model_param"]
    if int(param.get("num_target", "1")) != 1 or int(param.get("num_class", "0")) != 0:
        raise TypeError("only single-output XGBoost regressors are compiled")
    if model["objective"]["name"] not in ("reg:squarederror", "reg:pseudohubererror", "reg:absoluteerror"):
        raise TypeError(f"XGBoost objective {model['objective']['name']!r} is not compiled (identity link only)")
    gb = model["gradient_booster"]
    if gb.get("name", "gbtree") != "gbtree":
        raise TypeError(f"XGBoost booster {gb.get('name')!r} is not compiled")
    trees = gb["model"]["trees"]
    best = getattr(estimator, "best_iteration", None)
    per_iter = int(gb["model"]["gbtree_model_param"].get("num_parallel_tree", "1"))
    if best is not None:
        trees = trees[: (int(best) + 1) * per_iter]
    b.base[output] += float(str(param["base_score"]).strip("[]"))
    for t in trees:
        if any(t.get("split_type", [])):
            raise TypeError("categorical XGBoost splits are not compiled")
        left = np.asarray(t["left_children"], dtype=np.int64)
        cond = np.asarray(t["split_conditions"], dtype=np.float32).astype(np.float64)
        feat = np.where(left < 0, -1, np.asarray(t["split_indices"], dtype=np.int64))
        b.add(feat, cond, left, t["right_children"], np.where(left < 0, cond, 0.0), output)


def _add_sklearn_tree(b: _Builder, tree, scale: float, output: int) -> None:
    t = tree.tree_
    feat = np.where(t.children_left < 0, -1, t.feature)
    value = t.value[:, :, 0] * scale  # (n_nodes, n_outputs)
    b.add(feat, _le_to_lt(t.threshold), t.children_left, t.children_right, value, output)


def _add_hgb(b: _Builder, estimator, output: int, k: int = 0) -> None:
    if getattr(estimator, "is_categorical_", None) is not None and np.any(estimator.is_categorical_):
        raise TypeError("categorical histogram-gradient-boosting splits are not compiled")
    b.base[output] += float(np.ravel(estimator._baseline_prediction)[k])
    for it in estimator._predictors:
        nodes = it[k].nodes
        leaf = nodes["is_leaf"].astype(bool)
        b.add(np.where(leaf, -1, nodes["feature_idx"]), _le_to_lt(nodes["num_threshold"]), nodes["left"],
              nodes["right"], np.where(leaf, nodes["value"], 0.0), output)


def compile_regressors(estimators: dict, metric_names: list[str]) -> CompiledEnsemble | None:
    """One ensemble predicting every metric (transformed scale, columns in ``metric_names`` order)
    from a surrogate's estimators (``metric -> estimator`` or ``{"*": estimator}``); None when the
    model kind is not a compilable tree ensemble."""
    try:
        if "*" in estimators:
            return _compile_joint(estimators["*"], len(metric_names))
        kinds = {_kind(estimators[m]) for m in metric_names}
        if len(kinds) != 1 or None in kinds:
            return None
        kind = kinds.pop()
        b = _Builder(1, len(metric_names), float32_inputs=kind != "hgb")
        for j, m in enumerate(metric_names):
            est = estimators[m]
            if kind == "xgb":
                _add_xgb(b, est, j)
            elif kind == "hgb":
                _add_hgb(b, est, j)
            else:  # a single-output forest
                if est.n_outputs_ != 1:
                    return None
                for tree in est.estimators_:
                    _add_sklearn_tree(b, tree, 1.0 / len(est.estimators_), j)
        return b.build()
    except (TypeError, AttributeError, KeyError, ValueError):
        return None


def _compile_joint(est, n_metrics: int) -> CompiledEnsemble | None:
    if _kind(est) != "forest":
        return None
    b = _Builder(int(est.n_outputs_), int(est.n_outputs_), float32_inputs=True)
    if est.n_outputs_ != n_metrics:
        return None
    for tree in est.estimators_:
        _add_sklearn_tree(b, tree, 1.0 / len(est.estimators_), 0)
    return b.build()


def compile_classifier(clf) -> CompiledEnsemble | None:
    """The raw score (log-odds of the class ``classes_[1]``) of a binary histogram-gradient-boosting
    classifier as a one-output ensemble; None for any other classifier."""
    try:
        if type(clf).__name__ != "HistGradientBoostingClassifier" or len(clf.classes_) != 2:
            return None
        b = _Builder(1, 1, float32_inputs=False)
        _add_hgb(b, clf, 0)
        return b.build()
    except (TypeError, AttributeError, KeyError, ValueError):
        return None


def _kind(est) -> str | None:
    mod, name = type(est).__module__, type(est).__name__
    if mod.startswith("xgboost") and name == "XGBRegressor":
        return "xgb"
    if name == "HistGradientBoostingRegressor":
        return "hgb"
    if name in ("RandomForestRegressor", "ExtraTreesRegressor"):
        return "forest"
    return None


__all__ = ["CompiledEnsemble", "compile_regressors", "compile_classifier"]
