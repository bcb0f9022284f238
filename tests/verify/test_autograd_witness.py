"""The autograd witness: nested derivatives within budget, where a gradient turns non-finite."""

import pytest

from diffcli.expr import parse
from diffcli.verify import TooCostly, nested_derivative, nonfinite_origin


def test_a_nested_derivative_that_would_outrun_its_budget_stops_with_a_reason():
    # exp(sin(x))'s nested graphs grow about 2.5x per order; order 30 would take hours.
    with pytest.raises(TooCostly, match=r"stopped after order \d+ of 30"):
        nested_derivative(parse("exp(sin(x))"), {"x": 0.7}, ("x",) * 30, budget=0.05)


def test_a_nested_derivative_within_budget_is_exact():
    # d^4/dx^4 of x**5 is 120 x, worked by hand.
    assert nested_derivative(parse("x**5"), {"x": 0.5}, ("x",) * 4) == pytest.approx(60.0)


@pytest.mark.parametrize(("text", "point", "culprit"), [
    # d/dx sqrt(x - x): sqrt's backward divides by 2*sqrt(0), then the two uses of x cancel.
    ("sqrt(x - x) + y", {"x": 1.0, "y": 2.0}, "sqrt(x - x) (columns 1-11)"),
    # log's backward divides by x*y = 0, long before the sum reaches x.
    ("log(x*y) + x", {"x": 0.0, "y": 2.0}, "log(x*y) (columns 1-8)"),
    # sqrt(x)'s own gradient is 0 * 1 = 0, but its backward turns that into 0 * inf at x.
    ("sqrt(x) * 0 + y", {"x": 0.0, "y": 1.0}, "sqrt(x) (columns 1-7)"),
])
def test_nonfinite_origin_names_the_operation_whose_backward_made_it(text, point, culprit):
    origin = nonfinite_origin(parse(text), point, list(point), text)
    assert origin is not None and origin.endswith(culprit)


def test_nonfinite_origin_is_none_for_finite_gradients():
    assert nonfinite_origin(parse("x**2 + y"), {"x": 1.0, "y": 1.0}, ["x", "y"], "x**2 + y") is None
