"""A fixed mapping checked against Timeloop's mapspace constraints (``mapspace_constraints`` or v0.4 component constraints).

Timeloop's mapper only visits mappings its constraints allow; a mapping given to the model is not checked
by Timeloop, so a mapping that breaks its constraints file would be evaluated without a word. This module
applies the constraint rules to one mapping, per directive:

* ``factors``: ``D=n`` (n >= 1) pins the level's factor of ``D`` to n; ``D=0`` (Timeloop: "the rest")
  and dimensions not named are free;
* ``permutation`` (inner to outer): the named dimensions are the innermost loops of the level, in that
  order; loops of factor 1 have no place in a loop nest and are skipped on both sides. As Timeloop's
  mapper does, the innermost storage level's temporal permutation is not constrained (its order changes
  no count: Timeloop uses a canonical one there);
* ``split`` (spatial; a number or an expression such as ``len(spec.problem.instance)``): the dimensions
  before ``split`` in the constraint's permutation are unrolled in X, the others in Y (for those with a
  factor above 1); in v0.4, as timeloopfe does, the dimensions the constraint pins to 1 and those of
  bound 1 that the permutation does not name are put first;
* ``keep``/``bypass`` (``dataspace``/``bypass`` type): the level keeps, or bypasses, those data spaces.

Mapper-only keys (``maximize_dims``, ``no_reuse``, ``min_parallelism``, ``default_max_factor`` ...) steer the
search and are listed by :func:`unchecked` rather than silently taken as satisfied.
"""

from __future__ import annotations

from .spec import BYPASS_TYPES, DIRECTIVE_KEYS, Hierarchy, Problem, _dims_of, _factors, _keep, _SpecScope
from .tagged_yaml import SpecError, evaluate

CHECKED_KEYS = DIRECTIVE_KEYS | {"target", "type"}


class ConstraintViolation(SpecError):
    """A mapping breaks a constraint: the message names its file, line, target level and the rule."""


def _kept(lv, lm, names) -> frozenset:
    if lv.dummy:
        return frozenset()
    return lm.keep if lm.keep is not None else frozenset(names)


def check_mapping(mapping: list, constraints: list, problem: Problem, hier: Hierarchy) -> None:
    """Raise :class:`ConstraintViolation` at the first constraint ``mapping`` (a list of
    :class:`.spec.LevelMapping`, outermost level first) breaks."""
    names = [d.name for d in problem.data_spaces]
    for dv in constraints:
        where = getattr(dv, "where", "constraints")
        target = str(dv.get("target"))
        li = hier.index(target)
        lv, lm = hier.levels[li], mapping[li]
        typ = dv.get("type", "temporal")

        def fail(what, where=where, target=target, typ=typ):
            raise ConstraintViolation(f"{where}: {typ} constraint on {target!r} is violated: {what}")

        if typ in BYPASS_TYPES:
            kept = _kept(lv, lm, names)
            must_keep = set(dv.get("keep") or [])
            must_drop = set(dv.get("bypass") or [])
            _keep(dv, problem, where)
            if must_keep - kept:
                fail(f"it must keep {sorted(must_keep - kept)}, the mapping bypasses them there")
            if must_drop & kept:
                fail(f"it must bypass {sorted(must_drop & kept)}, the mapping keeps them there")
            continue
        if typ == "temporal":
            loops = [(d, f, None) for d, f in lm.temporal]
        else:
            loops = list(lm.spatial)
        factor = {d: 1 for d in range(len(problem.dims))}
        for d, f, _ in loops:
            factor[d] *= f
        for d, n in _factors(dv.get("factors"), problem, where, allow_zero=True).items():
            if n and factor[d] != n:
                fail(f"factor {problem.dims[d]}={n} is required, the mapping has {problem.dims[d]}={factor[d]}")
        if "permutation" in dv and not (typ == "temporal" and li == len(hier.levels) - 1):
            want = [d for d in _dims_of(dv["permutation"], problem, where, "permutation") if factor[d] > 1]
            have = [d for d, f, _ in loops if f > 1]
            if have[:len(want)] != want:
                fail(f"permutation {''.join(problem.dims[d] for d in want)} (inner to outer, loops of factor > 1) "
                     f"must be innermost; the mapping's loops of factor > 1 are "
                     f"{''.join(problem.dims[d] for d in have) or 'none'}")
        if typ == "spatial" and "split" in dv and "permutation" in dv:
            scope = {"spec": _SpecScope(dict(zip(problem.dims, problem.bounds)))}
            split = evaluate(dv["split"], scope, f"{where} (split)")
            if isinstance(split, bool) or not isinstance(split, int) or split < 0:
                raise SpecError(f"{where}: split = {dv['split']!r} must be an integer >= 0")
            order = _dims_of(dv["permutation"], problem, where, "permutation")
            if hier.version == "0.4":  # timeloopfe puts unit-factor dimensions first, shifting the split point
                fixed = _factors(dv.get("factors"), problem, where, allow_zero=True)
                units = [d for d, n in fixed.items() if n == 1 and d not in order]
                units += [d for d, b in enumerate(problem.bounds) if b == 1 and d not in order and d not in units]
                order = units[::-1] + order
            x_of = {d: k < split for k, d in enumerate(order)}
            for d, f, is_x in loops:
                if f > 1 and d in x_of and x_of[d] != is_x:
                    fail(f"split {split} puts {problem.dims[d]} in {'X' if x_of[d] else 'Y'}, the mapping "
                         f"unrolls it in {'X' if is_x else 'Y'}")


def unchecked(constraints: list) -> list:
    """``file, line: key`` of every mapper-only constraint key :func:`check_mapping` does not check."""
    out = []
    for dv in constraints:
        where = getattr(dv, "where", "constraints")
        out += [f"{where}: {k}" for k in dv if k not in CHECKED_KEYS]
        if "split" in dv and "permutation" not in dv:
            out.append(f"{where}: split (without a permutation it names no dimension)")
    return out


__all__ = ["ConstraintViolation", "check_mapping", "unchecked"]
