"""ZigZag's workloads read into this model's layers: ONNX models (optional ``onnx`` extra) and workload YAML.

ONNX, as ZigZag's ``ONNXModelParser`` reads it: ``Conv`` and ``QLinearConv`` (groups on G, kernel,
strides, dilations, pads; the real input size clips input tiles as ZigZag's padding does), ``Gemm`` and
``MatMul`` (rows on N, reduction on C, columns on K; ``transA``; a batch of matrices with more than one
matrix is refused). Precisions are ZigZag's: 8-bit weights and activations, partial sums twice the
activation width, unless the node carries ZigZag's ``weight_size``/``act_size``/``output_size``
attributes. Every other operator carries no MACs in ZigZag (it becomes a ``DummyNode`` with no cost):
such nodes are listed in :attr:`ZigzagWorkload.skipped` and warned about, or refused by name
(``strict=True``). Auto-padding other than ``NOTSET`` is refused by name.

ZigZag reads an ONNX Conv's ``kernel_shape``, ``strides`` and ``dilations`` as (x, y) where ONNX writes
(height, width); here they are read as ONNX defines them. The two agree on square kernels and strides
(every Conv of the shipped resnet18, mobilenetv2 and alexnet); a non-square one is warned about.

Workload YAML (ZigZag's list of layers with ``equation``, ``loop_dims``, ``loop_sizes``,
``dimension_relations``, ``operand_precision``, ``pr_loop_dims``/``pr_loop_sizes``, ``padding``): layers
whose operands are indexed as in this model's loop nest (``O[b][g][k][oy][ox] += W[g][k][c][fy][fx] *
I[b][g][c][iy][ix]`` in any order and with any dimensions left out; GEMM rows may be ``D``). A dimension
with no equivalent here (ZigZag's ``H`` heads, custom names) or an operand indexed otherwise is refused
naming the file, line and dimension.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ...workload import RELEVANT, TENSORS, Layer, WorkloadError
from .hardware import ZIGZAG_DIMS, ZigzagInputError, _line, load_yaml

#: ONNX operators ZigZag turns into layers with MACs
COMPUTE_OPS = ("Conv", "QLinearConv", "Gemm", "MatMul")
#: ZigZag's custom precision attributes on ONNX nodes
PRECISION_ATTRS = {"W": "weight_size", "I": "act_size", "O": "output_size"}


@dataclass(frozen=True)
class ZigzagWorkload:
    """The layers of a workload, with each one's operator type (for the mapping file's entry)."""

    path: str
    layers: tuple
    operator_types: dict = field(default_factory=dict)
    skipped: tuple = ()   # (node name, operator type) of nodes without MACs

    def operator_type(self, layer: Layer) -> str:
        return self.operator_types.get(layer.name, "")


# -- ONNX ---------------------------------------------------------------------------------------------
def read_onnx(path, strict: bool = False) -> ZigzagWorkload:
    """The layers of an ONNX model (``pip install archgym[onnx]``); see the module docstring."""
    try:
        import onnx
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise ImportError("reading ONNX models needs the onnx extra: pip install 'archgym[onnx]'") from e
    from onnx import helper, shape_inference

    path = Path(path)
    try:
        model = onnx.load(str(path), load_external_data=False)  # weights' values are not needed
    except FileNotFoundError:
        raise ZigzagInputError(f"{path}: no such file") from None
    except Exception as e:  # onnx raises DecodeError and others for a file that is not a model
        raise ZigzagInputError(f"{path}: not an ONNX model ({type(e).__name__}: {e})") from None
    try:
        model = shape_inference.infer_shapes(model)
    except Exception as e:
        raise ZigzagInputError(f"{path}: ONNX shape inference fails ({type(e).__name__}: {e})") from None
    g = model.graph
    shapes = {}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        shapes[vi.name] = [d.dim_value for d in vi.type.tensor_type.shape.dim]
    inits = {t.name: list(t.dims) for t in g.initializer}
    shapes.update(inits)
    layers, types, skipped = [], {}, []
    for index, node in enumerate(g.node):
        name = node.name or f"node{index}"
        where = f"{path}: node {index} {name!r} ({node.op_type})"
        if node.op_type not in COMPUTE_OPS:
            if strict:
                raise ZigzagInputError(f"{where}: operator {node.op_type} carries no MACs and is not modelled; "
                                       f"allowed: {list(COMPUTE_OPS)} (strict=False skips it, as ZigZag does)")
            skipped.append((name, node.op_type))
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        bits = _onnx_bits(attrs, where)
        if node.op_type in ("Conv", "QLinearConv"):
            layer = _onnx_conv(name, node, attrs, shapes, bits, where)
        else:
            weight_const = len(node.input) > 1 and node.input[1] in inits
            if not weight_const:
                bits["W"] = bits["I"]  # ZigZag: a variable second operand has the activation precision
            layer = _onnx_gemm(name, node, attrs, shapes, inits, bits, where)
        if name in types:
            raise ZigzagInputError(f"{where}: node name given twice")
        layers.append(layer)
        types[name] = node.op_type
    if skipped:
        summary = ", ".join(f"{op} x {n}" for op, n in Counter(op for _, op in skipped).items())
        warnings.warn(f"{path}: {len(skipped)} node(s) without MACs skipped, as ZigZag does (a DummyNode with no "
                      f"cost): {summary}", stacklevel=2)
    return ZigzagWorkload(str(path), tuple(layers), types, tuple(skipped))


def _onnx_bits(attrs, where) -> dict:
    vals = {}
    for op, key in PRECISION_ATTRS.items():
        if key in attrs:
            v = attrs[key]
            if isinstance(v, bytes) or not isinstance(v, int) or v < 1:
                raise ZigzagInputError(f"{where}: attribute {key} must be an integer >= 1, got {v!r}")
            vals[op] = v
    act = vals.get("I", 8)
    return {"W": vals.get("W", 8), "I": act, "O": vals.get("O", 2 * act), "O_final": act}


def _shape(shapes, name, where, what) -> list:
    s = shapes.get(name)
    if not s or any(d <= 0 for d in s):
        raise ZigzagInputError(f"{where}: the shape of its {what} {name!r} is unknown ({s!r}) after shape inference")
    return s


def _onnx_conv(name, node, attrs, shapes, bits, where) -> Layer:
    if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise ZigzagInputError(f"{where}: auto_pad {attrs['auto_pad']!r} is not supported; give explicit pads")
    x = _shape(shapes, node.input[0], where, "input")
    y = _shape(shapes, node.output[0], where, "output")
    if len(x) != 4 or len(y) != 4:
        raise ZigzagInputError(f"{where}: only 2-D convolutions (4-D tensors) are supported, got input {x}")
    groups = int(attrs.get("group", 1))
    w_name = node.input[3] if node.op_type == "QLinearConv" else node.input[1]
    kernel = list(attrs.get("kernel_shape") or _shape(shapes, w_name, where, "weight")[2:])
    strides = list(attrs.get("strides", [1, 1]))
    dil = list(attrs.get("dilations", [1, 1]))
    if len(kernel) != 2 or len(strides) != 2 or len(dil) != 2:
        raise ZigzagInputError(f"{where}: kernel_shape {kernel}, strides {strides}, dilations {dil}: 2-D only")
    if kernel[0] != kernel[1] or strides[0] != strides[1] or dil[0] != dil[1]:
        warnings.warn(f"{where}: non-square kernel_shape {kernel} / strides {strides} / dilations {dil}: ZigZag "
                      f"reads them as (x, y), this model as ONNX's (height, width)", stacklevel=3)
    if x[0] != y[0]:
        raise ZigzagInputError(f"{where}: batch of input {x[0]} differs from the output's {y[0]}")
    if x[1] % groups or y[1] % groups:
        raise ZigzagInputError(f"{where}: group {groups} does not divide the channels ({x[1]} in, {y[1]} out)")
    dims = {"N": x[0], "G": groups, "K": y[1] // groups, "C": x[1] // groups, "P": y[2], "Q": y[3],
            "R": kernel[0], "S": kernel[1]}
    kind = "depthwise" if groups > 1 and dims["K"] == dims["C"] == 1 else "conv"
    try:
        return Layer(name, dims, kind, tuple(strides), tuple(dil), (x[2], x[3]), bits)
    except WorkloadError as e:
        raise ZigzagInputError(f"{where}: {e}") from None


def _onnx_gemm(name, node, attrs, shapes, inits, bits, where) -> Layer:
    y = _shape(shapes, node.output[0], where, "output")
    x = shapes.get(node.input[0])
    if not x or any(d <= 0 for d in x):
        # ZigZag's fallback: the reduction size from the weight initializer (2-D GEMMs only)
        w = inits.get(node.input[1]) if len(node.input) > 1 else None
        if not w or len(w) != 2 or len(y) != 2:
            raise ZigzagInputError(f"{where}: the input's shape is unknown and cannot be inferred from the weights")
        x = [y[0], w[1] if attrs.get("transB", 0) else w[0]]
    elif attrs.get("transA", 0):
        if len(x) != 2:
            raise ZigzagInputError(f"{where}: transA is supported only for 2-D inputs (ZigZag's rule), got {x}")
        x = [x[1], x[0]]
    if len(x) not in (2, 3, 4) or len(x) != len(y):
        raise ZigzagInputError(f"{where}: input {x} and output {y} must both have 2, 3 or 4 dimensions")
    batch = [d for d in x[:-2] if d > 1]
    if batch:
        raise ZigzagInputError(f"{where}: a batch of {x[:-2]} matrices (ZigZag's B/H dimensions) is not supported "
                               f"here; only a single matrix product")
    if x[-2] != y[-2]:
        raise ZigzagInputError(f"{where}: rows of input {x[-2]} and output {y[-2]} differ")
    try:
        return Layer(name, {"N": x[-2], "C": x[-1], "K": y[-1]}, "gemm", bits=bits)
    except WorkloadError as e:
        raise ZigzagInputError(f"{where}: {e}") from None


# -- workload YAML --------------------------------------------------------------------------------------
_OPERAND = re.compile(r"([A-Za-z_]\w*)((?:\[\w*\])+)")
_RELATION = re.compile(r"^\s*(\w+)\s*=\s*(?:(\d+)\s*\*\s*)?(\w+)\s*\+\s*(?:(\d+)\s*\*\s*)?(\w+)\s*$")
WORKLOAD_KEYS = {"id", "name", "operator_type", "equation", "dimension_relations", "loop_dims", "loop_sizes",
                 "operand_precision", "operand_source", "pr_loop_dims", "pr_loop_sizes", "padding"}


def read_workload_yaml(path) -> ZigzagWorkload:
    """The layers of a ZigZag workload YAML file (see the module docstring)."""
    data = load_yaml(path)
    if not isinstance(data, list):
        raise ZigzagInputError(f"{path}: a workload file is a list of layers, got {type(data).__name__}")
    layers, types = [], {}
    for i, e in enumerate(data):
        where = f"{path}:{_line(e)}" if _line(e) else f"{path}: layer {i}"
        if not isinstance(e, dict):
            raise ZigzagInputError(f"{where}: a layer must be a mapping")
        bad = sorted(str(k) for k in e if k not in WORKLOAD_KEYS)
        if bad:
            raise ZigzagInputError(f"{where}: unknown key(s) {bad}; allowed: {sorted(WORKLOAD_KEYS)}")
        layer = _yaml_layer(e, where, i)
        if layer.name in types:
            raise ZigzagInputError(f"{where}: layer name {layer.name!r} given twice")
        layers.append(layer)
        types[layer.name] = str(e.get("operator_type", ""))
    return ZigzagWorkload(str(path), tuple(layers), types)


def _yaml_layer(e, where, i) -> Layer:
    name = str(e.get("name") or f"Layer{e.get('id', i)}")
    dims_raw, sizes = e.get("loop_dims"), e.get("loop_sizes")
    if not isinstance(dims_raw, list) or not isinstance(sizes, list) or len(dims_raw) != len(sizes):
        raise ZigzagInputError(f"{where}: loop_dims and loop_sizes must be lists of the same length")
    size = {}
    for d, s in zip(dims_raw, sizes):
        key = str(d).upper()
        if key not in ZIGZAG_DIMS:
            raise ZigzagInputError(f"{where}: layer {name!r}: loop dimension {d!r} has no equivalent here; allowed: "
                                   f"{sorted(ZIGZAG_DIMS)}")
        if not isinstance(s, int) or isinstance(s, bool) or s < 1:
            raise ZigzagInputError(f"{where}: layer {name!r}: loop size of {d} must be an integer >= 1, got {s!r}")
        size[key] = s
    if "B" in size and "D" in size and size["B"] > 1 and size["D"] > 1:
        raise ZigzagInputError(f"{where}: layer {name!r}: both B and D > 1 map to this model's N")
    stride, dilation, inputs = [1, 1], [1, 1], {}
    for rel in e.get("dimension_relations") or []:
        m = _RELATION.match(str(rel))
        if not m:
            raise ZigzagInputError(f"{where}: layer {name!r}: dimension relation {rel!r} is not 'ix=s*ox+d*fx'")
        target, s, out, d, filt = m.groups()
        axis = {("ix", "ox", "fx"): 1, ("iy", "oy", "fy"): 0}.get((target.lower(), out.lower(), filt.lower()))
        if axis is None:
            raise ZigzagInputError(f"{where}: layer {name!r}: dimension relation {rel!r}: only ix = s*ox + d*fx and "
                                   f"iy = s*oy + d*fy are supported")
        stride[axis], dilation[axis] = int(s or 1), int(d or 1)
        inputs[target.lower()] = axis
    eq = str(e.get("equation", ""))
    found = {op[0].upper(): [x for x in re.findall(r"\[(\w*)\]", idx) if x] for op, idx in _OPERAND.findall(eq)}
    if set(found) != {"O", "W", "I"}:
        raise ZigzagInputError(f"{where}: layer {name!r}: equation {eq!r} must relate O, W and I")
    conv = bool(inputs)
    for t, idx in found.items():
        got = set()
        for x in idx:
            key = x.upper()
            if t == "I" and x.lower() in inputs:
                got |= {"P", "R"} if inputs[x.lower()] == 0 else {"Q", "S"}
                continue
            if key not in ZIGZAG_DIMS:
                raise ZigzagInputError(f"{where}: layer {name!r}: equation index {x!r} of {t} is not a loop dimension")
            got.add(ZIGZAG_DIMS[key])
        want = {d for d, r in zip(("N", "G", "K", "C", "P", "Q", "R", "S"), RELEVANT[TENSORS.index(t)]) if r}
        present = {ZIGZAG_DIMS[k] for k, v in size.items()} | ({"P", "Q", "R", "S"} if t == "I" else set())
        if got - want or (want & present) - got - ({"P", "Q", "R", "S"} if t == "I" and not conv else set()):
            raise ZigzagInputError(f"{where}: layer {name!r}: {t} is indexed by {idx} in {eq!r}; this model's {t} "
                                   f"depends on {sorted(want)} (W[g][k][c][fy][fx], I[b][g][c][iy][ix], "
                                   f"O[b][g][k][oy][ox])")
    prec = e.get("operand_precision") or {}
    bits = {k: int(prec[k]) for k in ("W", "I", "O", "O_final") if k in prec}
    if "O" not in bits or "O_final" not in bits:
        raise ZigzagInputError(f"{where}: layer {name!r}: operand_precision needs O and O_final, got {prec!r}")
    dims = {ZIGZAG_DIMS[k]: v for k, v in size.items()}
    input_size = None
    pr = dict(zip([str(x).upper() for x in e.get("pr_loop_dims") or []], e.get("pr_loop_sizes") or []))
    if pr:
        if set(pr) - {"IX", "IY"}:
            raise ZigzagInputError(f"{where}: layer {name!r}: pr_loop_dims {sorted(pr)}; allowed: IX, IY")
        input_size = (int(pr.get("IY", 0)), int(pr.get("IX", 0)))
    elif e.get("padding"):
        pad = e["padding"]
        full = [stride[a] * (dims.get("PQ"[a], 1) - 1) + dilation[a] * (dims.get("RS"[a], 1) - 1) + 1 for a in (0, 1)]
        try:
            input_size = (full[0] - sum(pad[1]), full[1] - sum(pad[0]))  # ZigZag pairs padding with [IX, IY]
        except (TypeError, IndexError):
            raise ZigzagInputError(f"{where}: layer {name!r}: padding {pad!r} is not [[x0, x1], [y0, y1]]") from None
    kind = "conv" if conv else "gemm"
    if conv and dims.get("G", 1) > 1 and dims.get("K", 1) == dims.get("C", 1) == 1:
        kind = "depthwise"
    try:
        return Layer(name, dims, kind, tuple(stride), tuple(dilation), input_size if conv else None, bits)
    except WorkloadError as err:
        raise ZigzagInputError(f"{where}: {err}") from None
