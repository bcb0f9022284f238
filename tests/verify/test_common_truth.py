"""The witnesses' shared helpers against numbers worked by hand."""

import numpy as np

from diffcli.verify.common import close, magnitude, sum_to


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
