"""Analytic systolic-array model that gives SCALE-Sim 3.0's answers in microseconds.

SCALE-Sim lowers every layer to a GEMM (im2col), maps it on an ``R x C`` PE array in one of three
dataflows and replays, cycle by cycle, the address streams of the three operands through
double-buffered SRAMs. This module computes the same report quantities in closed form:

* folds: the GEMM's spatial dimensions ``Sr x Sc`` are cut into ``ceil(Sr/R) * ceil(Sc/C)`` folds
  with ``T`` temporal steps each (``os``: Sr=M pixels, Sc=N filters, T=K window; ``ws``: Sr=K,
  Sc=N, T=M; ``is``: Sr=K, Sc=M, T=N);
* a fold lasts ``T + R + C - 2`` cycles (os: fill, compute, drain) or ``2R + C + T - 2`` (ws/is:
  the stationary operand is loaded first); compute cycles = folds x that - 1, exactly as SCALE-Sim
  counts them (its last cycle index);
* mapping efficiency, compute utilisation and the SRAM read/write counts per operand follow from
  the same fold arithmetic and are exact (including SCALE-Sim's ``R + C`` extra ofmap writes per
  fold in os);
* with a user-given DRAM bandwidth (USER mode) the read buffers are replayed one demand *run* at a
  time (:mod:`.prefetch`: O(1) work per fold, folds that stay inside the prefetch window
  skipped), which gives SCALE-Sim's DRAM reads exactly whenever every address occurs once in the
  operand's stream (filters, GEMMs, 1x1 convolutions; beyond a work budget per operand the last
  folds are extrapolated at the measured rate). Where a layer's read buffers advance at most
  :data:`MAX_ADVANCES` times each and its ofmap buffer drains at most :data:`MAX_DRAINS` times, the
  three buffers are replayed together event by event -- every window advance at its exact demand
  line (:mod:`.events`), every drain and drain wait (:mod:`.writes`) -- which gives SCALE-Sim's
  stall, total cycles and DRAM ofmap writes exactly; beyond that budget the stall combines the
  read-stall profiles and the drain model (:mod:`.drain`). Convolution ifmaps whose windows overlap
  hold each pixel several times and SCALE-Sim may hit at another copy, which the run replay does
  not follow: there it can count too many window wraps (see
  tests/systolic/test_systolic_analytic_exact.py for what is exact and what is listed);
* CALC mode (estimate bandwidth) never stalls on reads: the ofmap write buffer is replayed drain by
  drain (:mod:`.writes`, exact DRAM writes and drain waits), filter reads and the reads of ifmaps
  whose addresses occur once follow an exact epoch recurrence (:func:`.traffic.calc_exact`), and
  only the ifmaps of overlapping windows that do not fit an epoch are estimated (:mod:`.traffic`).
  ``simulate(..., memory="replay")`` runs :mod:`.replay` instead, which reproduces SCALE-Sim's DRAM
  counts, stalls and total cycles exactly, address by address.

Energy and area come from :mod:`.energy` (45 nm table, sources there).

:func:`simulate_batch` evaluates thousands of designs on a whole network at once: the read-buffer
replays shared between designs, then one numba pass for the USER-mode stalls (:mod:`.user_stalls`)
and one for the fold arithmetic, energy and network totals (:mod:`.network`, bit-identical to the
numpy code of :func:`_core` / :func:`_totals`, which ``per_layer=True`` and :func:`simulate` use).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from .energy import DEFAULT_TABLE, EnergyTable, area_mm2, energy_pj
from .formats.scalesim import SystolicFileError, read_topology
from .layout import LayoutConfig
from .network import FLOAT_FIELDS, INT_FIELDS, network_totals, table_array
from .optimized import simulate_layer as optimized_layer
from .prefetch import read_buffer
from .replay import replay_layer
from .sparsity import is_pruned, sparse_report, ws_ifmap_reads
from .spec import BANDWIDTH_MODES, DATAFLOWS, Layer, SystolicConfig
from .traffic import calc_exact, calc_reads
from .user_stalls import user_stalls
from .writes import NO_PROFILE, drains, write_buffers

__all__ = [
    "SystolicConfig", "Layer", "load_workload", "simulate", "simulate_batch", "layer_arrays", "config_arrays",
    "distinct_layers", "COUNT_LIMIT", "CountOverflow", "count_bound", "check_counts",
    "TOTAL_FIELDS", "LAYER_FIELDS", "SystolicFileError", "EnergyTable", "DATAFLOWS", "BANDWIDTH_MODES",
]

MODEL_VERSION = "1.2"

#: per-layer report quantities (SCALE-Sim's names, lower-cased), then energy and area
LAYER_FIELDS = (
    "total_cycles", "stall_cycles", "compute_cycles", "overall_util_pct", "mapping_eff_pct", "compute_util_pct",
    "sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes", "dram_ifmap_reads", "dram_filter_reads",
    "dram_ofmap_writes", "macs", "energy_uj", "energy_compute_uj", "energy_sram_uj", "energy_dram_uj",
    "energy_static_uj",
)
#: network totals: the per-layer fields summed (utilisations re-derived), plus area, power, time
TOTAL_FIELDS = LAYER_FIELDS + ("area_mm2", "power_mw", "latency_ms", "dram_bandwidth_words_per_cycle")

#: what only the exact replay gives, per layer (``simulate(..., memory="replay")`` and N:M-pruned layers):
#: SCALE-Sim's COMPUTE_REPORT total with prefetch, DETAILED_ACCESS_REPORT start/stop cycles, BANDWIDTH_REPORT
TRACE_FIELDS = ("total_cycles_incl_prefetch", "sram_ifmap_start_cycle", "sram_ifmap_stop_cycle",
                "sram_filter_start_cycle", "sram_filter_stop_cycle", "sram_ofmap_start_cycle", "sram_ofmap_stop_cycle",
                "dram_ifmap_start_cycle", "dram_ifmap_stop_cycle", "dram_filter_start_cycle", "dram_filter_stop_cycle",
                "dram_ofmap_start_cycle", "dram_ofmap_stop_cycle")
BANDWIDTH_FIELDS = ("avg_ifmap_sram_bw", "avg_filter_sram_bw", "avg_ofmap_sram_bw", "avg_ifmap_dram_bw",
                    "avg_filter_dram_bw", "avg_ofmap_dram_bw")

_DF_CODE = {d: i for i, d in enumerate(DATAFLOWS)}


# ---- inputs as arrays ----------------------------------------------------------------------------

def load_workload(path: str | Path) -> list[Layer]:
    """Layers of a SCALE-Sim topology CSV or GEMM CSV (told apart by the header)."""
    return read_topology(path)


def _touched(extent, filt, stride, out):
    """Ifmap rows (or columns) that at least one window touches, SCALE-Sim's ceil output size."""
    full = np.minimum(extent, (out - 1) * stride + filt)
    # stride > filter: disjoint windows; the last may stick out of (or lie wholly beyond) the ifmap
    gappy = (out - 1) * filt + np.clip(extent - (out - 1) * stride, 0, filt)
    return np.where(stride <= filt, full, gappy)


def layer_arrays(layers: Sequence[Layer]) -> dict[str, np.ndarray]:
    """Column arrays (int64) of a layer list: GEMM sizes, conv geometry, footprints, repeat counts."""
    if len(layers) == 0:
        raise ValueError("workload: no layers; allowed: a non-empty list of Layer")
    get = lambda attr: np.array([getattr(l, attr) for l in layers], dtype=np.int64)  # noqa: E731
    a = {k: get(k) for k in ("ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels", "num_filters",
                              "stride_h", "stride_w", "repeat", "ofmap_h", "ofmap_w", "gemm_m", "gemm_n", "gemm_k")}
    a["rows_t"] = _touched(a["ifmap_h"], a["filter_h"], a["stride_h"], a["ofmap_h"])
    a["cols_t"] = _touched(a["ifmap_w"], a["filter_w"], a["stride_w"], a["ofmap_w"])
    a["ifmap_distinct"] = a["rows_t"] * a["cols_t"] * a["channels"]
    # im2col entries that fall outside the ifmap (SCALE-Sim's ceil output size) are no requests
    a["vrows"] = _valid_taps(a["ifmap_h"], a["filter_h"], a["stride_h"], a["ofmap_h"])
    a["vcols"] = _valid_taps(a["ifmap_w"], a["filter_w"], a["stride_w"], a["ofmap_w"])
    a["ifmap_valid"] = a["vrows"] * a["vcols"] * a["channels"]
    # every ifmap address occurs once in the im2col operand (no two windows overlap)
    overlap = ((a["filter_h"] > a["stride_h"]) & (a["ofmap_h"] > 1)) | ((a["filter_w"] > a["stride_w"]) & (a["ofmap_w"] > 1))
    a["single_copy"] = (~overlap).astype(np.int64)
    return a


def _valid_taps(extent, filt, stride, out):
    """Sum over output positions of the filter taps that land inside the ifmap (one dimension)."""
    last = (out - 1) * stride
    return (out - 1) * filt + np.clip(extent - last, 0, filt)


def config_arrays(configs: Sequence[SystolicConfig] | Mapping[str, Sequence] | SystolicConfig) -> dict[str, np.ndarray]:
    """Column arrays of many designs. ``configs`` is a list of :class:`SystolicConfig` or a mapping
    of field name -> array (``dataflow`` as strings or codes 0/1/2 = os/ws/is, ``bandwidth_mode`` as
    strings or a boolean ``user`` array); missing fields take SystolicConfig's defaults."""
    if isinstance(configs, SystolicConfig):
        configs = [configs]
    if not isinstance(configs, Mapping):
        cols = {f: [getattr(c, f) for c in configs] for f in SystolicConfig.__dataclass_fields__}
    else:
        cols = dict(configs)
    n = None
    for v in cols.values():
        if np.ndim(v) > 0:
            n = len(v)
            break
    if n is None:
        n = 1
    d = SystolicConfig()
    out: dict[str, np.ndarray] = {}

    def arr(name, default, dtype=np.int64):
        v = cols.get(name, default)
        if v is None:
            v = default
        x = np.asarray(v)
        if x.ndim == 0:
            x = np.full(n, x.item())
        if x.shape != (n,):
            raise ValueError(f"configs.{name}: expected {n} values, got shape {x.shape}")
        return x.astype(dtype) if dtype is not None else x

    for name in ("array_rows", "array_cols", "ifmap_sram_kb", "filter_sram_kb", "ofmap_sram_kb", "word_size_bytes"):
        out[name] = arr(name, getattr(d, name))
        if (out[name] < 1).any():
            bad = out[name][out[name] < 1][0]
            raise ValueError(f"configs.{name}: value {bad} out of range; allowed: integers >= 1")
    df = arr("dataflow", d.dataflow, None)
    if df.dtype.kind in "US":
        codes = np.array([_DF_CODE.get(str(x).lower(), -1) for x in df], dtype=np.int64)
    else:
        codes = df.astype(np.int64)
    if ((codes < 0) | (codes > 2)).any():
        bad = df[(codes < 0) | (codes > 2)][0]
        bad = bad.item() if hasattr(bad, "item") else bad
        raise ValueError(f"configs.dataflow: value {bad!r} is not allowed; allowed: {list(DATAFLOWS)} or codes 0, 1, 2")
    out["dataflow"] = codes
    if "user" in cols:
        out["user"] = arr("user", False, bool)
    else:
        mode = arr("bandwidth_mode", d.bandwidth_mode, None)
        m = np.char.upper(mode.astype(str))
        bad = ~np.isin(m, BANDWIDTH_MODES)
        if bad.any():
            raise ValueError(f"configs.bandwidth_mode: value {str(mode[bad][0])!r} is not allowed; allowed: {list(BANDWIDTH_MODES)}")
        out["user"] = m == "USER"
    out["bandwidth"] = arr("bandwidth", d.bandwidth)
    out["ifmap_bandwidth"] = arr("ifmap_bandwidth", out["bandwidth"])
    out["filter_bandwidth"] = arr("filter_bandwidth", out["bandwidth"])
    for name in ("bandwidth", "ifmap_bandwidth", "filter_bandwidth"):
        if (out[name] < 1).any():
            raise ValueError(f"configs.{name}: value {out[name][out[name] < 1][0]} out of range; allowed: integers >= 1")
    out["frequency_mhz"] = arr("frequency_mhz", d.frequency_mhz, np.float64)
    for name in ("ifmap_sram_kb", "filter_sram_kb", "ofmap_sram_kb"):
        small = out[name] * 1024 // out["word_size_bytes"] < 100
        if small.any():
            raise ValueError(f"configs.{name}: value {out[name][small][0]} holds fewer than 100 words; allowed: at least 100 words")
    return out


# ---- the model ---------------------------------------------------------------------------------

def _cdiv(a, b):
    return -(-a // b)


#: every count is an int64; a (design, workload) whose bound below reaches this cannot be counted exactly
COUNT_LIMIT = float(2**62)


class CountOverflow(ValueError):
    """A design and workload whose counts would not fit the model's 64-bit integers."""


def count_bound(cfg: Mapping[str, np.ndarray], lay: Mapping[str, np.ndarray]) -> np.ndarray:
    """An upper bound, per design, of the largest count the model forms on the workload (in float64, so
    that it cannot wrap itself): per layer, MACs plus, for every fold, the three operand matrices
    (no fold moves more than them through SRAM or DRAM, and no stall outlasts them at >= 1 word per
    cycle) and the fold's cycles; summed over layers with their repeat counts."""
    f = lambda a: np.asarray(a, dtype=np.float64)  # noqa: E731
    R, C = f(cfg["array_rows"])[:, None], f(cfg["array_cols"])[:, None]
    df = np.asarray(cfg["dataflow"])[:, None]
    M, N, K = (f(lay[k])[None, :] for k in ("gemm_m", "gemm_n", "gemm_k"))
    Sr = np.where(df == 0, M, K)
    Sc = np.where(df == 2, M, N)
    T = np.where(df == 0, K, np.where(df == 1, M, N))
    folds = np.ceil(Sr / R) * np.ceil(Sc / C)
    per_layer = M * N * K + folds * (M * K + K * N + M * N + T + 2 * R + 2 * C)
    return (per_layer * f(lay["repeat"])[None, :]).sum(axis=1)


def check_counts(cfg: Mapping[str, np.ndarray], lay: Mapping[str, np.ndarray]) -> None:
    """Raise :class:`CountOverflow` naming the first design whose counts could exceed :data:`COUNT_LIMIT`."""
    bound = count_bound(cfg, lay)
    bad = np.nonzero(~(bound < COUNT_LIMIT))[0]
    if bad.size:
        i = int(bad[0])
        macs = np.asarray(lay["gemm_m"], np.float64) * lay["gemm_n"] * lay["gemm_k"]
        big = int(np.argmax(macs))
        raise CountOverflow(
            f"design {i} ({cfg['array_rows'][i]}x{cfg['array_cols'][i]} array, {DATAFLOWS[int(cfg['dataflow'][i])]}): "
            f"the workload's counts could reach {bound[i]:.3g}, beyond the 64-bit range the model counts in "
            f"(limit 2^62 = {COUNT_LIMIT:.3g}); its largest layer is M={lay['gemm_m'][big]}, N={lay['gemm_n'][big]}, "
            f"K={lay['gemm_k'][big]} ({macs[big]:.3g} MACs); allowed: smaller layers or a larger array")


def _core(cfg: dict[str, np.ndarray], lay: dict[str, np.ndarray], table: EnergyTable, memory=None) -> dict[str, np.ndarray]:
    """Every per-layer quantity as a (designs, layers) array. ``memory``: the USER-mode
    (dram_ifmap, dram_filter, stall, dram_ofmap) arrays of these designs if already computed (:func:`_user_memory`)."""
    R = cfg["array_rows"][:, None]
    C = cfg["array_cols"][:, None]
    df = cfg["dataflow"][:, None]
    os_, ws_, is_ = df == 0, df == 1, df == 2
    M, N, K = lay["gemm_m"][None, :], lay["gemm_n"][None, :], lay["gemm_k"][None, :]

    Sr = np.where(os_, M, K)
    Sc = np.where(is_, M, N)
    T = np.where(os_, K, np.where(ws_, M, N))
    rf = _cdiv(Sr, R)
    cf = _cdiv(Sc, C)
    folds = rf * cf
    lines = np.where(os_, T + R + C - 2, 2 * R + C + T - 2)  # demand-matrix rows per fold
    util_span = np.where(os_, T + R + C - 2, 2 * R + 2 * C + T - 3)  # SCALE-Sim's per-fold cycle span for utilisation
    compute_cycles = folds * lines - 1
    pes = (R * C).astype(np.float64)
    mapping = (Sr * Sc) / (folds * pes)
    compute_util = (Sr * Sc * T) / (folds * pes * util_span)
    macs = M * N * K + 0 * R  # (designs, layers)

    sram_if = np.where(is_, M * K, cf * M * K)
    sram_f = np.where(os_, rf * K * N, np.where(ws_, K * N, cf * K * N))
    sram_of = np.where(os_, M * N + folds * (R + C), rf * M * N)

    # --- DRAM traffic and stalls ---
    user = cfg["user"][:, None]
    zero = np.zeros(R.shape[:1] + M.shape[1:], dtype=np.int64)
    dram_of = np.where(os_, M * N, sram_of) + zero  # ws/is write every fold's partial sums out
    dram_if, dram_f, stall = zero.copy(), zero.copy(), zero.copy()
    if not user.all():  # estimate mode (only for the designs that use it)
        rows = np.nonzero(~cfg["user"])[0]
        dram_if[rows], dram_f[rows], dram_of[rows], stall[rows] = _calc_memory(cfg, lay, rows)
    if user.any():  # user bandwidth: replay the buffers run by run (prefetch, drain)
        rows = np.nonzero(cfg["user"])[0]
        u_if, u_f, u_stall, u_of = memory if memory is not None else _user_memory(cfg, lay, rows)
        dram_if[rows], dram_f[rows], stall[rows], dram_of[rows] = u_if, u_f, u_stall, u_of
    total = compute_cycles + stall

    e = energy_pj(
        macs=macs, pe_words=2 * macs, sram_ifmap=sram_if, sram_filter=sram_f, sram_ofmap=sram_of,
        dram_words=dram_if + dram_f + dram_of, cycles=total, rows=R, cols=C,
        ifmap_kb=cfg["ifmap_sram_kb"][:, None], filter_kb=cfg["filter_sram_kb"][:, None],
        ofmap_kb=cfg["ofmap_sram_kb"][:, None], word_bytes=cfg["word_size_bytes"][:, None],
        frequency_mhz=cfg["frequency_mhz"][:, None], table=table,
    )
    return {
        "total_cycles": total, "stall_cycles": stall, "compute_cycles": compute_cycles,
        "overall_util_pct": 100.0 * macs / (np.maximum(total, 1) * pes), "mapping_eff_pct": 100.0 * mapping,
        "compute_util_pct": 100.0 * compute_util,
        "sram_ifmap_reads": sram_if, "sram_filter_reads": sram_f, "sram_ofmap_writes": sram_of,
        "dram_ifmap_reads": dram_if, "dram_filter_reads": dram_f, "dram_ofmap_writes": dram_of,
        "macs": macs,
        "energy_uj": e["total"] * 1e-6, "energy_compute_uj": e["compute"] * 1e-6, "energy_sram_uj": e["sram"] * 1e-6,
        "energy_dram_uj": e["dram"] * 1e-6, "energy_static_uj": e["static"] * 1e-6,
        "folds": folds, "pes": pes,
    }


def _calc_memory(cfg, lay, rows):
    """CALC-mode (estimate bandwidth) DRAM reads (ifmap, filter), DRAM ofmap writes and stall cycles of
    designs ``rows`` on every layer, as (designs, layers) arrays: the exact epoch recurrence
    (:func:`.traffic.calc_exact`) where it applies, the estimate (:func:`.traffic.calc_reads`) for
    the ifmaps of overlapping windows, the ofmap write buffer drain by drain (:mod:`.writes`)."""
    Rr, Cr, dfr = (np.ascontiguousarray(cfg[k][rows]) for k in ("array_rows", "array_cols", "dataflow"))
    R, C, df = Rr[:, None], Cr[:, None], dfr[:, None]
    os_, ws_, is_ = df == 0, df == 1, df == 2
    M, N, K = lay["gemm_m"][None, :], lay["gemm_n"][None, :], lay["gemm_k"][None, :]
    rf = _cdiv(np.where(os_, M, K), R)
    cf = _cdiv(np.where(is_, M, N), C)
    words = lambda kb: (kb[rows] * 1024 // cfg["word_size_bytes"][rows])[:, None]  # noqa: E731
    zero = np.zeros((len(rows), M.shape[1]), dtype=np.int64)
    x = {k: lay[k][None, :] for k in ("ifmap_distinct", "ifmap_valid", "rows_t", "cols_t", "vrows", "vcols",
                                      "stride_h", "stride_w", "channels", "filter_h", "filter_w", "ofmap_w")}
    x.update({"os": os_, "ws": ws_, "is": is_, "M": M, "N": N, "K": K, "R": R, "C": C, "rf": rf, "cf": cf,
              "epoch_if": 50 * (words(cfg["ifmap_sram_kb"]) // 100),
              "epoch_f": 50 * (words(cfg["filter_sram_kb"]) // 100)})
    calc_if, calc_f = calc_reads(x)
    c_if = np.rint(calc_if).astype(np.int64) + zero
    c_f = np.rint(calc_f).astype(np.int64) + zero
    c_of = np.where(os_, M * N, rf * M * N) + zero  # ws/is write every fold's partial sums out
    c_st = zero.copy()
    calc_exact(dfr, Rr, Cr, 50 * (words(cfg["ifmap_sram_kb"])[:, 0] // 100),
               50 * (words(cfg["filter_sram_kb"])[:, 0] // 100), lay["gemm_m"], lay["gemm_n"], lay["gemm_k"],
               lay["ifmap_valid"], lay["single_copy"], c_if, c_f)
    none = np.zeros(c_of.shape, dtype=np.int64)
    B_of = np.ascontiguousarray(words(cfg["ofmap_sram_kb"])[:, 0])
    few = drains(dfr, Rr, Cr, B_of, Cr, lay["gemm_m"], lay["gemm_n"], lay["gemm_k"]) <= MAX_CALC_DRAINS
    write_buffers(dfr, Rr, Cr, B_of, Cr, lay["gemm_m"], lay["gemm_n"], lay["gemm_k"], c_of, c_st, NO_PROFILE,
                  NO_PROFILE, none, none, few)
    return c_if, c_f, c_of, c_st


def _user_memory(cfg, lay, rows):
    """USER-mode DRAM reads (ifmap, filter), stall cycles and DRAM ofmap writes of designs ``rows`` on
    every layer, as (designs, layers) arrays. Designs that share dataflow, array shape and SRAM size
    share their read-buffer replays, so this is best called on a whole batch at once.

    Where neither read buffer ever stalls the array, the ofmap write buffer alone sets the stall and
    is replayed event by event (:mod:`.writes`, exact); elsewhere its drains are combined with the
    read buffers' stall profiles (:mod:`.drain`). The DRAM ofmap writes are always the event
    replay's (exact without read stalls; a read stall only moves the drains' partial lines)."""
    if len(rows) == len(cfg["array_rows"]):  # every design (rows is sorted and distinct): no copies
        pick = {k: np.ascontiguousarray(cfg[k]) for k in _USER_COLUMNS}
    else:
        pick = {k: np.ascontiguousarray(cfg[k][rows]) for k in _USER_COLUMNS}
    R, C, df = pick["array_rows"], pick["array_cols"], pick["dataflow"]
    M, N, K = (lay[k] for k in ("gemm_m", "gemm_n", "gemm_k"))
    w_if, w_f, w_of = (pick[k] * 1024 // pick["word_size_bytes"] for k in ("ifmap_sram_kb", "filter_sram_kb",
                                                                            "ofmap_sram_kb"))
    out, prof, adv = [], [], []
    for op, (words, bw, stream) in enumerate(((w_if, pick["ifmap_bandwidth"], lay["ifmap_valid"]),
                                              (w_f, pick["filter_bandwidth"], K * N))):
        reads, p, row, k = read_buffer(op, df, R, C, words, bw, M, N, K, stream)
        out.append(reads)
        adv.append(k)
        prof.append((p, np.ascontiguousarray(row)))
    stall = np.zeros((len(rows), len(M)), dtype=np.int64)
    dram_of = np.zeros_like(stall)
    # few advances and drains: the three buffers replayed together, advance by advance and drain by drain;
    # elsewhere the ofmap buffer drain by drain against the read-stall profiles (exact where the reads
    # never stall) while the drains are few, the drain model's stall where the reads stall
    user_stalls(df, R, C, w_if, w_f, pick["ifmap_bandwidth"], pick["filter_bandwidth"], w_of, pick["bandwidth"], M, N,
                K, lay["ifmap_valid"], lay["single_copy"], adv[0], adv[1], prof[0][0], prof[0][1], prof[1][0],
                prof[1][1], MAX_ADVANCES, MAX_DRAINS, stall, dram_of)
    return out[0], out[1], stall, dram_of


_USER_COLUMNS = ("array_rows", "array_cols", "dataflow", "ifmap_sram_kb", "filter_sram_kb", "ofmap_sram_kb",
                 "word_size_bytes", "ifmap_bandwidth", "filter_bandwidth", "bandwidth")
#: USER mode, per (design, layer): with at most MAX_ADVANCES window advances per read operand and
#: MAX_DRAINS ofmap drains the three buffers are replayed together event by event (exact; an ifmap
#: whose pixels recur must not advance at all); beyond, the run replay's stall profiles and the drain
#: model estimate the stall. The bounds keep the cost of a design per layer within a few microseconds.
MAX_DRAINS = 16
MAX_ADVANCES = 32
#: CALC mode: layers with more ofmap drains than this keep every output written once per fold (no
#: line padding, no drain waits) instead of the drain-by-drain replay (a few ns per drain)
MAX_CALC_DRAINS = 4096

_SUMMED = ("total_cycles", "stall_cycles", "compute_cycles", "sram_ifmap_reads", "sram_filter_reads",
           "sram_ofmap_writes", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes", "macs", "energy_uj",
           "energy_compute_uj", "energy_sram_uj", "energy_dram_uj", "energy_static_uj")


def _totals(per: dict[str, np.ndarray], rep: np.ndarray, cfg: dict[str, np.ndarray], table: EnergyTable) -> dict[str, np.ndarray]:
    """Network totals over layers (weighted by repeat counts) for every design."""
    out = {k: (per[k] * rep[None, :]).sum(axis=1) for k in _SUMMED}
    pes = cfg["array_rows"].astype(np.float64) * cfg["array_cols"]
    cycles = np.maximum(out["total_cycles"], 1)  # SCALE-Sim divides by zero on a 0-cycle (1x1x1) layer
    out["overall_util_pct"] = 100.0 * out["macs"] / (cycles * pes)
    # SCALE-Sim averages these over a layer's folds; over a network, average over all folds
    w = per["folds"] * rep[None, :]
    out["mapping_eff_pct"] = (per["mapping_eff_pct"] * w).sum(axis=1) / w.sum(axis=1)
    out["compute_util_pct"] = (per["compute_util_pct"] * w).sum(axis=1) / w.sum(axis=1)
    out["area_mm2"] = area_mm2(cfg["array_rows"], cfg["array_cols"], cfg["ifmap_sram_kb"], cfg["filter_sram_kb"],
                               cfg["ofmap_sram_kb"], table)
    seconds = cycles / (cfg["frequency_mhz"] * 1e6)
    out["latency_ms"] = seconds * 1e3
    out["power_mw"] = out["energy_uj"] * 1e-6 / seconds * 1e3
    dram = out["dram_ifmap_reads"] + out["dram_filter_reads"] + out["dram_ofmap_writes"]
    out["dram_bandwidth_words_per_cycle"] = dram / cycles
    return out


def distinct_layers(lay: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``lay`` with identical layers merged (their repeat counts summed): network totals are the
    same, and a transformer's hundreds of GEMMs collapse to a handful of shapes."""
    if "_distinct" in lay:
        return dict(lay)
    keys = np.stack([lay[k] for k in _SHAPE_KEYS], axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    out = {k: v[first] for k, v in lay.items()}
    out["repeat"] = np.bincount(inverse.reshape(-1), weights=lay["repeat"]).astype(np.int64)
    out["_distinct"] = np.ones(len(first), dtype=bool)  # marks an already merged table
    return out


_SHAPE_KEYS = ("ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels", "num_filters", "stride_h", "stride_w")
#: (designs x distinct layers) evaluated per numpy pass: large enough to amortise numpy's per-call
#: overhead, small enough for the temporaries to stay in cache
_CHUNK = 65536
#: (designs x distinct layers) of one USER-mode memory pass: designs in one pass share read-buffer replays
_USER_CHUNK = 1 << 20


def _has_layout(config) -> bool:
    """Whether ``config`` asks for a SCALE-Sim custom SRAM layout (modelled by the exact replay only)."""
    return isinstance(config, LayoutConfig) and (config.ifmap_layout is not None or config.filter_layout is not None)


def simulate_batch(configs, layers: Sequence[Layer] | Mapping[str, np.ndarray], *, table: EnergyTable = DEFAULT_TABLE,
                   per_layer: bool = False, check: bool = True) -> dict[str, np.ndarray]:
    """Network totals of many designs at once.

    ``configs``: a list of :class:`SystolicConfig` or a mapping field -> array (see
    :func:`config_arrays`). ``layers``: a list of :class:`Layer` or the output of
    :func:`layer_arrays` (precompute it once when evaluating many batches).
    Returns field -> array of shape (designs,) for every name in :data:`TOTAL_FIELDS`; with
    ``per_layer=True`` also ``"layers"``: field -> (designs, layers) arrays. Designs whose counts could
    exceed 64-bit integers raise :class:`CountOverflow`; ``check=False`` skips that test, for a caller
    that has bounded every design it passes with :func:`count_bound` already.
    """
    if isinstance(configs, SystolicConfig):
        configs = [configs]
    if not isinstance(configs, Mapping) and any(_has_layout(c) for c in configs):
        raise ValueError("simulate_batch: configs with a custom SRAM layout (IfmapCustomLayout/FilterCustomLayout) are "
                         "not modelled by the batched analytic path; allowed: simulate(config, layers, "
                         "memory='replay'), which models the layout's bank conflicts exactly")
    if not isinstance(configs, Mapping) and any(c.optimized_mapping for c in configs):
        raise ValueError("simulate_batch: configs with optimized_mapping (SCALE-Sim's optimized sparse mapping) are not "
                         "modelled in the batch path; allowed: simulate() per design, which runs them exactly")
    if not isinstance(configs, Mapping) and any(c.sparsity_support for c in configs) and (
            isinstance(layers, Mapping) or any(l.sparse_k != l.gemm_k for l in layers)):
        raise ValueError("simulate_batch: configs with sparsity_support and N:M-sparse layers (or layer arrays, "
                         "which carry no sparsity) are not modelled in the batch path; allowed: simulate() per design, "
                         "which runs sparse layers exactly")
    cfg = configs if isinstance(configs, Mapping) and "user" in configs and isinstance(configs.get("array_rows"), np.ndarray) \
        else config_arrays(configs)
    lay = layers if isinstance(layers, Mapping) else layer_arrays(layers)
    if check:
        check_counts(cfg, lay)
    if per_layer:
        per = _core(cfg, lay, table)
        out = _totals(per, lay["repeat"], cfg, table)
        out["layers"] = {k: per[k] for k in LAYER_FIELDS}
        return out
    lay = distinct_layers(lay)
    n, J = len(cfg["array_rows"]), len(lay["repeat"])
    user = cfg["user"]
    users = np.nonzero(user)[0]
    if users.size == n:  # USER mode only (the environment's designs): the whole batch's memory in one go
        dram_if, dram_f, stall, dram_of = _user_memory(cfg, lay, users) if n * J <= _USER_CHUNK else _memory(cfg, lay, users)
    else:
        dram_if, dram_f, stall, dram_of = _memory(cfg, lay, users)
    ints = np.empty((len(INT_FIELDS), n), dtype=np.int64)
    floats = np.empty((len(FLOAT_FIELDS), n), dtype=np.float64)
    network_totals(cfg["array_rows"], cfg["array_cols"], cfg["dataflow"], cfg["ifmap_sram_kb"], cfg["filter_sram_kb"],
                   cfg["ofmap_sram_kb"], cfg["word_size_bytes"], cfg["frequency_mhz"], lay["gemm_m"], lay["gemm_n"],
                   lay["gemm_k"], lay["repeat"], dram_if, dram_f, stall, dram_of, _table_array(table), ints, floats)
    out = dict(zip(INT_FIELDS, ints))
    out.update(zip(FLOAT_FIELDS, floats))
    return {k: out[k] for k in _TOTALS_ORDER}


#: the order of :func:`_totals`'s keys, which :func:`simulate_batch` keeps
_TOTALS_ORDER = _SUMMED + ("overall_util_pct", "mapping_eff_pct", "compute_util_pct", "area_mm2", "latency_ms",
                           "power_mw", "dram_bandwidth_words_per_cycle")


def _memory(cfg, lay, users):
    """(designs, layers) DRAM reads (ifmap, filter), stall cycles and DRAM ofmap writes of every design
    of ``cfg``: USER-mode designs ``users`` in passes of :data:`_USER_CHUNK` (designs in one pass share
    read-buffer replays), the others in CALC mode in passes of :data:`_CHUNK` (numpy temporaries)."""
    n, J = len(cfg["array_rows"]), len(lay["repeat"])
    mem = [np.zeros((n, J), dtype=np.int64) for _ in range(4)]
    u_step = max(1, _USER_CHUNK // J)
    for i in range(0, len(users), u_step):
        rows = users[i:i + u_step]
        for m, v in zip(mem, _user_memory(cfg, lay, rows)):
            m[rows] = v
    calc = np.nonzero(~cfg["user"])[0]
    step = max(1, _CHUNK // J)
    for i in range(0, len(calc), step):
        rows = calc[i:i + step]
        c_if, c_f, c_of, c_st = _calc_memory(cfg, lay, rows)
        mem[0][rows], mem[1][rows], mem[2][rows], mem[3][rows] = c_if, c_f, c_st, c_of
    return tuple(mem)


_TABLES: dict = {}


def _table_array(table: EnergyTable) -> np.ndarray:
    """:func:`.network.table_array` of ``table``, remembered (tables are frozen dataclasses)."""
    a = _TABLES.get(table)
    if a is None:
        if len(_TABLES) > 64:
            _TABLES.clear()
        a = _TABLES[table] = table_array(table)
    return a


def simulate(config: SystolicConfig, layers: Sequence[Layer], *, table: EnergyTable = DEFAULT_TABLE,
             memory: str = "analytic") -> dict:
    """One design on one workload: ``{"config", "layers": [per-layer dicts], "total": {...}}``.

    ``memory="analytic"`` (default) estimates DRAM traffic and stalls in closed form;
    ``memory="replay"`` replays SCALE-Sim's SRAM/DRAM buffer state machines (numba) and reproduces
    its DRAM counts, stall and total cycles exactly (slower: proportional to the simulated cycles),
    and adds SCALE-Sim's start/stop cycles and bandwidth averages (:data:`TRACE_FIELDS`,
    :data:`BANDWIDTH_FIELDS`) to each layer's row. On a design with ``sparsity_support``, N:M-pruned
    layers (and every layer under ``optimized_mapping``) are always replayed exactly, with those
    fields, and every row carries SCALE-Sim's SPARSE_REPORT figures (:mod:`.sparsity`).
    """
    if not isinstance(config, SystolicConfig):
        raise TypeError(f"config must be a SystolicConfig, got {type(config).__name__}")
    layers = list(layers)
    if memory not in ("analytic", "replay"):
        raise ValueError(f"memory: value {memory!r} is not allowed; allowed: ['analytic', 'replay']")
    if memory == "analytic" and _has_layout(config):
        raise ValueError("memory: value 'analytic' is not allowed with a custom SRAM layout (IfmapCustomLayout/"
                         "FilterCustomLayout): the analytic path does not model its bank conflicts; allowed: 'replay'")
    cfg = config_arrays([config])
    lay = layer_arrays(layers)
    check_counts(cfg, lay)
    per = _core(cfg, lay, table)
    pruned = [j for j, layer in enumerate(layers) if is_pruned(config, layer)]
    traces: dict[int, dict] = {}  # replayed layers: SCALE-Sim's start/stop cycles
    if config.optimized_mapping:  # every layer: SCALE-Sim's optimized sparse mapping, matrix by matrix
        executed = per["macs"].copy()
        for j, layer in enumerate(layers):
            r = optimized_layer(config, layer)
            for k in ("total_cycles", "stall_cycles", "compute_cycles", "dram_ifmap_reads", "dram_filter_reads",
                      "dram_ofmap_writes", "sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes",
                      "mapping_eff_pct", "compute_util_pct", "folds"):
                per[k][0, j] = r[k]
            executed[0, j] = r["executed_macs"]
            traces[j] = {k: r[k] for k in TRACE_FIELDS}
        _refresh_derived(per, cfg, table, executed)
    elif memory == "replay" or pruned:
        executed = per["macs"].copy()
        if pruned:  # N:M layers: the fold arithmetic of their compressed window, memory replayed exactly
            comp = _core(cfg, layer_arrays([Layer.gemm(layers[j].name, layers[j].gemm_m, layers[j].gemm_n,
                                                       layers[j].sparse_k) for j in pruned]), table)
            for k in ("compute_cycles", "mapping_eff_pct", "compute_util_pct", "sram_ifmap_reads", "sram_filter_reads",
                      "sram_ofmap_writes", "folds", "macs"):
                target = executed if k == "macs" else per[k]
                target[0, pruned] = comp[k][0]
        for j in range(len(layers)) if memory == "replay" else pruned:
            r = replay_layer(config, layers[j])
            for k in ("total_cycles", "stall_cycles", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes"):
                per[k][0, j] = r[k]
            traces[j] = {k: r[k] for k in TRACE_FIELDS}
        per["compute_cycles"] = per["total_cycles"] - per["stall_cycles"]
        if pruned and config.dataflow == "ws":  # ws reads each ifmap block M/N times (SCALE-Sim's float sum)
            reads = per["sram_ifmap_reads"].astype(np.float64)
            for j in pruned:
                reads[0, j] = ws_ifmap_reads(config, layers[j])
            per["sram_ifmap_reads"] = reads.astype(np.int64) if (reads == np.rint(reads)).all() else reads
        _refresh_derived(per, cfg, table, executed)
    tot = _totals(per, lay["repeat"], cfg, table)
    rows = []
    for j, layer in enumerate(layers):
        row = {"layer": layer.name, **layer.to_dict()}
        row.pop("name")
        row.update({"gemm_m": layer.gemm_m, "gemm_n": layer.gemm_n, "gemm_k": layer.gemm_k})
        for k in LAYER_FIELDS:
            row[k] = _py(per[k][0, j])
        if j in traces:
            row.update(traces[j])
            row.update(_bandwidths(row))
        if config.sparsity_support:
            row.update(sparse_report(config, layer, row["total_cycles"]))
        rows.append(row)
    return {
        "model": f"archgym.simulators.systolic {MODEL_VERSION} ({memory})",
        "config": config.to_dict(),
        "layers": rows,
        "total": {k: _py(tot[k][0]) for k in TOTAL_FIELDS},
    }


def _bandwidths(row: dict) -> dict:
    """SCALE-Sim's BANDWIDTH_REPORT of a replayed layer: SRAM accesses per total cycle, DRAM accesses
    per cycle of the operand's DRAM trace span (first to last cycle, inclusive)."""
    cycles = max(row["total_cycles"], 1)
    out = {f"avg_{op}_sram_bw": row[f"sram_{op}_{rw}"] / cycles
           for op, rw in (("ifmap", "reads"), ("filter", "reads"), ("ofmap", "writes"))}
    for op, rw in (("ifmap", "reads"), ("filter", "reads"), ("ofmap", "writes")):
        span = row[f"dram_{op}_stop_cycle"] - row[f"dram_{op}_start_cycle"] + 1
        out[f"avg_{op}_dram_bw"] = row[f"dram_{op}_{rw}"] / span
    return out


def _refresh_derived(per: dict, cfg: dict, table: EnergyTable, executed=None) -> None:
    """Recompute utilisation and energy after cycle/DRAM figures were replaced. ``executed``: the MACs
    the array performs, if fewer than SCALE-Sim's dense count ``macs`` (N:M-pruned layers)."""
    pes = per["pes"]
    per["overall_util_pct"] = 100.0 * per["macs"] / (np.maximum(per["total_cycles"], 1) * pes)
    executed = per["macs"] if executed is None else executed
    e = energy_pj(
        macs=executed, pe_words=2 * executed, sram_ifmap=per["sram_ifmap_reads"],
        sram_filter=per["sram_filter_reads"], sram_ofmap=per["sram_ofmap_writes"],
        dram_words=per["dram_ifmap_reads"] + per["dram_filter_reads"] + per["dram_ofmap_writes"],
        cycles=per["total_cycles"], rows=cfg["array_rows"][:, None], cols=cfg["array_cols"][:, None],
        ifmap_kb=cfg["ifmap_sram_kb"][:, None], filter_kb=cfg["filter_sram_kb"][:, None],
        ofmap_kb=cfg["ofmap_sram_kb"][:, None], word_bytes=cfg["word_size_bytes"][:, None],
        frequency_mhz=cfg["frequency_mhz"][:, None], table=table,
    )
    per["energy_uj"] = e["total"] * 1e-6
    for k in ("compute", "sram", "dram", "static"):
        per[f"energy_{k}_uj"] = e[k] * 1e-6


def _py(x):
    """A numpy scalar as a plain Python int/float (for JSON)."""
    return np.asarray(x).item()
