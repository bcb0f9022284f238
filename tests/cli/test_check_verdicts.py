"""The check's verdict in JSON and in words: agree only when a witness agreed, "unchecked"
(agree null, exit 0) when none could judge, and the exit status when one disagrees."""

import math

import pytest

from .helpers import run_process

# sin(3000 x) turns within the difference step, so finite differences give no estimate;
# with no time for sympy no witness is left.
UNJUDGEABLE = ("grad", "sin(3000*x) + x", "--at", "x=0.3", "--check-timeout", "0")


def test_a_check_no_witness_could_judge_is_null_in_json_and_exits_0(cli):
    run = cli(*UNJUDGEABLE, "--json")
    check = run.json()["check"]
    assert run.code == 0 and check["agree"] is None
    assert [c["status"] for c in check["components"]] == ["unchecked"]
    assert run.json()["gradient"]["x"] == pytest.approx(3000 * math.cos(900.0) + 1, rel=1e-12)


def test_differences_through_a_reduction_that_do_not_settle_are_no_false_alarm(cli):
    # The same oscillation inside sum(): each element is stepped on its own and must
    # settle as a scalar's differences must; unsettled, they are no witness.
    run = cli("grad", "sum(sin(3000*x))", "--at", "x=[0.3,0.4]", "--check-timeout", "0",
              "--json")
    check = run.json()["check"]
    assert run.code == 0 and check["agree"] is None
    assert check["finite_difference"] == {"x": [None, None]}
    assert run.json()["gradient"]["x"] == pytest.approx(
        [3000 * math.cos(900.0), 3000 * math.cos(1200.0)], rel=1e-12)


def test_a_check_no_witness_could_judge_says_unchecked_not_agrees(cli):
    run = cli(*UNJUDGEABLE)
    assert run.code == 0
    (note,) = [line for line in run.stdout.splitlines() if line.startswith("check:")]
    assert note.startswith("check: unchecked") and "agrees" not in note and "DISAGREES" not in note


def test_log2_is_checked_as_agreeing_with_sympy(cli):
    # d/dx log2(x) at 2 = 1 / (2 ln 2); a wrong sympy translation made this exit 1.
    run = cli("grad", "log2(x)", "--at", "x=2", "--json")
    doc = run.json()
    assert run.code == 0 and doc["check"]["agree"] is True
    assert doc["check"]["symbolic"]["x"] == pytest.approx(1 / (2 * math.log(2)), rel=1e-15)


def test_an_autograd_nan_where_the_function_is_constant_is_a_mismatch_said_plainly(cli):
    # -x**(x - x) is -1 near x = -1, so its derivative is 0 (sympy, and the differences of
    # a constant); reverse mode's exponent term log(x) * 0 is nan at x < 0, as in PyTorch.
    doc = cli("grad", "--at", "x=-1", "--json", "--", "-x**(x - x)").json()
    assert doc["value"] == -1.0 and doc["gradient"] == {"x": None}
    check = doc["check"]
    assert check["agree"] is False
    (component,) = check["components"]
    assert component["status"] == "mismatch" and component["autograd"] is None
    assert component["symbolic"] == 0.0 and component["finite_difference"] == 0.0
    assert component["agrees"] == {"symbolic": False, "finite_difference": False}
    run = run_process("grad", "-x**(x - x)", "--at", "x=-1", env={"COLUMNS": "120"})
    assert run.code == 1
    note, *lines = [line for line in run.stdout.splitlines() if "check:" in line or ": autograd" in line]
    assert note == "check: autograd DISAGREES with sympy and with finite differences for x"
    assert lines == ["  x: autograd gives not finite, sympy 0"]


def _check(*components: tuple[str, str, bool | None, bool | None]) -> dict:
    """A check's JSON as judging writes it, from (name, status, agrees with sympy, with the
    differences) per component."""
    return {"agree": all(status != "mismatch" for _, status, _, _ in components),
            "symbolic": {name: 1.0 for name, *_ in components},
            "finite_difference": {name: 1.0 for name, *_ in components},
            "components": [{"name": name, "status": status, "autograd": 1.0, "symbolic": 1.0,
                            "finite_difference": 1.0,
                            "agrees": {"symbolic": s, "finite_difference": f}}
                           for name, status, s, f in components],
            "closed_form": {}, "skipped": None, "max_abs_error": 0.0, "max_rel_error": 0.0}


@pytest.mark.parametrize(("components", "said"), [
    ([("x", "match", True, True)], "agrees with sympy (max error: abs 0, rel 0) and with "
                                   "finite differences"),
    ([("x", "match", True, True), ("y", "match", True, False)],
     "agrees with sympy (max error: abs 0, rel 0); finite differences, an estimate, differ "
     "from sympy for y"),
    ([("x", "mismatch", False, False), ("y", "match", True, True)],
     "DISAGREES with sympy and with finite differences for x"),
    ([("x", "mismatch", False, True), ("y", "mismatch", False, False)],
     "DISAGREES with sympy and with finite differences for y; finite differences, an "
     "estimate, differ from sympy for x"),
])
def test_the_note_says_where_finite_differences_side_with_sympy_and_where_not(components, said):
    from diffcli.cli.output import check_notes

    assert check_notes(_check(*components))[0] == f"check: autograd {said}"
