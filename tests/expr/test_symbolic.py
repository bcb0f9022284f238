"""to_sympy against the mathematics it stands for: constants, decimal literals, and
elementwise operations over vectors of symbols."""

import math
import subprocess
import sys

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from diffcli.expr import parse
from diffcli.expr.symbolic import _float_power, symbol, to_sympy


def test_constants_are_exact():
    assert to_sympy(parse("e")) == sympy.E
    assert to_sympy(parse("tau")) == 2 * sympy.pi
    assert to_sympy(parse("pi")) == sympy.pi


def test_a_decimal_is_its_double_unless_exact_is_asked():
    assert to_sympy(parse("0.1")) == sympy.Float(0.1)
    assert to_sympy(parse("0.1"), exact=True) == sympy.Rational(1, 10)


def test_vector_operations_map_over_the_elements():
    x0, x1, y0, y1 = symbol("x", 0), symbol("x", 1), symbol("y", 0), symbol("y", 1)
    lengths = {"x": 2, "y": 2}
    assert to_sympy(parse("x - y"), lengths) == [x0 - y0, x1 - y1]
    assert to_sympy(parse("x * y"), lengths) == [x0 * y0, x1 * y1]
    assert to_sympy(parse("x + 3"), lengths) == [x0 + 3, x1 + 3]
    assert to_sympy(parse("-x / y"), lengths) == [-x0 / y0, -x1 / y1]


def test_vectors_of_different_lengths_are_refused_with_both_lengths():
    with pytest.raises(ValueError) as info:
        to_sympy(parse("x + y"), {"x": 2, "y": 3})
    assert "(2,)" in str(info.value) and "(3,)" in str(info.value)


def test_floor_and_ceiling_are_steps_whose_derivative_is_zero():
    x = symbol("x")
    assert sympy.diff(to_sympy(parse("floor(x) + ceil(x)")), x) == 0


@pytest.mark.parametrize(("text", "want"), [
    ("2**10", sympy.Integer(1024)),
    ("9**9**9", sympy.oo),  # as the engine: inf, not an exact integer of 370 million digits
    ("(-9)**9**9", -sympy.oo),  # an odd power of a negative base: -inf
    ("(-8)**0.5", sympy.nan),  # the engine's nan, not sympy's imaginary 2*sqrt(2)*I
])
def test_a_power_of_two_numbers_is_the_engines_when_a_double_cannot_hold_it(text, want):
    got = to_sympy(parse(text))
    assert got == want or (want is sympy.nan and got is sympy.nan)


@settings(max_examples=500, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True),
       st.floats(allow_nan=True, allow_infinity=True)
       | st.integers(-400, 400).map(float) | st.sampled_from([0.5, -0.5, 1 / 3]))
def test_a_float_power_is_finite_where_numpys_is_and_numpys_where_not(base, exponent):
    with np.errstate(all="ignore"):
        want = float(np.power(base, exponent))
    got = _float_power(base, exponent)
    assert math.isfinite(got) == math.isfinite(want)
    if not math.isfinite(want):
        assert got == want or (math.isnan(got) and math.isnan(want))


def test_a_point_of_numbers_reaches_sympys_answer_without_numpy():
    # What sympy's worker does with a one-point check; it is forked before numpy loads.
    code = """
import sys
import diffcli.expr.symbolic
from diffcli.expr import parse
from diffcli.verify.sympy_witness import witness_job
node = parse("x**3 + pi**2*y + 2**0.5")
print(witness_job([node], [(0, ("x",)), (0, ("y",))], {"x": 2.0, "y": 3.0}, True))
print("numpy" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    # d/dx = 3x**2 = 12 at x = 2; d/dy = pi**2, by hand.
    assert out == [f"([('3*x**2', 12.0, False), ('pi**2', {math.pi**2!r}, False)], None)",
                   "False"]
