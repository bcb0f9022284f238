"""The witnesses' shared helpers against numbers worked by hand."""

import numpy as np

from diffcli.verify.common import close, magnitude, plain, point_values, sum_to


def test_sum_to_sums_the_broadcast_axes_and_keeps_the_others():
    np.testing.assert_array_equal(sum_to(np.ones((3, 2)), (1, 2)), [[3.0, 3.0]])
    np.testing.assert_array_equal(sum_to(np.ones((2, 2)), (1, 2)), [[2.0, 2.0]])
    np.testing.assert_array_equal(sum_to(np.arange(6.0).reshape(2, 3), (2, 1)), [[3.0], [12.0]])
    np.testing.assert_array_equal(sum_to(np.ones((4, 2)), (2,)), [4.0, 4.0])


def test_close_includes_its_bound():
    # 0.5 and 1.5 are exact doubles: the gap 1.0 is exactly atol + rtol * 1.5 = 0.25 + 0.75.
    assert close(0.5, 1.5, 0.5, 0.25) and not close(0.5, 1.5, 0.5, 0.2)


def test_magnitude_is_the_largest_finite_size_and_at_least_one():
    assert magnitude(np.array([0.5, -0.25])) == 1.0
    assert magnitude(np.array([np.inf, -3.0, np.nan])) == 3.0


def test_plain_turns_non_finite_numbers_into_none_at_any_depth():
    assert plain(None) is None
    assert plain(2.5) == 2.5 and plain(np.float64(-1.0)) == -1.0
    assert plain(np.inf) is None and plain(np.nan) is None
    assert plain(np.array([1, 2])) == [1.0, 2.0]
    assert plain(np.array([[1.0, np.inf], [np.nan, -2.0]])) == [[1.0, None], [None, -2.0]]
    # A list of arrays of different shapes, each made plain in turn.
    assert plain([np.array([1.0, -np.inf]), np.array(3.0)]) == [[1.0, None], 3.0]


def test_point_values_are_floats_and_float64_arrays():
    values = point_values({"x": 2, "A": [[1, 2]]})
    assert type(values["x"]) is float and values["x"] == 2.0
    assert values["A"].dtype == np.float64 and values["A"].tolist() == [[1.0, 2.0]]


def test_magnitude_pointwise_is_each_finite_size_and_at_least_one():
    np.testing.assert_array_equal(
        magnitude(np.array([0.5, -3.0, np.nan, np.inf]), pointwise=True), [1.0, 3.0, 1.0, 1.0])
