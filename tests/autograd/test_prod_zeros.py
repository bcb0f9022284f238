"""prod's gradient where the input has zeros, differentiated again.

The first derivative of prod(x) is the product of the other elements; it is a
polynomial, so every higher derivative exists at zeros too. Expected Hessians are
PyTorch's numbers (torch.autograd.grad twice), which are also the hand-worked ones:
d2 prod / dx_i dx_j = product of the elements other than i and j.
"""

import numpy as np
import pytest

import diffcli as dc
from diffcli import autograd
from diffcli.autograd import gradgradcheck


def hessian(f, values):
    x = dc.tensor(values, requires_grad=True)
    (g,) = autograd.grad(f(x), x, create_graph=True)
    flat = g.reshape(-1)
    rows = [autograd.grad(flat[i], x, retain_graph=True)[0].data.reshape(-1)
            for i in range(flat.shape[0])]
    return np.array(rows)


@pytest.mark.parametrize("values, expected", [
    ([1.0, 0.0], [[0, 1], [1, 0]]),
    ([0.0, 0.0, 2.0], [[0, 2, 0], [2, 0, 0], [0, 0, 0]]),
    ([3.0, 0.0, 2.0], [[0, 2, 0], [2, 0, 3], [0, 3, 0]]),
    ([0.0, 0.0, 0.0], np.zeros((3, 3))),
], ids=["one_zero", "two_zeros", "zero_in_the_middle", "all_zeros"])
def test_hessian_of_prod_at_zeros_is_the_product_of_the_other_two(values, expected):
    np.testing.assert_array_equal(hessian(dc.prod, values), expected)


def test_third_derivative_of_prod_of_three_zeros_is_one_across_distinct_elements():
    # d3 (x0 x1 x2) / dx0 dx1 dx2 = 1 (PyTorch agrees).
    x = dc.tensor([0.0, 0.0, 0.0], requires_grad=True)
    (g,) = autograd.grad(dc.prod(x), x, create_graph=True)
    (h0,) = autograd.grad(g[0], x, create_graph=True)
    np.testing.assert_array_equal(h0.data, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(autograd.grad(h0[1], x)[0].data, [0.0, 0.0, 1.0])


def test_hessian_of_prod_along_a_dim_with_zeros_matches_torch():
    values = [[0.0, 2.0, 0.0], [1.0, 0.0, 3.0]]
    h = hessian(lambda t: dc.prod(t, 1).sum(), values)
    np.testing.assert_array_equal(h[0].reshape(2, 3), [[0, 0, 2], [0, 0, 0]])
    np.testing.assert_array_equal(h[4].reshape(2, 3), [[0, 0, 0], [3, 0, 1]])


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1), -1])
def test_gradient_of_prod_with_zeros_matches_differences_of_the_gradient(dim):
    x = dc.tensor([[0.0, 2.0, 0.0], [1.0, 0.0, 3.0], [0.0, 0.0, 0.0], [0.5, -1.0, 2.0]],
                  requires_grad=True)
    assert gradgradcheck(lambda t: dc.prod(t, dim), (x,))


def test_recorded_and_unrecorded_gradients_of_prod_with_zeros_agree():
    values = [[0.0, 2.0, 0.0], [1.0, 0.0, 3.0], [4.0, 5.0, 6.0]]
    x = dc.tensor(values, requires_grad=True)
    (plain,) = autograd.grad(dc.prod(x, 0).sum(), x)
    (recorded,) = autograd.grad(dc.prod(x, 0).sum(), x, create_graph=True)
    np.testing.assert_array_equal(plain.data, recorded.data)
    np.testing.assert_array_equal(plain.data, [[4, 0, 18], [0, 10, 0], [0, 0, 0]])


def test_permute_of_a_vector_passes_its_gradient_back():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    np.testing.assert_array_equal(autograd.grad((x.permute(0) * 3.0).sum(), x)[0].data, [3, 3])
