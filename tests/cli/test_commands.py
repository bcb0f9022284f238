"""derivative, hessian, jacobian, check, symbolic, graph: JSON against sympy, exit statuses."""

import json
import re

import numpy as np
import pytest
import sympy

x, y = sympy.symbols("x y")


def _value(expr, **point):
    return float(expr.subs({sympy.Symbol(k): v for k, v in point.items()}))


def test_nth_derivative_matches_sympy(cli):
    f = sympy.exp(sympy.sin(x))
    doc = cli("derivative", "exp(sin(x))", "--wrt", "x", "--order", "3", "--at", "x=0.5",
              "--json").json()
    assert doc["wrt"] == ["x", "x", "x"] and doc["check"]["agree"] is True
    assert doc["derivative"] == pytest.approx(_value(sympy.diff(f, x, 3), x=0.5), rel=1e-12)


def test_mixed_partial_matches_sympy(cli):
    f = sympy.sin(x) * y**2
    doc = cli("derivative", "sin(x)*y**2", "--wrt", "x", "--wrt", "y", "--at", "x=1", "--at",
              "y=2", "--json", "--no-check").json()
    assert doc["derivative"] == pytest.approx(_value(sympy.diff(f, x, y), x=1, y=2))


def test_order_with_several_wrt_is_bad_input(cli):
    run = cli("derivative", "x*y", "--wrt", "x", "--wrt", "y", "--order", "2", "--at", "x=1,y=1")
    assert run.code == 2 and "--order" in run.stderr


def test_hessian_matches_sympy(cli):
    f = x**2 * y + y**3 + sympy.cos(x * y)
    doc = cli("hessian", "x**2*y + y**3 + cos(x*y)", "--at", "x=1", "--at", "y=2",
              "--json").json()
    assert doc["variables"] == ["x", "y"] and doc["check"]["agree"] is True
    truth = sympy.hessian(f, (x, y)).subs({x: 1, y: 2})
    np.testing.assert_allclose(doc["hessian"], np.array(truth, dtype=float), rtol=1e-12)
    assert doc["gradient"]["y"] == pytest.approx(_value(sympy.diff(f, y), x=1, y=2))


def test_jacobian_matches_sympy(cli):
    rows = [x * y, x + sympy.sin(y)]
    doc = cli("jacobian", "x*y", "x + sin(y)", "--at", "x=1", "--at", "y=2", "--json").json()
    truth = sympy.Matrix(rows).jacobian([x, y]).subs({x: 1, y: 2})
    np.testing.assert_allclose(doc["jacobian"], np.array(truth, dtype=float), rtol=1e-12)
    assert doc["value"] == pytest.approx([2.0, 1 + float(sympy.sin(2))])


def test_check_catches_a_wrong_component_and_exits_1(cli):
    run = cli("check", "x**3 + y**2", "--grad", "x=3*x**2", "--grad", "y=0", "--at", "x=2",
              "--at", "y=3", "--json")
    assert run.code == 1
    doc = run.json()
    assert doc["ok"] is False
    by_wrt = {c["wrt"]: c for c in doc["components"]}
    assert by_wrt["x"]["ok"] is True and by_wrt["y"]["ok"] is False
    assert by_wrt["y"]["autograd"] == pytest.approx(6.0)  # 2y at y=3
    assert set(by_wrt["y"]) >= {"wrt", "claimed", "claimed_value", "autograd", "symbolic", "ok"}


def test_check_catches_a_formula_right_only_at_the_given_point(cli):
    # 12 is 3x^2 at x=2, but not elsewhere: the random points must expose it.
    run = cli("check", "x**3", "--grad", "x=12", "--at", "x=2", "--json")
    assert run.code == 1 and run.json()["components"][0]["disagree_at"]


def test_check_passes_right_formulas(cli):
    run = cli("check", "x**3 + y**2", "--grad", "x=3*x**2,y=2*y", "--at", "x=2,y=3")
    assert run.code == 0 and "WRONG" not in run.stdout


def test_check_formula_error_is_in_caret_form(cli):
    run = cli("check", "x**2", "--grad", "x=2x", "--at", "x=1")
    assert run.code == 2 and "2*x" in run.stderr and "^" in run.stderr


def test_symbolic_gives_sympys_derivative(cli):
    doc = cli("symbolic", "sin(x)*exp(-y**2)", "--wrt", "y", "--latex", "--json").json()
    assert doc["derivative"]["y"] == str(sympy.diff(sympy.sin(x) * sympy.exp(-y**2), y))
    assert "e^{" in doc["latex"]["y"]


def test_graph_json_carries_the_chain_rule(cli):
    doc = cli("graph", "sin(x)*y + x", "--at", "x=1", "--at", "y=2", "--json").json()
    nodes = {n["text"]: n for n in doc["nodes"]}
    f = sympy.sin(x) * y + x
    assert nodes["x"]["grad"] == pytest.approx(_value(sympy.diff(f, x), x=1, y=2))
    assert nodes["y"]["grad"] == pytest.approx(float(sympy.sin(1)))
    assert nodes["sin(x)"]["grad"] == pytest.approx(2.0)  # d out / d sin(x) = y
    assert nodes["sin(x)*y + x"]["grad"] == 1.0
    assert len(doc["edges"]) == 5  # x feeds sin and +; sin and y feed *; * feeds +


def test_graph_dot_and_tree(cli):
    dot = cli("graph", "x*x", "--at", "x=3", "--format", "dot")
    assert dot.code == 0 and dot.stdout.startswith("digraph") and "grad=6" in dot.stdout
    tree = cli("graph", "x*x", "--at", "x=3")
    assert tree.code == 0 and "MulBackward" in tree.stdout and "grad=6" in tree.stdout


def test_graph_without_values_shows_the_structure(cli):
    doc = json.loads(cli("graph", "x + 1", "--format", "json").stdout)
    assert [n["op"] for n in doc["nodes"]] == ["variable", "constant", "+"]
    assert all(n["value"] is None for n in doc["nodes"])


def test_graph_format_is_checked(cli):
    assert cli("graph", "x", "--format", "png").code == 2


@pytest.mark.parametrize(("args", "label", "by_hand"), [
    (("x**3", "--wrt", "x", "--order", "2", "--at", "x=1"), "∂²/∂x²", "6"),  # 6x
    (("x**3*y", "--wrt", "x", "--wrt", "x", "--wrt", "y", "--at", "x=2,y=5"), "∂³/∂x²∂y", "12"),
    (("x*y", "--wrt", "x", "--wrt", "y", "--at", "x=2,y=5"), "∂²/∂x∂y", "1"),
    (("x**12", "--wrt", "x", "--order", "12", "--at", "x=1", "--no-check"), "∂¹²/∂x¹²",
     "479001600"),  # 12!
])
def test_derivative_label_in_leibniz_notation(cli, args, label, by_hand):
    run = cli("derivative", *args, env={"COLUMNS": "120"})
    assert run.code == 0
    assert re.search(rf"^\s*{label}\s+{by_hand}\s*$", run.stdout, re.M), run.stdout


def test_tables_never_cut_numbers_on_an_80_column_terminal(cli):
    run = cli("check", "x**3 * y + sin(y)", "--grad", "x=3*x**2*y", "--grad", "y=x**3 + sin(y)",
              "--at", "x=1.5", "--at", "y=0.5", env={"COLUMNS": "80"})
    assert run.code == 1 and "…" not in run.stdout
    assert all(len(line) <= 80 for line in run.stdout.splitlines() if "│" in line)
    right = f"{1.5**3 + np.cos(0.5):.12g}"  # d/dy = x^3 + cos(y), by hand
    row = next(line for line in run.stdout.splitlines() if line.startswith("│ y"))
    assert row.count(right) == 2  # autograd and sympy columns, every digit
    # The explanation is prose: one line, for the terminal to wrap.
    assert any(line.startswith("∂/∂y is wrong") and line.endswith("of the points tried")
               for line in run.stdout.splitlines())


def test_a_table_too_narrow_for_whole_numbers_is_folded_into_records(cli):
    run = cli("jacobian", "x*y", "exp(x)*cos(y)", "--at", "x=1.123456,y=2.2", "--no-check",
              env={"COLUMNS": "24"})
    assert run.code == 0 and "…" not in run.stdout
    lines = [line.split() for line in run.stdout.splitlines()]
    # Row 2's record: its expression, then each partial whole on its own line, by hand.
    at = lines.index(["exp(x)*cos(y)"])
    assert lines[at + 1] == ["x", f"{np.exp(1.123456) * np.cos(2.2):.12g}"]
    assert lines[at + 2] == ["y", f"{-np.exp(1.123456) * np.sin(2.2):.12g}"]


@pytest.mark.parametrize("columns", ["20", "40", "80"])
def test_a_batch_table_wider_than_the_terminal_never_breaks_a_number(cli, columns):
    text = '{"x": -0.309196080171, "y": 2.55123456789}\n'
    run = cli("grad", "x*y*sin(x) + x", "--points", "-", input=text, env={"COLUMNS": columns})
    assert run.code == 0, run.stderr
    x, y = -0.309196080171, 2.55123456789
    by_hand = [x * y * np.sin(x) + x, y * np.sin(x) + x * y * np.cos(x) + 1, x * np.sin(x)]
    shown = run.stdout.split()
    assert all(f"{v:.12g}" in shown for v in by_hand), run.stdout


def test_a_batch_of_many_points_is_written_as_plain_lines(cli):
    text = "".join(f'{{"x": {i}}}\n' for i in range(1500))
    run = cli("grad", "x**2", "--points", "-", input=text, env={"COLUMNS": "80"})
    assert run.code == 0 and "plain tab-separated lines" in run.stderr
    lines = run.stdout.splitlines()
    assert lines[1].split("\t") == ["line", "x", "value", "∂/∂x"]
    assert lines[2 + 1499].split("\t") == ["1500", "1499", str(1499**2), str(2 * 1499)]


def test_check_note_names_the_witness_that_judged(cli):
    run = cli("grad", "relu(x)*y", "--at", "x=0,y=2", env={"COLUMNS": "80"})
    note = run.stdout.splitlines()[-1]
    assert note.startswith("check: autograd agrees with sympy")
    # relu'(0)*y: sympy's Heaviside(0)*2 = 1 against PyTorch's 0, said as the convention
    assert "subgradient convention" in note and "(x: autograd 0, sympy 1)" in note
    assert "max error: abs 0, rel 0" in note  # the convention is not an error
    timed_out = cli("grad", "x**2", "--at", "x=1", "--check-timeout", "0")
    assert re.fullmatch(r"check: autograd agrees with finite differences \(max error: abs \S+, "
                        r"rel \S+\); sympy skipped: timed out", timed_out.stdout.splitlines()[-1])


def test_symbolic_stops_at_the_check_timeout(cli):
    huge = "*".join(f"sin(x + {i}*y)" for i in range(1, 300))  # sympy needs ~20 s for it
    run = cli("symbolic", huge, "--wrt", "x", "--check-timeout", "0.2", "--json")
    assert run.code == 0 and "skipped: timed out" in run.stderr
    assert run.json()["derivative"] == {"x": None}
