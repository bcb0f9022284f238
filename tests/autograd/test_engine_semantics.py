"""Engine semantics pinned to what PyTorch 2 does in the same situation.

Each expected value or message below was worked out by running the same code under
PyTorch (float64) or by hand: version counters shared by a tensor and its detached
aliases, what an operation keeps for backward, retain_grad across in-place changes,
grad mode inside decorated generators, non-tensor outputs of Function.apply, the
arguments backward and grad refuse, reentrant backward at depth, anomaly mode and
gradcheck's checks, and the wording of shape errors.
"""

import asyncio
import gc
import re
import subprocess
import sys
import warnings
import weakref

import numpy as np
import pytest

import diffcli as dc
from diffcli import autograd

MODIFIED = "one of the variables needed for gradient computation has been modified by an inplace"


def leaf(data):
    return dc.tensor(data, requires_grad=True)


# -- version counters shared with detached aliases ----------------------------------
def test_in_place_change_through_a_detached_alias_fails_the_backward_that_saved_it():
    x = leaf([2.0])
    y = x * 1
    z = y.sin()  # saves y
    y.detach().mul_(3.0)
    with pytest.raises(RuntimeError, match=MODIFIED):
        z.backward()


def test_a_tensor_and_its_detached_alias_count_versions_together():
    y = leaf([2.0]) * 1
    d = y.detach()
    e = d.detach()
    e.add_(1.0)
    assert (y._version, d._version, e._version) == (1, 1, 1)


def test_in_place_change_through_a_detached_leaf_fails_backward():
    x = leaf([2.0])
    z = x.sin()
    x.detach().add_(1.0)
    with pytest.raises(RuntimeError, match=MODIFIED):
        z.backward()


def test_zeroing_a_detached_saved_output_fails_backward():
    x = leaf([2.0])
    y = x.exp()  # saves its own output
    y.detach().zero_()
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


@pytest.mark.parametrize("data", [2.0, [2.0, 5.0]], ids=["0-d", "1-d"])
def test_in_place_change_through_a_detached_alias_is_seen_by_the_original(data):
    y = leaf(data) * 1
    y.detach().add_(1.0)
    np.testing.assert_array_equal(y.data, np.asarray(data) + 1.0)


def test_in_place_change_through_a_reshaped_view_fails_backward_of_its_base():
    y = leaf([1.0, 2.0]) * 1
    w = y.sin()
    with dc.no_grad():
        y.reshape(2, 1).add_(1.0)
    np.testing.assert_array_equal(y.data, [2.0, 3.0])  # the view writes into y's values
    with pytest.raises(RuntimeError, match=MODIFIED):
        w.sum().backward()


def test_recorded_in_place_keeps_the_old_value_for_the_other_gradient_despite_aliases():
    # y.mul_(w) needs y's old value for w's gradient; a later write through an alias
    # of y's old storage must not reach it (PyTorch: x.grad 3, w.grad 2).
    x, w = leaf([2.0]), leaf([3.0])
    y = x * 1
    d = y.detach()
    y.mul_(w)
    d.mul_(100.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0])
    np.testing.assert_array_equal(w.grad.data, [2.0])


# -- what multiplication and division keep ---------------------------------------
@pytest.mark.parametrize(
    ("op", "expected"),
    [(lambda y, c: y * c, 3.0), (lambda y, c: c * y, 3.0), (lambda y, c: y / c, 1 / 3)],
    ids=["y*c", "c*y", "y/c"],
)
def test_changing_the_differentiated_operand_in_place_is_fine_when_only_the_constant_is_kept(
    op, expected
):
    x = leaf([2.0])
    y = x * 1
    z = op(y, dc.tensor([3.0]))
    y.add_(1.0)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.data, [expected], rtol=1e-15)


def test_a_matrix_product_keeps_only_the_operand_the_other_gradient_reads():
    # PyTorch: W changed in place after W @ X, when X needs no gradient, is not saved, and
    # the gradient, a row of ones times X.T, uses X alone.
    w, x = leaf([[1.0, 2.0], [3.0, 4.0]]), dc.tensor([[1.0, 5.0], [2.0, 7.0]])
    z = w @ x
    with dc.no_grad():
        w.mul_(10.0)
    z.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [[6.0, 9.0], [6.0, 9.0]])


@pytest.mark.parametrize("vector", [False, True], ids=["matrix", "vector"])
def test_a_matrix_product_keeps_the_other_operand_for_a_gradient(vector):
    w = leaf([[1.0, 2.0], [3.0, 4.0]])
    x = dc.tensor([1.0, 5.0] if vector else [[1.0, 5.0], [2.0, 7.0]])
    z = w @ x
    x.add_(1.0)
    with pytest.raises(RuntimeError, match=MODIFIED):
        z.sum().backward()


def test_division_keeps_the_divisor_for_the_dividends_gradient():
    y = leaf([2.0]) * 1
    c = dc.tensor([3.0])
    z = y / c
    c.add_(1.0)
    with pytest.raises(RuntimeError, match=MODIFIED):
        z.sum().backward()


def test_division_keeps_both_operands_for_the_divisors_gradient():
    y = leaf([2.0]) * 1
    z = dc.tensor([3.0]) / y
    y.add_(1.0)
    with pytest.raises(RuntimeError, match=MODIFIED):
        z.sum().backward()


@pytest.mark.parametrize("op", [lambda y: y / 2, lambda y: y * 2], ids=["y/2", "y*2"])
def test_an_operation_with_a_constant_does_not_keep_its_tensor_operand_alive(op):
    x = leaf([2.0])
    y = x * 1
    ref = weakref.ref(y)
    z = op(y)
    del y
    gc.collect()
    assert ref() is None
    z.sum().backward()
    assert x.grad is not None


# -- retain_grad across in-place changes --------------------------------------------
def test_retain_grad_moves_to_the_new_version_after_an_in_place_op():
    x = leaf([2.0])
    a = x * 1
    a.retain_grad()
    a.mul_(2.0)
    (a * 5).sum().backward()
    assert a.retains_grad
    np.testing.assert_array_equal(a.grad.data, [5.0])
    np.testing.assert_array_equal(x.grad.data, [10.0])


def test_retained_grad_after_in_place_excludes_uses_of_the_old_version():
    x = leaf([2.0])
    a = x * 1
    a.retain_grad()
    b = a * 3
    a.mul_(2.0)
    (a * 5 + b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [5.0])
    np.testing.assert_array_equal(x.grad.data, [13.0])


# -- grad mode decorators on generators ---------------------------------------------
def test_no_grad_decorator_holds_inside_a_generator_at_every_resumption():
    @dc.no_grad()
    def modes():
        for _ in range(2):
            yield dc.is_grad_enabled()

    assert list(modes()) == [False, False]
    assert dc.is_grad_enabled()


def test_bare_no_grad_decorator_on_a_generator():
    @dc.no_grad
    def modes():
        yield dc.is_grad_enabled()

    assert list(modes()) == [False]


def test_enable_grad_generator_resumed_under_no_grad_records_and_restores_the_caller():
    @dc.enable_grad()
    def modes():
        yield dc.is_grad_enabled()

    with dc.no_grad():
        gen = modes()
        assert next(gen) is True
        assert dc.is_grad_enabled() is False


def test_set_grad_enabled_generator_passes_sent_values_and_returns():
    @dc.set_grad_enabled(False)
    def echo():
        received = yield dc.is_grad_enabled()
        yield received, dc.is_grad_enabled()
        return "done"

    gen = echo()
    assert next(gen) is False and dc.is_grad_enabled()
    assert gen.send(5) == (5, False) and dc.is_grad_enabled()
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value == "done"


def test_exception_thrown_into_a_decorated_generator_is_seen_under_its_mode():
    seen = []

    @dc.no_grad()
    def catcher():
        try:
            yield 1
        except ValueError:
            seen.append(dc.is_grad_enabled())
            yield 2

    gen = catcher()
    next(gen)
    assert gen.throw(ValueError) == 2
    assert seen == [False] and dc.is_grad_enabled()


def test_decorated_coroutine_body_runs_in_the_callers_mode_as_in_pytorch():
    # PyTorch wraps only generator functions; a coroutine function is called (creating
    # the coroutine) under the mode, and its body runs later in whatever mode holds.
    @dc.no_grad()
    async def mode():
        await asyncio.sleep(0)
        return dc.is_grad_enabled()

    assert asyncio.run(mode()) is True


# -- Function.apply outputs and backward's gradients ------------------------------------
class Mixed(autograd.Function):
    received: list = []

    @staticmethod
    def forward(ctx, x):
        return x * 2, 3, None, "label", 2.5

    @staticmethod
    def backward(ctx, g, *rest):
        Mixed.received = list(rest)
        return g * 2


def test_apply_returns_non_tensor_outputs_as_they_are():
    x = leaf([1.0])
    out = Mixed.apply(x)
    assert isinstance(out[0], dc.Tensor) and out[0].grad_fn is not None
    assert out[1:] == (3, None, "label", 2.5)
    assert type(out[1]) is int and type(out[4]) is float
    out[0].sum().backward()
    assert Mixed.received == [None, None, None, None]
    np.testing.assert_array_equal(x.grad.data, [2.0])


def test_apply_of_a_forward_returning_a_number_returns_the_number():
    class Seven(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return 7

        @staticmethod
        def backward(ctx, g):
            return g

    result = Seven.apply(leaf([1.0]))
    assert type(result) is int and result == 7


def _doubling(extra):
    class Double(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return (g * 2, *extra(g))

    return Double


def test_backward_may_return_extra_trailing_none_gradients():
    x = leaf([1.0])
    _doubling(lambda g: (None, None)).apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0])


def test_backward_returning_an_extra_gradient_that_is_not_none_raises():
    message = "incorrect number of gradients (expected 1, got 2)"
    with pytest.raises(RuntimeError, match=re.escape(message)):
        _doubling(lambda g: (g,)).apply(leaf([1.0])).sum().backward()


# -- grad and backward arguments, numpy(), tensor(), *_like ----------------------------
def test_materialized_zeros_under_create_graph_can_be_differentiated_again():
    x, y = leaf([1.0, 2.0]), leaf([3.0])
    gx, gy = autograd.grad((x * 2).sum(), [x, y], materialize_grads=True, create_graph=True)
    np.testing.assert_array_equal(gy.data, [0.0])
    assert gy.requires_grad and gy.grad_fn is None
    assert autograd.grad(gy.sum(), [x, y], allow_unused=True) == (None, None)


def test_materialized_zeros_without_create_graph_are_constants():
    x, y = leaf([1.0, 2.0]), leaf([3.0])
    _, gy = autograd.grad((x * 2).sum(), [x, y], materialize_grads=True)
    assert not gy.requires_grad


@pytest.mark.parametrize(
    "call",
    [
        lambda z: z.backward(inputs=[]),
        lambda z: autograd.backward(z, inputs=()),
    ],
    ids=["method", "function"],
)
def test_backward_with_empty_inputs_raises(call):
    z = (leaf([1.0]) * 2).sum()
    message = "`inputs` argument to `backward()` cannot be empty."
    with pytest.raises(RuntimeError, match=re.escape(message)):
        call(z)


def test_grad_with_empty_inputs_raises():
    z = (leaf([1.0]) * 2).sum()
    message = "`inputs` argument to `grad()` cannot be empty."
    with pytest.raises(RuntimeError, match=re.escape(message)):
        autograd.grad(z, [])


def test_numpy_of_a_tensor_requiring_grad_is_allowed_under_no_grad():
    x = leaf([1.0, 2.0])
    y = x * 2
    with dc.no_grad():
        np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])
        np.testing.assert_array_equal(y.numpy(), [2.0, 4.0])
    with pytest.raises(RuntimeError, match=re.escape("Use tensor.detach().numpy() instead.")):
        x.numpy()


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: [dc.tensor(2.0)], [2.0]),
        (lambda: [dc.tensor([2.0])], [2.0]),
        (lambda: [dc.tensor(2.0), dc.tensor(3.0)], [2.0, 3.0]),
        (lambda: [1.0, dc.tensor(2.0)], [1.0, 2.0]),
        (lambda: [[dc.tensor(2.0)], [dc.tensor([3.0])]], [[2.0], [3.0]]),
    ],
)
def test_tensor_of_a_list_holding_one_element_tensors(make, expected):
    t = dc.tensor(make())
    assert t.shape == np.shape(expected)
    np.testing.assert_array_equal(t.data, expected)


def test_tensor_of_a_list_holding_a_tensor_of_several_elements_raises():
    message = "only one element tensors can be converted to Python scalars"
    with pytest.raises(ValueError, match=message):
        dc.tensor([dc.tensor([2.0, 3.0])])


def test_randn_like_and_rand_like_draw_in_the_shape_of_their_argument():
    shape = (2, 3)
    dc.manual_seed(7)
    expected = dc.randn(*shape).data
    dc.manual_seed(7)
    drawn = dc.randn_like(dc.zeros(*shape), requires_grad=True)
    assert drawn.shape == shape and drawn.requires_grad and drawn.is_leaf
    np.testing.assert_array_equal(drawn.data, expected)
    uniform = dc.rand_like(dc.zeros(4, 5))
    assert uniform.shape == (4, 5) and not uniform.requires_grad
    assert np.all((uniform.data >= 0.0) & (uniform.data < 1.0))


# -- reentrant backward --------------------------------------------------------------
class DeepReentrant(autograd.Function):
    """Each backward runs the backward of one more application, down to zero."""

    @staticmethod
    def forward(ctx, x):
        with dc.enable_grad():
            ctx.x = dc.tensor(x.detach().data, requires_grad=True) - 1
        return ctx.x.detach()

    @staticmethod
    def backward(ctx, g):
        if ctx.x.item() < 0:
            return g
        with dc.enable_grad():
            DeepReentrant.apply(ctx.x).sum().backward()
        return g


@pytest.mark.parametrize("depth", [2000.0, 200.0])
def test_reentrant_backward_runs_thousands_of_levels_deep(depth):
    limit = sys.getrecursionlimit()
    v = leaf(depth)
    DeepReentrant.apply(v).sum().backward()
    np.testing.assert_array_equal(v.grad.data, 1.0)
    assert sys.getrecursionlimit() == limit


def test_an_error_deep_in_reentrant_backward_reaches_the_caller():
    class Failing(DeepReentrant):
        @staticmethod
        def backward(ctx, g):
            if ctx.x.item() < 0:
                raise ValueError("bottom reached")
            with dc.enable_grad():
                Failing.apply(ctx.x).sum().backward()
            return g

    with pytest.raises(ValueError, match="bottom reached"):
        Failing.apply(leaf(1000.0)).sum().backward()


# -- anomaly mode ----------------------------------------------------------------------
ANOMALY_ENABLED = (
    "Anomaly Detection has been enabled. This mode will increase the runtime and should only "
    "be enabled for debugging."
)


def test_detect_anomaly_warns_that_it_is_on():
    with pytest.warns(UserWarning, match=re.escape(ANOMALY_ENABLED)):
        autograd.detect_anomaly()


def test_anomaly_mode_warns_with_the_forward_traceback_of_the_op_that_made_nan():
    # errstate: numpy's own division warnings would surface inside pytest.warns.
    with np.errstate(all="ignore"), pytest.warns(UserWarning) as record, autograd.detect_anomaly():
        x = leaf([0.0])
        y = dc.sqrt(x) * 0
        z = y / y  # the line the warning must point at
        with pytest.raises(RuntimeError, match="Function 'DivBackward' returned nan values"):
            z.sum().backward()
    messages = [str(w.message) for w in record]
    detected = [m for m in messages if m.startswith("Error detected in DivBackward.")]
    assert len(detected) == 1
    assert "Traceback of forward call that caused the error:" in detected[0]
    assert "z = y / y  # the line the warning must point at" in detected[0]
    assert __file__ in detected[0]
    assert "diffcli/autograd" not in detected[0]


def test_anomaly_mode_warns_with_the_forward_traceback_of_a_failing_custom_backward():
    class Broken(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            raise RuntimeError("Some error in backward")

    with pytest.warns(UserWarning) as record, autograd.detect_anomaly():
        out = Broken.apply(leaf([1.0])).sum()  # forward of the failing node
        with pytest.raises(RuntimeError, match="Some error in backward"):
            out.backward()
    messages = [str(w.message) for w in record]
    detected = [m for m in messages if "Error detected in BrokenBackward" in m]
    assert len(detected) == 1 and "# forward of the failing node" in detected[0]


def test_without_anomaly_mode_a_failing_backward_warns_nothing():
    x = leaf([0.0])
    y = dc.sqrt(x) * 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        (y / y).sum().backward()
    assert np.isnan(x.grad.data).all()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's, for 0/0
def test_set_detect_anomaly_called_as_a_function_turns_the_mode_on():
    autograd.set_detect_anomaly(True)
    try:
        y = dc.sqrt(leaf([0.0])) * 0
        with (
            pytest.warns(UserWarning, match="Error detected"),
            pytest.raises(RuntimeError, match="returned nan values"),
        ):
            (y / y).sum().backward()
    finally:
        autograd.set_detect_anomaly(False)
    y = dc.sqrt(leaf([0.0])) * 0
    (y / y).sum().backward()


def test_detect_anomaly_without_check_nan_records_tracebacks_but_lets_nan_pass():
    with (
        np.errstate(all="ignore"),
        pytest.warns(UserWarning, match="Anomaly Detection"),
        autograd.detect_anomaly(check_nan=False),
    ):
        x = leaf([0.0])
        y = dc.sqrt(x) * 0
        (y / y).sum().backward()
    assert np.isnan(x.grad.data).all()


def test_anomaly_mode_reaches_reentrant_passes_on_other_stacks():
    class NanAtBottom(DeepReentrant):
        @staticmethod
        def backward(ctx, g):
            if ctx.x.item() < 0:
                return g * float("nan")
            with dc.enable_grad():
                NanAtBottom.apply(ctx.x).sum().backward()
            return g

    with pytest.warns(UserWarning), autograd.detect_anomaly():
        out = NanAtBottom.apply(leaf(300.0)).sum()
        with pytest.raises(RuntimeError, match="returned nan values"):
            out.backward()


REFERENCE_CYCLE = (
    "Using backward() with create_graph=True will create a reference cycle between the "
    "parameter and its gradient which can cause a memory leak. We recommend using "
    "autograd.grad when creating the graph to avoid this. If you have to use this function, "
    "make sure to reset the .grad fields of your parameters to None after use to break the "
    "cycle and avoid the leak."
)


def test_backward_with_create_graph_warns_about_the_reference_cycle():
    x = leaf([1.0])
    with pytest.warns(UserWarning, match=re.escape(REFERENCE_CYCLE)):
        (x**3).sum().backward(create_graph=True)
    np.testing.assert_array_equal(x.grad.data, [3.0])


def test_grad_with_create_graph_does_not_warn():
    x = leaf([1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        autograd.grad((x**3).sum(), x, create_graph=True)
        (x**3).sum().backward()


# -- gradcheck ---------------------------------------------------------------------------
def _scaled(factor):
    """x -> 2x as a Function whose backward claims factor * g."""

    class Scaled(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * factor

    return Scaled.apply


def test_gradcheck_fast_mode_passes_a_right_gradient(rng):
    x = leaf(rng.standard_normal((3, 4)))
    y = leaf(rng.standard_normal(4))
    assert autograd.gradcheck(lambda a, b: (a * dc.sin(b), a.sum()), (x, y), fast_mode=True)


def test_gradcheck_fast_mode_catches_a_wrong_gradient(rng):
    x = leaf(rng.standard_normal(5))
    assert autograd.gradcheck(_scaled(2.0), (x,), fast_mode=True)
    message = "Jacobian mismatch for output 0 with respect to input 0"
    with pytest.raises(autograd.GradcheckError, match=message):
        autograd.gradcheck(_scaled(2.1), (x,), fast_mode=True)
    assert autograd.gradcheck(_scaled(2.1), (x,), fast_mode=True, raise_exception=False) is False


def test_gradgradcheck_accepts_fast_mode(rng):
    x = leaf(rng.standard_normal(3))
    assert autograd.gradgradcheck(lambda a: (a**3).sum(), (x,), fast_mode=True)


def test_gradcheck_catches_a_backward_that_makes_a_gradient_from_a_zero_one():
    class Leaky(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return (x * 2).sum()

        @staticmethod
        def backward(ctx, g):
            # Right for any nonzero g, but a zero (undefined) g yields ones.
            return (g * 2 + (g.data == 0)).expand(2)

    x = leaf([1.0, 2.0])
    message = "Expected all input grads to be undefined or zero"
    with pytest.raises(autograd.GradcheckError, match=message):
        autograd.gradcheck(Leaky.apply, (x,))


def test_a_node_reached_only_by_an_undefined_gradient_still_runs_with_zeros():
    seen = []

    class Probe(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            seen.append(g.tolist())
            return g * 2

    class Undefined(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return None

    x = leaf([1.0])
    (gx,) = autograd.grad(Undefined.apply(Probe.apply(x)), x, dc.tensor([1.0]), allow_unused=True)
    assert seen == [[0.0]]
    np.testing.assert_array_equal(gx.data, [0.0])


# -- shapes in error messages ------------------------------------------------------------
def ones(*shape):
    return dc.tensor(np.ones(shape), requires_grad=True)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: ones(2, 3) + ones(4), RuntimeError,
         "The size of tensor a (3) must match the size of tensor b (4) at non-singleton "
         "dimension 1"),
        (lambda: ones(5, 3) * ones(2, 1, 4), RuntimeError,
         "The size of tensor a (3) must match the size of tensor b (4) at non-singleton "
         "dimension 2"),
        (lambda: dc.where(dc.tensor([True, False]), ones(2, 3), ones(4)), RuntimeError,
         "The size of tensor a (2) must match the size of tensor b (3) at non-singleton "
         "dimension 1"),
        (lambda: ones(2, 3) @ ones(4, 5), RuntimeError,
         "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
        (lambda: ones(4) @ ones(2, 3), RuntimeError,
         "mat1 and mat2 shapes cannot be multiplied (1x4 and 2x3)"),
        (lambda: ones(2, 3) @ ones(4), RuntimeError,
         "size mismatch, got input (2), mat (2x3), vec (4)"),
        (lambda: dc.dot(ones(4), ones(3)), RuntimeError,
         "inconsistent tensor size, expected tensor [4] and src [3] to have the same number of "
         "elements, but got 4 and 3 elements respectively"),
        (lambda: ones(2, 3).reshape(-1, 4), RuntimeError,
         "shape '[-1, 4]' is invalid for input of size 6"),
        (lambda: ones(2, 3).view(4, 2), RuntimeError,
         "shape '[4, 2]' is invalid for input of size 6"),
        (lambda: ones(2, 3).expand(4, 3), RuntimeError,
         "The expanded size of the tensor (4) must match the existing size (2) at non-singleton "
         "dimension 0.  Target sizes: [4, 3].  Tensor sizes: [2, 3]"),
        (lambda: dc.cat([ones(2, 3), ones(4, 5)]), RuntimeError,
         "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 5 for "
         "tensor number 1 in the list."),
        (lambda: dc.stack([ones(2, 3), ones(2, 4)]), RuntimeError,
         "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 4] at "
         "entry 1"),
        (lambda: ones(2, 3)[5], IndexError, "index 5 is out of bounds for dimension 0 with size 2"),
        (lambda: ones(2, 3)[0, 7], IndexError,
         "index 7 is out of bounds for dimension 1 with size 3"),
        (lambda: ones(2, 3).sum(3), IndexError,
         "Dimension out of range (expected to be in range of [-2, 1], but got 3)"),
        (lambda: ones(2, 3).unsqueeze(-4), IndexError,
         "Dimension out of range (expected to be in range of [-3, 2], but got -4)"),
        (lambda: ones(2, 3).transpose(0, 2), IndexError,
         "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        (lambda: dc.tensor(1.0).sum(1), IndexError,
         "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
        (lambda: ones(2, 3).max(dim=4), IndexError,
         "Dimension out of range (expected to be in range of [-2, 1], but got 4)"),
        (lambda: (ones(2) * 2).backward(dc.tensor([[1.0, 2.0]])), RuntimeError,
         "Mismatch in shape: grad_output[0] has a shape of torch.Size([1, 2]) and output[0] has "
         "a shape of torch.Size([2])."),
        (lambda: autograd.functional.vjp(lambda x: x * 2, ones(2, 3), dc.tensor([1.0])),
         RuntimeError,
         "v has invalid size: should be torch.Size([2, 3]) but got torch.Size([1])."),
        (lambda: setattr(ones(2), "grad", dc.tensor([1.0, 2.0, 3.0])), RuntimeError,
         "attempting to assign a gradient of size '[3]' to a tensor of size '[2]'. Please ensure "
         "that the gradient and the tensor are the same size"),
    ],
)
def test_shape_errors_read_like_pytorchs(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_gradients_that_sum_to_nan_do_so_without_a_numpy_warning():
    # inf + -inf at x is nan, silently, as in PyTorch. In a fresh interpreter with
    # RuntimeWarning made an error, since pytest resets the engine's own warning filter.
    code = (
        "import diffcli as dc\n"
        "x = dc.tensor(2.0, requires_grad=True)\n"
        "((x * 1e308) * 10.0 + (x * -1e308) * 10.0).backward()\n"
        "print(x.grad.item())\n"
    )
    run = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c", code],
                         capture_output=True, text=True)
    assert run.stderr == ""
    assert run.stdout.strip() == "nan"
