"""Naming the usual mistakes also works for scalars, and the expression's terms are read
with their signs."""

import numpy as np
import pytest

from diffcli.expr import parse
from diffcli.expr.tree import to_text
from diffcli.verify import check_claims
from diffcli.verify.mistakes import additive_terms


def test_additive_terms_carry_the_signs_of_nested_subtractions():
    terms = additive_terms(parse("a - (b + c) - -d + e*f"))
    assert [(sign, to_text(t)) for sign, t in terms] == [
        (1.0, "a"), (-1.0, "b"), (-1.0, "c"), (1.0, "d"), (1.0, "e * f")]


@pytest.mark.parametrize("expression, claim, kind, detail", [
    ("x**2*y", "x*y", "factor", ("factor", 0.5)),
    ("x**3 + sin(x)*y", "3*x**2", "missing_term", ("term", "sin(x) * y")),
    ("x**3 - exp(x)", "3*x**2", "missing_term", ("term", "exp(x)")),
])
def test_scalar_claims_get_their_mistake_named(expression, claim, kind, detail):
    result = check_claims(parse(expression), {"x": parse(claim)}, {"x": 1.3, "y": -0.4},
                          proof_timeout=0)
    (component,) = result.components
    assert component.verdict == "wrong"
    mistake = component.to_json()["mistake"]
    assert mistake["kind"] == kind
    assert mistake[detail[0]] == pytest.approx(detail[1])


def test_right_claim_has_no_mistake_and_a_claim_off_in_another_way_none_named():
    right = check_claims(parse("x**2*y"), {"x": parse("2*x*y")}, {"x": 1.3, "y": -0.4},
                         proof_timeout=0)
    assert right.components[0].mistake is None and right.ok
    other = check_claims(parse("x**2*y"), {"x": parse("2*x*y + 1")}, {"x": 1.3, "y": -0.4},
                         proof_timeout=0)
    assert other.components[0].verdict == "wrong" and other.components[0].mistake is None


# Matrix claims, judged in-process; the truth is the Matrix Cookbook's gradient, in numpy.
G = np.random.default_rng(11)
X, Y, W = G.standard_normal((5, 3)), G.standard_normal(5), G.standard_normal(3)
A, M, B = G.standard_normal((2, 3)), G.standard_normal((3, 4)), G.standard_normal((4, 2))
Q = G.standard_normal((3, 3))
LEAST_SQUARES = {"X": X, "y": Y, "w": W}


def _component(expression: str, wrt: str, claim: str, point: dict):
    result = check_claims(parse(expression), {wrt: parse(claim)}, point, proof_timeout=0)
    (component,) = result.components
    assert component.verdict == "wrong"
    return component


def test_claim_of_another_shape_names_both_shapes():
    # d/dw |Xw - y|^2 = 2X'(Xw - y) has w's shape (3,); 2(Xw - y) has y's, (5,).
    component = _component("sum((X@w - y)**2)", "w", "2*(X@w - y)", LEAST_SQUARES)
    np.testing.assert_allclose(component.values[0][1], 2 * X.T @ (X @ W - Y), rtol=1e-12)
    assert component.to_json()["mistake"] == {
        "kind": "shape", "claimed_shape": [5], "shape": [3],
        "words": "the claim has shape (5,), but ∂/∂w has w's shape (3,)"}


def test_transpose_of_a_non_square_gradient_is_named_with_both_shapes():
    # d/dX tr(AXB) = A'B' (3x4); the claim BA is its transpose (4x3).
    component = _component("trace(A@X@B)", "X", "B@A", {"A": A, "X": M, "B": B})
    np.testing.assert_allclose(component.values[0][1], A.T @ B.T, rtol=1e-12)
    assert component.to_json()["mistake"] == {
        "kind": "transpose", "claimed_shape": [4, 3], "shape": [3, 4],
        "words": "it is the transpose of the gradient: shape (4,3), but ∂/∂X has X's shape (3,4)"}


def test_transpose_of_a_square_gradient_is_named_not_taken_for_a_symmetric_mistake():
    # d/dX tr(XX) = 2X' (Cookbook eq. 106); 2X is its transpose, and right at symmetric X.
    component = _component("trace(X@X)", "X", "2*X", {"X": Q})
    np.testing.assert_allclose(component.values[0][1], 2 * Q.T, rtol=1e-12)
    assert component.to_json()["mistake"] == {
        "kind": "transpose", "claimed_shape": [3, 3], "shape": [3, 3],
        "words": "it is the transpose of the gradient"}


@pytest.mark.parametrize("claim, factor, words", [
    ("X.T@(X@w - y)", 0.5, "0.5x"), ("-2*X.T@(X@w - y)", -1.0, "-1x"),
    ("6*X.T@(X@w - y)", 3.0, "3x")])
def test_matrix_claim_a_constant_factor_off_is_named_with_the_factor(claim, factor, words):
    component = _component("sum((X@w - y)**2)", "w", claim, LEAST_SQUARES)
    mistake = component.to_json()["mistake"]
    assert mistake["kind"] == "factor" and mistake["factor"] == pytest.approx(factor, rel=1e-12)
    assert mistake["words"] == f"it is {words} the gradient (a constant factor off)"


@pytest.mark.parametrize("symmetric_value, aside", [(True, " (as your value is)"), (False, "")])
def test_claim_right_only_for_symmetric_matrices_is_named(symmetric_value, aside):
    # d/dx x'Ax = (A + A')x, which is 2Ax only where A is symmetric.
    value = Q + Q.T if symmetric_value else Q
    component = _component("x@A@x", "x", "2*A@x", {"A": value, "x": W})
    assert component.to_json()["mistake"] == {
        "kind": "symmetric", "symmetric": ["A"],
        "words": f"it is right only for symmetric A: it agrees wherever A is symmetric{aside},"
                 " but not at a non-symmetric A"}


@pytest.mark.parametrize("expression, term, truth", [
    ("sum((X@w - y)**2) + lam*w@w", "lam * w @ w", 2 * X.T @ (X @ W - Y) + 1.4 * W),
    ("sum((X@w - y)**2) - sum(w**3)", "sum(w**3)", 2 * X.T @ (X @ W - Y) - 3 * W**2),
])
def test_matrix_claim_missing_a_term_names_the_term(expression, term, truth):
    component = _component(expression, "w", "2*X.T@(X@w - y)", {**LEAST_SQUARES, "lam": 0.7})
    np.testing.assert_allclose(component.values[0][1], truth, rtol=1e-12)
    assert component.to_json()["mistake"] == {
        "kind": "missing_term", "term": term,
        "words": f"a term is missing: the claim is the gradient without the term {term}"}


def test_claim_off_in_no_usual_way_names_no_mistake():
    component = _component("sum((X@w - y)**2)", "w", "2*X.T@(X@w - y) + w", LEAST_SQUARES)
    assert component.mistake is None and component.to_json()["mistake"] is None


def test_wrong_claim_where_the_gradient_is_zero_names_no_factor():
    # d/dx (y + 0x) = 0 everywhere: no factor can turn 0 into the claim 1.
    component = _component("y + 0*x", "x", "1", {"x": 0.5, "y": 2.0})
    assert component.mistake is None


def test_claim_of_a_shape_neither_the_gradients_nor_its_transpose_is_a_shape_mistake():
    # d/dX tr(AXB) is 3x4; A'B'BA is 3x3, which is neither that nor its transpose.
    component = _component("trace(A@X@B)", "X", "A.T@B.T@B@A", {"A": A, "X": M, "B": B})
    assert component.to_json()["mistake"] == {
        "kind": "shape", "claimed_shape": [3, 3], "shape": [3, 4],
        "words": "the claim has shape (3,3), but ∂/∂X has X's shape (3,4)"}


def test_factor_is_named_from_the_given_point_alone():
    # d/dx x**2*y = 2xy; 4xy is twice that, and one point is evidence enough.
    component = check_claims(parse("x**2*y"), {"x": parse("4*x*y")}, {"x": 1.3, "y": -0.4},
                             n_random=0, proof_timeout=0).components[0]
    assert len(component.values) == 1
    assert component.to_json()["mistake"]["factor"] == pytest.approx(2.0, rel=1e-12)


def test_factor_is_read_where_autograd_has_a_value_and_a_claim_off_only_there_has_none():
    # d/dx sqrt(x**2) = sign(x) away from 0; autograd's 0/0 at x = 0 is nan.
    def mistake(claim):
        return _component("sqrt(x**2)", "x", claim, {"x": 0.0}).mistake

    assert mistake("2*sign(x)").details == {"factor": 2.0}


def test_factor_is_named_though_the_claim_has_no_value_at_the_last_point():
    # The claim is half of d/dx x**2*y = 2xy where log(x) is defined; seed 2's one random
    # point has x < 0, where it is nan.
    component = check_claims(parse("x**2*y"), {"x": parse("x*y + 0*log(x)")},
                             {"x": 1.3, "y": -0.4}, n_random=1, seed=2,
                             proof_timeout=0).components[0]
    assert np.isfinite(component.values[1][1])  # autograd has a value there
    assert not np.isfinite(component.values[1][0])
    assert component.to_json()["mistake"]["factor"] == pytest.approx(0.5, rel=1e-12)


def test_a_claim_with_no_value_anywhere_is_not_called_a_missing_term():
    component = _component("x**2 + x", "x", "sqrt(-1 - x**2)", {"x": 0.5})
    assert component.mistake is None


@pytest.mark.parametrize("expression, claim, point, term", [
    # A term without x comes first: the search goes on past it.
    ("y**2 + x**3 + sin(x)*y", "3*x**2", {"x": 1.3, "y": -0.4}, "sin(x) * y"),
    # floor's derivative is 0 wherever it has one: that term cannot be the missing one.
    ("floor(x) + x**3 + sin(x)", "3*x**2", {"x": 1.3}, "sin(x)"),
    # A term whose derivative is 1 everywhere can be the missing one.
    ("x**3 + x", "3*x**2", {"x": 1.3}, "x"),
    # Over a batch, each element's derivative: 2x + cos(x) without cos(x).
    ("x**2 + sin(x)", "2*x", {"x": [0.5, 1.0, 2.0]}, "sin(x)"),
])
def test_the_missing_term_is_found_among_the_others(expression, claim, point, term):
    component = _component(expression, "x", claim, point)
    assert component.to_json()["mistake"]["term"] == term
