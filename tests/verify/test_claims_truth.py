"""check_claims against its documented JSON (docs/json.md) and numbers worked by hand."""

import re
from pathlib import Path

import numpy as np
import pytest

from diffcli.expr import parse
from diffcli.verify import check_claims, check_claims_batch, random_points

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


def test_a_claim_naming_several_variables_without_values_names_them_all():
    with pytest.raises(ValueError) as info:
        check_claims(parse("x**2"), {"x": parse("z*w")}, {"x": 1.0})
    assert str(info.value) == "the claimed derivative for 'x' uses 'z', 'w', which have no value"


def test_a_claim_for_a_variable_without_a_value_names_that_variable():
    with pytest.raises(ValueError) as info:
        check_claims(parse("x**2"), {"z": parse("1")}, {"x": 1.0})
    assert str(info.value) == "the claimed derivative for 'z' uses 'z', which has no value"


def test_a_scalar_claim_over_a_reduction_is_taken_as_the_whole_derivative():
    # d/dx sum(x*y) = sum(y) = 6 at y = (1, 2, 3): the claim is one number, not one per y.
    data = check_claims(parse("sum(x*y)"), {"x": parse("sum(y)")},
                        {"x": 2.0, "y": [1.0, 2.0, 3.0]}, proof_timeout=0).to_json()
    (component,) = data["components"]
    assert component["claimed_value"] == component["autograd"] == 6.0
    assert component["verdict"] == "agrees"


def test_a_claim_over_a_reduction_is_judged_per_element_and_no_proof_is_tried():
    # d/dx sum(x**2) = 2x, element by element: (2, 4, 6) at x = (1, 2, 3).
    data = check_claims(parse("sum(x**2)"), {"x": parse("2*x")}, {"x": [1.0, 2.0, 3.0]},
                        proof_timeout=30.0).to_json()
    (component,) = data["components"]
    assert component["symbolic"] == component["autograd"] == [2.0, 4.0, 6.0]
    assert component["proof_tried"] is False and component["verdict"] == "agrees"


@pytest.mark.parametrize("expression, claim, point, truth", [
    # d/dx x**2 = 2x, one derivative per element: (2, 4, 6) at x = (1, 2, 3).
    ("x**2", "2*x", {"x": [1.0, 2.0, 3.0]}, [2.0, 4.0, 6.0]),
    # d/dx x*y, x a scalar broadcast over y = (1, 2, 3): the sum of the y, 6.
    ("x*y", "y", {"x": 2.0, "y": [1.0, 2.0, 3.0]}, 6.0),
])
def test_a_claim_over_an_elementwise_batch_is_judged_point_by_point(expression, claim, point,
                                                                    truth):
    data = check_claims(parse(expression), {"x": parse(claim)}, point, proof_timeout=0).to_json()
    (component,) = data["components"]
    assert component["claimed_value"] == component["autograd"] == truth
    assert component["symbolic"] == truth
    assert component["verdict"] == "agrees" and component["proof_tried"] is True


def test_the_counterexample_is_the_first_point_that_disproves_the_claim_with_its_values():
    # d/dx x**3 = 3x**2: the claim 3x is 3 at x = 2 where the derivative is 12.
    data = check_claims(parse("x**3"), {"x": parse("3*x")}, {"x": 2.0},
                        proof_timeout=0).to_json()
    (component,) = data["components"]
    assert component["counterexample"] == {"at": {"x": 2.0}, "claimed": 6.0,
                                           "autograd": 12.0, "symbolic": 12.0}


def test_a_claim_undefined_where_the_derivative_is_undefined_is_not_wrong_there():
    # d/dx sqrt(x) = 1/(2 sqrt(x)), which has no value at x = 0; neither has the claim.
    data = check_claims(parse("sqrt(x)"), {"x": parse("1/(2*sqrt(x))")}, {"x": 0.0},
                        proof_timeout=0).to_json()
    (component,) = data["components"]
    assert component["claimed_value"] is None and component["autograd"] is None
    assert component["ok"] is True and component["disagree_at"] == []


def test_a_claim_naming_several_variables_without_values_lists_them_all():
    with pytest.raises(ValueError) as info:
        check_claims(parse("x**2"), {"x": parse("z*w")}, {"x": 1.0})
    assert "uses 'z', 'w', which" in str(info.value)


def test_sympy_judges_a_vector_valued_expression_by_the_derivative_of_its_sum():
    # d/dx_i sum_j x_j * sum(y) = sum(y) = 6 for each i, the gradient autograd.grad gives.
    data = check_claims(parse("x*sum(y)"), {"x": parse("sum(y)")},
                        {"x": [1.0, 2.0], "y": [1.0, 2.0, 3.0]}, proof_timeout=0).to_json()
    (component,) = data["components"]
    assert component["symbolic"] == component["autograd"] == [6.0, 6.0]
    assert component["verdict"] == "agrees"


def test_a_witness_with_no_number_where_another_has_one_does_not_judge_the_claim():
    # sqrt(x**2) is |x|: sympy's derivative sign(x) is 0 at x = 0, and so are both central
    # differences (|h| - |-h|) / 2h; the tape's chain rule is 0 * inf, nan, as PyTorch's.
    # The claim sign(x) is judged as it is for abs(x) itself: right.
    right = check_claims(parse("sqrt(x**2)"), {"x": parse("sign(x)")}, {"x": 0.0},
                         proof_timeout=0).to_json()
    (component,) = right["components"]
    assert component["autograd"] is None and component["symbolic"] == 0.0
    assert component["verdict"] == "agrees" and right["ok"] is True


def test_a_claim_wrong_where_only_sympy_has_a_number_is_wrong():
    wrong = check_claims(parse("sqrt(x**2)"), {"x": parse("1")}, {"x": 0.0},
                         proof_timeout=0).to_json()
    (component,) = wrong["components"]
    assert component["verdict"] == "wrong" and component["disagree_at"][0] == {"x": 0.0}


def test_a_batch_is_judged_line_by_line_with_nan_written_as_none():
    # d/dx sqrt(x**2) = sign(x): -1, 0 and 1 by hand; the tape's 0 * inf at 0 is nan,
    # which the JSON writes as null, and sympy's 0 judges the claim there.
    checks = check_claims_batch(parse("sqrt(x**2)"), {"x": parse("sign(x) + max(x - 2, 0)")},
                                {"x": np.array([-2.0, 0.0, 0.5, 3.0])}, proof_timeout=0)
    docs = [check.to_json()["components"][0] for check in checks]
    assert [d["autograd"] for d in docs] == [-1.0, None, 1.0, 1.0]
    assert [d["symbolic"] for d in docs] == [-1.0, 0.0, 1.0, 1.0]
    assert [d["verdict"] for d in docs] == ["agrees", "agrees", "agrees", "wrong"]
    assert docs[3]["counterexample"] == {"at": {"x": 3.0}, "claimed": 2.0, "autograd": 1.0,
                                         "symbolic": 1.0}
