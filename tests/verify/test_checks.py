"""check_gradient/derivative/hessian/jacobian: autograd against sympy and finite differences."""

import math

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from diffcli.expr import parse
from diffcli.verify import (
    check_derivative,
    check_gradient,
    check_hessian,
    check_jacobian,
    check_jvp,
)
from tests.expr.strategies import SMOOTH, VARIABLES, trees

EXPR = parse("x**2*y + sin(x*y)")
POINT = {"x": 1.3, "y": -0.7}


def test_gradient_check_reports_three_witnesses():
    data = check_gradient(EXPR, POINT).to_json()
    x, y = 1.3, -0.7
    assert data["agree"] and data["skipped"] is None
    assert data["symbolic"]["y"] == pytest.approx(x**2 + x * math.cos(x * y), rel=1e-14)
    assert data["finite_difference"]["x"] == pytest.approx(2 * x * y + y * math.cos(x * y),
                                                           rel=1e-8)
    assert [c["status"] for c in data["components"]] == ["match", "match"]


def test_a_gradient_wrong_in_the_ninth_digit_is_a_mismatch():
    data = check_gradient(parse("x**3"), {"x": 2.0}, grads={"x": 12.00000001}).to_json()
    assert not data["agree"]
    assert data["components"][0]["status"] == "mismatch"
    assert data["max_abs_error"] == pytest.approx(1e-8, rel=1e-3)


def test_kinks_are_conventions_and_poles_undefined():
    data = check_gradient(parse("relu(x) + abs(y) + sqrt(z)"),
                          {"x": 0.0, "y": 0.0, "z": 0.0}).to_json()
    status = {c["name"]: c["status"] for c in data["components"]}
    # sympy: Heaviside(0) = 1/2, PyTorch: relu'(0) = 0; both say abs'(0) = 0.
    assert status == {"x": "convention", "y": "match", "z": "undefined"}
    assert data["symbolic"]["x"] == 0.5 and data["agree"]


def test_batches_of_points_check_elementwise():
    x = np.array([0.5, 1.0, 2.0])
    data = check_gradient(parse("x**2*y"), {"x": x, "y": 3.0}).to_json()
    assert data["agree"]
    assert data["symbolic"]["x"] == pytest.approx((2 * x * 3.0).tolist())
    assert data["symbolic"]["y"] == pytest.approx(float(np.sum(x**2)))


def test_reductions_over_vectors_get_one_symbol_per_element():
    data = check_gradient(parse("sum(x**2) * y + dot(x, x)"),
                          {"x": [1.0, 2.0, 3.0], "y": 2.0}).to_json()
    assert data["agree"]
    assert data["symbolic"]["x"] == pytest.approx([6.0, 12.0, 18.0])
    assert data["symbolic"]["y"] == pytest.approx(14.0)


def test_hessian_derivative_and_jacobian_against_hand_values():
    hess = check_hessian(parse("x**3*y"), {"x": 2.0, "y": 5.0}).to_json()
    assert hess["agree"]
    assert hess["symbolic"] == {"x,x": 60.0, "x,y": 12.0, "y,x": 12.0, "y,y": 0.0}
    third = check_derivative(parse("x**3*y"), {"x": 2.0, "y": 5.0}, ("x", "x", "y"))
    assert third.to_json()["symbolic"] == {"x,x,y": 12.0} and third.agree
    jac = check_jacobian([parse("x*y"), parse("x - y")], {"x": 2.0, "y": 5.0}).to_json()
    assert jac["symbolic"] == {"0:x": 5.0, "0:y": 2.0, "1:x": 1.0, "1:y": -1.0}
    wrong = check_hessian(parse("x**3*y"), {"x": 2.0, "y": 5.0},
                          hessian=[[60.0, 12.0], [13.0, 0.0]])
    assert [c.status for c in wrong.components] == ["match", "match", "mismatch", "match"]


def test_symbolic_budget_stops_a_huge_derivative():
    node = parse("*".join(f"sin(x + {i}*y)" for i in range(1, 60)))
    result = check_derivative(node, {"x": 0.3, "y": 0.2}, ("x", "y", "x"), timeout=0.3)
    assert result.skipped == "skipped: timed out"
    # Finite differences still stand as the witness.
    assert result.components[0].status == "match"


# Coordinates of 0 or at least 1e-6: at 1e-308, x**2 + y**2 underflows to 0 in float64,
# where sympy's exact arithmetic does not, and neither side is wrong.
MODERATE = st.floats(-2, 2).map(lambda v: 0.0 if abs(v) < 1e-6 else v)


@settings(max_examples=2 * settings.default.max_examples, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(trees(SMOOTH, max_leaves=6), st.tuples(*[MODERATE] * len(VARIABLES)))
def test_no_false_alarm_on_correct_gradients(tree, coords):
    point = dict(zip(VARIABLES, coords, strict=True))
    result = check_gradient(tree, point)
    # Counted, not asserted: sympy out of time, and a gradient that autograd (like torch)
    # makes nan where sympy cancels the trouble away (x**(x - x) at x = -1: 0 * log(-1)),
    # which the check calls a mismatch on purpose; still, such a nan is never a match.
    cancelled = [c for c in result.components if not np.all(np.isfinite(c.autograd))
                 and c.symbolic is not None and np.all(np.isfinite(c.symbolic))]
    if result.skipped is not None:
        event("sympy skipped")
    elif cancelled:
        event("autograd nan where sympy has a number")
        assert all(c.status != "match" for c in cancelled), result.to_json()
    else:
        event("judged")
        assert result.agree, result.to_json()


def test_each_witness_says_whether_it_agrees_with_autograd():
    node = parse("x**3 + y**2")
    right = check_gradient(node, {"x": 2.0, "y": 3.0}).to_json()
    assert [c["agrees"] for c in right["components"]] == [
        {"symbolic": True, "finite_difference": True}
    ] * 2
    # A wrong autograd value (13 where 3*x**2 = 12) is caught by both witnesses.
    wrong = check_gradient(node, {"x": 2.0, "y": 3.0}, grads={"x": 13.0, "y": 6.0}).to_json()
    assert wrong["components"][0]["agrees"] == {"symbolic": False, "finite_difference": False}
    assert wrong["components"][0]["status"] == "mismatch" and not wrong["agree"]


def test_finite_differences_of_an_undefined_function_are_no_witness():
    # log is nan left of 0, so no difference quotient exists at -1; sympy's 1/x still does.
    check = check_gradient(parse("log(x)"), {"x": -1.0}).to_json()
    assert check["components"][0]["agrees"] == {"symbolic": True, "finite_difference": None}


def test_finite_differences_that_do_not_settle_are_no_witness_rather_than_a_false_alarm():
    # sin(3000 x) turns within the difference step: the estimates at h, h/2, h/4 disagree.
    # With sympy out of time, the component is left unchecked instead of called a mismatch.
    node = parse("sin(3000*x) + x")
    check = check_gradient(node, {"x": 0.3}, timeout=0.0).to_json()
    (component,) = check["components"]
    assert component["status"] == "unchecked" and check["agree"] is None
    assert component["autograd"] == pytest.approx(3000 * math.cos(900.0) + 1, rel=1e-12)


def test_finite_differences_judge_a_smooth_function_when_sympy_is_out_of_time():
    wrong = check_gradient(parse("x**3"), {"x": 2.0}, grads={"x": 12.5}, timeout=0.0).to_json()
    assert wrong["components"][0]["status"] == "mismatch" and not wrong["agree"]


def test_a_directional_derivative_is_checked_in_forward_and_reverse_mode():
    # d/dt (x**2 y)(x + 0.3 t, y - t) at t = 0 = 2 x y (0.3) + x**2 (-1), by hand.
    point, direction = {"x": 1.5, "y": 2.0}, {"x": 0.3, "y": np.array(-1.0)}
    want = 2 * 1.5 * 2.0 * 0.3 - 1.5**2
    check = check_jvp(parse("x**2*y"), point, direction, want, want + 1e-6)
    assert [c.name for c in check.components] == ["forward", "reverse"]
    assert [c.status for c in check.components] == ["match", "mismatch"]
    for c in check.components:
        assert c.symbolic == pytest.approx(want, rel=1e-15)
        assert c.finite_difference == pytest.approx(want, rel=1e-7)
    # The formula is sympy's d/dt f(v + t d), as the docs write the line, not yet at t = 0.
    x, y, t = sympy.symbols("x y t")
    line = sympy.diff((x + 0.3 * t) ** 2 * (y - t), t)
    assert sympy.simplify(sympy.sympify(check.formula["forward"]) - line) == 0
    assert check.formula["forward"] == check.formula["reverse"]


def test_vector_directions_move_each_entry_and_their_names_clash_with_nothing():
    # The user's own t and dx are variables, not the line's, and x1's direction is not x's:
    # d/dt (sum((x + d t)**2 * dx) * t + sum(x1 + e t)) at t = 0 (the line's) is
    # 2 t sum(x d dx) + sum(e), by hand.
    x, d, dx = np.array([1.0, -2.0]), np.array([0.5, 3.0]), np.array([2.0, 0.25])
    x1, e = np.array([4.0, 5.0]), np.array([-1.0, 7.0])
    want = 2 * 3.0 * float(np.sum(x * d * dx)) + float(np.sum(e))
    check = check_jvp(parse("sum(x**2 * dx) * t + sum(x1)"),
                      {"x": x, "dx": dx, "t": 3.0, "x1": x1}, {"x": d, "x1": e}, want, want)
    assert check.agree is True
    for c in check.components:
        assert c.symbolic == pytest.approx(want, rel=1e-15)
