"""diffcli.batch: derivatives over columns of points, against formulas worked by hand."""

import subprocess
import sys

import numpy as np
import pytest

from diffcli import batch

X = np.linspace(-2.0, 3.0, 41)
Y = np.linspace(0.5, 4.0, 41)


def test_grad_matches_hand_derived_partials_at_every_point():
    got = batch.grad("x**3 * y + sin(y)", x=X, y=Y)
    assert list(got) == ["x", "y"]
    np.testing.assert_allclose(got["x"], 3 * X**2 * Y, rtol=1e-14)
    np.testing.assert_allclose(got["y"], X**3 + np.cos(Y), rtol=1e-14, atol=1e-15)


def test_scalar_column_is_repeated_for_every_point_not_summed():
    got = batch.grad("x * y", x=X, y=2.0)
    assert got["y"].shape == X.shape
    np.testing.assert_array_equal(got["y"], X)
    np.testing.assert_array_equal(got["x"], np.full_like(X, 2.0))


def test_value_is_the_expression_at_each_point():
    np.testing.assert_allclose(batch.value("exp(x) - y", x=X, y=Y), np.exp(X) - Y, rtol=1e-15)


def test_derivative_of_order_three_matches_the_hand_derived_one():
    got = batch.derivative("x**4 * y", "x", order=3, x=X, y=Y)
    np.testing.assert_allclose(got, 24 * X * Y, rtol=1e-13)


def test_derivative_with_a_list_is_a_mixed_partial():
    got = batch.derivative("sin(x) * y**2", ["x", "y"], x=X, y=Y)
    np.testing.assert_allclose(got, 2 * Y * np.cos(X), rtol=1e-14)


def test_hessian_entries_match_hand_derived_second_partials():
    h = batch.hessian("x**2 * y + y**3", x=X, y=Y)
    np.testing.assert_allclose(h["x"]["x"], 2 * Y, rtol=1e-14)
    np.testing.assert_allclose(h["x"]["y"], 2 * X, rtol=1e-14)
    np.testing.assert_allclose(h["y"]["x"], 2 * X, rtol=1e-14)
    np.testing.assert_allclose(h["y"]["y"], 6 * Y, rtol=1e-14)


def test_hessian_of_a_linear_expression_is_zero_with_the_points_shape():
    h = batch.hessian("3*x - y", x=X, y=Y)
    for row in h.values():
        for entry in row.values():
            np.testing.assert_array_equal(entry, np.zeros_like(X))


def test_grad_agrees_with_central_differences():
    text = "atan2(y, x) * exp(-x*y/4)"
    h = 1e-6
    got = batch.grad(text, x=X, y=Y)
    fd = (batch.value(text, x=X + h, y=Y) - batch.value(text, x=X - h, y=Y)) / (2 * h)
    np.testing.assert_allclose(got["x"], fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("text", ["sum(x)", "x@y", "trace(x)"])
def test_an_expression_that_mixes_entries_is_refused_because_points_would_mix(text):
    with pytest.raises(ValueError, match="mixes entries .* elementwise"):
        batch.grad(text, x=X, y=X)


def test_missing_and_unknown_columns_are_named():
    with pytest.raises(ValueError, match="no column for y; z not in the expression"):
        batch.grad("x * y", x=X, z=Y)


def test_columns_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="different lengths"):
        batch.grad("x * y", x=X, y=Y[:3])


def test_importing_the_batch_api_loads_no_sympy_or_dask():
    code = ("import sys, diffcli.batch; "
            "print([m for m in ('sympy', 'dask', 'rich', 'typer') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_grad_runs_unchanged_inside_dask_map_blocks():
    da = pytest.importorskip("dask.array")
    xs = da.from_array(X, chunks=10)
    ys = da.from_array(Y, chunks=10)
    dx = da.map_blocks(lambda a, b: batch.grad("x**2 * y", x=a, y=b)["x"], xs, ys,
                       dtype=float).compute(scheduler="threads")
    np.testing.assert_array_equal(dx, batch.grad("x**2 * y", x=X, y=Y)["x"])


def test_derivatives_gives_every_order_from_one_tape():
    f, d1, d2, d3 = batch.derivatives("x**3 * y", "x", 3, x=X, y=Y)
    np.testing.assert_allclose(f, X**3 * Y, rtol=1e-15)
    np.testing.assert_allclose(d1, 3 * X**2 * Y, rtol=1e-14)
    np.testing.assert_allclose(d2, 6 * X * Y, rtol=1e-14)
    np.testing.assert_allclose(d3, 6 * Y, rtol=1e-14)


def test_derivatives_past_the_last_nonzero_order_are_zero():
    orders = batch.derivatives("2*x + y", "x", 3, x=X, y=Y)
    np.testing.assert_array_equal(orders[1], np.full_like(X, 2.0))
    np.testing.assert_array_equal(orders[2], np.zeros_like(X))
    np.testing.assert_array_equal(orders[3], np.zeros_like(X))


def test_a_variable_may_share_a_name_with_a_parameter():
    got = batch.derivative("wrt**2 * expr_text", "wrt", wrt=X, expr_text=Y)
    np.testing.assert_allclose(got, 2 * X * Y, rtol=1e-15)
