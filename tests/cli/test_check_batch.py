"""`check --points`: each line's claims judged at that line's point, with the keys of a
one-point check; the truth is the derivative worked by hand."""

import json
import math

import pytest

POINTS = [(0.5, -1.0), (2.0, 1.0), (-1.5, 0.25), (3.0, 1.0)]
TEXT = "".join(json.dumps({"x": a, "y": b}) + "\n" for a, b in POINTS)


def _docs(run):
    return [json.loads(line) for line in run.stdout.splitlines()]


def test_right_claims_are_proven_once_and_judged_at_every_line(cli):
    # d/dx x**2*y = 2xy and d/dy = x**2, worked by hand at each point.
    run = cli("check", "x**2*y", "--grad", "x=2*x*y", "--grad", "y=x**2", "--points", "-",
              "--json", "--proof-timeout", "30", input=TEXT)
    assert run.code == 0
    docs = _docs(run)
    assert [d["line"] for d in docs] == [1, 2, 3, 4]
    for doc, (x, y) in zip(docs, POINTS):
        assert doc["at"] == {"x": x, "y": y} and doc["ok"] is True
        dx, dy = doc["components"]
        assert dx["claimed_value"] == pytest.approx(2 * x * y, rel=1e-15)
        assert dx["autograd"] == pytest.approx(2 * x * y, rel=1e-15)
        assert dy["symbolic"] == pytest.approx(x**2, rel=1e-15)
        assert (dx["verdict"], dy["verdict"], dx["points"]) == ("proven", "proven", 1)
        assert dx["disagree_at"] == [] and dx["counterexample"] is None


def test_a_claim_right_only_where_y_is_1_is_wrong_on_the_other_lines_and_exits_1(cli):
    # 2x is d/dx x**2*y only where y = 1: lines 2 and 4.
    run = cli("check", "x**2*y", "--grad", "x=2*x", "--points", "-", "--json", input=TEXT)
    assert run.code == 1
    docs = _docs(run)
    assert [d["ok"] for d in docs] == [False, True, False, True]
    for doc, (x, y) in zip(docs, POINTS):
        (dx,) = doc["components"]
        assert dx["verdict"] == ("agrees" if y == 1 else "wrong")
        if y != 1:
            assert dx["disagree_at"] == [{"x": x, "y": y}]
            assert dx["counterexample"]["claimed"] == pytest.approx(2 * x)
            assert dx["counterexample"]["autograd"] == pytest.approx(2 * x * y)
    assert docs[0]["unchecked"] == ["y"]


def test_a_wrong_lines_mistake_is_named(cli):
    run = cli("check", "x**2*y", "--grad", "x=4*x*y", "--points", "-", "--json", input=TEXT)
    assert run.code == 1
    for doc in _docs(run):
        (dx,) = doc["components"]
        assert dx["verdict"] == "wrong"
        assert (dx["mistake"]["kind"], dx["mistake"]["factor"]) == ("factor", 2.0)


def test_a_batch_of_vectors_through_a_reduction_gives_one_point_checks_documents(cli):
    # sum() mixes each line's entries, so each line is its own tape, judged at its point
    # alone, as `check --at` judges its given point (then also at random ones).
    lines = [[1.5, -2.0], [0.5, 3.0]]
    text = "".join(json.dumps({"x": x}) + "\n" for x in lines)
    args = ("check", "sum(x**3)", "--grad", "x=3*x**2", "--json")
    run = cli(*args, "--points", "-", input=text)
    assert run.code == 0
    for doc, x in zip(_docs(run), lines):
        (dx,) = doc["components"]
        assert dx["autograd"] == pytest.approx([3 * v**2 for v in x], rel=1e-15)
        (alone,) = cli(*args, "--at", f"x={x}").json()["components"]
        assert (dx["points"], alone["points"]) == (1, 4)
        for key in ("claimed_value", "autograd", "symbolic", "verdict", "proof_tried"):
            assert dx[key] == alone[key], key


def test_the_point_by_point_path_proves_an_elementwise_claim(cli):
    # x is a vector on each line: one tape per line, and the claim is proven.
    text = '{"x": [1.0, 2.0]}\n{"x": [-1.0, 0.5]}\n'
    run = cli("check", "x**3", "--grad", "x=3*x**2", "--points", "-", "--json",
              "--proof-timeout", "30", input=text)
    assert run.code == 0
    assert [d["components"][0]["verdict"] for d in _docs(run)] == ["proven", "proven"]
    assert _docs(run)[1]["components"][0]["autograd"] == pytest.approx([3.0, 0.75])


def test_a_bad_line_is_named_and_the_others_are_judged(cli):
    text = '{"x": 1, "y": 2}\n{"y": 1}\n{"x": 3, "y": 1}\n'
    run = cli("check", "x*y", "--grad", "x=y", "--points", "-", "--json", input=text)
    assert run.code == 2
    assert "--points line 2: no value for 'x'" in run.stderr
    assert [(d["line"], d["ok"]) for d in _docs(run)] == [(1, True), (3, True)]


def test_a_batch_for_people_is_one_table_with_the_verdicts(cli):
    run = cli("check", "x**2*y", "--grad", "x=2*x", "--points", "-", input=TEXT,
              env={"COLUMNS": "200"})
    assert run.code == 1
    rows = [line.split("│")[1:-1] for line in run.stdout.splitlines() if line.startswith("│")]
    assert [cells[0].strip() for cells in rows] == ["1", "2", "3", "4"]
    assert [cells[-1].strip() for cells in rows] == ["WRONG", "agrees", "WRONG", "agrees"]
    # The derivative column: 2xy at line 1 is -1.
    assert math.isclose(float(rows[0][-2]), 2 * 0.5 * -1.0)
