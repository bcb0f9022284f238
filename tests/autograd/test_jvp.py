"""Forward mode over the engine's graph: forward.jvp against J·v built by reverse mode, values
worked by hand, PyTorch's conventions at kinks and its error messages; and
functional.jacobian/hessian with vectorize=True against the row-by-row results."""

import inspect

import numpy as np
import pytest

import diffcli as dc
from benchmarks.engine import rosenbrock, rosenbrock_hessian_by_hand
from diffcli.autograd import Function, forward, functional, ops

RNG = np.random.default_rng(7)


# name -> (function, input shapes); together they run every tangent rule
FUNCTIONS = {
    "elementwise": (lambda x: dc.exp(dc.sin(x)) * dc.sigmoid(x) + dc.atan2(x, 2.0)
                    - dc.hypot(x, x * x) / (1.0 + x ** 2) ** 1.5, [(3, 4)]),
    "broadcast": (lambda a, b: (a * b / (1 + b ** 2) - a).sum(0), [(3,), (2, 3)]),
    "pow of two tensors": (lambda a, b: dc.abs(a) ** b, [(4,), (4,)]),
    "matrix @ matrix": (lambda a, b: a @ b, [(2, 3), (3, 4)]),
    "matrix @ vector": (lambda a, b: a @ b, [(2, 3), (3,)]),
    "vector @ matrix": (lambda a, b: a @ b, [(3,), (3, 4)]),
    "vector @ vector": (lambda a, b: a @ b, [(3,), (3,)]),
    "batched @ matrix": (lambda a, b: a @ b, [(2, 2, 3), (3, 4)]),
    "matrix @ batched": (lambda a, b: a @ b, [(2, 3), (2, 3, 4)]),
    "reductions": (lambda x: (x.prod(1), x.amax(0), x.max(1).values, x.norm(), x.mean(),
                              x.norm(dim=0)), [(3, 4)]),
    "shapes": (lambda x: (x.T.reshape(-1)[2:5], dc.cat([x, x * 2], 1), dc.stack([x, x], 0),
                          x.unsqueeze(0).expand(3, 3, 4).sum(), x.clone(),
                          x.reshape(3, 2, 2).permute(1, 2, 0) * 1.0), [(3, 4)]),
    "indexing": (lambda x: (x[[0, 2, 2]], x[:, [1, 0]], x[[0, 1], :, [1, 0]], x[x.data > 0]),
                 [(3, 2, 2)]),
    "selection": (lambda x: dc.where(x.data > 0, x ** 2, -x).clamp(-0.5, 0.7)
                  + dc.maximum(x, 0.1 * x) - dc.minimum(x, 0.0) + dc.relu(x), [(6,)]),
    "gradient graph": (lambda x: dc.autograd.grad(rosenbrock(x), x, create_graph=True)[0],
                       [(5,)]),
    "gradient of a broadcast": (lambda a, b: dc.autograd.grad(
        (a * b * b).sum(), (a, b), create_graph=True), [(3,), (2, 3)]),
}


def jacobian_times(f, primals, tangents):
    """J·v for each output, by the row-by-row reverse-mode Jacobian."""
    jac = functional.jacobian(f, primals)
    outs = f(*primals)
    if not isinstance(outs, tuple):
        outs, jac = (outs,), (jac,)
    result = []
    for out, row in zip(outs, jac):
        total = np.zeros(out.shape)
        for block, t in zip(row, tangents):
            total += np.tensordot(block.data, t.data, axes=t.ndim)
        result.append(total)
    return result


@pytest.mark.parametrize("name", FUNCTIONS)
def test_jvp_equals_the_reverse_mode_jacobian_times_the_tangent(name):
    f, shapes = FUNCTIONS[name]
    primals = tuple(dc.tensor(RNG.normal(size=s), requires_grad=True) for s in shapes)
    tangents = tuple(dc.tensor(RNG.normal(size=s)) for s in shapes)
    out, tangent_out = forward.jvp(f, primals, tangents)
    outs = out if isinstance(out, tuple) else (out,)
    got = tangent_out if isinstance(tangent_out, tuple) else (tangent_out,)
    for o, value, g, want in zip(outs, f(*primals) if isinstance(out, tuple) else (f(*primals),),
                                 got, jacobian_times(f, primals, tangents)):
        np.testing.assert_allclose(o.data, value.data)
        assert g.shape == o.shape
        np.testing.assert_allclose(g.data, want, rtol=1e-12, atol=1e-12)


def test_jvp_of_sin_is_cos_times_the_tangent():
    x, v = dc.tensor([0.3, -1.2]), dc.tensor([2.0, 0.5])
    out, t = forward.jvp(dc.sin, (x,), (v,))
    np.testing.assert_allclose(out.data, np.sin([0.3, -1.2]))
    np.testing.assert_allclose(t.data, np.cos([0.3, -1.2]) * [2.0, 0.5])


def test_jvp_of_a_tuple_output_is_a_tuple_and_an_unused_input_gives_zero():
    # torch.func.jvp(lambda a, b: (a * b, a), (2., 3.), (1., 0.)) == ((6., 2.), (3., 1.))
    out, t = forward.jvp(lambda a, b: (a * b, a, dc.tensor(5.0)), (dc.tensor(2.0), dc.tensor(3.0)),
                         (dc.tensor(1.0), dc.tensor(0.0)))
    assert [o.item() for o in out] == [6.0, 2.0, 5.0]
    assert [x.item() for x in t] == [3.0, 1.0, 0.0]


@pytest.mark.parametrize("f, point, want", [
    (dc.relu, 0.0, 0.0), (dc.abs, 0.0, 0.0),  # PyTorch's subgradients at the kink
    (lambda x: dc.maximum(x, dc.tensor(0.0) * x), 0.0, 0.5),  # a tie shares the tangent
    (lambda x: x.clamp(0.0, 1.0), 1.0, 1.0),  # the bounds are inside
])
def test_jvp_at_a_kink_follows_pytorch(f, point, want):
    _, t = forward.jvp(f, (dc.tensor(point),), (dc.tensor(1.0),))
    assert t.item() == want


def test_jvp_refuses_what_torch_func_jvp_refuses_with_its_words():
    x = dc.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        forward.jvp(dc.sin, [x], (x,))
    with pytest.raises(RuntimeError, match="same python structure"):
        forward.jvp(dc.sin, (x,), (x, x))
    with pytest.raises(RuntimeError, match=r"Tensor is of size \[2\] while the given forward "
                                           r"gradient is of size \[1\]"):
        forward.jvp(dc.sin, (x,), (dc.tensor([1.0]),))


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x * x * g

    @staticmethod
    def jvp(ctx, t):
        (x,) = ctx.saved_tensors
        return 3 * x * x * t


class CubeWithoutJvp(Cube):
    jvp = None


def test_a_custom_function_gives_its_own_jvp_and_one_without_is_refused():
    x = dc.tensor([1.0, -2.0])
    _, t = forward.jvp(Cube.apply, (x,), (dc.tensor([1.0, 0.5]),))
    np.testing.assert_allclose(t.data, [3.0, 6.0])
    with pytest.raises(RuntimeError, match="CubeWithoutJvp has no forward rule"):
        forward.jvp(CubeWithoutJvp.apply, (x,), (x,))


def test_every_primitive_of_the_engine_has_a_tangent_rule():
    primitives = {cls for _, cls in inspect.getmembers(ops, inspect.isclass)
                  if issubclass(cls, Function) and cls is not Function}
    primitives |= set(ops.UNARY_FUNCTIONS.values())
    missing = {cls.__name__ for cls in primitives
               if cls not in forward._LINEAR_RULES and cls not in forward._ELEMENTWISE
               and cls is not ops._Extremum}
    assert not missing


@pytest.mark.parametrize("name", FUNCTIONS)
def test_vectorized_jacobian_equals_the_row_by_row_one(name):
    f, shapes = FUNCTIONS[name]
    primals = tuple(dc.tensor(RNG.normal(size=s), requires_grad=True) for s in shapes)
    rows = functional.jacobian(f, primals)
    batched = functional.jacobian(f, primals, vectorize=True)
    flat_rows = [b for row in rows for b in (row if isinstance(row, tuple) else (row,))] \
        if isinstance(rows[0], tuple) else list(rows)
    flat_batched = [b for row in batched for b in (row if isinstance(row, tuple) else (row,))] \
        if isinstance(batched[0], tuple) else list(batched)
    assert len(flat_rows) == len(flat_batched)
    for want, got in zip(flat_rows, flat_batched):
        assert got.shape == want.shape
        np.testing.assert_allclose(got.data, want.data, rtol=1e-12, atol=1e-12)


def test_vectorized_hessian_of_rosenbrock_matches_the_hand_formula():
    xs = RNG.uniform(-1.5, 1.5, 30)
    h = functional.hessian(rosenbrock, dc.tensor(xs), vectorize=True)
    np.testing.assert_allclose(h.data, rosenbrock_hessian_by_hand(xs), rtol=1e-12, atol=1e-9)


def test_vectorized_hessian_of_tuple_inputs_has_torch_nested_shapes():
    # d2/da2 of a^2 b = 2b, d2/dadb = 2a, d2/db2 = 0 (elementwise, summed)
    a, b = dc.tensor([1.0, 2.0]), dc.tensor([3.0, 4.0])
    h = functional.hessian(lambda x, y: (x * x * y).sum(), (a, b), vectorize=True)
    assert [[c.shape for c in row] for row in h] == [[(2, 2)] * 2] * 2
    np.testing.assert_allclose(h[0][0].data, np.diag([6.0, 8.0]))
    np.testing.assert_allclose(h[0][1].data, np.diag([2.0, 4.0]))
    np.testing.assert_allclose(h[1][1].data, np.zeros((2, 2)))


def test_vectorized_jacobian_with_create_graph_is_differentiable():
    x = dc.tensor([1.0, 2.0, 3.0], requires_grad=True)
    j = functional.jacobian(lambda t: t ** 3, x, create_graph=True, vectorize=True)
    assert j.requires_grad
    j.sum().backward()
    np.testing.assert_allclose(x.grad.data, [6.0, 12.0, 18.0])  # d/dx_i of 3 x_i^2


def test_vectorized_results_without_create_graph_are_detached():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    assert not functional.hessian(lambda t: (t ** 3).sum(), x, vectorize=True).requires_grad


def test_strict_with_vectorize_is_refused_as_in_pytorch():
    with pytest.raises(RuntimeError, match="`strict=True` and `vectorized=True` are not"):
        functional.jacobian(dc.sin, dc.tensor([1.0]), strict=True, vectorize=True)


def test_functional_jvp_with_create_graph_is_differentiable_in_the_inputs():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    out, jv = functional.jvp(lambda t: (t ** 3, dc.tensor(1.0)), x, dc.tensor([1.0, 1.0]),
                             create_graph=True)
    np.testing.assert_allclose(jv[0].data, [3.0, 12.0])  # 3 x^2
    assert jv[1].item() == 0.0  # an output that ignores the input
    jv[0].sum().backward()
    np.testing.assert_allclose(x.grad.data, [6.0, 12.0])  # 6 x


def test_the_graph_a_jvp_walked_still_gives_every_gradient():
    # the tangent pass asks each node for one input's partial at a time; afterwards
    # backward must again see every input: d(sum x*w)/dw = x
    w = dc.tensor([2.0, -1.0], requires_grad=True)
    x = dc.tensor([0.5, 3.0])
    out, _ = functional.jvp(lambda t: t * w, x, dc.tensor([1.0, 0.0]), create_graph=True)
    out.sum().backward()
    np.testing.assert_allclose(w.grad.data, [0.5, 3.0])
