"""Proofs: a claim that agrees is proven when sympy reduces (claim - derivative) to 0, and
a claim that is wrong anywhere is never proven."""

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from diffcli.expr import parse
from diffcli.expr.symbolic import symbol, to_sympy
from diffcli.verify import check_claims
from diffcli.verify.proof import is_zero

# Generous, so that a loaded machine cannot turn an expected proof into "agrees".
BUDGET = 30.0


def _verdict(expression: str, wrt: str, claim: str, point: dict, **kwargs) -> dict:
    kwargs.setdefault("proof_timeout", BUDGET)
    data = check_claims(parse(expression), {wrt: parse(claim)}, point, **kwargs).to_json()
    return data["components"][0]


@pytest.mark.parametrize(
    ("expression", "wrt", "claim", "point", "identity"),
    [
        ("sin(x)**2", "x", "sin(2*x)", {"x": 0.4}, "double angle"),
        ("sin(x)*sin(x)", "x", "2*sin(x)*cos(x)", {"x": 0.4}, "the derivative as written"),
        ("cos(x)**2 - sin(x)**2", "x", "-2*sin(2*x)", {"x": 1.1}, "cos 2x rewritten"),
        ("x**n", "x", "n*x**n/x", {"x": 1.7, "n": 2.5}, "power rule with x**n kept"),
        ("x**n", "n", "log(x)*x**n", {"x": 1.7, "n": 2.5}, "exponent derivative"),
        ("x**(n+1)/(n+1)", "x", "x**n", {"x": 1.7, "n": 0.5}, "symbolic antiderivative"),
        ("x**2/2 + x", "x", "(x**2 - 1)/(x - 1)", {"x": 3.0}, "equal except at x = 1"),
        ("sinh(x)", "x", "(exp(x) + exp(-x))/2", {"x": 0.3}, "cosh as exponentials"),
        ("3*0.3*pi*x", "x", "0.9*pi", {"x": 2.0}, "decimals that round differently"),
        ("0.1*x**2", "x", "x/5", {"x": 2.0}, "a decimal against a fraction"),
        ("abs(x)", "x", "sign(x)", {"x": -2.0}, "away from the kink"),
    ],
)
def test_a_claim_equal_up_to_an_identity_is_proven(expression, wrt, claim, point, identity):
    component = _verdict(expression, wrt, claim, point)
    assert component["verdict"] == "proven", identity
    assert component["ok"] is True


def test_a_claim_true_only_on_the_domain_agrees_and_is_never_wrong():
    # d/dy acosh(y) = 1/(sqrt(y-1)*sqrt(y+1)), which is 1/sqrt(y**2-1) only for y > 1.
    component = _verdict("acosh(y)", "y", "1/sqrt(y**2 - 1)", {"y": 2.0})
    assert component["verdict"] in ("proven", "agrees")
    assert component["ok"] is True and component["counterexample"] is None


@pytest.mark.parametrize(
    ("expression", "claim", "point", "flaw"),
    [
        ("x**2*sin(x)", "4*x*sin(x) + 2*x**2*cos(x)", {"x": 0.8}, "off by a factor 2"),
        ("x**2*sin(x)", "2*x*sin(x) - x**2*cos(x)", {"x": 0.8}, "sign of a term"),
        ("x**2*sin(x)", "2*x*sin(x)", {"x": 0.8}, "forgotten product-rule term"),
        ("sin(3*x)", "cos(3*x)", {"x": 0.8}, "dropped chain-rule factor"),
        ("cos(x)", "sin(x)", {"x": 0.8}, "sign of the derivative of cos"),
        ("x**n", "x**(n - 1)", {"x": 1.7, "n": 2.5}, "power rule without n"),
        ("x**3", "3*x", {"x": 1.0}, "right at the given point only"),
        ("3*0.3*pi*x", "0.9*pi + 1e-6", {"x": 2.0}, "wrong in the 6th decimal"),
    ],
)
def test_a_wrong_claim_is_never_proven(expression, claim, point, flaw):
    component = _verdict(expression, "x", claim, point)
    assert component["verdict"] == "wrong", flaw
    assert component["counterexample"] is not None


def test_a_claim_undefined_at_the_given_point_is_not_proven_there():
    # (x**2 - 1)/(x - 1) has no value at x = 1, where the derivative is 2.
    component = _verdict("x**2/2 + x", "x", "(x**2 - 1)/(x - 1)", {"x": 1.0})
    assert component["verdict"] == "wrong"


def test_a_claim_within_tolerance_but_not_equal_agrees_without_proof():
    # 1e-13 is inside the numeric tolerance, so the numbers cannot tell: agrees, unproven.
    component = _verdict("x**2", "x", "2*x + 1e-13", {"x": 2.0})
    assert component["verdict"] == "agrees"


def test_no_proof_is_tried_with_a_zero_budget():
    component = _verdict("sin(x)**2", "x", "sin(2*x)", {"x": 0.4}, proof_timeout=0)
    assert component["verdict"] == "agrees" and component["points"] == 4


def test_a_proof_past_its_budget_leaves_the_claim_agreeing():
    component = _verdict("sin(x)**2", "x", "sin(2*x)", {"x": 0.4}, proof_timeout=1e-9)
    assert component["verdict"] == "agrees"


def test_a_claim_over_a_reduction_of_vectors_is_judged_by_numbers_only():
    data = check_claims(parse("sum(x**2)"), {"x": parse("2*x")}, {"x": [1.0, 2.0, 3.0]})
    assert data.to_json()["components"][0]["verdict"] == "agrees"


def test_exact_literals_are_the_decimals_typed():
    assert to_sympy(parse("3*0.3*pi"), exact=True) == sympy.Rational(9, 10) * sympy.pi
    assert to_sympy(parse("1e-3 + 2.5"), exact=True) == sympy.Rational(2501, 1000)
    # Without exact, the double nearest 0.3 is kept as a float.
    assert to_sympy(parse("0.3"), exact=False).is_Float


def test_is_zero_uses_real_variables_and_never_guesses():
    x = symbol("x")
    assert is_zero(sympy.sin(x) ** 2 + sympy.cos(x) ** 2 - 1)
    assert is_zero(sympy.sqrt(x**2) - sympy.Abs(x))
    # sqrt(x**2) is |x|, not x, for real x < 0.
    assert not is_zero(sympy.sqrt(x**2) - x)
    assert not is_zero(sympy.exp(x) - 1 - x)


@settings(max_examples=12, deadline=None)  # each example forks sympy twice
@given(st.lists(st.integers(-9, 9), min_size=2, max_size=5),
       st.floats(-2.0, 2.0).map(lambda v: round(v, 2)))
def test_a_polynomials_derivative_in_factored_form_is_proven_and_one_off_is_wrong(coeffs, at):
    # d/dx sum(c_k x**k) = sum(k c_k x**(k-1)), worked by the power rule, written factored.
    x = symbol("x")
    expression = " + ".join(f"({c})*x**{k}" for k, c in enumerate(coeffs))
    derivative = sympy.factor(sum(k * c * x ** (k - 1) for k, c in enumerate(coeffs)))
    right = _verdict(expression, "x", str(derivative), {"x": at})
    assert right["verdict"] == "proven"
    off = _verdict(expression, "x", f"{derivative} + 1", {"x": at})
    assert off["verdict"] == "wrong"
