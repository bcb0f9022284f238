"""The sympy witness against derivatives worked by hand where sympy's own answer needs
care: the DiracDelta terms of kinks, away from the kink."""

import pytest

from diffcli.expr import parse
from diffcli.verify import check_derivative, check_gradient


@pytest.mark.parametrize(("text", "x", "want"), [
    ("abs(x)", 1.0, 0.0),  # d2/dx2 |x| = 2 DiracDelta(x): 0 away from 0
    ("abs(x)", -2.0, 0.0),
    ("x*relu(x)", 1.5, 2.0),  # x**2 right of 0: 2; sympy adds x*DiracDelta(x)
    ("x*relu(x)", -1.5, 0.0),
])
def test_second_derivatives_at_a_distance_from_a_kink_drop_the_dirac_terms(text, x, want):
    check = check_derivative(parse(text), {"x": x}, ("x", "x"))
    assert check.skipped is None
    (component,) = check.components
    assert component.symbolic == want and component.status == "match"
    assert "DiracDelta" not in check.formula["x,x"]


def test_the_gradient_of_a_sum_of_kinks_drops_the_dirac_terms():
    # d/dx of sign(x) * x = |x| is sign(x) + x * 2 DiracDelta(x): sign(x) = -1 at -0.5.
    check = check_gradient(parse("sign(x)*x"), {"x": -0.5})
    assert check.skipped is None and check.components[0].symbolic == -1.0
