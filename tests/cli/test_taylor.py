"""diffcli taylor: coefficients f^(k)(a)/k! against sympy's series at 30 digits."""

import math

import pytest
import sympy

x = sympy.Symbol("x", real=True)


def sympy_coefficients(f, at: float, order: int) -> list[float]:
    """f^(k)(at)/k! from sympy's exact derivatives at 30 digits (its series at order 20
    takes minutes)."""
    out = []
    for k in range(order + 1):
        out.append(float((f.subs(x, sympy.Rational(str(at))) / math.factorial(k)).evalf(30)))
        f = sympy.diff(f, x)
    return out


@pytest.mark.parametrize(("text", "f"), [
    ("exp(sin(x))", sympy.exp(sympy.sin(x))),
    ("log(1+x**2)", sympy.log(1 + x**2)),
    ("atan(x)", sympy.atan(x)),
    ("x**7.5", x ** sympy.Rational(15, 2)),
    ("sigmoid(x)", 1 / (1 + sympy.exp(-x))),
])
def test_order_20_coefficients_match_sympy_to_1e_10(cli, text, f):
    doc = cli("taylor", text, "--at", "x=0.7", "--order", "20", "--json", "--no-check").json()
    want = sympy_coefficients(f, 0.7, 20)
    assert list(doc) == ["expression", "at", "value", "order", "coefficients", "check"]
    assert doc["order"] == 20 and doc["value"] == doc["coefficients"][0]
    for k, (got, w) in enumerate(zip(doc["coefficients"], want, strict=True)):
        assert abs(got - w) <= 1e-10 * abs(w) + 1e-300, k


def test_check_agrees_with_sympys_series(cli):
    doc = cli("taylor", "exp(sin(x))", "--at", "x=0.7", "--order", "5", "--json").json()
    assert doc["check"]["agree"] is True and doc["check"]["skipped"] is None
    assert doc["check"]["symbolic"] == pytest.approx(doc["coefficients"], rel=1e-10)


def test_other_variables_are_held_at_their_values(cli):
    doc = cli("taylor", "exp(x)*y", "--wrt", "x", "--at", "x=0,y=3", "--order", "4",
              "--json").json()
    assert doc["coefficients"] == pytest.approx([3 / math.factorial(k) for k in range(5)],
                                                rel=1e-15)


def test_poly_gives_the_polynomial_text(cli):
    doc = cli("taylor", "x**3 + 2*x", "--at", "x=1", "--order", "3", "--poly", "--json",
              "--no-check").json()
    # (1 + h)**3 + 2 (1 + h) = 3 + 5h + 3h**2 + h**3, worked by hand.
    assert doc["coefficients"] == [3.0, 5.0, 3.0, 1.0]
    assert doc["polynomial"] == "3 + 5*(x - 1) + 3*(x - 1)**2 + 1*(x - 1)**3"


def test_a_reduction_is_bad_input(cli):
    run = cli("taylor", "sum(x)", "--at", "x=0.5")
    assert run.code == 2 and "elementwise" in run.stderr


POINTS = [0.7, 0.0, -1.5, 2.25]


def write_points(tmp_path):
    path = tmp_path / "p.ndjson"
    path.write_text("".join(f'{{"x": {v}}}\n' for v in POINTS))
    return str(path)


def test_points_run_in_one_taylor_pass_and_match_sympy_at_each_point(cli, tmp_path,
                                                                      monkeypatch):
    from diffcli.expr import taylor as taylor_mode

    calls = []
    original = taylor_mode.coefficients
    monkeypatch.setattr(taylor_mode, "coefficients",
                        lambda *args: calls.append(args) or original(*args))
    docs = cli("taylor", "exp(sin(x))", "--order", "6", "--points", write_points(tmp_path),
               "--json").ndjson()
    assert len(calls) == 1  # all points in one vectorised pass
    assert [d["line"] for d in docs] == [1, 2, 3, 4]
    for doc, at in zip(docs, POINTS, strict=True):
        assert doc["at"] == {"x": at} and doc["order"] == 6
        want = sympy_coefficients(sympy.exp(sympy.sin(x)), at, 6)
        assert doc["coefficients"] == pytest.approx(want, rel=1e-12, abs=1e-15)
        assert doc["value"] == doc["coefficients"][0]


def test_checked_points_run_one_by_one_and_agree_with_the_vectorised_pass(cli, tmp_path):
    source = write_points(tmp_path)
    fast = cli("taylor", "log(1+x**2)", "--order", "4", "--poly", "--points", source,
               "--json").ndjson()
    checked = cli("taylor", "log(1+x**2)", "--order", "4", "--poly", "--points", source,
                  "--check", "--json").ndjson()
    for a, b in zip(fast, checked, strict=True):
        assert a["coefficients"] == pytest.approx(b["coefficients"], rel=1e-15)
        assert a["polynomial"] == b["polynomial"]
        assert b["check"]["agree"] is True and a["check"] is None


def test_points_written_to_csv_give_one_column_per_coefficient(cli, tmp_path):
    out = tmp_path / "out.csv"
    run = cli("taylor", "exp(x)", "--order", "2", "--points", write_points(tmp_path),
              "--output", str(out))
    assert run.code == 0
    header, *rows = out.read_text().splitlines()
    assert header.split(",") == ["at.x", "value", "order", "coefficients.0",
                                 "coefficients.1", "coefficients.2", "line"]
    for row, at in zip(rows, POINTS, strict=True):
        c = [float(v) for v in row.split(",")[3:6]]
        assert c == pytest.approx([math.exp(at), math.exp(at), math.exp(at) / 2], rel=1e-15)


def test_a_derivative_past_170_factorial_is_written_as_null_with_a_warning(cli):
    run = cli("derivative", "exp(x)", "--order", "200", "--at", "x=0.7", "--json", "--no-check")
    assert run.code == 0 and run.json()["derivative"] is None
    assert "derivative (nan) is not finite" in run.stderr


def test_a_taylor_check_past_its_budget_says_why_it_was_skipped(cli):
    doc = cli("taylor", "exp(sin(x))", "--at", "x=0.7", "--order", "40", "--check-timeout", "0.5",
              "--json").json()
    assert doc["check"]["agree"] is None
    assert doc["check"]["skipped"] == ("skipped: timed out (40 exact derivatives take sympy "
                                       "more than 0.5 s)")
    assert len(doc["coefficients"]) == 41
