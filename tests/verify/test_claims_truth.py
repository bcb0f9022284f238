"""check_claims against its documented JSON (docs/json.md) and numbers worked by hand."""

import re
from pathlib import Path

import pytest

from diffcli.expr import parse
from diffcli.verify import check_claims, random_points

DOCS = Path(__file__).resolve().parents[2] / "docs" / "json.md"


def _documented_claim_keys() -> tuple[set[str], set[str]]:
    """The check command's claim table in docs/json.md: (top-level keys, component keys)."""
    lines = DOCS.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| `ok` | boolean: every claim"))
    top, component = set(), set()
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        first = line.split("|")[1]
        keys = set(re.findall(r"`(\w+)`", first))
        (component if first.strip().startswith("&nbsp;") else top).update(keys)
    return top, component


def test_claim_json_has_exactly_the_documented_keys_and_values():
    top, component = _documented_claim_keys()
    assert "proof_timeout" in top and "counterexample" in component  # the table was found
    claims = {"x": parse("2*x*y"), "y": parse("3*x")}
    data = check_claims(parse("x**2*y"), claims, {"x": 3.0, "y": 2.0}, proof_timeout=0.5).to_json()
    assert set(data) == top
    assert all(set(c) == component for c in data["components"])
    right, wrong = data["components"]
    assert (right["wrt"], right["claimed"]) == ("x", "2 * x * y")
    assert (wrong["wrt"], wrong["claimed"]) == ("y", "3 * x")
    assert data["skipped"] is None and data["proof_timeout"] == 0.5
    # d/dy x**2*y = x**2 = 9 at x = 3: the claim 3x is right there, and wrong elsewhere.
    assert wrong["claimed_value"] == wrong["autograd"] == 9.0 and wrong["verdict"] == "wrong"


def test_a_claim_sympy_had_no_time_for_says_why_and_is_judged_by_autograd():
    data = check_claims(parse("x**3"), {"x": parse("3*x**2")}, {"x": 2.0}, timeout=0.0,
                        proof_timeout=0).to_json()
    assert data["skipped"] == "skipped: timed out"
    (component,) = data["components"]
    assert component["symbolic"] is None and component["formula"] is None
    assert component["autograd"] == pytest.approx(12.0) and component["verdict"] == "agrees"


@pytest.mark.parametrize("seed", [0, 3])
def test_random_points_alternate_the_box_and_the_given_points_scale(seed):
    # Every point is in the domain of x, so the draws are kept in order: alternately
    # uniform in [-3, 3] and normal around the point with its magnitude as the spread.
    points = [p["x"] for p in random_points(parse("x"), {"x": 1000.0}, ["x"], 20, seed=seed)]
    box, near = points[0::2], points[1::2]
    assert all(-3 <= x <= 3 for x in box) and all(abs(x) > 3 for x in near), points
    # Ten uniform draws all in [-1, 3] (or all in [-3, 1]) would be a 2% chance.
    assert min(box) < -1 and max(box) > 1, box
    # A spread of 1000: ten draws all within 10 of the point would be a 1-in-10^20 chance.
    assert max(abs(x - 1000) for x in near) > 10, near


def test_a_claim_naming_a_variable_without_a_value_is_refused_by_name():
    with pytest.raises(ValueError) as info:
        check_claims(parse("x**2"), {"x": parse("2*x + z")}, {"x": 1.0})
    assert str(info.value) == "the claimed derivative for 'x' uses 'z', which has no value"
