"""Full derivatives by vector variables: each witness computes the whole tensor on its
own (autograd Jacobian by Jacobian, sympy per element symbol, differences per element),
so a row-summed or wrong block is a mismatch."""

import numpy as np
import pytest

from diffcli.expr import parse
from diffcli.verify import (
    check_derivative,
    check_hessian,
    check_jacobian,
    finite_difference,
    nested_derivative,
)

X = {"x": [1.0, 2.0]}
# f_i = x_i * s with s = x0 + x1 = 3: df_i/dx_j = [i == j] * s + x_i.
JACOBIAN = [[4.0, 1.0], [2.0, 5.0]]


def test_nested_derivative_is_the_full_jacobian_and_elementwise_sums_each_order():
    node = parse("x*sum(x)")
    assert nested_derivative(node, X, ("x",)).tolist() == JACOBIAN
    # The gradient of sum(f): the Jacobian's column sums.
    assert nested_derivative(node, X, ("x",), elementwise=True).tolist() == [6.0, 6.0]


def test_second_order_by_a_vector_and_a_scalar_has_both_shapes():
    # f = a * (x0**2 + x1**2): d/dx then d/da is 2x, of shape x + a = (2,).
    node = parse("dot(x,x)*a")
    point = {**X, "a": 3.0}
    assert nested_derivative(node, point, ("x", "a")).tolist() == [2.0, 4.0]
    assert nested_derivative(node, point, ("a", "x")).tolist() == [2.0, 4.0]
    assert nested_derivative(node, point, ("x", "x")).tolist() == [[6.0, 0.0], [0.0, 6.0]]


def test_finite_differences_perturb_one_element_at_a_time():
    assert finite_difference(parse("x*sum(x)"), X, ("x",)) == pytest.approx(
        np.array(JACOBIAN), abs=1e-8)
    # sum(x)**3: every second partial is 6 * (x0 + x1) = 18.
    assert finite_difference(parse("sum(x)**3"), X, ("x", "x")) == pytest.approx(
        np.full((2, 2), 18.0), rel=1e-5)
    assert finite_difference(parse("x*sum(x)"), X, ("x",), elementwise=True) == pytest.approx(
        np.array([6.0, 6.0]), abs=1e-8)


def test_a_row_summed_jacobian_is_a_mismatch_not_an_agreement():
    check = check_jacobian([parse("x*sum(x)")], X, jacobian=[[[6.0, 6.0]]])
    (component,) = check.components
    assert component.status == "mismatch" and not check.agree
    assert component.symbolic.tolist() == JACOBIAN
    assert component.agrees == {"symbolic": False, "finite_difference": False}


def test_one_wrong_element_of_a_hessian_block_is_a_mismatch():
    point = {**X, "a": 3.0}
    wrong = [[[[6.0, 0.0], [0.0, 7.0]], [2.0, 4.0]], [[2.0, 4.0], 0.0]]
    check = check_hessian(parse("dot(x,x)*a"), point, hessian=wrong)
    assert [c.status for c in check.components] == ["mismatch", "match", "match", "match"]


def test_a_kink_in_one_output_element_is_a_convention_there():
    # relu(x) at x = [0, 1]: the Jacobian is diag(relu'(0), 1); PyTorch takes relu'(0) = 0,
    # sympy's Heaviside(0) = 1/2.
    check = check_jacobian([parse("relu(x)")], {"x": [0.0, 1.0]})
    (component,) = check.components
    assert component.autograd.tolist() == [[0.0, 0.0], [0.0, 1.0]]
    assert component.symbolic.tolist() == [[0.5, 0.0], [0.0, 1.0]]
    assert component.status == "convention" and check.agree


def test_third_differences_by_a_vector_give_no_estimate_and_sympy_judges_alone():
    # sum(x)**4: every third partial is 24 * (x0 + x1) = 72.
    node = parse("sum(x)**4")
    assert finite_difference(node, X, ("x", "x", "x")) is None
    check = check_derivative(node, X, ("x", "x", "x"))
    (component,) = check.components
    assert component.symbolic.tolist() == np.full((2, 2, 2), 72.0).tolist()
    assert component.status == "match" and component.agrees["finite_difference"] is None


def test_a_derivative_of_the_wrong_shape_is_a_mismatch_rather_than_a_crash():
    check = check_jacobian([parse("x*sum(x)")], X, jacobian=[[[4.0, 1.0, 2.0]]])
    assert check.components[0].status == "mismatch" and not check.to_json()["agree"]
