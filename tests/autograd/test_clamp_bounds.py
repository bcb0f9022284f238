"""clamp with tensor bounds, as torch.clamp(x, min, max) with tensors (torch 2.13).

The gradient goes to x between the bounds (both included), to min where x < min < max,
to max where x > max or max < min (the result is max there); where min == max and x is
outside, nobody gets it. Expected numbers were produced by torch and match these rules.
"""

import numpy as np
import pytest

import diffcli as dc
from diffcli import autograd
from diffcli.autograd import gradcheck, gradgradcheck


def leaf(values):
    return dc.tensor(values, requires_grad=True)


def test_both_tensor_bounds_take_the_gradient_where_they_bind():
    x = leaf([0.0, 1.0, 2.0, 3.0, 4.0, 2.0, 5.0, 0.0])
    lo = leaf([1.0, 1.0, 1.0, 1.0, 1.0, 3.0, 3.0, 3.0])
    hi = leaf([3.0, 3.0, 3.0, 3.0, 3.0, 1.0, 3.0, 3.0])
    out = dc.clamp(x, lo, hi)
    np.testing.assert_array_equal(out.data, [1, 1, 2, 3, 3, 1, 3, 3])
    gx, glo, ghi = autograd.grad(out.sum(), [x, lo, hi])
    np.testing.assert_array_equal(gx.data, [0, 1, 1, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(glo.data, [1, 0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(ghi.data, [0, 0, 0, 0, 1, 1, 1, 0])


def test_a_single_tensor_bound_takes_the_gradient_strictly_outside():
    x = leaf([0.0, 1.0, 2.0])
    lo = leaf([1.0, 1.0, 1.0])
    gx, glo = autograd.grad(dc.clamp(x, min=lo).sum(), [x, lo])
    np.testing.assert_array_equal(gx.data, [0, 1, 1])
    np.testing.assert_array_equal(glo.data, [1, 0, 0])
    x = leaf([2.0, 3.0, 4.0])
    hi = leaf([3.0, 3.0, 3.0])
    gx, ghi = autograd.grad(x.clamp(max=hi).sum(), [x, hi])
    np.testing.assert_array_equal(gx.data, [1, 1, 0])
    np.testing.assert_array_equal(ghi.data, [0, 0, 1])


def test_a_broadcast_bound_sums_its_gradient_over_the_rows_it_bound():
    x = leaf([[0.0, 2.0], [5.0, 1.0], [-1.0, 0.0]])
    lo = leaf([1.0, 1.5])
    gx, glo = autograd.grad(dc.clamp(x, lo, 4.0).sum(), [x, lo])
    np.testing.assert_array_equal(gx.data, [[0, 1], [0, 0], [0, 0]])
    np.testing.assert_array_equal(glo.data, [2, 2])


def test_clamp_with_tensor_bounds_matches_central_differences_away_from_ties():
    g = np.random.default_rng(3)
    x = leaf(g.uniform(-3, 3, (4, 5)))
    lo = leaf(g.uniform(-1.5, -0.5, (4, 5)))
    hi = leaf(g.uniform(0.5, 1.5, (5,)))
    assert gradcheck(dc.clamp, (x, lo, hi))
    assert gradgradcheck(dc.clamp, (x, lo, hi))


def test_clamp_needs_a_bound():
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        dc.clamp(leaf([1.0]))
