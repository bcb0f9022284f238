"""The autograd witness: nested derivatives within budget, Hessians and Jacobians in one
forward-mode pass, where a gradient turns non-finite."""

import math
import re
import time

import numpy as np
import pytest

from diffcli.autograd import forward
from diffcli.expr import parse
from diffcli.verify import (
    TooCostly,
    directional,
    gradient,
    gradient_along,
    jacobians,
    nested_derivative,
    nonfinite_origin,
)


def test_a_nested_derivative_that_would_outrun_its_budget_stops_with_a_reason():
    # exp(sin(x))'s nested graphs grow about 2.5x per order; order 30 would take hours.
    with pytest.raises(TooCostly) as info:
        nested_derivative(parse("exp(sin(x))"), {"x": 0.7}, ("x",) * 30, budget=0.05)
    assert re.fullmatch(r"stopped after order \d+ of 30: each order costs about \d+\.\dx the "
                        r"one before, and the next would pass 0\.05 s", str(info.value))


def test_a_nested_derivative_within_budget_is_exact():
    # d^4/dx^4 of x**5 is 120 x, worked by hand.
    assert nested_derivative(parse("x**5"), {"x": 0.5}, ("x",) * 4) == pytest.approx(60.0)


@pytest.mark.parametrize(("text", "point", "culprit"), [
    # d/dx sqrt(x - x): sqrt's backward divides by 2*sqrt(0), then the two uses of x cancel.
    ("sqrt(x - x) + y", {"x": 1.0, "y": 2.0}, "sqrt(x - x) (columns 1-11)"),
    # log's backward divides by x*y = 0, long before the sum reaches x.
    ("log(x*y) + x", {"x": 0.0, "y": 2.0}, "log(x*y) (columns 1-8)"),
    # sqrt(x)'s own gradient is 0 * 1 = 0, but its backward turns that into 0 * inf at x.
    ("sqrt(x) * 0 + y", {"x": 0.0, "y": 1.0}, "sqrt(x) (columns 1-7)"),
    # Twice: each backward makes 0 * inf at x, and x's gradient sums both: both are named.
    ("sqrt(x)*0 + sqrt(x)*0", {"x": 0.0}, "sqrt(x) (columns 1-7) or sqrt(x) (columns 13-19)"),
])
def test_nonfinite_origin_names_the_operation_whose_backward_made_it(text, point, culprit):
    origin = nonfinite_origin(parse(text), point, list(point), text)
    # The README's warning: "its first non-finite value comes from the backward of ...".
    assert origin == f"its first non-finite value comes from the backward of {culprit}"


def test_nonfinite_origin_is_none_for_finite_gradients():
    assert nonfinite_origin(parse("x**2 + y"), {"x": 1.0, "y": 1.0}, ["x", "y"], "x**2 + y") is None


HESSIAN_TEXT = "x**2*y + sum(v**3)*y + sin(x*y)"


def hessian_by_hand(x, y, v):
    """d2/d(x, y, v) of x^2 y + y sum(v^3) + sin(xy), worked by hand."""
    s, c = math.sin(x * y), math.cos(x * y)
    return [[2 * y - y * y * s, 2 * x + c - x * y * s, np.zeros(2)],
            [2 * x + c - x * y * s, -x * x * s, 3 * v ** 2],
            [np.zeros(2), 3 * v ** 2, np.diag(6 * v * y)]]


@pytest.mark.parametrize("without_rules", [False, True])
def test_hessian_blocks_match_the_hand_values_by_forward_mode_or_nested_grad(
        without_rules, monkeypatch):
    if without_rules:  # a Function with no tangent rule sends the witness to nested grad
        monkeypatch.setattr(forward, "_ELEMENTWISE", set())
    point = {"x": 0.3, "y": -1.2, "v": np.array([0.5, 2.0])}
    got = jacobians([parse(HESSIAN_TEXT)], point, ["x", "y", "v"], second=True)
    for got_row, want_row in zip(got, hessian_by_hand(0.3, -1.2, point["v"]), strict=True):
        for g, w in zip(got_row, want_row, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-13)


def test_jacobian_rows_are_each_expression_by_each_variable():
    # d(x*y, x + sin(y), 3)/d(x, y) = [[y, x], [1, cos y], [0, 0]]
    got = jacobians([parse("x*y"), parse("x + sin(y)"), parse("3")], {"x": 1.0, "y": 2.0},
                    ["x", "y"])
    np.testing.assert_allclose(np.array(got, dtype=float),
                               [[2.0, 1.0], [1.0, math.cos(2.0)], [0.0, 0.0]], rtol=1e-15)


def test_the_gradient_of_a_constant_is_zero_by_every_variable_given():
    # d/dx 3 = 0, and nothing in the tape requires a gradient: no backward pass to run.
    value, grads = gradient(parse("3"), {"x": 2.0, "y": [1.0, 2.0]}, ["x", "y"])
    assert value == 3.0
    assert grads["x"] == 0.0 and grads["y"].tolist() == [0.0, 0.0]


def test_the_budget_never_refuses_the_last_order_once_it_is_done():
    # The budget is about orders still to come: with none left, even a budget of 0 s
    # returns the derivative, d/dx x**2 = 6 at 3 and d2/dx2 = 2, worked by hand.
    assert nested_derivative(parse("x**2"), {"x": 3.0}, ("x",), budget=0.0) == 6.0
    with pytest.raises(TooCostly, match="stopped after order 1 of 2"):
        nested_derivative(parse("x**2"), {"x": 3.0}, ("x", "x"), budget=0.0)


@pytest.mark.parametrize(("steps", "budget", "said"), [
    # Orders costing 10, 25, 62.5 ms against 100 ms: after the third, 97.5 ms have
    # passed and the next, 2.5x longer, would end at 254 ms.
    ([0.01, 0.025, 0.0625], 0.1, "stopped after order 3 of 6: each order costs about 2.5x the "
                                 "one before, and the next would pass 0.1 s"),
    # A first order of 40 ms is guessed to cost as much again (80 ms), within 100 ms;
    # the second ends at 140 ms and the third would take 2.5x as long.
    ([0.04, 0.1], 0.1, "stopped after order 2 of 6: each order costs about 2.5x the one before, "
                       "and the next would pass 0.1 s"),
    # After 20 and 50 ms only 70 ms have passed, but the next order, 2.5x the last
    # (125 ms), would end at 195 ms: the guess is the last order times its growth.
    ([0.02, 0.05], 0.1, "stopped after order 2 of 6: each order costs about 2.5x the one before, "
                        "and the next would pass 0.1 s"),
    # Orders of 250 ms against 500 ms: after the first the next is guessed to end at
    # exactly 500 ms, not past the budget; after the second it would end at 750 ms.
    ([0.25, 0.25], 0.5, "stopped after order 2 of 6: each order costs about 1.0x the one before, "
                        "and the next would pass 0.5 s"),
])
def test_the_budget_predicts_the_next_order_from_how_the_last_two_grew(
        steps, budget, said, monkeypatch):
    # A clock that advances by the given step at each order, so the test times nothing.
    ticks = iter(np.cumsum([0.0, *steps, *[steps[-1] * 2.5**k for k in range(1, 5)]]))
    monkeypatch.setattr(time, "perf_counter", lambda: float(next(ticks)))
    with pytest.raises(TooCostly) as info:
        nested_derivative(parse("x**7"), {"x": 0.5}, ("x",) * 6, budget=budget)
    assert str(info.value) == said


def test_a_directional_derivative_is_the_gradient_along_the_direction_by_either_mode():
    # f = x*y + sum(v**2) at x = 2, y = 3, v = [1, -1] is 6 + 2 = 8; along dx = 1,
    # dy = 0.5, dv = [2, 1] it moves by y dx + x dy + 2 v.dv = 3 + 1 + (4 - 2) = 6, by hand.
    node = parse("x*y + sum(v**2)")
    point = {"x": 2.0, "y": 3.0, "v": np.array([1.0, -1.0])}
    direction = {"x": 1.0, "y": 0.5, "v": np.array([2.0, 1.0])}
    value, along = directional(node, point, direction)
    assert value == 8.0 and along == 6.0
    assert gradient_along(node, point, direction) == 6.0


def test_a_directional_derivative_of_a_vector_moves_each_element_by_either_mode():
    # d/dt (W + t dW) @ (v + t dv) at t = 0 = dW @ v + W @ dv, worked by hand:
    # [1, -1] + [1.5, 3.5] = [2.5, 2.5]; W @ v itself is [-1, -1].
    node = parse("W @ v")
    point = {"W": np.array([[1.0, 2.0], [3.0, 4.0]]), "v": np.array([1.0, -1.0])}
    direction = {"W": np.eye(2), "v": np.array([0.5, 0.5])}
    value, along = directional(node, point, direction)
    assert value.tolist() == [-1.0, -1.0] and along.tolist() == [2.5, 2.5]
    assert gradient_along(node, point, direction).tolist() == [2.5, 2.5]


def test_a_derivative_past_the_last_dependence_is_zero_in_the_jacobian_shape():
    v = np.array([1.0, 2.0])
    # d/dv of a constant: one 0 per element of v (output shape () then v's shape).
    assert nested_derivative(parse("3"), {"v": v}, ("v",)).tolist() == [0.0, 0.0]
    # d/dv sum(3 v) = [3, 3] no longer depends on v: d2/dv2 is the 2x2 zero matrix.
    assert nested_derivative(parse("sum(3*v)"), {"v": v}, ("v", "v")).tolist() == [[0.0] * 2] * 2
    # Elementwise, d/dv of sum(3 v) is 3 per point and the next order 0 per point.
    assert nested_derivative(parse("3*v"), {"v": v}, ("v", "v"),
                             elementwise=True).tolist() == [0.0, 0.0]


def test_a_derivative_by_a_variable_the_output_does_not_use_is_zero():
    # y**2 and y*v need gradients (of y), yet d/dx of each is 0: a scalar, and one 0 per
    # element of the vector output.
    point = {"x": 1.0, "y": 2.0, "v": np.array([1.0, 2.0])}
    assert nested_derivative(parse("y**2"), point, ("x",)) == 0.0
    assert nested_derivative(parse("y*v"), point, ("x",)).tolist() == [0.0, 0.0]
