"""Tree ensembles flattened into arrays and evaluated by one numba kernel: surrogate prediction
without per-call library overhead.

XGBoost's ``inplace_predict`` costs about a millisecond per call whatever the number of rows, and
scikit-learn's ``predict`` validates its input on every call; a surrogate that answers one design at a
time (an environment step) pays that on every step. :func:`compile_ensemble` turns the fitted trees
of a surrogate -- XGBoost regressors (one per metric, or one multi-target regressor: multi-output trees
whose leaves hold every metric, or one tree per metric per round), a scikit-learn random forest (one multi-output
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
BLOCK = 128
#: trees of one row walked together (their node loads overlap)
GROUP = 32
#: a node's int64 ``meta``: next node base << SHIFT | (feature + 1)
SHIFT = 24
MASK = (1 << SHIFT) - 1


@njit(cache=True, nogil=True)
def _walk(X, meta, thr, value, leaves, roots, tout, depth, base, out):  # pragma: no cover - compiled
    """``out[i] = base + sum over trees of the leaf reached by row i``.

    Node ``j`` goes to ``(meta[j] >> SHIFT) + (X[i, f] >= thr[j])`` with ``f = (meta[j] & MASK) - 1``:
    the two children of a node are adjacent (right = left + 1, taken unless ``x < threshold``), and a
    leaf points at itself with threshold +inf, so that every row takes ``depth[t]`` branch-free steps
    down tree ``t``. A leaf's output is ``value[j]`` (one output per tree) or the row
    ``leaves[int(value[j])]``. Rows go down a tree in blocks, level by level, so that their
    walks (each a chain of dependent loads) overlap; one row walks a group of trees at once."""
    n = X.shape[0]
    width = leaves.shape[1]
    n_out = base.shape[0]
    for i in range(n):
        for j in range(n_out):
            out[i, j] = base[j]
    if n == 1:
        cur = np.empty(GROUP, dtype=np.int64)
        n_trees = roots.shape[0]
        for g0 in range(0, n_trees, GROUP):
            g1 = min(n_trees, g0 + GROUP)
            deepest = 0
            for t in range(g0, g1):
                cur[t - g0] = roots[t]
                deepest = max(deepest, depth[t])
            for _ in range(deepest):
                for t in range(g1 - g0):
                    node = cur[t]
                    m = meta[node]
                    cur[t] = (m >> SHIFT) + (X[0, (m & MASK) - 1] >= thr[node])
            for t in range(g0, g1):
                _add_leaf(out, 0, tout[t], cur[t - g0], value, leaves, width)
        return
    n_features = X.shape[1]
    xt = np.empty((n_features, BLOCK))  # the block's features, feature-major: a level's loads stay in L1
    cur = np.empty(BLOCK, dtype=np.int64)
    for b0 in range(0, n, BLOCK):
        b1 = min(n, b0 + BLOCK)
        nb = b1 - b0
        for r in range(nb):
            for f in range(n_features):
                xt[f, r] = X[b0 + r, f]
        for t in range(roots.shape[0]):
            root = roots[t]
            for r in range(nb):
                cur[r] = root
            for _ in range(depth[t]):
                for r in range(nb):
                    node = cur[r]
                    m = meta[node]
                    cur[r] = (m >> SHIFT) + (xt[(m & MASK) - 1, r] >= thr[node])
            o = tout[t]
            for r in range(nb):
                _add_leaf(out, b0 + r, o, cur[r], value, leaves, width)


@njit(cache=True, nogil=True, inline="always")
def _add_leaf(out, i, o, node, value, leaves, width):  # pragma: no cover - compiled
    if width == 1:
        out[i, o] += value[node]
    else:
        lr = int(value[node])
        for k in range(width):
            out[i, o + k] += leaves[lr, k]


@njit(cache=True)
def _breadth_first(left, right):  # pragma: no cover - compiled
    """New position of every node of one tree when nodes are laid out breadth first (root at 0, the
    two children of a node adjacent)."""
    n = left.shape[0]
    pos = np.full(n, -1, dtype=np.int64)
    level = np.zeros(n, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    order[0] = 0
    pos[0] = 0
    head, tail, depth = 0, 1, 0
    while head < tail:
        node = order[head]
        head += 1
        if left[node] >= 0:
            for c in (left[node], right[node]):
                order[tail] = c
                pos[c] = tail
                level[c] = level[node] + 1
                depth = max(depth, level[c])
                tail += 1
    return pos, tail, depth


@dataclass
class CompiledEnsemble:
    """Flat trees, breadth first: ``nodes`` rows (threshold, feature, first child, leaf row) -- go to
    the first child when ``x < threshold``, else to the next one; a leaf has feature -1 and, for one
    output per tree, its value as threshold, else its values in ``leaves[leaf row]`` --, tree
    ``roots`` and first output column ``tree_output``; ``base`` is added to every output. One node is
    32 bytes in one array, so that a walk touches one cache line per level."""

    meta: np.ndarray
    threshold: np.ndarray
    value: np.ndarray
    leaves: np.ndarray
    roots: np.ndarray
    tree_output: np.ndarray
    depth: np.ndarray  # levels below each tree's root
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
        return int(self.meta.shape[0])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Raw outputs (n, n_outputs) of a 2-D float array of features."""
        if self.float32_inputs:
            X = np.asarray(X, dtype=np.float32)
        X = np.ascontiguousarray(X, dtype=np.float64)
        out = np.empty((X.shape[0], self.n_outputs))
        _walk(X, self.meta, self.threshold, self.value, self.leaves, self.roots, self.tree_output, self.depth, self.base, out)
        return out


@dataclass
class CompiledSum:
    """Ensembles whose outputs add up (one per input precision, for a surrogate that mixes XGBoost and
    scikit-learn boosting across its metrics); the same interface as :class:`CompiledEnsemble`."""

    parts: tuple[CompiledEnsemble, ...]

    @property
    def n_outputs(self) -> int:
        return self.parts[0].n_outputs

    @property
    def n_trees(self) -> int:
        return sum(p.n_trees for p in self.parts)

    @property
    def n_nodes(self) -> int:
        return sum(p.n_nodes for p in self.parts)

    def predict(self, X: np.ndarray) -> np.ndarray:
        out = self.parts[0].predict(X)
        for p in self.parts[1:]:
            out += p.predict(X)
        return out


class _Builder:
    def __init__(self, width: int, n_outputs: int, float32_inputs: bool):
        self.width, self.float32 = width, float32_inputs
        self.parts: list[np.ndarray] = []
        self.leaf_parts: list[np.ndarray] = []
        self.roots: list[int] = []
        self.depth: list[int] = []
        self.tout: list[int] = []
        self.n = 0
        self.n_leaves = 0
        self.base = np.zeros(n_outputs)

    def add(self, feature, threshold, left, right, value, output: int) -> None:
        feature = np.asarray(feature, dtype=np.int64)
        leaf = feature < 0
        left = np.where(leaf, -1, np.asarray(left, dtype=np.int64))
        right = np.where(leaf, -1, np.asarray(right, dtype=np.int64))
        value = np.asarray(value, dtype=np.float64).reshape(feature.size, self.width)
        pos, used, depth = _breadth_first(left, right)
        self.depth.append(int(depth))
        keep = pos >= 0  # nodes reachable from the root (all of them in a well-formed tree)
        nodes = np.zeros((int(used), 4))
        p = pos[keep]
        nodes[p, 1] = np.where(leaf[keep], -1, feature[keep])
        nodes[p, 0] = np.where(leaf[keep], value[keep, 0] if self.width == 1 else 0.0,
                               np.asarray(threshold, dtype=np.float64)[keep])
        child = np.where(leaf, 0, pos[np.maximum(left, 0)])
        nodes[p, 2] = np.where(leaf[keep], 0, child[keep] + self.n)
        if self.width > 1:
            rows = np.flatnonzero(leaf & keep)
            nodes[pos[rows], 3] = self.n_leaves + np.arange(rows.size)
            self.leaf_parts.append(value[rows])
            self.n_leaves += rows.size
        self.parts.append(nodes)
        self.roots.append(self.n)
        self.tout.append(int(output))
        self.n += int(used)

    def build(self) -> CompiledEnsemble:
        nodes = np.concatenate(self.parts) if self.parts else np.empty((0, 4))
        leaves = (np.concatenate(self.leaf_parts) if self.leaf_parts else np.empty((0, self.width)))
        if self.width == 1:
            leaves = np.empty((0, 1))
        if nodes.shape[0] and (nodes[:, 1].max() + 1 > MASK or nodes[:, 2].max() + len(nodes) >= 2 ** (62 - SHIFT)):
            raise ValueError("ensemble too large to compile")
        feat = nodes[:, 1].astype(np.int64)
        leaf = feat < 0
        me = np.arange(len(nodes), dtype=np.int64)
        link = np.where(leaf, me, nodes[:, 2].astype(np.int64))  # a leaf points at itself...
        meta = (link << SHIFT) | np.where(leaf, 0, feat) + 1
        threshold = np.where(leaf, np.inf, nodes[:, 0])  # ...and never goes right
        value = np.where(leaf, nodes[:, 0] if self.width == 1 else nodes[:, 3], 0.0)
        return CompiledEnsemble(np.ascontiguousarray(meta), np.ascontiguousarray(threshold), np.ascontiguousarray(value),
                                np.ascontiguousarray(leaves),
                                np.asarray(self.roots, dtype=np.int64), np.asarray(self.tout, dtype=np.int64),
                                np.asarray(self.depth, dtype=np.int64), self.base, self.float32)


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
        estimators = {m: _unwrap(estimators[m]) for m in metric_names}
        kinds = {_kind(estimators[m]) for m in metric_names}
        if None in kinds:
            return None
        # scikit-learn's histogram boosting compares float64 features, XGBoost and forests float32 ones:
        # one ensemble for each input precision, their outputs added (each leaves the other's columns at 0)
        exact = [m for m in metric_names if _kind(estimators[m]) == "hgb"]
        rounded = [m for m in metric_names if _kind(estimators[m]) != "hgb"]
        if exact and rounded:
            parts = [_compile_per_metric({m: estimators[m] for m in group}, metric_names) for group in (exact, rounded)]
            return None if None in parts else CompiledSum(tuple(parts))
        return _compile_per_metric(estimators, metric_names)
    except (TypeError, AttributeError, KeyError, ValueError):
        return None


def _compile_per_metric(estimators: dict, metric_names: list[str]) -> CompiledEnsemble | None:
    """One ensemble of per-metric estimators of one input precision (the metrics not in ``estimators``
    predict 0)."""
    try:
        b = _Builder(1, len(metric_names), float32_inputs=_kind(next(iter(estimators.values()))) != "hgb")
        for j, m in enumerate(metric_names):
            if m not in estimators:
                continue
            est = estimators[m]
            kind = _kind(est)
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
    kind = _kind(est)
    if kind == "xgb":
        return _compile_xgb_multi(est, n_metrics)
    if kind != "forest":
        return None
    b = _Builder(int(est.n_outputs_), int(est.n_outputs_), float32_inputs=True)
    if est.n_outputs_ != n_metrics:
        return None
    for tree in est.estimators_:
        _add_sklearn_tree(b, tree, 1.0 / len(est.estimators_), 0)
    return b.build()


def _compile_xgb_multi(estimator, n_metrics: int) -> CompiledEnsemble | None:
    """An XGBoost regressor of every metric at once: multi-output trees (``multi_strategy=
    "multi_output_tree"``: a leaf holds one value per metric, so one walk of a tree serves every
    metric) or one tree per metric per round (``one_output_per_tree``)."""
    booster = estimator.get_booster()
    model = json.loads(booster.save_raw(raw_format="json"))["learner"]
    param = model["learner_model_param"]
    if int(param.get("num_target", "1")) != n_metrics or int(param.get("num_class", "0")) != 0:
        return None
    if model["objective"]["name"] not in ("reg:squarederror", "reg:pseudohubererror", "reg:absoluteerror"):
        return None
    gb = model["gradient_booster"]
    if gb.get("name", "gbtree") != "gbtree":
        return None
    trees = gb["model"]["trees"]
    info = gb["model"].get("tree_info", [0] * len(trees))
    best = getattr(estimator, "best_iteration", None)
    if best is not None:
        per_iter = int(gb["model"]["gbtree_model_param"].get("num_parallel_tree", "1"))
        per_round = per_iter * (1 if int(trees[0]["tree_param"].get("size_leaf_vector", "1")) > 1 else n_metrics)
        trees, info = trees[: (int(best) + 1) * per_round], info[: (int(best) + 1) * per_round]
    base = np.array([float(v) for v in str(param["base_score"]).strip("[]").split(",")], dtype=np.float64)
    b = _Builder(n_metrics, n_metrics, float32_inputs=True)
    b.base[:] = base if base.size == n_metrics else base[0]
    one = _Builder(1, n_metrics, float32_inputs=True)
    one.base[:] = b.base
    for t, target in zip(trees, info):
        if any(t.get("split_type", [])):
            return None
        left = np.asarray(t["left_children"], dtype=np.int64)
        cond = np.asarray(t["split_conditions"], dtype=np.float32).astype(np.float64)
        feat = np.where(left < 0, -1, np.asarray(t["split_indices"], dtype=np.int64))
        width = int(t["tree_param"].get("size_leaf_vector", "1"))
        if width > 1:  # leaf k (in node order) holds leaf_weights[k * width: (k + 1) * width]
            if width != n_metrics:
                return None
            value = np.zeros((left.size, width))
            value[left < 0] = np.asarray(t["leaf_weights"], dtype=np.float64).reshape(-1, width)
            b.add(feat, cond, left, t["right_children"], value, 0)
        else:
            one.add(feat, cond, left, t["right_children"], np.where(left < 0, cond, 0.0), int(target))
    if one.parts and b.parts:
        return None
    return (b if b.parts else one).build()


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


def _unwrap(est):
    """The fitted library model inside an archgym wrapper (early-stopped boosting)."""
    return getattr(est, "estimator_", est) if type(est).__name__ == "EarlyStoppedHGB" else est


def _kind(est) -> str | None:
    mod, name = type(est).__module__, type(est).__name__
    if mod.startswith("xgboost") and name == "XGBRegressor":
        return "xgb"
    if name == "HistGradientBoostingRegressor":
        return "hgb"
    if name in ("RandomForestRegressor", "ExtraTreesRegressor"):
        return "forest"
    return None


__all__ = ["CompiledEnsemble", "CompiledSum", "compile_regressors", "compile_classifier"]
