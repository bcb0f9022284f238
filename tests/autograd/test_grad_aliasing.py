"""A gradient that reaches several leaves must not be shared between their ``.grad`` fields."""

import numpy as np
import pytest

import diffcli as dc


def test_leaves_fed_by_one_add_get_independent_grads_under_create_graph():
    x = dc.tensor([1.0], requires_grad=True)
    y = dc.tensor([2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="reference cycle"):
        (x + y).sum().backward(create_graph=True)
    assert x.grad is not y.grad
    (x + y).sum().backward()
    # Each pass adds d(x+y)/dx = d(x+y)/dy = 1: two passes give 2 for each, as in PyTorch.
    np.testing.assert_array_equal(x.grad.data, [2.0])
    np.testing.assert_array_equal(y.grad.data, [2.0])


def test_clone_copies_the_data_and_passes_the_gradient_through():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.data is not x.data and c.grad_fn.name() == "CloneBackward"
    (c * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])
