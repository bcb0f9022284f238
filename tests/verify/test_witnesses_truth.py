"""The witnesses tested against the truth: sympy's translation of every function against
the engine's forward, finite differences against closed forms at Richardson's accuracy,
and each tolerance pinned from both sides with an error of known size (half the tolerance
passes, one and a half fails), so that a tolerance made twice as loose or tight is caught."""

import math

import numpy as np
import pytest
import sympy

from diffcli import autograd, tensor
from diffcli.autograd import gradcheck, gradgradcheck
from diffcli.expr import FUNCTIONS, parse
from diffcli.expr.symbolic import symbol, to_sympy
from diffcli.verify import (
    Status,
    check_claims,
    check_derivative,
    check_function,
    check_gradient,
)
from diffcli.verify.common import evaluate
from diffcli.verify.differences import MAX_EVALUATIONS, STEP, finite_difference
from diffcli.verify.judging import Tolerances

# The README's "How verification decides": against sympy, then finite differences.
RTOL, ATOL, FD_RTOL, FD_ATOL = 1e-10, 1e-12, 1e-5, 1e-7
# A hand-derived derivative is right when it agrees to about 9 digits.
CLAIM_RTOL, CLAIM_ATOL = 1e-9, 1e-11
# torch.autograd.gradcheck's documented defaults, which gradcheck and check_function keep.
GRADCHECK_EPS, GRADCHECK_ATOL, GRADCHECK_RTOL = 1e-6, 1e-5, 1e-3
ELEMENTWISE = sorted({spec.name for spec in FUNCTIONS.values() if not spec.reduces})
ARGS = ("x", "y", "w")


def _sympy_value(expr: sympy.Expr, values: dict[str, float]) -> complex:
    subs = {symbol(name): sympy.Float(v, 30) for name, v in values.items()}
    return complex(sympy.N(expr.subs(subs), 30))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_sympy_translation_of_each_function_equals_the_engine_forward(name):
    # At random points of [-3, 3]: wherever the engine has a finite value, sympy's
    # translation has the same real one (log2 in base 3, or cbrt without its sign, differ).
    spec = FUNCTIONS[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    compared = 0
    for arity in range(spec.min_args, spec.max_args + 1):
        node = parse(f"{name}({', '.join(ARGS[:arity])})")
        expr = to_sympy(node)
        for _ in range(24):
            values = {a: float(v) for a, v in zip(ARGS, rng.uniform(-3, 3, arity))}
            with np.errstate(all="ignore"):
                engine = float(evaluate(node, values))
            if not math.isfinite(engine):
                continue
            truth = _sympy_value(expr, values)
            assert truth.imag == 0 and truth.real == pytest.approx(engine, rel=1e-12, abs=1e-300), values
            compared += 1
    # Every function is compared at enough points of its domain to mean something.
    assert compared >= 6


def test_log2_of_2_is_checked_as_agreeing_with_sympy():
    check = check_gradient(parse("log2(x)"), {"x": 2.0})
    (component,) = check.components
    assert float(component.symbolic) == pytest.approx(1 / (2 * math.log(2)), rel=1e-15)
    assert component.status is Status.MATCH and check.agree is True


def test_cbrt_of_a_negative_number_is_checked_as_agreeing_with_sympy():
    # d/dx x**(1/3) at -8 is 1/(3 * 4): the real cube root keeps its sign, its slope does too.
    check = check_gradient(parse("cbrt(x) + cbrt(x)**2"), {"x": -8.0})
    (component,) = check.components
    # d/dx (x**(1/3) + x**(2/3)) = 1/12 + 2/3 * (-8)**(-1/3) = 1/12 - 1/3
    assert float(component.symbolic) == pytest.approx(1 / 12 - 1 / 3, rel=1e-14)
    assert component.status is Status.MATCH and check.agree is True


@pytest.mark.parametrize(("text", "derivative"), [
    ("exp(x)", math.exp),
    ("sin(x)", math.cos),
    ("log(x)", lambda x: 1 / x),
    ("atan(x)", lambda x: 1 / (1 + x * x)),
    ("x**5", lambda x: 5 * x**4),
])
@pytest.mark.parametrize("x", [0.3, 1.7, 2.9])
def test_first_order_differences_have_richardson_accuracy(text, derivative, x):
    # Central differences alone are off by about h**2/6 * f''' (1e-8 at h = 1e-3 / 4);
    # one Richardson step leaves rounding, about 1e-13.
    estimate = float(finite_difference(parse(text), {"x": x}, ["x"]))
    truth = derivative(x)
    assert abs(estimate - truth) <= 1e-11 * max(1.0, abs(truth))


@pytest.mark.parametrize(("wrt", "bound"), [(["x", "x"], 1e-6), (["x", "x", "x"], 1e-3)])
def test_higher_order_differences_approach_the_closed_form(wrt, bound):
    for x in (-0.7, 0.5, 1.0):
        estimate = float(finite_difference(parse("exp(x)"), {"x": x}, wrt))
        assert abs(estimate - math.exp(x)) <= bound * math.exp(x)


def test_differences_are_taken_by_each_named_variable():
    # d2/dxdy of x**2 * y**3 = 6 x y**2.
    estimate = finite_difference(parse("x**2 * y**3"), {"x": 1.5, "y": -0.5}, ["x", "y"])
    assert float(estimate) == pytest.approx(6 * 1.5 * 0.25, rel=1e-6)


def _status(text, point, grad, **kwargs) -> Status:
    (component,) = check_gradient(parse(text), point, grads={"x": grad}, **kwargs).components
    return component.status


# d/dx x**3 at 2 is 12 exactly; a relative error r is 12 * (1 + r).
@pytest.mark.parametrize(("factor", "status"), [(0.5, Status.MATCH), (1.5, Status.MISMATCH)])
def test_sympy_rtol_is_pinned_from_both_sides(factor, status):
    assert _status("x**3", {"x": 2.0}, 12.0 * (1 + factor * RTOL)) is status


@pytest.mark.parametrize(("factor", "status"), [(0.5, Status.MATCH), (1.5, Status.MISMATCH)])
def test_sympy_atol_is_pinned_from_both_sides(factor, status):
    # d/dx x**2 at 0 is 0: only atol separates a small error from none.
    assert _status("x**2", {"x": 0.0}, factor * ATOL) is status


@pytest.mark.parametrize(("factor", "status"), [(0.5, Status.MATCH), (1.5, Status.MISMATCH)])
def test_finite_difference_rtol_is_pinned_from_both_sides(factor, status):
    # Without sympy (no time), finite differences alone judge; exp(5) = 148 makes the
    # relative tolerance (1e-3) dwarf the absolute one and the rounding allowance.
    truth = math.exp(5.0)
    assert _status("exp(x)", {"x": 5.0}, truth * (1 + factor * FD_RTOL), timeout=0.0) is status


@pytest.mark.parametrize(("factor", "status"), [(0.5, Status.MATCH), (1.5, Status.MISMATCH)])
def test_finite_difference_atol_is_pinned_from_both_sides(factor, status):
    # The central difference of x**2 at 0 is exactly 0.
    assert _status("x**2", {"x": 0.0}, factor * FD_ATOL, timeout=0.0) is status


@pytest.mark.parametrize(("factor", "ok"), [(0.5, True), (1.5, False)])
def test_claim_rtol_is_pinned_from_both_sides(factor, ok):
    # The claim is the true derivative times (1 + r) at every point tried.
    claim = parse(f"3*x**2 * (1 + {factor * CLAIM_RTOL!r})")
    result = check_claims(parse("x**3"), {"x": claim}, {"x": 2.0})
    assert result.ok is ok
    assert len(result.components[0].values) == 4  # the given point and three random ones


@pytest.mark.parametrize(("factor", "ok"), [(0.5, True), (1.5, False)])
def test_claim_atol_is_pinned_from_both_sides(factor, ok):
    # d/dx (y + x - x) = 0 everywhere, by autograd and by sympy.
    claim = parse(repr(factor * CLAIM_ATOL))
    assert check_claims(parse("y + x - x"), {"x": claim}, {"x": 1.0, "y": 2.0}).ok is ok


def _scaled_cube(scale: float, offset: float):
    """x -> scale * x**3 as a Function whose backward adds `offset` to the slope."""

    class Cube(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3 * scale

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved_tensors
            return grad_out * (x**2 * (3 * scale) + offset)

    return Cube.apply


def _leaf(value: float):
    return tensor(np.array([value]), requires_grad=True)


@pytest.mark.parametrize(("factor", "ok"), [(0.5, True), (1.5, False)])
def test_gradcheck_rtol_is_pinned_from_both_sides(factor, ok):
    # At x = 2 the slope is 12; the backward is off by factor * rtol of it, far above atol.
    cube = _scaled_cube(1.0, 12.0 * factor * GRADCHECK_RTOL)
    assert gradcheck(cube, (_leaf(2.0),), raise_exception=False) is ok


@pytest.mark.parametrize(("factor", "ok"), [(0.5, True), (1.5, False)])
def test_gradcheck_atol_is_pinned_from_both_sides(factor, ok):
    # At x = 0 the slope is 0 (and the central difference of x**3 is eps**2 = 1e-12).
    cube = _scaled_cube(1.0, factor * GRADCHECK_ATOL)
    assert gradcheck(cube, (_leaf(0.0),), raise_exception=False) is ok


@pytest.mark.parametrize(("eps_factor", "ok"), [(1.0, True), (10.0, False), (0.1, False)])
def test_gradcheck_eps_is_pinned(eps_factor, ok):
    # The central difference of k x**3 at 0 is exactly k eps**2: a backward that returns
    # that (for eps = 1e-6, 1e-4 with k = 1e8) agrees only with differences at that step.
    k = 1e8
    cube = _scaled_cube(k, k * (eps_factor * GRADCHECK_EPS) ** 2)
    assert gradcheck(cube, (_leaf(0.0),), raise_exception=False) is ok


def _cube_with_curvature_off(offset: float):
    """x**3 whose gradient 3x**2 is right but whose own derivative is 6x + offset."""

    class Slope(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**2 * 3.0

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved_tensors
            return grad_out * (x * 6.0 + offset)

    class Cube(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved_tensors
            return grad_out * Slope.apply(x)

    return Cube.apply


def test_a_wrong_second_derivative_passes_gradcheck_and_fails_gradgradcheck():
    cube = _cube_with_curvature_off(1.0)
    assert gradcheck(cube, (_leaf(2.0),), raise_exception=False)
    assert not gradgradcheck(cube, (_leaf(2.0),), (_leaf(1.0),), raise_exception=False)


@pytest.mark.parametrize(("factor", "ok"), [(0.5, True), (1.5, False)])
def test_gradgradcheck_rtol_is_pinned_from_both_sides(factor, ok):
    cube = _cube_with_curvature_off(12.0 * factor * GRADCHECK_RTOL)  # 6x = 12 at x = 2
    assert gradgradcheck(cube, (_leaf(2.0),), (_leaf(1.0),), raise_exception=False) is ok


@pytest.mark.parametrize(("factor", "ok"), [(0.5, True), (1.5, False)])
def test_gradgradcheck_atol_is_pinned_from_both_sides(factor, ok):
    cube = _cube_with_curvature_off(factor * GRADCHECK_ATOL)  # 6x = 0 at x = 0
    assert gradgradcheck(cube, (_leaf(0.0),), (_leaf(1.0),), raise_exception=False) is ok


@pytest.mark.parametrize(("factor", "ok"), [(0.5, True), (1.5, False)])
def test_check_function_uses_gradchecks_rtol_from_both_sides(factor, ok):
    cube = _scaled_cube(1.0, 12.0 * factor * GRADCHECK_RTOL)
    result = check_function(cube, ["x"], {"x": 2.0}, parse("x**3"))
    assert result.ok is ok
    # The witnesses themselves are the truth: 3 * 2**2 by differences and by sympy.
    (inputs,) = result.inputs
    assert float(np.ravel(inputs.witnesses["symbolic"])[0]) == 12.0
    assert float(np.ravel(inputs.witnesses["numerical"])[0]) == pytest.approx(12.0, rel=1e-9)


def test_a_check_no_witness_could_judge_neither_agrees_nor_disagrees():
    # sin(3000 x) turns within the difference step (no estimate) and sympy has no time.
    check = check_gradient(parse("sin(3000*x) + x"), {"x": 0.3}, timeout=0.0)
    assert [c.status for c in check.components] == [Status.UNCHECKED]
    assert check.agree is None and check.to_json()["agree"] is None


def test_a_check_agrees_when_one_component_is_judged_and_none_disagrees():
    check = check_gradient(parse("sin(3000*x) + y**2"), {"x": 0.3, "y": 1.5}, timeout=0.0)
    assert [c.status for c in check.components] == [Status.UNCHECKED, Status.MATCH]
    assert check.agree is True


@pytest.mark.parametrize(("wrt", "truth"), [(("x",), 0.6), (("x", "x"), 1.8)])
def test_rounding_in_differences_of_a_large_function_is_no_false_alarm(wrt, truth):
    # Near 1e8 one ulp is 1.5e-8, so the difference quotient of 1e8 + x**2 (or the second
    # one of 1e8 + x**3) is off by far more than fd_rtol; the rounding allowance, which
    # grows like eps * |f| / h**order, keeps that from being called a mismatch.
    text = "1e8 + x**2" if len(wrt) == 1 else "1e8 + x**3"
    check = check_derivative(parse(text), {"x": 0.3}, wrt, timeout=0.0)
    (component,) = check.components
    assert float(component.autograd) == pytest.approx(truth, rel=1e-15)
    assert abs(float(component.finite_difference) - truth) > FD_RTOL * truth
    assert component.status is Status.MATCH


def test_a_non_finite_autograd_value_where_sympy_has_a_number_is_a_mismatch():
    check = check_gradient(parse("x**2"), {"x": 1.0}, grads={"x": math.nan})
    assert check.components[0].status is Status.MISMATCH and check.agree is False


def test_differences_that_are_nowhere_finite_judge_nothing():
    # sqrt is nan left of 0: neither the differences nor (without time) sympy say anything.
    check = check_gradient(parse("sqrt(x)"), {"x": -1.0}, timeout=0.0)
    assert check.components[0].status is Status.UNCHECKED and check.agree is None


def test_differences_through_a_reduction_are_taken_element_by_element():
    # d/dx_i (sum(x**3) + dot(x, y)) = 3 x_i**2 + y_i, and d/dx_i sum(exp(x)) = exp(x_i),
    # each to Richardson's accuracy (plain central differences are off by about 1e-7).
    x, y = np.array([0.5, -1.2, 2.0]), np.array([1.5, 0.25, -3.0])
    cubic = finite_difference(parse("sum(x**3) + dot(x, y)"), {"x": x, "y": y}, ["x"])
    np.testing.assert_allclose(cubic, 3 * x**2 + y, rtol=1e-10, atol=1e-10)
    exponential = finite_difference(parse("sum(exp(x))"), {"x": x}, ["x"])
    np.testing.assert_allclose(exponential, np.exp(x), rtol=1e-10)
    # By y: d/dy_i dot(x, y) = x_i, with x left where it was.
    np.testing.assert_allclose(
        finite_difference(parse("sum(x**3) + dot(x, y)"), {"x": x, "y": y}, ["y"]), x, rtol=1e-10)


def test_a_fourth_derivative_has_no_finite_difference_and_is_judged_by_sympy():
    # d4/dx4 x**5 = 120 x; differences past the third order round too much to say anything.
    check = check_derivative(parse("x**5"), {"x": 1.0}, ("x",) * 4)
    (component,) = check.components
    assert component.finite_difference is None and float(component.symbolic) == 120.0
    assert component.status is Status.MATCH


def test_the_difference_step_grows_with_the_point():
    # At x = 1e6 a step of 1e-3 would be a handful of ulps; 1e-3 * |x| keeps it exact for x**2.
    assert float(finite_difference(parse("x**2"), {"x": 1e6}, ["x"])) == pytest.approx(
        2e6, rel=1e-12)


def test_second_differences_at_a_batch_of_points_are_taken_point_by_point():
    x = np.array([0.5, 2.0])
    second = finite_difference(parse("x**3"), {"x": x}, ["x", "x"], elementwise=True)
    np.testing.assert_allclose(second, 6 * x, rtol=1e-6)
    # Without `elementwise`, x is one vector variable: the full Hessian, diag(6x).
    full = finite_difference(parse("x**3"), {"x": x}, ["x", "x"])
    np.testing.assert_allclose(full[0], [[6 * x[0], 0.0], [0.0, 0.0]], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("n", [4, 13])
def test_an_elementwise_second_derivative_through_a_reduction_is_the_hessians_sums_or_none(n):
    # f = sum(x**3) + sum(x)**2 has Hessian diag(6x) + 2 (all ones), by hand; the derivative
    # of the sum of its gradient is the Hessian's column sums, 6x + 2n. Entry by entry, 13
    # elements take 13 * 13 * 12 = 2028 evaluations, past the budget, where random
    # directions would estimate u1' H u2 instead: then there must be no estimate at all.
    x = np.linspace(-1.0, 1.5, n)
    second = finite_difference(parse("sum(x**3) + sum(x)**2"), {"x": x}, ["x", "x"],
                               elementwise=True)
    if n * n * 12 > MAX_EVALUATIONS:
        assert second is None
    else:
        np.testing.assert_allclose(second, 6 * x + 2 * n, rtol=1e-5)


@pytest.mark.parametrize("offset", [0.0, 1e8])
@pytest.mark.parametrize("k", [100, 600, 800, 1000])
@pytest.mark.parametrize("x", [0.3, -0.7])
def test_differences_give_no_estimate_rather_than_one_outside_the_judging_tolerance(
        offset, k, x):
    # d/dx (offset + sin(k x)) = k cos(k x). Where the steps are too coarse for sin(k x),
    # or rounding of a large offset swamps them, the estimates do not settle and there
    # must be none: a settled estimate off by more than the judging allows is a false alarm.
    estimate = float(finite_difference(parse(f"{offset} + sin({k}*x)"), {"x": x}, ["x"]))
    truth = k * math.cos(k * x)
    tol = Tolerances()
    rounding = 100 * np.finfo(float).eps * abs(offset + math.sin(k * x)) / STEP[1]
    assert math.isnan(estimate) or abs(estimate - truth) <= (
        tol.fd_atol + rounding + tol.fd_rtol * abs(truth))
