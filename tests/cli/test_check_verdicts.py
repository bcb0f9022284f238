"""The check's verdict in JSON and in words: agree only when a witness agreed, "unchecked"
(agree null, exit 0) when none could judge, and the exit status when one disagrees."""

import math

import pytest

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
