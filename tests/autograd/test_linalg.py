"""Matrix functions of the engine: trace, det, logdet, inv, diag, softmax, log_softmax,
logsumexp and matrix norms.

Witnesses: central differences (gradcheck, gradgradcheck) on non-square, non-symmetric
seeded values; closed forms written out in numpy (cofactors by hand, Sarrus' rule,
softmax's Jacobian diag(y) - y y^T); PyTorch's documented conventions and messages
(logdet is nan for a negative determinant with gradient 0, -inf when singular).
"""

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import diffcli as dc
from diffcli import autograd
from diffcli.autograd import gradcheck, gradgradcheck, ops

SEED = 7


def leaf(values):
    return dc.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def random(*shape, seed=SEED):
    return leaf(np.random.default_rng(seed).standard_normal(shape))


def well_conditioned(n, *batch, seed=SEED):
    """A non-symmetric square matrix (or batch) kept away from singular: A + n I."""
    values = np.random.default_rng(seed).standard_normal((*batch, n, n))
    return leaf(values + n * np.eye(n))


def gradient(f, x):
    (g,) = autograd.grad(f(x), x)
    return g.data


def cofactors(a):
    """Cofactor matrix by signed minors, elementwise (the adjugate's transpose)."""
    n = a.shape[0]
    out = np.empty_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, 0), j, 1)
            out[i, j] = (-1) ** (i + j) * hand_det(minor)
    return out


def hand_det(a):
    """Determinant of a 1x1, 2x2 or 3x3 matrix written out."""
    if a.shape == (1, 1):
        return a[0, 0]
    if a.shape == (2, 2):
        return a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]
    return sarrus(a)


def sarrus(a):
    return (a[0, 0] * a[1, 1] * a[2, 2] + a[0, 1] * a[1, 2] * a[2, 0] + a[0, 2] * a[1, 0] * a[2, 1]
            - a[0, 2] * a[1, 1] * a[2, 0] - a[0, 0] * a[1, 2] * a[2, 1]
            - a[0, 1] * a[1, 0] * a[2, 2])


# -- gradcheck and gradgradcheck: every op, at non-square / non-symmetric values ---------
CASES = {
    "trace_3x4": (dc.trace, lambda: random(3, 4)),
    "trace_4x2": (dc.trace, lambda: random(4, 2)),
    "det_3x3": (dc.det, lambda: random(3, 3)),
    "det_batch_2x3x3": (dc.det, lambda: random(2, 3, 3)),
    "det_1x1": (dc.det, lambda: random(1, 1)),
    "det_batch_one_singular": (dc.det, lambda: leaf([
        [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]],
        [[2.0, 0.0, 1.0], [1.0, 3.0, 0.0], [0.0, 1.0, 1.0]]])),
    "logdet_3x3": (dc.logdet, lambda: well_conditioned(3)),
    "logdet_batch": (dc.logdet, lambda: well_conditioned(3, 2)),
    "inv_3x3": (dc.inv, lambda: well_conditioned(3)),
    "inv_batch": (dc.inv, lambda: well_conditioned(2, 3)),
    "diag_of_3x4": (dc.diag, lambda: random(3, 4)),
    "diag_of_3x4_offset_1": (lambda a: dc.diag(a, 1), lambda: random(3, 4)),
    "diag_of_4x3_offset_-2": (lambda a: dc.diag(a, -2), lambda: random(4, 3)),
    "diag_of_vector": (dc.diag, lambda: random(3)),
    "diag_of_vector_offset_-1": (lambda v: dc.diag(v, -1), lambda: random(3)),
    "softmax_3x4_dim0": (lambda x: dc.softmax(x, 0), lambda: random(3, 4)),
    "softmax_3x4_last": (dc.softmax, lambda: random(3, 4)),
    "log_softmax_3x4_dim1": (lambda x: dc.log_softmax(x, 1), lambda: random(3, 4)),
    "logsumexp_all": (dc.logsumexp, lambda: random(3, 4)),
    "logsumexp_dim1_keepdim": (lambda x: dc.logsumexp(x, 1, keepdim=True), lambda: random(3, 4)),
    "logsumexp_dims_0_2": (lambda x: dc.logsumexp(x, (0, 2)), lambda: random(2, 3, 2)),
    "norm_frobenius_3x4": (lambda a: dc.norm(a), lambda: random(3, 4)),
    "norm_1_3x4": (lambda a: dc.norm(a, 1), lambda: random(3, 4)),
    "norm_2_rows": (lambda a: dc.norm(a, 2, dim=1, keepdim=True), lambda: random(3, 4)),
    "outer": (lambda v: dc.outer(v, v[:2] * 3.0), lambda: random(3)),
}


@pytest.mark.parametrize("name", CASES)
def test_first_and_second_derivatives_match_central_differences(name):
    f, make = CASES[name]
    x = make()
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


# -- det ------------------------------------------------------------------------------
def test_det_value_and_gradient_are_sarrus_and_the_cofactors():
    a = random(3, 3)
    assert dc.det(a).item() == pytest.approx(sarrus(a.data), rel=1e-12)
    np.testing.assert_allclose(gradient(dc.det, a), cofactors(a.data), rtol=1e-12, atol=1e-12)


def test_det_gradient_of_a_singular_matrix_is_its_cofactor_matrix():
    # Rank 2: det = 0, yet d det / dA = adj(A)^T is not zero (PyTorch gives these numbers).
    a = leaf([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    assert dc.det(a).item() == 0.0
    expected = np.array([[4.0, 4.0, -4.0], [-2.0, -2.0, 2.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(gradient(dc.det, a), expected, atol=1e-12)
    assert gradgradcheck(dc.det, (a,))


def test_det_gradient_at_a_subnormal_determinant_is_finite():
    # 1/det overflows there, so det * inv(A)^T would be inf * tiny (torch gives 1).
    np.testing.assert_array_equal(gradient(dc.det, leaf([[2.2250738585e-311]])), [[1.0]])
    g = gradient(dc.det, leaf([[1e-160, 2.0], [0.0, 1e-160]]))
    np.testing.assert_allclose(g, [[1e-160, 0.0], [-2.0, 1e-160]], rtol=1e-12)


def test_det_of_a_batch_is_the_det_of_each_matrix():
    a = random(4, 2, 2)
    np.testing.assert_allclose(dc.det(a).data, [hand_det(m) for m in a.data], rtol=1e-12)
    g = gradient(lambda t: (dc.det(t) * dc.tensor([1.0, 2.0, 3.0, 4.0])).sum(), a)
    for k, m in enumerate(a.data):
        np.testing.assert_allclose(g[k], (k + 1) * cofactors(m), rtol=1e-12)


def test_third_derivative_of_det_of_scaled_matrix_is_six_det():
    # det(x A) = x^3 det(A) for 3x3 A, so d^3/dx^3 = 6 det(A) at every x.
    a = random(3, 3).detach()
    x = leaf(0.7)
    value = dc.det(x * a)
    for _ in range(3):
        (value,) = autograd.grad(value, x, create_graph=True)
    assert value.item() == pytest.approx(6.0 * sarrus(a.data), rel=1e-10)


@pytest.mark.parametrize("name, f", [("linalg.det", dc.det), ("linalg.inv", dc.inv),
                                     ("logdet", dc.logdet)])
def test_non_square_matrix_is_refused_naming_its_shape(name, f):
    with pytest.raises(RuntimeError, match=f"^{name}: A must be batches of square matrices, "
                                           "but they are 2 by 3 matrices$"):
        f(random(2, 3))


def test_det_of_a_vector_needs_two_dimensions():
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        dc.det(random(3))


# -- logdet ---------------------------------------------------------------------------
def test_logdet_value_and_gradient_are_log_det_and_the_inverse_transpose():
    a = leaf([[3.0, 1.0], [-2.0, 2.0]])  # det 8
    assert dc.logdet(a).item() == pytest.approx(math.log(8.0), rel=1e-14)
    expected = np.array([[2.0, 2.0], [-1.0, 3.0]]) / 8.0  # cofactors / det
    np.testing.assert_allclose(gradient(dc.logdet, a), expected, rtol=1e-13)


def test_logdet_of_a_negative_determinant_is_nan_with_zero_gradient():
    a = leaf([[1.0, 2.0], [3.0, 4.0]])  # det -2: PyTorch gives nan and a zero gradient
    assert math.isnan(dc.logdet(a).item())
    np.testing.assert_array_equal(gradient(dc.logdet, a), np.zeros((2, 2)))


def test_logdet_of_a_singular_matrix_is_minus_infinity():
    assert dc.logdet(leaf([[1.0, 2.0], [2.0, 4.0]])).item() == -math.inf


def test_logdet_of_a_batch_mixes_values_and_nan_per_matrix():
    a = leaf([[[2.0, 0.0], [0.0, 3.0]], [[0.0, 1.0], [1.0, 0.0]]])  # det 6 and -1
    values = dc.logdet(a).data
    assert values[0] == pytest.approx(math.log(6.0)) and math.isnan(values[1])
    g = gradient(lambda t: dc.logdet(t)[0] + dc.logdet(t)[1] * 0.0, a)
    np.testing.assert_allclose(g[0], [[0.5, 0.0], [0.0, 1.0 / 3.0]])
    np.testing.assert_array_equal(g[1], np.zeros((2, 2)))


def test_third_derivative_of_logdet_of_scaled_matrix():
    # logdet(x A) = n log x + logdet A: the third derivative is 2 n / x^3.
    a = well_conditioned(3).detach()
    x = leaf(1.3)
    value = dc.logdet(x * a)
    for _ in range(3):
        (value,) = autograd.grad(value, x, create_graph=True)
    assert value.item() == pytest.approx(2 * 3 / 1.3**3, rel=1e-9)


# -- inv ------------------------------------------------------------------------------
def test_logdet_gradient_at_a_singular_matrix_is_infinite_where_a_cofactor_is_not_zero():
    a = leaf([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    g = gradient(dc.logdet, a)
    np.testing.assert_array_equal(np.isinf(g), cofactors(a.data) != 0)


# -- properties over random matrices ---------------------------------------------------
MATRIX = st.integers(1, 4).flatmap(lambda n: hnp.arrays(
    np.float64, (n, n), elements=st.floats(-3, 3, allow_nan=False, width=64)))


@settings(max_examples=40, deadline=None)
@given(MATRIX)
def test_det_gradient_contracted_with_the_matrix_is_n_det(values):
    # Euler's theorem: det is homogeneous of degree n, so sum(A * d det/dA) = n det A.
    a = leaf(values)
    contracted = float((gradient(dc.det, a) * values).sum())
    n = values.shape[0]
    assert contracted == pytest.approx(n * np.linalg.det(values), rel=1e-7, abs=1e-8)


@settings(max_examples=40, deadline=None)
@given(MATRIX)
def test_logdet_gradient_times_the_matrix_is_the_identity(values):
    a = values + 13.0 * np.eye(len(values))  # diagonal 10+ > 9 >= the rest of a row: det > 0
    g = gradient(dc.logdet, leaf(a))
    np.testing.assert_allclose(g.T @ a, np.eye(len(a)), atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                  elements=st.floats(-50, 50, allow_nan=False, width=64)), st.data())
def test_softmax_sums_to_one_and_logsumexp_gradient_is_softmax(values, data):
    dim = data.draw(st.integers(-values.ndim, values.ndim - 1))
    x = leaf(values)
    np.testing.assert_allclose(dc.softmax(x, dim).data.sum(axis=dim), 1.0, rtol=1e-12)
    g = gradient(lambda t: dc.logsumexp(t, dim).sum(), x)
    np.testing.assert_allclose(g, dc.softmax(x, dim).data, rtol=1e-12, atol=1e-300)


def test_inverse_times_matrix_is_identity_and_gradient_is_minus_inverse_sandwich():
    a = well_conditioned(3)
    y = dc.inv(a).data
    np.testing.assert_allclose(a.data @ y, np.eye(3), atol=1e-12)
    weights = np.random.default_rng(1).standard_normal((3, 3))
    g = gradient(lambda t: (dc.inv(t) * dc.tensor(weights)).sum(), a)
    np.testing.assert_allclose(g, -y.T @ weights @ y.T, rtol=1e-10, atol=1e-12)


def test_inv_of_a_2x2_is_the_swapped_adjugate_over_det():
    a = leaf([[3.0, 1.0], [-2.0, 2.0]])
    np.testing.assert_allclose(dc.inv(a).data, np.array([[2.0, -1.0], [2.0, 3.0]]) / 8.0)


def test_trace_of_inverse_of_scaled_matrix_has_third_derivative():
    # tr(inv(x A)) = tr(inv A) / x: the third derivative is -6 tr(inv A) / x^4.
    a = leaf([[3.0, 1.0], [-2.0, 2.0]]).detach()
    x = leaf(0.9)
    value = dc.trace(dc.inv(x * a))
    for _ in range(3):
        (value,) = autograd.grad(value, x, create_graph=True)
    assert value.item() == pytest.approx(-6.0 * (5.0 / 8.0) / 0.9**4, rel=1e-10)


@pytest.mark.parametrize("values, message", [
    ([[1.0, 2.0], [2.0, 4.0]], "linalg.inv: The diagonal element 2 is zero"),
    ([[0.0, 0.0], [0.0, 0.0]], "linalg.inv: The diagonal element 1 is zero"),
    ([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 4.0]]],
     r"linalg.inv: \(Batch element 1\): The diagonal element 2 is zero"),
])
def test_inverse_of_a_singular_matrix_names_the_zero_pivot_as_torch(values, message):
    with pytest.raises(RuntimeError, match=message + ", the inversion could not be completed"):
        dc.inv(leaf(values))


# -- trace and diag -------------------------------------------------------------------
def test_trace_of_a_non_square_matrix_sums_its_diagonal_and_its_gradient_is_the_identity():
    a = random(3, 5)
    assert dc.trace(a).item() == pytest.approx(a.data[0, 0] + a.data[1, 1] + a.data[2, 2])
    np.testing.assert_array_equal(gradient(dc.trace, a), np.eye(3, 5))


def test_trace_is_only_for_matrices():
    with pytest.raises(RuntimeError, match="trace: expected a matrix, but got tensor with dim 3"):
        dc.trace(random(2, 2, 2))


def test_diag_of_a_vector_is_a_matrix_and_of_a_matrix_a_vector_as_torch():
    v = dc.tensor([1.0, 2.0])
    np.testing.assert_array_equal(dc.diag(v, -1).data, [[0, 0, 0], [1, 0, 0], [0, 2, 0]])
    np.testing.assert_array_equal(dc.diag(v).data, [[1, 0], [0, 2]])
    m = dc.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(dc.diag(m).data, [1, 5])
    np.testing.assert_array_equal(dc.diag(m, 1).data, [2, 6])
    np.testing.assert_array_equal(dc.diag(m, -1).data, [4])


def test_diag_gradient_lands_on_the_diagonal_it_read():
    m = random(2, 3)
    g = gradient(lambda t: (dc.diag(t, 1) * dc.tensor([10.0, 20.0])).sum(), m)
    np.testing.assert_array_equal(g, [[0, 10, 0], [0, 0, 20]])


def test_diag_refuses_three_dimensions():
    with pytest.raises(RuntimeError, match=r"diag\(\): Supports 1D or 2D tensors. Got 3D"):
        dc.diag(random(2, 2, 2))


# -- softmax, log_softmax, logsumexp ----------------------------------------------------
def test_softmax_values_and_jacobian_are_the_closed_form():
    x = random(4)
    e = np.exp(x.data)
    y = e / e.sum()
    np.testing.assert_allclose(dc.softmax(x).data, y, rtol=1e-14)
    jacobian = autograd.functional.jacobian(dc.softmax, x).data
    np.testing.assert_allclose(jacobian, np.diag(y) - np.outer(y, y), atol=1e-14)


def test_softmax_and_log_softmax_do_not_overflow_or_underflow():
    np.testing.assert_allclose(dc.softmax(dc.tensor([1000.0, 1000.0])).data, [0.5, 0.5])
    np.testing.assert_allclose(dc.log_softmax(dc.tensor([1000.0, 0.0])).data, [0.0, -1000.0])


def test_log_softmax_is_x_minus_logsumexp_along_its_dim():
    x = random(3, 4)
    expected = x.data - np.log(np.exp(x.data).sum(axis=0, keepdims=True))
    np.testing.assert_allclose(dc.log_softmax(x, 0).data, expected, rtol=1e-13)


def test_logsumexp_is_stable_and_keeps_infinities_as_torch():
    assert dc.logsumexp(dc.tensor([1000.0, 1000.0])).item() == pytest.approx(1000 + math.log(2))
    assert dc.logsumexp(dc.tensor([-math.inf, -math.inf]), 0).item() == -math.inf
    assert dc.logsumexp(dc.tensor([math.inf, 1.0]), 0).item() == math.inf


def test_infinite_entries_give_torchs_values_and_gradients():
    inf = math.inf
    x = leaf([-inf, 0.0])
    np.testing.assert_array_equal(dc.softmax(x, 0).data, [0.0, 1.0])
    np.testing.assert_array_equal(dc.log_softmax(x, 0).data, [-inf, 0.0])
    np.testing.assert_array_equal(gradient(lambda t: dc.log_softmax(t, 0)[1], x), [0.0, 0.0])
    np.testing.assert_array_equal(gradient(lambda t: dc.softmax(t, 0)[1], x), [0.0, 0.0])
    # torch: nan where the shift is inf - inf, 0 for the finite entry beside +inf.
    assert np.isnan(gradient(lambda t: dc.logsumexp(t, 0), leaf([-inf, -inf]))).all()
    np.testing.assert_array_equal(gradient(lambda t: dc.logsumexp(t, 0), leaf([inf, 1.0])),
                                  [np.nan, 0.0])


def test_logsumexp_gradient_is_softmax_along_the_reduced_dims():
    x = random(3, 4)
    out = dc.logsumexp(x, 1, keepdim=True)
    assert out.shape == (3, 1)
    e = np.exp(x.data)
    np.testing.assert_allclose(gradient(lambda t: dc.logsumexp(t, 1).sum(), x),
                               e / e.sum(axis=1, keepdims=True), rtol=1e-13)


# -- norms of matrices ----------------------------------------------------------------
def test_norm_of_a_matrix_is_frobenius_for_2_and_entrywise_for_1():
    a = random(3, 4)
    frobenius = math.sqrt((a.data**2).sum())
    assert dc.norm(a).item() == pytest.approx(frobenius, rel=1e-14)
    assert dc.norm(a, "fro").item() == pytest.approx(frobenius, rel=1e-14)
    np.testing.assert_allclose(gradient(dc.norm, a), a.data / frobenius, rtol=1e-13)
    assert dc.norm(a, 1).item() == pytest.approx(np.abs(a.data).sum(), rel=1e-14)
    np.testing.assert_array_equal(gradient(lambda t: dc.norm(t, 1), a), np.sign(a.data))


def test_norm_along_a_dim_keeps_it_when_asked():
    a = random(3, 4)
    rows = dc.norm(a, 2, dim=1, keepdim=True)
    assert rows.shape == (3, 1)
    np.testing.assert_allclose(rows.data[:, 0], np.sqrt((a.data**2).sum(axis=1)), rtol=1e-14)


# -- where the names live --------------------------------------------------------------
NAMES = ["trace", "det", "logdet", "inv", "inverse", "diag", "softmax", "log_softmax",
         "logsumexp", "outer", "eye", "norm"]


@pytest.mark.parametrize("name", NAMES)
def test_each_function_is_an_engine_op_and_a_package_name(name):
    assert getattr(ops, name) is getattr(dc, name)


@pytest.mark.parametrize("module", ["diffcli.autograd.linalg", "diffcli.autograd.ops"])
def test_either_module_can_be_imported_first_in_a_fresh_process(module):
    # linalg uses ops and ops re-exports linalg: the import order must not matter.
    code = f"import {module}; from diffcli.autograd.ops import det; print(det([[2.0]]).item())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2.0"


@pytest.mark.parametrize("method, args", [
    ("trace", ()), ("det", ()), ("logdet", ()), ("inverse", ()), ("diag", ()),
    ("softmax", (0,)), ("log_softmax", (1,)), ("logsumexp", (1,)),
])
def test_tensor_methods_give_the_functions_values(method, args):
    a = well_conditioned(3)
    function = getattr(dc, method)
    np.testing.assert_array_equal(getattr(a, method)(*args).data, function(a, *args).data)
