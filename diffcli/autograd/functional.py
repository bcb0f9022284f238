"""Function transforms with PyTorch's signatures: jacobian, hessian, vjp, jvp, hvp, vhp.

Each is a composition of ``grad``: a Jacobian is one vector-Jacobian product per output
element; a Hessian is the Jacobian of the gradient. jvp is forward mode (see
``forward.push_tangents``), and so is a Jacobian with ``vectorize=True``: one pass carrying
every input direction at once; a vectorised Hessian is that pass over the gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .engine import _grads_per_element, grad
from .forward import push_tangents
from .grad_mode import enable_grad, set_grad_enabled
from .tensor import Tensor, _make, size_text


def _as_inputs(inputs: Any, create_graph: bool = False) -> tuple[tuple[Tensor, ...], bool]:
    """Fresh differentiable stand-ins for the inputs; still joined to the caller's graph
    under ``create_graph``, so that the result can be differentiated with respect to them."""
    is_tuple = isinstance(inputs, (tuple, list))
    items = tuple(inputs) if is_tuple else (inputs,)
    return tuple(
        t.reshape(t.shape) if create_graph and t.requires_grad else t.detach().requires_grad_(True)
        for t in items
    ), is_tuple


def _as_outputs(outputs: Any) -> tuple[tuple[Tensor, ...], bool]:
    is_tuple = isinstance(outputs, (tuple, list))
    return (tuple(outputs) if is_tuple else (outputs,)), is_tuple


def _vectors(v: Any, like: tuple[Tensor, ...], what: str) -> tuple[Tensor, ...]:
    if v is None:
        if any(t.data.size != 1 for t in like):
            raise RuntimeError(
                f"The vector v can only be None if the {what} is a single element Tensor."
            )
        return tuple(_make(np.ones_like(t.data, dtype=np.float64)) for t in like)
    vs = tuple(v) if isinstance(v, (tuple, list)) else (v,)
    for vector, t in zip(vs, like):
        if vector.shape != t.shape:
            raise RuntimeError(
                f"v has invalid size: should be {size_text(t.shape)} but got "
                f"{size_text(vector.shape)}."
            )
    return vs


def _zeros_for_unused(grads: tuple, inputs: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    return tuple(
        g if g is not None else _make(np.zeros_like(t.data, dtype=np.float64))
        for g, t in zip(grads, inputs)
    )


def _finish(t: Tensor, create_graph: bool) -> Tensor:
    return t if create_graph else t.detach()


def vjp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """``(func(inputs), v^T J)``."""
    xs, inputs_tuple = _as_inputs(inputs, create_graph)
    with enable_grad():
        outs, outputs_tuple = _as_outputs(func(*xs))
        vs = _vectors(v, outs, "output")
        differentiable = [i for i, o in enumerate(outs) if o.requires_grad]
        grads = (
            grad(
                [outs[i] for i in differentiable],
                xs,
                [vs[i] for i in differentiable],
                create_graph=create_graph,
                allow_unused=True,
            )
            if differentiable
            else (None,) * len(xs)
        )
    result = tuple(_finish(g, create_graph) for g in _zeros_for_unused(grads, xs))
    out_value = tuple(_finish(o, create_graph) for o in outs)
    return (out_value if outputs_tuple else out_value[0]), (result if inputs_tuple else result[0])


def jvp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """``(func(inputs), J v)``, by forward mode: one pass carrying ``v`` through the graph."""
    xs, inputs_tuple = _as_inputs(inputs, create_graph)
    vs = _vectors(v, xs, "input")
    with enable_grad():
        outs, outputs_tuple = _as_outputs(func(*xs))
        with set_grad_enabled(create_graph):
            moved = push_tangents(outs, xs, tuple(t.reshape(1, *t.shape) for t in vs), 1)
            result = tuple(_finish(m.reshape(o.shape), create_graph) for m, o in zip(moved, outs))
    out_value = tuple(_finish(o, create_graph) for o in outs)
    return (out_value if outputs_tuple else out_value[0]), (result if outputs_tuple else result[0])


def jacobian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
) -> Any:
    """The Jacobian, shaped ``output.shape + input.shape`` per (output, input) pair."""
    if strict and vectorize:
        raise RuntimeError(
            "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
            "supported together. Please either set `strict=False` or `vectorize=False`."
        )
    xs, inputs_tuple = _as_inputs(inputs, create_graph)
    with enable_grad():
        outs, outputs_tuple = _as_outputs(func(*xs))
        table = (_by_forward_mode(outs, xs, create_graph) if vectorize else
                 [_by_reverse_mode(out, xs, create_graph) for out in outs])
    if not inputs_tuple:
        table = [row[0] for row in table]
    return tuple(table) if outputs_tuple else table[0]


def _by_reverse_mode(out: Tensor, xs: tuple[Tensor, ...],
                     create_graph: bool) -> tuple[Tensor, ...]:
    """One output's Jacobian blocks by one vector-Jacobian product per output element."""
    rows: list[list[Tensor]] = [[] for _ in xs]
    if out.requires_grad:
        per_element = _grads_per_element(out, xs, create_graph)
    else:
        per_element = [(None,) * len(xs)] * out.data.size
    for grads in per_element:
        for j, g in enumerate(_zeros_for_unused(grads, xs)):
            rows[j].append(g)
    return tuple(_assemble(r, out, x, create_graph) for r, x in zip(rows, xs))


def _by_forward_mode(outs: tuple[Tensor, ...], xs: tuple[Tensor, ...],
                     create_graph: bool) -> list[tuple[Tensor, ...]]:
    """Every Jacobian block in one forward pass whose batch is the identity: row k of the
    batch moves the k-th input element, over all inputs."""
    sizes = [x.data.size for x in xs]
    total = sum(sizes)
    eye, bounds = np.eye(total), np.cumsum([0, *sizes])
    tangents = tuple(_make(eye[:, start:stop].reshape(total, *x.shape))
                     for x, start, stop in zip(xs, bounds[:-1], bounds[1:]))
    with set_grad_enabled(create_graph):
        moved = push_tangents(outs, xs, tangents, total)
        return [tuple(_finish(m.reshape(total, -1)[int(start):int(stop)].T.reshape(
            *out.shape, *x.shape), create_graph) for x, start, stop in zip(xs, bounds[:-1],
                                                                          bounds[1:]))
                for out, m in zip(outs, moved)]


def _assemble(rows: list[Tensor], out: Tensor, x: Tensor, create_graph: bool) -> Tensor:
    from .ops import stack

    if not rows:
        return _make(np.zeros(out.shape + x.shape))
    stacked = stack(rows).reshape(*out.shape, *x.shape)
    return _finish(stacked, create_graph)


def hessian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
) -> Any:
    """The Hessian of a scalar function: the Jacobian of its gradient."""
    xs, inputs_tuple = _as_inputs(inputs, create_graph)

    def gradient(*args: Tensor) -> Any:
        out = func(*args)
        if out.data.size != 1:
            raise RuntimeError(
                "The function given to hessian should return a single element Tensor"
            )
        grads = _zeros_for_unused(
            grad(out.reshape(()), args, create_graph=True, allow_unused=True), args
        )
        return grads if inputs_tuple else grads[0]

    return jacobian(gradient, xs if inputs_tuple else xs[0], create_graph=create_graph,
                    vectorize=vectorize)


def vhp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """``(func(inputs), v^T H)``."""
    xs, inputs_tuple = _as_inputs(inputs, create_graph)
    vs = _vectors(v, xs, "input")
    with enable_grad():
        out = func(*xs)
        grads = _zeros_for_unused(grad(out, xs, create_graph=True, allow_unused=True), xs)
        used = [(g, vector) for g, vector in zip(grads, vs) if g.requires_grad]
        result = (
            grad(
                [g for g, _ in used],
                xs,
                [vector for _, vector in used],
                create_graph=create_graph,
                allow_unused=True,
            )
            if used
            else (None,) * len(xs)
        )
    result = tuple(_finish(r, create_graph) for r in _zeros_for_unused(result, xs))
    return _finish(out, create_graph), (result if inputs_tuple else result[0])


def hvp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """``(func(inputs), H v)``; the Hessian is symmetric, so this equals vhp."""
    return vhp(func, inputs, v, create_graph, strict)
