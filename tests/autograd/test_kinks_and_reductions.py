"""Values PyTorch returns where a function is not differentiable, and reduction semantics.

Every expected number here was worked by hand from PyTorch's documented rules:
abs'(0) = 0, relu'(0) = 0, sqrt'(0) = inf, ties in max/amax/maximum share evenly,
max with dim sends the gradient to the returned (first) index.
"""

import numpy as np
import pytest

import diffcli as dc
from diffcli import autograd


def grad_at(fn, values):
    x = dc.tensor(values, requires_grad=True)
    (g,) = autograd.grad(fn(x).sum(), [x])
    return g.data


def test_abs_derivative_at_zero_is_zero():
    np.testing.assert_array_equal(grad_at(dc.abs, [-2.0, 0.0, 3.0]), [-1.0, 0.0, 1.0])


def test_relu_derivative_at_zero_is_zero():
    np.testing.assert_array_equal(grad_at(dc.relu, [-2.0, 0.0, 3.0]), [0.0, 0.0, 1.0])


def test_sqrt_derivative_at_zero_is_inf():
    np.testing.assert_array_equal(grad_at(dc.sqrt, [0.0, 4.0]), [np.inf, 0.25])


@pytest.mark.parametrize("op", [dc.sign, dc.floor, dc.ceil, dc.round])
def test_step_functions_have_zero_gradient(op):
    np.testing.assert_array_equal(grad_at(op, [-1.5, 0.0, 0.3, 2.7]), [0.0, 0.0, 0.0, 0.0])


def test_step_function_values():
    x = dc.tensor([-1.5, 0.0, 0.3, 2.7])
    np.testing.assert_array_equal(dc.sign(x).data, [-1.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(dc.floor(x).data, [-2.0, 0.0, 0.0, 2.0])
    np.testing.assert_array_equal(dc.ceil(x).data, [-1.0, 0.0, 1.0, 3.0])
    np.testing.assert_array_equal(dc.round(dc.tensor([0.5, 1.5, 2.4])).data, [0.0, 2.0, 2.0])


def test_full_max_shares_ties_evenly():
    np.testing.assert_allclose(grad_at(dc.max, [1.0, 3.0, 3.0, 2.0]), [0.0, 0.5, 0.5, 0.0])


def test_full_min_shares_ties_evenly():
    np.testing.assert_allclose(
        grad_at(dc.min, [1.0, 3.0, 1.0, 1.0]), [1 / 3, 0.0, 1 / 3, 1 / 3]
    )


def test_amax_with_dim_shares_ties_evenly_per_row():
    g = grad_at(lambda t: dc.amax(t, dim=1), [[2.0, 2.0, 1.0], [0.0, 5.0, 4.0]])
    np.testing.assert_allclose(g, [[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]])


def test_amin_with_keepdim_shares_ties_and_keeps_the_dim():
    x = dc.tensor([[2.0, 1.0], [1.0, 1.0]], requires_grad=True)
    m = dc.amin(x, dim=0, keepdim=True)
    assert m.shape == (1, 2)
    np.testing.assert_array_equal(m.data, [[1.0, 1.0]])
    m.sum().backward()
    np.testing.assert_allclose(x.grad.data, [[0.0, 0.5], [1.0, 0.5]])


def test_max_with_dim_returns_values_and_indices():
    x = dc.tensor([[2.0, 2.0, 1.0], [0.0, 5.0, 5.0]], requires_grad=True)
    values, indices = dc.max(x, dim=1)
    np.testing.assert_array_equal(values.data, [2.0, 5.0])
    # PyTorch documents the index of the first maximal value for ties.
    np.testing.assert_array_equal(np.asarray(indices.data), [0, 1])
    assert indices.requires_grad is False
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def test_min_with_dim_and_keepdim_sends_gradient_to_the_index():
    x = dc.tensor([[3.0, 1.0], [0.0, 4.0]], requires_grad=True)
    values, indices = x.min(dim=0, keepdim=True)
    assert values.shape == (1, 2)
    np.testing.assert_array_equal(values.data, [[0.0, 1.0]])
    np.testing.assert_array_equal(np.asarray(indices.data), [[1, 0]])
    (values * dc.tensor([[10.0, 20.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 20.0], [10.0, 0.0]])


def test_maximum_and_minimum_share_ties_evenly():
    a = dc.tensor([1.0, 2.0], requires_grad=True)
    b = dc.tensor([1.0, 3.0], requires_grad=True)
    dc.maximum(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.data, [0.5, 0.0])
    np.testing.assert_allclose(b.grad.data, [0.5, 1.0])
    a.grad = b.grad = None
    dc.minimum(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.data, [0.5, 1.0])
    np.testing.assert_allclose(b.grad.data, [0.5, 0.0])


def test_clamp_passes_gradient_at_the_bounds():
    # PyTorch's mask is min <= x <= max, so the bounds themselves pass gradient.
    g = grad_at(lambda t: dc.clamp(t, min=-1.0, max=1.0), [-2.0, -1.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 1.0, 1.0, 1.0, 0.0])


def test_where_routes_gradient_to_the_chosen_branch():
    cond = np.array([True, False, True])
    a = dc.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = dc.tensor([10.0, 20.0, 30.0], requires_grad=True)
    out = dc.where(cond, a, b)
    np.testing.assert_array_equal(out.data, [1.0, 20.0, 3.0])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.data, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad.data, [0.0, 1.0, 0.0])


@pytest.mark.parametrize(
    ("dim", "keepdim", "shape"),
    [(None, False, ()), (0, False, (3,)), (1, True, (2, 1)), (-1, False, (2,))],
)
def test_reduction_shapes_follow_dim_and_keepdim(dim, keepdim, shape):
    x = dc.tensor(np.arange(1.0, 7.0).reshape(2, 3))
    for op in (dc.sum, dc.mean, dc.prod, dc.amax, dc.amin):
        out = op(x) if dim is None else op(x, dim=dim, keepdim=keepdim)
        assert out.shape == shape, op


def test_reduction_values_against_numpy():
    arr = np.arange(1.0, 7.0).reshape(2, 3)
    x = dc.tensor(arr)
    np.testing.assert_allclose(dc.sum(x, dim=0).data, arr.sum(0))
    np.testing.assert_allclose(dc.mean(x, dim=1).data, arr.mean(1))
    np.testing.assert_allclose(dc.prod(x, dim=1).data, [6.0, 120.0])
    np.testing.assert_allclose(dc.norm(x).data, np.sqrt((arr**2).sum()))
    np.testing.assert_allclose(x.sum(dim=(0, 1)).data, 21.0)


def test_prod_gradient_with_a_zero_entry():
    # d/dx_i prod(x) = product of the others, which is finite even where x_i = 0.
    np.testing.assert_allclose(grad_at(dc.prod, [2.0, 0.0, 3.0]), [0.0, 6.0, 0.0])


def test_mean_gradient_is_one_over_count():
    np.testing.assert_allclose(grad_at(dc.mean, np.ones((2, 4))), np.full((2, 4), 1 / 8))


def test_norm_gradient_is_the_unit_vector():
    np.testing.assert_allclose(grad_at(dc.norm, [3.0, 4.0]), [0.6, 0.8])


def test_max_with_dim_result_has_values_and_indices_fields():
    result = dc.max(dc.tensor([[1.0, 4.0], [3.0, 2.0]]), dim=1)
    np.testing.assert_array_equal(result.values.data, [4.0, 3.0])
    np.testing.assert_array_equal(np.asarray(result.indices.data), [1, 0])


def grads_at(fn, *values):
    xs = [dc.tensor(v, requires_grad=True) for v in values]
    return [g.data for g in autograd.grad(fn(*xs).sum(), xs)]


# What PyTorch returns at the edges of each derivative formula, where the naive
# formula would give 0 * inf = nan or 0 / 0.
EDGE_CASES = {
    "x**0 at 0 is 0": (lambda x: x**0, [[0.0, 2.0]], [[0.0, 0.0]]),
    "x**1 at 0 is 1": (lambda x: x**1, [[0.0, 2.0]], [[1.0, 1.0]]),
    "x**0.5 at 0 is inf": (lambda x: x**0.5, [[0.0, 4.0]], [[np.inf, 0.25]]),
    "x**y at x=0": (
        lambda x, y: x**y,
        [[0.0, 0.0, 2.0], [2.0, 0.0, 3.0]],
        [[0.0, 0.0, 12.0], [0.0, 0.0, 8 * np.log(2.0)]],
    ),
    "0**x is 0": (lambda x: 0.0**x, [[1.0, 2.0]], [[0.0, 0.0]]),
    "norm at the origin is 0": (dc.norm, [[0.0, 0.0]], [[0.0, 0.0]]),
    "atan2 at the origin is 0": (dc.atan2, [[0.0], [0.0]], [[0.0], [0.0]]),
    "prod with two zeros": (dc.prod, [[0.0, 0.0, 3.0]], [[0.0, 0.0, 0.0]]),
    "prod over a dim with a zero": (
        lambda x: dc.prod(x, dim=1), [[[0.0, 2.0], [3.0, 4.0]]], [[[2.0, 0.0], [4.0, 3.0]]]
    ),
    "log at 0 is inf": (dc.log, [[0.0]], [[np.inf]]),
    "division by 0": (lambda x, y: x / y, [[1.0], [0.0]], [[np.inf], [-np.inf]]),
}


@pytest.mark.parametrize("case", sorted(EDGE_CASES))
def test_derivative_at_the_edge_of_its_formula_matches_pytorch(case):
    fn, inputs, expected = EDGE_CASES[case]
    with np.errstate(all="ignore"):
        got = grads_at(fn, *inputs)
    for g, want in zip(got, expected):
        np.testing.assert_allclose(g, want)


def test_sigmoid_and_softplus_derivatives():
    # sigmoid'(0) = 1/4; softplus' = sigmoid, so 1/2 at 0 and 1 far out.
    np.testing.assert_allclose(grad_at(dc.sigmoid, [0.0]), [0.25])
    np.testing.assert_allclose(grad_at(dc.softplus, [0.0, 50.0]), [0.5, 1.0])
    np.testing.assert_allclose(dc.softplus(dc.tensor([0.0, 800.0])).data, [np.log(2.0), 800.0])
