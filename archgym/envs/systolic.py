"""``archgym/SystolicArray-v0``: design a systolic-array DNN accelerator (SCALE-Sim's design space).

Design space (one action = one full design):

================  ==========================  ==================================================
parameter         values                      meaning (SCALE-Sim cfg key)
================  ==========================  ==================================================
ArrayHeight       4, 8, ..., 256              PE rows (``ArrayHeight``)
ArrayWidth        4, 8, ..., 256              PE columns (``ArrayWidth``)
Dataflow          os, ws, is                  output/weight/input stationary (``Dataflow``)
IfmapSramSzkB     8, 16, ..., 8192 KiB        ifmap scratchpad (``IfmapSramSzkB``)
FilterSramSzkB    8, 16, ..., 8192 KiB        filter scratchpad (``FilterSramSzkB``)
OfmapSramSzkB     8, 16, ..., 8192 KiB        ofmap scratchpad (``OfmapSramSzkB``)
DramBandwidth     2, 4, ..., 256 words/cycle  DRAM interface in SCALE-Sim's USER mode (``Bandwidth``
                                              and the ifmap/filter fill bandwidths)
================  ==========================  ==================================================

The ends of the ranges bracket real designs: 4x4 edge arrays up to Google's TPU v1 (256x256 PEs,
24 MiB of buffers), and DRAM from a narrow LPDDR channel (2 B/cycle at 1 GHz) to an HBM stack
(256 B/cycle).

Metrics (from :mod:`archgym.simulators.systolic`, analytic model, 45 nm energy/area table):
``cycles`` (total incl. DRAM stalls), ``energy_uj``, ``power_mw`` (at 1 GHz), ``area_mm2``,
``utilization_pct`` (SCALE-Sim's overall utilisation, higher is better), ``stall_cycles`` and
``dram_words`` (DRAM traffic). The observation holds cycles, energy, power, area and utilisation.
A design on which a (huge) workload's counts could exceed the model's 64-bit integers is returned
as infeasible with that reason, never with wrapped numbers (``simulators.systolic.count_bound``).

Default targets: the baseline design is SCALE-Sim's example configuration (its ``configs/scale.cfg``:
32x32 PEs, output stationary, 64/64/64 KiB SRAMs, 10 words/cycle; here 8 words/cycle, the nearest
value of the space) evaluated on the chosen workload. The targets ask for 2x fewer cycles, 25 %
less energy and at most twice the baseline's area. With SCALE-Sim's buffer semantics the baseline
is DRAM-bound (its 64 KiB buffers re-stream operands), so cycles alone are easy to buy with
bandwidth or bigger buffers, but those cost area and leakage, and only designs that also cut DRAM
traffic meet the energy target: about 0.1-1 % of uniformly random designs meet all three on the
CNNs (about 4 % on the transformers), so a search has to trade array shape, dataflow, buffer sizes
and bandwidth against each other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from archgym import datasets
from archgym.core.env import ArchGymEnv, BaselineTargets, InfeasibleDesign, Metric
from archgym.core.spaces import Categorical, DesignSpace, PowerOfTwo
from archgym.simulators import systolic as model

WORKLOADS = ("resnet18", "resnet50", "mobilenet_v1", "alexnet", "vgg16", "bert_base", "vit_b16", "llama3_8b_prefill",
             "llama3_8b_decode_b1", "llama3_8b_decode_b16")

BASELINE = {
    "ArrayHeight": 32, "ArrayWidth": 32, "Dataflow": "os", "IfmapSramSzkB": 64, "FilterSramSzkB": 64,
    "OfmapSramSzkB": 64, "DramBandwidth": 8,
}
#: target = factor x baseline metric
TARGET_FACTORS = {"cycles": 0.5, "energy_uj": 0.75, "area_mm2": 2.0}

METRICS = (
    Metric("cycles", "cycles", "min", "total cycles of the workload, DRAM stalls included"),
    Metric("energy_uj", "uJ", "min", "energy of one inference (compute, SRAM, DRAM, leakage)"),
    Metric("power_mw", "mW", "min", "average power at 1 GHz"),
    Metric("area_mm2", "mm^2", "min", "PE array plus SRAMs, 45 nm"),
    Metric("utilization_pct", "%", "max", "useful MACs / (PEs x total cycles)"),
    Metric("stall_cycles", "cycles", "min", "cycles the array waits for DRAM"),
    Metric("dram_words", "words", "min", "DRAM reads plus writes"),
)
OBSERVED = ("cycles", "energy_uj", "power_mw", "area_mm2", "utilization_pct")
_DATAFLOW = {name: code for code, name in enumerate(model.DATAFLOWS)}


def resolve_workload(workload: str | Path) -> tuple[str, Path]:
    """(name, path) of a shipped workload name or a SCALE-Sim CSV path."""
    return datasets.shipped_or_path(workload, WORKLOADS, "workloads", ".csv", "a SCALE-Sim topology/GEMM CSV")


def design_space() -> DesignSpace:
    return DesignSpace([
        PowerOfTwo("ArrayHeight", 4, 256),
        PowerOfTwo("ArrayWidth", 4, 256),
        Categorical("Dataflow", ("os", "ws", "is")),
        PowerOfTwo("IfmapSramSzkB", 8, 8192),
        PowerOfTwo("FilterSramSzkB", 8, 8192),
        PowerOfTwo("OfmapSramSzkB", 8, 8192),
        PowerOfTwo("DramBandwidth", 2, 256),
    ])


def to_config(design: dict) -> model.SystolicConfig:
    """The simulator configuration of one design."""
    return model.SystolicConfig(
        array_rows=design["ArrayHeight"], array_cols=design["ArrayWidth"], dataflow=design["Dataflow"],
        ifmap_sram_kb=design["IfmapSramSzkB"], filter_sram_kb=design["FilterSramSzkB"],
        ofmap_sram_kb=design["OfmapSramSzkB"], bandwidth_mode="USER", bandwidth=design["DramBandwidth"],
    )


def calibration_pairs(n: int, seed: int, max_work: float = 3e6) -> list[tuple[model.Layer, model.SystolicConfig]]:
    """``n`` random (distinct shipped layer, design of this space) pairs, seeded, whose exact replay
    is cheap (compute cycles x (rows + cols) <= ``max_work``): the set on which the analytic model
    is checked against ``simulate(..., memory="replay")`` (tests and benchmarks/bench_systolic.py)."""
    rng = np.random.default_rng(seed)
    layers, seen = [], set()
    for w in WORKLOADS:
        for layer in model.load_workload(datasets.path("workloads", f"{w}.csv")):
            shape = dataclasses.replace(layer, name="", repeat=1)
            if shape not in seen:
                seen.add(shape)
                layers.append(dataclasses.replace(layer, repeat=1))
    space = design_space()
    pairs = []
    while len(pairs) < n:
        layer = layers[rng.integers(len(layers))]
        config = to_config(space.sample(rng))
        cycles = model.simulate_batch([config], [layer], per_layer=True)["layers"]["compute_cycles"][0, 0]
        if cycles * (config.array_rows + config.array_cols) <= max_work:
            pairs.append((layer, config))
    return pairs


#: features declared for surrogates (:meth:`SystolicArrayEnv.surrogate_feature_values`)
SURROGATE_FEATURES = ("log2_pes", "log2_aspect", "log2_sram_bytes", "log2_folds", "log2_compute_cycles",
                      "log2_stream_cycles", "log2_bound_cycles", "compute_util", "ifmap_sram_vs_largest",
                      "ifmap_fits_mac_share", "filter_sram_vs_largest", "filter_fits_mac_share",
                      "ofmap_sram_vs_largest", "ofmap_fits_mac_share", "log2_traffic_words", "log2_traffic_cycles",
                      "log2_traffic_bound_cycles")


class SystolicArrayEnv(ArchGymEnv):
    """Systolic-array accelerator design on one DNN workload (see the module docstring).

    ``workload``: a shipped name (``resnet18`` default, ``resnet50``, ``mobilenet_v1``, ``alexnet``,
    ``vgg16``, ``bert_base``, ``vit_b16``, the Llama-3-8B GEMMs ``llama3_8b_prefill``, ``llama3_8b_decode_b1``,
    ``llama3_8b_decode_b16``: :mod:`archgym.datasets.llm_workloads`) or a path to a SCALE-Sim topology/GEMM CSV.
    Other keyword arguments are those of :class:`archgym.core.env.ArchGymEnv` (reward, targets, observe, ...).
    """

    compiled_package = "archgym.simulators.systolic"
    typical_compile_seconds = 7.0

    env_id = "archgym/SystolicArray-v0"
    version = "0"
    simulator_version = f"systolic-{model.MODEL_VERSION}"

    def __init__(self, workload: str = "resnet18", **kwargs):
        name, path = resolve_workload(workload)
        self.workload_path = path
        self.layers = model.load_workload(path)
        self._layer_arrays = model.distinct_layers(model.layer_arrays(self.layers))
        # counts fall with array size: if the smallest arrays of the space, in every dataflow, cannot wrap
        # the model's 64-bit counts, no design can, and steps skip the per-design check
        space = design_space()
        smallest = {"array_rows": np.full(3, min(space["ArrayHeight"].values)),
                    "array_cols": np.full(3, min(space["ArrayWidth"].values)), "dataflow": np.arange(3)}
        self._counts_fit = bool((model.count_bound(smallest, self._layer_arrays) < model.COUNT_LIMIT).all())
        super().__init__(space, METRICS, workload=name, default_targets=BaselineTargets(TARGET_FACTORS),
                         observation_metrics=OBSERVED, **kwargs)

    @property
    def baseline_design(self) -> dict:
        return dict(BASELINE)

    def _config_columns(self, designs: Sequence[dict]) -> dict[str, np.ndarray]:
        """The simulator's config columns of validated designs (built directly, no per-design objects)."""
        n = len(designs)
        col = lambda name: np.fromiter((d[name] for d in designs), dtype=np.int64, count=n)  # noqa: E731
        bw = col("DramBandwidth")
        return {
            "array_rows": col("ArrayHeight"), "array_cols": col("ArrayWidth"),
            "dataflow": np.fromiter((_DATAFLOW[d["Dataflow"]] for d in designs), dtype=np.int64, count=n),
            "ifmap_sram_kb": col("IfmapSramSzkB"), "filter_sram_kb": col("FilterSramSzkB"),
            "ofmap_sram_kb": col("OfmapSramSzkB"), "word_size_bytes": np.ones(n, dtype=np.int64),
            "user": np.ones(n, dtype=bool), "bandwidth": bw, "ifmap_bandwidth": bw, "filter_bandwidth": bw,
            "frequency_mhz": np.full(n, model.SystolicConfig.frequency_mhz),
        }

    def _run(self, cfg: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        t = model.simulate_batch(cfg, self._layer_arrays, check=not self._counts_fit)
        return {
            "cycles": t["total_cycles"].astype(np.float64),
            "energy_uj": t["energy_uj"],
            "power_mw": t["power_mw"],
            "area_mm2": t["area_mm2"],
            "utilization_pct": t["overall_util_pct"],
            "stall_cycles": t["stall_cycles"].astype(np.float64),
            "dram_words": (t["dram_ifmap_reads"] + t["dram_filter_reads"] + t["dram_ofmap_writes"]).astype(np.float64),
        }

    def simulate(self, design: dict) -> dict:
        out = self.simulate_batch([design])[0]
        if isinstance(out, InfeasibleDesign):
            raise out
        return out

    def simulate_batch(self, designs: Sequence[dict]) -> list[dict | InfeasibleDesign]:
        if not designs:
            return []
        cfg = self._config_columns(designs)
        try:
            cols = self._run(cfg)
        except model.CountOverflow:  # some designs' counts could exceed 64-bit integers: report those
            fits = model.count_bound(cfg, self._layer_arrays) < model.COUNT_LIMIT
            out: list[dict | InfeasibleDesign] = [
                InfeasibleDesign("the workload's counts on this design could exceed 2^62 (the model counts in 64-bit "
                                 "integers); allowed: a larger array or smaller layers") for _ in designs]
            ok = np.nonzero(fits)[0]
            if ok.size:
                for i, m in zip(ok.tolist(), self._rows(self._run({k: v[ok] for k, v in cfg.items()}))):
                    out[i] = m
            return out
        return self._rows(cols)

    # -- surrogate features (declared from the design and the workload's shape, never simulated) --
    def surrogate_features(self) -> tuple[list[str], dict]:
        """(feature names, workload constants) for :mod:`archgym.surrogates`: see ``surrogate_feature_values``."""
        a = self._layer_arrays
        spec = {k: np.asarray(a[k]).astype(float).tolist() for k in ("gemm_m", "gemm_n", "gemm_k", "repeat")}
        spec["ifmap_words"] = (np.asarray(a["ifmap_h"]) * a["ifmap_w"] * a["channels"]).astype(float).tolist()
        return list(SURROGATE_FEATURES), spec

    @staticmethod
    def surrogate_feature_values(cols: Mapping[str, np.ndarray], spec: Mapping) -> dict[str, np.ndarray]:
        """PE count and shape, SRAM bytes (total, and per operand against the workload's largest
        operand and the MAC share of layers whose operand fits), the array's fold count and compute
        cycles of the chosen dataflow on the workload's GEMMs, and the DRAM-bandwidth bound of
        streaming every operand once."""
        h, w = cols["ArrayHeight"][:, None], cols["ArrayWidth"][:, None]
        m, n_, k, rep = (np.asarray(spec[x])[None, :] for x in ("gemm_m", "gemm_n", "gemm_k", "repeat"))
        words = {"ifmap": np.asarray(spec["ifmap_words"])[None, :], "filter": k * n_, "ofmap": m * n_}
        macs = rep * m * n_ * k
        df = np.asarray(cols["Dataflow"], dtype=object)[:, None]
        sr = np.where(df == "os", m, k)
        sc = np.where(df == "is", m, n_)
        t = np.where(df == "os", k, np.where(df == "ws", m, n_))
        row_folds, col_folds = np.ceil(sr / h), np.ceil(sc / w)
        folds = row_folds * col_folds
        compute = np.sum(rep * (folds * np.where(df == "os", t + h + w - 2, 2 * h + w + t - 2) - 1), axis=1)
        bw = cols["DramBandwidth"]
        stream = np.sum(rep * (words["ifmap"] + words["filter"] + words["ofmap"]), axis=1) / bw
        # operand words the array reads from its SRAMs (re-read once per fold of the other dimension), and
        # the DRAM traffic if an operand that does not fit its SRAM is re-fetched on every re-read
        fits = {op: words[op] <= 1024.0 * cols[key][:, None]
                for op, key in (("ifmap", "IfmapSramSzkB"), ("filter", "FilterSramSzkB"), ("ofmap", "OfmapSramSzkB"))}
        if_reads = np.where(df == "is", 1.0, col_folds) * m * k
        f_reads = np.where(df == "os", row_folds, np.where(df == "ws", 1.0, col_folds)) * k * n_
        of_writes = np.where(df == "os", 1.0, row_folds) * m * n_
        traffic = np.sum(rep * (np.where(fits["ifmap"], m * k, if_reads) + np.where(fits["filter"], k * n_, f_reads)
                                + of_writes), axis=1)
        dram = traffic / bw
        out = {"log2_pes": np.log2(h[:, 0] * w[:, 0]), "log2_aspect": np.log2(h[:, 0] / w[:, 0]),
               "log2_traffic_words": np.log2(traffic), "log2_traffic_cycles": np.log2(dram),
               "log2_traffic_bound_cycles": np.log2(np.maximum(compute, dram)),
               "log2_sram_bytes": np.log2(1024.0 * (cols["IfmapSramSzkB"] + cols["FilterSramSzkB"]
                                                    + cols["OfmapSramSzkB"])),
               "log2_folds": np.log2(np.sum(rep * folds, axis=1)), "log2_compute_cycles": np.log2(compute),
               "log2_stream_cycles": np.log2(stream), "log2_bound_cycles": np.log2(np.maximum(compute, stream)),
               "compute_util": np.sum(macs, axis=1) / (compute * h[:, 0] * w[:, 0])}
        for op, key in (("ifmap", "IfmapSramSzkB"), ("filter", "FilterSramSzkB"), ("ofmap", "OfmapSramSzkB")):
            b = 1024.0 * cols[key][:, None]
            out[f"{op}_sram_vs_largest"] = np.log2(b[:, 0] / words[op].max())
            out[f"{op}_fits_mac_share"] = np.sum(macs * (words[op] <= b), axis=1) / np.sum(macs, axis=1)
        return out

    @staticmethod
    def _rows(cols: dict[str, np.ndarray]) -> list[dict]:
        names = list(cols)
        return [dict(zip(names, row)) for row in zip(*(cols[m].tolist() for m in names))]
