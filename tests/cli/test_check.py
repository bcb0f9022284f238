"""check's verdicts: proven, agrees or WRONG per component, in JSON and in words."""

import pytest

# A budget no loaded machine exhausts on these small proofs, so "proven" is not flaky.
GENEROUS = ("--proof-timeout", "30")


def test_check_says_proven_for_an_identity_and_agrees_for_a_domain_only_claim(cli):
    run = cli("check", "sin(x)**2 * y + acosh(y)", "--grad", "x=sin(2*x)*y",
              "--grad", "y=sin(x)**2 + 1/sqrt(y**2 - 1)", "--at", "x=0.4,y=2", "--json",
              *GENEROUS)
    assert run.code == 0
    by_wrt = {c["wrt"]: c for c in run.json()["components"]}
    assert by_wrt["x"]["verdict"] == "proven"
    # 1/sqrt(y**2-1) is acosh' only for y > 1: the numbers agree, a proof cannot exist.
    assert by_wrt["y"]["verdict"] == "agrees" and by_wrt["y"]["points"] == 4
    assert {"ok", "disagree_at", "counterexample", "formula"} <= set(by_wrt["y"])


def test_check_explains_each_verdict_in_a_note(cli):
    run = cli("check", "x**3 * y + acosh(y)", "--grad", "x=3*x**2*y",
              "--grad", "y=x**3 + 1/sqrt(y**2 - 1)", "--at", "x=1.5,y=2", *GENEROUS,
              env={"COLUMNS": "200"})
    assert run.code == 0
    lines = run.stdout.splitlines()
    assert ("∂/∂x: proven: equal to the derivative wherever both are defined, shown "
            "symbolically") in lines
    assert "∂/∂y: agrees at 4 points; no proof found within 30 s" in lines
    rows = {line.split("│")[1].strip(): line.split("│")[-2].strip()
            for line in lines if line.startswith("│")}
    assert rows == {"x": "proven", "y": "agrees"}


def test_check_names_the_default_budget_of_one_second(cli):
    # No proof exists for y < -1, so the verdict is "agrees" however loaded the machine.
    run = cli("check", "acosh(y)", "--grad", "y=1/sqrt(y**2 - 1)", "--at", "y=2",
              env={"COLUMNS": "200"})
    assert run.code == 0
    assert "∂/∂y: agrees at 4 points; no proof found within 1 s" in run.stdout.splitlines()


def test_check_marks_a_wrong_component_and_exits_1_beside_a_proven_one(cli):
    run = cli("check", "x**2 + y**2", "--grad", "x=2*x,y=-2*y", "--at", "x=1,y=3", *GENEROUS,
              env={"COLUMNS": "200"})
    assert run.code == 1
    rows = {line.split("│")[1].strip(): line.split("│")[-2].strip()
            for line in run.stdout.splitlines() if line.startswith("│")}
    assert rows == {"x": "proven", "y": "WRONG"}
    assert any(line.startswith("∂/∂y is wrong") for line in run.stdout.splitlines())


def test_proof_timeout_zero_turns_proofs_off(cli):
    run = cli("check", "x**3", "--grad", "x=3*x**2", "--at", "x=2", "--proof-timeout", "0",
              env={"COLUMNS": "200"})
    assert run.code == 0
    assert "∂/∂x: agrees at 4 points; no proof tried (--proof-timeout 0)" in run.stdout


@pytest.mark.parametrize("value", ["-1", "-0.5"])
def test_a_negative_proof_timeout_is_bad_input(cli, value):
    assert cli("check", "x**3", "--grad", "x=3*x**2", "--at", "x=2",
               "--proof-timeout", value).code == 2


@pytest.mark.parametrize("formula, names", [
    ("z", "'z', which has"), ("z*w", "'z', 'w', which have"),
])
def test_a_formula_using_variables_without_values_is_refused_naming_them(cli, formula, names):
    run = cli("check", "x**2", "--grad", f"x={formula}", "--at", "x=1")
    assert run.code == 2
    assert run.stderr.strip() == f"error: --grad x: the formula uses {names} no value"


def test_a_wrong_claim_at_a_kink_names_the_derivative_sympy_has_where_the_tape_has_none(cli):
    # d/dx sqrt(x**2) = sign(x): 0 at x = 0 by sympy and by central differences; the
    # tape's chain rule gives 0 * inf there, nan, as PyTorch's does.
    run = cli("check", "sqrt(x**2)", "--grad", "x=1", "--at", "x=0", "--proof-timeout", "0",
              env={"COLUMNS": "200"})
    assert run.code == 1
    assert "1 gives 1 but the derivative is 0 (sympy: sign(x))" in run.stdout
