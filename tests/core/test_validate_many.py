"""DesignSpace.validate_many (column by column) against validate, design by design, which is the reference:
the same canonical values and types where it answers, None (and the per-design errors) where it does not."""

from collections import OrderedDict

import gymnasium as gym
import numpy as np
import pytest

import archgym
from archgym.core.env import ArchGymEnv
from archgym.core.spaces import Categorical, DesignError, DesignSpace, Integer, Ordinal, PowerOfTwo, Real

SPACE = DesignSpace([
    PowerOfTwo("rows", 4, 256),
    Integer("banks", 1, 9, step=2),
    Categorical("dataflow", ("os", "ws", "is")),
    Real("clock", 0.5, 2.0),
])


def _typed(designs):
    return [[(k, type(v), v) for k, v in d.items()] for d in designs]


def test_equals_validate_design_by_design_values_types_and_order():
    rng = np.random.default_rng(0)
    designs = SPACE.sample_many(500, 1)
    for d in designs[::3]:  # numpy integers and floats, Python ints for the Real, as agents give them
        d["rows"] = np.int64(d["rows"])
        d["banks"] = np.int32(d["banks"])
        d["clock"] = np.float32(d["clock"]) if rng.random() < 0.5 else 1
    got = SPACE.validate_many(designs)
    assert got is not None
    assert _typed(got) == _typed([SPACE.validate(d) for d in designs])


@pytest.mark.parametrize("env_id", sorted(archgym.ENVIRONMENTS))
def test_equals_validate_on_every_environment_space(env_id):
    env = gym.make(env_id).unwrapped
    space = env.design_space
    designs = space.sample_many(200, 2)
    got = space.validate_many(designs)
    want = [space.validate(d) for d in designs]
    if got is None:  # a space outside the column path (e.g. float-valued choices): validate answers
        assert not all(t is not None for t, _, _ in space._column_checks)
        return
    assert _typed(got) == _typed(want)


@pytest.mark.parametrize("bad", [
    {"rows": True}, {"rows": 2.0 * 8}, {"rows": "8"}, {"rows": 5}, {"dataflow": "rs"}, {"banks": np.bool_(True)},
    {"clock": float("nan")}, {"clock": 2.5}, {"clock": True}, {"clock": "1.0"}, {"banks": [1]},
])
def test_declines_what_it_does_not_check_exactly(bad):
    designs = SPACE.sample_many(5, 3)
    designs[3].update(bad)
    assert SPACE.validate_many(designs) is None


def test_declines_other_mappings_and_missing_or_unknown_keys():
    designs = SPACE.sample_many(4, 4)
    extra = [dict(d) for d in designs]
    extra[1]["other"] = 1
    swapped = [dict(d) for d in designs]
    del swapped[2]["rows"]
    swapped[2]["other"] = 8
    missing = [dict(d) for d in designs]
    del missing[0]["clock"]
    for designs_ in (extra, swapped, missing, [OrderedDict(d) for d in designs], []):
        assert SPACE.validate_many(designs_) is None


class _Tiny(ArchGymEnv):
    env_id = "test/Tiny-v0"

    def __init__(self, **kw):
        super().__init__(SPACE, [], workload="w", default_targets={}, **kw)


@pytest.mark.parametrize("bad, message", [
    ({"rows": 5}, "design 2 of 4: parameter 'rows': value 5 is not allowed; allowed: powers of two 4..256"),
    ({"clock": 2.5}, "design 2 of 4: parameter 'clock': value 2.5 out of range"),
    ({"dataflow": "rs"}, "design 2 of 4: parameter 'dataflow': value 'rs' is not allowed; allowed: ['os', 'ws', 'is']"),
])
def test_evaluate_many_still_names_the_design_parameter_value_and_allowed(bad, message):
    designs = SPACE.sample_many(4, 5)
    designs[2].update(bad)
    env = _Tiny.__new__(_Tiny)
    env.design_space = SPACE
    with pytest.raises(DesignError) as e:
        ArchGymEnv.evaluate_many(env, designs)
    assert str(e.value).startswith(message)


def test_float_valued_choices_take_the_general_path():
    space = DesignSpace([Ordinal("ratio", (0.5, 1.0, 2.0)), Integer("banks", 1, 3)])
    designs = space.sample_many(3, 6)
    assert space.validate_many(designs) is None
    assert [space.validate(d) for d in designs]  # (which validates them)
