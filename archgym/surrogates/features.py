"""Vectorised design -> feature encoding for surrogates.

The encoding is :meth:`archgym.core.spaces.DesignSpace.to_features` (categoricals one-hot, integers
and ordinals scaled to [0, 1], powers of two and log-reals log-scaled), computed column by column
with numpy so that a surrogate can encode 10^5 designs per second or more, from a list of design
dicts or straight from the ``design.*`` columns of a dataset, followed by the environment's declared
features (:class:`DerivedFeatures`: quantities derived from the design and the workload's shape, e.g.
PE count, total buffer bytes, a buffer against the workload's largest operand -- never simulator
output). One design is encoded without numpy column building (:meth:`FeatureEncoder.encode_one`),
in microseconds.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from archgym.core.spaces import (
    Categorical,
    DesignError,
    DesignSpace,
    Discrete,
    PowerOfTwo,
)
from archgym.envs import ENVIRONMENTS
from archgym.records import DESIGN_PREFIX


@dataclass
class DerivedFeatures:
    """Features derived from the design and the workload's shape (never from simulator output).

    Two forms. A declaration of this module (:data:`DECLARATIONS`, keyed by environment id) has a
    ``kernel(codes, spec)``: ``codes`` is an ``(n, n_params)`` float array -- a number as is, a
    category as its index in the parameter's values --, the result an ``(n, len(names))`` float array;
    one design then costs one compiled call. An environment's own declaration (``surrogate_features``
    / ``surrogate_feature_values``, the older form) has ``function(columns, spec)``, taking
    ``name -> 1-D array`` (numbers as float64, categories as object arrays) and returning
    ``name -> 1-D array``. ``spec`` holds JSON-able constants of the workload (e.g. its layer
    shapes); ``replaces`` names parameters whose own encoding the derived features replace (e.g.
    Mapping-v0's 720-valued loop orders, one-hot, replaced by each dimension's loop position). The
    surrogate file keeps names, ``spec`` and ``replaces``; the kernel or function is looked up again
    on load."""

    names: list[str]
    function: Callable[[Mapping[str, np.ndarray], Mapping[str, Any]], Mapping[str, np.ndarray]] | None = None
    spec: dict = field(default_factory=dict)
    kernel: Callable[..., np.ndarray] | None = None
    replaces: tuple[str, ...] = ()
    prepare: Callable[[Mapping[str, Any]], tuple] | None = None
    source: str = "environment"  # "environment" (its method) or "archgym.surrogates.features"
    #: metric -> {feature name: +1 (the metric never falls as the feature grows) or -1}, where the physics is monotone
    monotone: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kernel is not None and self.function is None:
            self.source = "archgym.surrogates.features"
            self._args = self.prepare(_prepare_spec(self.spec))  # the kernel's arguments after the codes

    def compute(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        got = self.function(columns, self.spec)
        n = len(next(iter(columns.values()))) if columns else 0
        out = np.empty((n, len(self.names)))
        for j, name in enumerate(self.names):
            out[:, j] = np.asarray(got[name], dtype=float)
        return out

    def compute_codes(self, codes: np.ndarray) -> np.ndarray:
        return self.kernel(codes, *self._args)

    def to_json(self) -> dict:
        out = {"names": list(self.names), "spec": _plain(self.spec)}
        if self.kernel is not None:
            out.update(source=self.source, replaces=list(self.replaces))
        return out


def _plain(o):
    if isinstance(o, Mapping):
        return {str(k): _plain(v) for k, v in o.items()}
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (list, tuple)):
        return [_plain(v) for v in o]
    if isinstance(o, np.generic):
        return o.item()
    return o


def _prepare_spec(spec: Mapping[str, Any]) -> dict:
    """``spec`` with lists as float arrays (what the kernels take)."""
    return {k: (np.asarray(v, dtype=np.float64) if isinstance(v, (list, tuple, np.ndarray)) else v)
            for k, v in spec.items()}


@dataclass(frozen=True)
class Declaration:
    """The features one environment declares for surrogates: ``spec(env)`` gives the workload's
    constants (JSON-able, from the design space and the workload's shape), ``prepare(spec)`` the
    arguments of the compiled ``kernel(codes, *arguments)`` (once), which returns the values (see
    :class:`DerivedFeatures`)."""

    names: tuple[str, ...]
    spec: Callable[[Any], dict]
    prepare: Callable[[Mapping[str, Any]], tuple]
    kernel: Callable[..., np.ndarray]
    replaces: tuple[str, ...] = ()
    #: metric -> {feature name (a parameter's or a declared one): +1 / -1} where the metric is monotone in it
    monotone: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def derived(self, spec: Mapping[str, Any]) -> DerivedFeatures:
        return DerivedFeatures(list(self.names), None, dict(spec), self.kernel, tuple(self.replaces), self.prepare,
                               monotone={m: dict(c) for m, c in self.monotone.items()})


def declared_features(env) -> DerivedFeatures | None:
    """The features declared for surrogates of environment ``env``: this module's declaration for its
    id (:data:`DECLARATIONS`) if there is one, else the environment's own ``surrogate_features()``
    (names, spec) and static ``surrogate_feature_values(columns, spec)``, else None."""
    decl = DECLARATIONS.get(getattr(env, "env_id", None))
    if decl is not None:
        return decl.derived(decl.spec(env))
    declare = getattr(env, "surrogate_features", None)
    if declare is None:
        return None
    names, spec = declare()
    return DerivedFeatures(list(names), type(env).surrogate_feature_values, dict(spec))


def derived_for(env_id: str, names: Sequence[str], spec: Mapping[str, Any], source: str = "environment",
                replaces: Sequence[str] = ()) -> DerivedFeatures:
    """The declared features saved with a surrogate (names, spec, where they were declared), with the
    kernel of this module's declaration or the function of environment ``env_id``."""
    if source == "archgym.surrogates.features":
        decl = DECLARATIONS.get(env_id)
        if decl is None or list(decl.names) != list(names) or tuple(decl.replaces) != tuple(replaces):
            raise DesignError(f"the surrogate uses features of {env_id} that this archgym does not declare "
                              f"({list(names)}); retrain the surrogate")
        return decl.derived(spec)
    if env_id not in ENVIRONMENTS:
        raise DesignError(f"the surrogate uses features declared by {env_id!r}, which is not registered here")
    module, _, attr = ENVIRONMENTS[env_id].partition(":")
    cls = getattr(importlib.import_module(module), attr)
    fn = getattr(cls, "surrogate_feature_values", None)
    if fn is None:
        raise DesignError(f"{env_id} declares no surrogate features in this archgym; retrain the surrogate")
    return DerivedFeatures(list(names), fn, dict(spec))


def monotone_constraints(encoder: FeatureEncoder, metric: str) -> list[int] | None:
    """Per feature of ``encoder``: +1 / -1 where ``metric`` is declared monotone in it, else 0; None when
    nothing is declared for ``metric``. A declared feature the encoder does not have is an error."""
    derived = encoder.derived
    declared = derived.monotone.get(metric) if derived is not None else None
    if not declared:
        return None
    names = encoder.feature_names
    unknown = sorted(set(declared) - set(names))
    if unknown:
        raise DesignError(f"monotone constraints of {metric!r} name feature(s) {unknown} the encoder does not have")
    bad = {k: v for k, v in declared.items() if v not in (-1, 1)}
    if bad:
        raise DesignError(f"monotone constraints of {metric!r}: {bad}; allowed signs: -1, +1")
    return [int(declared.get(n, 0)) for n in names]


class FeatureEncoder:
    """Encodes designs of one :class:`DesignSpace` into a float matrix (one row per design): the
    space's unit features, then any :class:`DerivedFeatures`."""

    def __init__(self, space: DesignSpace, derived: DerivedFeatures | None = None):
        self.space = space
        self.derived = derived if derived is not None and derived.names else None
        replaced = set(self.derived.replaces) if self.derived is not None else set()
        unknown = replaced - set(space.names)
        if unknown:
            raise DesignError(f"derived features replace parameter(s) {sorted(unknown)} not in the design space")
        self._kept = [p for p in space.params if p.name not in replaced]
        self.base_feature_names = [n for p in self._kept for n in _param_feature_names(p)]
        self.feature_names = self.base_feature_names + (list(self.derived.names) if self.derived else [])
        self._plan = [self._plan_param(p) for p in self._kept]
        self._single = [self._single_plan(p) for p in self._kept]
        self._numeric = {p.name: _is_numeric(p) for p in space.params}
        self._codes = self.derived is not None and self.derived.kernel is not None
        # one design's raw codes (a number as is, a category as its index), for derived-feature kernels
        self._code_of = [(p.name, None if self._numeric[p.name] else {v: float(i) for i, v in enumerate(p.values)})
                         for p in space.params]

    @staticmethod
    def _single_plan(p) -> tuple:
        """(name, value -> feature segment) for a discrete parameter, (name, Real) for a real one."""
        if isinstance(p, Categorical):
            return (p.name, {v: tuple(1.0 if i == k else 0.0 for k in range(p.n)) for i, v in enumerate(p.values)})
        if isinstance(p, Discrete):
            if not _is_numeric(p):
                return (p.name, {v: (i / (p.n - 1) if p.n > 1 else 0.0,) for i, v in enumerate(p.values)})
            vals = [float(v) for v in p.values]
            if isinstance(p, PowerOfTwo):
                lo, hi = math.log2(p.low), math.log2(p.high)
                f = [(math.log2(v) - lo) / (hi - lo) if hi > lo else 0.0 for v in vals]
            else:
                lo, hi = min(vals), max(vals)
                f = [(v - lo) / (hi - lo) if hi > lo else 0.0 for v in vals]
            return (p.name, {v: (x,) for v, x in zip(p.values, f)})
        return (p.name, p)

    def encode_one(self, design: Mapping[str, Any]) -> np.ndarray:
        """Features (1, n_features) of one design dict, without building numpy columns: the same
        values as :meth:`encode` (which reports any value that is not allowed)."""
        row: list[float] = []
        try:
            for name, how in self._single:
                v = design[name]
                if isinstance(how, dict):
                    row.extend(how[v])
                else:
                    x = float(v)
                    if not how.low <= x <= how.high:
                        raise ValueError
                    if how.log:
                        row.append((math.log(x) - math.log(how.low)) / (math.log(how.high) - math.log(how.low)))
                    else:
                        row.append((x - how.low) / (how.high - how.low))
            if self._codes:
                codes = np.array([[float(design[n]) if lookup is None else lookup[design[n]]
                                   for n, lookup in self._code_of]])
        except (KeyError, TypeError, ValueError):
            return self.encode([design])  # the vectorised path names the bad parameter
        if self.derived is None:
            return np.array([row])
        if self._codes:
            return np.concatenate([np.array([row]), self.derived.compute_codes(codes)], axis=1)
        cols = {n: (np.array([float(design[n])]) if self._numeric[n] else np.array([design[n]], dtype=object))
                for n in self.space.names}
        return np.concatenate([np.array([row]), self.derived.compute(cols)], axis=1)

    def codes(self, columns: Mapping[str, Sequence]) -> np.ndarray:
        """Raw codes (n, n_params) of per-parameter columns: a number as is, a category as its index."""
        n = len(next(iter(columns.values()))) if columns else 0
        out = np.empty((n, len(self.space.params)))
        for j, p in enumerate(self.space.params):
            if self._numeric[p.name]:
                out[:, j] = _as_float(p, columns[p.name])
            else:
                out[:, j] = _lookup_indices(p, columns[p.name], {v: i for i, v in enumerate(p.values)})
        return out

    @staticmethod
    def _plan_param(p) -> tuple:
        if isinstance(p, Categorical):
            return ("onehot", p, {v: i for i, v in enumerate(p.values)})
        if isinstance(p, Discrete):
            numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in p.values)
            if not numeric:
                return ("index", p, {v: i for i, v in enumerate(p.values)})
            vals = np.sort(np.array([float(v) for v in p.values]))  # sorted for searchsorted
            if isinstance(p, PowerOfTwo):
                lo, hi = math.log2(p.low), math.log2(p.high)
                return ("log2", p, vals, lo, hi)
            return ("linear", p, vals, float(vals.min()), float(vals.max()))
        if p.log:
            return ("logreal", p, math.log(p.low), math.log(p.high))
        return ("real", p, p.low, p.high)

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def encode(self, designs: Sequence[Mapping[str, Any]] | pd.DataFrame | Mapping[str, Sequence]) -> np.ndarray:
        """Features of many designs: a list of design dicts, a dataset DataFrame (``design.*``
        columns, or plain parameter-name columns) or a dict of per-parameter columns."""
        columns = self._columns(designs)
        n = len(next(iter(columns.values()))) if columns else 0
        out = np.empty((n, self.n_features), dtype=float)
        self._encode_base(columns, n, out)
        if self._codes:
            out[:, len(self.base_feature_names):] = self.derived.compute_codes(self.codes(columns))
        elif self.derived is not None:
            raw = {p.name: (_as_float(p, columns[p.name]) if self._numeric[p.name]
                            else np.asarray(columns[p.name], dtype=object)) for p in self.space.params}
            out[:, len(self.base_feature_names):] = self.derived.compute(raw)
        return out

    def _encode_base(self, columns: Mapping[str, Sequence], n: int, out: np.ndarray) -> None:
        j = 0
        for step in self._plan:
            kind, p = step[0], step[1]
            col = columns[p.name]
            if kind == "onehot":
                idx = _lookup_indices(p, col, step[2])
                block = out[:, j:j + p.n]
                block[:] = 0.0
                block[np.arange(n), idx] = 1.0
                j += p.n
                continue
            if kind == "index":
                idx = _lookup_indices(p, col, step[2])
                out[:, j] = idx / (p.n - 1) if p.n > 1 else 0.0
            else:
                x = _as_float(p, col)
                if kind in ("log2", "linear"):
                    vals = step[2]
                    pos = np.clip(np.searchsorted(vals, x), 0, vals.size - 1)
                    bad = vals[pos] != x
                    if bad.any():
                        _refuse(p, np.asarray(col, dtype=object)[bad][0])
                    if kind == "log2":
                        lo, hi = step[3], step[4]
                        out[:, j] = (np.log2(x) - lo) / (hi - lo) if hi > lo else 0.0
                    else:
                        lo, hi = step[3], step[4]
                        out[:, j] = (x - lo) / (hi - lo) if hi > lo else 0.0
                else:
                    bad = ~((x >= p.low) & (x <= p.high))
                    if bad.any():
                        _refuse(p, np.asarray(col, dtype=object)[bad][0])
                    lo, hi = step[2], step[3]
                    out[:, j] = ((np.log(x) if kind == "logreal" else x) - lo) / (hi - lo)
            j += 1

    def _columns(self, designs) -> dict[str, Sequence]:
        names = self.space.names
        if isinstance(designs, pd.DataFrame):
            cols = {}
            for n in names:
                if DESIGN_PREFIX + n in designs.columns:
                    cols[n] = designs[DESIGN_PREFIX + n].to_numpy()
                elif n in designs.columns:
                    cols[n] = designs[n].to_numpy()
                else:
                    raise DesignError(f"missing parameter(s) [{n!r}] (no column {DESIGN_PREFIX + n!r} or {n!r})")
            return cols
        if isinstance(designs, Mapping):
            missing = [n for n in names if n not in designs]
            if missing:
                raise DesignError(f"missing parameter(s) {missing}")
            return {n: designs[n] for n in names}
        designs = list(designs)
        try:
            return {n: [d[n] for d in designs] for n in names}
        except KeyError as e:
            raise DesignError(f"missing parameter(s) [{e.args[0]!r}]") from None
        except TypeError:
            bad = next(d for d in designs if not isinstance(d, Mapping))
            raise DesignError(f"a design must be a mapping of parameter name to value, got {type(bad).__name__}") from None


def _param_feature_names(p) -> list[str]:
    if isinstance(p, Categorical):
        return [f"{p.name}={v}" for v in p.values]
    return [p.name]


def _is_numeric(p) -> bool:
    if not isinstance(p, Discrete):
        return True
    return (not isinstance(p, Categorical)
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in p.values))


def _lookup_indices(p, col, lookup: dict) -> np.ndarray:
    get = lookup.get
    try:
        idx = np.fromiter((get(v, -1) for v in col), dtype=np.int64, count=len(col))
    except TypeError:  # unhashable value
        idx = np.array([get(v, -1) if _hashable(v) else -1 for v in col], dtype=np.int64)
    if (idx < 0).any():
        _refuse(p, col[int(np.flatnonzero(idx < 0)[0])])
    return idx


def _hashable(v) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


def _as_float(p, col) -> np.ndarray:
    try:
        x = np.asarray(col, dtype=float)
    except (TypeError, ValueError):
        for v in col:
            try:
                float(v)
            except (TypeError, ValueError):
                _refuse(p, v)
        raise
    if x.ndim != 1:
        _refuse(p, col[0])
    return x


def _refuse(p, value) -> None:
    if isinstance(value, np.generic):
        value = value.item()
    raise DesignError(f"parameter {p.name!r}: value {value!r} is not allowed; allowed: {p.allowed()}")


# -- declarations, keyed by environment id -------------------------------------------------------
def _index(env, name: str) -> int:
    return env.design_space.names.index(name)


def _code(env, name: str, value) -> int:
    return list(env.design_space[name].values).index(value)


@njit(cache=True)
def _systolic_kernel(codes, cols, os_code, ws_code, is_code, gm, gn, gk, rep_, ifw):  # pragma: no cover
    n, L = codes.shape[0], gm.shape[0]
    out = np.empty((n, len(SYSTOLIC_FEATURES)))
    big = np.zeros(3)
    for layer in range(L):
        big[0] = max(big[0], ifw[layer])
        big[1] = max(big[1], gk[layer] * gn[layer])
        big[2] = max(big[2], gm[layer] * gn[layer])
    for i in range(n):
        h, w, d, bw = codes[i, cols[0]], codes[i, cols[1]], codes[i, cols[2]], codes[i, cols[6]]
        os, ws, is_ = d == os_code, d == ws_code, d == is_code
        b_if, b_f, b_of = 1024.0 * codes[i, cols[3]], 1024.0 * codes[i, cols[4]], 1024.0 * codes[i, cols[5]]
        compute = macs = stream = traffic = folds_sum = roof = stall = 0.0
        share_if = share_f = share_of = 0.0
        for layer in range(L):
            m, nn, k, rep = gm[layer], gn[layer], gk[layer], rep_[layer]
            sr = m if os else k
            sc = m if is_ else nn
            t = k if os else (m if ws else nn)
            rf, cf = math.ceil(sr / h), math.ceil(sc / w)
            folds = rf * cf
            c = folds * ((t + h + w - 2) if os else (2 * h + w + t - 2)) - 1
            mac = m * nn * k
            compute += rep * c
            macs += rep * mac
            folds_sum += rep * folds
            stream += rep * (ifw[layer] + k * nn + m * nn)
            fit_if, fit_f, fit_of = ifw[layer] <= b_if, k * nn <= b_f, m * nn <= b_of
            if_reads = (1.0 if is_ else cf) * m * k
            f_reads = (rf if os else (1.0 if ws else cf)) * k * nn
            of_writes = (1.0 if os else rf) * m * nn
            tr = (m * k if fit_if else if_reads) + (k * nn if fit_f else f_reads) + of_writes
            traffic += rep * tr
            roof += rep * max(c, tr / bw)
            stall += rep * max(0.0, tr / bw - c)
            share_if += rep * mac * fit_if
            share_f += rep * mac * fit_f
            share_of += rep * mac * fit_of
        pes = h * w
        dram = traffic / bw
        out[i, 0] = math.log2(pes)
        out[i, 1] = math.log2(h / w)
        out[i, 2] = math.log2(b_if + b_f + b_of)
        out[i, 3] = math.log2(folds_sum)
        out[i, 4] = math.log2(compute)
        out[i, 5] = math.log2(stream / bw)
        out[i, 6] = math.log2(max(compute, stream / bw))
        out[i, 7] = macs / (compute * pes)
        out[i, 8] = math.log2(b_if / big[0])
        out[i, 9] = share_if / macs
        out[i, 10] = math.log2(b_f / big[1])
        out[i, 11] = share_f / macs
        out[i, 12] = math.log2(b_of / big[2])
        out[i, 13] = share_of / macs
        out[i, 14] = math.log2(traffic)
        out[i, 15] = math.log2(dram)
        out[i, 16] = math.log2(max(compute, dram))
        out[i, 17] = math.log2(roof)
        out[i, 18] = math.log2(1.0 + stall)
        out[i, 19] = math.log2(bw / pes)
    return out


#: SystolicArray-v0: PE count and shape, SRAM bytes (total; each operand's against the workload's
#: largest operand, and the MAC share of layers whose operand fits), folds and compute cycles of the
#: chosen dataflow on the workload's GEMMs, DRAM traffic if an operand that does not fit its SRAM is
#: re-fetched on every re-read, per-layer roofline (sum of max(compute, traffic / bandwidth)) and its
#: stall bound, DRAM bytes per PE per cycle
SYSTOLIC_FEATURES = ("log2_pes", "log2_aspect", "log2_sram_bytes", "log2_folds", "log2_compute_cycles",
                     "log2_stream_cycles", "log2_bound_cycles", "compute_util", "ifmap_sram_vs_largest",
                     "ifmap_fits_mac_share", "filter_sram_vs_largest", "filter_fits_mac_share",
                     "ofmap_sram_vs_largest", "ofmap_fits_mac_share", "log2_traffic_words", "log2_traffic_cycles",
                     "log2_traffic_bound_cycles", "log2_roofline_cycles", "log2_stall_bound_cycles",
                     "log2_dram_words_per_pe_cycle")
_SYSTOLIC_PARAMS = ("ArrayHeight", "ArrayWidth", "Dataflow", "IfmapSramSzkB", "FilterSramSzkB", "OfmapSramSzkB",
                    "DramBandwidth")


def _systolic_spec(env) -> dict:
    a = env._layer_arrays  # the workload's layer shapes (GEMM dimensions), not simulator output
    spec = {k: np.asarray(a[k]).astype(float).tolist() for k in ("gemm_m", "gemm_n", "gemm_k", "repeat")}
    spec["ifmap_words"] = (np.asarray(a["ifmap_h"]) * a["ifmap_w"] * a["channels"]).astype(float).tolist()
    spec["columns"] = [_index(env, n) for n in _SYSTOLIC_PARAMS]
    spec["dataflow_codes"] = [_code(env, "Dataflow", v) for v in ("os", "ws", "is")]
    return spec


def _systolic_prepare(spec: Mapping[str, Any]) -> tuple:
    o, w, i = (float(x) for x in spec["dataflow_codes"])
    return (np.asarray(spec["columns"], dtype=np.int64), o, w, i, spec["gemm_m"], spec["gemm_n"], spec["gemm_k"],
            spec["repeat"], spec["ifmap_words"])


#: DRAM-v0: the mcconfig knobs as the controller uses them -- the arbiter's limit on transactions in
#: flight (none with the Simple arbiter), request-buffer entries (per bank for Bankwise, DRAMSys's 8 + 8
#: for ReadWrite), the requests that can queue at the scheduler (the smaller of the two), refresh
#: postponing / pulling-in (none without refresh) --, open-page, reordering and power-down flags, and
#: the queue under the Closed page policy (where latency grows with it), and under that policy the
#: buffer entries, an unlimited (Simple) arbiter and in-order (Fifo) responses
DRAM_FEATURES = ("log2_inflight", "log2_buffer_entries", "log2_queue_depth", "refresh_on", "refresh_postponed",
                 "refresh_pulledin", "page_open", "page_adaptive", "reorders", "power_down", "in_order_responses",
                 "closed_log2_queue_depth", "closed_log2_buffer_entries", "closed_unlimited", "closed_fifo_responses")
_DRAM_PARAMS = ("PagePolicy", "Scheduler", "SchedulerBuffer", "RequestBufferSize", "RefreshPolicy",
                "RefreshMaxPostponed", "RefreshMaxPulledin", "PowerDownPolicy", "Arbiter", "MaxActiveTransactions",
                "RespQueue")


def _dram_spec(env) -> dict:
    spec = {"columns": [_index(env, n) for n in _DRAM_PARAMS]}
    codes = {"open": ("PagePolicy", ("Open", "OpenAdaptive")), "adaptive": ("PagePolicy", ("OpenAdaptive", "ClosedAdaptive")),
             "reorder": ("Scheduler", ("FrFcfs", "FrFcfsGrp")), "bankwise": ("SchedulerBuffer", ("Bankwise",)),
             "readwrite": ("SchedulerBuffer", ("ReadWrite",)), "refresh": ("RefreshPolicy", ("AllBank",)),
             "powerdown": ("PowerDownPolicy", ("Staggered",)), "simple": ("Arbiter", ("Simple",)),
             "fifo_resp": ("RespQueue", ("Fifo",))}
    for key, (param, values) in codes.items():
        spec[key] = [_code(env, param, v) for v in values]
    channel = getattr(env, "channel", None)
    spec["banks"] = float(channel.spec.banks) if channel is not None else 32.0
    return spec


@njit(cache=True)
def _dram_kernel(codes, cols, sets, banks):  # pragma: no cover - compiled
    """``sets[k]``: the codes of flag ``k`` (-1 padded), flags in ``_DRAM_FLAGS`` order."""
    n = codes.shape[0]
    out = np.empty((n, len(DRAM_FEATURES)))
    flag = np.empty(sets.shape[0])
    for i in range(n):
        page, sched, buf, size, refresh, post, pulled, pdown, arb, active, resp = (
            codes[i, cols[0]], codes[i, cols[1]], codes[i, cols[2]], codes[i, cols[3]], codes[i, cols[4]],
            codes[i, cols[5]], codes[i, cols[6]], codes[i, cols[7]], codes[i, cols[8]], codes[i, cols[9]],
            codes[i, cols[10]])
        values = (page, page, sched, buf, buf, refresh, pdown, arb, resp)
        for k in range(sets.shape[0]):
            flag[k] = 0.0
            for c in sets[k]:
                if c == values[k]:
                    flag[k] = 1.0
        is_open, adaptive, reorder, bankwise, rw, ref, powerdown, simple, fifo_resp = (
            flag[0], flag[1], flag[2], flag[3], flag[4], flag[5], flag[6], flag[7], flag[8])
        inflight = 256.0 if simple > 0 else active  # the Simple arbiter does not limit transactions
        entries = 16.0 if rw > 0 else (size * banks if bankwise > 0 else size)
        queue = math.log2(min(inflight, 8.0 if rw > 0 else size))  # requests that can wait at the scheduler
        out[i, 0] = math.log2(inflight)
        out[i, 1] = math.log2(entries)
        out[i, 2] = queue
        out[i, 3] = ref
        out[i, 4] = ref * post
        out[i, 5] = ref * pulled
        out[i, 6] = is_open
        out[i, 7] = adaptive
        out[i, 8] = reorder
        out[i, 9] = powerdown
        out[i, 10] = fifo_resp
        closed = (1.0 - is_open) * (1.0 - adaptive)
        out[i, 11] = queue * closed  # a closed page pays every queued request's ACT
        # the deep-queue tail of the Closed policy: how many requests the buffers hold, whether the
        # arbiter lets them all in, whether responses wait for their turn
        out[i, 12] = math.log2(entries) * closed
        out[i, 13] = simple * closed
        out[i, 14] = fifo_resp * closed
    return out


_DRAM_FLAGS = ("open", "adaptive", "reorder", "bankwise", "readwrite", "refresh", "powerdown", "simple", "fifo_resp")


def _dram_prepare(spec: Mapping[str, Any]) -> tuple:
    sets = np.full((len(_DRAM_FLAGS), 2), -1.0)
    for k, key in enumerate(_DRAM_FLAGS):
        v = np.atleast_1d(spec[key])
        sets[k, :v.size] = v
    return np.asarray(spec["columns"], dtype=np.int64), sets, float(spec["banks"])


#: Mapping-v0: each dimension's loop position (0 innermost: an order lists its loops inner to outer) at both
#: levels, replacing the 720-valued
#: one-hot loop orders; then the mapping the genome stands for, by the genome's own scheduling rules
#: (the L1 tile of a dimension is cut to its gcd with the L2 tile; the L1 parallel dimension spreads
#: over the largest divisor of its L2/L1 tile ratio that the PEs hold, the L2 one over the largest
#: divisor of its layer/L2 ratio that the PEs left hold): per level the log2 of the tile volume, of the
#: iterations over the layer (the tile count), of the parallel dimension's tile and of the tile's words
#: (inputs + weights + outputs) against the level's buffer; the log2 of the spatial fan-outs, of the
#: PEs used and of the temporal steps (MACs / PEs used: the cycles of a compute-bound mapping), the
#: share of the PEs used and the L2 / L1 tile volume; and the DRAM words of each operand by the
#: classic refetch rule (an operand's L2 tile -- the parallel dimension's spread over its PEs -- is
#: fetched again at every iteration of the loops outside the innermost DRAM-level loop it depends on),
#: their sum, and the cycles bound max(temporal steps, DRAM words / off-chip words per cycle); the same
#: rule one level down (L1 tiles over the DRAM-level then the L2-level loops, one copy per PE used) for
#: the words that fill the L1 buffers
_MAP_DIMS = ("K", "C", "Y", "X", "R", "S")
MAPPING_FEATURES = tuple(f"{lvl}_pos_{d}" for lvl in ("l2", "l1") for d in _MAP_DIMS) + tuple(
    f"{lvl}_{f}" for lvl in ("l2", "l1eff") for f in ("log2_tile", "log2_iters", "log2_par_tile", "log2_fill")) + (
    "log2_l1_spatial", "log2_l2_spatial", "log2_pes_used", "log2_temporal_steps", "pe_use_share",
    "log2_l2_over_l1eff", "log2_dram_weights", "log2_dram_inputs", "log2_dram_outputs", "log2_dram_words",
    "log2_dram_bound_cycles", "log2_l1_fill_weights", "log2_l1_fill_inputs", "log2_l1_fill_outputs",
    "log2_l1_fill_words")
#: the dimensions each operand's footprint depends on (K, C, Y, X, R, S), for the refetch estimate
_MAP_RELEVANT = np.array([[1, 1, 0, 0, 1, 1], [0, 1, 1, 1, 1, 1], [1, 0, 1, 1, 0, 0]], dtype=np.float64)


def _mapping_spec(env) -> dict:
    space = env.design_space
    spec: dict[str, Any] = {"sizes": [float(env.sizes[d]) for d in _MAP_DIMS],
                            "batch": float(env.layer.dims.get("N", 1))}
    for lvl in ("l2", "l1"):
        orders = list(space[f"{lvl}_order"].values)
        spec[f"{lvl}_positions"] = [[float(o.index(d)) / 5.0 for d in _MAP_DIMS] for o in orders]
        spec[f"{lvl}_parallel"] = [float("KCYX".index(v)) for v in space[f"{lvl}_parallel"].values]
        spec[f"{lvl}_columns"] = ([_index(env, f"{lvl}_order"), _index(env, f"{lvl}_parallel")]
                                  + [_index(env, f"{lvl}_tile_{d}") for d in "KCYX"])
    spec["num_pes"] = _index(env, "num_pes")
    spec["words"] = [float(env.accel["l2_words"]), float(env.accel["l1_words"])]
    spec["offchip_bw"] = float(env.accel["offchip_bw"])
    return spec


@njit(cache=True)
def _gcd(a, b):  # pragma: no cover - compiled
    a, b = int(a), int(b)
    while b:
        a, b = b, a % b
    return float(a)


@njit(cache=True)
def _largest_divisor_upto(n, cap):  # pragma: no cover - compiled
    n, top = int(n), int(min(n, cap))
    for d in range(top, 0, -1):
        if n % d == 0:
            return float(d)
    return 1.0


@njit(cache=True)
def _mapping_kernel(codes, sizes, pos2, pos1, par2, par1, cols2, cols1, pes_col, words, batch, offchip_bw,
                    relevant):  # pragma: no cover
    n = codes.shape[0]
    K, C, Y, X, R, S = sizes[0], sizes[1], sizes[2], sizes[3], sizes[4], sizes[5]
    full = sizes[:4]
    macs = K * C * Y * X * R * S * batch
    out = np.empty((n, len(MAPPING_FEATURES)))
    t2 = np.empty(4)
    t1 = np.empty(4)
    for i in range(n):
        pes = codes[i, pes_col]
        p2 = int(par2[int(codes[i, cols2[1]])])
        p1 = int(par1[int(codes[i, cols1[1]])])
        for d in range(4):
            t2[d] = codes[i, cols2[2 + d]]
            t1[d] = _gcd(codes[i, cols1[2 + d]], t2[d])
        s1 = _largest_divisor_upto(t2[p1] / t1[p1], pes)
        s2 = _largest_divisor_upto(full[p2] / t2[p2], max(1.0, float(int(pes) // int(s1))))
        vols = np.empty(2)
        for li in range(2):
            cols = cols2 if li == 0 else cols1
            pos = pos2 if li == 0 else pos1
            order = int(codes[i, cols[0]])
            for d in range(6):
                out[i, 6 * li + d] = pos[order, d]
            t = t2 if li == 0 else t1
            p = p2 if li == 0 else p1
            tk, tc, ty, tx = t[0], t[1], t[2], t[3]
            vol = tk * tc * ty * tx
            iters = math.ceil(K / tk) * math.ceil(C / tc) * math.ceil(Y / ty) * math.ceil(X / tx)
            w = tk * tc * R * S + tc * (ty + R - 1) * (tx + S - 1) + tk * ty * tx
            base = 12 + 4 * li
            out[i, base] = math.log2(vol)
            out[i, base + 1] = math.log2(iters)
            out[i, base + 2] = math.log2(t[p])
            out[i, base + 3] = math.log2(w / words[li])
            vols[li] = vol
        out[i, 20] = math.log2(s1)
        out[i, 21] = math.log2(s2)
        out[i, 22] = math.log2(s1 * s2)
        out[i, 23] = math.log2(macs / (s1 * s2))
        out[i, 24] = s1 * s2 / pes
        out[i, 25] = math.log2(vols[0] / vols[1])
        # DRAM-level loops: outermost first, counts layer / (L2 tile, the parallel one times its spread)
        order = int(codes[i, cols2[0]])
        tile = np.empty(6)
        count = np.empty(6)
        for d in range(6):
            tile[d] = sizes[d] if d >= 4 else t2[d] * (s2 if d == p2 else 1.0)
            count[d] = sizes[d] / tile[d]
        at = np.empty(6, dtype=np.int64)
        for d in range(6):
            at[5 - int(round(pos2[order, d] * 5.0))] = d  # an order lists its loops inner to outer
        foot = np.empty(3)
        foot[0] = tile[0] * tile[1] * R * S
        foot[1] = tile[1] * (tile[2] + R - 1) * (tile[3] + S - 1) * batch
        foot[2] = tile[0] * tile[2] * tile[3] * batch
        total = 0.0
        for op in range(3):
            inner = -1
            for q in range(6):
                if relevant[op, at[q]] > 0 and count[at[q]] > 1:
                    inner = q
            refetch = 1.0
            for q in range(inner + 1):
                refetch *= count[at[q]]
            out[i, 26 + op] = math.log2(foot[op] * refetch)
            total += foot[op] * refetch
        out[i, 29] = math.log2(total)
        out[i, 30] = math.log2(max(macs / (s1 * s2), total / offchip_bw))
        # L1 fills: the DRAM-level loops (outermost), then the L2-level ones in the L1 order
        order1 = int(codes[i, cols1[0]])
        nest_dim = np.empty(12, dtype=np.int64)
        nest_count = np.empty(12)
        for q in range(6):
            nest_dim[q] = at[q]
            nest_count[q] = count[at[q]]
        for d in range(6):
            q = 11 - int(round(pos1[order1, d] * 5.0))
            nest_dim[q] = d
            nest_count[q] = 1.0 if d >= 4 else t2[d] / t1[d] / (s1 if d == p1 else 1.0)
        foot[0] = t1[0] * t1[1] * R * S
        foot[1] = t1[1] * (t1[2] + R - 1) * (t1[3] + S - 1) * batch
        foot[2] = t1[0] * t1[2] * t1[3] * batch
        total = 0.0
        for op in range(3):
            inner = -1
            for q in range(12):
                if relevant[op, nest_dim[q]] > 0 and nest_count[q] > 1:
                    inner = q
            refetch = 1.0
            for q in range(inner + 1):
                refetch *= nest_count[q]
            words1 = foot[op] * refetch * s1 * s2
            out[i, 31 + op] = math.log2(words1)
            total += words1
        out[i, 34] = math.log2(total)
    return out


def _mapping_prepare(spec: Mapping[str, Any]) -> tuple:
    i64 = lambda k: np.asarray(spec[k], dtype=np.int64)  # noqa: E731
    f64 = lambda k: np.ascontiguousarray(spec[k], dtype=np.float64)  # noqa: E731
    return (f64("sizes"), f64("l2_positions"), f64("l1_positions"), f64("l2_parallel"), f64("l1_parallel"),
            i64("l2_columns"), i64("l1_columns"), int(spec["num_pes"]), f64("words"), float(spec.get("batch", 1.0)),
            float(spec.get("offchip_bw", 16.0)), _MAP_RELEVANT)


#: Dataflow-v0: words held by each buffer level (the scratchpads once per PE, the global buffer across
#: its banks) and by all buffers of each memory class, PE-mesh height, bytes read per cycle per PE,
#: words in SRAM-cell buffers (SRAM, smartbuffer_SRAM) and in register-file ones (regfile, smartbuffer_RF)
_DF_BUFFERS = ("ifmap_spad", "weights_spad", "psum_spad", "dummy_buffer", "shared_glb")
_DF_CLASSES = ("regfile", "smartbuffer_SRAM", "smartbuffer_RF", "SRAM")
DATAFLOW_FEATURES = tuple(f"log2_{b}_words" for b in _DF_BUFFERS) + tuple(
    f"log2_{c}_words" for c in _DF_CLASSES) + ("log2_mesh_y", "log2_spad_words", "log2_spad_read_bw_per_pe",
                                               "log2_sram_like_words", "log2_rf_like_words")


def _dataflow_spec(env) -> dict:
    names = env.design_space.names
    col = lambda n: names.index(n) if n in names else -1  # noqa: E731
    spec = {"num_pes": col("num_pes"), "mesh_x": col("mac_mesh_x"),
            "columns": [[col(f"{b}_class"), col(f"{b}_depth"), col(f"{b}_block_size"), col(f"{b}_n_banks"),
                         col(f"{b}_read_bw")] for b in _DF_BUFFERS],
            "class_codes": [[_code(env, f"{b}_class", c) for c in _DF_CLASSES] for b in _DF_BUFFERS]}
    return spec


def _dataflow_prepare(spec: Mapping[str, Any]) -> tuple:
    return (int(spec["num_pes"]), int(spec["mesh_x"]), np.asarray(spec["columns"], dtype=np.int64),
            np.asarray(spec["class_codes"], dtype=np.int64))


@njit(cache=True)
def _dataflow_kernel(codes, pes_col, mesh_col, cols, class_codes):  # pragma: no cover - compiled
    n = codes.shape[0]
    nb, nc = cols.shape[0], class_codes.shape[1]
    out = np.empty((n, len(DATAFLOW_FEATURES)))
    for i in range(n):
        pes = codes[i, pes_col]
        per_class = np.zeros(nc)
        spad = 0.0
        spad_bw = 0.0
        for b in range(nb):
            words = codes[i, cols[b, 1]] * codes[i, cols[b, 2]]
            if cols[b, 3] >= 0:
                words *= codes[i, cols[b, 3]]
            if b < 3:  # the per-PE scratchpads
                words *= pes
                spad += words
                spad_bw += codes[i, cols[b, 4]]
            out[i, b] = math.log2(words)
            code = codes[i, cols[b, 0]]
            for c in range(nc):
                if class_codes[b, c] == code:
                    per_class[c] += words
        for c in range(nc):
            out[i, nb + c] = math.log2(1.0 + per_class[c])
        out[i, nb + nc] = math.log2(pes / codes[i, mesh_col])
        out[i, nb + nc + 1] = math.log2(spad)
        out[i, nb + nc + 2] = math.log2(spad_bw)
        # storage by cell type (area per bit differs between SRAM and register-file cells)
        out[i, nb + nc + 3] = math.log2(1.0 + per_class[1] + per_class[3])
        out[i, nb + nc + 4] = math.log2(1.0 + per_class[0] + per_class[2])
    return out


#: features declared for surrogates, by environment id (derived from the design and the workload's
#: shape only). An environment not listed may declare its own (``surrogate_features``).
#: where the physics is monotone (metric -> {feature: sign}), given the other features: area grows with
#: every PE and every stored bit (a wider or deeper array or buffer, more banks); a systolic array's
#: cycles and stalls do not grow with DRAM bandwidth. ``--model auto`` tries these constraints and keeps
#: them only for the metrics where cross-validation on the training split says they help.
_SYSTOLIC_MONOTONE = {
    "area_mm2": {"ArrayHeight": 1, "ArrayWidth": 1, "IfmapSramSzkB": 1, "FilterSramSzkB": 1, "OfmapSramSzkB": 1,
                 "log2_pes": 1, "log2_sram_bytes": 1},
    "cycles": {"DramBandwidth": -1},
    "stall_cycles": {"DramBandwidth": -1},
}
_DATAFLOW_MONOTONE = {"area_mm2": {"num_pes": 1, "shared_glb_n_banks": 1, "log2_sram_like_words": 1,
                                   "log2_rf_like_words": 1,
                                   **{f"{b}_{k}": 1 for b in _DF_BUFFERS for k in ("depth", "block_size")}}}
_MAPPING_MONOTONE = {"area_mm2": {"num_pes": 1}}
#: under the Closed policy every queued request pays its own activate: latency grows with the queue
_DRAM_MONOTONE = {m: {"closed_log2_queue_depth": 1} for m in ("latency_ns", "p99_latency_ns")}

#: features declared for surrogates, by environment id (derived from the design and the workload's
#: shape only). An environment not listed may declare its own (``surrogate_features``).
DECLARATIONS: dict[str, Declaration] = {
    "archgym/SystolicArray-v0": Declaration(SYSTOLIC_FEATURES, _systolic_spec, _systolic_prepare, _systolic_kernel,
                                            monotone=_SYSTOLIC_MONOTONE),
    "archgym/DRAM-v0": Declaration(DRAM_FEATURES, _dram_spec, _dram_prepare, _dram_kernel, monotone=_DRAM_MONOTONE),
    "archgym/Dataflow-v0": Declaration(DATAFLOW_FEATURES, _dataflow_spec, _dataflow_prepare, _dataflow_kernel,
                                       monotone=_DATAFLOW_MONOTONE),
    "archgym/Mapping-v0": Declaration(MAPPING_FEATURES, _mapping_spec, _mapping_prepare, _mapping_kernel,
                                      replaces=("l2_order", "l1_order"), monotone=_MAPPING_MONOTONE),
}


__all__ = ["DECLARATIONS", "Declaration", "DerivedFeatures", "FeatureEncoder", "declared_features", "derived_for",
           "monotone_constraints"]
