"""derivative --method: Taylor mode for a pure n-th derivative, nested grad otherwise."""

import json

import numpy as np
import pytest
import sympy

x = sympy.Symbol("x", real=True)


def test_order_20_of_exp_sin_runs_by_taylor_mode_and_matches_sympy(cli):
    doc = cli("derivative", "exp(sin(x))", "--wrt", "x", "--order", "20", "--at", "x=0.7",
              "--json", "--no-check").json()
    want = float(sympy.diff(sympy.exp(sympy.sin(x)), x, 20).subs(x, sympy.Rational(7, 10))
                 .evalf(30))
    assert doc["method"] == "taylor"
    assert doc["derivative"] == pytest.approx(want, rel=1e-10)


def test_a_mixed_partial_runs_by_nested_grad(cli):
    doc = cli("derivative", "x*y", "--wrt", "x", "--wrt", "y", "--at", "x=1", "--at", "y=2",
              "--json").json()
    assert doc["method"] == "nested" and doc["derivative"] == 1.0


def test_a_reduction_runs_by_nested_grad(cli):
    doc = cli("derivative", "sum(x**3)", "--order", "2", "--at", "x=[1, 2]", "--json",
              "--no-check").json()
    # d2/dx2 of sum(x**3) by nested grad: the Jacobian of 3x**2, diag(6x).
    assert doc["method"] == "nested" and doc["derivative"] == [[6.0, 0.0], [0.0, 12.0]]


def test_method_nested_forces_nested_grad(cli):
    doc = cli("derivative", "x**4", "--order", "2", "--at", "x=2", "--method", "nested",
              "--json", "--no-check").json()
    assert doc["method"] == "nested" and doc["derivative"] == 48.0


def test_method_taylor_on_a_mixed_partial_is_bad_input(cli):
    run = cli("derivative", "x*y", "--wrt", "x", "--wrt", "y", "--at", "x=1,y=2",
              "--method", "taylor")
    assert run.code == 2 and "--method nested" in run.stderr


def test_human_output_says_which_method_ran(cli):
    run = cli("derivative", "sin(x)", "--order", "3", "--at", "x=1", "--no-check")
    assert "by Taylor mode" in run.stdout


def test_a_batch_of_points_uses_taylor_mode_per_point(cli, tmp_path):
    points = tmp_path / "p.csv"
    points.write_text("x\n0.5\n1.5\n")
    run = cli("derivative", "sin(x)", "--order", "5", "--points", str(points), "--json")
    docs = [json.loads(line) for line in run.stdout.splitlines()]
    assert [d["method"] for d in docs] == ["taylor", "taylor"]
    np.testing.assert_allclose([d["derivative"] for d in docs], np.cos([0.5, 1.5]), rtol=1e-14)
