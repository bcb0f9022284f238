"""gradcheck's corners against what torch.autograd.gradcheck does there (checked with torch
2.13) and Jacobians worked by hand: inputs that are not differentiable, outputs that need
no gradient, empty inputs and the wording of a mismatch."""

import re

import numpy as np
import pytest

import diffcli as dc
from diffcli import autograd
from diffcli.autograd.gradcheck import analytical_jacobian, numerical_jacobian


class _SquareWithWrongBackward(autograd.Function):
    """x**2 whose backward says 3x instead of 2x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**2

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x * g


def test_gradcheck_skips_tensors_without_requires_grad_and_plain_numbers():
    # torch: gradcheck(lambda a, b, k: a*b*k, (a, b, 2.0)) is True with b not requiring grad.
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    y = dc.tensor([3.0])
    assert autograd.gradcheck(lambda a, b, k: a * b * k, (x, y, 2.0))
    assert autograd.gradgradcheck(lambda a, b, k: a * a * b * k, (x, y, 2.0))


def test_an_output_that_needs_no_gradient_has_a_zero_jacobian_block():
    x = dc.tensor([1.0, 2.0], requires_grad=True)

    def fn(a):
        return a * 2, dc.tensor([1.0, 1.0, 1.0])

    doubled, constant = analytical_jacobian(fn, (x,), 0)
    np.testing.assert_array_equal(doubled, [[2.0, 0.0], [0.0, 2.0]])
    np.testing.assert_array_equal(constant, np.zeros((3, 2)))
    # torch: gradcheck of (a*2, torch.ones(3)) is True.
    assert autograd.gradcheck(fn, (x,))


def test_the_jacobian_by_an_empty_input_has_no_columns():
    empty = dc.tensor(np.zeros(0), requires_grad=True)

    def fn(a):
        return a.sum() * dc.tensor([1.0, 1.0])

    (numerical,) = numerical_jacobian(fn, (empty,), 0, 1e-6)
    (analytical,) = analytical_jacobian(fn, (empty,), 0)
    assert numerical.shape == analytical.shape == (2, 0)
    assert autograd.gradcheck(fn, (empty,))  # as torch's


def test_a_mismatch_is_worded_as_torchs_with_both_jacobians():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    try:
        autograd.gradcheck(_SquareWithWrongBackward.apply, (x,))
    except autograd.GradcheckError as error:
        message = str(error)
    else:
        raise AssertionError("a backward of 3x for x**2 passed gradcheck")
    # torch: 'Jacobian mismatch for output 0 with respect to input 0,\nnumerical:...
    # \nanalytical:...\n', numerical diag(2x) = diag(2, 4), analytical diag(3x) = diag(3, 6).
    found = re.fullmatch(r"Jacobian mismatch for output 0 with respect to input 0,\n"
                         r"numerical:(.*)\nanalytical:(.*)\n", message, re.S)
    assert found, message
    numbers = [[float(v) for v in re.findall(r"-?\d+\.?\d*", part)] for part in found.groups()]
    np.testing.assert_allclose(numbers[0], [2, 0, 0, 4], atol=1e-6)
    assert numbers[1] == [3, 0, 0, 6]


@pytest.mark.parametrize("fast_mode", [False, True])
def test_a_nan_jacobian_fails_as_in_torch(fast_mode):
    # sqrt at -1: both Jacobians are nan. torch.allclose (gradcheck's test) calls nan close
    # to nothing, so torch's gradcheck fails there, in either mode, even without the
    # undefined-gradient check (which fails it anyway: 0 * nan is not 0).
    x = dc.tensor([-1.0], requires_grad=True)
    assert not autograd.gradcheck(dc.sqrt, (x,), raise_exception=False, fast_mode=fast_mode,
                                  check_undefined_grad=False)
    assert autograd.gradcheck(dc.sqrt, (dc.tensor([4.0], requires_grad=True),),
                              fast_mode=fast_mode, check_undefined_grad=False)


def test_a_backward_that_varies_is_reported_in_torchs_words():
    calls = []

    class Jittery(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            calls.append(None)
            return g * (2 + 1e-7 * len(calls))

    x = dc.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(autograd.GradcheckError) as info:
        autograd.gradcheck(Jittery.apply, (x,))
    # torch's first sentence, word for word, then the tolerance and how to widen it.
    assert str(info.value).startswith(
        "Backward is not reentrant, i.e., running backward with same input and grad_output "
        "multiple times gives different values, although analytical gradient matches "
        "numerical gradient. The tolerance for nondeterminism was 0.0. If the backward is "
        "meant to vary, pass nondet_tol=<tolerance>.")


def _linear_with_uniform_error(delta):
    """x -> A x (A fixed, 3x4) whose backward adds delta to every Jacobian entry."""
    a = np.arange(12.0).reshape(3, 4) / 7

    class Off(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return a @ x.data

        @staticmethod
        def backward(ctx, g):
            return dc.tensor(a.T @ g.data + delta * g.data.sum())

    return Off.apply


@pytest.mark.parametrize("fast_mode", [False, True])
def test_an_error_of_delta_in_every_entry_passes_exactly_when_delta_is_within_atol(fast_mode):
    # Slow mode compares entries: |delta| <= atol (rtol = 0). Fast mode compares v^T J u,
    # off by delta * sum(u) * sum(v), against torch's atol * sum(u) * sum(v): the same verdict.
    x = dc.tensor([0.5, -1.0, 2.0, 0.25], requires_grad=True)
    for delta, passes in [(0.9e-5, True), (1.1e-5, False)]:
        assert autograd.gradcheck(_linear_with_uniform_error(delta), (x,), atol=1e-5, rtol=0.0,
                                  raise_exception=False, fast_mode=fast_mode) is passes
