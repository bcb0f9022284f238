"""Naming the usual mistakes also works for scalars, and the expression's terms are read
with their signs."""

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
