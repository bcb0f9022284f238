"""Derivatives of any order by nesting grad(create_graph=True), checked against sympy."""

import numpy as np
import pytest
import sympy as sp

import diffcli as dc
from diffcli import autograd

X = sp.Symbol("x")
POINT = 0.7
ORDERS = 6

# Each case: the engine function and the same function built as a sympy expression
# directly (never from a string).
FUNCTIONS = {
    "sin": (dc.sin, sp.sin(X)),
    "exp": (dc.exp, sp.exp(X)),
    "exp_sin": (lambda t: dc.exp(dc.sin(t)), sp.exp(sp.sin(X))),
    "x_pow_7": (lambda t: t**7, X**7),
    "log_1_plus_x2": (lambda t: dc.log(1 + t**2), sp.log(1 + X**2)),
}


def nth_derivatives(fn, point, orders):
    """Values of f', f'', ... by repeatedly differentiating the previous derivative."""
    x = dc.tensor(point, requires_grad=True)
    current = fn(x)
    values = []
    for _ in range(orders):
        (current,) = autograd.grad(current, x, create_graph=True)
        values.append(current.item())
    return values


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_nth_derivatives_up_to_order_six_match_sympy(name):
    fn, expr = FUNCTIONS[name]
    expected = [float(sp.diff(expr, X, n).subs(X, POINT)) for n in range(1, ORDERS + 1)]
    np.testing.assert_allclose(nth_derivatives(fn, POINT, ORDERS), expected, rtol=1e-10)


def test_seventh_derivative_of_x_pow_7_is_the_constant_5040_and_eighth_is_zero():
    values = nth_derivatives(lambda t: t**7, -1.3, 8)
    assert values[6] == pytest.approx(5040.0, rel=1e-12)
    assert values[7] == 0.0


def test_mixed_partials_match_sympy_and_commute():
    xs, ys = sp.symbols("x y")
    expr = sp.sin(xs * ys) + xs**3 * ys**2 + sp.exp(xs - 2 * ys)
    at = {xs: 0.4, ys: -0.9}
    x = dc.tensor(0.4, requires_grad=True)
    y = dc.tensor(-0.9, requires_grad=True)
    f = dc.sin(x * y) + x**3 * y**2 + dc.exp(x - 2 * y)
    fx, fy = autograd.grad(f, [x, y], create_graph=True)
    fxy, fxx = autograd.grad(fx, [y, x], create_graph=True)
    (fyx,) = autograd.grad(fy, [x], create_graph=True)
    (fxyy,) = autograd.grad(fxy, [y])
    want = {
        "fxy": float(sp.diff(expr, xs, ys).subs(at)),
        "fxx": float(sp.diff(expr, xs, 2).subs(at)),
        "fxyy": float(sp.diff(expr, xs, ys, ys).subs(at)),
    }
    assert fxy.item() == pytest.approx(want["fxy"], rel=1e-12)
    assert fyx.item() == pytest.approx(want["fxy"], rel=1e-12)
    assert fxx.item() == pytest.approx(want["fxx"], rel=1e-12)
    assert fxyy.item() == pytest.approx(want["fxyy"], rel=1e-12)


def test_higher_order_derivatives_of_a_vector_function_elementwise():
    points = np.array([-1.0, 0.2, 1.5])
    x = dc.tensor(points, requires_grad=True)
    (g,) = autograd.grad(dc.tanh(x).sum(), x, create_graph=True)
    (h,) = autograd.grad(g.sum(), x, create_graph=True)
    (k,) = autograd.grad(h.sum(), x)
    t = np.tanh(points)
    # tanh' = 1 - t^2, tanh'' = -2t(1 - t^2), tanh''' = (6t^2 - 2)(1 - t^2)
    np.testing.assert_allclose(g.data, 1 - t**2, rtol=1e-12)
    np.testing.assert_allclose(h.data, -2 * t * (1 - t**2), rtol=1e-12)
    np.testing.assert_allclose(k.data, (6 * t**2 - 2) * (1 - t**2), rtol=1e-10)


def rosenbrock(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def rosenbrock_hessian(x):
    """Analytic Hessian of sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2, worked by hand.

    d2f/dx_i^2 = 1200 x_i^2 - 400 x_{i+1} + 2   (terms where x_i is the "i" of a pair)
               + 200                           (term where x_i is the "i+1" of a pair)
    d2f/dx_i dx_{i+1} = -400 x_i, every other entry is 0.
    """
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        h[i + 1, i + 1] += 200
        h[i, i + 1] = h[i + 1, i] = -400 * x[i]
    return h


def test_hessian_of_10d_rosenbrock_matches_the_analytic_hessian(rng):
    point = rng.uniform(-1.5, 1.5, 10)
    h = autograd.functional.hessian(rosenbrock, dc.tensor(point))
    assert h.shape == (10, 10)
    np.testing.assert_allclose(h.data, rosenbrock_hessian(point), rtol=1e-12, atol=1e-9)


def test_rosenbrock_gradient_vanishes_at_its_minimum():
    x = dc.tensor(np.ones(10), requires_grad=True)
    rosenbrock(x).backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros(10))
