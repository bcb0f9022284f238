"""What a new user runs into first: constants, leading minus, pasted maths, batch mistakes."""

import pytest


def test_a_constant_has_an_empty_gradient_said_plainly(cli):
    run = cli("grad", "5", "--json")
    assert run.code == 0
    doc = run.json()
    assert (doc["value"], doc["gradient"], doc["check"]) == (5.0, {}, None)
    drawn = cli("grad", "5")
    assert "no variables, so its gradient is empty" in drawn.stdout
    assert "undefined" not in drawn.stdout


def test_derivative_needs_no_wrt_for_one_variable(cli):
    run = cli("derivative", "sin(x)", "--order", "3", "--at", "x=0", "--json", "--no-check")
    assert run.code == 0
    doc = run.json()
    assert (doc["wrt"], doc["derivative"]) == (["x", "x", "x"], -1.0)  # -cos(0)


def test_derivative_without_wrt_names_the_variables_to_choose_from(cli):
    run = cli("derivative", "x*y", "--at", "x=1,y=2")
    assert run.code == 2
    assert "--wrt is needed: the expression has the variables 'x', 'y'" in run.stderr


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_a_batch_line_are_not_json(cli, literal):
    run = cli("grad", "x*2", "--points", "-", "--json",
              input=f'{{"x": {literal}}}\n{{"x": 3}}\n')
    assert run.code == 2
    assert f"--points line 1: not valid JSON ({literal} is not a JSON number" in run.stderr
    assert [d["gradient"]["x"] for d in run.ndjson()] == [2.0]  # the good line still runs


def test_a_name_given_with_at_and_in_the_points_is_an_error(cli):
    run = cli("grad", "x*y", "--points", "-", "--at", "x=5", "--json",
              input='{"x": 1, "y": 2}\n')
    assert run.code == 2 and run.stdout == ""
    assert "'x' given both with --at and in --points" in run.stderr
    assert "warning" not in run.stderr


def test_an_overflowing_constant_is_a_non_finite_value_not_bad_input(cli):
    run = cli("grad", "9**9**9**9 + x", "--at", "x=1", "--json", "--no-check")
    assert run.code == 0
    doc = run.json()
    assert doc["value"] is None and doc["gradient"] == {"x": 1.0}
    assert "value (inf) is not finite; written as null" in run.stderr
    strict = cli("grad", "9**9**9**9 + x", "--at", "x=1", "--json", "--no-check", "--strict")
    assert strict.code == 1


@pytest.mark.parametrize("args", [
    ("grad", "q" * 5000 + "(x)", "--at", "x=1"),
    ("grad", "x + " + "y" * 5000, "--at", "x=1"),
    ("grad", "x", "--at", "x" * 5000),
    ("grad", "x", "--at", "x=1", "--wrt", "z" * 5000),
])
def test_an_error_never_echoes_more_than_200_characters_of_the_users_text(cli, args):
    run = cli(*args)
    assert run.code == 2
    longest_run = max(len(word) for word in
                      run.stderr.replace("'", " ").replace("=", " ").split())
    assert longest_run <= 200, run.stderr[:300]


def test_a_witness_that_is_nan_at_the_point_is_no_witness(cli):
    # sympy's derivative of x**n is n*x**n/x, 0/0 at x = 0; the true value is 3*0**2 = 0.
    run = cli("grad", "x**n", "--at", "x=0,n=3", "--wrt", "x", "--json")
    assert run.code == 0
    doc = run.json()
    assert doc["gradient"] == {"x": 0.0}
    (component,) = doc["check"]["components"]
    assert component["symbolic"] is None and component["status"] == "match"
    assert component["agrees"] == {"symbolic": None, "finite_difference": True}
    wrong = cli("grad", "x**n", "--at", "x=0.5,n=3", "--wrt", "x", "--json", "--atol", "0")
    assert wrong.json()["check"]["components"][0]["symbolic"] == 0.75  # 3 * 0.5**2


def test_a_claim_right_only_at_the_given_point_shows_where_it_fails(cli):
    run = cli("check", "x**2", "--grad", "x=3", "--at", "x=1.5", "--json")
    assert run.code == 1
    (component,) = run.json()["components"]
    example = component["counterexample"]
    x = example["at"]["x"]
    assert x != 1.5 and example["claimed"] == 3.0
    assert abs(example["autograd"] - 2 * x) < 1e-12  # d/dx x^2 = 2x, by hand
    drawn = cli("check", "x**2", "--grad", "x=3", "--at", "x=1.5", env={"COLUMNS": "200"})
    note = drawn.stdout.splitlines()[-1]
    assert note.startswith("∂/∂x is wrong (right at the given point), but at x = ")
    assert f"3 gives 3 but the derivative there is {2 * x:.12g}" in note


def test_the_check_of_an_overflowing_constant_needs_no_huge_integer(cli):
    # sympy's exact 9**(9**9**9) has 370 million digits; its witness must be inf instead.
    run = cli("grad", "9**9**9**9 + x", "--at", "x=1", "--json", "--check-timeout", "30")
    assert run.code == 0
    check = run.json()["check"]
    assert check["skipped"] is None  # sympy answered; it did not run into the budget
    assert [c["status"] for c in check["components"]] == ["undefined"]  # f itself is inf
