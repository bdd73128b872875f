"""Mappings against their Timeloop constraints: the shipped mapper results obey the shipped constraints;
each mutation (a pinned factor moved, a kept data space bypassed, a permutation turned, an unrolled
dimension moved from Y to X) is refused, naming the constraint file, line, target and the rule."""

import re

import pytest

from archgym.simulators.dataflow.timeloop.constraints import ConstraintViolation, check_mapping, unchecked
from archgym.simulators.dataflow.timeloop.evaluation import load_spec

from .test_timeloop_exercises import ED, M05, RUNS, TL

WITH_CONSTRAINTS = [r for r in RUNS if "mapper" in r.id or r.id.startswith(("timeloop+", "dse", "example"))]


def _spec(name):
    files, _, jinja = next(r.values for r in RUNS if r.id == name)
    return load_spec(files, jinja_variables=jinja)


def _check(spec):
    check_mapping(spec.mapping, spec.constraints, spec.problem, spec.hierarchy)


@pytest.mark.filterwarnings("ignore:.*problem.instance key.*:UserWarning")
@pytest.mark.parametrize("files, stats_path, jinja", WITH_CONSTRAINTS)
def test_shipped_mapper_results_satisfy_their_constraints(files, stats_path, jinja):
    spec = load_spec(files, jinja_variables=jinja)
    _check(spec)


def test_exercises_hold_constraints_of_every_kind():
    kinds = {dv.get("type") for name in ("06-mapper-convlayer-eyeriss", "example-simple_weight_stationary",
                                         f"{M05}-freebypass") for dv in _spec(name).constraints}
    assert kinds >= {"temporal", "spatial", "dataspace"}


def _level(spec, name):
    return spec.mapping[spec.hierarchy.index(name)]


def test_a_pinned_factor_moved_is_refused():
    spec = _spec("06-mapper-convlayer-eyeriss")
    glb, psum = _level(spec, "shared_glb"), _level(spec, "psum_spad")
    c = spec.problem.dims.index("C")
    glb.temporal = [(d, 1 if d == c else f) for d, f in glb.temporal]  # C4 moves from shared_glb to psum_spad
    psum.temporal = [(d, 4 if d == c else f) for d, f in psum.temporal]
    arch = TL / "06-mapper-convlayer-eyeriss" / "arch" / "eyeriss_like.yaml"
    with pytest.raises(ConstraintViolation, match=rf"{arch.name}, line \d+: temporal constraint on 'psum_spad' is "
                                                  r"violated: factor C=1 is required, the mapping has C=4"):
        _check(spec)


def test_a_kept_data_space_bypassed_is_refused():
    spec = _spec("06-mapper-convlayer-eyeriss")
    lm = _level(spec, "ifmap_spad")
    lm.keep = frozenset()
    with pytest.raises(ConstraintViolation, match=r"eyeriss_like.yaml, line \d+: dataspace constraint on 'ifmap_spad' "
                                                  r"is violated: it must keep \['Inputs'\]"):
        _check(spec)
    spec = _spec("06-mapper-convlayer-eyeriss")
    _level(spec, "shared_glb").keep = frozenset({"Inputs", "Outputs", "Weights"})
    with pytest.raises(ConstraintViolation, match=r"on 'shared_glb' is violated: it must bypass \['Weights'\]"):
        _check(spec)


def test_a_turned_permutation_is_refused():
    spec = _spec(f"{M05}-freebypass")
    lm = _level(spec, "GlobalBuffer")
    lm.temporal = lm.temporal[::-1]  # P16 K16: the constraint PRK wants P inside K
    cons = TL / M05 / "constraints" / "conv1d+oc-3level-freebypass.constraints.yaml"
    with pytest.raises(ConstraintViolation, match=rf"{re.escape(cons.name)}, line 16: temporal constraint on 'GlobalBuffer' is "
                                                  r"violated: permutation PK .* must be innermost; the mapping's loops "
                                                  r"of factor > 1 are KP"):
        _check(spec)


def test_the_innermost_level_permutation_is_free_as_in_timeloop():
    """Timeloop's mapper uses a canonical order at the innermost level (the 05 'baked' run: constraint
    RPK, mapper output K inside R); the check does the same, not refusing Timeloop's own result."""
    spec = _spec(f"{M05}-baked")
    rf = _level(spec, "RegisterFile")
    assert [spec.problem.dims[d] for d, f in rf.temporal if f > 1] == ["K", "R"]
    _check(spec)


def test_an_unrolled_dimension_moved_across_the_split_is_refused():
    spec = _spec("example-simple_weight_stationary")
    lm = _level(spec, "inter_PE_spatial")
    c = spec.problem.dims.index("C")
    lm.spatial = [(d, f, True if d == c else x) for d, f, x in lm.spatial]
    with pytest.raises(ConstraintViolation, match=r"simple_weight_stationary/arch.yaml, line \d+: spatial constraint "
                                                  r"on 'inter_PE_spatial' is violated: split 1 puts C in Y, the "
                                                  r"mapping unrolls it in X"):
        _check(spec)


def test_mapper_only_keys_are_listed_not_assumed():
    spec = _spec("dse2024")
    assert any(s.endswith(": maximize_dims") and "arch.yaml, line" in s for s in unchecked(spec.constraints))
    assert ED.exists()


def test_a_split_without_permutation_is_listed_not_assumed():
    spec = _spec("06-mapper-convlayer-eyeriss")
    dv = next(c for c in spec.constraints if "split" in c)
    del dv["permutation"]
    assert any(s.endswith("split (without a permutation it names no dimension)") for s in unchecked(spec.constraints))
