"""`hessian --points` and `jacobian --points`: one result per line, against sympy's matrices."""

import csv
import io
import json

import numpy as np
import pytest
import sympy

x, y = sympy.symbols("x y")
HESSIAN_TEXT = "x**2*y + sin(x*y) + y**3"
HESSIAN_TRUTH = sympy.hessian(x**2 * y + sympy.sin(x * y) + y**3, (x, y))
JACOBIAN_TEXTS = ["x*y", "x + exp(y)", "log(x)*y"]
JACOBIAN_TRUTH = sympy.Matrix([x * y, x + sympy.exp(y), sympy.log(x) * y]).jacobian((x, y))
POINTS = [(1.0, 2.0), (0.5, -1.0), (3.0, 0.25)]
NDJSON = "".join(json.dumps({"x": a, "y": b}) + "\n" for a, b in POINTS)


def truth(matrix: sympy.Matrix, a: float, b: float) -> list[list[float]]:
    return [[float(cell) for cell in row] for row in matrix.subs({x: a, y: b}).tolist()]


@pytest.mark.parametrize("check", [[], ["--check"]])
def test_each_line_gets_sympys_hessian_at_its_point(cli, check):
    run = cli("hessian", HESSIAN_TEXT, "--points", "-", "--json", *check, input=NDJSON)
    assert run.code == 0, run.stderr
    docs = run.ndjson()
    assert [d["line"] for d in docs] == [1, 2, 3]
    for doc, (a, b) in zip(docs, POINTS):
        assert doc["variables"] == ["x", "y"]
        np.testing.assert_allclose(doc["hessian"], truth(HESSIAN_TRUTH, a, b), rtol=1e-12)
        assert doc["gradient"]["y"] == pytest.approx(float(a**2 + a * sympy.cos(a * b) + 3 * b**2))
        if check:
            assert doc["check"]["agree"] is True
            assert doc["check"]["symbolic"]["x,y"] == pytest.approx(doc["hessian"][0][1])
        else:
            assert doc["check"] is None


def test_a_batch_line_is_the_single_point_result(cli):
    batch = cli("hessian", HESSIAN_TEXT, "--points", "-", "--json", input=NDJSON).ndjson()
    for doc, (a, b) in zip(batch, POINTS):
        alone = cli("hessian", HESSIAN_TEXT, "--at", f"x={a}", "--at", f"y={b}", "--json",
                    "--no-check").json()
        np.testing.assert_allclose(doc["hessian"], alone["hessian"], rtol=1e-14)


def test_vector_points_go_point_by_point_with_blocks(cli):
    run = cli("hessian", "sum(w**3)", "--points", "-", "--json",
              input='{"w": [1, 2]}\n{"w": [0.5, -3]}\n')
    assert run.code == 0, run.stderr
    first, second = run.ndjson()
    assert first["hessian"] == [[[[6.0, 0.0], [0.0, 12.0]]]]  # diag(6w)
    assert second["hessian"] == [[[[3.0, 0.0], [0.0, -18.0]]]]


@pytest.mark.parametrize("check", [[], ["--check"]])
def test_each_line_gets_sympys_jacobian_at_its_point(cli, check):
    run = cli("jacobian", *JACOBIAN_TEXTS, "--points", "-", "--json", *check, input=NDJSON)
    assert run.code == 0, run.stderr
    for doc, (a, b) in zip(run.ndjson(), POINTS):
        assert doc["expression"] == JACOBIAN_TEXTS
        assert doc["value"] == pytest.approx([a * b, a + float(sympy.exp(b)), float(sympy.log(a)) * b])
        np.testing.assert_allclose(doc["jacobian"], truth(JACOBIAN_TRUTH, a, b), rtol=1e-12)
        assert (doc["check"] is None) == (not check)


@pytest.mark.parametrize("check", [[], ["--check"]])
def test_csv_results_have_one_column_per_cell(cli, tmp_path, check):
    out = tmp_path / "h.csv"
    run = cli("hessian", HESSIAN_TEXT, "--points", "-", "-o", str(out), *check, input=NDJSON)
    assert run.code == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    for row, (a, b) in zip(rows, POINTS):
        cells = [[float(row[f"hessian.{i}.{j}"]) for j in range(2)] for i in range(2)]
        np.testing.assert_allclose(cells, truth(HESSIAN_TRUTH, a, b), rtol=1e-12)
    out = tmp_path / "j.csv"
    assert cli("jacobian", *JACOBIAN_TEXTS, "--points", "-", "-o", str(out), *check,
               input=NDJSON).code == 0
    row = next(csv.DictReader(io.StringIO(out.read_text())))
    assert float(row["value.1"]) == pytest.approx(1 + float(sympy.exp(2)))
    assert float(row["jacobian.2.0"]) == pytest.approx(2.0)  # d(log(x)*y)/dx = y/x at (1, 2)


def test_the_table_names_each_second_partial_once(cli):
    run = cli("hessian", "x**2*y", "--points", "-", input='{"x": 1, "y": 3}\n')
    assert run.code == 0, run.stderr
    header = run.stdout.splitlines()[2]
    assert ["∂²/∂x²" in header, "∂²/∂x∂y" in header, "∂²/∂y∂x" in header] == [True, True, False]
    assert "│ 6 " in run.stdout.replace("  ", " ")  # d2/dx2 = 2y = 6


def test_a_bad_line_is_reported_and_the_others_are_answered(cli):
    run = cli("jacobian", "x*y", "x - y", "--points", "-", "--json",
              input='{"x": 1, "y": 2}\nnot json\n{"x": 2, "y": 5}\n')
    assert run.code == 2
    assert "--points line 2" in run.stderr
    assert [d["jacobian"] for d in run.ndjson()] == [[[2.0, 1.0], [1.0, -1.0]],
                                                     [[5.0, 2.0], [1.0, -1.0]]]


@pytest.mark.parametrize("command", ["grad", "hessian"])
def test_a_checked_batch_of_a_constant_answers_every_line(cli, command):
    run = cli(command, "3", "--points", "-", "--json", "--check", input='{"x": 1}\n{"x": 2}\n')
    assert run.code == 0, run.stderr
    assert [(d["value"], d["check"]) for d in run.ndjson()] == [(3.0, None), (3.0, None)]
