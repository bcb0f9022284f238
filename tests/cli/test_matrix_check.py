"""`check` with matrix claims: the Cookbook's identities through the shell, right claims of
the usual models passing, and each usual mistake caught and named. The truth is the
Cookbook's right-hand side in numpy or a gradient worked by hand."""

import json

import numpy as np
import pytest
from matrix_cookbook import IDENTITIES

from .helpers import run_process

BY_ID = {i.id: i for i in IDENTITIES}


def values_args(values: dict) -> list[str]:
    """--at NAME=[[...]] for each value, every digit of each number kept."""
    return [f"--at={name}={json.dumps(np.asarray(v).tolist())}" for name, v in values.items()]


def shell_check(expression: str, claims: dict[str, str], values: dict, *flags: str):
    grads = [f"--grad={name}={claim}" for name, claim in claims.items()]
    return run_process("check", expression, *grads, *values_args(values), "--json", *flags)


# The Cookbook's cases are judged against its closed forms: sympy over every entry of a
# det of a product would only spend the time.
NO_SYMPY = "--check-timeout=0"


@pytest.mark.parametrize("identity", IDENTITIES, ids=[i.id for i in IDENTITIES])
def test_cookbook_identity_passes_as_a_check_claim_from_the_shell(identity):
    values = identity.values()
    variable, *constants = values
    run = shell_check(identity.expression, {variable: identity.claim}, values, NO_SYMPY)
    assert run.code == 0, run.stderr
    (component,) = run.json()["components"]
    assert component["verdict"] == "agrees" and component["mistake"] is None
    # The claim as written in the language is the Cookbook's right-hand side.
    truth = identity.closed_form(*values.values())
    np.testing.assert_allclose(component["claimed_value"], truth, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(component["autograd"], truth, rtol=1e-9, atol=1e-11)
    assert component["points"] == 4


@pytest.mark.parametrize("case, claim, kind, details", [
    ("eq100_tr_XA_nonsquare", "A", "transpose", {"claimed_shape": [4, 3], "shape": [3, 4]}),
    ("eq106_tr_X_squared", "2*X", "transpose", {}),
    ("eq115_tr_XtX_nonsquare", "X", "factor", {"factor": 0.5}),
    ("eq57_logdet_X", "-inv(X).T", "factor", {"factor": -1.0}),
    ("eq81_xT_B_x", "2*B@x", "symmetric", {"symmetric": ["B"]}),
    ("eq70_aT_X_b_nonsquare", "a", "shape", {"claimed_shape": [3], "shape": [3, 4]}),
])
def test_mutated_cookbook_claim_is_caught_and_its_mistake_named(case, claim, kind, details):
    identity = BY_ID[case]
    values = identity.values()
    variable = next(iter(values))
    run = shell_check(identity.expression, {variable: claim}, values, NO_SYMPY)
    assert run.code == 1, run.stderr
    (component,) = run.json()["components"]
    assert component["verdict"] == "wrong"
    np.testing.assert_allclose(component["autograd"], identity.closed_form(*values.values()),
                               rtol=1e-9, atol=1e-11)
    mistake = component["mistake"]
    assert mistake["kind"] == kind
    for key, expected in details.items():
        assert mistake[key] == pytest.approx(expected)


G = np.random.default_rng(7)
X, Y, W = G.standard_normal((5, 3)), G.standard_normal(5), G.standard_normal(3)
LABELS = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
A, M, B = G.standard_normal((2, 3)), G.standard_normal((3, 4)), G.standard_normal((4, 2))
Q = G.standard_normal((3, 3))
SQUARE = G.standard_normal((3, 3)) + 3 * np.eye(3)
WEIGHTS, FEATURES, ONE_HOT = G.standard_normal((4, 3)), G.standard_normal(3), np.eye(4)[2]


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


RIGHT = [
    ("least squares", "sum((X@w - y)**2)", "w", "2*X.T@(X@w - y)",
     {"X": X, "y": Y, "w": W}, 2 * X.T @ (X @ W - Y)),
    ("logistic regression", "sum(softplus(X@w) - y*(X@w))", "w", "X.T@(sigmoid(X@w) - y)",
     {"X": X, "y": LABELS, "w": W}, X.T @ (sigmoid(X @ W) - LABELS)),
    ("softmax cross-entropy", "logsumexp(W@x) - y@(W@x)", "W", "outer(softmax(W@x) - y, x)",
     {"W": WEIGHTS, "x": FEATURES, "y": ONE_HOT},
     np.outer(softmax(WEIGHTS @ FEATURES) - ONE_HOT, FEATURES)),
    ("quadratic form, A not symmetric", "x@A@x", "x", "(A + A.T)@x",
     {"A": Q, "x": W}, (Q + Q.T) @ W),
    ("logdet", "logdet(X)", "X", "inv(X).T", {"X": SQUARE}, np.linalg.inv(SQUARE).T),
    ("trace(A@X@B)", "trace(A@X@B)", "X", "A.T@B.T", {"A": A, "X": M, "B": B}, A.T @ B.T),
]


@pytest.mark.parametrize("name, expression, wrt, claim, values, truth", RIGHT,
                         ids=[r[0] for r in RIGHT])
def test_right_matrix_claim_agrees_at_every_point(name, expression, wrt, claim, values, truth):
    run = shell_check(expression, {wrt: claim}, values)
    assert run.code == 0, run.stderr
    doc = run.json()
    (component,) = doc["components"]
    assert doc["ok"] and component["verdict"] == "agrees"
    np.testing.assert_allclose(component["autograd"], truth, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(component["symbolic"], truth, rtol=1e-9, atol=1e-12)


LEAST_SQUARES = {"X": X, "y": Y, "w": W}
HAND_GRADIENT = 2 * X.T @ (X @ W - Y)


def test_claim_of_the_wrong_shape_is_a_wrong_claim_naming_both_shapes():
    run = run_process("check", "sum((X@w - y)**2)", "--grad", "w=2*(X@w - y)",
                      *values_args(LEAST_SQUARES))
    assert run.code == 1, run.stderr
    assert ("∂/∂w is wrong: the claim has shape (5,), but ∂/∂w has w's shape (3,)"
            in run.stdout.replace("\n", " "))


def test_transposed_claim_is_named_and_its_shape_given():
    run = shell_check("trace(A@X@B)", {"X": "B@A"}, {"A": A, "X": M, "B": B})
    assert run.code == 1
    (component,) = run.json()["components"]
    np.testing.assert_allclose(np.transpose(component["claimed_value"]), A.T @ B.T)
    assert component["mistake"]["kind"] == "transpose"
    assert component["mistake"]["words"] == ("it is the transpose of the gradient: shape (4,3),"
                                             " but ∂/∂X has X's shape (3,4)")


@pytest.mark.parametrize("claim, factor, words", [
    ("X.T@(X@w - y)", 0.5, "0.5x"), ("-2*X.T@(X@w - y)", -1.0, "-1x"),
    ("4*X.T@(X@w - y)", 2.0, "2x")])
def test_constant_factor_is_estimated_and_named(claim, factor, words):
    run = shell_check("sum((X@w - y)**2)", {"w": claim}, LEAST_SQUARES)
    (component,) = run.json()["components"]
    np.testing.assert_allclose(component["claimed_value"], factor * HAND_GRADIENT, rtol=1e-12)
    assert component["mistake"]["factor"] == pytest.approx(factor, rel=1e-12)
    assert component["mistake"]["words"] == f"it is {words} the gradient (a constant factor off)"


def test_claim_off_by_more_than_a_factor_is_wrong_with_no_mistake_named():
    run = shell_check("sum((X@w - y)**2)", {"w": "2*X.T@(X@w - y) + w"}, LEAST_SQUARES)
    (component,) = run.json()["components"]
    assert component["verdict"] == "wrong" and component["mistake"] is None


def test_claim_right_only_for_symmetric_matrices_passes_at_a_symmetric_value_and_is_named():
    symmetric = Q + Q.T
    run = shell_check("x@A@x", {"x": "2*A@x"}, {"A": symmetric, "x": W})
    assert run.code == 1
    (component,) = run.json()["components"]
    # At the user's symmetric A the claim is the derivative (A + A')x = 2Ax...
    np.testing.assert_allclose(component["claimed_value"], 2 * symmetric @ W, rtol=1e-12)
    np.testing.assert_allclose(component["autograd"], 2 * symmetric @ W, rtol=1e-12)
    # ...but not at a random A, which is never symmetric.
    example = component["counterexample"]
    other = np.array(example["at"]["A"])
    assert not np.allclose(other, other.T)
    np.testing.assert_allclose(example["autograd"], (other + other.T) @ example["at"]["x"])
    assert component["mistake"]["kind"] == "symmetric"
    assert "(as your value is)" in component["mistake"]["words"]


def test_missing_term_is_named_with_its_text():
    ridge = {**LEAST_SQUARES, "lam": 0.7}
    run = shell_check("sum((X@w - y)**2) + lam*w@w", {"w": "2*X.T@(X@w - y)"}, ridge)
    assert run.code == 1
    (component,) = run.json()["components"]
    np.testing.assert_allclose(component["autograd"], HAND_GRADIENT + 2 * 0.7 * W, rtol=1e-12)
    assert component["mistake"]["kind"] == "missing_term"
    assert component["mistake"]["term"] == "lam * w @ w"


def test_missing_subtracted_term_is_found_with_its_sign():
    run = shell_check("sum((X@w - y)**2) - sum(w**3)", {"w": "2*X.T@(X@w - y)"},
                      LEAST_SQUARES)
    (component,) = run.json()["components"]
    np.testing.assert_allclose(component["autograd"], HAND_GRADIENT - 3 * W**2, rtol=1e-12)
    assert component["mistake"]["term"] == "sum(w**3)"


def test_random_points_of_logdet_are_redrawn_where_the_determinant_is_negative():
    run = shell_check("logdet(X)", {"X": "inv(X).T"}, {"X": SQUARE})
    doc = run.json()
    (component,) = doc["components"]
    assert component["points"] == 4 and component["verdict"] == "agrees"
    wrong = shell_check("logdet(X)", {"X": "inv(X)"}, {"X": SQUARE}).json()["components"][0]
    tried = [np.array(p["X"]) for p in wrong["disagree_at"]]
    assert len(tried) == 4 and all(np.linalg.det(p) > 0 for p in tried)


def test_matrix_claim_that_agrees_says_no_proof_applies():
    run = run_process("check", "trace(A@X@B)", "--grad", "X=A.T@B.T",
                      *values_args({"A": A, "X": M, "B": B}))
    assert run.code == 0, run.stderr
    assert ("∂/∂X: agrees at 4 points; no proof tried: sympy proves claims about "
            "elementwise expressions only") in run.stdout


def test_claim_that_cannot_be_computed_is_bad_input_with_a_caret():
    run = run_process("check", "trace(A@X@B)", "--grad", "X=A@B",
                      *values_args({"A": A, "X": M, "B": B}))
    assert run.code == 2
    lines = run.stderr.splitlines()
    assert lines[0] == "error: --grad X: (2,3) @ (4,2): inner sizes 3 and 4 differ"
    assert lines[2].index("^") == lines[1].index("@")
