"""Timeloop architecture, problem, mapping, constraints and mapper specifications (v0.3 and v0.4).

**Architecture.** Timeloop sees a chain of storage levels, outermost first, over one arithmetic level;
between a level and the next-inner one sits a fan-out (``instances`` ratio, split into X and Y by the
mesh). In v0.4 a ``!Container`` with ``spatial: {meshX, meshY}`` multiplies every node after it and
becomes a storage level that keeps nothing, named ``inter_<name>_spatial`` as Timeloop's front end
names it (mappings may target it by either name); ``!Parallel`` nodes are consecutive levels in the
order listed (Eyeriss' scratchpads), ``!Hierarchical`` nodes nest. In v0.3, ``name[0..N-1]`` makes N
instances and ``meshX`` gives the mesh width. The last component is the MAC (:data:`COMPUTE_CLASSES`).
Widths follow Timeloop: ``width`` (bits per access, or ``memory_width``), ``datawidth`` (bits per word,
or ``word-bits``/``word_bits``, default 16), ``depth`` (or ``memory_depth``; none for DRAM),
``block_size = width / datawidth``.

**Problem.** ``shape: {name, dimensions, coefficients: [{name, default}], data_spaces: [{name,
projection, read_write}]}`` (v0.3: ``data-spaces``/``read-write``) and ``instance: {DIM: size, COEF:
value}``; an axis of a projection is a sum of terms ``[DIM]`` or ``[DIM, COEF]``; ``shape: cnn-layer``
is the built-in CNN layer. Any dimension names are accepted (``K`` in the tutorial's Conv1D problems).

**Mapping.** Directives ``{target, type, factors, permutation, split, keep, bypass}``: ``type`` is
``temporal``, ``spatial`` or ``bypass`` (also ``dataspace``/``datatype``); ``factors`` is ``"R=3 P=16"``,
``"C1 M8"`` or a list; ``permutation`` runs inner to outer. As in Timeloop's parser, missing dimensions
get factor 1 and join the permutation outermost in the problem's order; in a spatial directive the
first ``split`` dimensions go to X; a data space no bypass directive names is kept; each dimension's
factors must multiply to its bound. Constraints (``mapspace_constraints``, or ``constraints`` on v0.4
components) take the same directives plus mapper-only keys and are validated; if they pin every factor
they give the one mapping. The mapper file is validated into :class:`MapperSettings`.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

from .tagged_yaml import NAME_RANGE, SpecError, TagList, check_keys, evaluate, place

COMPUTE_CLASSES = ("intmac", "mac", "fpmac", "compute", "intadder", "aladdin_adder")
COMPONENT_KEYS = {"name", "class", "subclass", "attributes", "spatial", "constraints", "required_actions",
                  "enabled", "area_scale", "energy_scale", "area_share"}
CONTAINER_KEYS = {"name", "attributes", "spatial", "constraints", "enabled", "networks"}
GROUP_KEYS = {"nodes", "name"}
SPATIAL_KEYS = {"meshX", "meshY"}
V03_NODE_KEYS = {"name", "attributes", "local", "subtree", "version"}
V03_COMPONENT_KEYS = {"name", "class", "subclass", "attributes", "required_actions"}
POSITIVE_ATTRIBUTES = ("depth", "memory_depth", "width", "memory_width", "datawidth", "word-bits", "word_bits",
                       "block-size", "block_size", "cluster_size", "cluster-size", "read_bandwidth",
                       "write_bandwidth", "shared_bandwidth", "n_banks", "multiple_buffering", "multiple-buffering")
REFUSED_ATTRIBUTES = {"network_fill_latency": "network latencies", "metadata_storage_width": "sparse metadata"}


@dataclass
class Level:
    """One storage level (or the MAC) as Timeloop sees it. ``instances``: total over the chip;
    ``mesh_x``/``mesh_y``: the grid those instances form. ``dummy``: a spatial container's level."""

    name: str
    cls: str
    attributes: dict
    instances: int = 1
    mesh_x: int = 1
    mesh_y: int = 1
    dummy: bool = False
    where: str = "?"
    constraints: dict = field(default_factory=dict)
    aliases: tuple = ()

    def number(self, *keys, default=None):
        for k in keys:
            if k in self.attributes and self.attributes[k] is not None:
                v = self.attributes[k]
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise SpecError(f"{self.where}: attribute {k} of {self.name!r} = {v!r} is not a number")
                return v
        return default

    @property
    def word_bits(self) -> int:
        return int(self.number("datawidth", "word-bits", "word_bits", default=16))

    @property
    def width_bits(self) -> int | None:
        w = self.number("width", "memory_width")
        return None if w is None else int(w)

    @property
    def block_size(self) -> int:
        """Words per access of one instance: a cluster of ``cluster_size`` instances shares the width."""
        w = self.width_bits
        cluster = int(self.number("cluster_size", "cluster-size", default=1) or 1)
        return max(1, w // self.word_bits // cluster) if w else int(self.number("block-size", "block_size", default=1))

    @property
    def depth(self) -> int | None:
        d = self.number("depth", "memory_depth")
        return None if d is None or self.cls == "DRAM" else int(d)

    @property
    def size_words(self) -> int | None:
        return None if self.depth is None else self.depth * self.block_size


@dataclass
class Hierarchy:
    """Storage levels outermost first (``levels``) over ``compute``; ``version`` of the file read."""

    levels: list
    compute: Level
    version: str
    variables: dict = field(default_factory=dict)

    def fanout(self, i: int) -> tuple[int, int]:
        """(X, Y) fan-out between level ``i`` and the next-inner level (or the MACs)."""
        inner = self.levels[i + 1] if i + 1 < len(self.levels) else self.compute
        outer = self.levels[i]
        fx = max(1, inner.mesh_x // max(1, outer.mesh_x))
        total = inner.instances // outer.instances
        return fx, max(1, total // fx)

    def index(self, name: str) -> int:
        for i, lv in enumerate(self.levels):
            if name == lv.name or name in lv.aliases:
                return i
        raise KeyError(name)


def _count(name, where) -> tuple[str, int]:
    m = NAME_RANGE.fullmatch(str(name).strip())
    if not m:
        return str(name).strip(), 1
    lo, hi = int(m.group(2)), int(m.group(3))
    if hi < lo:
        raise SpecError(f"{where}: name {name!r} has an empty instance range")
    return m.group(1), hi - lo + 1


def _attributes(raw, scope: dict, where: str) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: 'attributes' must be a mapping, got {raw!r}")
    for k, why in REFUSED_ATTRIBUTES.items():
        if k in raw and raw[k] not in (None, 1, 0):
            raise SpecError(f"{place(raw, k, where)}: attribute {k} = {raw[k]!r}: {why} is not supported")
    out = {}
    names = dict(scope)
    names.update({k: v for k, v in raw.items()})
    for k, v in raw.items():
        out[k] = evaluate(v, names, f"{place(raw, k, where)} ({k})")
        names[k] = out[k]
    return out


def read_hierarchy(spec: dict, where: str, problem_instance: dict | None = None) -> Hierarchy:
    """The ``architecture`` block of a merged specification (with its ``variables``)."""
    arch = spec.get("architecture")
    if not isinstance(arch, dict):
        raise SpecError(f"{where}: no 'architecture' mapping (top-level keys: {sorted(spec)})")
    variables_node = spec.get("variables") or {}
    check_keys(arch, {"version", "nodes", "subtree", "local", "name", "attributes"}, "architecture")
    version = str(arch.get("version", "0.3"))
    scope = {"spec": _SpecScope(problem_instance or {})}
    variables = _attributes({k: v for k, v in variables_node.items() if k != "version"}, scope,
                            place(variables_node, None, where)) if variables_node else {}
    scope.update(variables)
    if version == "0.4":
        if "nodes" not in arch:
            raise SpecError(f"{place(arch, None, where)}: a v0.4 architecture lists its 'nodes'")
        components = _walk_v04(arch["nodes"], scope, place(arch, "nodes", where))
    elif version in ("0.3", "0.2"):
        if "nodes" in arch:
            raise SpecError(f"{place(arch, 'nodes', where)}: 'nodes' is v0.4 syntax but version is {version}")
        components = _walk_v03(arch, scope, place(arch, None, where))
    else:
        raise SpecError(f"{place(arch, 'version', where)}: architecture version {version!r} is not supported; "
                        f"allowed: 0.3, 0.4")
    if not components:
        raise SpecError(f"{place(arch, None, where)}: the architecture has no components")
    for lv in components:
        for k in POSITIVE_ATTRIBUTES:
            v = lv.attributes.get(k)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0):
                raise SpecError(f"{lv.where}: attribute {k} of {lv.name!r} = {v!r} must be a number > 0")
    *storage, compute = components
    if compute.cls not in COMPUTE_CLASSES or compute.dummy:
        raise SpecError(f"{compute.where}: the innermost component {compute.name!r} (class {compute.cls!r}) must be "
                        f"the arithmetic unit, class one of {list(COMPUTE_CLASSES)}")
    for lv in storage:
        if lv.cls in COMPUTE_CLASSES:
            raise SpecError(f"{lv.where}: compute component {lv.name!r} is not the innermost node; Timeloop "
                            f"allows one arithmetic level, innermost")
    if not storage:
        raise SpecError(f"{place(arch, None, where)}: the architecture has no storage level above the MAC")
    names = [lv.name for lv in storage]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SpecError(f"{place(arch, None, where)}: component name(s) {dup} appear more than once")
    return Hierarchy(storage, compute, version, variables)


class _SpecScope:
    """``spec.problem.instance`` for expressions such as ``len(spec.problem.instance)``."""

    def __init__(self, instance):
        self.problem = type("Problem", (), {"instance": dict(instance)})()


def _spatial(node, where) -> tuple[int, int]:
    sp = node.get("spatial")
    if sp is None:
        return 1, 1
    check_keys(sp, SPATIAL_KEYS, "spatial")
    vals = []
    for k in ("meshX", "meshY"):
        v = sp.get(k, 1)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise SpecError(f"{place(sp, k, where)}: spatial {k} = {v!r} must be an integer >= 1")
        vals.append(v)
    return vals[0], vals[1]


def _walk_v04(nodes, scope, where) -> list:
    out: list[Level] = []
    state = {"mx": 1, "my": 1, "scope": dict(scope)}

    def walk(items, where):
        if not isinstance(items, list):
            raise SpecError(f"{where}: 'nodes' must be a list")
        for node in items:
            tag = getattr(node, "tag", None)
            here = place(node, None, where)
            if isinstance(node, TagList) or tag in ("!Parallel", "!Hierarchical", "!Pipelined"):
                if tag == "!Pipelined":
                    raise SpecError(f"{here}: !Pipelined nodes are not supported (Timeloop models one chain)")
                sub = node if isinstance(node, TagList) else node.get("nodes", [])
                if isinstance(node, dict):
                    check_keys(node, GROUP_KEYS, tag)
                walk(sub, here)
                continue
            if tag == "!Nothing":
                continue
            if not isinstance(node, dict):
                raise SpecError(f"{here}: an architecture node must be a mapping, got {node!r}")
            if tag is None:
                raise SpecError(f"{here}: node {node.get('name')!r} has no tag; v0.4 nodes are tagged "
                                f"!Container, !Component, !Parallel or !Hierarchical")
            if node.get("enabled", True) is False:
                continue
            name = str(node.get("name", ""))
            mx, my = _spatial(node, here)
            if tag == "!Container":
                check_keys(node, CONTAINER_KEYS, f"container {name}")
                attrs = _attributes(node.get("attributes"), state["scope"], here)
                state["scope"].update(attrs)
                if mx * my > 1:
                    out.append(Level(f"inter_{name}_spatial", "dummy_storage", {}, 1, state["mx"], state["my"], True,
                                     here, dict(node.get("constraints") or {}), (name,)))
                state["mx"] *= mx
                state["my"] *= my
                continue
            check_keys(node, COMPONENT_KEYS, f"component {name}")
            if "class" not in node:
                raise SpecError(f"{here}: component {name!r} has no 'class'")
            state["mx"] *= mx
            state["my"] *= my
            attrs = _attributes(node.get("attributes"), state["scope"], here)
            out.append(Level(name, str(node["class"]), attrs, state["mx"] * state["my"], state["mx"], state["my"],
                             False, here, dict(node.get("constraints") or {})))
        return out

    walk(nodes, where)
    for lv in out:  # a spatial container's level sits above the fan-out it heads: the outer instance count
        if lv.dummy:
            lv.instances = lv.mesh_x * lv.mesh_y
    return out


def _walk_v03(arch, scope, where) -> list:
    out: list[Level] = []

    def walk(node, mult, mx, inherited, here):
        check_keys(node, V03_NODE_KEYS, f"node {node.get('name')}")
        attrs = _attributes(node.get("attributes"), inherited, here)
        scope2 = {**inherited, **attrs}
        for comp in node.get("local", []) or []:
            if not isinstance(comp, dict):
                raise SpecError(f"{here}: a local component must be a mapping, got {comp!r}")
            cw = place(comp, None, here)
            cname, n = _count(comp.get("name", ""), cw)
            check_keys(comp, V03_COMPONENT_KEYS, f"component {cname}")
            cattrs = _attributes(comp.get("attributes"), scope2, cw)
            inst = mult * n
            if "instances" in cattrs:  # v0.2/v0.3 spelling of the total instance count
                inst = cattrs.pop("instances")
                if isinstance(inst, bool) or not isinstance(inst, int) or inst < 1 or inst % mult:
                    raise SpecError(f"{cw}: attribute instances = {inst!r} of {cname!r} must be a positive multiple "
                                    f"of its subtree's {mult} instances")
            meshx = cattrs.get("meshX") or inst  # Timeloop: a mesh one row high unless meshX says otherwise
            if inst % int(meshx):
                raise SpecError(f"{cw}: meshX {meshx} of {cname!r} does not divide its {inst} instances")
            out.append(Level(cname, str(comp.get("class")), cattrs, inst, int(meshx), inst // int(meshx), False, cw))
        for sub in node.get("subtree", []) or []:
            sw = place(sub, None, here)
            sname, n = _count(sub.get("name", ""), sw)
            walk(sub, mult * n, mx, scope2, sw)

    walk(arch, 1, 1, scope, where)
    return out



CNN_SHAPE = {
    "name": "CNN_Layer",
    "dimensions": ["C", "M", "R", "S", "N", "P", "Q"],
    "coefficients": [{"name": n, "default": 1} for n in ("Wstride", "Hstride", "Wdilation", "Hdilation")],
    "data_spaces": [
        {"name": "Weights", "projection": [[["C"]], [["M"]], [["R"]], [["S"]]]},
        {"name": "Inputs", "projection": [[["N"]], [["C"]], [["R", "Wdilation"], ["P", "Wstride"]],
                                           [["S", "Hdilation"], ["Q", "Hstride"]]]},
        {"name": "Outputs", "projection": [[["N"]], [["M"]], [["Q"]], [["P"]]], "read_write": True},
    ],
}


@dataclass(frozen=True)
class DataSpace:
    name: str
    axes: tuple  # per axis: ((dim index, coefficient), ...)
    read_write: bool = False


@dataclass(frozen=True)
class Problem:
    name: str
    dims: tuple  # dimension names, in the shape's order
    bounds: tuple  # size of each dimension
    data_spaces: tuple

    @property
    def macs(self) -> int:
        n = 1
        for b in self.bounds:
            n *= b
        return n

    def dim(self, name: str) -> int:
        return self.dims.index(name)

    def box(self, ds: int, lo, hi) -> tuple:
        """The data-space box ``(min, max)`` per axis (inclusive) touched by the operation box [lo, hi]."""
        out = []
        for axis in self.data_spaces[ds].axes:
            a = sum(c * lo[d] for d, c in axis)
            b = sum(c * hi[d] for d, c in axis)
            out.append((a, b))
        return tuple(out)

    def tensor_size(self, ds: int) -> int:
        n = 1
        for a, b in self.box(ds, [0] * len(self.dims), [x - 1 for x in self.bounds]):
            n *= b - a + 1
        return n


def read_problem(spec: dict, where: str) -> Problem:
    """The ``problem`` block of a merged specification."""
    prob = spec.get("problem")
    if not isinstance(prob, dict):
        raise SpecError(f"{where}: no 'problem' mapping (top-level keys: {sorted(spec)})")
    check_keys(prob, {"version", "shape", "instance"}, "problem")
    pw = place(prob, None, where)
    shape = prob.get("shape")
    if isinstance(shape, str):
        if shape.lower().replace("_", "-") not in ("cnn-layer",):
            raise SpecError(f"{place(prob, 'shape', where)}: built-in shape {shape!r} is not known; allowed: cnn-layer")
        shape = CNN_SHAPE
    if not isinstance(shape, dict):
        raise SpecError(f"{pw}: problem.shape must be a mapping or 'cnn-layer'")
    check_keys(shape, {"name", "dimensions", "coefficients", "data_spaces", "data-spaces"}, "problem.shape")
    raw_dims = shape.get("dimensions") or []
    if not isinstance(raw_dims, list):
        raise SpecError(f"{place(shape, 'dimensions', pw)}: problem.shape.dimensions must be a list, got {raw_dims!r}")
    dims = [str(d) for d in raw_dims]
    if not dims or len(set(dims)) != len(dims):
        raise SpecError(f"{place(shape, 'dimensions', pw)}: problem.shape.dimensions must list distinct names, "
                        f"got {dims}")
    coefs = {}
    raw_coefs = shape.get("coefficients") or []
    if not isinstance(raw_coefs, list):
        raise SpecError(f"{place(shape, 'coefficients', pw)}: problem.shape.coefficients must be a list")
    for c in raw_coefs:
        check_keys(c, {"name", "default"}, "coefficient")
        if "name" not in c:
            raise SpecError(f"{place(c, None, pw)}: a coefficient needs a 'name'")
        coefs[str(c["name"])] = c.get("default", 1)
    inst = prob.get("instance") or {}
    allowed = set(dims) | set(coefs) | {"densities"}
    for k, v in inst.items():
        if k not in allowed:  # Timeloop ignores such keys (the 2024 tutorial's H, W, Hpad ...): so do we, loudly
            warnings.warn(f"{place(inst, k, pw)}: problem.instance key {k!r} is neither a dimension {dims} nor a "
                          f"coefficient {sorted(coefs)}; ignored, as Timeloop ignores it", stacklevel=2)
            continue
        if k == "densities":
            raise SpecError(f"{place(inst, k, pw)}: problem.instance.densities (sparse tensors) is not supported")
        if isinstance(v, bool) or not isinstance(v, int) or v < (1 if k in dims else 0):
            raise SpecError(f"{place(inst, k, pw)}: problem.instance {k} = {v!r} must be an integer "
                            f">= {1 if k in dims else 0}")
    coefs.update({k: v for k, v in inst.items() if k in coefs})
    inst = {k: v for k, v in inst.items() if k in allowed}
    bounds = tuple(int(inst.get(d, 1)) for d in dims)
    spaces = []
    raw_spaces = shape.get("data_spaces", shape.get("data-spaces")) or []
    for ds in raw_spaces:
        dw = place(ds, None, pw)
        check_keys(ds, {"name", "projection", "read_write", "read-write"}, f"data space {ds.get('name')}")
        axes = []
        for axis in ds.get("projection") or []:
            if not isinstance(axis, list) or not axis:
                raise SpecError(f"{dw}: data space {ds.get('name')!r}: projection axis {axis!r} must be a list of terms")
            terms = []
            for term in axis:
                if not isinstance(term, list) or not 1 <= len(term) <= 2:
                    raise SpecError(f"{dw}: data space {ds.get('name')!r}: projection term {term!r} must be [DIM] or "
                                    f"[DIM, COEFFICIENT]")
                if term[0] not in dims:
                    raise SpecError(f"{dw}: data space {ds.get('name')!r}: projection uses {term[0]!r}, not a "
                                    f"dimension {dims}")
                c = term[1] if len(term) == 2 else 1
                if isinstance(c, str):
                    if c not in coefs:
                        raise SpecError(f"{dw}: data space {ds.get('name')!r}: coefficient {c!r} is not declared; "
                                        f"declared: {sorted(coefs)}")
                    c = coefs[c]
                if isinstance(c, bool) or not isinstance(c, int) or c < 0:
                    raise SpecError(f"{dw}: data space {ds.get('name')!r}: coefficient {term[1]!r} must be an "
                                    f"integer >= 0")
                terms.append((dims.index(term[0]), int(c)))
            axes.append(tuple(terms))
        spaces.append(DataSpace(str(ds.get("name")), tuple(axes), bool(ds.get("read_write", ds.get("read-write",
                                                                                                      False)))))
    if not spaces:
        raise SpecError(f"{pw}: problem.shape has no data spaces")
    if sum(s.read_write for s in spaces) != 1:
        raise SpecError(f"{pw}: exactly one data space must be read_write (the output), got "
                        f"{[s.name for s in spaces if s.read_write]}")
    return Problem(str(shape.get("name", "problem")), tuple(dims), bounds, tuple(spaces))



DIRECTIVE_KEYS = {"target", "type", "factors", "permutation", "split", "keep", "bypass"}
CONSTRAINT_KEYS = DIRECTIVE_KEYS | {"min_parallelism", "maximize_dims", "factors_only", "no_reuse",
                                    "no_multicast_no_reuse", "default_max_factor", "default_min_factor",
                                    "no_iteration_over_dataspaces", "max_overbooked_proportion", "shared"}
BYPASS_TYPES = ("bypass", "dataspace", "datatype")
TYPES = ("temporal", "spatial") + BYPASS_TYPES
MAPPER_KEYS = {"version", "optimization_metrics", "optimization_metric", "live_status", "num_threads", "timeout",
               "victory_condition", "algorithm", "max_permutations_per_if_visit", "search_size",
               "max_temporal_loops_in_a_mapping", "diagnostics", "log_stats", "log_suboptimal", "sync_interval",
               "penalize_consecutive_bypass_fails", "out_prefix", "filter_revisits", "log_all", "log_oaves",
               "log_oaves_mappings", "emit_whoop_nest", "max_loops", "max_loops_in_mapping"}
MAPPER_ALGORITHMS = ("random_pruned", "linear_pruned", "exhaustive", "random", "hybrid", "linear")
MAPPER_METRICS = ("delay", "energy", "edp", "last_level_accesses", "area")


@dataclass
class LevelMapping:
    temporal: list = field(default_factory=list)  # (dim index, factor), inner to outer, full permutation
    spatial: list = field(default_factory=list)  # (dim index, factor, is_x), inner to outer
    keep: frozenset | None = None  # data-space names kept; None: all


@dataclass
class MapperSettings:
    algorithm: str = "random_pruned"
    metrics: tuple = ("edp",)
    num_threads: int = 1
    search_size: int | None = None
    victory_condition: int | None = None
    timeout: int | None = None

    @property
    def objective(self) -> str:
        """The first of Timeloop's metrics this package's mapper optimises (``edp``, ``energy``, ``delay``)."""
        return next((m for m in self.metrics if m in ("edp", "energy", "delay")), "edp")

    @property
    def budget(self) -> int:
        """Mappings to evaluate: Timeloop's per-thread search size times threads (else the victory condition)."""
        per = self.search_size or self.victory_condition or 500
        return max(1, per * max(1, self.num_threads))


def _dims_of(text, problem: Problem, where, key):
    if isinstance(text, list):
        names = [str(x) for x in text]
    else:
        names = list(str(text or "").replace(" ", ""))
    bad = [n for n in names if n not in problem.dims]
    if bad:
        raise SpecError(f"{where}: {key} names {bad}, not dimensions of the problem {list(problem.dims)}")
    return [problem.dims.index(n) for n in names]


FACTOR = re.compile(r"([A-Za-z_][A-Za-z_0-9]*?)=?(\d+)$")


def _factors(value, problem: Problem, where, allow_zero=False) -> dict:
    toks = value if isinstance(value, list) else str(value or "").split()
    out = {}
    for tok in toks:
        m = FACTOR.fullmatch(str(tok).strip())
        if not m or m.group(1) not in problem.dims:
            raise SpecError(f"{where}: factor {tok!r} is not DIM=N (or DIMN) with DIM one of {list(problem.dims)}")
        n = int(m.group(2))
        if n < 1 and not allow_zero:
            raise SpecError(f"{where}: factor {tok!r} must be >= 1 in a mapping (0 means 'the rest' only in "
                            f"constraints)")
        out[problem.dims.index(m.group(1))] = n
    return out


def _keep(dv, problem: Problem, where):
    names = [d.name for d in problem.data_spaces]
    keep = dv.get("keep")
    drop = dv.get("bypass")
    for key, v in (("keep", keep), ("bypass", drop)):
        for x in v or []:
            if x not in names:
                raise SpecError(f"{where}: {key} names data space {x!r}; allowed: {names}")
    keep, drop = set(keep or []), set(drop or [])
    both = keep & drop
    if both:
        raise SpecError(f"{where}: data space(s) {sorted(both)} are both kept and bypassed")
    return frozenset(n for n in names if n not in drop)  # Timeloop: a data space not listed is kept


def _directive_list(spec: dict, keys, where) -> tuple[list, str]:
    for key in keys:
        if key in spec:
            block = spec[key]
            if isinstance(block, dict):
                check_keys(block, {"targets", "version"}, key)
                block = block.get("targets") or []
            if not isinstance(block, list):
                raise SpecError(f"{place(spec, key, where)}: '{key}' must be a list of directives")
            return block, key
    return [], ""


def read_mapping(spec: dict, problem: Problem, hier: Hierarchy, where: str) -> list:
    """Per storage level of ``hier`` (outermost first), its :class:`LevelMapping`, from ``mapping``
    (or from constraints that pin every factor and permutation)."""
    block, key = _directive_list(spec, ("mapping",), where)
    if not key:
        raise SpecError(f"{where}: no 'mapping' list (top-level keys: {sorted(spec)})")
    return _to_levels(block, problem, hier, where, DIRECTIVE_KEYS)


def _to_levels(block, problem, hier, where, allowed_keys) -> list:
    levels = [LevelMapping() for _ in hier.levels]
    seen = set()
    given_perm = {}
    given_fac = {}
    nd = len(problem.dims)
    for i, dv in enumerate(block):
        dw = place(dv, None, f"{where}: directive {i}")
        check_keys(dv, allowed_keys, f"mapping directive {i}")
        typ, target = dv.get("type", "temporal"), dv.get("target")
        if typ not in TYPES:
            raise SpecError(f"{dw}: directive type {typ!r} is not known; allowed: {list(TYPES)}")
        try:
            li = hier.index(str(target))
        except KeyError:
            raise SpecError(f"{dw}: target {target!r} is not a storage level; levels: "
                            f"{[lv.name for lv in hier.levels]}") from None
        kind = "bypass" if typ in BYPASS_TYPES else typ
        if (li, kind) in seen:
            raise SpecError(f"{dw}: a second {kind} directive for {target!r}")
        seen.add((li, kind))
        if kind == "bypass":
            levels[li].keep = _keep(dv, problem, dw)
            continue
        fac = _factors(dv.get("factors"), problem, dw)
        perm = _dims_of(dv.get("permutation", ""), problem, dw, "permutation")
        if len(set(perm)) != len(perm):
            raise SpecError(f"{dw}: permutation repeats a dimension")
        perm += [d for d in range(nd) if d not in perm]
        given_perm[(li, kind)] = perm
        given_fac[(li, kind)] = fac
        if kind == "temporal":
            levels[li].temporal = [(d, fac.get(d, 1)) for d in perm]
        else:
            split = dv.get("split", nd)
            if isinstance(split, bool) or not isinstance(split, int) or split < 0:
                raise SpecError(f"{dw}: split = {split!r} must be an integer >= 0")
            fx, fy = hier.fanout(li)
            levels[li].spatial = [(d, fac.get(d, 1), k < split) for k, d in enumerate(perm)]
            px = py = 1
            for _d, f, x in levels[li].spatial:
                if x:
                    px *= f
                else:
                    py *= f
            if px > fx or py > fy:
                raise SpecError(f"{dw}: spatial factors X={px}, Y={py} exceed the fan-out below {target!r} "
                                f"(X={fx}, Y={fy})")
    for lv in levels:
        if not lv.temporal:
            lv.temporal = [(d, 1) for d in range(nd)]
    for d in range(nd):
        prod = 1
        for lv in levels:
            for dd, f in lv.temporal:
                prod *= f if dd == d else 1
            for dd, f, _ in lv.spatial:
                prod *= f if dd == d else 1
        if prod != problem.bounds[d]:
            raise SpecError(f"{where}: the factors of {problem.dims[d]} multiply to {prod}, not its bound "
                            f"{problem.bounds[d]} (imperfect factorisation is not supported)")
    return levels


class Constraint(dict):
    """One constraint directive (its keys as read) and ``where``: the file and line it came from."""

    def __init__(self, directive: dict, where: str):
        super().__init__(directive)
        self.where = where


def read_constraints(spec: dict, problem: Problem, hier: Hierarchy, where: str) -> list:
    """The constraint directives (file-level and on v0.4 components), validated; returned as a list."""
    block, _ = _directive_list(spec, ("mapspace_constraints", "constraints", "mapspace", "architecture_constraints"),
                               where)
    out = []
    for i, dv in enumerate(block):
        dw = place(dv, None, f"{where}: constraint {i}")
        check_keys(dv, CONSTRAINT_KEYS, f"constraint {i}")
        _check_constraint(dv, problem, hier, dw)
        out.append(Constraint(dv, dw))
    for lv in hier.levels:
        for kind, c in (lv.constraints or {}).items():
            if kind not in ("dataspace", "temporal", "spatial"):
                raise SpecError(f"{lv.where}: constraints of {lv.name!r}: {kind!r} is not known; allowed: "
                                f"dataspace, temporal, spatial")
            if not isinstance(c, dict):
                raise SpecError(f"{lv.where}: constraints.{kind} of {lv.name!r} must be a mapping, got {c!r}")
            cw = place(c, None, lv.where)
            dv = dict(c)
            dv.update({"target": lv.name, "type": kind})
            check_keys(dv, CONSTRAINT_KEYS, f"constraints of {lv.name}")
            _check_constraint(dv, problem, hier, cw)
            out.append(Constraint(dv, cw))
    return out


def _check_constraint(dv, problem, hier, where):
    if dv.get("type", "temporal") not in TYPES:
        raise SpecError(f"{where}: constraint type {dv.get('type')!r} is not known; allowed: {list(TYPES)}")
    try:
        hier.index(str(dv.get("target")))
    except KeyError:
        raise SpecError(f"{where}: target {dv.get('target')!r} is not a storage level; levels: "
                        f"{[lv.name for lv in hier.levels]}") from None
    if "factors" in dv:
        _factors(dv["factors"], problem, where, allow_zero=True)
    if "permutation" in dv:
        _dims_of(dv["permutation"], problem, where, "permutation")
    if "keep" in dv or "bypass" in dv:
        _keep(dv, problem, where)
    for key in ("maximize_dims",):
        for group in dv.get(key) or []:
            _dims_of(group if isinstance(group, list) else [group], problem, where, key)


def constraints_as_mapping(constraints: list, problem: Problem, hier: Hierarchy, where: str):
    """The one mapping that constraints pinning every factor of every level allow, or None."""
    block = []
    for dv in constraints:
        if dv.get("type", "temporal") in ("temporal", "spatial"):
            fac = _factors(dv.get("factors"), problem, where, allow_zero=True)
            if 0 in fac.values():
                return None
        block.append({k: v for k, v in dv.items() if k in DIRECTIVE_KEYS})
    try:
        return _to_levels(block, problem, hier, where, DIRECTIVE_KEYS)
    except SpecError:
        return None


def read_mapper(spec: dict, where: str) -> MapperSettings:
    """The ``mapper`` block: its keys and values validated."""
    m = spec.get("mapper")
    if not isinstance(m, dict):
        raise SpecError(f"{where}: no 'mapper' mapping (top-level keys: {sorted(spec)})")
    check_keys(m, MAPPER_KEYS, "mapper")
    alg = m.get("algorithm", "random_pruned")
    if alg not in MAPPER_ALGORITHMS:
        raise SpecError(f"{place(m, 'algorithm', where)}: mapper algorithm {alg!r} is not known; allowed: "
                        f"{list(MAPPER_ALGORITHMS)}")
    metrics = m.get("optimization_metrics", m.get("optimization_metric", ["edp"]))
    metrics = tuple(metrics if isinstance(metrics, list) else [metrics])
    bad = [x for x in metrics if x not in MAPPER_METRICS]
    if bad:
        raise SpecError(f"{place(m, 'optimization_metrics', where)}: optimization metric(s) {bad} are not known; "
                        f"allowed: {list(MAPPER_METRICS)}")
    ints = {}
    for k in ("num_threads", "search_size", "victory_condition", "timeout"):
        v = m.get(k)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
            raise SpecError(f"{place(m, k, where)}: mapper {k} = {v!r} must be an integer >= 0")
        ints[k] = v
    return MapperSettings(alg, metrics, ints["num_threads"] or 1, ints["search_size"], ints["victory_condition"],
                          ints["timeout"])

__all__ = ["Level", "Hierarchy", "read_hierarchy", "COMPUTE_CLASSES", "Problem", "DataSpace", "read_problem",
           "CNN_SHAPE", "LevelMapping", "MapperSettings", "read_mapping", "read_constraints", "Constraint",
           "constraints_as_mapping", "read_mapper"]
