"""Reading SCALE-Sim 3.0's own input files, unchanged: its ``.cfg`` and its two layer-table CSVs.

- topology CSV (convolutions): header ``Layer name, IFMAP Height, IFMAP Width, Filter Height,
  Filter Width, Channels, Num Filter, Strides,`` then one row per layer (an optional ninth field is
  the layer's ``N:M`` sparsity ratio, 1 <= N <= M; the GEMM CSV's optional fifth). As in
  SCALE-Sim, a layer whose name contains ``DP`` is depth-wise:
  it runs as one single-channel layer per channel (kept here as one :class:`Layer` with ``repeat``).
- GEMM CSV: header ``Layer, M, N, K,`` then one row per layer.
- cfg: sections [general], [architecture_presets], [layout], [sparsity], [run_presets] (and the
  older [network_presets]). N:M sparsity (SparsitySupport, per-layer ratios, SparseRep, and the
  optimized mapping: OptimizedMapping, BlockSize, RandomNumberGeneratorSeed) is read, and so are
  custom SRAM layouts (IfmapCustomLayout/FilterCustomLayout with the [layout] banks: the config is then
  a :class:`~..layout.LayoutConfig`); Ramulator DRAM traces are refused by name.
- layout CSV (SCALE-Sim's ``-l``): header, then rows ``Layer name`` and 20 integers (:data:`LAYOUT_FIELDS`);
  SCALE-Sim drops each row's last field (rows end with a comma) and uses the first row for every layer.

The two CSV formats are told apart by their header. Every error is a :class:`SystolicFileError`
naming the file, the line and the field.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...textfile import decode_error
from ..layout import LayoutConfig, OperandLayout
from ..spec import SPARSE_REPS, Layer, SystolicConfig


class SystolicFileError(ValueError):
    """A SCALE-Sim input file that cannot be used; the message names file, line and field."""

    def __init__(self, path, line: int | None, field: str | None, message: str):
        self.path, self.line, self.field = str(path), line, field
        where = f"{path}"
        if line is not None:
            where += f", line {line}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")


CONV_FIELDS = ("Layer name", "IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels",
               "Num Filter", "Strides")
GEMM_FIELDS = ("Layer", "M", "N", "K")


def _read_text(path: Path, what: str) -> str:
    """The text of one of SCALE-Sim's files; an unreadable or undecodable one is a :class:`SystolicFileError`
    naming the file (``what``: "file", "layout file")."""
    try:
        return path.read_text()
    except OSError as e:
        raise SystolicFileError(path, None, None, f"cannot read the {what} ({e.strerror or e})") from None
    except UnicodeDecodeError as e:
        raise SystolicFileError(path, None, None, decode_error(e)) from None


def _split_row(text: str) -> list[str]:
    """Fields of one CSV row; a trailing empty field (SCALE-Sim rows end with a comma) and a trailing
    ``#`` comment field are dropped."""
    parts = [p.strip() for p in text.strip().split(",")]
    while parts and (parts[-1] == "" or parts[-1].startswith("#")):
        parts.pop()
    return parts


def topology_format(header: str) -> str | None:
    """``"conv"``, ``"gemm"`` or None for the header line of a layer CSV."""
    cols = [c.lower().replace(" ", "") for c in _split_row(header)]
    if len(cols) >= 4 and cols[1:4] == ["m", "n", "k"]:
        return "gemm"
    if len(cols) >= 2 and cols[1].startswith("ifmap"):
        return "conv"
    return None


def _int_field(path, line: int, field: str, text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise SystolicFileError(path, line, field, f"value {text!r} is not an integer; allowed: integers >= 1") from None
    if v < 1:
        raise SystolicFileError(path, line, field, f"value {v} out of range; allowed: integers >= 1")
    return v


def _sparsity(path, line: int, text: str, heading: str | None = None) -> tuple[int, int]:
    """The ``N:M`` ratio of a topology row's column after the layer fields (SCALE-Sim reads that
    column as the ratio whatever its heading): 1 <= N <= M."""
    ratio = text.replace(" ", "")
    parts = ratio.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        if heading and heading.replace(" ", "").lower() != "sparsity":
            raise SystolicFileError(path, line, heading,
                                    f"value {text!r} in the column after the layer fields, headed {heading!r}: SCALE-Sim "
                                    "reads that column as the layer's N:M sparsity ratio whatever its heading, so it must "
                                    "be one; allowed: an N:M ratio with 1 <= N <= M (1:1 is dense) or no such column")
        raise SystolicFileError(path, line, "Sparsity", f"value {text!r} is not an N:M ratio; allowed: N:M with 1 <= N <= M")
    n, m = int(parts[0]), int(parts[1])
    if not 1 <= n <= m:
        raise SystolicFileError(path, line, "Sparsity", f"ratio {text!r} out of range; allowed: N:M with 1 <= N <= M "
                                "(SCALE-Sim keeps N of every M window elements)")
    return n, m


def read_topology(path: str | Path) -> list[Layer]:
    """Layers of a SCALE-Sim topology CSV (conv) or GEMM CSV (told apart by the header)."""
    path = Path(path)
    lines = _read_text(path, "file").splitlines()
    if not lines or not lines[0].strip():
        raise SystolicFileError(path, 1, None, "missing header; expected a topology header "
                                f"({', '.join(CONV_FIELDS)}) or a GEMM header ({', '.join(GEMM_FIELDS)})")
    kind = topology_format(lines[0])
    if kind is None:
        raise SystolicFileError(path, 1, None, f"unrecognised header {lines[0].strip()!r}; expected a topology header "
                                f"({', '.join(CONV_FIELDS)}) or a GEMM header ({', '.join(GEMM_FIELDS)})")
    names = CONV_FIELDS if kind == "conv" else GEMM_FIELDS
    header = _split_row(lines[0])
    extra_heading = header[len(names)] if len(header) > len(names) else None
    layers: list[Layer] = []
    for lineno, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        parts = _split_row(raw)
        last = raw.strip().rsplit(",", 1)[-1].strip()
        if last and not last.startswith("#"):  # no trailing comma: SCALE-Sim would drop this field
            loses = ("the row's sparsity ratio (it would run the layer dense)" if len(parts) == len(names) + 1
                     else f"the field {names[len(parts) - 1]!r} and then fail to read the file"
                     if len(parts) == len(names) else "this field")
            warnings.warn(f"{path}:{lineno}: the row does not end with a comma; SCALE-Sim 3.0 drops the last field "
                          f"of every row ({last!r} here), so it would lose {loses}; read here with every field",
                          stacklevel=2)
        if len(parts) < len(names) or len(parts) > len(names) + 1:
            raise SystolicFileError(path, lineno, None,
                                    f"expected {len(names)} fields ({', '.join(names)}) and an optional sparsity "
                                    f"ratio, got {len(parts)}: {raw.strip()!r}")
        name = parts[0]
        if not name:
            raise SystolicFileError(path, lineno, names[0], "empty layer name")
        vals = [_int_field(path, lineno, f, t) for f, t in zip(names[1:], parts[1:len(names)])]
        sp_n, sp_m = _sparsity(path, lineno, parts[len(names)], extra_heading) if len(parts) > len(names) else (1, 1)
        try:
            if kind == "gemm":
                m, n, k = vals
                layers.append(Layer.gemm(name, m, n, k, sparsity=(sp_n, sp_m)))
            else:
                ih, iw, fh, fw, ch, nf, st = vals
                if "DP" in name:  # SCALE-Sim: depth-wise, one single-channel layer per channel
                    layers.append(Layer(name, ih, iw, fh, fw, 1, nf, st, st, repeat=ch, sparsity_n=sp_n, sparsity_m=sp_m))
                else:
                    layers.append(Layer(name, ih, iw, fh, fw, ch, nf, st, st, sparsity_n=sp_n, sparsity_m=sp_m))
        except ValueError as e:
            msg = str(e)
            field = None
            for f, attr in zip(names[1:], ("ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels", "num_filters")):
                if f".{attr}:" in msg:
                    field = f
                    break
            raise SystolicFileError(path, lineno, field, msg) from None
    if not layers:
        raise SystolicFileError(path, None, None, "no layers after the header")
    return layers


# ---- layout CSV --------------------------------------------------------------------------------

#: SCALE-Sim 3.0's layout CSV columns after the layer name (its ``write_layout_file`` header)
LAYOUT_FIELDS = ("IFMAP Height Intraline Factor", "IFMAP Width Intraline Factor", "Filter Height Intraline Factor",
                 "Filter Width Intraline Factor", "Channel Intraline Factor", "Num Filter Intraline Factor",
                 "IFMAP Height Intraline Order", "IFMAP Width Intraline Order", "Channel Intraline Order",
                 "IFMAP Height Interline Order", "IFMAP Width Interline Order", "Channel Interline Order",
                 "Num Filter Intraline Order", "Channel Intraline Order", "Filter Height Intraline Order",
                 "Filter Width Intraline Order", "Num Filter Interline Order", "Channel Interline Order",
                 "Filter Height Interline Order", "Filter Width Interline Order")
#: SCALE-Sim's default ``-l`` layout file, relative to its repository root (the cfg folder's parent)
DEFAULT_LAYOUT = Path("layouts") / "conv_nets" / "test.csv"


@dataclass
class LayoutRow:
    """The layout row SCALE-Sim uses (its first): the values as its ``layout_arrays`` entry holds them."""

    path: str
    line: int
    name: str
    values: list[int]  # entry[1:], 1-based field i of the row is values[i - 1]

    def field(self, i: int) -> str:
        return LAYOUT_FIELDS[i - 1] if i <= len(LAYOUT_FIELDS) else f"column {i + 1}"

    def operand(self, op: int, banks: int, ports: int) -> OperandLayout:
        """Operand ``op`` (0 ifmap, 1 filter) as SCALE-Sim's accessors read it from this row."""
        v = [None, *self.values]
        idx = ((1, 2, 5), (7, 8, 9), (10, 11, 12)) if op == 0 else ((6, 5, 3, 4), (13, 14, 15, 16),
                                                                      tuple(range(17, len(v))))
        need = 13 if op == 0 else 21
        if len(v) < need or (op == 1 and len(v) != 21):
            raise SystolicFileError(self.path, self.line, self.field(min(len(v), need - 1)),
                                    f"the row has {len(v) - 1} values after the layer name (SCALE-Sim drops the "
                                    f"last field of each row, so a row must end with a comma); allowed: "
                                    f"{'at least 12' if op == 0 else 'exactly 20'} for the "
                                    f"{'ifmap' if op == 0 else 'filter'} layout")
        factors, intra, inter = (tuple(v[i] for i in group) for group in idx)
        for i in idx[0]:
            if v[i] < 1:
                raise SystolicFileError(self.path, self.line, self.field(i), f"value {v[i]} out of range; allowed: "
                                        "integers >= 1 (an intraline factor)")
        n = len(factors)
        if sorted(inter + intra) != list(range(2 * n)):
            raise SystolicFileError(self.path, self.line, self.field(idx[2][0]),
                                    f"{'ifmap' if op == 0 else 'filter'} interline order {list(inter)} and intraline "
                                    f"order {list(intra)} are not a permutation of 0..{2 * n - 1}; allowed: each of "
                                    f"the {2 * n} axes once (SCALE-Sim transposes by them)")
        return OperandLayout(factors, intra, inter, banks, ports)


def read_layout(path: str | Path) -> LayoutRow:
    """The layout row SCALE-Sim 3.0 uses from a layout CSV: the first after the header (a depth-wise
    ``DP`` row counts once per channel, its channel factor set to 1, as SCALE-Sim expands it). As in
    SCALE-Sim every row's fields but the last must be integers."""
    path = Path(path)
    text = _read_text(path, "layout file")
    first = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        row = raw.strip()
        if lineno == 1 or row == "":
            continue
        elems = row.split(",")[:-1]
        if len(elems) < 1:
            raise SystolicFileError(path, lineno, None, "a row without a comma: SCALE-Sim drops each row's last "
                                    "field; allowed: 'Layer name, <20 integers>,'")
        values = []
        for i, e in enumerate(elems[1:], start=1):
            try:
                values.append(int(e.strip()))
            except ValueError:
                name = LAYOUT_FIELDS[i - 1] if i <= len(LAYOUT_FIELDS) else f"column {i + 1}"
                raise SystolicFileError(path, lineno, name, f"value {e.strip()!r} is not an integer; allowed: "
                                        "integers (SCALE-Sim reads every field of every row as one)") from None
        if len(elems) < 9 and len(values) >= 7:  # SCALE-Sim repeats field 7 for a short row
            values.insert(7, values[6])
        name = elems[0].strip()
        copies = 1
        if "DP" in name:
            if len(values) < 5:
                raise SystolicFileError(path, lineno, LAYOUT_FIELDS[4], "a depth-wise (DP) row without its channel "
                                        "count; allowed: 20 integers after the name")
            copies = values[4]
            values[4] = 1
        if first is None and copies >= 1:
            first = LayoutRow(str(path), lineno, name, values)
    if first is None:
        raise SystolicFileError(path, None, None, "no layout row after the header; allowed: one row per layer, "
                                "SCALE-Sim uses the first")
    return first


def _layout_path(cfg_path: Path, vals: dict, layout) -> Path:
    """The layout file SCALE-Sim would read: the one given, else ``[network_presets] LayoutCsvLoc``
    (relative to the cfg), else SCALE-Sim's default ``-l`` (:data:`DEFAULT_LAYOUT`) in the cfg
    folder's parent, as in SCALE-Sim's repository (configs/ beside layouts/)."""
    if layout is not None:
        return Path(layout)
    loc = vals.get(("network_presets", "LayoutCsvLoc"))
    if loc is not None:
        p = Path(loc[0].strip().strip('"').strip("'"))
        return p if p.is_absolute() else cfg_path.parent / p
    return cfg_path.resolve().parent.parent / DEFAULT_LAYOUT


# ---- cfg ---------------------------------------------------------------------------------------

#: section -> key (lower case) -> canonical spelling; keys SCALE-Sim 3.0 reads or writes
CFG_KEYS: dict[str, tuple[str, ...]] = {
    "general": ("run_name",),
    "architecture_presets": ("ArrayHeight", "ArrayWidth", "IfmapSramSzkB", "FilterSramSzkB", "OfmapSramSzkB",
                             "IfmapOffset", "FilterOffset", "OfmapOffset", "Bandwidth", "Dataflow", "MemoryBanks",
                             "ReadRequestBuffer", "WriteRequestBuffer"),
    "layout": ("IfmapCustomLayout", "IfmapSRAMBankBandwidth", "IfmapSRAMBankNum", "IfmapSRAMBankPort",
               "FilterCustomLayout", "FilterSRAMBankBandwidth", "FilterSRAMBankNum", "FilterSRAMBankPort"),
    "sparsity": ("SparsitySupport", "SparseRep", "OptimizedMapping", "BlockSize", "RandomNumberGeneratorSeed",
                 "NonZeroElems"),
    "run_presets": ("InterfaceBandwidth", "UseRamulatorTrace"),
    "network_presets": ("TopologyCsvLoc", "LayoutCsvLoc"),
}
REQUIRED = {"architecture_presets": ("ArrayHeight", "ArrayWidth", "IfmapSramSzkB", "FilterSramSzkB", "OfmapSramSzkB",
                                     "Dataflow")}


@dataclass
class ScaleSimConfig:
    """A parsed SCALE-Sim cfg: the model's config plus the run name and what else the file said."""

    config: SystolicConfig
    run_name: str
    values: dict  # (section, key) -> (value, line)
    topology: str | None = None


def _parse_ini(path: Path, unknown: list[tuple[str, str, int]] | None = None) -> dict:
    """The cfg's ``(section, key) -> (value, line)``. Sections and keys SCALE-Sim does not read are
    ignored, as SCALE-Sim ignores them, with a warning naming each; they go to ``unknown``."""
    unknown = [] if unknown is None else unknown
    text = _read_text(path, "file")
    section = None
    out: dict[tuple[str, str], tuple[str, int]] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise SystolicFileError(path, lineno, None, f"malformed section header {line!r}")
            section = line[1:-1].strip().lower()
            if section not in CFG_KEYS:
                warnings.warn(f"{path}, line {lineno}: section [{line[1:-1].strip()}] is not one SCALE-Sim reads; "
                              f"ignored, as SCALE-Sim ignores it (it reads {['[' + s + ']' for s in CFG_KEYS]})", stacklevel=3)
                unknown.append((section, "", lineno))
            continue
        seps = [i for i in (line.find(":"), line.find("=")) if i >= 0]
        if not seps:
            raise SystolicFileError(path, lineno, None, f"expected 'key: value' or 'key = value', got {line!r}")
        i = min(seps)
        key, value = line[:i].strip(), line[i + 1:].strip()
        if section is None:
            raise SystolicFileError(path, lineno, key, "key outside any section")
        if section not in CFG_KEYS:
            continue  # inside an ignored section (warned about at its header)
        canon = {k.lower(): k for k in CFG_KEYS[section]}
        if key.lower() not in canon:
            warnings.warn(f"{path}, line {lineno}, field {key!r}: not a key SCALE-Sim reads in [{section}]; ignored, as "
                          f"SCALE-Sim ignores it (allowed: {list(CFG_KEYS[section])})", stacklevel=3)
            unknown.append((section, key, lineno))
            continue
        k = canon[key.lower()]
        if (section, k) in out:
            raise SystolicFileError(path, lineno, k, f"duplicate key (first given on line {out[(section, k)][1]})")
        out[(section, k)] = (value, lineno)
    return out


def read_config(path: str | Path, layout: str | Path | None = None) -> ScaleSimConfig:
    """Parse a SCALE-Sim 3.0 cfg file into a :class:`SystolicConfig` (refusing unmodelled features).
    With a custom layout the config is a :class:`LayoutConfig` read from ``layout`` (default: see
    :func:`_layout_path`)."""
    path = Path(path)
    unknown: list[tuple[str, str, int]] = []
    vals = _parse_ini(path, unknown)

    def get(section, key, default=None):
        return vals.get((section, key), (default, None))

    def as_int(section, key, default=None, low=1):
        v, ln = get(section, key, default)
        if v is None:
            return None
        try:
            iv = int(str(v).strip())
        except ValueError:
            raise SystolicFileError(path, ln, key, f"value {v!r} is not an integer; allowed: integers >= {low}") from None
        if iv < low:
            raise SystolicFileError(path, ln, key, f"value {iv} out of range; allowed: integers >= {low}")
        return iv

    def as_bool(section, key, default="False"):
        v, ln = get(section, key, default)
        s = str(v).strip().lower()
        if s not in ("true", "false"):
            raise SystolicFileError(path, ln, key, f"value {v!r} is not a boolean; allowed: True, False")
        return s == "true"

    for section, keys in REQUIRED.items():
        for k in keys:
            if (section, k) not in vals:
                near = [f"{key!r} on line {ln}" for sec, key, ln in unknown if sec == section and key]
                hint = f" (the section has the unknown key {', '.join(near)}: a misspelling?)" if near else ""
                raise SystolicFileError(path, None, k, f"missing required key in [{section}]{hint}")

    custom = [as_bool("layout", "IfmapCustomLayout"), as_bool("layout", "FilterCustomLayout")]
    sparse = as_bool("sparsity", "SparsitySupport")
    rep = "ellpack_block"
    sparse_kw: dict = {}
    if sparse:  # SCALE-Sim then reads SparseRep, OptimizedMapping and RandomNumberGeneratorSeed
        for key in ("SparseRep", "OptimizedMapping", "RandomNumberGeneratorSeed"):
            if ("sparsity", key) not in vals:
                raise SystolicFileError(path, get("sparsity", "SparsitySupport")[1], key,
                                        "missing key in [sparsity]: SCALE-Sim reads it when SparsitySupport is true")
        rep_text, rep_line = get("sparsity", "SparseRep")
        rep = str(rep_text).strip()
        if rep not in SPARSE_REPS:
            raise SystolicFileError(path, rep_line, "SparseRep", f"value {rep!r} is not allowed; allowed: {list(SPARSE_REPS)} "
                                    "(SCALE-Sim counts no metadata for any other name)")
        optimized = as_bool("sparsity", "OptimizedMapping")
        if optimized:  # SCALE-Sim reads BlockSize only then
            if ("sparsity", "BlockSize") not in vals:
                raise SystolicFileError(path, get("sparsity", "OptimizedMapping")[1], "BlockSize",
                                        "missing key in [sparsity]: SCALE-Sim reads it when OptimizedMapping is true")
            sparse_kw = {"optimized_mapping": True, "block_size": as_int("sparsity", "BlockSize"),
                         "sparsity_seed": as_int("sparsity", "RandomNumberGeneratorSeed", low=0)}
        else:
            as_int("sparsity", "RandomNumberGeneratorSeed", low=0)
        fo_line = get("architecture_presets", "FilterOffset")[1]
        if as_int("architecture_presets", "FilterOffset", 0, low=0) == 0:
            raise SystolicFileError(path, fo_line, "FilterOffset",
                                    "value 0 with SparsitySupport: SCALE-Sim then takes filter address 0 for a pruned weight "
                                    "and reorders the first filter's first block, which is not modelled; allowed: >= 1")
    if as_bool("run_presets", "UseRamulatorTrace"):
        raise SystolicFileError(path, get("run_presets", "UseRamulatorTrace")[1], "UseRamulatorTrace",
                                "Ramulator DRAM latency traces are not modelled; allowed: False")

    mode, mode_line = get("run_presets", "InterfaceBandwidth", "CALC")
    mode = str(mode).strip().upper()
    if mode not in ("CALC", "USER"):
        raise SystolicFileError(path, mode_line, "InterfaceBandwidth", f"value {mode!r} is not allowed; allowed: CALC, USER")

    bw_text, bw_line = get("architecture_presets", "Bandwidth")
    bandwidth = 10
    if bw_text is not None and str(bw_text).strip():
        parts = [p.strip() for p in str(bw_text).split(",") if p.strip()]
        try:
            bws = [int(p) for p in parts]
        except ValueError:
            raise SystolicFileError(path, bw_line, "Bandwidth",
                                    f"value {bw_text!r} is not an integer list; allowed: integers >= 1 (words/cycle)") from None
        if not bws or min(bws) < 1:
            raise SystolicFileError(path, bw_line, "Bandwidth", f"value {bw_text!r} out of range; allowed: integers >= 1")
        bandwidth = bws[0]
    elif mode == "USER":
        raise SystolicFileError(path, None, "Bandwidth", "InterfaceBandwidth is USER but [architecture_presets] gives no Bandwidth")

    df, df_line = get("architecture_presets", "Dataflow")
    df = str(df).strip().lower()
    if df not in ("os", "ws", "is"):
        raise SystolicFileError(path, df_line, "Dataflow", f"value {df!r} is not allowed; allowed: os, ws, is")

    # SCALE-Sim 3.0 fills the ifmap/filter SRAMs at its [layout] bank bandwidths in USER mode
    if_bw = as_int("layout", "IfmapSRAMBankBandwidth", 10)
    f_bw = as_int("layout", "FilterSRAMBankBandwidth", 10)
    for key, bw in (("IfmapSRAMBankBandwidth", if_bw), ("FilterSRAMBankBandwidth", f_bw)):
        banks_key = key.replace("Bandwidth", "Num")
        banks = as_int("layout", banks_key, 10)
        if mode == "USER" and bw % banks:
            raise SystolicFileError(path, get("layout", key)[1], key,
                                    f"value {bw} is not a multiple of {banks_key} = {banks}; SCALE-Sim requires the "
                                    "bank bandwidth to divide evenly among the banks")
    for key in ("IfmapSRAMBankPort", "FilterSRAMBankPort", "ReadRequestBuffer", "WriteRequestBuffer", "MemoryBanks"):
        section = "layout" if "SRAM" in key else "architecture_presets"
        as_int(section, key, 1)
    for key in ("IfmapOffset", "FilterOffset", "OfmapOffset"):
        as_int("architecture_presets", key, 0, low=0)

    layout_kw: dict = {}
    if any(custom):
        layout_kw = _custom_layouts(path, vals, layout, custom, mode, sparse, as_int, get)
    kw = {}
    for field, key in (("array_rows", "ArrayHeight"), ("array_cols", "ArrayWidth"), ("ifmap_sram_kb", "IfmapSramSzkB"),
                       ("filter_sram_kb", "FilterSramSzkB"), ("ofmap_sram_kb", "OfmapSramSzkB")):
        kw[field] = as_int("architecture_presets", key)
    try:
        cls = LayoutConfig if layout_kw else SystolicConfig
        cfg = cls(dataflow=df, bandwidth_mode=mode, bandwidth=bandwidth, ifmap_bandwidth=if_bw,
                  filter_bandwidth=f_bw, sparsity_support=sparse, sparse_rep=rep, **sparse_kw, **kw, **layout_kw)
    except ValueError as e:
        msg = str(e)
        key, line = None, None
        for field, k, sec in (("optimized_mapping", "OptimizedMapping", "sparsity"), ("block_size", "BlockSize", "sparsity"),
                              ("sparsity_seed", "RandomNumberGeneratorSeed", "sparsity")):
            if f".{field}:" in msg:
                key, line = k, get(sec, k)[1]
        for field, k in (("array_rows", "ArrayHeight"), ("array_cols", "ArrayWidth"), ("ifmap_sram_kb", "IfmapSramSzkB"),
                         ("filter_sram_kb", "FilterSramSzkB"), ("ofmap_sram_kb", "OfmapSramSzkB")):
            if f".{field}:" in msg:
                key, line = k, get("architecture_presets", k)[1]
        raise SystolicFileError(path, line, key, msg) from None
    topo, _ = get("network_presets", "TopologyCsvLoc")
    if topo is not None:
        topo = topo.strip().strip('"').strip("'")
    run_name = str(get("general", "run_name", "scale_run")[0]).strip()
    return ScaleSimConfig(cfg, run_name, vals, topo)


def _custom_layouts(path: Path, vals: dict, layout, custom: list[bool], mode: str, sparse: bool, as_int, get) -> dict:
    """LayoutConfig's extra fields for a cfg with IfmapCustomLayout/FilterCustomLayout, checked as
    SCALE-Sim checks them (the intraline factors' product against the bank bandwidth)."""
    keys = ("IfmapCustomLayout", "FilterCustomLayout")
    on = keys[custom.index(True)]
    if sparse:
        raise SystolicFileError(path, get("layout", on)[1], on, "custom layouts together with SparsitySupport are not "
                                "modelled; allowed: False with SparsitySupport true")
    if custom[0] and as_int("architecture_presets", "IfmapOffset", 0, low=0) != 0:
        raise SystolicFileError(path, get("architecture_presets", "IfmapOffset")[1], "IfmapOffset",
                                f"value {as_int('architecture_presets', 'IfmapOffset', 0, low=0)} with IfmapCustomLayout: "
                                "SCALE-Sim lays the ifmap out without its offset and then never finds a requested word "
                                "(it loops forever); allowed: 0")
    lay_path = _layout_path(path, vals, layout)
    if not lay_path.is_file():
        raise SystolicFileError(path, get("layout", on)[1], on,
                                f"value True: custom SRAM layouts (bank conflicts) are not modelled without SCALE-Sim's "
                                f"layout CSV, and the layout file {lay_path} does not exist; allowed: False, or a layout "
                                f"file ({DEFAULT_LAYOUT} in the cfg folder's parent, [network_presets] LayoutCsvLoc, or "
                                "read_config(..., layout=...))")
    row = read_layout(lay_path)
    out: dict = {"filter_offset": as_int("architecture_presets", "FilterOffset", 10000000, low=0)}
    for op, (name, prefix) in enumerate((("ifmap_layout", "Ifmap"), ("filter_layout", "Filter"))):
        if not custom[op]:
            continue
        banks = as_int("layout", f"{prefix}SRAMBankNum", 10)
        ports = as_int("layout", f"{prefix}SRAMBankPort", 2)
        bw = as_int("layout", f"{prefix}SRAMBankBandwidth", 10)
        lay = row.operand(op, banks, ports)
        prod = int(np.prod(lay.factors))
        ok = prod <= bw if op == 0 else prod == bw
        if not ok:
            first = LAYOUT_FIELDS[0] if op == 0 else LAYOUT_FIELDS[5]
            raise SystolicFileError(row.path, row.line, first,
                                    f"the {prefix.lower()} intraline factors {list(lay.factors)} (columns "
                                    f"{', '.join(row.field(i) for i in ((1, 2, 5) if op == 0 else (6, 5, 3, 4)))}) "
                                    f"multiply to {prod}; "
                                    f"allowed: {'at most' if op == 0 else 'exactly'} {prefix}SRAMBankBandwidth = {bw} "
                                    f"of {path} (SCALE-Sim asserts it)")
        out[name] = lay
    return out


def write_config(config: SystolicConfig, path: str | Path, run_name: str = "archgym_run") -> None:
    """Write ``config`` as a SCALE-Sim 3.0 cfg (all sections it reads), e.g. to run SCALE-Sim itself."""
    c = config
    text = f"""[general]
run_name = {run_name}

[architecture_presets]
ArrayHeight:    {c.array_rows}
ArrayWidth:     {c.array_cols}
IfmapSramSzkB:    {c.ifmap_sram_kb}
FilterSramSzkB:   {c.filter_sram_kb}
OfmapSramSzkB:    {c.ofmap_sram_kb}
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Dataflow : {c.dataflow}
Bandwidth : {c.bandwidth}
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: {c.ifmap_bandwidth}
IfmapSRAMBankNum: {_banks(c.ifmap_bandwidth)}
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: {c.filter_bandwidth}
FilterSRAMBankNum: {_banks(c.filter_bandwidth)}
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : {"true" if c.sparsity_support else "false"}
SparseRep : {c.sparse_rep}
OptimizedMapping : {"true" if c.optimized_mapping else "false"}
BlockSize : {c.block_size}
RandomNumberGeneratorSeed : {c.sparsity_seed}

[run_presets]
InterfaceBandwidth: {c.bandwidth_mode}
UseRamulatorTrace: False
"""
    Path(path).write_text(text)


def _banks(bw: int) -> int:
    """Bank count for a SCALE-Sim cfg: 10 (its default) when it divides the bandwidth, else 1."""
    return 10 if bw % 10 == 0 else 1


def write_topology(layers: list[Layer], path: str | Path) -> None:
    """Write layers as a SCALE-Sim CSV: the GEMM format if every layer is a GEMM, else the conv format."""
    rows = []
    sparse = any((l.sparsity_n, l.sparsity_m) != (1, 1) for l in layers)
    ratio = (lambda l: f" {l.sparsity_n}:{l.sparsity_m},") if sparse else (lambda l: "")  # noqa: E731
    head = " Sparsity," if sparse else ""
    if all(l.kind == "gemm" for l in layers):
        rows.append("Layer, M, N, K," + head)
        for l in layers:
            rows += [f"{l.name}, {l.gemm_m}, {l.gemm_n}, {l.gemm_k}," + ratio(l)] * l.repeat
    else:
        rows.append(", ".join(CONV_FIELDS) + "," + head)
        for l in layers:
            if l.stride_h != l.stride_w:
                raise ValueError(f"layer {l.name!r}: SCALE-Sim's topology format has one stride, got {l.stride_h}x{l.stride_w}")
            ch = l.repeat if "DP" in l.name else l.channels
            n = 1 if "DP" in l.name else l.repeat
            rows += [f"{l.name}, {l.ifmap_h}, {l.ifmap_w}, {l.filter_h}, {l.filter_w}, {ch}, {l.num_filters}, "
                     f"{l.stride_h}," + ratio(l)] * n
    Path(path).write_text("\n".join(rows) + "\n")
