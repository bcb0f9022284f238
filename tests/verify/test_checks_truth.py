"""The check object against docs/json.md's table and gaps worked by hand."""

import re
from pathlib import Path

import numpy as np
import pytest

from diffcli.expr import parse
from diffcli.verify import Check, Component, Status, check_gradient, check_jacobian

DOCS = Path(__file__).resolve().parents[2] / "docs" / "json.md"


def _documented_check_keys() -> tuple[set[str], set[str]]:
    """The table under "## The check object": (top-level keys, component keys)."""
    text = DOCS.read_text().split("## The check object", 1)[1]
    top, component = set(), set()
    for line in text[text.index("| `agree`"):].splitlines():
        if not line.startswith("|"):
            break
        first = line.split("|")[1]
        (component if "&nbsp;" in first else top).update(re.findall(r"`(\w+)`", first))
    return top, component


def test_check_json_has_exactly_the_documented_keys_and_sympys_formula():
    top, component = _documented_check_keys()
    assert {"max_rel_error", "formula"} <= top and "agrees" in component
    data = check_gradient(parse("x**3"), {"x": 2.0}).to_json()
    assert set(data) == top and all(set(c) == component for c in data["components"])
    assert data["formula"] == {"x": "3*x**2"}
    assert data["symbolic"] == {"x": 12.0}
    assert data["finite_difference"]["x"] == pytest.approx(12.0, rel=1e-8)
    assert data["max_abs_error"] == 0.0 and data["max_rel_error"] == 0.0


def test_the_largest_gaps_are_measured_against_sympy():
    # Autograd says 13 where 3 x**2 = 12: a gap of 1, relative to the larger, 13.
    data = check_gradient(parse("x**3"), {"x": 2.0}, grads={"x": 13.0}).to_json()
    assert data["max_abs_error"] == 1.0 and data["max_rel_error"] == pytest.approx(1 / 13)


def test_gaps_leave_out_kinks_and_wrong_shapes_but_count_the_components_after_them():
    # relu at 0: the engine's 0 against sympy's Heaviside(0) = 1/2 is the convention; the
    # wrong 7 for d(y**2)/dy = 6 at y = 3 after it is a gap of 1.
    kink = check_jacobian([parse("relu(x)"), parse("y**2")], {"x": 0.0, "y": 3.0},
                          jacobian=[[0.0, 0.0], [0.0, 7.0]]).to_json()
    assert [c["status"] for c in kink["components"]] == ["convention", "match", "match",
                                                         "mismatch"]
    assert kink["max_abs_error"] == 1.0 and kink["max_rel_error"] == pytest.approx(1 / 7)
    shape = check_gradient(parse("x + y**2"), {"x": 1.0, "y": 3.0},
                           grads={"x": np.array([1.0, 1.0]), "y": 7.0}).to_json()
    assert shape["max_abs_error"] == 1.0


def test_gaps_leave_out_elements_that_are_not_finite():
    # d/dx log(x) = 1/x: at x = [-1, 2] sympy says [-1, 0.5]; autograd's nan is no gap,
    # 0.6 against 0.5 is a gap of 0.1, relative to the larger, 0.6.
    data = check_gradient(parse("log(x)"), {"x": np.array([-1.0, 2.0])},
                          grads={"x": np.array([np.nan, 0.6])}).to_json()
    assert data["symbolic"]["x"] == [-1.0, 0.5]
    assert data["max_abs_error"] == pytest.approx(0.1, rel=1e-12)
    assert data["max_rel_error"] == pytest.approx(0.1 / 0.6, rel=1e-12)


@pytest.mark.parametrize(("share", "agree"), [(0.5, True), (1.5, False)])
def test_a_closed_forms_rounding_allowance_is_the_documented_one(share, agree):
    # docs/json.md: the closed form may be off by 64 eps times its largest entry times the
    # square root of the number of entries, on top of atol. d/dA 100 trace(A) = 100 I;
    # autograd's error sits on a zero entry, where rtol allows nothing.
    allowance = 1e-12 + 64 * np.finfo(float).eps * 100 * np.sqrt(9)
    grad = 100 * np.eye(3)
    grad[0, 1] = share * allowance
    check = check_gradient(parse("100*trace(A)"), {"A": np.diag([2.0, 3.0, 4.0]) + 1},
                           grads={"A": grad})
    assert check.closed_form == {"A": "100*I"}
    assert check.agree is agree


def test_a_check_built_by_hand_has_no_formula_no_reason_and_no_verdicts_of_witnesses():
    component = Component("x", np.float64(2.0), None, None, Status.UNCHECKED)
    data = Check([component]).to_json()
    assert (data["agree"], data["formula"], data["closed_form"], data["skipped"]) == (
        None, {}, {}, None)
    assert data["components"][0]["agrees"] == {}
    assert data["components"][0]["directional"] is None
