"""The commands on arrays, against gradients worked by hand: jacobian blocks of shape
output + input, hessian blocks of shape variable + variable, --points lines carrying
matrices, and the check's closed form, element budget and random directions."""

import json

import numpy as np

Wm = np.array([[1.0, 2.0, -1.0], [0.5, -3.0, 2.0]])
xv, yv = np.array([1.0, -1.0, 2.0]), np.array([0.5, 1.0])
AT = ("--at", "W=[[1,2,-1],[0.5,-3,2]]", "--at", "x=[1,-1,2]", "--at", "y=[0.5,1]")


def test_jacobian_of_a_matrix_product_has_shape_output_plus_input(cli):
    doc = cli("jacobian", "W@x", *AT[:4], "--json").json()
    d_w, d_x = doc["jacobian"][0]
    # d(Wx)_i / dW_kl = delta_ik x_l; d(Wx)/dx = W.
    hand = np.einsum("ik,l->ikl", np.eye(2), xv)
    assert np.shape(d_w) == (2, 2, 3)
    np.testing.assert_allclose(d_w, hand)
    np.testing.assert_allclose(d_x, Wm)
    assert doc["check"]["agree"] is True


def test_hessian_of_least_squares_has_shape_variable_plus_variable(cli):
    doc = cli("hessian", "sum((W@x - y)**2)", *AT, "--json").json()
    names = doc["variables"]
    block = {(a, b): np.array(doc["hessian"][i][j]) for i, a in enumerate(names)
             for j, b in enumerate(names)}
    r = Wm @ xv - yv
    # d2/dW_ij dW_kl = 2 delta_ik x_j x_l; d2/dx dx = 2 W^T W;
    # d2/dW_ij dx_l = 2 (W_il x_j + r_i delta_jl).
    np.testing.assert_allclose(block["W", "W"], 2 * np.einsum("ik,j,l->ijkl", np.eye(2), xv, xv))
    np.testing.assert_allclose(block["x", "x"], 2 * Wm.T @ Wm)
    np.testing.assert_allclose(block["W", "x"],
                               2 * (np.einsum("il,j->ijl", Wm, xv)
                                    + np.einsum("i,jl->ijl", r, np.eye(3))))
    assert block["W", "y"].shape == (2, 3, 2)
    assert doc["check"]["agree"] is True


def test_points_lines_may_carry_matrices(cli):
    lines = [{"W": [[1, 2], [3, 4]], "x": [1, 2]}, {"W": [[0, 1], [1, 0]], "x": [3, 1]},
             {"W": [[2, 0.5], [-1, 1]], "x": [1, -1]}]
    docs = cli("grad", "sum((W@x)**2)", "--points", "-", "--check", "--json",
               input="\n".join(map(json.dumps, lines)) + "\n").ndjson()
    assert len(docs) == 3
    for line, doc in zip(lines, docs):
        w, x = np.array(line["W"], float), np.array(line["x"], float)
        np.testing.assert_allclose(doc["gradient"]["W"], 2 * np.outer(w @ x, x))
        np.testing.assert_allclose(doc["gradient"]["x"], 2 * w.T @ w @ x)
        assert doc["check"]["agree"] is True


def test_grad_check_shows_and_carries_the_closed_form(cli):
    doc = cli("grad", "sum((W@x - y)**2)", *AT, "--json").json()
    assert doc["check"]["closed_form"]["W"] == "2*(W*x - y)*x.T"
    np.testing.assert_allclose(doc["check"]["symbolic"]["W"], 2 * np.outer(Wm @ xv - yv, xv))
    shown = cli("grad", "sum((W@x - y)**2)", *AT).stdout
    assert "sympy's matrix calculus: ∂/∂W = 2*(W*x - y)*x.T" in " ".join(shown.split())


def test_large_arrays_say_why_sympy_was_skipped_and_go_along_directions(cli):
    doc = cli("grad", "sum(exp(W@x))", "--random", "W=30x30", "--random", "x=30",
              "--seed", "1", "--json").json()
    check = doc["check"]
    assert check["skipped"] == "skipped: too large for the symbolic witness (930 elements, budget 64)"
    (w_part,) = [c for c in check["components"] if c["name"] == "W"]
    assert w_part["finite_difference"] is None
    assert len(w_part["directional"]["finite_difference"]) == 3
    assert check["agree"] is True
    w, x = np.array(doc["at"]["W"]), np.array(doc["at"]["x"])
    np.testing.assert_allclose(doc["gradient"]["W"], np.outer(np.exp(w @ x), x), rtol=1e-12)
