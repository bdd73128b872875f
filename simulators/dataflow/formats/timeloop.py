"""Timeloop-style YAML: read architecture, problem and mapping specifications (and write mappings).

Both Timeloop formats are read into this package's loop-nest model (:class:`Architecture`,
:class:`Layer`, :class:`Mapping`). v0.4 files (``nodes:`` lists with ``!Container``/``!Component``/
``!Parallel`` tags, ``spatial`` meshes, expressions, ``constraints: {dataspace: ...}`` on components,
problems with any dimension names such as the tutorial's Conv1D ``K, R, P``) go through
:mod:`..timeloop.spec`; a spatial container becomes a level that keeps nothing (Timeloop's
``inter_<name>_spatial``). Timeloop's own counting of these files is :mod:`..timeloop.counts`; this
reader feeds the ZigZag-validated cost model.

* Architecture (Timeloop v0.3 tree): ``architecture: {version, subtree: [{name, attributes, local:
  [components], subtree: [...]}]}``. Components are listed outermost first; a ``name[0..N-1]`` suffix
  makes N instances of a subtree or component, ``meshX`` their mesh width. Storage classes:
  ``DRAM``, ``SRAM``, ``regfile``, ``smartbuffer_SRAM``, ``smartbuffer_RF`` (energy and area from
  :mod:`energy_table` unless ``read_energy``/``write_energy`` (pJ per access) and ``area`` (um^2) are
  given); compute classes: ``intmac``, ``mac``, ``fpmac``. The last compute component is the MAC array.
* Problem: ``problem: {shape: {name, dimensions, coefficients, data-spaces}, instance: {...}}`` for
  Timeloop's CNN layer (dimensions C, M, R, S, N, P, Q; Hstride/Wstride/Hdilation/Wdilation).
* Mapping (or constraints with the same directives): ``mapping: [{target, type: temporal|spatial|bypass,
  factors: "C=3 M=4 ...", permutation: "SRQPCMN" (inner to outer), split, keep, bypass}]``. For a spatial
  directive the first ``split`` dimensions of the permutation go to X, the rest to Y.

Bypass directives decide which tensors a level keeps (without them every level keeps everything).
Keys the reader does not know are errors naming the file, the place and the allowed keys.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ...textfile import decode_error
from ...yaml12 import safe_load as yaml12_load
from .. import energy_table as table
from ..architecture import Architecture, ArchitectureError, ComputeUnit, StorageLevel
from ..mapping import LevelLoops, Mapping, MappingError
from ..timeloop.spec import read_hierarchy as read_v04_hierarchy
from ..timeloop.spec import read_problem as read_v04_problem
from ..timeloop.tagged_yaml import SpecError as V04SpecError
from ..timeloop.tagged_yaml import load as load_tagged
from ..workload import Layer, WorkloadError

DATASPACES = {"Weights": "W", "Inputs": "I", "Outputs": "O"}
TENSOR_NAMES = {v: k for k, v in DATASPACES.items()}
STORAGE_CLASSES = ("DRAM", "SRAM", "regfile", "smartbuffer_SRAM", "smartbuffer_RF")
CLASS_ALIASES = {"reg_storage": "regfile", "register": "regfile", "storage": "SRAM"}  # Timeloop's other spellings
COMPUTE_CLASSES = ("intmac", "mac", "fpmac")
STORAGE_ATTRIBUTES = {
    "depth", "memory_depth", "width", "memory_width", "word-bits", "word_bits", "datawidth", "block-size",
    "block_size", "read_bandwidth", "write_bandwidth", "n_banks", "meshX", "multiple-buffering",
    "multiple_buffering", "technology", "type", "update_fifo_depth", "n_rdwr_ports", "n_rd_ports", "n_wr_ports",
    "n_buffets", "latency", "read_energy", "write_energy", "area", "access_granularity_bits", "cluster-size",
    "instances", "global_cycle_seconds", "n_ports", "ports", "metadata_storage_depth",
}
COMPUTE_ATTRIBUTES = {"datawidth", "meshX", "technology", "energy", "area", "latency", "instances", "width",
                      "multiplier_width", "adder_width", "word-bits", "word_bits", "global_cycle_seconds"}
NODE_KEYS = {"name", "attributes", "local", "subtree"}
COMPONENT_KEYS = {"name", "class", "subclass", "attributes", "required_actions"}
DIRECTIVE_KEYS = {"target", "type", "factors", "permutation", "split", "keep", "bypass"}
DIRECTIVE_TYPES = ("temporal", "spatial", "bypass", "dataspace", "datatype")
BYPASS_TYPES = ("bypass", "dataspace", "datatype")


class SpecError(ValueError):
    """A YAML specification that cannot be read; the message names the file and the place."""


def _load(path) -> dict:
    path = Path(path)
    try:
        data = yaml12_load(path.read_text())  # YAML 1.2 numbers, as Timeloop's yaml-cpp reads them
    except OSError as e:
        raise SpecError(f"{path}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise SpecError(f"{path}: {decode_error(e)}") from None
    except yaml.YAMLError as e:
        text = path.read_text()
        jinja = next((i for i, s in enumerate(text.splitlines(), 1) if "{%" in s or "{{" in s), None)
        if jinja is not None:
            raise SpecError(f"{path}, line {jinja}: the file is a Jinja2 template; render it first (for Timeloop's "
                            f"own counting, timeloop.evaluation.load_spec(..., jinja_variables=...) renders it)") from None
        mark = getattr(e, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        raise SpecError(f"{path}{where}: not valid YAML ({getattr(e, 'problem', e)})") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def _unknown(keys, allowed, where):
    bad = sorted(set(keys) - set(allowed))
    if bad:
        raise SpecError(f"{where}: unknown key(s) {bad}; allowed: {sorted(allowed)}")


def _count(name: str) -> tuple[str, int]:
    m = re.fullmatch(r"(.*)\[(\d+)\.\.(\d+)\]", name.strip())
    if not m:
        return name.strip(), 1
    lo, hi = int(m.group(2)), int(m.group(3))
    if hi < lo:
        raise SpecError(f"component {name!r}: bad instance range")
    return m.group(1), hi - lo + 1


# -- architecture ------------------------------------------------------------------------------------
def read_architecture(path, keeps: dict | None = None, name: str | None = None) -> Architecture:
    """Architecture of a Timeloop v0.3 YAML tree. ``keeps``: level name -> tensors it keeps
    (e.g. from :func:`read_bypass`); unlisted levels keep every tensor."""
    try:
        tagged = load_tagged(path)
    except V04SpecError:
        tagged = None  # not v0.4: the v0.3 reader below says what is wrong
    v04 = tagged.get("architecture") if tagged is not None else None
    if isinstance(v04, dict) and (str(v04.get("version")) == "0.4" or "nodes" in v04):
        return _from_v04(path, keeps, name)
    data = _load(path)
    _unknown(data, {"architecture"}, f"{path}")
    arch = data["architecture"]
    if not isinstance(arch, dict):
        raise SpecError(f"{path}: 'architecture' must be a mapping")
    _unknown(arch, {"version", "subtree", "local", "name", "attributes"}, f"{path}: architecture")
    if str(arch.get("version", "0.3")) not in ("0.3", "0.2"):
        raise SpecError(f"{path}: architecture version {arch.get('version')!r} is not supported; allowed: 0.3")
    components: list[tuple[dict, int, str]] = []

    def walk(node, mult, where):
        _unknown(node, NODE_KEYS | {"version"}, where)
        for comp in node.get("local", []) or []:
            if not isinstance(comp, dict):
                raise SpecError(f"{where}: a local component must be a mapping, got {comp!r}")
            cname, n = _count(str(comp.get("name", "")))
            _unknown(comp, COMPONENT_KEYS, f"{where}/{cname}")
            inst = (comp.get("attributes") or {}).get("instances")
            if inst is not None:  # v0.2/v0.3 spelling: the component's total instance count
                if isinstance(inst, bool) or not isinstance(inst, int) or inst < 1 or inst % mult:
                    raise SpecError(f"{where}/{cname}: attribute instances = {inst!r} must be a positive multiple of "
                                    f"the {mult} instances of its subtree")
                n = inst // mult
            components.append((comp, mult * n, f"{where}/{cname}"))
        for sub in node.get("subtree", []) or []:
            sname, n = _count(str(sub.get("name", "")))
            walk(sub, mult * n, f"{where}/{sname}")

    walk(arch, 1, str(path))
    storage, compute = [], None
    for comp, n, where in components:
        cls = CLASS_ALIASES.get(comp.get("class"), comp.get("class"))
        attrs = {k: v for k, v in (comp.get("attributes") or {}).items() if k != "instances"}
        cname, _ = _count(str(comp["name"]))
        if cls in COMPUTE_CLASSES:
            _unknown(attrs, COMPUTE_ATTRIBUTES, where)
            bits = int(attrs.get("datawidth", 16))
            compute = ComputeUnit(cname, n, attrs.get("meshX"), float(attrs.get("energy", table.mac_energy(bits))),
                                  float(attrs.get("area", table.mac_area(bits))))
        elif cls in STORAGE_CLASSES:
            _unknown(attrs, STORAGE_ATTRIBUTES, where)
            storage.append(_storage(cname, cls, attrs, n, where, keeps))
        else:
            raise SpecError(f"{where}: class {cls!r} is not known; allowed: {list(STORAGE_CLASSES + COMPUTE_CLASSES)}")
    if compute is None:
        raise SpecError(f"{path}: no compute component (class one of {list(COMPUTE_CLASSES)})")
    return _architecture(path, name, storage, compute, keeps)


def _architecture(path, name, storage: list, compute: ComputeUnit, keeps: dict | None) -> Architecture:
    """The architecture of ``storage`` (outermost first) over ``compute``, after checking that every level a
    bypass directive names exists (both format versions end here)."""
    if keeps:
        missing = sorted(set(keeps) - {s.name for s in storage})
        if missing:
            raise SpecError(f"{path}: bypass directives name level(s) {missing} that the architecture lacks; "
                            f"levels: {[s.name for s in storage]}")
    try:
        return Architecture(name or Path(path).stem, tuple(reversed(storage)), compute)
    except ArchitectureError as e:
        raise SpecError(f"{path}: {e}") from None


def _storage(name, cls, attrs, n, where, keeps) -> StorageLevel:
    def num(*keys, default=None):
        for k in keys:
            if k in attrs:
                try:
                    return float(attrs[k]) if "bandwidth" in k or "energy" in k or k == "area" or "buffering" in k \
                        else int(attrs[k])
                except (TypeError, ValueError):
                    raise SpecError(f"{where}: attribute {k} = {attrs[k]!r} is not a number") from None
        return default

    word = num("word-bits", "word_bits", "datawidth", default=16)
    width = num("width", "memory_width")
    block = num("block-size", "block_size", default=(width // word if width else 1))
    depth = num("depth", "memory_depth")
    if cls != "DRAM" and depth is None:
        raise SpecError(f"{where}: a {cls} needs a depth (depth or memory_depth)")
    banks = num("n_banks", default=1)
    e_table = table.access_energy(cls, depth or 1, word, block, banks)
    a_table = table.area(cls, depth or 1, word, block, banks)
    kept = tuple(keeps.get(name, ("W", "I", "O"))) if keeps else ("W", "I", "O")
    return StorageLevel(
        name, kept, depth=depth, word_bits=word, block_size=block, instances=n, mesh_x=num("meshX"),
        read_bandwidth=num("read_bandwidth"), write_bandwidth=num("write_bandwidth"),
        read_energy=num("read_energy", default=e_table), write_energy=num("write_energy", default=e_table),
        area=num("area", default=a_table), component_class=cls, n_banks=banks,
        multiple_buffering=num("multiple-buffering", "multiple_buffering", default=1.0),
        access_granularity_bits=num("access_granularity_bits"))


def _from_v04(path, keeps, name) -> Architecture:
    """A v0.4 architecture through :mod:`..timeloop.spec`, as this package's :class:`Architecture`."""
    try:
        hier = read_v04_hierarchy(load_tagged(path), str(path))
    except V04SpecError as e:
        raise SpecError(str(e)) from None
    storage = []
    for lv in hier.levels:
        kept = ("W", "I", "O")
        ds = (lv.constraints or {}).get("dataspace") or {}
        if lv.dummy:
            kept = ()
        elif ds:
            where = f"{lv.where}: constraints.dataspace of {lv.name!r}"
            drop = set(_tensors(ds.get("bypass"), where))
            keep = set(_tensors(ds.get("keep"), where)) if "keep" in ds else {"W", "I", "O"}
            kept = tuple(t for t in ("W", "I", "O") if t in keep and t not in drop)
        if keeps and lv.name in keeps:
            kept = tuple(keeps[lv.name])
        if lv.dummy:
            storage.append(StorageLevel(lv.name, kept, depth=None, instances=lv.instances, mesh_x=lv.mesh_x,
                                        component_class="regfile"))
            continue
        cls = CLASS_ALIASES.get(lv.cls, lv.cls)
        if cls not in STORAGE_CLASSES:
            raise SpecError(f"{lv.where}: class {lv.cls!r} of {lv.name!r} is not known; allowed: "
                            f"{list(STORAGE_CLASSES) + sorted(CLASS_ALIASES)}")
        attrs = {k: v for k, v in lv.attributes.items() if k in STORAGE_ATTRIBUTES}
        attrs["word-bits"] = lv.word_bits
        attrs.pop("datawidth", None)
        if lv.width_bits:
            attrs["width"] = lv.width_bits
        attrs.pop("meshX", None)
        storage.append(_storage(lv.name, cls, attrs, lv.instances, lv.where, None))
        storage[-1] = replace_keeps(storage[-1], kept, lv.mesh_x)
    c = hier.compute
    bits = int(c.number("datawidth", "multiplier_width", default=16))
    compute = ComputeUnit(c.name, c.instances, c.mesh_x, float(c.number("energy", default=table.mac_energy(bits))),
                          float(c.number("area", default=table.mac_area(bits))))
    return _architecture(path, name, storage, compute, keeps)


def layer_bits(arch: Architecture) -> dict:
    """Per tensor, the word bits of the innermost level keeping it (outputs: partial sums there, final
    outputs at the outermost level): a problem read for ``arch`` is sized in its own words, not 16 bits."""
    out = {}
    for t in ("W", "I", "O"):
        lv = next((lv for lv in arch.levels if t in lv.keeps), arch.levels[-1])
        out[t] = lv.word_bits
    out["O_final"] = arch.levels[-1].word_bits
    return out


def replace_keeps(level: StorageLevel, kept, mesh_x) -> StorageLevel:
    """``level`` keeping ``kept`` on a mesh ``mesh_x`` wide."""
    return StorageLevel(**{**level.__dict__, "keeps": tuple(kept), "mesh_x": mesh_x})


# -- problem ---------------------------------------------------------------------------------------
CNN_DIMS = {"C": "C", "M": "K", "R": "R", "S": "S", "N": "N", "P": "P", "Q": "Q", "G": "G"}
COEFFICIENTS = ("Wstride", "Hstride", "Wdilation", "Hdilation")


def read_problem(path, bits: int | dict = 16) -> Layer:
    """The layer of a Timeloop problem YAML: the CNN layer, or any shape whose dimensions take CNN roles
    (v0.4 spelling, or other names such as the tutorial's Conv1D ``K, R, P``)."""
    data = _load(path)
    _unknown(data, {"problem"}, f"{path}")
    prob = data["problem"]
    shape = prob.get("shape") if isinstance(prob, dict) else None
    if isinstance(prob, dict) and ("version" in prob or (isinstance(shape, dict) and (
            "data_spaces" in shape or any(d not in CNN_DIMS for d in shape.get("dimensions") or [])))):
        return _generic_layer(path, bits)
    _unknown(prob, {"shape", "instance"}, f"{path}: problem")
    inst = prob.get("instance") or {}
    shape = prob.get("shape") or {}
    _unknown(shape, {"name", "dimensions", "coefficients", "data-spaces"}, f"{path}: problem.shape")
    _unknown(inst, set(CNN_DIMS) | set(COEFFICIENTS), f"{path}: problem.instance")
    dims = shape.get("dimensions") or list(CNN_DIMS)
    bad = [d for d in dims if d not in CNN_DIMS]
    if bad:
        raise SpecError(f"{path}: problem dimension(s) {bad} are not CNN-layer dimensions {list(CNN_DIMS)}")
    # which output dimension pairs with which filter dimension, and with which coefficients
    pairs = {"P": ("R", "Wstride", "Wdilation"), "Q": ("S", "Hstride", "Hdilation")}
    for ds in shape.get("data-spaces") or []:
        _unknown(ds, {"name", "projection", "read-write"}, f"{path}: data-space {ds.get('name')}")
        if ds.get("name") not in DATASPACES:
            raise SpecError(f"{path}: data-space {ds.get('name')!r} is not known; allowed: {list(DATASPACES)}")
        if ds["name"] == "Inputs":
            for axis in ds.get("projection", []):
                terms = [t for t in axis]
                if len(terms) == 2:
                    (d1, c1), (d2, c2) = ([t[0], t[1] if len(t) > 1 else None] for t in terms)
                    out, filt = (d1, d2) if d1 in ("P", "Q") else (d2, d1)
                    cs, cd = (c1, c2) if d1 in ("P", "Q") else (c2, c1)
                    if out not in pairs:
                        raise SpecError(f"{path}: Inputs projection {axis} does not pair P or Q with R or S")
                    pairs[out] = (filt, cs, cd)
    d = {CNN_DIMS[k]: int(v) for k, v in inst.items() if k in CNN_DIMS}
    coef = {k: int(inst.get(k, 1)) for k in COEFFICIENTS}
    if pairs["P"][0] != "R":  # store so that P pairs with R
        d["P"], d["Q"] = d.get("Q", 1), d.get("P", 1)
        pairs = {"P": pairs["Q"], "Q": pairs["P"]}
    prec = bits if isinstance(bits, dict) else {"W": bits, "I": bits, "O": bits, "O_final": bits}
    try:
        return Layer(Path(path).stem, d, "conv", (coef[pairs["P"][1] or "Wstride"], coef[pairs["Q"][1] or "Hstride"]),
                     (coef[pairs["P"][2] or "Wdilation"], coef[pairs["Q"][2] or "Hdilation"]), bits=prec)
    except WorkloadError as e:
        raise SpecError(f"{path}: {e}") from None


def _generic_layer(path, bits) -> Layer:
    """Each dimension's CNN role from the data spaces it indexes: in Weights and Outputs only -> K (output
    channels), Weights and Inputs -> C, Inputs and Outputs -> N, all three -> G; an Inputs axis
    ``out*stride + filt*dilation`` pairs an output dimension (P, then Q) with a filter one (R, then S)."""
    try:
        prob = read_v04_problem(load_tagged(path), str(path))
    except V04SpecError as e:
        raise SpecError(str(e)) from None
    spaces = {ds.name: ds for ds in prob.data_spaces}
    missing = sorted({"Weights", "Inputs", "Outputs"} - set(spaces))
    if missing or len(spaces) != 3:
        raise SpecError(f"{path}: the loop-nest model takes the data spaces Weights, Inputs, Outputs; got "
                        f"{sorted(spaces)}")
    used = {n: {d for axis in ds.axes for d, _ in axis} for n, ds in spaces.items()}
    pairs = []
    for axis in spaces["Inputs"].axes:
        if len(axis) == 2:
            (d1, c1), (d2, c2) = axis
            if d1 in used["Outputs"] and d2 in used["Weights"]:
                pairs.append((d1, d2, c1, c2))
            elif d2 in used["Outputs"] and d1 in used["Weights"]:
                pairs.append((d2, d1, c2, c1))
            else:
                raise SpecError(f"{path}: Inputs axis {[prob.dims[d] for d, _ in axis]} does not pair an output "
                                f"dimension with a filter dimension")
        elif len(axis) > 2:
            raise SpecError(f"{path}: Inputs axis with {len(axis)} terms is not a convolution axis")
    if len(pairs) > 2:
        raise SpecError(f"{path}: more than two sliding-window axes (P/R, Q/S) are not supported")
    role = {}
    for (out, filt, _, _), (po, pf) in zip(pairs, (("P", "R"), ("Q", "S"))):
        role[out], role[filt] = po, pf
    for d in range(len(prob.dims)):
        if d in role:
            continue
        key = (d in used["Weights"], d in used["Inputs"], d in used["Outputs"])
        r = {(True, False, True): "K", (True, True, False): "C", (False, True, True): "N",
             (True, True, True): "G"}.get(key)
        if r is None or r in role.values():
            raise SpecError(f"{path}: dimension {prob.dims[d]!r} has no CNN role (it indexes "
                            f"{[n for n, k in zip(('Weights', 'Inputs', 'Outputs'), key) if k]})")
        role[d] = r
    dims = {role[d]: prob.bounds[d] for d in range(len(prob.dims))}
    stride = [1, 1]
    dilation = [1, 1]
    for k, (_, _, cs, cd) in enumerate(pairs):
        stride[k], dilation[k] = cs, cd
    prec = bits if isinstance(bits, dict) else {"W": bits, "I": bits, "O": bits, "O_final": bits}
    try:
        return Layer(Path(path).stem, dims, "conv", tuple(stride), tuple(dilation), bits=prec)
    except WorkloadError as e:
        raise SpecError(f"{path}: {e}") from None


# -- mapping ---------------------------------------------------------------------------------------
def _directives(path) -> list:
    data = _load(path)
    for key in ("mapping", "constraints", "mapspace_constraints", "architecture_constraints"):
        if key in data:
            block = data[key]
            if isinstance(block, dict):
                _unknown(block, {"targets", "version"}, f"{path}: {key}")
                block = block.get("targets", [])
            if not isinstance(block, list):
                raise SpecError(f"{path}: '{key}' must be a list of directives")
            return block
    raise SpecError(f"{path}: no 'mapping' (or constraints 'targets') list found; top-level keys: {sorted(data)}")


def _tensors(value, where) -> tuple:
    out = []
    for v in value or []:
        if v not in DATASPACES:
            raise SpecError(f"{where}: data-space {v!r} is not known; allowed: {list(DATASPACES)}")
        out.append(DATASPACES[v])
    return tuple(out)


def read_bypass(path) -> dict:
    """Level name -> tensors it keeps, from the bypass directives of a mapping or constraints file."""
    keeps = {}
    for i, dv in enumerate(_directives(path)):
        _unknown(dv, DIRECTIVE_KEYS, f"{path}: directive {i}")
        if dv.get("type") in BYPASS_TYPES:
            where = f"{path}: bypass directive for {dv.get('target')}"
            keep = set(_tensors(dv.get("keep"), where))
            drop = set(_tensors(dv.get("bypass"), where))
            keeps[dv["target"]] = tuple(t for t in ("W", "I", "O") if t in keep or (t not in drop and not keep))
    return keeps


MAP_DIMS = {**CNN_DIMS, "K": "K"}  # mapping files may also name output channels K (the tutorial's Conv1D)


def _factors(text, where) -> dict:
    out = {}
    for tok in (text if isinstance(text, list) else str(text or "").split()):
        m = re.fullmatch(r"([A-Za-z]+)=?(\d+)", str(tok).strip())  # "C=3" (v0.3) or "C3" (v0.4 mapper output)
        if not m or m.group(1) not in MAP_DIMS:
            raise SpecError(f"{where}: factor {tok!r} is not DIM=N with DIM one of {list(MAP_DIMS)}")
        if int(m.group(2)) < 1:
            raise SpecError(f"{where}: factor {tok!r} must be >= 1 (a mapping is explicit; 0 only means "
                            f"'the rest' in constraints)")
        out[MAP_DIMS[m.group(1)]] = int(m.group(2))
    return out


def read_mapping(path, arch: Architecture) -> Mapping:
    """The mapping of a Timeloop mapping YAML, for ``arch`` (levels found by their names)."""
    levels = [{"temporal": [], "spatial_x": [], "spatial_y": []} for _ in arch.levels]
    names = [lv.name for lv in arch.levels]
    for i, dv in enumerate(_directives(path)):
        _unknown(dv, DIRECTIVE_KEYS, f"{path}: directive {i}")
        typ, target = dv.get("type"), dv.get("target")
        where = f"{path}: directive {i} ({typ} at {target})"
        if typ not in DIRECTIVE_TYPES:
            raise SpecError(f"{where}: type {typ!r} is not known; allowed: {list(DIRECTIVE_TYPES)}")
        if target not in names and f"inter_{target}_spatial" in names:
            target = f"inter_{target}_spatial"  # a v0.4 spatial container, targeted by its own name
        if target not in names:
            raise SpecError(f"{where}: target {target!r} is not a level of {arch.name!r}; levels: {names}")
        if typ in BYPASS_TYPES:
            continue
        fac = _factors(dv.get("factors"), where)
        raw = dv.get("permutation", "")
        perm = [MAP_DIMS.get(c, c) for c in (raw if isinstance(raw, list) else str(raw))]
        bad = [c for c in perm if c not in CNN_DIMS.values()]
        if bad:
            raise SpecError(f"{where}: permutation has unknown dimension(s) {bad}")
        order = perm + [d for d in fac if d not in perm]
        loops = [(d, fac[d]) for d in order if fac.get(d, 1) > 1]
        lv = levels[names.index(target)]
        if typ == "temporal":
            lv["temporal"].extend(loops)
        else:
            split = int(dv.get("split", len(order)))
            xs = set(order[:split])
            lv["spatial_x"].extend(x for x in loops if x[0] in xs)
            lv["spatial_y"].extend(x for x in loops if x[0] not in xs)
    try:
        return Mapping(tuple(LevelLoops(tuple(lv["temporal"]), tuple(lv["spatial_x"]), tuple(lv["spatial_y"]))
                             for lv in levels))
    except MappingError as e:
        raise SpecError(f"{path}: {e}") from None


def mapping_to_yaml(mapping: Mapping, arch: Architecture) -> str:
    """Timeloop mapping YAML (temporal, spatial and bypass directives) of a mapping."""
    rev = {v: k for k, v in CNN_DIMS.items()}
    out = []
    for lv, loops in zip(arch.levels, mapping.levels):
        for typ, group in (("temporal", loops.temporal), ("spatial", loops.spatial_x + loops.spatial_y)):
            merged: dict[str, int] = {}
            for d, f in group:
                merged[d] = merged.get(d, 1) * f
            if typ == "temporal" and len(merged) != len(group):
                raise MappingError(f"level {lv.name!r} repeats a dimension in its temporal loops; Timeloop's "
                                   f"format has one factor per dimension and level")
            if not merged:
                continue
            entry = {"target": lv.name, "type": typ,
                     "factors": " ".join(f"{rev[d]}={f}" for d, f in merged.items()),
                     "permutation": "".join(rev[d] for d in dict.fromkeys(d for d, _ in group))}
            if typ == "spatial":
                entry["split"] = len(dict.fromkeys(d for d, _ in loops.spatial_x))
            out.append(entry)
        out.append({"target": lv.name, "type": "bypass", "keep": [TENSOR_NAMES[t] for t in lv.keeps],
                    "bypass": [TENSOR_NAMES[t] for t in ("W", "I", "O") if t not in lv.keeps]})
    return yaml.safe_dump({"mapping": out}, sort_keys=False)
