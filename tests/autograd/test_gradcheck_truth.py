"""gradcheck's corners against what torch.autograd.gradcheck does there (checked with torch
2.13) and Jacobians worked by hand: inputs that are not differentiable, outputs that need
no gradient, empty inputs and the wording of a mismatch."""

import inspect
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
    assert autograd.gradcheck(Jittery.apply, (x,), nondet_tol=1e-5)


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


# torch 2.13's defaults of the options both functions share, from its signatures.
TORCH_DEFAULTS = {"eps": 1e-6, "atol": 1e-5, "rtol": 1e-3, "raise_exception": True,
                  "nondet_tol": 0.0, "check_undefined_grad": True, "check_batched_grad": False,
                  "fast_mode": False}


@pytest.mark.parametrize("check", [autograd.gradcheck, autograd.gradgradcheck])
def test_the_defaults_are_torchs(check):
    parameters = inspect.signature(check).parameters
    assert {name: parameters[name].default for name in TORCH_DEFAULTS} == TORCH_DEFAULTS


def test_fast_mode_failing_where_slow_mode_passes_says_so_with_the_slow_jacobians():
    # f = x0 - x1, whose backward is off by 9e-4 in both entries: within rtol = 1e-3 of each
    # entry (slow mode passes), but v^T J u = u0 - u1 is small while the error is
    # 9e-4 * (u0 + u1): fast mode fails, and says that slow mode might pass.
    class Off(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x[0] - x[1]

        @staticmethod
        def backward(ctx, g):
            return dc.tensor(np.array([1.0 + 9e-4, -1.0 + 9e-4]) * g.data)

    x = dc.tensor([0.3, 0.7], requires_grad=True)
    assert autograd.gradcheck(Off.apply, (x,), atol=0.0)
    with pytest.raises(autograd.GradcheckError) as info:
        autograd.gradcheck(Off.apply, (x,), atol=0.0, fast_mode=True)
    detail = str(info.value).split("\n", 3)[3]
    assert detail.startswith(
        "\nThe above quantities relating the numerical and analytical jacobians are computed "
        "in fast mode. Below, we recompute numerical and analytical jacobians in slow mode:\n\n"
        "Numerical:\n")
    largest = float(re.search(r"\n\nThe max per-element difference \(slow mode\) is: (\S+)\.\n"
                              r"Fast gradcheck", detail).group(1))
    assert largest == pytest.approx(9e-4, rel=1e-3)
    assert detail.endswith("Fast gradcheck failed but element-wise differences are small: the "
                           "check might pass with fast_mode=False.\n")


class _TwoOutputs(autograd.Function):
    """(2x, 3x) whose backward copes with both output gradients undefined, but with one
    undefined and the other all zeros makes a gradient of ones."""

    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x.data * 2, x.data * 3

    @staticmethod
    def backward(ctx, g1, g2):
        if g1 is None and g2 is None:
            return None
        if g1 is None or g2 is None:
            given, factor = (g2, 3) if g1 is None else (g1, 2)
            return given * factor + float(not given.data.any())
        return g1 * 2 + g2 * 3


def test_each_output_gradient_is_made_undefined_alone_as_well_as_all_at_once():
    # All undefined at once passes; only the second output undefined, with zeros for the
    # first, brings out the ones: torch checks each output alone for this.
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    assert autograd.gradcheck(_TwoOutputs.apply, (x,), check_undefined_grad=False)
    with pytest.raises(autograd.GradcheckError) as info:
        autograd.gradcheck(_TwoOutputs.apply, (x,))
    message = str(info.value)
    assert message.startswith("Expected all input grads to be undefined or zero when all "
                              "output grads are undefined or zero. A backward receives None")
    assert message.endswith("and must then give None or zeros.")


class _ThreeOutputs(autograd.Function):
    """(2x, 3x, 4x) whose backward adds a stray one when exactly one output gradient is
    undefined, and is right when none, two or all three are."""

    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x.data * 2, x.data * 3, x.data * 4

    @staticmethod
    def backward(ctx, *grads):
        given = [g * f for g, f in zip(grads, (2, 3, 4)) if g is not None]
        if not given:
            return None
        return sum(given[1:], given[0]) + (1.0 if len(given) == 2 else 0.0)


def test_with_three_outputs_each_is_made_undefined_alone_not_all_but_one():
    # torch 2.13 raises this error for the same Function: it undefines one output at a
    # time, where the stray one shows; undefining all but one would never see it.
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    assert autograd.gradcheck(_ThreeOutputs.apply, (x,), check_undefined_grad=False)
    with pytest.raises(autograd.GradcheckError, match="^Expected all input grads to be "
                       "undefined or zero when all output grads are undefined or zero"):
        autograd.gradcheck(_ThreeOutputs.apply, (x,))


def test_a_backward_that_cannot_take_an_undefined_gradient_is_named_in_torchs_words():
    class NoneUnaware(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x.data * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = dc.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(autograd.GradcheckError) as info:
        autograd.gradcheck(NoneUnaware.apply, (x,))
    assert str(info.value) == (
        "Expected backward function to handle undefined output grads. A backward receives "
        "None for an output whose gradient is undefined (zeros when its Function materializes "
        "grads, the default), and must then give None or zeros.")
    assert autograd.gradcheck(NoneUnaware.apply, (x,), check_undefined_grad=False)


def test_float32_inputs_are_refused_by_name():
    x = dc.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    with pytest.raises(ValueError) as info:
        autograd.gradcheck(lambda a: a * 2, (x,))
    assert str(info.value) == "gradcheck expects float64 inputs; input 0 is float32"


def test_the_verifiers_function_check_uses_gradchecks_tolerances():
    from diffcli.verify.function_check import GRADCHECK_ATOL, GRADCHECK_EPS, GRADCHECK_RTOL

    ours = {"eps": GRADCHECK_EPS, "atol": GRADCHECK_ATOL, "rtol": GRADCHECK_RTOL}
    assert ours == {name: TORCH_DEFAULTS[name] for name in ours}


def test_check_batched_grad_is_refused_with_the_way_out():
    x = dc.tensor([1.0], requires_grad=True)
    with pytest.raises(NotImplementedError) as info:
        autograd.gradcheck(lambda a: a * 2, (x,), check_batched_grad=True)
    assert str(info.value) == ("check_batched_grad=True needs batched gradients (vmap), which "
                               "diffcli does not have; leave check_batched_grad=False")


def test_gradgradcheck_differentiates_by_the_output_gradient_too():
    # A backward of 2 * g with g detached: right at first order, but its vjp does not
    # depend on the output gradient v through the graph (d vjp / d v = 0, truly 2), which
    # torch's gradgradcheck catches because its random v require grad.
    class Detached(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.data * 2

        @staticmethod
        def backward(ctx, g):
            return g.detach() * 2

    x = dc.tensor([0.5, -1.0], requires_grad=True)
    assert autograd.gradcheck(Detached.apply, (x,))
    assert not autograd.gradgradcheck(Detached.apply, (x,), raise_exception=False)


def test_gradgradcheck_accepts_an_input_the_output_does_not_use():
    # torch: gradgradcheck(lambda a, b: a * 2, (a, b)) is True with b unused.
    x, y = dc.tensor([0.5], requires_grad=True), dc.tensor([2.0], requires_grad=True)
    assert autograd.gradgradcheck(lambda a, b: a**3, (x, y))



def _off_by_delta(c, delta):
    """x -> c x, whose backward says c + delta; and x -> c/2 x**2, whose backward g * (c x)
    is right but runs the first, so that only its second derivative is off by delta."""

    class Slope(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.data * c

        @staticmethod
        def backward(ctx, g):
            return g * (c + delta)

    class HalfSquare(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.data**2 * c / 2

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * Slope.apply(x)

    return Slope.apply, HalfSquare.apply


@pytest.mark.parametrize(("c", "delta", "passes"), [
    # Where the true derivative is 0, torch's default atol = 1e-5 alone decides.
    (0.0, 0.9e-5, True), (0.0, 1.1e-5, False),
    # Where it is 100, atol + rtol * 100 = 0.10001 with torch's default rtol = 1e-3.
    (100.0, 0.09, True), (100.0, 0.11, False)])
def test_the_default_tolerances_pass_an_error_exactly_when_within_them(c, delta, passes):
    # torch's test |analytical - numerical| <= atol + rtol * |numerical|, left at its
    # defaults: gradcheck sees the first derivative c + delta, gradgradcheck the second.
    first, second = _off_by_delta(c, delta)
    x = dc.tensor([0.5], requires_grad=True)
    assert autograd.gradcheck(first, (x,), raise_exception=False) is passes
    assert autograd.gradcheck(second, (x,), raise_exception=False)
    v = dc.tensor([1.0], requires_grad=True)
    assert autograd.gradgradcheck(second, (x,), (v,), raise_exception=False) is passes
