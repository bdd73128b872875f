"""Design spaces: validation errors, encodings round-trip, seeded sampling."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archgym.core import gym_spaces
from archgym.core.spaces import Categorical, DesignError, DesignSpace, Integer, Ordinal, PowerOfTwo, Real


@pytest.fixture
def space():
    return DesignSpace([
        PowerOfTwo("rows", 4, 256),
        Integer("banks", 1, 9, step=2),
        Categorical("dataflow", ("os", "ws", "is")),
        Ordinal("ratio", (1, 2, 3, 4, 6, 8, 12)),
    ])


def test_values_of_each_kind(space):
    assert space["rows"].values == (4, 8, 16, 32, 64, 128, 256)
    assert space["banks"].values == (1, 3, 5, 7, 9)
    assert space.size == 7 * 5 * 3 * 7
    assert space.cardinalities == [7, 5, 3, 7]


@pytest.mark.parametrize(
    "design, fragment",
    [
        ({"rows": 3, "banks": 1, "dataflow": "os", "ratio": 1}, "parameter 'rows': value 3 is not allowed; allowed: powers of two 4..256"),
        ({"rows": 4, "banks": 2, "dataflow": "os", "ratio": 1}, "parameter 'banks': value 2 is not allowed; allowed: integers 1..9 step 2"),
        ({"rows": 4, "banks": 1, "dataflow": "xx", "ratio": 1},
         "parameter 'dataflow': value 'xx' is not allowed; allowed: ['os', 'ws', 'is']"),
        ({"rows": 4, "banks": 1, "dataflow": "os"}, "missing parameter(s) ['ratio']"),
        ({"rows": 4, "banks": 1, "dataflow": "os", "ratio": 1, "cols": 8}, "unknown parameter(s) ['cols']"),
    ],
)
def test_validation_names_parameter_value_and_allowed(space, design, fragment):
    with pytest.raises(DesignError) as e:
        space.validate(design)
    assert fragment in str(e.value)


def test_validate_accepts_numpy_and_integral_floats(space):
    d = space.validate({"rows": np.int64(8), "banks": 3.0, "dataflow": "ws", "ratio": np.int32(6)})
    assert d == {"rows": 8, "banks": 3, "dataflow": "ws", "ratio": 6}
    assert all(type(v) in (int, str) for v in d.values())


def test_bad_space_definitions():
    with pytest.raises(DesignError, match="powers of two"):
        PowerOfTwo("x", 3, 8)
    with pytest.raises(DesignError, match="duplicate parameter names"):
        DesignSpace([Integer("a", 0, 1), Integer("a", 0, 2)])
    with pytest.raises(DesignError, match="distinct"):
        Categorical("c", ("a", "a"))
    with pytest.raises(DesignError, match="low < high"):
        Real("r", 1.0, 1.0)


def test_sampling_is_seeded(space):
    assert space.sample_many(50, 7) == space.sample_many(50, 7)
    assert space.sample_many(50, 7) != space.sample_many(50, 8)
    for d in space.sample_many(200, 0):
        assert space.validate(d) == d


def test_sampling_covers_every_value(space):
    seen = {p.name: set() for p in space}
    for d in space.sample_many(2000, 1):
        for k, v in d.items():
            seen[k].add(v)
    for p in space:
        assert seen[p.name] == set(p.values), p.name


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_encodings_round_trip(data):
    space = DesignSpace([
        PowerOfTwo("rows", 1, 1024), Integer("k", -3, 12, step=3),
        Categorical("mode", ("a", "b", "c", "d")), Ordinal("o", (1, 2, 3, 4, 6, 8, 12)),
    ])
    design = {p.name: data.draw(st.sampled_from(p.values)) for p in space}
    assert space.from_indices(space.to_indices(design)) == design
    action = gym_spaces.encode_dict(space, design)
    assert gym_spaces.dict_space(space).contains(action)
    assert gym_spaces.decode(space, action) == design
    flat = space.to_indices(design)
    assert gym_spaces.flat_space(space).contains(flat)
    assert gym_spaces.decode(space, flat) == design
    feats = space.to_features(design)
    assert feats.shape == (len(space.feature_names),)
    assert np.all((feats >= 0) & (feats <= 1))


def test_features_one_hot_and_log_scale():
    space = DesignSpace([PowerOfTwo("p", 1, 16), Categorical("c", ("x", "y")), Integer("i", 0, 10)])
    f = space.to_features([{"p": 4, "c": "y", "i": 5}])
    assert space.feature_names == ["p", "c=x", "c=y", "i"]
    np.testing.assert_allclose(f, [[0.5, 0.0, 1.0, 0.5]])


def test_real_parameters_use_a_box():
    space = DesignSpace([Real("f", 0.5, 2.0, log=True), Categorical("c", ("x", "y"))])
    assert not space.is_discrete
    d = space.sample(3)
    assert 0.5 <= d["f"] <= 2.0
    assert gym_spaces.decode(space, gym_spaces.encode_dict(space, d)) == d
    with pytest.raises(DesignError, match="out of range"):
        space.validate({"f": 3.0, "c": "x"})
    with pytest.raises(DesignError, match="all-discrete"):
        space.to_indices(d)


def test_serialisation_round_trip(space):
    again = DesignSpace.from_dict(space.to_dict())
    assert again == space
    assert again.names == space.names
    with pytest.raises(DesignError, match="malformed"):
        DesignSpace.from_dict({"params": [{"kind": "nope", "name": "x"}]})


def test_decode_rejects_wrong_shapes(space):
    with pytest.raises(DesignError, match="vector of 4 indices"):
        gym_spaces.decode(space, np.array([0, 0, 0]))
    with pytest.raises(DesignError, match="rows.*index 9 is out of range"):
        gym_spaces.decode(space, np.array([9, 0, 0, 0]))


@pytest.mark.parametrize("bad", [1.7, "1", True, 1 + 2j, [1, 2], np.nan, np.inf, None, np.array([]), -1, 4.0])
def test_dict_actions_are_never_coerced(space, bad):
    """Issue 13 item 4: a choice index that is not exactly one in-range integer raises, naming the parameter."""
    action = gym_spaces.encode_dict(space, space.sample(0))
    action["dataflow"] = bad
    with pytest.raises(DesignError, match="dataflow"):
        gym_spaces.decode(space, action)


@pytest.mark.parametrize("bad", [[0.6, 0, 0, 0], [0, 0, np.nan, 0], [True, 0, 0, 0], [0, 0, 0, 0, 0], [[0, 0, 0, 0]]])
def test_flat_actions_are_never_truncated(space, bad):
    with pytest.raises(DesignError):
        gym_spaces.decode(space, np.array(bad, dtype=object if True in bad else None))


def test_integral_floats_and_numpy_ints_are_exact_indices(space):
    d = space.sample(1)
    idx = space.to_indices(d)
    assert gym_spaces.decode(space, idx.astype(np.float64)) == d
    assert gym_spaces.decode(space, {n: np.int32(i) for n, i in zip(space.names, idx)}) == d


def _general(space, action):
    """The decoding every action had before the lookup-table decoder (the general path)."""
    if isinstance(action, dict):
        return gym_spaces.decode_dict(space, action)
    return gym_spaces.decode_flat(space, action)


def _same_outcome(space, action):
    try:
        want = _general(space, action)
    except DesignError as e:
        with pytest.raises(DesignError) as got:
            gym_spaces.decode(space, action)
        assert str(got.value) == str(e)
        return "error"
    got = gym_spaces.decode(space, action)
    assert got == want and list(got) == list(want)
    assert [type(v) for v in got.values()] == [type(v) for v in want.values()]
    return "design"


@pytest.mark.parametrize("index", [0, 2, np.int64(1), np.int32(2), np.uint8(0), -1, 3, 99, np.int64(-1), np.int64(3),
                                   True, np.True_, 1.0, np.float64(2.0), 1.5, np.array(1), np.array([2]), "1", None])
def test_the_lookup_decoder_equals_the_general_path(space, index):
    """The lookup-table decoder (the path of every step) gives the general path's design, or its error, for a Dict
    action whatever the index's type, and for flat actions of any dtype and shape."""
    assert gym_spaces.decoder(space) is gym_spaces.decoder(space)  # built once per space
    action = gym_spaces.encode_dict(space, space.sample(3))
    action["dataflow"] = index
    _same_outcome(space, action)
    flat = space.to_indices(space.sample(4))
    for arr in (flat, flat.astype(np.int32), flat.astype(np.uint16), flat.astype(np.float64), flat[:3],
                np.array([flat]), np.array([9, 0, 0, 0]), np.array([-1, 0, 0, 0]), list(flat)):
        _same_outcome(space, arr)


def test_the_lookup_decoder_on_missing_unknown_and_defaultdict_keys(space):
    from collections import OrderedDict, defaultdict

    action = {n: np.int64(0) for n in space.names}
    assert _same_outcome(space, OrderedDict(action)) == "design"
    swapped = {("nope" if n == "banks" else n): v for n, v in action.items()}  # same length, one name wrong
    assert _same_outcome(space, swapped) == "error"
    assert _same_outcome(space, {**action, "nope": 0}) == "error"
    lenient = defaultdict(int, swapped)  # answers the missing key with 0: must still be refused
    with pytest.raises(DesignError, match="unknown parameter"):
        gym_spaces.decode(space, lenient)
    assert "banks" not in lenient


def test_spaces_with_reals_have_no_lookup_decoder():
    space = DesignSpace([Integer("a", 0, 3), Real("x", 0.0, 1.0)])
    assert gym_spaces.decoder(space) is None
    assert gym_spaces.decode(space, {"a": 1, "x": np.array([0.5])}) == {"a": 1, "x": 0.5}
