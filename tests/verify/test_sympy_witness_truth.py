"""The sympy witness against derivatives worked by hand where sympy's own answer needs
care (the DiracDelta terms of kinks, numbers past a double's range), and its budget: a
job that fails, crashes or runs late, in a forked child or (without fork) a thread."""

import math
import multiprocessing
import os
import threading
import time
from functools import partial

import pytest

from diffcli.expr import parse
from diffcli.verify import check_derivative, check_gradient
from diffcli.verify.budget import run_with_budget


@pytest.mark.parametrize(("text", "x", "want"), [
    ("abs(x)", 1.0, 0.0),  # d2/dx2 |x| = 2 DiracDelta(x): 0 away from 0
    ("abs(x)", -2.0, 0.0),
    ("x*relu(x)", 1.5, 2.0),  # x**2 right of 0: 2; sympy adds x*DiracDelta(x)
    ("x*relu(x)", -1.5, 0.0),
])
def test_second_derivatives_at_a_distance_from_a_kink_drop_the_dirac_terms(text, x, want):
    check = check_derivative(parse(text), {"x": x}, ("x", "x"))
    assert check.skipped is None
    (component,) = check.components
    assert component.symbolic == want and component.status == "match"
    assert "DiracDelta" not in check.formula["x,x"]


def test_the_gradient_of_a_sum_of_kinks_drops_the_dirac_terms():
    # d/dx of sign(x) * x = |x| is sign(x) + x * 2 DiracDelta(x): sign(x) = -1 at -0.5.
    check = check_gradient(parse("sign(x)*x"), {"x": -0.5})
    assert check.skipped is None and check.components[0].symbolic == -1.0


def test_a_long_formula_is_cut_at_ten_thousand_characters():
    # sin(sin(...(x))) 70 deep: the chain rule's product of 70 cosines of ever deeper
    # chains runs to about 12,000 characters.
    node = parse("sin(" * 70 + "x" + ")" * 70)
    formula = check_gradient(node, {"x": 0.1}).formula["x"]
    assert len(formula) == 10_003 and formula.endswith("...")
    assert formula.startswith("cos(x)*cos(sin(x))*cos(sin(sin(x)))*")


def test_scalar_points_are_evaluated_exactly_past_the_range_of_a_double():
    # d/dx exp(x) * 1e-300 at x = 710 is exp(710) * 1e-300, about 2.2e8, though exp(710)
    # overflows a double; sympy's 30-digit evaluation gets it.
    check = check_gradient(parse("exp(x) * 1e-300"), {"x": 710.0})
    assert check.components[0].symbolic == pytest.approx(math.exp(710 + math.log(1e-300)),
                                                         rel=1e-12)


def test_a_derivative_that_is_not_real_at_the_point_has_no_sympy_value():
    # d/dx sqrt(x) = 1/(2 sqrt(x)) is -i/2 at x = -1: no real number, so no witness;
    # the engine's nan there is undefined, not a mismatch.
    check = check_gradient(parse("sqrt(x)"), {"x": -1.0})
    assert check.skipped is None and check.formula["x"] == "1/(2*sqrt(x))"
    assert math.isnan(check.components[0].symbolic)
    assert check.components[0].status == "undefined"


def _boom():
    raise ValueError("boom " + "x" * 1000)


def test_a_failing_job_is_reported_with_its_error_cut_to_500_characters():
    result, skipped = run_with_budget(_boom, 10.0)
    assert result is None
    assert skipped == f"skipped: sympy failed ({('ValueError: boom ' + 'x' * 1000)[:500]})"


def test_a_child_that_dies_without_answering_is_a_crash():
    assert run_with_budget(lambda: os._exit(3), 10.0) == (None, "skipped: sympy crashed")


@pytest.fixture
def no_fork(monkeypatch):
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])


def test_without_fork_a_thread_runs_the_job(no_fork):
    assert run_with_budget(lambda: 6 * 7, 10.0) == (42, None)
    result, skipped = run_with_budget(_boom, 10.0)
    assert result is None
    assert skipped == f"skipped: sympy failed ({('ValueError: boom ' + 'x' * 1000)[:500]})"


def test_without_fork_a_job_that_takes_a_while_within_its_budget_is_waited_for(no_fork):
    assert run_with_budget(partial(_after, 0.5, 42), 10.0) == (42, None)


def test_a_budget_under_a_second_still_runs_the_job(no_fork):
    assert run_with_budget(lambda: 42, 0.5) == (42, None)


def test_without_fork_the_budget_counts_the_time_spent_meanwhile(no_fork):
    # 1 s of a 1.2 s budget goes on the caller's own work; the job needs 1.8 s.
    assert run_with_budget(partial(_after, 1.8, 42), 1.2, partial(time.sleep, 1.0)) == (
        None, "skipped: timed out")


def _after(seconds, value):
    time.sleep(seconds)
    return value


def test_without_fork_a_late_job_is_left_behind_in_a_daemon_thread(no_fork):
    release = threading.Event()
    before = set(threading.enumerate())  # other tests may have left threads of their own
    assert run_with_budget(release.wait, 0.05) == (None, "skipped: timed out")
    # Still waiting, but a daemon: it cannot keep the interpreter from exiting.
    waiting = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert waiting and all(t.daemon for t in waiting)
    release.set()


def test_an_expression_sympy_reads_as_undefined_leaves_the_verdict_to_differences():
    # In floating point 0**(pi/0) = 0**inf = 0, so the function is x and its derivative 1
    # (by hand); sympy reads 0**zoo as nan, and x + nan as nan, whose derivative 0 would
    # call the right gradient wrong.
    result = check_gradient(parse("x + 0**(pi/0)"), {"x": 0.0})
    assert result.skipped == ("skipped: sympy failed (ValueError: sympy reads part of the "
                              "expression as nan, so its derivative says nothing)")
    assert result.agree is True
    assert result.components[0].finite_difference == pytest.approx(1.0)


def test_sympys_nan_inside_a_vector_expression_also_leaves_the_verdict_to_differences():
    # 0**(pi/0) = 0 in floats, so d/dx sum(x + 0**(pi/0)) = (1, 1) by hand.
    result = check_gradient(parse("sum(x + 0**(pi/0))"), {"x": [0.5, 2.0]})
    assert "as nan" in result.skipped
    assert result.agree is True
