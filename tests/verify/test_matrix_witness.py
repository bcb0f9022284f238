"""The witnesses on matrices: sympy's matrix calculus where it answers (checked against
gradients worked by hand), element symbols within the element budget, the reason past
both, and finite differences along random directions for large arrays."""

import numpy as np
import pytest

from diffcli.expr.parser import parse
from diffcli.verify import check_gradient, finite_difference
from diffcli.verify.differences import MAX_EVALUATIONS, Directional
from diffcli.verify.sympy_witness import ELEMENT_BUDGET, matrix_derivative

RNG = np.random.default_rng(7)
W, X, Y = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2)), RNG.standard_normal((3, 2))
A, B = RNG.standard_normal((3, 3)) + 3 * np.eye(3), RNG.standard_normal((3, 3))
x, y = RNG.standard_normal(4), RNG.standard_normal(3)
POINT = {"W": W, "X": X, "Y": Y, "A": A, "B": B, "x": x, "y": y}


def _closed(text: str, name: str):
    node = parse(text)
    used = {k: v for k, v in POINT.items() if k in text}
    return matrix_derivative(node, (name,), used)


# Each gradient worked by hand (The Matrix Cookbook's identities).
HAND = [
    ("sum((W@x - y)**2)", "W", lambda: 2 * np.outer(W @ x - y, x)),
    ("sum((W@x - y)**2)", "x", lambda: 2 * W.T @ (W @ x - y)),
    ("sum((W@X - Y)**2)", "X", lambda: 2 * W.T @ (W @ X - Y)),
    ("0.5*sum((W@X - Y)**2)", "W", lambda: (W @ X - Y) @ X.T),
    ("trace(A@B)", "A", lambda: B.T),
    ("tr(A.T@B) - 3*trace(A)", "A", lambda: B - 3 * np.eye(3)),
    ("trace(inv(A)@B)", "A", lambda: -(np.linalg.inv(A) @ B @ np.linalg.inv(A)).T),
    ("sum((x@W.T - y)**2)/4", "W", lambda: np.outer(W @ x - y, x) / 2),
    # sympy's own derivative of this sum of traces is 0: each term goes on its own.
    ("trace(A) + sum((W@x - y)**2)", "W", lambda: 2 * np.outer(W @ x - y, x)),
    ("-sum((A - B)**2)", "A", lambda: -2 * (A - B)),
    # A negative number on the right is a minus applied to it: -3 times the trace.
    ("trace(A) * -3", "A", lambda: -3 * np.eye(3)),
    ("-(2*trace(A@B)) + (+trace(A))", "A", lambda: np.eye(3) - 2 * B.T),
    ("trace(A + B)", "B", lambda: np.eye(3)),
    # A factor of 1 on the right is still a constant factor.
    ("trace(A@B) * 1", "A", lambda: B.T),
    # Constant factors multiply: 3 times (2 times the trace).
    ("(2*trace(A)) * 3", "A", lambda: 6 * np.eye(3)),
    # Inside a matrix expression: a minus, and a constant on either side of a matrix.
    ("trace(-A@B)", "A", lambda: -B.T),
    ("sum((2*W@x - y)**2)", "W", lambda: 4 * np.outer(2 * W @ x - y, x)),
    ("sum((W*0.5@x - y)**2)", "W", lambda: np.outer(0.5 * W @ x - y, x)),
]


@pytest.mark.parametrize(("text", "name", "hand"), HAND, ids=[f"{t} by {n}" for t, n, _ in HAND])
def test_matrix_calculus_closed_form_equals_the_hand_gradient(text, name, hand):
    found = _closed(text, name)
    assert found is not None
    _, value, closed = found
    assert closed is True
    np.testing.assert_allclose(value, hand(), rtol=1e-12, atol=1e-12)


def test_least_squares_closed_form_is_the_textbook_one():
    text, _, _ = _closed("sum((W@x - y)**2)", "W")
    assert text == "2*(W*x - y)*x.T"


@pytest.mark.parametrize("text", ["logdet(A)", "det(A)", "sum(exp(W@x))", "norm(W@x - y)",
                                  "sum(W@x - y)", "trace(A)*trace(B)", "sum((W@x + 1)**2)",
                                  # a term with no form makes the whole sum have none
                                  "trace(A) + sum(exp(W@x))", "sum(exp(W@x)) - trace(A)",
                                  # exp of a matrix is entrywise, not a matrix function
                                  "trace(exp(A))",
                                  # a power of a trace is no sum of matrix terms
                                  "trace(A) + trace(B)**2"])
def test_forms_sympy_gets_wrong_or_cannot_do_have_no_closed_form(text):
    name = "A" if "A" in text else "W"
    assert _closed(text, name) is None


def test_a_vector_plus_a_column_broadcasts_to_a_matrix_and_has_no_closed_form():
    # numpy: y (3,) + C (3, 1) is the 3x3 matrix y[j] + C[i]; as columns both are 3x1,
    # whose sum would be the wrong form. The element witness gives d/dC by hand.
    column = RNG.standard_normal((3, 1))
    node = parse("sum((y + C)**2)")
    assert matrix_derivative(node, ("C",), {"y": y, "C": column}) is None
    check = check_gradient(node, {"y": y, "C": column})
    hand = 2 * (y[None, :] + column).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(check.components[1].symbolic, hand, rtol=1e-12)


def test_a_variable_in_no_term_has_a_zero_closed_form():
    text, value, _ = _closed("trace(A) + 0*trace(B)", "B")
    assert text == "0"
    np.testing.assert_array_equal(value, np.zeros((3, 3)))


def test_check_carries_the_closed_form_and_judges_against_it():
    node = parse("sum((W@X - Y)**2)")
    point = {"W": W, "X": X, "Y": Y}
    check = check_gradient(node, point)
    assert check.agree is True
    assert set(check.closed_form) == {"W", "X", "Y"}
    np.testing.assert_allclose(check.components[0].symbolic, 2 * (W @ X - Y) @ X.T, rtol=1e-12)
    # A gradient off by a factor of two is caught by the closed form.
    wrong = check_gradient(node, point, {"W": (W @ X - Y) @ X.T, "X": 2 * W.T @ (W @ X - Y),
                                         "Y": -2 * (W @ X - Y)})
    assert wrong.agree is False
    assert wrong.components[0].agrees["symbolic"] is False


def test_no_closed_form_goes_element_by_element_within_the_budget():
    check = check_gradient(parse("logdet(A)"), {"A": A})
    assert check.closed_form == {}
    assert check.skipped is None
    np.testing.assert_allclose(check.components[0].symbolic, np.linalg.inv(A).T, rtol=1e-10)


def test_past_the_budget_without_a_closed_form_sympy_says_why():
    big = RNG.standard_normal((9, 9)) + 9 * np.eye(9)
    assert big.size > ELEMENT_BUDGET
    check = check_gradient(parse("logdet(A)"), {"A": big})
    assert check.skipped == (f"skipped: too large for the symbolic witness (81 elements, "
                             f"budget {ELEMENT_BUDGET})")
    assert check.components[0].symbolic is None
    # Finite differences still judge it, entry by entry at this size.
    assert check.agree is True
    np.testing.assert_allclose(check.components[0].finite_difference, np.linalg.inv(big).T,
                               rtol=1e-6)


def test_the_element_budget_is_64_entries_as_the_json_docs_say():
    # sum(sin(v)) has no matrix form; d/dv = cos(v) entry by entry, by hand.
    v = np.linspace(-1.0, 1.0, 65)
    within = check_gradient(parse("sum(sin(v))"), {"v": v[:64]})
    assert within.skipped is None
    np.testing.assert_allclose(within.components[0].symbolic, np.cos(v[:64]), rtol=1e-15)
    past = check_gradient(parse("sum(sin(v))"), {"v": v})
    assert past.skipped == "skipped: too large for the symbolic witness (65 elements, budget 64)"


LARGE = {"W": RNG.standard_normal((20, 20)) / 5, "v": RNG.standard_normal(20) / 5}


def test_large_arrays_are_differenced_along_random_directions():
    node = parse("sum(exp(W@v))")
    assert LARGE["W"].size * 6 > MAX_EVALUATIONS
    f = finite_difference(node, LARGE, ("W",), elementwise=True)
    assert isinstance(f, Directional)
    # docs/json.md: "along 3 random unit directions (the same ones every run)".
    assert len(f.directions) == len(f.estimates) == 3
    again = finite_difference(node, LARGE, ("W",), elementwise=True)
    assert all(np.array_equal(u, w) for (u,), (w,) in zip(f.directions, again.directions))
    hand = np.outer(np.exp(LARGE["W"] @ LARGE["v"]), LARGE["v"])
    for units, estimate in zip(f.directions, f.estimates):
        (u,) = units
        assert np.linalg.norm(u) == pytest.approx(1.0)
        assert estimate == pytest.approx(np.sum(hand * u), rel=1e-7)


def test_small_arrays_keep_one_difference_per_entry():
    f = finite_difference(parse("sum(exp(W@x))"), {"W": W, "x": x}, ("W",), elementwise=True)
    assert isinstance(f, np.ndarray)
    np.testing.assert_allclose(f, np.outer(np.exp(W @ x), x), rtol=1e-7)


def test_directions_judge_a_large_gradient_right_and_catch_a_transposed_one():
    node = parse("sum(exp(W@v))")
    hand = np.outer(np.exp(LARGE["W"] @ LARGE["v"]), LARGE["v"])
    v_grad = LARGE["W"].T @ np.exp(LARGE["W"] @ LARGE["v"])
    right = check_gradient(node, LARGE, {"W": hand, "v": v_grad})
    assert right.agree is True
    component = right.components[0]
    assert component.finite_difference is None and component.directional is not None
    assert right.skipped.startswith("skipped: too large for the symbolic witness")
    wrong = check_gradient(node, LARGE, {"W": hand.T, "v": v_grad})
    assert wrong.agree is False
    assert wrong.components[0].agrees["finite_difference"] is False


def test_a_full_second_derivative_along_directions_matches_the_hand_hessian():
    # d2/dW2 of sum((W@v)**2) is 2 delta_ik v_j v_l: along u1, u2 it is 2 sum_i (u1 v)_i (u2 v)_i.
    node = parse("sum((W@v)**2)")
    f = finite_difference(node, LARGE, ("W", "W"))
    assert isinstance(f, Directional)
    for (u1, u2), estimate in zip(f.directions, f.estimates):
        hand = 2 * (u1 @ LARGE["v"]) @ (u2 @ LARGE["v"])
        assert estimate == pytest.approx(hand, rel=1e-5, abs=1e-7)


def test_directions_difference_the_sum_of_a_non_scalar_expression():
    # A gradient is of the sum: along u it is sum(hand * u) whatever the output's shape.
    f = finite_difference(parse("exp(W@v)"), LARGE, ("W",), elementwise=True)
    hand = np.outer(np.exp(LARGE["W"] @ LARGE["v"]), LARGE["v"])
    for (u,), estimate in zip(f.directions, f.estimates):
        assert estimate == pytest.approx(np.sum(hand * u), rel=1e-7)


def test_a_mixed_second_derivative_along_directions_projects_each_variable_on_its_own():
    node = parse("sum((W@v)**2)")
    f = finite_difference(node, LARGE, ("W", "v"))
    w, v = LARGE["W"], LARGE["v"]
    # d2/dW_ij dv_l = 2 (W_il v_j + (W v)_i delta_jl), of shape W + v.
    full = 2 * (np.einsum("il,j->ijl", w, v) + np.einsum("i,jl->ijl", w @ v, np.eye(20)))
    np.testing.assert_allclose(f.project(full, False), f.estimates, rtol=1e-5, atol=1e-6)


def test_with_a_closed_form_the_directions_still_give_their_own_verdict():
    node = parse("sum((W@v)**2)")
    hand = 2 * np.outer(LARGE["W"] @ LARGE["v"], LARGE["v"])
    check = check_gradient(node, LARGE, {"W": hand.T, "v": 2 * LARGE["W"].T @ LARGE["W"]
                                         @ LARGE["v"]})
    component = check.components[0]
    assert "W" in check.closed_form and component.directional is not None
    assert component.agrees == {"symbolic": False, "finite_difference": False}


@pytest.mark.parametrize(("wrt", "size", "entrywise"), [
    # Central differences at 3 steps take 2 * 3 evaluations per entry and order:
    # 333 * 6 = 1998 and 334 * 6 = 2004 at first order; 12**2 * 12 = 1728 and
    # 13**2 * 12 = 2028 by the same vector twice.
    (("x",), 333, True), (("x",), 334, False), (("x", "x"), 12, True), (("x", "x"), 13, False)])
def test_entry_by_entry_while_that_takes_at_most_2000_evaluations(wrt, size, entrywise):
    # docs/json.md: "entry by entry while that takes at most 2,000 evaluations".
    point = {"x": np.linspace(0.1, 0.9, size)}
    f = finite_difference(parse("sum(x**3)"), point, wrt)
    assert isinstance(f, np.ndarray) is entrywise
    if entrywise and len(wrt) == 1:
        np.testing.assert_allclose(f, 3 * point["x"] ** 2, rtol=1e-9)
