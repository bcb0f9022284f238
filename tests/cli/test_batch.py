"""`--points`: NDJSON and CSV, input order, bad lines by number, --strict, vectors."""

import json

import pytest

from diffcli.cli.points import read_points


def _parse_value(text):
    raise ValueError("not a number")


def test_ndjson_batch_in_order_with_gradients_by_hand(cli):
    points = [(0.5, -1.0), (2.0, 3.0), (-1.5, 0.25)]
    text = "".join(json.dumps({"x": a, "y": b}) + "\n" for a, b in points)
    run = cli("grad", "x**3 + y**2", "--points", "-", "--json", input=text)
    assert run.code == 0 and run.stderr == ""
    docs = run.ndjson()
    assert [d["line"] for d in docs] == [1, 2, 3]
    for doc, (a, b) in zip(docs, points):
        assert doc["at"] == {"x": a, "y": b}
        assert doc["gradient"] == pytest.approx({"x": 3 * a**2, "y": 2 * b})
        assert doc["value"] == pytest.approx(a**3 + b**2)


def test_a_bad_line_is_reported_by_number_and_the_others_still_run(cli):
    text = '{"x": 1, "y": 2}\n{"x": 2}\nnot json\n{"x": "pi", "y": 1}\n{"x": true, "y": 1}\n'
    run = cli("grad", "x*y", "--points", "-", "--json", input=text)
    assert run.code == 2
    docs = run.ndjson()
    assert [d["line"] for d in docs] == [1, 4]
    assert docs[1]["gradient"]["y"] == pytest.approx(3.141592653589793)
    assert "line 2: no value for 'y'" in run.stderr
    assert "line 3: not valid JSON" in run.stderr
    assert "line 5:" in run.stderr


def test_strict_stops_at_the_first_bad_line(cli):
    run = cli("grad", "x*y", "--points", "-", "--json", "--strict",
              input='{"x": 1, "y": 2}\n{"x": 2}\n{"x": 1}\n')
    assert run.code == 2 and run.stdout == ""
    assert "line 2" in run.stderr and "line 3" not in run.stderr


def test_csv_with_header_counts_the_header_as_line_1(cli, tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x,y\n1,2\n3\n4,5\n")
    run = cli("grad", "x*y", "--points", str(path), "--json")
    assert run.code == 2
    docs = run.ndjson()
    assert [(d["line"], d["gradient"]["x"]) for d in docs] == [(2, 2.0), (4, 5.0)]
    assert "line 3: 1 fields but the header has 2" in run.stderr


def test_at_values_hold_for_every_point(cli):
    run = cli("grad", "x*y", "--at", "y=10", "--points", "-", "--json",
              input='{"x": 1}\n{"x": 2}\n')
    assert [d["gradient"] for d in run.ndjson()] == [{"x": 10.0, "y": 1.0},
                                                     {"x": 10.0, "y": 2.0}]


def test_vector_points_with_a_reduction_run_point_by_point(cli):
    run = cli("grad", "sum(x**2)", "--points", "-", "--json",
              input='{"x": [1, 2]}\n{"x": [3, 4]}\n')
    assert [d["gradient"]["x"] for d in run.ndjson()] == [[2.0, 4.0], [6.0, 8.0]]


def test_non_finite_in_a_batch_is_null_with_the_line_named(cli):
    run = cli("grad", "log(x)", "--points", "-", "--json", input='{"x": 1}\n{"x": 0}\n')
    docs = run.ndjson()
    assert docs[0]["gradient"]["x"] == 1.0 and docs[1]["gradient"]["x"] is None
    assert "line 2: gradient.x (inf) is not finite" in run.stderr


def test_batch_check_uses_the_verifier_per_point(cli):
    run = cli("grad", "sin(x)", "--points", "-", "--json", "--check", input='{"x": 1}\n')
    assert run.ndjson()[0]["check"]["agree"] is True


def test_missing_points_file_is_bad_input(cli):
    run = cli("grad", "x", "--points", "/nonexistent/points.ndjson", "--json")
    assert run.code == 2 and "cannot read" in run.stderr


def test_reader_rejects_ragged_vectors_and_mismatched_shapes():
    read = read_points('{"x": [1, 2]}\n{"x": [1, [2]]}\n{"x": [1, 2, 3]}\n', ["x"], _parse_value)
    assert read.line_numbers == [1]
    assert [n for n, _ in read.bad] == [2, 3]
    assert "shape" in read.bad[1][1]


def test_derivative_batch_matches_sympy_point_by_point_and_skips_a_bad_line(cli):
    import sympy

    s = sympy.Symbol("x")
    third = sympy.diff(sympy.exp(sympy.sin(s)), s, 3)
    text = '{"x": 0.5}\n{"x": 1}\n{"x": "oops"}\n{"x": -2}\n'
    run = cli("derivative", "exp(sin(x))", "--wrt", "x", "--order", "3", "--points", "-",
              "--json", input=text)
    assert run.code == 2 and "line 3" in run.stderr
    docs = run.ndjson()
    assert [d["line"] for d in docs] == [1, 2, 4]
    for doc, x in zip(docs, [0.5, 1.0, -2.0], strict=True):
        assert doc["wrt"] == ["x", "x", "x"]
        assert doc["derivative"] == pytest.approx(float(third.subs(s, x)), rel=1e-12)


def test_derivative_batch_with_check_judges_every_point(cli):
    run = cli("derivative", "x**2 * y**3", "--wrt", "x", "--wrt", "y", "--points", "-", "--json",
              "--check", input="x,y\n1,2\n3,-1\n")
    assert run.code == 0
    docs = run.ndjson()
    # d2/dxdy x**2 y**3 = 6 x y**2, worked by hand.
    assert [d["derivative"] for d in docs] == pytest.approx([24.0, 18.0])
    assert all(d["check"]["agree"] for d in docs)


def _keys(doc):
    """The shape of a document: its keys, nested, without the numbers."""
    if isinstance(doc, dict):
        return {key: _keys(value) for key, value in doc.items()}
    if isinstance(doc, list):
        return [_keys(item) for item in doc]
    return None


def test_a_checked_batch_writes_each_point_as_its_one_point_check_would(cli):
    # log(x) has a pole at 0 (undefined), relu a kink at 1 (convention); 0.7 is ordinary.
    expr = "x**3*y + log(x) + relu(x - 1)"
    points = [(0.7, 2.0), (0.0, 1.0), (1.0, -0.5)]
    text = "".join(json.dumps({"x": a, "y": b}) + "\n" for a, b in points)
    run = cli("grad", expr, "--points", "-", "--json", "--check", input=text)
    assert run.code == 0
    docs = run.ndjson()
    for doc, (a, b) in zip(docs, points, strict=True):
        alone = cli("grad", expr, "--at", f"x={a},y={b}", "--json").json()
        assert _keys(doc) == {**_keys(alone), "line": None}
        assert [c["status"] for c in doc["check"]["components"]] == \
            [c["status"] for c in alone["check"]["components"]]
        assert doc["check"]["agree"] == alone["check"]["agree"]
    # d/dx at (0.7, 2) by hand: 3 x^2 y + 1/x (relu is flat below its kink).
    assert docs[0]["check"]["symbolic"]["x"] == pytest.approx(3 * 0.49 * 2 + 1 / 0.7, rel=1e-12)
    assert [c["status"] for c in docs[1]["check"]["components"]] == ["undefined", "match"]
    assert docs[2]["check"]["components"][0]["status"] == "convention"
