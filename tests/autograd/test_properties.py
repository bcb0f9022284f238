"""Property tests (hypothesis): broadcasting reductions, gradient accumulation, and the
numpy shortcuts some backward rules take when no graph is recorded.

The truth is plain numpy: a broadcast input's gradient is the output gradient summed
over every axis that broadcasting stretched. A shortcut must also give what the rule
written in Tensor ops gives (the one ``create_graph=True`` runs).
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import diffcli as dc
from diffcli import autograd

SETTINGS = settings(max_examples=50, deadline=None)
VALUES = st.floats(-10, 10, allow_nan=False, width=64)


@st.composite
def broadcast_pair(draw):
    """Two arrays whose shapes broadcast: the second drops leading dims and sets some to 1."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
    keep = draw(st.integers(0, len(shape)))
    other = tuple(1 if draw(st.booleans()) else n for n in shape[len(shape) - keep:])
    if draw(st.booleans()):
        shape, other = other, shape
    a = draw(hnp.arrays(np.float64, shape, elements=VALUES))
    b = draw(hnp.arrays(np.float64, other, elements=VALUES))
    return a, b


def reduce_to(grad, shape):
    """Sum a full-shape gradient down to `shape`, the way broadcasting spread it out."""
    lead = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True)


@SETTINGS
@given(broadcast_pair())
def test_grad_of_sum_of_broadcast_product_is_the_sum_reduced_other_factor(pair):
    a, b = pair
    ta = dc.tensor(a, requires_grad=True)
    tb = dc.tensor(b, requires_grad=True)
    ga, gb = autograd.grad((ta * tb).sum(), [ta, tb])
    full = np.broadcast_shapes(a.shape, b.shape)
    assert ga.shape == a.shape and gb.shape == b.shape
    np.testing.assert_allclose(ga.data, reduce_to(np.broadcast_to(b, full), a.shape))
    np.testing.assert_allclose(gb.data, reduce_to(np.broadcast_to(a, full), b.shape))


@SETTINGS
@given(broadcast_pair(), st.data())
def test_vjp_through_broadcast_add_and_sub_reduces_the_upstream_gradient(pair, data):
    a, b = pair
    full = np.broadcast_shapes(a.shape, b.shape)
    upstream = data.draw(hnp.arrays(np.float64, full, elements=VALUES))
    ta = dc.tensor(a, requires_grad=True)
    tb = dc.tensor(b, requires_grad=True)
    ga, gb = autograd.grad(ta - tb, [ta, tb], grad_outputs=[dc.tensor(upstream)])
    np.testing.assert_allclose(ga.data, reduce_to(upstream, a.shape))
    np.testing.assert_allclose(gb.data, -reduce_to(upstream, b.shape))


@st.composite
def array_and_dim(draw):
    arr = draw(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                          elements=VALUES))
    dim = draw(st.integers(-arr.ndim, arr.ndim - 1))
    return arr, dim, draw(st.booleans())


@SETTINGS
@given(array_and_dim())
def test_sum_and_mean_over_a_dim_spread_the_upstream_gradient(case):
    arr, dim, keepdim = case
    x = dc.tensor(arr, requires_grad=True)
    s = dc.sum(x, dim=dim, keepdim=keepdim)
    m = dc.mean(x, dim=dim, keepdim=keepdim)
    np.testing.assert_allclose(s.data, arr.sum(axis=dim, keepdims=keepdim))
    weights = np.arange(1.0, s.data.size + 1).reshape(s.shape)
    gs, gm = (autograd.grad(out, [x], grad_outputs=[dc.tensor(weights)])[0] for out in (s, m))
    spread = np.broadcast_to(np.expand_dims(weights, dim) if not keepdim else weights, arr.shape)
    np.testing.assert_allclose(gs.data, spread)
    np.testing.assert_allclose(gm.data, spread / arr.shape[dim])


@SETTINGS
@given(array_and_dim())
def test_amax_over_a_dim_shares_the_gradient_evenly_among_ties(case):
    arr, dim, keepdim = case
    arr = np.round(arr)  # rounding makes ties common
    x = dc.tensor(arr, requires_grad=True)
    out = dc.amax(x, dim=dim, keepdim=keepdim)
    np.testing.assert_array_equal(out.data, arr.max(axis=dim, keepdims=keepdim))
    out.sum().backward()
    is_max = arr == arr.max(axis=dim, keepdims=True)
    np.testing.assert_allclose(x.grad.data, is_max / is_max.sum(axis=dim, keepdims=True))


@SETTINGS
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=4), elements=VALUES),
       st.integers(1, 5))
def test_k_backward_passes_accumulate_k_times_the_gradient(arr, k):
    x = dc.tensor(arr, requires_grad=True)
    for _ in range(k):
        (dc.sin(x) * x).sum().backward()
    single = np.sin(arr) + arr * np.cos(arr)
    np.testing.assert_allclose(x.grad.data, k * single, rtol=1e-12, atol=1e-12)
    x.grad = None
    (dc.sin(x) * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, single, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=4), elements=VALUES),
       st.integers(1, 4))
def test_retained_graph_run_k_times_accumulates_k_times(arr, k):
    x = dc.tensor(arr, requires_grad=True)
    y = (x * x).sum()
    for _ in range(k):
        y.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.data, k * 2 * arr)


WHOLE_EXPONENTS = st.sampled_from([1, 2, 3, 4, -1, -2, -3, 2.0, 3.0])


@SETTINGS
@given(broadcast_pair(), WHOLE_EXPONENTS, st.sampled_from(["weights", "one", 0.37, 3e-310]))
def test_whole_power_gradient_shortcut_equals_the_recorded_rule_and_numpy(pair, n, weighting):
    a, w = pair
    a = np.where(np.abs(a) < 0.1, 1.0, a)  # negative powers stay finite
    x = dc.tensor(a, requires_grad=True)
    # Unweighted, the power's incoming gradient is sum's read-only broadcast of one number:
    # a one, or the factor the sum is scaled by (a subnormal one rounds at every product).
    if weighting == "weights":
        loss = ((x**n) * dc.tensor(w)).sum()
        upstream = reduce_to(np.broadcast_to(w, np.broadcast_shapes(a.shape, w.shape)), a.shape)
    else:
        factor = 1.0 if weighting == "one" else weighting
        loss = (x**n).sum() * factor
        upstream = np.full_like(a, factor)
    (shortcut,) = autograd.grad(loss, x, retain_graph=True)
    (recorded,) = autograd.grad(loss, x, create_graph=True)
    want = upstream * n * np.power(a, n - 1.0)
    assert shortcut.grad_fn is None and recorded.grad_fn is not None
    np.testing.assert_allclose(shortcut.data, want, rtol=1e-13)
    np.testing.assert_array_equal(recorded.data, shortcut.data)
    # The second derivative comes from the recorded rule, which the shortcut must not replace.
    (second,) = autograd.grad(recorded.sum(), x)
    np.testing.assert_allclose(second.data, upstream * n * (n - 1) * np.power(a, n - 2.0),
                               rtol=1e-13)
