"""Custom functions: the PyTorch Function pattern (forward/backward/apply), its ctx features and errors."""

import re

import numpy as np
import pytest

import diffcli as dc
from diffcli import autograd


class Line(autograd.Function):
    """w * x + b; saves only what its backward reads (b's gradient needs no value)."""

    @staticmethod
    def forward(ctx, w, x, b):
        ctx.save_for_backward(w, x)
        return w * x + b

    @staticmethod
    def backward(ctx, grad_out):
        w, x = ctx.saved_tensors
        return grad_out * x, grad_out * w, grad_out


def leaf(data):
    return dc.tensor(data, requires_grad=True)


def test_function_forward_and_backward_values():
    w, x, b = leaf([2.0, 3.0]), leaf([5.0, 7.0]), leaf([1.0, 1.0])
    out = Line.apply(w, x, b)
    np.testing.assert_allclose(out.data, [11.0, 22.0])
    assert out.grad_fn.name() == "LineBackward"
    out.backward(dc.tensor([1.0, 10.0]))
    np.testing.assert_allclose(w.grad.data, [5.0, 70.0])
    np.testing.assert_allclose(x.grad.data, [2.0, 30.0])
    np.testing.assert_allclose(b.grad.data, [1.0, 10.0])


def test_apply_on_inputs_without_grad_gives_a_constant():
    out = Line.apply(dc.tensor([1.0]), dc.tensor([2.0]), dc.tensor([3.0]))
    assert out.requires_grad is False and out.grad_fn is None
    np.testing.assert_allclose(out.data, [5.0])


def test_forward_runs_without_recording():
    seen = {}

    class Probe(autograd.Function):
        @staticmethod
        def forward(ctx, t):
            seen["enabled"] = dc.is_grad_enabled()
            return t * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    Probe.apply(leaf([1.0]))
    assert seen == {"enabled": False}


def test_ctx_carries_arbitrary_attributes_and_non_tensor_arguments():
    class Scale(autograd.Function):
        @staticmethod
        def forward(ctx, t, factor):
            ctx.factor = factor
            return t * factor

        @staticmethod
        def backward(ctx, g):
            return g * ctx.factor, None

    x = leaf([1.0, 2.0])
    Scale.apply(x, 4.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [4.0, 4.0])


def test_needs_input_grad_matches_which_inputs_require_grad():
    seen = {}

    class Mul(autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["forward"] = tuple(ctx.needs_input_grad)
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            seen["backward"] = tuple(ctx.needs_input_grad)
            return (g * b if ctx.needs_input_grad[0] else None,
                    g * a if ctx.needs_input_grad[1] else None)

    a = leaf([2.0])
    Mul.apply(a, dc.tensor([3.0])).backward()
    assert seen == {"forward": (True, False), "backward": (True, False)}
    np.testing.assert_allclose(a.grad.data, [3.0])


def test_none_is_accepted_for_inputs_that_need_no_gradient():
    class Mul(autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            (b,) = ctx.saved_tensors
            return g * b, None

    a = leaf([2.0])
    Mul.apply(a, dc.tensor([3.0])).backward()
    np.testing.assert_allclose(a.grad.data, [3.0])


def test_mark_non_differentiable_output_does_not_require_grad():
    class SortWithIndex(autograd.Function):
        @staticmethod
        def forward(ctx, t):
            order = np.argsort(t.data)
            ctx.order = order
            idx = dc.tensor(order.astype(np.float64))
            ctx.mark_non_differentiable(idx)
            return dc.tensor(t.data[order]), idx

        @staticmethod
        def backward(ctx, g, g_idx):
            np.testing.assert_array_equal(g_idx.data, [0.0, 0.0, 0.0])
            out = np.zeros_like(g.data)
            out[ctx.order] = g.data
            return dc.tensor(out)

    x = leaf([3.0, 1.0, 2.0])
    values, idx = SortWithIndex.apply(x)
    assert values.requires_grad
    assert idx.requires_grad is False
    np.testing.assert_array_equal(idx.data, [1.0, 2.0, 0.0])
    (values * dc.tensor([1.0, 10.0, 100.0])).sum().backward()
    # sorted = [x1, x2, x0] -> weights go back to positions 1, 2, 0
    np.testing.assert_allclose(x.grad.data, [100.0, 1.0, 10.0])


def _two_outputs(materialize):
    seen = {}

    class Two(autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.set_materialize_grads(materialize)
            return t * 2, t * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen["g2"] = g2
            return g1 * 2

    return Two, seen


def test_unused_output_gradient_is_materialized_as_zeros_by_default():
    two, seen = _two_outputs(True)
    x = leaf([1.0, 2.0])
    first, _ = two.apply(x)
    first.sum().backward()
    np.testing.assert_array_equal(seen["g2"].data, [0.0, 0.0])
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])


def test_set_materialize_grads_false_passes_none_for_unused_outputs():
    two, seen = _two_outputs(False)
    x = leaf([1.0, 2.0])
    first, _ = two.apply(x)
    first.sum().backward()
    assert seen["g2"] is None
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])


def test_saved_tensors_after_free_raise_the_second_time_error():
    seen = {}

    class Keep(autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            seen["ctx"] = ctx
            return t * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    Keep.apply(leaf([1.0])).backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        seen["ctx"].saved_tensors  # noqa: B018


def test_wrong_number_of_gradients_raises_with_pytorch_wording():
    class Line(autograd.Function):  # noqa: F811 - the name shows up in the message
        @staticmethod
        def forward(ctx, w, x, b):
            return w * x + b

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out

    w = leaf(np.ones((2, 3)))
    msg = "function LineBackward returned an incorrect number of gradients (expected 3, got 1)"
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        Line.apply(w, w, w).sum().backward()


def test_gradient_of_wrong_shape_raises_with_pytorch_wording():
    class Line(autograd.Function):  # noqa: F811 - the name shows up in the message
        @staticmethod
        def forward(ctx, w, x, b):
            return w * x + b

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out, dc.ones(5, 7), grad_out

    w = leaf(np.ones((2, 3)))
    msg = (
        "Function LineBackward returned an invalid gradient at index 1 - "
        "got [5, 7] but expected shape compatible with [2, 3]"
    )
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        Line.apply(w, w, w).sum().backward()


class AddBias(autograd.Function):
    """Returns the full-shape gradient for the bias and lets the engine reduce it."""

    @staticmethod
    def forward(ctx, t, bias):
        return t + bias

    @staticmethod
    def backward(ctx, g):
        return g, g


@pytest.mark.parametrize(
    ("bias_shape", "expected"),
    [((3,), [5.0, 7.0, 9.0]), ((1, 3), [[5.0, 7.0, 9.0]]), ((2, 1), [[6.0], [15.0]])],
)
def test_broadcastable_gradient_is_summed_down_to_the_input(bias_shape, expected):
    x = leaf(np.zeros((2, 3)))
    bias = leaf(np.zeros(bias_shape))
    AddBias.apply(x, bias).backward(dc.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    assert bias.grad.shape == bias_shape
    np.testing.assert_allclose(bias.grad.data, expected)


class Square(autograd.Function):
    grad_modes: list[bool] = []  # the grad mode each backward ran in

    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return t * t

    @staticmethod
    def backward(ctx, g):
        Square.grad_modes.append(dc.is_grad_enabled())
        (t,) = ctx.saved_tensors
        return 2 * t * g


def test_backward_runs_with_grad_mode_equal_to_create_graph():
    Square.grad_modes.clear()
    x = leaf([3.0])
    (g,) = autograd.grad(Square.apply(x), [x], create_graph=True)
    (gg,) = autograd.grad(g, [x])
    Square.apply(x).backward()
    assert Square.grad_modes == [True, False]
    np.testing.assert_allclose(g.data, [6.0])
    np.testing.assert_allclose(gg.data, [2.0])


def test_a_saved_input_unpacks_with_its_grad_fn_and_differentiates_again():
    # torch: the saved non-leaf input carries the input's grad_fn, so a backward built on
    # it under create_graph reaches a: d/da of 2*(3a)*3 is 18.
    a = leaf(0.5)
    x = a * 3.0
    y = Square.apply(x)
    (saved,) = y.grad_fn.saved_tensors
    assert saved.grad_fn is x.grad_fn and saved.requires_grad and saved.item() == 1.5
    (first,) = autograd.grad(y, a, create_graph=True)
    (second,) = autograd.grad(first, a)
    assert (first.item(), second.item()) == (9.0, 18.0)


def test_a_users_saved_non_leaf_input_is_the_very_tensor_in_backward():
    # torch 2.13: ctx.saved_tensors[0] is the input saved, retains_grad and all.
    seen = {}

    class Keep(autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t * 2.0

        @staticmethod
        def backward(ctx, g):
            (t,) = ctx.saved_tensors
            seen["same"], seen["retains"] = t is x, t.retains_grad
            return g * 2.0

    a = leaf(1.0)
    x = a * 3.0
    x.retain_grad()
    Keep.apply(x).backward()
    assert seen == {"same": True, "retains": True}
    assert (x.grad.item(), a.grad.item()) == (2.0, 6.0)


class OnceSquare(autograd.Function):
    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return t * t

    @staticmethod
    @autograd.once_differentiable
    def backward(ctx, g):
        assert not dc.is_grad_enabled()
        (t,) = ctx.saved_tensors
        return 2 * t * g


def test_once_differentiable_backward_works_once():
    x = leaf([3.0])
    OnceSquare.apply(x).backward()
    np.testing.assert_allclose(x.grad.data, [6.0])


def test_differentiating_through_once_differentiable_twice_raises():
    x = leaf([3.0])
    y = dc.sin(OnceSquare.apply(x))  # the incoming gradient cos(x^2) requires grad
    (g,) = autograd.grad(y, [x], create_graph=True)
    np.testing.assert_allclose(g.data, [np.cos(9.0) * 6.0])
    with pytest.raises(
        RuntimeError,
        match="trying to differentiate twice a function that was marked with @once_differentiable",
    ):
        g.backward()


def test_builtin_ops_and_user_functions_share_the_node_interface():
    x = leaf([1.0])
    w = leaf([2.0])
    user = Line.apply(w, x, x)
    builtin = w * x
    for node in (user.grad_fn, builtin.grad_fn):
        assert callable(node.name)
        assert isinstance(node.next_functions, tuple)
        assert isinstance(node.metadata, dict)
