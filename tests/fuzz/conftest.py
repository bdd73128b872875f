"""Fuzzing as a hostile user would (issue 13 item 8): every input either gets a clear error (a ValueError
subclass naming what was wrong) or a valid, finite answer, and the same input always gets the same answer.

The default run keeps each test to a bounded number of examples; ``ARCHGYM_FUZZ_EXAMPLES=2000 pytest -m slow
tests/fuzz`` (or just ``-m slow``) runs the longer campaign."""

from __future__ import annotations

import math
import os

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FAST = int(os.environ.get("ARCHGYM_FUZZ_EXAMPLES_FAST", "60"))
LONG = int(os.environ.get("ARCHGYM_FUZZ_EXAMPLES", "1000"))

settings.register_profile("fuzz", deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
settings.load_profile("fuzz")

#: anything a user might pass where one value is expected
hostile_scalars = st.one_of(
    st.integers(-3, 300), st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.none(), st.text(max_size=5), st.complex_numbers(max_magnitude=10),
    st.builds(np.int64, st.integers(-5, 300)), st.builds(np.float32, st.floats(-5, 300, width=32)),
)
hostile_values = st.one_of(
    hostile_scalars, st.lists(st.integers(-2, 40), max_size=3), st.builds(np.array, st.lists(st.integers(0, 5), max_size=3)),
    st.just(np.array([])), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def finite_numbers(values) -> bool:
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)
