"""`diffcli grad`: JSON keys and values against sympy, warnings, every error path (docs/exit-codes.md)."""

import math

import pytest
import sympy

from .helpers import at_point

x, y, z = sympy.symbols("x y z")


@pytest.mark.parametrize(("text", "expr", "point"), [
    ("x**3 + y**2", x**3 + y**2, {"x": 2.0, "y": 3.0}),
    ("sin(x)*exp(-y^2)", sympy.sin(x) * sympy.exp(-y**2), {"x": 0.7, "y": -0.4}),
    ("log(1+x)/x + atan2(y, x)", sympy.log(1 + x) / x + sympy.atan2(y, x), {"x": 1.5, "y": 2.0}),
])
def test_gradient_matches_sympy(cli, text, expr, point):
    args = [a for k, v in point.items() for a in ("--at", f"{k}={v}")]
    doc = cli("grad", text, *args, "--json", "--no-check").json()
    assert set(doc) == {"expression", "at", "value", "gradient", "check"}
    assert doc["expression"] == text and doc["at"] == point and doc["check"] is None
    subs = {sympy.Symbol(k): v for k, v in point.items()}
    assert doc["value"] == pytest.approx(float(expr.subs(subs)), rel=1e-12)
    truth = at_point(expr, **point)
    assert doc["gradient"] == pytest.approx(truth, rel=1e-12)


def test_comma_form_and_constant_values(cli):
    doc = cli("grad", "sin(x)*y", "--at", "x=pi/4,y=2", "--json", "--no-check").json()
    assert doc["gradient"]["x"] == pytest.approx(2 * math.cos(math.pi / 4))
    assert doc["gradient"]["y"] == pytest.approx(math.sin(math.pi / 4))


def test_vector_value_gives_gradient_of_its_shape(cli):
    doc = cli("grad", "sum(x**2) + dot(x, x)", "--at", "x=[1,2,3]", "--json", "--no-check").json()
    assert doc["gradient"]["x"] == [4.0, 8.0, 12.0]  # d/dx 2*|x|^2 = 4x


def test_wrt_limits_the_variables(cli):
    doc = cli("grad", "x*y", "--at", "x=2", "--at", "y=5", "--wrt", "y", "--json", "--no-check").json()
    assert doc["gradient"] == {"y": 2.0}


def test_unused_name_gets_zero_gradient_and_a_warning(cli):
    run = cli("grad", "x**2", "--at", "x=3", "--at", "z=1", "--json", "--no-check")
    assert run.code == 0
    assert run.json()["gradient"] == {"x": 6.0, "z": 0.0}
    assert "'z' is not used" in run.stderr


def test_missing_value_names_the_variable(cli):
    run = cli("grad", "x*y", "--at", "x=2", "--json", "--no-check")
    assert run.code == 2 and run.stdout == ""
    assert "no value for 'y'" in run.stderr and "--at y=VALUE" in run.stderr


def test_expression_error_shows_the_caret_form_and_exits_2(cli):
    run = cli("grad", "sine(x) + y**2", "--at", "x=1", "--at", "y=1", "--json", "--no-check")
    assert run.code == 2 and run.stdout == ""
    assert run.stderr.splitlines()[:3] == [
        "error: unknown function 'sine' (did you mean 'sin'?)", "  sine(x) + y**2", "  ^^^^"]
    assert "Traceback" not in run.stderr


def test_bad_value_points_into_the_value(cli):
    run = cli("grad", "x", "--at", "x=pi/", "--no-check")
    assert run.code == 2
    assert run.stderr.startswith("error: --at x:") and "^" in run.stderr


def test_unknown_wrt_is_bad_input(cli):
    run = cli("grad", "x", "--at", "x=1", "--wrt", "q", "--no-check")
    assert run.code == 2 and "'q'" in run.stderr


def test_non_scalar_expression_is_refused_with_a_way_out(cli):
    run = cli("grad", "x**2", "--at", "x=[1,2]", "--no-check")
    assert run.code == 2
    # docs/exit-codes.md's line, with this expression's shape.
    assert run.stderr.strip() == (
        "error: the gradient needs a scalar expression, but this one has shape (2,): reduce "
        "it (sum, mean, norm, dot) or use `diffcli backward --grad-output`")


def test_non_finite_is_null_with_a_warning_and_strict_exits_1(cli):
    run = cli("grad", "log(x)", "--at", "x=0", "--json", "--no-check")
    assert run.code == 0
    doc = run.json()
    assert doc["value"] is None and doc["gradient"]["x"] is None
    assert "value (-inf) is not finite" in run.stderr and "gradient.x (inf)" in run.stderr
    strict = cli("grad", "log(x)", "--at", "x=0", "--json", "--no-check", "--strict")
    assert strict.code == 1 and strict.json()["value"] is None


def test_unknown_flag_is_a_usage_error(cli):
    assert cli("grad", "x", "--att", "x=1").code == 2


def test_human_output_is_a_table_on_stdout(cli):
    run = cli("grad", "x**3 + y**2", "--at", "x=2", "--at", "y=3", "--no-check")
    assert run.code == 0
    assert "∂/∂x" in run.stdout and "12" in run.stdout and "6" in run.stdout


def test_a_derivative_undefined_for_every_witness_is_said_to_be_undefined(cli):
    # d/dx (x/0) is 1/0: autograd gives inf, sympy's zoo has no value, nor do the differences.
    run = cli("grad", "x/0", "--at", "x=1", env={"COLUMNS": "120"})
    assert run.code == 0
    assert "undefined" in run.stdout and "no witness" not in run.stdout


@pytest.mark.parametrize("flag", ["--rtol", "--atol", "--check-timeout"])
def test_a_negative_tolerance_or_budget_is_bad_input(cli, flag):
    assert cli("grad", "x**2", "--at", "x=1", flag, "-1").code == 2


def test_a_disagreement_names_the_component_and_what_sympy_says_it_should_be(cli):
    # sqrt(x - x): reverse mode multiplies sqrt'(0) = inf by 0 and gets nan, as PyTorch
    # does, while the function is the constant 0 and sympy's derivative is 0.
    run = cli("grad", "sqrt(x - x) + y", "--at", "x=1,y=2", env={"COLUMNS": "120"})
    assert run.code == 1
    assert "DISAGREES with sympy" in run.stdout
    assert "x: autograd gives not finite, sympy 0" in run.stdout
    assert "y: autograd" not in run.stdout


def test_a_nonfinite_gradient_is_traced_to_the_operation_that_made_it(cli):
    run = cli("grad", "log(x*y) + x", "--at", "x=0,y=2", "--json", "--no-check")
    assert "the gradient is not finite" in run.stderr and "log(x*y) (columns 1-8)" in run.stderr
    assert run.json()["gradient"]["x"] is None
