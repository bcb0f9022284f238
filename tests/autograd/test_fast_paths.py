"""The unrecorded path: an application that records nothing calls the Function's `compute`.

It must give what the recorded path (forward with a ctx) gives, build no node, and leave
Functions without `compute` on forward, as in PyTorch. The truths are numpy's own
functions, central differences and the recorded path itself.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import diffcli as dc
from diffcli import autograd
from diffcli.autograd import ops

RNG = np.random.default_rng(7)
ARRAY = RNG.uniform(0.2, 0.9, (3, 4))
OTHER = RNG.uniform(0.2, 0.9, (4,))


def both_paths(fn, *values):
    """fn applied to leaves that need no gradient, and to leaves that do (the recorded path)."""
    plain = fn(*[dc.tensor(v) for v in values])
    recorded = fn(*[dc.tensor(v, requires_grad=True) for v in values])
    return plain, recorded


@pytest.mark.parametrize("name", sorted(ops.UNARY_RULES))
@pytest.mark.parametrize("value", [ARRAY, 0.6], ids=["array", "0-d"])
def test_unary_compute_equals_forward_in_value_shape_and_dtype(name, value):
    fn = getattr(ops, "_round" if name == "round" else name)
    plain, recorded = both_paths(fn, value)
    assert plain.grad_fn is None and not plain.requires_grad
    assert recorded.grad_fn is not None
    np.testing.assert_array_equal(plain.data, recorded.data)
    assert plain.shape == recorded.shape == np.shape(value)
    assert plain.dtype == recorded.dtype == np.float64


@pytest.mark.parametrize(("fn", "by_numpy"), [
    (lambda a, b: a + b, np.add),
    (lambda a, b: a - b, np.subtract),
    (lambda a, b: a * b, np.multiply),
    (lambda a, b: a / b, np.divide),
    (lambda a, b: a ** b, np.power),
    (lambda a, b: dc.atan2(a, b), np.arctan2),
])
def test_binary_compute_equals_forward_and_numpy_with_broadcasting(fn, by_numpy):
    plain, recorded = both_paths(fn, ARRAY, OTHER)
    np.testing.assert_array_equal(plain.data, recorded.data)
    np.testing.assert_allclose(plain.data, by_numpy(ARRAY, OTHER), rtol=1e-15)
    assert plain.grad_fn is None and recorded.grad_fn is not None


@pytest.mark.parametrize("exponent", [1, 2, 3, 0.5, -1, 2.0])
def test_whole_and_fractional_powers_agree_on_both_paths_and_with_numpy(exponent):
    base = RNG.uniform(-2, 2, 50)
    plain, recorded = both_paths(lambda a: a ** exponent, np.abs(base) if exponent == 0.5 else base)
    np.testing.assert_array_equal(plain.data, recorded.data)
    want = np.power(np.abs(base) if exponent == 0.5 else base, float(exponent))
    assert np.all(np.abs(plain.data - want) <= np.spacing(np.abs(want)))


@pytest.mark.parametrize("fn", [
    lambda t: t.sum(),
    lambda t: t.sum(1, keepdim=True),
    lambda t: t.reshape(4, 3),
    lambda t: t[1:, ::2],
    lambda t: t[1],
    lambda t: t.expand(2, 3, 4),
    lambda t: t.clone(),
], ids=["sum", "sum-dim", "reshape", "slice", "int-index", "expand", "clone"])
def test_shape_ops_compute_equals_forward(fn):
    plain, recorded = both_paths(fn, ARRAY)
    np.testing.assert_array_equal(plain.data, recorded.data)
    assert plain.shape == recorded.shape


@pytest.mark.parametrize("key", [
    (slice(1, None), slice(None, None, 2)),
    1,
    (Ellipsis, None, 2),
    np.array([0, 2, 0]),
], ids=["slices", "int", "ellipsis-none", "repeated-fancy"])
def test_index_gradient_scatters_ones_where_the_index_reads(key):
    # The truth: count how often each element is read, by numpy's own indexing.
    x = dc.tensor(ARRAY, requires_grad=True)
    x[key].sum().backward()
    counts = np.zeros(ARRAY.shape)
    np.add.at(counts, key, 1.0)
    np.testing.assert_array_equal(x.grad.data, counts)


def test_broadcast_errors_are_the_same_on_both_paths():
    for requires_grad in (False, True):
        a = dc.tensor(np.ones(3), requires_grad=requires_grad)
        with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match .* b \(4\)"):
            a * dc.tensor(np.ones(4))


class Counted(autograd.Function):
    """x * 3, counting which of compute and forward ran."""

    calls: list = []

    @staticmethod
    def compute(x):
        Counted.calls.append("compute")
        return x.data * 3.0

    @staticmethod
    def forward(ctx, x):
        Counted.calls.append("forward")
        return Counted.compute(x)

    @staticmethod
    def backward(ctx, g):
        return g * 3.0


def test_a_user_function_with_compute_runs_compute_alone_when_nothing_records():
    Counted.calls.clear()
    out = Counted.apply(dc.tensor([1.0, 2.0]))
    with dc.no_grad():
        Counted.apply(dc.tensor([1.0], requires_grad=True))
    assert Counted.calls == ["compute", "compute"]
    assert out.grad_fn is None and not out.requires_grad
    np.testing.assert_array_equal(out.data, [3.0, 6.0])


def test_a_user_function_with_compute_runs_forward_once_when_recording():
    Counted.calls.clear()
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    out = Counted.apply(x)
    assert Counted.calls == ["forward", "compute"]
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])


def test_a_function_without_compute_still_gets_a_ctx_when_nothing_records():
    seen = []

    class Probe(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(tuple(ctx.needs_input_grad))
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    with dc.no_grad():
        out = Probe.apply(dc.tensor([1.0], requires_grad=True))
    assert seen == [(True,)] and out.grad_fn is None


def test_backward_without_create_graph_builds_no_node_in_its_rules():
    made = []

    class Spy(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.data * 1.0

        @staticmethod
        def backward(ctx, g):
            inner = dc.sin(g) * 0.0 + g  # rules run with recording off
            made.append(inner.grad_fn)
            return inner

    x = dc.tensor(0.3, requires_grad=True)
    Spy.apply(dc.cos(x)).backward()
    assert made == [None]
    assert x.grad.item() == pytest.approx(-math.sin(0.3), rel=1e-15)


# -- random scalar graphs: 0-d data against the same graph on arrays and finite differences --
@st.composite
def scalar_programs(draw):
    """A straight-line program over x and y: each step combines two earlier values."""
    steps = []
    for i in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["+", "-", "*", "/", "sin", "cos", "tanh", "exp", "sq"]))
        steps.append((op, draw(st.integers(0, i + 1)), draw(st.integers(0, i + 1))))
    return steps


def step(op, a, b, lib):
    """One step; `/` and `exp` are tamed so that values stay moderate."""
    if op in ("sin", "cos", "tanh"):
        return getattr(lib, op)(a)
    if op == "exp":
        return lib.exp(lib.tanh(a))
    if op == "sq":
        return a**2
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    return a / (b * b + 1.0)


def run(program, x, y, lib):
    values = [x, y]
    for op, i, j in program:
        values.append(step(op, values[i], values[j], lib))
    return values[-1]


def engine_run(program, x, y):
    return run(program, x, y, dc)


def float_run(program, x, y):
    return run(program, x, y, math)


@settings(max_examples=60, deadline=None)
@given(scalar_programs(), st.floats(-2, 2), st.floats(-2, 2))
def test_scalar_graphs_match_arrays_no_grad_and_finite_differences(program, x0, y0):
    x, y = dc.tensor(x0, requires_grad=True), dc.tensor(y0, requires_grad=True)
    out = engine_run(program, x, y)
    if not out.requires_grad:  # the program ignored both inputs
        return
    out.backward()
    with dc.no_grad():
        unrecorded = engine_run(program, dc.tensor(x0), dc.tensor(y0))
    assert unrecorded.item() == out.item() and out.dtype == np.float64

    xs, ys = dc.tensor([x0, x0], requires_grad=True), dc.tensor([y0, y0], requires_grad=True)
    engine_run(program, xs, ys).sum().backward()
    h = 1e-6
    for leaf, leaves, bump in ((x, xs, (h, 0.0)), (y, ys, (0.0, h))):
        assert (leaf.grad is None) == (leaves.grad is None)  # an unused input gets None
        grad = 0.0
        if leaf.grad is not None:
            assert leaf.grad.dtype == np.float64 and leaf.grad.shape == ()
            grad = leaf.grad.item()
            np.testing.assert_allclose(leaves.grad.data, [grad] * 2, rtol=1e-12, atol=1e-12)
        up = float_run(program, x0 + bump[0], y0 + bump[1])
        down = float_run(program, x0 - bump[0], y0 - bump[1])
        assert grad == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-5)
