"""Whole-number powers take a faster path than np.power; their values must not change."""

import numpy as np
import pytest

import diffcli as dc


@pytest.mark.parametrize("exponent", [0, 1, 2, 3, 4, 5, 7, -1, -2, -3, 3.0])
def test_whole_number_powers_equal_numpy_to_the_last_bit_but_one(exponent):
    x = np.random.default_rng(1).uniform(-2, 2, 10_000)
    x[:5] = [-0.0, 0.0, np.nan, np.inf, -np.inf]
    with np.errstate(all="ignore"):
        expected = np.power(x, float(exponent))
    got = (dc.tensor(x) ** exponent).data
    finite = np.isfinite(expected)
    assert np.all(np.abs(got[finite] - expected[finite]) <= np.spacing(np.abs(expected[finite])))
    np.testing.assert_array_equal(got[~finite], expected[~finite])
    np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


def test_odd_power_of_a_negative_base_is_negative_and_even_is_positive():
    x = dc.tensor([-2.0, -0.5])
    np.testing.assert_array_equal((x**3).data, [-8.0, -0.125])
    np.testing.assert_array_equal((x**2).data, [4.0, 0.25])
