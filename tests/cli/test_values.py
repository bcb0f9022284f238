"""--at parsing: repeated flags, commas between assignments, vectors and calls keep theirs."""

import numpy as np
import pytest

from diffcli.cli.errors import BadInput
from diffcli.cli.values import parse_values, split_assignments


def test_commas_split_assignments_but_not_vectors_or_calls():
    pairs = split_assignments(["x=[1,2,3],y=pow(2,3)", "z=pi/4"], "--at")
    assert pairs == [("x", "[1,2,3]"), ("y", "pow(2,3)"), ("z", "pi/4")]


def test_values_are_read_by_the_expression_parser():
    values = parse_values(["x=pi/4,v=[1, 2, 3]"])
    assert values["x"] == pytest.approx(np.pi / 4)
    np.testing.assert_array_equal(values["v"], [1.0, 2.0, 3.0])


@pytest.mark.parametrize("item", ["x", "=2", "2x=1", "x="])
def test_an_item_that_is_not_name_equals_value_is_refused(item):
    with pytest.raises(BadInput, match="NAME=VALUE"):
        split_assignments([item], "--at")


def test_a_name_given_twice_is_refused():
    with pytest.raises(BadInput, match="twice"):
        parse_values(["x=1", "x=2"])


def test_a_constant_cannot_be_given_a_value():
    with pytest.raises(BadInput, match="constant"):
        parse_values(["pi=3"])
