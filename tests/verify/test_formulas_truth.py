"""symbolic_derivatives and check_taylor against series worked by hand."""

import pytest

from diffcli.expr import parse
from diffcli.verify import check_taylor, symbolic_derivatives


def test_latex_only_when_asked():
    plain = symbolic_derivatives(parse("x**2"), ["x"]).to_json()
    assert plain == {"derivative": {"x": "2*x"}, "skipped": None}
    assert symbolic_derivatives(parse("x**2"), ["x"], latex=True).to_json()["latex"] == {"x": "2 x"}


def test_taylor_coefficients_of_exp_at_zero_are_one_over_k_factorial():
    right = check_taylor(parse("exp(x)"), {"x": 0.0}, "x", [1.0, 1.0, 0.5, 1 / 6])
    assert right["agree"] and right["max_abs_error"] == 0.0 and right["max_rel_error"] == 0.0
    assert right["symbolic"] == pytest.approx([1.0, 1.0, 0.5, 1 / 6], rel=1e-15)
    wrong = check_taylor(parse("exp(x)"), {"x": 0.0}, "x", [1.0, 1.0, 0.5, 0.2])
    # The gap 0.2 - 1/6 = 1/30, relative to the larger, 0.2: 1/6.
    assert wrong["agree"] is False
    assert wrong["max_abs_error"] == pytest.approx(1 / 30, rel=1e-12)
    assert wrong["max_rel_error"] == pytest.approx(1 / 6, rel=1e-12)
    # A gap of exactly 1 (2 for 1): relative to the larger, 1/2.
    off = check_taylor(parse("exp(x)"), {"x": 0.0}, "x", [2.0, 1.0])
    assert off["max_abs_error"] == 1.0 and off["max_rel_error"] == 0.5


def test_taylor_without_sympy_says_why_and_judges_nothing():
    skipped = check_taylor(parse("exp(x)"), {"x": 0.0}, "x", [1.0, 1.0], timeout=0.0)
    why = skipped.pop("skipped")
    assert skipped == {"agree": None, "symbolic": None, "max_abs_error": None,
                       "max_rel_error": None}
    assert why.startswith("skipped: timed out (1 exact derivatives take sympy more than 0 s")
