"""Per-layer surrogates that transfer to networks they were not trained on (issue 18 item 3).

A network surrogate (:mod:`archgym.surrogates.train`) learns one workload: its inputs are the design
alone. A per-layer surrogate learns the cost of *one layer on one design* -- its inputs are the design
and the layer's shape -- and predicts a network as the sum over its layers (each times its repeat
count), which is how both simulators total a network. Trained on the layers of some networks (e.g.
ResNet-18/50 and MobileNet), it can be asked about any other network made of layers (VGG-16, BERT,
the Llama GEMMs).

>>> adapter = SystolicLayers()
>>> model = PerLayerSurrogate.fit(adapter, designs, ["resnet18", "resnet50", "mobilenet_v1"], seed=0)
>>> model.predict_network(other_designs, "vgg16")        # {"cycles": (n,), "energy_uj": (n,)}

The per-layer targets come from the simulators' own per-layer outputs: SystolicArray-v0's
``simulate_batch(..., per_layer=True)["layers"]`` (``total_cycles``, ``energy_uj`` of one occurrence of
each distinct layer), Dataflow-v0's mapper result per layer (``Mapper.best(layer)``: ``cycles``,
``energy_pj``; the network is :func:`~archgym.simulators.dataflow.network.network_cost`'s sum).
Features (design and shape only, never a simulator output):

- SystolicArray-v0: the design space's encoding, log2 of the layer's GEMM sizes M, N, K, its operand words
  and MACs, and the environment's declared analytic features (PE count, folds, compute cycles of the
  dataflow, bandwidth bound, SRAM against operand, ...) computed on the one-layer workload.
- Dataflow-v0: the design space's encoding and its declared features (words per buffer level, PE mesh),
  the layer kind, log2 of its eight loop dimensions, MACs, stride and operand words.

Each metric is modelled on a log scale (a layer's cycles and energy span many orders of magnitude) by
a model of :mod:`archgym.surrogates.models` (histogram gradient boosting by default), as the residual
over an analytic baseline of the same design and shape (:meth:`LayerAdapter.baselines`): cycles over
the larger of the dataflow's compute cycles and its DRAM-traffic bound (systolic) or MACs per PE
(dataflow), energy over the MACs. A tree model cannot extrapolate beyond the values it was trained on, so
without the baseline it cannot predict a layer larger than any it has seen (the Llama GEMMs against
ResNet's convolutions); the residual (stall factor, energy per MAC) stays within the trained range.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from archgym.core.env import InfeasibleDesign
from archgym.simulators.dataflow.architecture import ArchitectureError
from archgym.simulators.dataflow.energy_table import ComponentError
from archgym.simulators.dataflow.mapper import Mapper
from archgym.simulators.dataflow.mapping import MappingError
from archgym.simulators.systolic import model
from archgym.simulators.systolic.spec import Layer
from archgym.surrogates.features import FeatureEncoder, declared_features
from archgym.surrogates.models import make_estimator
from archgym.surrogates.surrogate import SurrogateError, limit_threads
from archgym.surrogates.train import make_environment


class LayerAdapter:
    """What a per-layer surrogate needs of one environment: its distinct layers per workload, the
    per-layer simulator output and the per-(design, layer) features."""

    env_id: str
    metrics: tuple[str, ...]
    workloads: tuple[str, ...]

    def __init__(self):
        self._envs: dict[str, Any] = {}

    def env(self, workload: str):
        if workload not in self.workloads:
            raise SurrogateError(f"workload: value {workload!r} is not allowed for {self.env_id}; "
                                 f"allowed: {list(self.workloads)}")
        if workload not in self._envs:
            self._envs[workload] = make_environment(self.env_id, workload)
        return self._envs[workload]

    @property
    def space(self):
        return self.env(self.workloads[0]).design_space

    def layers(self, workload: str) -> tuple[list, np.ndarray]:  # (distinct shapes, repeat counts)
        raise NotImplementedError

    def random_shapes(self, n: int, rng: np.random.Generator) -> list:
        """``n`` layer shapes drawn at random (log-uniform sizes, convolutions and GEMMs), belonging to no
        network: training rows that widen the range of shapes beyond the training networks' own."""
        raise NotImplementedError

    def simulate_layers(self, designs: Sequence[dict], shapes: list) -> tuple[np.ndarray, np.ndarray]:
        """(values (n_designs, n_shapes, n_metrics) of one occurrence of each layer, feasible (n_designs,))."""
        raise NotImplementedError

    def inputs(self, designs: Sequence[dict], shapes: list) -> tuple[np.ndarray, np.ndarray]:
        """(features (n_designs * n_shapes, n_features), baselines (n_designs * n_shapes, n_metrics)), both
        design-major (row ``i * n_shapes + j`` = design i, layer j), from one pass over the shapes. A
        baseline is the natural log of an analytic estimate of the metric (from the design and the shape
        alone) that the model's target is taken relative to."""
        raise NotImplementedError

    def features(self, designs: Sequence[dict], shapes: list) -> np.ndarray:
        """The features of :meth:`inputs`."""
        return self.inputs(designs, shapes)[0]

    def baselines(self, designs: Sequence[dict], shapes: list) -> np.ndarray:
        """The log baselines of :meth:`inputs`."""
        return self.inputs(designs, shapes)[1]

    def network_truth(self, designs: Sequence[dict], workload: str) -> tuple[np.ndarray, np.ndarray]:
        """The environment's own network metrics (n, n_metrics) of designs on ``workload``, and feasibility."""
        env = self.env(workload)
        out = env.simulate_batch(list(designs))
        ok = np.array([not isinstance(r, InfeasibleDesign) for r in out])
        Y = np.array([[r[m] for m in self.metrics] if f else [np.nan] * len(self.metrics) for r, f in zip(out, ok)])
        return Y, ok


class SystolicLayers(LayerAdapter):
    """SystolicArray-v0 layer by layer (``simulators.systolic.model.simulate_batch(per_layer=True)``)."""

    env_id = "archgym/SystolicArray-v0"
    metrics = ("cycles", "energy_uj")
    _fields = ("total_cycles", "energy_uj")
    workloads = ("resnet18", "resnet50", "mobilenet_v1", "alexnet", "vgg16", "bert_base", "vit_b16",
                 "llama3_8b_prefill", "llama3_8b_decode_b1", "llama3_8b_decode_b16")
    _layer_keys = ("ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels", "num_filters", "stride_h", "stride_w")

    def layers(self, workload: str) -> tuple[list, np.ndarray]:
        a = self.env(workload)._layer_arrays  # distinct shapes, repeat counts summed
        n = len(a["repeat"])
        shapes = [{k: int(np.asarray(v)[i]) for k, v in a.items() if not k.startswith("_") and k != "repeat"}
                  for i in range(n)]
        return shapes, np.asarray(a["repeat"], dtype=np.float64)

    def random_shapes(self, n, rng):
        """Half GEMMs (M 1-8,192, N 16-131,072, K 16-16,384, at most 2^34 MACs), half convolutions (ifmap
        7-224 square, filter 1, 3, 5 or 7 at stride 1 or 2, channels and filters 3-2,048)."""
        layers = []
        while len(layers) < n:
            if len(layers) % 2 == 0:
                m, nn, k = (int(round(2 ** rng.uniform(lo, hi))) for lo, hi in ((0, 13), (4, 17), (4, 14)))
                if m * nn * k > 2 ** 34:
                    continue
                layers.append(Layer.gemm(f"random_gemm_{len(layers)}", m, nn, k))
            else:
                f = int(rng.choice([1, 3, 5, 7]))
                st = int(rng.choice([1, 2]))
                hw = int(round(2 ** rng.uniform(np.log2(max(7, f)), np.log2(224))))
                ch, nf = (int(round(2 ** rng.uniform(np.log2(3), 11))) for _ in range(2))
                layers.append(Layer(f"random_conv_{len(layers)}", hw, hw, f, f, ch, nf, st, st))
        a = model.layer_arrays(layers)
        return [{k: int(v[i]) for k, v in a.items() if k != "repeat"} for i in range(n)]

    def _arrays(self, shapes: list) -> dict[str, np.ndarray]:
        keys = [k for k in shapes[0]]
        a = {k: np.array([s[k] for s in shapes], dtype=np.int64) for k in keys}
        a["repeat"] = np.ones(len(shapes), dtype=np.int64)
        return a

    def simulate_layers(self, designs, shapes):
        """Each distinct layer as a one-layer workload through the batched path of the environment
        (its network totals are then that layer's figures; the same numbers as ``per_layer=True``,
        which replays every design's buffers separately and is far slower)."""

        env = self.env(self.workloads[0])
        cfg = env._config_columns(list(designs))
        lay = self._arrays(shapes)
        fits = model.count_bound(cfg, lay) < model.COUNT_LIMIT
        out = np.full((len(designs), len(shapes), len(self.metrics)), np.nan)
        ok = np.nonzero(fits)[0]
        sub = {k: v[ok] for k, v in cfg.items()}
        for j in range(len(shapes)):
            one = {k: v[j:j + 1] for k, v in lay.items()}
            if ok.size:
                t = model.simulate_batch(sub, one, check=False)
                for c, f in enumerate(self._fields):
                    out[ok, j, c] = t[f]
        return out, fits

    def _layer_values(self, designs, shapes):
        """Per shape: (index, log2 of its GEMM sizes, ifmap words, filter words and MACs, and the environment's
        declared analytic features of the designs on that one layer)."""
        env = self.env(self.workloads[0])
        cols = {p: np.asarray([d[p] for d in designs], dtype=object if p == "Dataflow" else np.float64)
                for p in env.design_space.names}
        for j, s in enumerate(shapes):
            m, nn, k = float(s["gemm_m"]), float(s["gemm_n"]), float(s["gemm_k"])
            ifmap = float(s["ifmap_h"] * s["ifmap_w"] * s["channels"])
            spec = {"gemm_m": [m], "gemm_n": [nn], "gemm_k": [k], "repeat": [1.0], "ifmap_words": [ifmap]}
            yield j, np.log2([m, nn, k, ifmap, k * nn, m * nn * k]), type(env).surrogate_feature_values(cols, spec)

    def inputs(self, designs, shapes):
        """Features: the design's encoded parameters, the layer's log2 sizes and the environment's declared
        analytic features on that one layer. Baselines: cycles, the larger of the dataflow's compute cycles
        and its DRAM-traffic bound; energy, the MACs."""
        env = self.env(self.workloads[0])
        n, L = len(designs), len(shapes)
        base = FeatureEncoder(env.design_space).encode(list(designs))  # (n, n_space)
        names, _ = env.surrogate_features()
        out = np.empty((n, L, base.shape[1] + 6 + len(names)))
        out[:, :, :base.shape[1]] = base[:, None, :]
        lb = np.empty((n, L, 2))
        for j, shape, vals in self._layer_values(designs, shapes):
            out[:, j, base.shape[1]:base.shape[1] + 6] = shape[None, :]
            out[:, j, base.shape[1] + 6:] = np.column_stack([np.asarray(vals[x], dtype=np.float64) for x in names])
            lb[:, j, 0] = np.log(2.0) * np.asarray(vals["log2_traffic_bound_cycles"], dtype=np.float64)
            lb[:, j, 1] = np.log(2.0) * shape[5]  # log of the MACs
        return out.reshape(n * L, -1), lb.reshape(n * L, 2)


class DataflowLayers(LayerAdapter):
    """Dataflow-v0 layer by layer (the environment's mapper, ``Mapper.best(layer)`` per distinct layer)."""

    env_id = "archgym/Dataflow-v0"
    metrics = ("cycles", "energy_uj")
    workloads = ("alexnet", "resnet50", "mobilenetv2", "llama3_8b_prefill", "llama3_8b_decode_b1",
                 "llama3_8b_decode_b16")
    _kinds = ("conv", "depthwise", "gemm")

    def layers(self, workload: str) -> tuple[list, np.ndarray]:
        seen: dict[tuple, int] = {}
        shapes, reps = [], []
        for ly in self.env(workload).layers:
            key = ly.shape_key
            if key in seen:
                reps[seen[key]] += ly.repeat
            else:
                seen[key] = len(shapes)
                shapes.append(dataclasses.replace(ly, repeat=1))
                reps.append(float(ly.repeat))
        return shapes, np.asarray(reps)

    def simulate_layers(self, designs, shapes):

        env = self.env(self.workloads[0])
        out = np.full((len(designs), len(shapes), len(self.metrics)), np.nan)
        ok = np.ones(len(designs), dtype=bool)
        for i, d in enumerate(designs):
            try:
                arch = env.architecture(d)
                mapper = Mapper(arch, budget=env.mapper_budget, objective=env.mapper_objective)
                for j, ly in enumerate(shapes):
                    ev = mapper.best(ly)
                    out[i, j] = (ev.cycles, ev.energy_pj * 1e-6)
            except (ArchitectureError, ComponentError, MappingError):
                ok[i] = False
                out[i] = np.nan
        return out, ok

    def inputs(self, designs, shapes):
        """Features: the design's encoded parameters and declared features, and the layer's kind, log2
        dimensions, operand sizes and strides. Baselines: cycles, MACs over the design's PE count; energy,
        the MACs."""
        return self._features(designs, shapes), self._baselines(designs, shapes)

    def _features(self, designs, shapes):
        env = self.env(self.workloads[0])
        n, L = len(designs), len(shapes)
        base = FeatureEncoder(env.design_space, declared_features(env)).encode(list(designs))
        rows = []
        for ly in shapes:
            dims = np.array(list(ly.dims.values()), dtype=np.float64)
            d = ly.dims
            weights = d["K"] * d["C"] * d["R"] * d["S"] * d["G"]
            outputs = d["N"] * d["K"] * d["G"] * d["P"] * d["Q"]
            inputs = d["N"] * d["C"] * d["G"] * ly.input_extent(0) * ly.input_extent(1)
            rows.append(np.concatenate([[float(ly.kind == k) for k in self._kinds], np.log2(dims),
                                        np.log2([float(ly.macs), weights, outputs, inputs]),
                                        np.asarray(ly.stride, dtype=np.float64)]))
        shape = np.asarray(rows)
        out = np.empty((n, L, base.shape[1] + shape.shape[1]))
        out[:, :, :base.shape[1]] = base[:, None, :]
        out[:, :, base.shape[1]:] = shape[None, :, :]
        return out.reshape(n * L, -1)


    @staticmethod
    def _pes(env, design) -> float:
        try:
            return float(env.architecture(design).compute.instances)
        except (ArchitectureError, ComponentError):
            return np.nan  # an infeasible design: its prediction is NaN, as the simulator gives none

    def _baselines(self, designs, shapes):
        env = self.env(self.workloads[0])
        pes = np.array([self._pes(env, d) for d in designs])
        macs = np.array([float(ly.macs) for ly in shapes])
        out = np.empty((len(designs), len(shapes), 2))
        out[:, :, 0] = np.log(macs)[None, :] - np.log(pes)[:, None]
        out[:, :, 1] = np.log(macs)[None, :]
        return out.reshape(len(designs) * len(shapes), 2)


ADAPTERS = {SystolicLayers.env_id: SystolicLayers, DataflowLayers.env_id: DataflowLayers}


def adapter_for(env_id: str) -> LayerAdapter:
    if env_id not in ADAPTERS:
        raise SurrogateError(f"env_id: value {env_id!r} has no per-layer surrogate; allowed: {sorted(ADAPTERS)}")
    return ADAPTERS[env_id]()


class PerLayerSurrogate:
    """A model of one layer's metrics on one design; networks are predicted as sums over their layers."""

    def __init__(self, adapter: LayerAdapter, estimators: Mapping[str, Any], train_workloads: Sequence[str],
                 model: str, metadata: Mapping[str, Any]):
        self.adapter = adapter
        self.metric_names = list(adapter.metrics)
        self.estimators = dict(estimators)
        self.train_workloads = list(train_workloads)
        self.model = model
        self.metadata = dict(metadata)

    @classmethod
    def fit(cls, adapter: LayerAdapter, designs: Sequence[dict], train_workloads: Sequence[str], *,
            model: str = "hgb", params: Mapping[str, Any] | None = None, seed: int = 0,
            threads: int | None = 1, random_shapes: int = 0) -> PerLayerSurrogate:
        """Simulate every distinct layer of ``train_workloads`` (plus ``random_shapes`` shapes of no network,
        :meth:`LayerAdapter.random_shapes`, seeded by ``seed``) on ``designs`` and fit one model per metric
        on log(value of one layer occurrence) less the adapter's log baseline."""
        if random_shapes < 0:
            raise SurrogateError(f"random_shapes: value {random_shapes} is not allowed; allowed: an integer >= 0")
        if not train_workloads:
            raise SurrogateError("train_workloads: value [] is not allowed; allowed: one or more workload names")
        if len(designs) < 10:
            raise SurrogateError(f"designs: {len(designs)} designs is not allowed; allowed: at least 10")
        shapes, keys = [], set()
        for w in train_workloads:
            for s in adapter.layers(w)[0]:
                key = _shape_key(s)
                if key not in keys:
                    keys.add(key)
                    shapes.append(s)
        if random_shapes:
            shapes += adapter.random_shapes(random_shapes, np.random.default_rng([seed, 7]))
        t0 = time.perf_counter()
        Y, ok = adapter.simulate_layers(designs, shapes)
        sim_s = time.perf_counter() - t0
        kept = [d for d, f in zip(designs, ok) if f]
        if not kept:
            raise SurrogateError("no design of the training set is feasible on the training layers")
        X, B = adapter.inputs(kept, shapes)
        Y = Y[ok].reshape(len(kept) * len(shapes), -1)
        good = np.all(np.isfinite(Y) & (Y > 0), axis=1)
        X, Y, B = X[good], Y[good], B[good]
        t0 = time.perf_counter()
        estimators = {}
        with limit_threads(threads):
            for j, m in enumerate(adapter.metrics):
                est = make_estimator(model, params, seed, X.shape[1])
                estimators[m] = est.fit(X, np.log(Y[:, j]) - B[:, j])
        meta = {"n_designs": len(designs), "n_feasible_designs": len(kept), "n_layer_shapes": len(shapes),
                "n_rows": int(X.shape[0]), "simulate_seconds": sim_s, "fit_seconds": time.perf_counter() - t0,
                "seed": int(seed), "params": dict(params or {}), "random_shapes": int(random_shapes)}
        return cls(adapter, estimators, train_workloads, model, meta)

    def predict_layers(self, designs: Sequence[dict], shapes: list) -> np.ndarray:
        """(n_designs, n_shapes, n_metrics): one occurrence of each layer."""
        X, B = self.adapter.inputs(designs, shapes)
        out = np.column_stack([np.exp(self.estimators[m].predict(X) + B[:, j]) for j, m in enumerate(self.metric_names)])
        return out.reshape(len(designs), len(shapes), -1)

    def predict_network(self, designs: Sequence[dict], workload: str) -> np.ndarray:
        """(n_designs, n_metrics): the sum over the network's distinct layers times their repeat counts."""
        shapes, reps = self.adapter.layers(workload)
        return np.einsum("dlm,l->dm", self.predict_layers(designs, shapes), reps)


def _shape_key(s) -> tuple:
    return tuple(sorted(s.items())) if isinstance(s, Mapping) else s.shape_key


__all__ = ["ADAPTERS", "DataflowLayers", "LayerAdapter", "PerLayerSurrogate", "SystolicLayers", "adapter_for"]
