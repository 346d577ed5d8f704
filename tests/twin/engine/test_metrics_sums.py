"""``annual_sum``: the year's sum per case, against numpy's sum of the same array."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.engine.metrics import annual_sum

VALUES = st.sampled_from([0.0, -0.0, 1.5, -2.25, 1e-300, 1e300, np.inf, -np.inf, np.nan])


@settings(max_examples=200, deadline=None)
@given(
    shape=st.sampled_from([(1, 1), (5, 1), (2, 3, 1), (4, 7), (1, 24)]),
    values=st.lists(VALUES, min_size=168, max_size=168),
    dt_h=st.sampled_from([1.0, 0.25, 3.0]),
)
def test_annual_sum_is_numpys_sum_bit_for_bit(shape, values, dt_h):
    """Any float (case, time) array, one step long too (a sum of one term: -0.0, NaN and ±∞ kept):
    numpy's sum along time times the step, bit for bit, in a new array the caller may write to."""
    a = np.asarray(values[: int(np.prod(shape))], dtype=float).reshape(shape)
    before = a.copy()
    got = annual_sum(a, dt_h)
    want = np.sum(a, axis=-1) * dt_h
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    np.testing.assert_array_equal(got, want)
    got[...] = 7.0
    np.testing.assert_array_equal(a, before)


def test_annual_sum_of_a_broadcast_value():
    """A broadcast view of one value (no pass over the hours) is that value times the hours."""
    np.testing.assert_array_equal(annual_sum(np.broadcast_to(2.0, (3, 8760))), np.full(3, 17520.0))
    assert np.all(np.signbit(annual_sum(np.broadcast_to(-0.0, (2, 1)))))  # -0.0 × 1 h, not a sum
