import math
from collections import Counter

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from diffcli import autograd
from diffcli.expr import ExprError, parse, variables
from diffcli.expr.symbolic import symbol, to_sympy
from diffcli.expr.tape import build
from diffcli.expr.tree import Call
from diffcli.verify.autograd_witness import kinks

from .strategies import ALL_FUNCTIONS, VARIABLES, trees


def _sympy_float(expr, point):
    exact = {symbol(k): sympy.Float(v, 30) for k, v in point.items()}
    try:
        value = complex(expr.xreplace(exact).evalf(30))
    except (TypeError, ValueError, ArithmeticError):  # ValueError: an unevaluated Derivative
        return math.nan
    return value.real if abs(value.imag) < 1e-20 and math.isfinite(value.real) else math.nan


# Coordinates are 0 or at least 1e-6 in size: at 1e-25, a derivative like that of
# log(x)/log(x) is the difference of two terms near 1e23, and one ulp of those (2**25)
# is all that float64 can say about a true 0.
COORDINATE = st.floats(-3, 3, allow_nan=False).map(lambda v: v if abs(v) >= 1e-6 else 0.0)


def _on_atan2_cut(tape) -> bool:
    by_node = {id(n): t for n, t in tape.tensors}
    return any(
        isinstance(n, Call) and n.name == "atan2"
        and float(by_node[id(n.args[0])].data) == 0 and float(by_node[id(n.args[1])].data) < 0
        for n, _ in tape.tensors
    )


def _inexact_constant(tape) -> bool:
    """Whether a constant subexpression is an ulp or so off a whole number: sin(pi) is 0 to
    sympy and 1.2e-16 in floats. Where the expression is singular there, that ulp is
    everything: x / (x + sin(pi)) at 0 is 0 in floats and 1 to sympy, the slope of
    x**(1 + sin(pi)) at 0 is 0 and 1, acos(pi**sin(tau)) is 2.3e-8 and 0. Nudging the
    variables does not move a constant."""
    for node, t in tape.tensors:
        if not variables(node) and np.ndim(t.data) == 0:
            value = float(t.data)
            if math.isfinite(value) and 0 < abs(value - round(value)) < 1e-12:
                return True
    return False


def _compare_with_sympy(tree, point) -> str:
    """Assert the tape's value and gradient equal sympy's at the point, where float64 can
    say anything; return which case the draw fell in (hypothesis' statistics count them)."""
    tape = build(tree, point)
    value = float(tape.output.data)
    if not math.isfinite(value):
        return "non-finite value"
    # Every subexpression stays moderate: exp(y)**(x/y) at y = 1e-5 is fine as a value, but
    # its derivative is the difference of two terms near 1e5, and at y = 0 it is 1**inf,
    # which sympy simplifies away to exp(x). Float64 can say little in either place.
    if not all(np.all(np.abs(t.data) < 1e4) for _, t in tape.tensors):
        return "large subexpression"
    try:
        exact = to_sympy(tree)
    except TypeError:  # sympy cannot compare with nan: max(0, 0/0) has no sympy witness
        return "no sympy witness"
    expected = _sympy_float(exact, point)
    if not (math.isfinite(expected) and abs(expected) < 1e8):
        return "non-finite value"
    # Float64 inputs carry a rounding of ~1e-16 (and a sign on zero); where the function
    # amplifies that past the tolerance (sin(1/y) at y ~ 1e-33, atan2 on its branch cut),
    # no float engine can agree.
    nudged = _sympy_float(exact, {k: v + 1e-13 * max(1.0, abs(v)) for k, v in point.items()})
    if not (math.isfinite(nudged) and abs(nudged - expected) <= 1e-11 * max(1.0, abs(expected))):
        return "ill-conditioned"
    # On atan2's cut (y = 0, x < 0) a constant -0.0 picks -pi, where sympy, which has no
    # signed zero, says pi; nudging the variables does not move a constant off the cut.
    if _on_atan2_cut(tape):
        return "atan2 cut"
    if _inexact_constant(tape):
        return "inexact constant"
    # At a kink (relu(0), round(2.5), a tie in max) the engine follows PyTorch's convention.
    if np.any(kinks(tree, point)):
        return "kink"
    assert value == pytest.approx(expected, rel=1e-9, abs=1e-9)
    names = variables(tree)
    grads = autograd.grad(tape.output, [tape.leaves[n] for n in names], allow_unused=True)
    outcome = "compared"
    for name, g in zip(names, grads, strict=True):
        want = _sympy_float(sympy.diff(exact, symbol(name)), point)
        got = 0.0 if g is None else float(g.data)
        if math.isfinite(want) and math.isfinite(got) and abs(want) < 1e8:
            assert got == pytest.approx(want, rel=1e-8, abs=1e-8)
        else:
            outcome = "non-finite gradient"
    return outcome


TREES = trees(ALL_FUNCTIONS, max_leaves=8)
# A tuple, not a list of three: hypothesis rejects some fixed-size lists it overdraws.
POINTS = st.tuples(*[COORDINATE] * len(VARIABLES)).map(
    lambda coords: dict(zip(VARIABLES, coords, strict=True)))


@settings(max_examples=3 * settings.default.max_examples // 2, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(TREES, POINTS)
def test_tape_value_and_gradient_equal_sympy_at_random_points(tree, point):
    event(_compare_with_sympy(tree, point))


def test_most_random_trees_are_compared_with_sympy_and_the_rest_are_counted():
    # Over a fixed run: every tree has a variable, and draws that say nothing (a
    # non-finite value or gradient, an ill-conditioned point) stay a minority.
    outcomes: list[str] = []

    @settings(max_examples=100, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(TREES, POINTS)
    def run(tree, point):
        assert variables(tree)
        outcomes.append(_compare_with_sympy(tree, point))

    run()
    counts = Counter(outcomes)
    assert len(outcomes) == 100
    # The exact counts move with hypothesis' version (46 to 51 compared, 34 to 40 with
    # no finite number, seen so far): the bounds leave room for that, not for a generator
    # that mostly draws trees no witness can judge.
    assert counts["compared"] >= 40, counts
    assert counts["non-finite value"] + counts["non-finite gradient"] <= 45, counts


def test_vectors_broadcast_elementwise_in_one_tape():
    x = np.array([0.5, 1.0, 2.0])
    tape = build(parse("x**2 * y + sin(x)"), {"x": x, "y": 3.0})
    np.testing.assert_allclose(tape.output.data, x**2 * 3.0 + np.sin(x), rtol=1e-15)
    gx, gy = autograd.grad(tape.output.sum(), [tape.leaves["x"], tape.leaves["y"]])
    np.testing.assert_allclose(gx.data, 2 * x * 3.0 + np.cos(x), rtol=1e-15)
    assert float(gy.data) == pytest.approx(np.sum(x**2))


def test_reductions_and_two_argument_forms():
    x = np.array([1.0, 2.0, 2.0])
    tape = build(parse("sum(x) + dot(x, x) + norm(x) + log(8, 2) + max(x, 1.5)"), {"x": x})
    expected = x.sum() + x @ x + 3.0 + 3.0 + np.maximum(x, 1.5)
    np.testing.assert_allclose(tape.output.data, expected, rtol=1e-15)


def test_nodes_carry_their_source_text_for_anomaly_errors():
    text = "x * log(y - 1)"
    tape = build(parse(text), {"x": 2.0, "y": 0.5}, text=text)
    sources = [t.grad_fn.metadata.get("source") for _, t in tape.tensors if t.grad_fn]
    assert "log(y - 1)" in sources and "y - 1" in sources and text in sources
    assert math.isnan(float(tape.output.data))


def test_requires_grad_can_name_the_leaves():
    tape = build(parse("x*y"), {"x": 1.0, "y": 2.0}, requires_grad=["y"])
    assert tape.leaves["y"].requires_grad and not tape.leaves["x"].requires_grad
    assert [n for n, _ in tape.tensors][-1] == parse("x*y")


def test_a_variable_without_value_is_named():
    text = "x + zz"
    with pytest.raises(ExprError) as info:
        build(parse(text), {"x": 1.0}, text=text)
    assert "'zz'" in info.value.message and info.value.column == 5
