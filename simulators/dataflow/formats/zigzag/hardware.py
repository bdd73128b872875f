"""ZigZag's hardware and mapping YAML files (its ``inputs/hardware``, ``inputs/mapping``) read into this model.

Hardware: each memory (size in bits, ``r_cost``/``w_cost`` pJ per access of its port width, ``area``,
``operands`` among I1/I2/O, ``ports`` with widths and (operand, direction) allocations,
``served_dimensions``) becomes a :class:`StorageLevel`; the ``operational_array`` (dimension sizes,
``unit_energy``, ``unit_area``) becomes the MACs. A memory is repeated once per MAC position along the
array dimensions it does not serve (ZigZag's ``unroll_count``), so its instances and fan-out follow.
Which tensors a memory keeps depends on the mapping file's ``memory_operand_links`` (layer operand W, I, O
-> memory operand), hence :meth:`ZigzagHardware.architecture` takes the links.

This model's hierarchy is one chain of levels, each nested in the one above. Levels are the memories in
ZigZag's order (innermost first, as the file lists them) sorted by instances (most first); the memories'
served dimensions must then grow along the chain (:attr:`ZigzagArchitecture.arch`). Each operand's own
memories form a chain too (:attr:`ZigzagArchitecture.operand_archs`), on which
:mod:`.evaluation` counts that operand. Hardware whose memories are shared along crossing array
dimensions (edge_tpu_like, meta_prototype: a weight register shared along D3, D4 beside an output register
shared along D2) has no single chain (``arch`` is None and :meth:`ZigzagArchitecture.mapping` refuses
naming the two memories) but a chain per operand; one operand's memories shared along crossing
dimensions are refused by name. A memory repeated more often than one below it for the same operand
(ascend_like: DRAM unrolled 4 times, along D3, D4, above single-instance SRAMs) is refused naming both and
the dimensions it does not serve. Also
refused by name: in-memory computing arrays (``is_imc``), CACTI cost extraction, and a memory whose
ports for different operands or directions differ in width (one access width per level here).

Ports: a level's read (write) bandwidth is the sum of the widths of its distinct ports that serve reads
(writes); a ``read_write`` port counts on both sides (this model has separate read and write ports).
Energy is per access of the port width, and a transfer is rounded up to the port's ``bandwidth_min``
(ZigZag's ``_calc_memory_access``). ``latency`` and ``systolic_dimensions`` only reach ZigZag's latency
model, not its counts or energy: they are read and warned about.

Mapping file: a list of entries chosen by layer name, else operator type, else ``default`` (ZigZag's
``MappingFactory``), each with a ``spatial_mapping`` (per array dimension, ``"K, 32"`` items),
``memory_operand_links``, and the search constraints ``spatial_mapping_hint`` and ``temporal_ordering``.
:meth:`ZigzagArchitecture.mapping` turns a spatial mapping plus ZigZag's per-operand temporal mapping
into this model's :class:`Mapping`.

Files are read with PyYAML's safe loader, as ZigZag reads them; a key given twice keeps the later value
(PyYAML's and so ZigZag's behaviour) with a warning naming the line. Errors name the file and line.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from ...architecture import Architecture, ArchitectureError, ComputeUnit, StorageLevel
from ...mapping import LevelLoops, Mapping, MappingError
from ...workload import DIM_ALIASES, DIM_INDEX
from .mappings import operand_cuts, per_operand_cuts

MEMORY_OPERANDS = ("I1", "I2", "O")
#: ZigZag's default memory operand links (its MappingValidator default)
DEFAULT_LINKS = {"O": "O", "W": "I2", "I": "I1"}
DIRECTIONS = {"fh": "write", "fl": "write", "tl": "read", "th": "read"}
PORT_TYPES = ("read", "write", "read_write")
HARDWARE_KEYS = {"name", "memories", "operational_array", "dataflows"}
MEMORY_KEYS = {"size", "r_cost", "w_cost", "area", "latency", "mem_type", "auto_cost_extraction", "operands", "ports",
               "served_dimensions", "force_double_buffering"}
PORT_KEYS = {"name", "type", "bandwidth_min", "bandwidth_max", "allocation"}
ARRAY_KEYS = {"dimensions", "is_imc", "systolic_dimensions", "sizes", "input_precision", "unit_energy", "unit_area",
              "imc_type", "adc_resolution", "bit_serial_precision"}
MAPPING_KEYS = {"name", "spatial_mapping", "memory_operand_links", "spatial_mapping_hint", "temporal_ordering"}
#: ZigZag layer dimension -> this model's (``D``: a GEMM's rows, ZigZag's ONNX GEMM parser)
ZIGZAG_DIMS = {"B": "N", "D": "N", "K": "K", "C": "C", "G": "G", "OY": "P", "OX": "Q", "FY": "R", "FX": "S"}


class ZigzagInputError(ValueError):
    """A ZigZag input file that cannot be read or used here; the message names the file, line and feature."""


# -- YAML with line numbers ----------------------------------------------------------------------------
class _Map(dict):
    """A YAML mapping that remembers its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader (ZigZag's) recording lines and duplicate keys."""

    def construct_mapping(self, node, deep=False):
        out = _Map()
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in out:
                self.duplicates.append((key, key_node.start_mark.line + 1, out.key_lines[key]))
            out[key] = self.construct_object(value_node, deep=deep)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_mapping)


def load_yaml(path) -> object:
    """Parse one ZigZag YAML file; warn about keys given twice (the later one is used, as by ZigZag)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise ZigzagInputError(f"{path}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise ZigzagInputError(f"{path}: not UTF-8 text (byte {e.start})") from None
    loader = _Loader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ZigzagInputError(f"{path}{where}: not valid YAML ({getattr(e, 'problem', e)})") from None
    finally:
        loader.dispose()
    for key, line, first in loader.duplicates:
        warnings.warn(f"{path}:{line}: key {key!r} given again (first at line {first}); the later value is used, "
                      f"as ZigZag (PyYAML) does", stacklevel=2)
    return data


def _line(m, key=None) -> int:
    if isinstance(m, _Map):
        return m.key_lines.get(key, m.line) if key is not None else m.line
    return 0


class _Where:
    """File and line prefix for messages."""

    def __init__(self, path):
        self.path = path

    def __call__(self, m, key=None) -> str:
        line = _line(m, key)
        return f"{self.path}:{line}" if line else str(self.path)


def _keys(m, allowed, where, what):
    if not isinstance(m, dict):
        raise ZigzagInputError(f"{where}: {what} must be a mapping, got {type(m).__name__}")
    bad = sorted(str(k) for k in m if k not in allowed)
    if bad:
        raise ZigzagInputError(f"{where}: {what}: unknown key(s) {bad}; allowed: {sorted(allowed)}")


def _number(m, key, where, *, integer=False, required=True, default=None, minimum=0):
    if key not in m or m[key] is None:
        if required:
            raise ZigzagInputError(f"{where(m)}: {key} is missing")
        return default
    v = m[key]
    ok = isinstance(v, int) if integer else isinstance(v, (int, float))
    if isinstance(v, bool) or not ok or v < minimum:
        kind = "an integer" if integer else "a number"
        raise ZigzagInputError(f"{where(m, key)}: {key} must be {kind} >= {minimum}, got {v!r}")
    return v


# -- hardware ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ZigzagMemory:
    """One memory of a ZigZag hardware file, as written there (sizes and widths in bits)."""

    name: str
    line: int
    size: int
    r_cost: float
    w_cost: float
    area: float
    operands: tuple
    served: tuple
    width: int
    min_width: int
    read_bits: int
    write_bits: int
    double_buffering: bool


@dataclass(frozen=True)
class ZigzagHardware:
    """A ZigZag hardware file: memories innermost first and the operational array."""

    name: str
    path: str
    memories: tuple
    array_dims: tuple
    array_sizes: dict
    unit_energy: float
    unit_area: float
    dataflows: dict | None = None

    def unroll(self, memory: ZigzagMemory) -> int:
        """Instances of a memory: one per position along the array dimensions it does not serve."""
        return math.prod(self.array_sizes[d] for d in self.array_dims if d not in memory.served)

    def architecture(self, links: dict | None = None) -> ZigzagArchitecture:
        """This model's architecture for layers whose operands W, I, O link to memory operands ``links``."""
        links = dict(DEFAULT_LINKS if links is None else links)
        bad = {k: v for k, v in links.items() if k not in DEFAULT_LINKS or v not in MEMORY_OPERANDS}
        if bad or set(links) != set(DEFAULT_LINKS):
            raise ZigzagInputError(f"{self.path}: memory operand links {links} must link each of W, I, O to one of "
                                   f"{list(MEMORY_OPERANDS)}")
        order = sorted(self.memories, key=lambda m: -self.unroll(m))  # stable: ZigZag's order among equals
        for op in MEMORY_OPERANDS:
            listed = [m for m in self.memories if op in m.operands]
            for lo, hi in zip(listed, listed[1:]):
                if self.unroll(hi) > self.unroll(lo):
                    alone = [d for d in self.array_dims if d not in hi.served]
                    raise ZigzagInputError(
                        f"{self.path}:{hi.line}: memory {hi.name!r} holds {op} above {lo.name!r} (line {lo.line}) "
                        f"but is repeated {self.unroll(hi)} times (once per position along {alone}, which it does not "
                        f"serve) where {lo.name!r} has {self.unroll(lo)} instance(s): a memory unrolled above one with "
                        f"fewer instances is not modelled; this model nests each level in the one above")
        chain_error = ""
        for lo, hi in zip(order, order[1:]):
            if not set(lo.served) <= set(hi.served) and not chain_error:
                chain_error = (
                    f"{self.path}:{hi.line}: memory {hi.name!r} (served along {list(hi.served)}) sits above "
                    f"{lo.name!r} (line {lo.line}, served along {list(lo.served)}) in this model's chain of levels but "
                    f"does not serve all of its array dimensions: memories shared along crossing array dimensions "
                    f"have no single chain of levels (each operand's own memories are evaluated on their own chain: "
                    f"formats.zigzag.evaluation)")
        x_dim = self.array_dims[0]
        levels, memories = {}, {t: [] for t in DEFAULT_LINKS}
        for m in order:
            keeps = tuple(t for t in ("W", "I", "O") if links[t] in m.operands)
            word = math.gcd(m.width, m.min_width)
            depth = -(-m.size // m.width)
            buffering = depth * m.width / m.size * (2.0 if m.double_buffering else 1.0)
            inst = self.unroll(m)
            levels[m.name] = StorageLevel(
                m.name, keeps, depth=depth, word_bits=word, block_size=m.width // word, instances=inst,
                mesh_x=(self.array_sizes[x_dim] if x_dim not in m.served else 1),
                read_bandwidth=m.read_bits / word, write_bandwidth=m.write_bits / word, read_energy=float(m.r_cost),
                write_energy=float(m.w_cost), area=float(m.area), multiple_buffering=buffering,
                access_granularity_bits=m.min_width if m.min_width < m.width else None,
                component_class="DRAM" if m is order[-1] else "SRAM")
            for t in keeps:
                memories[t].append(m.name)
        for d in self.array_dims:
            if not any(d in m.served for m in order):
                raise ZigzagInputError(f"{self.path}: no memory serves array dimension {d}")
        n = math.prod(self.array_sizes.values())
        compute = ComputeUnit("mac", n, self.array_sizes[x_dim], float(self.unit_energy), float(self.unit_area))
        served = {m.name: m.served for m in order}
        operand_archs = {}
        for t, names in memories.items():  # each operand's own memories, nested as ZigZag nests them
            for lo, hi in zip(names, names[1:]):
                if not set(served[lo]) <= set(served[hi]):
                    raise ZigzagInputError(
                        f"{self.path}:{self._line(hi)}: memory {hi!r} (served along "
                        f"{list(served[hi])}) holds {t} above {lo!r} (served along {list(served[lo])}) but does not "
                        f"serve all of its array dimensions: an operand's memories shared along crossing array "
                        f"dimensions are not modelled")
            operand_archs[t] = self._chain(f"{self.name} ({t})", [levels[x] for x in names], compute)
        arch = self._chain(self.name, [levels[m.name] for m in order], compute) if not chain_error else None
        return ZigzagArchitecture(self, arch, links, {t: tuple(v) for t, v in memories.items()}, served,
                                  operand_archs, chain_error)

    def _line(self, name: str) -> int:
        return next(m.line for m in self.memories if m.name == name)

    def _chain(self, name: str, levels: list, compute: ComputeUnit) -> Architecture:
        try:
            return Architecture(name, tuple(levels), compute, spatial_reduction="chain")
        except ArchitectureError as e:
            raise ZigzagInputError(f"{self.path}: {e}") from None


def read_hardware(path) -> ZigzagHardware:
    """Read a ZigZag hardware YAML file (see the module docstring for what is supported)."""
    data = load_yaml(path)
    where = _Where(path)
    _keys(data, HARDWARE_KEYS, where(data), "the hardware file")
    for key in ("name", "memories", "operational_array"):
        if key not in data:
            raise ZigzagInputError(f"{path}: '{key}' is missing")
    oa = data["operational_array"]
    _keys(oa, ARRAY_KEYS, where(oa), "operational_array")
    if oa.get("is_imc"):
        raise ZigzagInputError(f"{where(oa, 'is_imc')}: in-memory computing arrays (is_imc, "
                               f"imc_type {oa.get('imc_type')!r}) are not modelled here")
    for key in ("imc_type", "adc_resolution", "bit_serial_precision"):
        if oa.get(key):
            raise ZigzagInputError(f"{where(oa, key)}: {key} belongs to in-memory computing arrays, not modelled here")
    dims, sizes = oa.get("dimensions"), oa.get("sizes")
    if not isinstance(dims, list) or not isinstance(sizes, list) or len(dims) != len(sizes) or not dims:
        raise ZigzagInputError(f"{where(oa)}: operational_array needs 'dimensions' and 'sizes' of the same length, "
                               f"got {dims!r} and {sizes!r}")
    for d, s in zip(dims, sizes):
        if not isinstance(d, str) or not isinstance(s, int) or isinstance(s, bool) or s < 1:
            raise ZigzagInputError(f"{where(oa, 'sizes')}: array dimension {d!r} of size {s!r}: dimensions are names "
                                   f"(D1, D2, ...) with integer sizes >= 1")
    if len(set(dims)) != len(dims):
        raise ZigzagInputError(f"{where(oa, 'dimensions')}: array dimensions repeat: {dims}")
    systolic = oa.get("systolic_dimensions") or []
    if set(systolic) - set(dims):
        raise ZigzagInputError(f"{where(oa, 'systolic_dimensions')}: {systolic} are not array dimensions {dims}")
    if systolic:
        warnings.warn(f"{where(oa, 'systolic_dimensions')}: systolic_dimensions {systolic} only add ZigZag's "
                      f"systolic drain to its latency; this model does not add it", stacklevel=2)
    memories = data["memories"]
    if not isinstance(memories, dict) or not memories:
        raise ZigzagInputError(f"{where(data, 'memories')}: 'memories' must be a non-empty mapping")
    mems = tuple(_memory(name, m, where, dims, data["memories"]) for name, m in memories.items())
    dataflows = data.get("dataflows")
    return ZigzagHardware(str(data["name"]), str(path), mems, tuple(dims), dict(zip(dims, sizes)),
                          _number(oa, "unit_energy", where), _number(oa, "unit_area", where, required=False, default=0),
                          _spatial(dataflows, where, "dataflows") if dataflows else None)


def _memory(name, m, where, dims, parent) -> ZigzagMemory:
    at = where(parent, name)
    _keys(m, MEMORY_KEYS, at, f"memory {name!r}")
    if m.get("auto_cost_extraction"):
        raise ZigzagInputError(f"{where(m, 'auto_cost_extraction')}: memory {name!r}: auto_cost_extraction (CACTI) "
                               f"is not supported; give r_cost, w_cost and area")
    size = _number(m, "size", where, integer=True, minimum=1)
    r_cost, w_cost = _number(m, "r_cost", where), _number(m, "w_cost", where)
    area = _number(m, "area", where)
    latency = _number(m, "latency", where, integer=True)
    if latency != 1:
        warnings.warn(f"{where(m, 'latency')}: memory {name!r}: latency {latency} is not used by ZigZag's cost "
                      f"model nor here", stacklevel=3)
    operands = m.get("operands")
    if not isinstance(operands, list) or not operands or any(op not in MEMORY_OPERANDS for op in operands):
        raise ZigzagInputError(f"{where(m, 'operands')}: memory {name!r}: operands {operands!r}; allowed: "
                               f"a list of {list(MEMORY_OPERANDS)}")
    served = m.get("served_dimensions")
    if not isinstance(served, list) or any(d not in dims for d in served):
        raise ZigzagInputError(f"{where(m, 'served_dimensions')}: memory {name!r}: served_dimensions {served!r} "
                               f"must list array dimensions among {dims}")
    ports = m.get("ports")
    if not isinstance(ports, list) or not ports:
        raise ZigzagInputError(f"{where(m, 'ports')}: memory {name!r}: 'ports' must be a non-empty list")
    widths, mins, read_bits, write_bits, served_dirs = set(), set(), 0, 0, set()
    per_port = []  # (port name, bandwidth_max, bandwidth_min, allocations) of ports that serve something
    for i, p in enumerate(ports):
        pat = where(p) if isinstance(p, _Map) else where(m, "ports")
        _keys(p, PORT_KEYS, pat, f"memory {name!r} port {i}")
        if p.get("type") not in PORT_TYPES:
            raise ZigzagInputError(f"{where(p, 'type')}: memory {name!r}: port type {p.get('type')!r}; allowed: "
                                   f"{list(PORT_TYPES)}")
        bmax = _number(p, "bandwidth_max", where, integer=True, minimum=1)
        bmin = _number(p, "bandwidth_min", where, integer=True, minimum=1)
        if bmin > bmax:
            raise ZigzagInputError(f"{where(p, 'bandwidth_min')}: memory {name!r}: bandwidth_min {bmin} > "
                                   f"bandwidth_max {bmax}")
        allocation = p.get("allocation") or []
        if not isinstance(allocation, list):
            raise ZigzagInputError(f"{where(p, 'allocation')}: memory {name!r}: allocation must be a list")
        sides = set()
        for a in allocation:
            op, _, direction = str(a).partition(", ")
            if op not in operands or direction not in DIRECTIONS:
                raise ZigzagInputError(f"{where(p, 'allocation')}: memory {name!r}: allocation {a!r}; allowed: "
                                       f"'<operand of this memory>, <fh|fl|tl|th>'")
            side = DIRECTIONS[direction]
            if p["type"] != "read_write" and p["type"] != side:
                raise ZigzagInputError(f"{where(p, 'allocation')}: memory {name!r}: a {p['type']} port cannot serve "
                                       f"{a!r} ({side})")
            sides.add(side)
            served_dirs.add((op, direction))
        if not sides:
            continue
        widths.add(bmax)
        mins.add(bmin)
        per_port.append((p.get("name", f"port {i}"), bmax, bmin, [str(a) for a in allocation]))
        read_bits += bmax if "read" in sides or p["type"] == "read_write" else 0
        write_bits += bmax if "write" in sides or p["type"] == "read_write" else 0
    if len(widths) != 1 or len(mins) != 1:
        ports_text = " ".join(f"{n} ({bmax}/{bmin} bits): {a}" for n, bmax, bmin, a in per_port)
        raise ZigzagInputError(f"{where(m, 'ports')}: memory {name!r}: ports of different widths "
                               f"(bandwidth_max {sorted(widths)}, bandwidth_min {sorted(mins)}); this model has one "
                               f"access width per level, ZigZag one per operand and direction: {ports_text}")
    if not read_bits or not write_bits:
        raise ZigzagInputError(f"{where(m, 'ports')}: memory {name!r} needs ports for both reads and writes")
    return ZigzagMemory(name, _line(parent, name), size, r_cost, w_cost, area, tuple(operands), tuple(served),
                        widths.pop(), mins.pop(), read_bits, write_bits, bool(m.get("force_double_buffering")))


# -- mapping file ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ZigzagMappingEntry:
    """One entry of a ZigZag mapping file (dimension names as ZigZag writes them)."""

    name: str
    path: str
    line: int
    spatial: dict | None                     # array dim -> [(layer dim, factor)]
    links: dict = field(default_factory=lambda: dict(DEFAULT_LINKS))
    spatial_hint: dict | None = None         # array dim -> [layer dims]
    temporal_ordering: tuple | None = None   # ((layer dim, factor or "*"), ...) innermost first

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class ZigzagMappingFile:
    path: str
    entries: tuple

    def entry_for(self, layer_name: str, operator_type: str = "") -> ZigzagMappingEntry:
        """ZigZag's choice: the entry named like the layer, else like its operator type, else ``default``."""
        by_name = {e.name: e for e in self.entries}
        for key in (layer_name, operator_type, "default"):
            if key in by_name:
                return by_name[key]
        raise ZigzagInputError(f"{self.path}: no entry for layer {layer_name!r} ({operator_type}) and no 'default'")


def _spatial(value, where, what) -> dict:
    if not isinstance(value, dict):
        raise ZigzagInputError(f"{where(value)}: {what} must map array dimensions to lists of 'DIM, factor'")
    out = {}
    for oa, items in value.items():
        if not isinstance(items, list):
            raise ZigzagInputError(f"{where(value, oa)}: {what} {oa}: expected a list of 'DIM, factor', got {items!r}")
        loops = []
        for it in items:
            d, _, f = str(it).partition(",")
            try:
                loops.append((d.strip(), int(f)))
            except ValueError:
                raise ZigzagInputError(f"{where(value, oa)}: {what} {oa}: {it!r} is not 'DIM, factor'") from None
        out[str(oa)] = loops
    return out


def read_mapping(path) -> ZigzagMappingFile:
    """Read a ZigZag mapping YAML file (a list of entries; see the module docstring)."""
    data = load_yaml(path)
    where = _Where(path)
    if not isinstance(data, list):
        raise ZigzagInputError(f"{path}: a mapping file is a list of entries, got {type(data).__name__}")
    entries = []
    for e in data:
        _keys(e, MAPPING_KEYS, where(e), "mapping entry")
        if "name" not in e:
            raise ZigzagInputError(f"{where(e)}: mapping entry without a name")
        sm = e.get("spatial_mapping")
        links = e.get("memory_operand_links") or dict(DEFAULT_LINKS)
        if not isinstance(links, dict) or set(links) != set(DEFAULT_LINKS) or \
                any(v not in MEMORY_OPERANDS for v in links.values()):
            raise ZigzagInputError(f"{where(e, 'memory_operand_links')}: memory_operand_links {links!r} must link "
                                   f"W, I, O to memory operands among {list(MEMORY_OPERANDS)}")
        hint = e.get("spatial_mapping_hint")
        if hint is not None and (not isinstance(hint, dict) or not all(isinstance(v, list) for v in hint.values())):
            raise ZigzagInputError(f"{where(e, 'spatial_mapping_hint')}: spatial_mapping_hint must map array "
                                   f"dimensions to lists of layer dimensions")
        order = e.get("temporal_ordering")
        if order is not None:
            if not isinstance(order, list) or not all(isinstance(x, list) and len(x) == 2 for x in order):
                raise ZigzagInputError(f"{where(e, 'temporal_ordering')}: temporal_ordering must be a list of "
                                       f"[DIM, factor or '*'] pairs (innermost first)")
            for d, f in order:
                if not (f == "*" or (isinstance(f, int) and not isinstance(f, bool) and f >= 1)):
                    raise ZigzagInputError(f"{where(e, 'temporal_ordering')}: temporal_ordering [{d}, {f!r}]: the "
                                           f"factor must be an integer >= 1 or '*'")
            order = tuple((str(d), f) for d, f in order)
        entries.append(ZigzagMappingEntry(
            str(e["name"]), str(path), _line(e), _spatial(sm, where, "spatial_mapping") if sm else None,
            {k: str(v) for k, v in links.items()}, {str(k): [str(x) for x in v] for k, v in hint.items()} if hint
            else None, order))
    if "default" not in {x.name for x in entries}:
        raise ZigzagInputError(f"{path}: no 'default' entry (ZigZag requires one)")
    return ZigzagMappingFile(str(path), tuple(entries))


# -- a ZigZag mapping on the chain of levels --------------------------------------------------------------
def model_dim(name: str, where: str = "") -> str:
    """This model's dimension for a ZigZag layer dimension (B, K, C, OY, OX, FY, FX, G, D)."""
    d = ZIGZAG_DIMS.get(str(name).upper()) or DIM_ALIASES.get(str(name).upper(), str(name).upper())
    if d not in DIM_INDEX:
        raise ZigzagInputError(f"{where + ': ' if where else ''}layer dimension {name!r} has no equivalent here; "
                               f"allowed: {sorted(ZIGZAG_DIMS)}")
    return d


@dataclass(frozen=True)
class ZigzagArchitecture:
    """A ZigZag hardware file as this model's architecture, for one set of operand links."""

    hardware: ZigzagHardware
    arch: Architecture
    links: dict
    memories: dict     # layer operand W/I/O -> its levels, innermost first (ZigZag's memory levels of it)
    served: dict       # level name -> the array dimensions it serves
    operand_archs: dict = field(default_factory=dict)  # operand -> the chain of its own memories
    chain_error: str = ""  # why the memories form no single chain (then ``arch`` is None)

    def mapping(self, temporal: dict, spatial: dict, where: str = "") -> tuple[Architecture, Mapping]:
        """(architecture, mapping) for ZigZag's mapping of one layer.

        ``temporal``: ZigZag's per-operand temporal mapping ``{W|I|O: [[(dim, factor), ...] per memory level
        of the operand, innermost first]}`` (``CostModelEvaluation.temporal_mapping.mapping_dic_origin``);
        ``spatial``: ``{array dim: [(dim, factor), ...]}``. Dimension names in ZigZag's or this model's
        terms. Sibling levels (same instances) are put in the order of their cuts. A level that covers fewer
        loops than a level below it with more instances (tesla_npu_like: the weight register shared along
        D2, D3 over the per-MAC output register, on ZigZag's choices for AlexNet's convolutions) has no
        equivalent in this chain and is refused: folding the lower loops into its tile would keep its
        tensor stationary over loops where ZigZag refetches it (up to 98x fewer weight fills, measured).
        """
        at = where or self.hardware.path
        if self.arch is None:
            raise MappingError(self.chain_error)
        ops = ("O", "W", "I")
        if set(temporal) != set(ops):
            raise MappingError(f"{at}: the temporal mapping gives operands {sorted(temporal)}; expected W, I, O")
        temporal = {op: [[(model_dim(d, at), int(f)) for d, f in lv] for lv in temporal[op]] for op in ops}
        order, cuts = operand_cuts(temporal, self.memories, at)
        arch = _cut_order(self.arch, cuts)
        per_level = self._spatial_levels(arch, spatial, at)
        levels, start = [], 0
        for lv in arch.levels:
            end = cuts.get(lv.name, start)
            if end < start:
                below = [x.name for x in arch.levels if cuts.get(x.name, 0) > end and x.instances > lv.instances]
                raise MappingError(
                    f"{at}: memory {lv.name!r} covers {end} loops, fewer than {below} below it with more instances "
                    f"({start}); a level's tile contains the tiles below it here, so this mapping has no equivalent "
                    f"(the loops in between would be taken to keep {list(lv.keeps)} stationary in {lv.name!r})")
            sx, sy = per_level[lv.name]
            levels.append(LevelLoops(tuple(order[start:end]), tuple(sx), tuple(sy)))
            start = end
        if start != len(order):
            raise MappingError(f"{at}: the outermost memory covers {start} of the {len(order)} loops")
        return arch, Mapping(tuple(levels))

    def _spatial_levels(self, arch: Architecture, spatial: dict, at: str) -> dict:
        """{level name: (spatial X loops, spatial Y loops)}: an array dimension's loops at the first level
        serving it."""
        unknown = set(spatial) - set(self.hardware.array_dims)
        if unknown:
            raise MappingError(f"{at}: spatial mapping over {sorted(unknown)}, not array dimensions "
                               f"{list(self.hardware.array_dims)}")
        per_level = {lv.name: ([], []) for lv in arch.levels}
        first = {oa: next(lv.name for lv in arch.levels if oa in self.served[lv.name]) for oa in spatial}
        for oa, loops in spatial.items():
            used = math.prod(int(f) for _, f in loops)
            if used > self.hardware.array_sizes[oa]:
                raise MappingError(f"{at}: spatial mapping {oa} {loops} uses {used} units, the array dimension has "
                                   f"{self.hardware.array_sizes[oa]}")
            axis = 0 if oa == self.hardware.array_dims[0] else 1
            per_level[first[oa]][axis].extend(
                (model_dim(d, at), int(f)) for d, f in loops if int(f) > 1)
        return per_level

    def operand_mapping(self, temporal: dict, spatial: dict, operand: str, where: str = "") -> Mapping:
        """This model's mapping on ``operand_archs[operand]`` (the chain of one operand's own memories) as the
        operand W, I or O sees ZigZag's mapping of a layer: its memories cut where its temporal mapping cuts
        them, an array dimension's spatial loops at its first memory serving that dimension (as ZigZag
        assigns them per operand). An operand's counts depend only on its own memories, so this expresses
        what one mapping of one chain cannot: a memory shared by operands cut at different loops
        (generic_array's SRAM), a level covering fewer loops than one below it that holds another operand
        (tesla_npu_like's shared weight register over the per-MAC output register), and memories shared
        along crossing array dimensions (edge_tpu_like). Arguments as in :meth:`mapping`."""
        at = where or self.hardware.path
        ops = ("O", "W", "I")
        if set(temporal) != set(ops) or operand not in ops:
            raise MappingError(f"{at}: the temporal mapping gives operands {sorted(temporal)}, asked for "
                               f"{operand!r}; expected W, I, O")
        temporal = {op: [[(model_dim(d, at), int(f)) for d, f in lv] for lv in temporal[op]] for op in ops}
        order, per_op = per_operand_cuts(temporal, self.memories, at)
        cuts = per_op[operand]
        arch = self.operand_archs[operand]
        per_level = self._spatial_levels(arch, spatial, at)
        levels, start = [], 0
        for lv in arch.levels:
            end = cuts.get(lv.name, start)
            sx, sy = per_level[lv.name]
            levels.append(LevelLoops(tuple(order[start:end]), tuple(sx), tuple(sy)))
            start = end
        if start != len(order):
            raise MappingError(f"{at}: the outermost memory of {operand} covers {start} of the {len(order)} loops")
        return Mapping(tuple(levels))


def _cut_order(arch: Architecture, cuts: dict) -> Architecture:
    """Swap adjacent sibling levels (same instances) into the order of their cuts."""
    levels = list(arch.levels)
    changed = True
    while changed:
        changed = False
        for i in range(len(levels) - 1):
            a, b = levels[i], levels[i + 1]
            if a.name in cuts and b.name in cuts and cuts[a.name] > cuts[b.name] and a.instances == b.instances:
                levels[i], levels[i + 1] = b, a
                changed = True
    return arch if levels == list(arch.levels) else replace(arch, levels=tuple(levels))
