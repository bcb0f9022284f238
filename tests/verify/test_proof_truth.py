"""is_zero and prove_claim against identities worked by hand."""

import sympy

from diffcli.expr import parse
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
