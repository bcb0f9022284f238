"""Judging: tolerances given as keywords, and statuses written as plain strings."""

import pytest

from diffcli.expr import parse
from diffcli.verify import Status, check_gradient


def test_tolerance_keywords_loosen_the_comparison_with_sympy():
    # d/dx x**3 = 12 at x = 2; 12.00000001 is off by 1e-8, within rtol 1e-8 * 12.
    loose = check_gradient(parse("x**3"), {"x": 2.0}, grads={"x": 12.00000001}, rtol=1e-8)
    assert loose.components[0].status is Status.MATCH and loose.agree
    strict = check_gradient(parse("x**3"), {"x": 2.0}, grads={"x": 12.00000001},
                            rtol=1e-10, atol=1e-12)
    assert strict.components[0].status is Status.MISMATCH


def test_an_unknown_tolerance_keyword_is_refused():
    with pytest.raises(TypeError, match="rtool"):
        check_gradient(parse("x**2"), {"x": 1.0}, rtool=1e-3)


def test_statuses_in_json_are_plain_strings():
    # relu'(0): sympy's Heaviside(0) = 1/2, the engine's 0 (a convention, as in PyTorch).
    data = check_gradient(parse("relu(x) + y"), {"x": 0.0, "y": 1.0}).to_json()
    statuses = [c["status"] for c in data["components"]]
    assert statuses == ["convention", "match"]
    assert all(type(s) is str for s in statuses)
