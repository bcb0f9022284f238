"""Taylor mode (diffcli.autograd.forward) against sympy/mpmath at high precision, nested
autograd on every function of the registry, and PyTorch's conventions at kinks."""

import math

import mpmath
import numpy as np
import pytest
import sympy

from diffcli.autograd import forward
from diffcli.expr import FUNCTIONS, parse
from diffcli.expr.errors import ExprError
from diffcli.expr.functions import ROWS
from diffcli.expr.symbolic import symbol, to_sympy
from diffcli.expr.taylor import derivatives
from diffcli.verify.autograd_witness import nested_derivative

AT = 0.7


def sympy_derivatives(text: str, order: int, at: float = AT) -> list[float]:
    """f^(k)(at) for k = 0..order, from sympy's exact derivatives evaluated to 30 digits."""
    x = symbol("x")
    expr = to_sympy(parse(text))
    out = []
    for _ in range(order + 1):
        out.append(float(expr.subs(x, sympy.Rational(str(at))).evalf(30)))
        expr = sympy.diff(expr, x)
    return out


@pytest.mark.parametrize("text", ["exp(sin(x))", "log(1+x**2)", "atan(x)", "x**7.5",
                                  "sigmoid(x)"])
def test_order_20_derivatives_match_sympy_to_1e_10(text):
    got = derivatives(parse(text), {"x": AT}, "x", 20)
    want = sympy_derivatives(text, 20)
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        assert abs(float(g) - w) <= 1e-10 * max(abs(w), 1e-300) + 1e-300, (k, float(g), w)


def test_order_100_taylor_coefficients_of_exp_sin_match_mpmath_to_1e_8():
    with mpmath.workdps(50):
        want = mpmath.taylor(lambda t: mpmath.exp(mpmath.sin(t)), mpmath.mpf(AT), 100)
    got = derivatives(parse("exp(sin(x))"), {"x": AT}, "x", 100)
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        coefficient = float(g) / math.factorial(k)
        assert abs(coefficient - float(w)) <= 1e-8 * abs(float(w)), k


def test_derivatives_are_elementwise_over_an_array_of_points():
    x = np.array([-1.0, 0.3, 2.0])
    got = derivatives(parse("sin(x)"), {"x": x}, "x", 3)
    np.testing.assert_allclose(got[3], -np.cos(x), rtol=1e-14)
    assert all(g.shape == (3,) for g in got)


@pytest.mark.parametrize("text", ["log(1+x**2)", "max(x, 0.5) - min(0.5, x)",
                                  "clamp(x, -1, 1) * 2", "atan2(1, x) + hypot(2, x)"])
def test_constants_meet_an_array_of_points_element_by_element(text):
    # each point's series over the array equals that point's series alone
    x = np.array([-1.5, 0.25, 0.7, 2.0])
    together = derivatives(parse(text), {"x": x}, "x", 4)
    for i, at in enumerate(x):
        alone = derivatives(parse(text), {"x": at}, "x", 4)
        np.testing.assert_allclose([g[i] for g in together], [float(a) for a in alone],
                                   rtol=1e-15)


def test_other_variables_are_held_at_their_values():
    got = derivatives(parse("x**3 * y"), {"x": 2.0, "y": 5.0}, "x", 4)
    assert [float(g) for g in got] == [40.0, 60.0, 60.0, 30.0, 0.0]


def test_derivatives_of_a_python_function_by_the_series_operators():
    got = forward.derivatives(lambda t: 1 / (1 - t), 0.5, 5)
    # d^k/dx^k 1/(1-x) = k! / (1-x)^(k+1)
    assert [float(g) for g in got] == pytest.approx(
        [math.factorial(k) / 0.5 ** (k + 1) for k in range(6)], rel=1e-14)


def test_integer_power_at_zero_is_exact():
    got = derivatives(parse("x**3"), {"x": 0.0}, "x", 4)
    assert [float(g) for g in got] == [0.0, 0.0, 0.0, 6.0, 0.0]


def test_a_reduction_is_refused_with_an_error_naming_it():
    with pytest.raises(ExprError, match="elementwise.*'sum'"):
        derivatives(parse("sum(x)"), {"x": np.ones(3)}, "x", 2)


@pytest.mark.parametrize(("text", "first"), [("abs(x)", 0.0), ("relu(x)", 0.0),
                                             ("sign(x)", 0.0), ("floor(x+1)", 0.0),
                                             ("max(x, 0)", 0.5), ("min(x, 0)", 0.5)])
def test_at_a_kink_the_first_derivative_is_torch_subgradient_and_higher_ones_nan(text, first):
    # torch: abs'(0) = relu'(0) = sign'(0) = floor' = 0; maximum/minimum split ties evenly.
    value, d1, d2, d3 = derivatives(parse(text), {"x": 0.0}, "x", 3)
    assert float(d1) == first
    assert np.isnan(d2) and np.isnan(d3)


def test_rules_cover_every_elementwise_function_of_the_registry():
    missing = {spec.name for spec in ROWS if not spec.reduces} - set(forward.RULES)
    assert not missing
    assert set(forward.RULES) <= {spec.name for spec in ROWS}


def _walk_cases():
    for spec in ROWS:
        if spec.reduces:
            continue
        for arity in range(spec.min_args, spec.max_args + 1):
            for position in range(arity):
                for interval in spec.domain[position]:
                    yield pytest.param(spec.name, arity, position, interval,
                                       id=f"{spec.name}/{arity}-arg{position}-{interval[0]}")


@pytest.mark.parametrize(("name", "arity", "position", "interval"), list(_walk_cases()))
def test_first_four_derivatives_match_nested_autograd(name, arity, position, interval):
    spec = FUNCTIONS[name]
    names = ["a", "b", "c"][:arity]
    point = {n: sum(spec.domain[i][0]) / 2 for i, n in enumerate(names)}
    point[names[position]] = sum(interval) / 2
    node = parse(f"{name}({', '.join(names)})")
    wrt = names[position]
    got = derivatives(node, point, wrt, 4)
    for k in range(1, 5):
        want = nested_derivative(node, point, [wrt] * k)
        np.testing.assert_allclose(got[k], want, rtol=1e-9, atol=1e-12, err_msg=f"order {k}")


@pytest.mark.parametrize("text", ["x**7.5", "x**2.5", "x**(-0.5)", "sin(x)**2.5", "cbrt(x)",
                                  "(-x)**1.5"])
def test_a_fractional_power_at_a_zero_base_gives_sympys_one_sided_limits(text):
    x = symbol("x")
    f = to_sympy(parse(text))
    side = "-" if text.startswith("(-x)") else "+"  # the side where the base is positive
    got = derivatives(parse(text), {"x": 0.0}, "x", 9)
    for k in range(1, 10):
        want = sympy.limit(sympy.diff(f, x, k), x, 0, side)
        assert float(got[k]) == float(want), (k, float(got[k]), want)


def test_a_fractional_power_of_a_double_zero_is_nan_where_the_two_sides_differ():
    # (x*x)**1.5 = |x|**3: f' = f'' = 0 at 0, f''' is +6 from the right and -6 from the left
    got = [float(g) for g in derivatives(parse("(x*x)**1.5"), {"x": 0.0}, "x", 5)]
    assert got[:3] == [0.0, 0.0, 0.0] and all(math.isnan(g) for g in got[3:])


def test_a_large_whole_power_at_a_zero_base_is_exact():
    # (2x)**70 has every derivative below order 70 zero and f^(70) = 70! 2^70
    got = forward.derivatives(lambda t: (2 * t) ** 70.0, 0.0, 71)
    assert all(float(g) == 0.0 for g in got[:70])
    assert float(got[70]) == pytest.approx(math.factorial(70) * 2.0 ** 70, rel=1e-12)
    assert float(got[71]) == 0.0


def test_derivatives_past_170_factorial_are_finite_where_they_fit():
    # d^200/dx^200 of 1/(1 - x/3) at 0 is 200!/3^200 (about 2.9e279), though 200! overflows
    from fractions import Fraction

    got = forward.derivatives(lambda t: 1 / (1 - t / 3), 0.0, 200)
    assert float(got[200]) == pytest.approx(float(Fraction(math.factorial(200), 3 ** 200)),
                                            rel=1e-12)


def test_past_170_an_underflowed_coefficient_leaves_its_derivative_unknown():
    # exp's coefficient e^0.7/200! is below the smallest double: 0, and its derivative nan
    assert float(forward.coefficients(forward.exp, 0.7, 200)[200]) == 0.0
    assert math.isnan(float(forward.derivatives(forward.exp, 0.7, 200)[200]))
    # where the true derivative overflows a double it is inf: 180! * 2^181 for 1/(1-x) at 0.5
    assert float(forward.derivatives(lambda t: 1 / (1 - t), 0.5, 180)[180]) == math.inf
