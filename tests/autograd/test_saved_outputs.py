"""Ops that keep a tensor for backward as its values (exp, tanh, sqrt their own output; sin
its input) notice in-place changes to it, as PyTorch does, through its version counter."""

import gc
import weakref

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



def _freed_by_reference_counting(holder: list) -> bool:
    """Whether emptying ``holder``, the one reference to its object, frees the object with
    the cyclic GC off."""
    alive = weakref.ref(holder[0])
    gc.disable()
    try:
        holder.clear()
        return alive() is None
    finally:
        gc.enable()


def test_a_saved_output_keeps_no_reference_cycle_so_reference_counting_frees_it():
    # PyTorch saves an op's own output without its grad_fn for this reason.
    x = dc.tensor(0.5, requires_grad=True)
    assert _freed_by_reference_counting([x.exp()])


def test_an_input_changed_in_place_before_it_is_saved_gives_the_derivative():
    # torch: a = 1, x = 2a changed in place before sin saves it; d sin(x)/da = 2 cos(2).
    a = dc.tensor(1.0, requires_grad=True)
    x = a * 1.0
    x.mul_(2.0)
    dc.sin(x).backward()
    assert a.grad.item() == pytest.approx(2 * np.cos(2.0), rel=1e-15)


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


def test_a_power_with_a_constant_exponent_keeps_no_output_so_changing_it_is_allowed():
    # PyTorch's pow(Tensor, Scalar) keeps only its base: x**2 may be changed in place.
    x = dc.tensor([1.5, -2.0], requires_grad=True)
    y = x**2
    y.mul_(3.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [9.0, -12.0])  # 3 * 2x


def test_a_power_with_an_exponent_that_needs_a_gradient_keeps_its_output():
    # pow(Tensor, Tensor) keeps its result for the exponent's gradient, as in PyTorch.
    x = dc.tensor([1.5, 2.0], requires_grad=True)
    y = x ** dc.tensor(2.0, requires_grad=True)
    y.mul_(3.0)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


def test_an_op_that_saved_its_input_lets_the_input_tensor_be_freed():
    # sin keeps x's values for cos(x), not the tensor: like a saved output, nothing but the
    # graph holds on to them, so the graph keeps no tensor per node for the cyclic GC.
    a = dc.tensor(0.5, requires_grad=True)
    holder = [a * 3.0]
    y = dc.sin(holder[0])
    assert _freed_by_reference_counting(holder)
    y.backward()
    assert a.grad.item() == pytest.approx(3.0 * np.cos(1.5), rel=1e-15)
