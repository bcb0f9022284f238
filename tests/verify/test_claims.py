"""check_claims and random_points: hand-derived derivatives judged at the point and elsewhere."""

import math

import pytest

from diffcli.expr import parse
from diffcli.verify import check_claims, random_points

EXPR = parse("x**2*y + sin(x*y)")
POINT = {"x": 1.3, "y": -0.7}


def _claims(**formulas):
    return {name: parse(text) for name, text in formulas.items()}


def test_correct_claims_pass_with_sympys_formula():
    result = check_claims(EXPR, _claims(x="2*x*y + y*cos(x*y)", y="x^2 + x*cos(x*y)"), POINT)
    data = result.to_json()
    assert data["ok"] and data["unchecked"] == []
    x = data["components"][0]
    by_hand = 2 * 1.3 * -0.7 + -0.7 * math.cos(1.3 * -0.7)
    assert x["claimed_value"] == pytest.approx(by_hand, rel=1e-14)
    assert x["symbolic"] == pytest.approx(by_hand, rel=1e-14)
    assert "cos(x*y)" in x["formula"]


@pytest.mark.parametrize(
    ("claim", "flaw"),
    [
        ("2*x*y", "dropped term"),
        ("2*x*y + 2*y*cos(x*y)", "wrong coefficient"),
        ("2*x*y - y*cos(x*y)", "wrong sign"),
        ("2*x*y + cos(x*y)", "forgotten chain-rule factor y"),
        ("2.00000001*x*y + y*cos(x*y)", "coefficient wrong in the 9th digit"),
    ],
)
def test_wrong_claims_are_caught_at_the_point(claim, flaw):
    data = check_claims(EXPR, _claims(x=claim), POINT).to_json()
    assert not data["ok"], flaw
    component = data["components"][0]
    assert not component["ok"]
    assert component["disagree_at"][0] == POINT
    assert data["unchecked"] == ["y"]


def test_a_claim_right_only_at_the_given_point_is_caught_elsewhere():
    # d/dx x**3 = 3x**2, which equals the claim 3*x exactly at x = 1.
    data = check_claims(parse("x**3"), _claims(x="3*x"), {"x": 1.0}).to_json()
    component = data["components"][0]
    assert component["claimed_value"] == component["autograd"] == 3.0
    assert not data["ok"]
    assert {"x": 1.0} not in component["disagree_at"]
    assert len(component["disagree_at"]) == 3


def test_random_points_are_reproducible_and_in_the_domain():
    node = parse("log(x) + sqrt(y)")
    first = random_points(node, {"x": 1.0, "y": 1.0}, ["x", "y"], 3, seed=7)
    again = random_points(node, {"x": 1.0, "y": 1.0}, ["x", "y"], 3, seed=7)
    assert first == again and len(first) == 3
    assert all(p["x"] > 0 and p["y"] > 0 for p in first)
