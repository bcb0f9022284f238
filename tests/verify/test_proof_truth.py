"""is_zero and prove_claim against identities worked by hand."""

import sympy

from diffcli.expr import parse
from diffcli.verify import check_claims
from diffcli.verify.proof import is_zero, prove_claim

X = sympy.Symbol("x", real=True)


def test_only_zero_is_zero():
    assert is_zero(sympy.Integer(0)) and is_zero(sympy.sin(X) ** 2 + sympy.cos(X) ** 2 - 1)
    assert not is_zero(sympy.Integer(1))
    # sin**2 + cos**2 is 1, not 0: every rewriting reaches 1.
    assert not is_zero(sympy.sin(X) ** 2 + sympy.cos(X) ** 2)


def test_decimal_literals_are_proven_as_the_rationals_they_spell():
    # d/dx 0.1 x**3 = 3/10 x**2 exactly, though 3 * 0.1 is 0.30000000000000004 in doubles.
    assert prove_claim(parse("0.1*x**3"), parse("0.3*x**2"), "x", 30.0)


def test_a_timeout_of_zero_never_tries_and_a_positive_one_does():
    assert not prove_claim(parse("x**2"), parse("2*x"), "x", 0)
    assert prove_claim(parse("x**2"), parse("2*x"), "x", 30.0)


def test_a_multiple_angle_identity_is_zero_by_trigonometric_expansion():
    # sin 5t = 16 sin^5 t - 20 sin^3 t + 5 sin t (de Moivre), at t = atan(x): simplify alone
    # does not reach 0 here.
    t = sympy.atan(X)
    assert is_zero(sympy.sin(5 * t) - (16 * sympy.sin(t) ** 5 - 20 * sympy.sin(t) ** 3
                                       + 5 * sympy.sin(t)))


def test_tanh_against_its_exponential_form_is_zero():
    # tanh x = (e^2x - 1)/(e^2x + 1), by multiplying sinh/cosh through by e^x.
    assert is_zero(sympy.tanh(X) - (sympy.exp(2 * X) - 1) / (sympy.exp(2 * X) + 1))


def test_decimal_arithmetic_in_the_claim_is_exact():
    # 0.1 + 0.2 is 3/10 as typed, though 0.30000000000000004 in doubles.
    assert prove_claim(parse("0.3*x"), parse("0.1 + 0.2"), "x", 30.0)


def test_the_default_budget_is_the_documented_second_and_proves_a_one_line_claim():
    # README: "1 s per component by default". The claim is the derivative as sympy writes
    # it, so the proof is a subtraction, well inside the second.
    data = check_claims(parse("x**2"), {"x": parse("2*x")}, {"x": 1.5}).to_json()
    assert data["proof_timeout"] == 1.0
    assert data["components"][0]["verdict"] == "proven"
