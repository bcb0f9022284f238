"""Ops that keep their own output for backward (exp, tanh, sqrt, ...) notice in-place changes to it,
as PyTorch does through the output's version counter."""

import numpy as np
import pytest

import diffcli as dc

MODIFIED = "modified by an inplace operation"


def test_recorded_in_place_change_of_a_saved_output_fails_backward():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.add_(1.0)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


def test_no_grad_in_place_change_of_a_saved_output_fails_backward():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    y = x.tanh()
    with dc.no_grad():
        y.mul_(2.0)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


def test_untouched_saved_output_gives_the_derivative():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    x.exp().sum().backward()
    np.testing.assert_allclose(x.grad.data, np.exp([1.0, 2.0]), rtol=1e-15)
