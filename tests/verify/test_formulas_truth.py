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


def test_derivatives_past_the_budget_without_latex_have_no_latex_key():
    found = symbolic_derivatives(parse("x**2"), ["x"], timeout=0.0).to_json()
    assert found == {"derivative": {"x": None}, "skipped": "skipped: timed out"}


@pytest.mark.parametrize("rtol, atol, agree", [
    (0.1, 0.0, True), (0.05, 0.0, False), (0.0, 0.11, True), (0.0, 0.09, False)])
def test_taylor_judges_with_the_tolerances_given(rtol, atol, agree):
    # exp's coefficient c1 is 1; 1.1 is 0.1 off, 0.1/1.1 = 0.0909 of the larger.
    result = check_taylor(parse("exp(x)"), {"x": 0.0}, "x", [1.0, 1.1], rtol=rtol, atol=atol)
    assert result["agree"] is agree
    assert result["max_rel_error"] == pytest.approx(1 / 11, rel=1e-12)


def test_taylor_where_the_function_is_not_real_has_no_coefficients_to_agree_with():
    # sqrt(x) around x = -1 is i*sqrt(1 - t)...: no real coefficient.
    result = check_taylor(parse("sqrt(x)"), {"x": -1.0}, "x", [0.0, 0.0])
    assert result["agree"] is False and result["symbolic"] == [None, None]
