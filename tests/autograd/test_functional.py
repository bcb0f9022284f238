"""autograd.functional: PyTorch's signatures and return shapes, values worked by hand."""

import numpy as np

import diffcli as dc
from diffcli.autograd import functional

XS = [1.0, 2.0, 3.0]


def vec(values=XS):
    return dc.tensor(values)


def cube_sum(x):
    return (x**3).sum()


def test_jacobian_single_input_single_output_has_shape_out_plus_in():
    j = functional.jacobian(lambda x: x**2, vec())
    assert j.shape == (3, 3)
    np.testing.assert_allclose(j.data, np.diag([2.0, 4.0, 6.0]))


def test_jacobian_of_a_matrix_function_has_four_dims():
    m = dc.tensor(np.arange(6.0).reshape(2, 3))
    j = functional.jacobian(lambda x: x.T, m)
    assert j.shape == (3, 2, 2, 3)
    # d(x.T)[i, j] / dx[k, l] = 1 iff (i, j) == (l, k)
    expected = np.zeros((3, 2, 2, 3))
    for i in range(3):
        for k in range(2):
            expected[i, k, k, i] = 1.0
    np.testing.assert_array_equal(j.data, expected)


def test_jacobian_of_a_scalar_output_has_the_input_shape():
    j = functional.jacobian(lambda x: x.sum(), dc.ones(2, 3))
    assert j.shape == (2, 3)
    np.testing.assert_array_equal(j.data, np.ones((2, 3)))


def test_jacobian_with_tuple_inputs_returns_a_tuple():
    a, b = vec(), vec([4.0, 5.0, 6.0])
    ja, jb = functional.jacobian(lambda x, y: x * y, (a, b))
    np.testing.assert_allclose(ja.data, np.diag([4.0, 5.0, 6.0]))
    np.testing.assert_allclose(jb.data, np.diag(XS))


def test_jacobian_with_tuple_outputs_and_inputs_returns_nested_tuples():
    a, b = vec(), vec([4.0, 5.0, 6.0])
    jac = functional.jacobian(lambda x, y: (x * y, x.sum()), (a, b))
    assert len(jac) == 2 and all(len(row) == 2 for row in jac)
    assert jac[0][0].shape == (3, 3)
    assert jac[1][0].shape == (3,)
    np.testing.assert_array_equal(jac[1][0].data, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(jac[1][1].data, [0.0, 0.0, 0.0])


def test_jacobian_create_graph_is_differentiable():
    x = dc.tensor(XS, requires_grad=True)
    j = functional.jacobian(lambda t: t**3, x, create_graph=True)
    assert j.requires_grad
    j.sum().backward()
    # d/dx_i sum_j J_ij = d/dx_i 3 x_i^2 = 6 x_i
    np.testing.assert_allclose(x.grad.data, [6.0, 12.0, 18.0])


def test_every_jacobian_row_sums_both_paths_into_an_input_used_twice():
    # Each row is its own backward pass over the same graph: every row must see both edges
    # into x again. d(x sin x)/dx = sin x + x cos x, on the diagonal.
    x = np.array(XS)
    j = functional.jacobian(lambda t: t * dc.sin(t), vec())
    np.testing.assert_allclose(j.data, np.diag(np.sin(x) + x * np.cos(x)), rtol=1e-15)


def test_jacobian_rows_leave_a_leaf_outside_the_inputs_alone():
    # w needs a gradient but is no input: every row's pass skips the path into it.
    w = dc.tensor(3.0, requires_grad=True)
    x = np.array(XS)
    j = functional.jacobian(lambda t: w * t * t, vec())
    np.testing.assert_allclose(j.data, np.diag(2.0 * 3.0 * x), rtol=1e-15)
    assert w.grad is None


def test_hessian_of_a_function_with_a_shared_subterm_matches_the_hand_worked_one():
    # f = (x0 x1)^2 + x0 x1: the product feeds two terms, so its node has two edges.
    # Hessian of p^2 + p with p = x0 x1: [[2 x1^2, 4 x0 x1 + 1], [4 x0 x1 + 1, 2 x0^2]].
    def f(t):
        p = t[0] * t[1]
        return p * p + p

    h = functional.hessian(f, dc.tensor([2.0, 5.0]))
    np.testing.assert_allclose(h.data, [[50.0, 41.0], [41.0, 8.0]], rtol=1e-15)


def test_hessian_of_a_cubic():
    h = functional.hessian(cube_sum, vec())
    assert h.shape == (3, 3)
    np.testing.assert_allclose(h.data, np.diag([6.0, 12.0, 18.0]))


def test_hessian_with_tuple_inputs_returns_nested_tuples():
    a, b = vec(), vec([4.0, 5.0, 6.0])
    h = functional.hessian(lambda x, y: (x * y).sum(), (a, b))
    np.testing.assert_array_equal(h[0][0].data, np.zeros((3, 3)))
    np.testing.assert_array_equal(h[0][1].data, np.eye(3))
    np.testing.assert_array_equal(h[1][0].data, np.eye(3))


def test_vjp_returns_output_and_vector_jacobian_product():
    out, v_j = functional.vjp(lambda x: x**2, vec(), dc.tensor([1.0, 10.0, 100.0]))
    np.testing.assert_allclose(out.data, [1.0, 4.0, 9.0])
    np.testing.assert_allclose(v_j.data, [2.0, 40.0, 600.0])


def test_vjp_without_v_for_a_scalar_output():
    out, v_j = functional.vjp(cube_sum, vec())
    assert out.shape == ()
    np.testing.assert_allclose(out.data, 36.0)
    np.testing.assert_allclose(v_j.data, [3.0, 12.0, 27.0])


def test_jvp_returns_output_and_jacobian_vector_product():
    m = dc.tensor([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]])
    out, j_v = functional.jvp(lambda x: m @ x, vec(), dc.tensor([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(out.data, [14.0, 10.0])
    np.testing.assert_allclose(j_v.data, [7.0, 8.0])


def test_hvp_and_vhp_of_a_cubic():
    v = dc.tensor([1.0, -1.0, 2.0])
    out, h_v = functional.hvp(cube_sum, vec(), v)
    np.testing.assert_allclose(out.data, 36.0)
    np.testing.assert_allclose(h_v.data, [6.0, -12.0, 36.0])
    out2, v_h = functional.vhp(cube_sum, vec(), v)
    np.testing.assert_allclose(out2.data, 36.0)
    np.testing.assert_allclose(v_h.data, [6.0, -12.0, 36.0])


def test_hvp_and_vhp_of_a_mixed_monomial():
    # f(x) = x0^2 x1: H = [[2 x1, 2 x0], [2 x0, 0]] = [[10, 6], [6, 0]] at (3, 5).
    x = dc.tensor([3.0, 5.0])
    v = dc.tensor([1.0, 2.0])
    _, h_v = functional.hvp(lambda t: t[0] ** 2 * t[1], x, v)
    _, v_h = functional.vhp(lambda t: t[0] ** 2 * t[1], x, v)
    np.testing.assert_allclose(h_v.data, [2 * 5 + 2 * 3 * 2, 2 * 3])
    # H is symmetric, so v^T H = H v: the same hand-worked row, not hvp's output.
    np.testing.assert_allclose(v_h.data, [2 * 5 + 2 * 3 * 2, 2 * 3])


def test_functional_transforms_leave_user_inputs_untouched():
    x = vec()
    functional.jacobian(lambda t: t**2, x)
    functional.hessian(cube_sum, x)
    assert x.requires_grad is False
    assert x.grad is None
