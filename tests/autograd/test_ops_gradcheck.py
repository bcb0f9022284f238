"""Every differentiable op of the engine through gradcheck and gradgradcheck (central differences).

Inputs are seeded random float64 arrays drawn inside each op's domain and away from
its kinks, so finite differences are a fair witness: for each unary rule of the engine,
where the expression language's registry says the function is smooth. The table covers
broadcasting and reductions over each dim.
"""

import numpy as np
import pytest

import diffcli as dc
from diffcli import autograd
from diffcli.autograd.ops import UNARY_RULES
from diffcli.expr.functions import FUNCTIONS
from tests.expr.strategies import sample

SEED = 1234


# Samplers: each maps (generator, shape) to values inside a domain, away from kinks.
def anywhere(g, shape):
    return g.uniform(-2.0, 2.0, shape)


def positive(g, shape):
    return g.uniform(0.5, 2.0, shape)


def nonzero(g, shape):
    return g.choice([-1.0, 1.0], shape) * g.uniform(0.3, 2.0, shape)


def in_domain(name):
    """A sampler inside the registry's domain for the function `name` (its first argument)."""
    domain = FUNCTIONS[name].domain[0]
    return lambda g, shape: sample(domain, g, int(np.prod(shape))).reshape(shape)


def distinct(g, shape):
    """Well-separated values, so max/min/sort-like ops have no near-ties."""
    n = int(np.prod(shape))
    return (g.permutation(n) * 0.5 + g.uniform(-0.1, 0.1, n)).reshape(shape)


def distinct_shifted(g, shape):
    """Distinct values a quarter-step off `distinct`'s grid: never near-equal to them."""
    return distinct(g, shape) + 0.25


def clamp_safe(g, shape):
    """Inside (-0.4, 0.4) or beyond +-0.6: never near the bounds +-0.5."""
    inside = g.uniform(-0.4, 0.4, shape)
    outside = g.choice([-1.0, 1.0], shape) * g.uniform(0.6, 2.0, shape)
    return np.where(g.random(shape) < 0.5, inside, outside)


def arg(shape, sampler=anywhere):
    """One input of a case: its shape and the sampler for its values."""
    return (shape, sampler)


S23 = (2, 3)
S234 = (2, 3, 4)
MASK = np.array([[True, False, True], [False, True, True]])

# Unary rules the expression language has no function for, with their samplers.
ENGINE_ONLY = {"neg": anywhere}
UNARY = {name: (getattr(dc, name), ENGINE_ONLY.get(name) or in_domain(name))
         for name in UNARY_RULES}
UNARY |= {
    "clamp_inside_and_out": (lambda x: dc.clamp(x, min=-0.5, max=0.5), clamp_safe),
    "clamp_min_only": (lambda x: dc.clamp(x, min=0.1), nonzero),
    "pow_int_exponent": (lambda x: x**3, anywhere),
    "pow_float_exponent": (lambda x: x**2.5, positive),
    "pow_negative_exponent": (lambda x: x**-1.5, positive),
    "scalar_base_pow": (lambda x: 2.0**x, anywhere),
    "rsub_scalar": (lambda x: 2.0 - x, anywhere),
    "rdiv_scalar": (lambda x: 3.0 / x, nonzero),
    "radd_rmul_scalar": (lambda x: 2.0 + 3.0 * x, anywhere),
}

CASES = {name: (fn, [arg(S23, sampler)]) for name, (fn, sampler) in UNARY.items()}

CASES |= {
    # binary ops, same shape and broadcast
    "add_broadcast_row": (lambda x, y: x + y, [arg(S23), arg((3,))]),
    "sub_broadcast_outer": (lambda x, y: x - y, [arg((2, 1)), arg((1, 3))]),
    "mul_broadcast_scalar_tensor": (lambda x, y: x * y, [arg(S23), arg(())]),
    "mul_broadcast_3d": (lambda x, y: x * y, [arg(S234), arg((3, 1))]),
    "div_broadcast": (lambda x, y: x / y, [arg(S23), arg((2, 1), nonzero)]),
    "pow_tensor_tensor": (lambda x, y: x**y, [arg(S23, positive), arg((3,))]),
    "pow_function": (lambda x, y: dc.pow(x, y), [arg(S23, positive), arg(S23)]),
    "atan2": (dc.atan2, [arg(S23, nonzero), arg((3,), nonzero)]),
    "hypot": (dc.hypot, [arg(S23, nonzero), arg(S23, nonzero)]),
    "maximum": (dc.maximum, [arg(S23, distinct), arg(S23, distinct_shifted)]),
    "minimum_broadcast": (dc.minimum, [arg(S23, distinct), arg((3,), distinct_shifted)]),
    "where": (lambda x, y: dc.where(MASK, x, y), [arg(S23), arg(S23)]),
    "where_broadcast": (lambda x, y: dc.where(MASK, x, y), [arg(S23), arg((3,))]),
    # reductions, over everything and over each dim
    "sum_all": (dc.sum, [arg(S234)]),
    "sum_dim0": (lambda x: dc.sum(x, dim=0), [arg(S234)]),
    "sum_dim1_keepdim": (lambda x: dc.sum(x, dim=1, keepdim=True), [arg(S234)]),
    "sum_dim2": (lambda x: x.sum(dim=2), [arg(S234)]),
    "sum_dim_neg1": (lambda x: x.sum(-1), [arg(S234)]),
    "sum_dims_0_2": (lambda x: x.sum(dim=(0, 2)), [arg(S234)]),
    "mean_all": (dc.mean, [arg(S234)]),
    "mean_dim0": (lambda x: dc.mean(x, dim=0), [arg(S234)]),
    "mean_dim1_keepdim": (lambda x: x.mean(dim=1, keepdim=True), [arg(S234)]),
    "mean_dim2": (lambda x: dc.mean(x, dim=2), [arg(S234)]),
    "prod_all": (dc.prod, [arg(S23, nonzero)]),
    "prod_dim0": (lambda x: dc.prod(x, dim=0), [arg(S234, nonzero)]),
    "prod_dim1_keepdim": (lambda x: x.prod(dim=1, keepdim=True), [arg(S234, nonzero)]),
    "prod_dim2": (lambda x: dc.prod(x, dim=2), [arg(S234, nonzero)]),
    "amax_all": (dc.amax, [arg(S234, distinct)]),
    "amax_dim0": (lambda x: dc.amax(x, dim=0), [arg(S234, distinct)]),
    "amax_dim1_keepdim": (lambda x: x.amax(dim=1, keepdim=True), [arg(S234, distinct)]),
    "amax_dim2": (lambda x: dc.amax(x, dim=2), [arg(S234, distinct)]),
    "amin_dim0": (lambda x: dc.amin(x, dim=0), [arg(S234, distinct)]),
    "amin_dim1": (lambda x: dc.amin(x, dim=1), [arg(S234, distinct)]),
    "amin_dim2_keepdim": (lambda x: x.amin(dim=2, keepdim=True), [arg(S234, distinct)]),
    "max_all": (dc.max, [arg(S234, distinct)]),
    "min_all": (lambda x: x.min(), [arg(S234, distinct)]),
    "max_dim0_values": (lambda x: dc.max(x, dim=0)[0], [arg(S234, distinct)]),
    "max_dim1_values": (lambda x: dc.max(x, dim=1)[0], [arg(S234, distinct)]),
    "max_dim2_keepdim_values": (lambda x: x.max(dim=2, keepdim=True)[0], [arg(S234, distinct)]),
    "min_dim1_values": (lambda x: dc.min(x, dim=1)[0], [arg(S234, distinct)]),
    "norm": (dc.norm, [arg(S234, nonzero)]),
    "norm_method": (lambda x: x.norm(), [arg(S23, nonzero)]),
    # shape ops
    "reshape": (lambda x: x.reshape(3, 2), [arg(S23)]),
    "reshape_function": (lambda x: dc.reshape(x, (6,)), [arg(S23)]),
    "view": (lambda x: x.view(6), [arg(S23)]),
    "transpose": (lambda x: dc.transpose(x, 0, 2), [arg(S234)]),
    "dot_T": (lambda x: x.T, [arg(S23)]),
    "squeeze": (lambda x: dc.squeeze(x, 1), [arg((2, 1, 3))]),
    "unsqueeze": (lambda x: dc.unsqueeze(x, 1), [arg(S23)]),
    "expand": (lambda x: x.expand(4, 3), [arg((1, 3))]),
    "cat_dim0": (lambda x, y: dc.cat([x, y], dim=0), [arg(S23), arg((1, 3))]),
    "cat_dim1": (lambda x, y: dc.cat([x, y], dim=1), [arg(S23), arg((2, 2))]),
    "stack_dim0": (lambda x, y: dc.stack([x, y]), [arg(S23), arg(S23)]),
    "stack_dim2": (lambda x, y: dc.stack([x, y], dim=2), [arg(S23), arg(S23)]),
    "index_int": (lambda x: x[1], [arg(S23)]),
    "index_slice": (lambda x: x[:, 1:], [arg(S23)]),
    "index_int_and_step_slice": (lambda x: x[-1, ::2], [arg(S23)]),
    "index_bool_mask": (lambda x: x[MASK], [arg(S23)]),
    "index_int_array_repeats": (lambda x: x[np.array([2, 0, 2, 2])], [arg((4,))]),
    "index_int_array_rows": (lambda x: x[np.array([1, 1, 0])], [arg(S23)]),
    # linear algebra
    "matmul": (lambda x, y: x @ y, [arg(S23), arg((3, 4))]),
    "matmul_function": (dc.matmul, [arg(S23), arg((3, 2))]),
    "matmul_matrix_vector": (lambda x, y: x @ y, [arg(S23), arg((3,))]),
    "matmul_vector_matrix": (lambda x, y: x @ y, [arg((2,)), arg(S23)]),
    "matmul_batched_broadcast": (lambda x, y: x @ y, [arg((2, 2, 3)), arg((3, 2))]),
    "dot": (dc.dot, [arg((4,)), arg((4,))]),
    "outer": (dc.outer, [arg((3,)), arg((2,))]),
    # compositions that mix ops
    "softplus_of_matmul": (lambda x, y: dc.softplus(x @ y).sum(dim=0), [arg(S23), arg((3, 2))]),
    "sigmoid_times_tanh": (lambda x, y: dc.sigmoid(x) * dc.tanh(y), [arg(S23), arg((3,))]),
}


def make_inputs(specs, seed_offset):
    g = np.random.default_rng(SEED + seed_offset)
    return tuple(dc.tensor(sampler(g, shape), requires_grad=True) for shape, sampler in specs)


IDS = sorted(CASES)


@pytest.mark.parametrize("name", IDS)
def test_op_passes_gradcheck(name):
    fn, specs = CASES[name]
    assert autograd.gradcheck(fn, make_inputs(specs, IDS.index(name)))


@pytest.mark.parametrize("name", IDS)
def test_op_passes_gradgradcheck(name):
    fn, specs = CASES[name]
    assert autograd.gradgradcheck(fn, make_inputs(specs, IDS.index(name)))


def test_gradcheck_fails_a_wrong_derivative_and_shows_both_jacobians():
    class BadSin(autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return dc.sin(t)

        @staticmethod
        def backward(ctx, g):
            (t,) = ctx.saved_tensors
            return g * dc.sin(t)  # wrong: should be cos

    x = dc.tensor([0.3, 1.1], requires_grad=True)
    assert autograd.gradcheck(BadSin.apply, (x,), raise_exception=False) is False
    with pytest.raises(RuntimeError, match="(?is)numerical.*analytical|analytical.*numerical"):
        autograd.gradcheck(BadSin.apply, (x,))


def test_gradgradcheck_fails_a_wrong_second_derivative():
    class BadSecond(autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t**3

        @staticmethod
        def backward(ctx, g):
            (t,) = ctx.saved_tensors
            # Right value 3t^2, but written through a detached t: its own
            # derivative is then 0 instead of 6t.
            return g * 3 * t.detach() ** 2

    x = dc.tensor([0.7, -1.3], requires_grad=True)
    assert autograd.gradcheck(BadSecond.apply, (x,))
    assert autograd.gradgradcheck(BadSecond.apply, (x,), raise_exception=False) is False


TENSOR_METHODS = [*UNARY_RULES, "sum", "mean", "prod", "amax", "amin", "max", "min", "norm"]


@pytest.mark.parametrize("name", TENSOR_METHODS)
def test_method_form_matches_function_form(name):
    x = dc.tensor(np.random.default_rng(SEED).uniform(0.1, 0.9, S23))
    np.testing.assert_allclose(getattr(x, name)().data, getattr(dc, name)(x).data)


def test_binary_method_forms_match_function_forms():
    g = np.random.default_rng(SEED)
    x = dc.tensor(g.uniform(0.5, 2.0, S23))
    y = dc.tensor(g.uniform(0.5, 2.0, S23))
    for name in ("atan2", "hypot", "maximum", "minimum", "pow"):
        np.testing.assert_allclose(getattr(x, name)(y).data, getattr(dc, name)(x, y).data)
    np.testing.assert_allclose(x.matmul(y.T).data, dc.matmul(x, y.T).data)
    np.testing.assert_allclose(x.clamp(min=0.8, max=1.2).data, dc.clamp(x, 0.8, 1.2).data)
    np.testing.assert_allclose(x.transpose(0, 1).data, x.T.data)
    np.testing.assert_allclose(x.unsqueeze(0).squeeze(0).data, x.data)
