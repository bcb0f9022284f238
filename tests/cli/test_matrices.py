"""Matrices on the command line: values from lists, files and --random; gradients in each
variable's shape, checked; shape errors before anything runs; every command either works
on arrays or refuses with exit status 2."""

import json

import numpy as np
import pytest

W = [[1.0, 2.0], [3.0, 4.0]]
POINT = ("--at", "W=[[1,2],[3,4]]", "--at", "x=[1,1]", "--at", "y=[0,1]")


def test_least_squares_gradient_has_each_variables_shape_and_is_checked(cli):
    doc = cli("grad", "sum((W@x - y)**2)", *POINT, "--json").json()
    Wm, x, y = np.array(W), np.ones(2), np.array([0.0, 1.0])
    residual = Wm @ x - y
    # By hand: d/dW |Wx - y|^2 = 2 (Wx - y) x^T, d/dx = 2 W^T (Wx - y), d/dy = -2 (Wx - y).
    assert doc["value"] == pytest.approx(residual @ residual)
    np.testing.assert_allclose(doc["gradient"]["W"], 2 * np.outer(residual, x))
    np.testing.assert_allclose(doc["gradient"]["x"], 2 * Wm.T @ residual)
    np.testing.assert_allclose(doc["gradient"]["y"], -2 * residual)
    assert doc["check"]["agree"] is True
    np.testing.assert_allclose(doc["check"]["symbolic"]["W"], 2 * np.outer(residual, x))


def test_log_determinant_gradient_is_the_inverse_transpose(cli):
    a = np.array([[2.0, 1.0], [0.5, 3.0]])
    doc = cli("grad", "logdet(A)", "--at", "A=[[2,1],[0.5,3]]", "--json").json()
    np.testing.assert_allclose(doc["gradient"]["A"], np.linalg.inv(a).T, rtol=1e-12)
    assert doc["check"]["agree"] is True


def test_transpose_spellings_give_one_gradient(cli):
    docs = [cli("grad", f"sum({t} @ x)", *POINT[:4], "--json", "--no-check").json()
            for t in ("W.T", "W'", "transpose(W)")]
    # d/dW sum(W^T x) = x 1^T (each column j of W^T x sums W[i, j] x[i]).
    for doc in docs:
        np.testing.assert_allclose(doc["gradient"]["W"], np.outer(np.ones(2), np.ones(2)))
        np.testing.assert_allclose(doc["gradient"]["x"], np.array(W).sum(axis=1))


def test_a_shape_mismatch_is_exit_2_with_both_shapes_and_the_caret(cli):
    run = cli("grad", "sum(W@W)", "--at", "W=[[1,2,3],[4,5,6]]")
    assert run.code == 2
    assert run.stderr.splitlines() == ["error: (2,3) @ (2,3): inner sizes 3 and 2 differ",
                                       "  sum(W@W)", "       ^"]


def test_ragged_rows_are_exit_2_naming_the_row(cli):
    run = cli("grad", "sum(W)", "--at", "W=[[1,2],[3]]")
    assert run.code == 2
    assert run.stderr.splitlines()[0] == (
        "error: --at W: ragged rows: row 2 has 1 entry, but row 1 has 2 entries")


@pytest.mark.parametrize("kind", ["npy", "json", "csv"])
def test_an_array_can_come_from_a_file(cli, tmp_path, kind):
    path = tmp_path / f"w.{kind}"
    if kind == "npy":
        np.save(path, np.array(W))
    elif kind == "json":
        path.write_text(json.dumps(W))
    else:
        path.write_text("1,2\n3,4\n")
    doc = cli("grad", "sum(W@x)", "--at", f"W=@{path}", "--at", "x=[1,2]", "--json",
              "--no-check").json()
    assert doc["at"]["W"] == W
    np.testing.assert_allclose(doc["gradient"]["W"], [[1.0, 2.0], [1.0, 2.0]])


def test_a_pickled_npy_file_is_refused_without_running_it(cli, tmp_path):
    path = tmp_path / "evil.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    run = cli("grad", "sum(W)", "--at", f"W=@{path}")
    assert run.code == 2
    assert run.stderr.startswith(f"error: --at W=@{path}: not an array of numbers")
    assert "allow_pickle" in run.stderr


@pytest.mark.parametrize(("name", "content", "fragment"), [
    ("missing.npy", None, "cannot read the file"),
    ("ragged.json", "[[1, 2], [3]]", "rows of different lengths, or not numbers"),
    ("words.csv", "a,b\n", "not an array of numbers"),
    ("inf.json", "[1e999]", "not finite"),
    ("w.txt", "1", "expected a .npy, .json or .csv file"),
])
def test_a_bad_file_is_exit_2_naming_it(cli, tmp_path, name, content, fragment):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    run = cli("grad", "sum(W)", "--at", f"W=@{path}")
    assert run.code == 2
    assert f"--at W=@{path}" in run.stderr and fragment in run.stderr


def test_random_values_are_numpys_standard_normal_from_the_seed_in_the_order_given(cli):
    doc = cli("grad", "sum(W@x)", "--random", "W=2x3", "--random", "x=3", "--seed", "7",
              "--json", "--no-check").json()
    rng = np.random.default_rng(7)
    w, x = rng.standard_normal((2, 3)), rng.standard_normal(3)
    np.testing.assert_array_equal(doc["at"]["W"], w)
    np.testing.assert_array_equal(doc["at"]["x"], x)
    np.testing.assert_allclose(doc["gradient"]["W"], np.outer(np.ones(2), x))


@pytest.mark.parametrize(("args", "message"), [
    (("--random", "W=2y3"), "error: --random W: expected a shape such as 3x4 or 5, got '2y3'"),
    (("--random", "W=2x0"), "error: --random W: expected a shape such as 3x4 or 5, got '2x0'"),
    (("--random", "W=2", "--at", "W=1"), "error: --at and --random give 'W' twice"),
])
def test_bad_random_options_are_exit_2(cli, args, message):
    run = cli("grad", "sum(W)", *args)
    assert run.code == 2 and run.stderr.strip() == message


def test_graph_shows_each_nodes_shape(cli):
    doc = cli("graph", "sum(W@x)", *POINT[:4], "--json").json()
    shapes = {n["text"]: n["shape"] for n in doc["nodes"]}
    assert shapes == {"W": [2, 2], "x": [2], "W@x": [2], "sum(W@x)": []}
    assert "shape=2x2" in cli("graph", "sum(W@x)", *POINT[:4]).stdout


def test_jacobian_of_a_matrix_vector_product_is_the_matrix(cli):
    doc = cli("jacobian", "W@x", *POINT[:4], "--json").json()
    np.testing.assert_allclose(doc["jacobian"][0][1], W)  # d(Wx)/dx = W
    assert doc["check"]["agree"] is True


def test_derivative_of_a_matrix_expression_falls_back_to_nested_reverse_mode(cli):
    doc = cli("derivative", "x*det(W)", "--wrt", "x", "--order", "2", "--at", "x=1",
              "--at", "W=[[1,2],[3,4]]", "--json").json()
    assert doc["method"] == "nested" and doc["derivative"] == 0.0
    run = cli("derivative", "x*det(W)", "--wrt", "x", "--method", "taylor", "--at", "x=1",
              "--at", "W=[[1,2],[3,4]]")
    assert run.code == 2 and "--method nested" in run.stderr


def test_symbolic_without_values_refuses_matrix_operations_with_exit_2(cli):
    run = cli("symbolic", "sum(W@x)")
    assert run.code == 2
    assert run.stderr.splitlines()[0] == ("error: symbolic takes every variable as a number: "
                                          "() @ (): '@' needs arrays of at least one axis "
                                          "(use * for a number)")


def test_a_power_written_with_a_caret_gets_the_caret_under_it(cli):
    run = cli("grad", "sum(A^B)", "--at", "A=[[1,2],[3,4]]", "--at", "B=[1,2,3]")
    assert run.code == 2
    assert run.stderr.splitlines()[1:] == ["  sum(A^B)", "       ^"]
