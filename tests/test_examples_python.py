"""The Python examples run as a user would run them, and what they print is checked."""

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sympy

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(name: str) -> str:
    """Run examples/NAME with this interpreter; return its stdout after asserting exit 0."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{name} exited {done.returncode}\n{done.stdout}{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def logistic_output() -> str:
    return run_example("logistic_regression.py")


@pytest.fixture(scope="module")
def taylor_output() -> str:
    return run_example("higher_order.py")


def printed_losses(output: str) -> list[float]:
    return [float(m) for m in re.findall(r"^step\s+\d+\s+loss\s+(\S+)$", output, re.M)]


def test_logistic_regression_checks_its_gradient_before_training(logistic_output):
    assert logistic_output.splitlines()[0] == "gradcheck: passed"


def test_logistic_regression_starts_at_ln2_from_zero_weights(logistic_output):
    # With w = 0 and b = 0 every predicted probability is 1/2, so the cross-entropy is ln 2.
    assert printed_losses(logistic_output)[0] == pytest.approx(math.log(2), abs=1e-6)


def test_logistic_regression_loss_falls_at_every_report(logistic_output):
    losses = printed_losses(logistic_output)
    assert len(losses) >= 5
    assert all(later < earlier for earlier, later in zip(losses, losses[1:])), losses


def test_logistic_regression_separates_the_blobs(logistic_output):
    # The blob centres are 2.12 standard deviations either side of the best boundary, whose
    # error rate is Phi(-2.12) = 1.7%; 90% leaves room for sampling and an unfinished fit.
    (accuracy,) = re.findall(r"^final accuracy (\S+)$", logistic_output, re.M)
    assert float(accuracy) >= 0.9


def test_higher_order_coefficients_match_sympy_derivatives(taylor_output):
    rows = re.findall(r"^\s*(\d+)\s+(\S+)\s+\S+\s+\S+$", taylor_output, re.M)
    orders = [int(k) for k, _ in rows]
    assert orders == list(range(9))
    # Independent of the example's series(): differentiate k times, evaluate at 0, divide by k!.
    s = sympy.Symbol("s")
    f = sympy.exp(sympy.sin(s))
    for k, printed in rows:
        k = int(k)
        expected = sympy.diff(f, s, k).subs(s, 0) / sympy.factorial(k)
        assert float(printed) == pytest.approx(float(expected), abs=1e-9), (k, printed, expected)
