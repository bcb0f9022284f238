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



def test_a_saved_output_keeps_no_reference_cycle_so_reference_counting_frees_it():
    # PyTorch saves an op's own output without its grad_fn for this reason.
    import gc
    import weakref

    x = dc.tensor(0.5, requires_grad=True)
    y = x.exp()
    alive = weakref.ref(y)
    gc.disable()
    try:
        del y
        assert alive() is None
    finally:
        gc.enable()


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
