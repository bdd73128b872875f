"""Timeloop specification files as YAML: tags, line numbers, merged files, templates, arithmetic.

Every mapping is loaded as a :class:`Node` (a ``dict``) that remembers its file, line and tag (``!Container``,
``!Component``, ``!Parallel``, ``!Hierarchical``, ``!Nothing``), so that an error can name where it is.
Numbers are read as YAML 1.2 reads them (``1e-9`` is a float), as Timeloop's yaml-cpp does. Several
files merge by top-level key; Jinja2 templates are rendered when variables are given.

Attribute values such as ``datawidth * 3``, ``max(32, width)``, ``DATAWIDTH`` or
``len(spec.problem.instance)`` are Python expressions in Timeloop's v0.4 front end; :func:`evaluate`
accepts literals, names, attribute access, arithmetic, comparisons, ``a if c else b`` and the
functions in :data:`FUNCTIONS`, and refuses anything else by name.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from pathlib import Path

import yaml

from ...textfile import decode_error
from ...yaml12 import Loader as Yaml12Loader

TAGS = ("!Container", "!Component", "!Parallel", "!Hierarchical", "!Nothing", "!Pipelined")


class SpecError(ValueError):
    """A Timeloop specification that cannot be read or is not supported; the message names file and line."""


class Node(dict):
    """A YAML mapping with its place (``file``, ``line``, 1-based) and its tag (``None`` if untagged)."""

    file: str = "?"
    line: int = 0
    tag: str | None = None

    def where(self, key: str | None = None) -> str:
        """``file, line N`` (of ``key`` if it is one of this mapping's keys)."""
        line = getattr(self, "key_lines", {}).get(key, self.line) if key else self.line
        return f"{self.file}, line {line}"


class TagList(list):
    """A tagged YAML sequence (``!Parallel [..]``)."""

    tag: str | None = None
    file: str = "?"
    line: int = 0


def _loader_class(file: str):
    class Loader(Yaml12Loader):
        pass

    def mapping(loader, node, tag=None):
        explicit = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
        loader.flatten_mapping(node)  # merged (<<) pairs first; an explicit key overrides a merged one
        out = Node()
        out.file, out.line, out.tag = file, node.start_mark.line + 1, tag
        out.key_lines = {}
        from_merge = set()
        for k_node, v_node in node.value:
            key = loader.construct_object(k_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise SpecError(f"{file}, line {k_node.start_mark.line + 1}: a mapping key must be a scalar")
            if key in out and key not in from_merge:
                raise SpecError(f"{file}, line {k_node.start_mark.line + 1}: key {key!r} appears twice")
            if id(k_node) not in explicit:
                from_merge.add(key)
            else:
                from_merge.discard(key)
            out[key] = loader.construct_object(v_node, deep=True)
            out.key_lines[key] = k_node.start_mark.line + 1
        return out

    def tagged(loader, suffix, node):
        tag = "!" + suffix
        if tag not in TAGS:
            raise SpecError(f"{file}, line {node.start_mark.line + 1}: YAML tag {tag} is not known; "
                            f"allowed: {list(TAGS)}")
        if isinstance(node, yaml.MappingNode):
            return mapping(loader, node, tag)
        if isinstance(node, yaml.SequenceNode):
            out = TagList(loader.construct_sequence(node, deep=True))
        else:
            out = TagList()
        out.tag, out.file, out.line = tag, file, node.start_mark.line + 1
        return out

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    Loader.add_multi_constructor("!", tagged)
    return Loader


def _render(text: str, path: Path, variables: dict | None) -> str:
    if "{%" not in text and "{{" not in text:
        return text
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "{%" in s or "{{" in s)
    if variables is None:
        raise SpecError(f"{path}, line {line}: the file is a Jinja2 template; pass jinja_variables "
                        f"(a dict, possibly empty for the template's defaults) to render it")
    try:
        import jinja2  # optional: only templated specifications need it
    except ImportError:
        raise SpecError(f"{path}, line {line}: the file is a Jinja2 template and jinja2 is not installed") from None
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    try:
        return env.from_string(text).render(**variables)
    except jinja2.TemplateError as e:
        raise SpecError(f"{path}, line {getattr(e, 'lineno', None) or line}: Jinja2 template: {e}") from None


def load(path, jinja_variables: dict | None = None) -> Node:
    """One YAML file as a :class:`Node` (its top level must be a mapping)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise SpecError(f"{path}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise SpecError(f"{path}: {decode_error(e)}") from None
    text = _render(text, path, jinja_variables)
    try:
        data = yaml.load(text, Loader=_loader_class(str(path)))
    except SpecError:
        raise
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        raise SpecError(f"{path}{where}: not valid YAML ({getattr(e, 'problem', e)})") from None
    if data is None:
        data = Node()
        data.file, data.line = str(path), 1
    if not isinstance(data, dict):
        raise SpecError(f"{path}, line 1: expected a mapping at the top level, got {type(data).__name__}")
    return data


def load_merged(paths, jinja_variables: dict | None = None) -> Node:
    """Several files merged by top-level key, as Timeloop merges its inputs; a key given twice is an error."""
    out = Node()
    out.key_lines, out.file, out.line = {}, "", 1
    files = {}
    for p in paths:
        data = load(p, jinja_variables)
        for k, v in data.items():
            if k in MERGED_LISTS and k in out and isinstance(v, dict) and isinstance(out[k], dict):
                out[k] = _merge_classes(out[k], v, data.where(k))  # component libraries split over files
                continue
            if k in out:
                raise SpecError(f"{data.where(k)}: top-level key {k!r} is also given in {files[k]}")
            out[k] = v
            files[k] = data.where(k)
    out.files = files
    return out


MERGED_LISTS = ("components", "compound_components")


def _merge_classes(a: dict, b: dict, where: str) -> Node:
    out = Node(a)
    out.file, out.line, out.tag, out.key_lines = getattr(a, "file", "?"), getattr(a, "line", 0), None, {}
    for k, v in b.items():
        if k == "classes":
            if not isinstance(v, list) or not isinstance(out.get("classes", []), list):
                raise SpecError(f"{where}: 'classes' must be a list")
            out["classes"] = list(out.get("classes", [])) + v
        elif k == "version" and str(out.get("version", v)) == str(v):
            out[k] = v
        else:
            raise SpecError(f"{where}: key {k!r} of a component library is given in two files")
    return out


def check_keys(node, allowed, where: str | None = None):
    """Refuse keys of ``node`` outside ``allowed``, naming the file, line, key and the allowed keys."""
    if not isinstance(node, dict):
        raise SpecError(f"{where or '?'}: expected a mapping, got {node!r}")
    bad = [k for k in node if k not in allowed]
    if bad:
        place = node.where(bad[0]) if isinstance(node, Node) else where
        raise SpecError(f"{place}: unknown key(s) {bad}{' in ' + where if where and isinstance(node, Node) else ''}; "
                        f"allowed: {sorted(allowed)}")


def place(node, key=None, fallback: str = "?") -> str:
    """``file, line N`` of a node (or of one of its keys); ``fallback`` for plain values."""
    if isinstance(node, Node):
        return node.where(key)
    if isinstance(node, TagList):
        return f"{node.file}, line {node.line}"
    return fallback


NAME_RANGE = re.compile(r"(.*)\[(\d+)\.\.(\d+)\]$")

FUNCTIONS = {"max": max, "min": min, "ceil": math.ceil, "floor": math.floor, "log2": math.log2, "log": math.log,
             "sqrt": math.sqrt, "len": len, "int": int, "float": float, "round": round, "abs": abs}
BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
          ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
           ast.Eq: operator.eq, ast.NotEq: operator.ne}


def evaluate(text, names: dict, where: str):
    """Value of ``text`` (returned unchanged if it is not a string) with ``names`` in scope."""
    if not isinstance(text, str):
        return text
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return text  # a plain string value ("LPDDR4", "40nm")

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in names:
                return evaluate(names[node.id], names, where) if isinstance(names[node.id], str) else names[node.id]
            if node.id in ("True", "False", "None"):
                return {"True": True, "False": False, "None": None}[node.id]
            raise _Unknown(node.id)
        if isinstance(node, ast.Attribute):
            base = ev(node.value)
            if isinstance(base, dict) and node.attr in base:
                return base[node.attr]
            if hasattr(base, node.attr) and not node.attr.startswith("_"):
                return getattr(base, node.attr)
            raise SpecError(f"{where}: expression {text!r}: {node.attr!r} is not known")
        if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
            return BINARY[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else (+v if isinstance(node.op, ast.UAdd) else not v)
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARE:
            return COMPARE[type(node.ops[0])](ev(node.left), ev(node.comparators[0]))
        if isinstance(node, ast.IfExp):
            return ev(node.body) if ev(node.test) else ev(node.orelse)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS \
                and not node.keywords:
            return FUNCTIONS[node.func.id](*[ev(a) for a in node.args])
        raise SpecError(f"{where}: expression {text!r}: {type(node).__name__} is not supported; allowed: "
                        f"numbers, names, + - * / // % **, comparisons, 'a if c else b', {sorted(FUNCTIONS)}")

    try:
        return ev(tree)
    except _Unknown as e:
        if isinstance(tree.body, ast.Name):
            return text  # a bare word that is no variable: a string value
        raise SpecError(f"{where}: expression {text!r} uses {e.args[0]!r}, which is not a variable or an "
                        f"attribute in scope") from None
    except (TypeError, ValueError, ZeroDivisionError, OverflowError) as e:
        raise SpecError(f"{where}: expression {text!r} cannot be evaluated: {e}") from None


class _Unknown(Exception):
    pass

__all__ = ["SpecError", "Node", "TagList", "load", "load_merged", "check_keys", "place", "TAGS", "evaluate",
           "FUNCTIONS", "NAME_RANGE"]
