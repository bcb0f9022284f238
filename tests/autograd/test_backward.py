"""backward() and autograd.grad(): arguments, errors and their PyTorch wording."""

import re

import numpy as np
import pytest

import diffcli as dc
from diffcli import autograd

SECOND_TIME = "Trying to backward through the graph a second time"


def leaf(*values):
    return dc.tensor(list(values), requires_grad=True)


def test_backward_on_one_element_output_uses_implicit_gradient_one():
    x = leaf(3.0)
    (x * x).backward()
    np.testing.assert_allclose(x.grad.data, [6.0])


def test_backward_on_zero_dim_output():
    x = leaf(1.0, 2.0)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


def test_non_scalar_backward_without_gradient_raises():
    x = leaf(1.0, 2.0)
    msg = "grad can be implicitly created only for scalar outputs"
    with pytest.raises(RuntimeError, match=msg):
        (x * x).backward()


def test_backward_of_tensor_without_grad_fn_raises():
    t = dc.tensor([1.0, 2.0]).sum()
    with pytest.raises(
        RuntimeError,
        match="element 0 of tensors does not require grad and does not have a grad_fn",
    ):
        t.backward()


def test_backward_with_gradient_is_a_vector_jacobian_product():
    x = leaf(1.0, 2.0, 3.0)
    (x * x).backward(gradient=dc.tensor([1.0, 10.0, 100.0]))
    np.testing.assert_allclose(x.grad.data, [2.0, 40.0, 600.0])


def test_autograd_backward_with_several_outputs_and_grad_tensors():
    x = leaf(1.0, 2.0)
    y1 = x * 3
    y2 = (x * x).sum()
    autograd.backward([y1, y2], grad_tensors=[dc.tensor([1.0, 1.0]), dc.tensor(2.0)])
    # 3 + 2 * 2x
    np.testing.assert_allclose(x.grad.data, [7.0, 11.0])


def test_grad_returns_a_tuple_and_writes_no_dot_grad():
    x = leaf(2.0)
    y = leaf(3.0)
    z = x**3 + y**2
    result = autograd.grad(z, [x, y])
    assert isinstance(result, tuple) and len(result) == 2
    np.testing.assert_allclose(result[0].data, [12.0])
    np.testing.assert_allclose(result[1].data, [6.0])
    assert x.grad is None and y.grad is None


def test_grad_accepts_a_single_input_tensor():
    x = leaf(2.0)
    (g,) = autograd.grad(x**3, x)
    np.testing.assert_allclose(g.data, [12.0])


def test_grad_with_grad_outputs():
    x = leaf(1.0, 2.0)
    (g,) = autograd.grad(x * x, [x], grad_outputs=[dc.tensor([3.0, 5.0])])
    np.testing.assert_allclose(g.data, [6.0, 20.0])


def test_grad_with_respect_to_an_intermediate():
    x = leaf(2.0)
    y = x * 3
    z = y * y
    (gy,) = autograd.grad(z, [y])
    np.testing.assert_allclose(gy.data, [12.0])


def test_gradient_is_summed_over_every_path():
    x = leaf(2.0)
    a = x * 3
    b = dc.sin(x)
    z = a * b + a + b
    z.backward()
    xv = 2.0
    # z = 3x sin x + 3x + sin x
    expected = 3 * np.sin(xv) + 3 * xv * np.cos(xv) + 3 + np.cos(xv)
    np.testing.assert_allclose(x.grad.data, [expected])


def test_unused_input_raises_with_its_index():
    x = leaf(1.0)
    unused = leaf(1.0)
    msg = re.escape(
        "The differentiated Tensor at index 1 appears to not have been used in the graph. "
        "Set allow_unused=True if this is the desired behavior."
    )
    with pytest.raises(RuntimeError, match=msg):
        autograd.grad(x * 2, [x, unused])


def test_allow_unused_gives_none():
    x = leaf(1.0)
    unused = leaf(1.0)
    gx, gu = autograd.grad(x * 2, [x, unused], allow_unused=True)
    np.testing.assert_allclose(gx.data, [2.0])
    assert gu is None


def test_materialize_grads_gives_zeros_of_the_input_shape():
    x = leaf(1.0)
    unused = dc.tensor([[1.0, 2.0]], requires_grad=True)
    gx, gu = autograd.grad(x * 2, [x, unused], materialize_grads=True)
    np.testing.assert_allclose(gx.data, [2.0])
    assert gu.shape == (1, 2)
    np.testing.assert_array_equal(gu.data, [[0.0, 0.0]])


def test_materialize_grads_with_allow_unused_false_raises_value_error():
    x = leaf(1.0)
    with pytest.raises(ValueError):
        autograd.grad(x * 2, [x], materialize_grads=True, allow_unused=False)


def test_second_backward_without_retain_graph_raises():
    x = leaf(1.0, 2.0)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=SECOND_TIME) as info:
        y.backward()
    assert "retain_graph=True" in str(info.value)


def test_second_grad_without_retain_graph_raises():
    x = leaf(1.0, 2.0)
    y = dc.sin(x).sum()
    autograd.grad(y, [x])
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        autograd.grad(y, [x])


def test_retain_graph_allows_a_second_backward_which_accumulates():
    x = leaf(1.0, 2.0)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, [4.0, 8.0])


def test_graph_that_saved_nothing_may_run_backward_twice():
    x = leaf(1.0, 2.0)
    y = x.sum()
    y.backward()
    y.backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])


def test_retain_graph_defaults_to_create_graph():
    x = leaf(1.5)
    y = x**3
    (g,) = autograd.grad(y, [x], create_graph=True)
    # The graph is still there: a second pass through it works.
    (g2,) = autograd.grad(y, [x])
    np.testing.assert_allclose(g2.data, [3 * 1.5**2])
    np.testing.assert_allclose(g.data, [3 * 1.5**2])


def test_create_graph_makes_differentiable_gradients():
    x = leaf(1.5)
    (g,) = autograd.grad(x**3, [x], create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    (gg,) = autograd.grad(g, [x])
    np.testing.assert_allclose(gg.data, [6 * 1.5])


def test_without_create_graph_gradients_are_constants():
    x = leaf(1.5)
    (g,) = autograd.grad(x**3, [x])
    assert g.requires_grad is False and g.grad_fn is None


def test_backward_create_graph_leaves_a_differentiable_dot_grad():
    x = leaf(2.0)
    with pytest.warns(UserWarning, match="reference cycle"):
        (x**3).backward(create_graph=True)
    assert x.grad.requires_grad
    (gg,) = autograd.grad(x.grad, [x])
    np.testing.assert_allclose(gg.data, [12.0])


def test_backward_inputs_restricts_accumulation():
    x = leaf(2.0)
    y = leaf(3.0)
    (x * y).backward(inputs=[x])
    np.testing.assert_allclose(x.grad.data, [3.0])
    assert y.grad is None


class Spy(autograd.Function):
    """Identity that counts how often its backward runs."""

    calls = 0

    @staticmethod
    def forward(ctx, t):
        return t * 1.0

    @staticmethod
    def backward(ctx, grad):
        Spy.calls += 1
        return grad


def test_only_branches_leading_to_requested_inputs_are_computed():
    x = leaf(2.0)
    y = leaf(3.0)
    out = x * 2 + Spy.apply(y) * 5
    Spy.calls = 0
    (gx,) = autograd.grad(out, [x], retain_graph=True)
    np.testing.assert_allclose(gx.data, [2.0])
    assert Spy.calls == 0
    out.backward(inputs=[x], retain_graph=True)
    assert Spy.calls == 0
    out.backward()
    assert Spy.calls == 1
    np.testing.assert_allclose(y.grad.data, [5.0])


def test_branch_that_needs_no_grad_is_not_recorded():
    x = leaf(2.0)
    c = dc.tensor([3.0])
    out = x * 2 + Spy.apply(c)
    assert not Spy.apply(c).requires_grad
    Spy.calls = 0
    out.backward()
    assert Spy.calls == 0


def test_next_functions_expose_the_graph_like_pytorch():
    x = leaf(2.0)
    c = dc.tensor([3.0])
    z = x * c
    (node_x, nr_x), (node_c, _) = z.grad_fn.next_functions
    assert node_x.name() == "AccumulateGrad"
    assert node_x.variable is x
    assert nr_x == 0
    assert node_c is None
    w = dc.sin(z)
    assert w.grad_fn.next_functions[0][0] is z.grad_fn


class _Halves(autograd.Function):
    """Two outputs, so that a later op takes an input with output_nr 1."""

    @staticmethod
    def forward(ctx, y):
        return y[0:1] * 1.0, y[1:2] * 1.0

    @staticmethod
    def backward(ctx, g0, g1):
        return dc.cat([g0, g1])


class _Three(autograd.Function):
    """Three inputs: the third edge is past the two a node keeps in its slots."""

    @staticmethod
    def forward(ctx, a, b, c):
        return a * b + c * 2.0

    @staticmethod
    def backward(ctx, g):
        return g * 10.0, g * 20.0, g * 30.0


def test_next_functions_and_gradients_of_a_three_input_function_match_pytorch():
    # PyTorch: [(AccumulateGrad, 0), (None, 0), (<second output's node>, 1)], and
    # backward gives x.grad [10.] and y.grad [0., 30.] (worked with torch 2.13).
    x = leaf(1.0)
    y = leaf(2.0, 3.0)
    _, second = _Halves.apply(y)
    out = _Three.apply(x, dc.tensor([5.0]), second)
    (node_x, nr_x), (node_k, nr_k), (node_v, nr_v) = out.grad_fn.next_functions
    assert (node_x.name(), node_x.variable is x, nr_x) == ("AccumulateGrad", True, 0)
    assert (node_k, nr_k) == (None, 0)
    assert (node_v is second.grad_fn, nr_v) == (True, 1)
    out.backward()
    assert x.grad.tolist() == [10.0]
    assert y.grad.tolist() == [0.0, 30.0]


def test_detect_anomaly_names_the_op_whose_backward_made_nan():
    x = leaf(0.0)
    # errstate: numpy's own division warnings would surface inside pytest.warns.
    with np.errstate(all="ignore"), pytest.warns(UserWarning), autograd.detect_anomaly():
        y = dc.sqrt(x) * 0.0  # sqrt'(0) = inf, inf * 0 = nan
        with pytest.raises(RuntimeError, match="SqrtBackward"):
            y.backward()


def test_detect_anomaly_error_includes_the_source_span():
    x = leaf(0.0)
    with np.errstate(all="ignore"), pytest.warns(UserWarning), autograd.detect_anomaly():
        s = dc.sqrt(x)
        s.grad_fn.metadata["source"] = "sqrt(x) at column 1-7"
        with pytest.raises(RuntimeError, match=re.escape("sqrt(x) at column 1-7")):
            (s * 0.0).backward()


def test_without_detect_anomaly_nan_gradients_pass_silently():
    x = leaf(0.0)
    (dc.sqrt(x) * 0.0).backward()
    assert np.isnan(x.grad.data[0])


def test_detect_anomaly_names_a_user_function():
    class Explode(autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 1.0

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = leaf(1.0)
    with (
        pytest.warns(UserWarning),
        autograd.detect_anomaly(),
        pytest.raises(RuntimeError, match="ExplodeBackward"),
    ):
        Explode.apply(x).backward()


def test_grad_of_non_scalar_output_without_grad_outputs_raises():
    x = leaf(1.0, 2.0)
    msg = "grad can be implicitly created only for scalar outputs"
    with pytest.raises(RuntimeError, match=msg):
        autograd.grad(x * x, [x])


def test_grad_of_several_outputs_sums_their_contributions():
    x = leaf(2.0)
    (g,) = autograd.grad([x * 3, x * x], [x])
    np.testing.assert_allclose(g.data, [3.0 + 4.0])


def test_a_one_input_op_on_a_second_output_sends_its_gradient_to_that_output():
    # torch: sin(y.unbind()[1]).backward() gives y.grad [0, cos 3].
    y = leaf(2.0, 3.0)
    _, second = _Halves.apply(y)
    dc.sin(second).sum().backward()
    assert y.grad.tolist() == [0.0, np.cos(3.0)]
