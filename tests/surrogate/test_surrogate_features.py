"""The vectorised feature encoder is exactly DesignSpace.to_features, from dicts or dataset columns."""

import numpy as np
import pandas as pd
import pytest

from archgym.core.spaces import Categorical, DesignError, DesignSpace, Integer, Ordinal, PowerOfTwo, Real
from archgym.surrogates.features import FeatureEncoder

SPACE = DesignSpace([
    Categorical("policy", ("open", "closed", "adaptive")),
    Integer("buffers", 2, 20, step=3),
    PowerOfTwo("rows", 4, 256),
    Ordinal("ways", (12, 1, 2, 4, 8)),  # not sorted on purpose
    Ordinal("grade", ("low", "mid", "high")),
    Real("freq", 0.5, 3.0),
    Real("leak", 1e-3, 1.0, log=True),
    Categorical("width", (16, 32, 64)),
])


def test_equals_to_features():
    designs = SPACE.sample_many(500, 3)
    enc = FeatureEncoder(SPACE)
    assert enc.feature_names == SPACE.feature_names
    np.testing.assert_allclose(enc.encode(designs), SPACE.to_features(designs), rtol=0, atol=1e-12)


def test_dataframe_columns_equal_dicts():
    designs = SPACE.sample_many(100, 4)
    df = pd.DataFrame({f"design.{k}": [d[k] for d in designs] for k in SPACE.names})
    enc = FeatureEncoder(SPACE)
    np.testing.assert_array_equal(enc.encode(df), enc.encode(designs))
    plain = pd.DataFrame(designs)
    np.testing.assert_array_equal(enc.encode(plain), enc.encode(designs))


def test_numpy_scalars_accepted():
    d = SPACE.sample(5)
    d2 = {k: (np.int64(v) if isinstance(v, int) else v) for k, v in d.items()}
    enc = FeatureEncoder(SPACE)
    np.testing.assert_array_equal(enc.encode([d2]), enc.encode([d]))


@pytest.mark.parametrize("name,value", [("rows", 48), ("policy", "fifo"), ("buffers", 3), ("ways", 3),
                                        ("freq", 9.0), ("grade", "max"), ("width", 7)])
def test_bad_value_names_parameter_and_allowed(name, value):
    d = SPACE.sample(0)
    d[name] = value
    with pytest.raises(DesignError, match=rf"parameter '{name}': value .*{value}.* allowed"):
        FeatureEncoder(SPACE).encode([d])


def test_missing_parameter():
    d = SPACE.sample(0)
    del d["rows"]
    with pytest.raises(DesignError, match="missing parameter.*rows"):
        FeatureEncoder(SPACE).encode([d])
