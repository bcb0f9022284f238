"""The autograd witness: gradients and nested derivatives from the engine's tape, where
a non-finite gradient comes from, and where a non-smooth function sits at its kink."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np

from diffcli import autograd
from diffcli.autograd.ops import stack
from diffcli.expr.tape import build
from diffcli.expr.tree import FUNCTIONS, Call, Node, Var, postorder

from .common import evaluate, point_values


def gradient(node: Node, point: Mapping, names: Sequence[str],
             batch: int | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The autograd witness of a gradient: (value, {name: d value / d name}), one pass.

    With `batch=n` the values carry a leading axis of n independent points and the
    expression is elementwise, so seeding every output with 1 gives each point its own
    gradient in one pass.
    """
    tape = build(node, point_values(point))
    output = tape.output
    if batch is None and output.data.size != 1:
        raise ValueError(
            f"the gradient needs a scalar expression, but this one has shape {output.data.shape}: "
            "reduce it (sum, mean, norm, dot) or use `diffcli backward --grad-output`"
        )
    seed = None if batch is None else autograd.Tensor(np.ones_like(output.data))
    grads = {name: g.data for name, g in differentiate(output, tape, point, names, seed).items()}
    value = output.data if batch is None else np.broadcast_to(output.data, (batch,))
    return value, grads


def differentiate(output, tape, point: Mapping, names: Sequence[str], seed=None,
                  create_graph: bool = False) -> dict:
    """{name: d output / d name} as tensors; zeros for names the output does not depend on."""
    leaves = [name for name in names if name in tape.leaves]
    found: tuple = ()
    if leaves and output.requires_grad:
        found = autograd.grad(output, [tape.leaves[name] for name in leaves], grad_outputs=seed,
                              create_graph=create_graph, allow_unused=True, materialize_grads=True)
    by_name = dict(zip(leaves, found))
    return {name: by_name[name] if name in by_name
            else autograd.Tensor(np.zeros(np.shape(point[name]))) for name in names}


class TooCostly(RuntimeError):
    """A nested derivative whose next order would run past the time budget."""


NESTED_BUDGET = 10.0  # seconds for one nested derivative, all orders together


def nested_derivative(node: Node, point: Mapping, wrt: Sequence[str],
                      budget: float = NESTED_BUDGET, *, elementwise: bool = False) -> np.ndarray:
    """Autograd value of the derivative by wrt[0], then wrt[1], ...

    Each order is the Jacobian of the one before, so the result has the output's shape
    followed by each variable's shape (PyTorch's functional.jacobian/hessian); with
    scalars that is nested grad. With `elementwise=True` each order differentiates the
    sum of the one before, as nested `autograd.grad` does: for an elementwise expression
    over a batch axis, each point its own derivative, of the last variable's shape.

    Each order differentiates the graph of the one before, which can grow by a constant
    factor per order (about 2.5 for exp(sin(x))); rather than hang, stop with TooCostly
    once the next order is expected to end past `budget` seconds.
    """
    tape = build(node, point_values(point), requires_grad=set(wrt))
    g = tape.output
    start = last = time.perf_counter()
    previous_step = 0.0
    for i, name in enumerate(wrt):
        if elementwise:
            g = g.sum()
        if not g.requires_grad:  # nothing left depends on the variables: derivative 0
            return np.zeros(tape.leaves[wrt[-1]].shape if elementwise else
                            g.shape + sum((tape.leaves[n].shape for n in wrt[i:]), ()))
        g = _jacobian(g, tape.leaves[name], create_graph=i < len(wrt) - 1)
        now = time.perf_counter()
        step, last = now - last, now
        growth = step / previous_step if previous_step > 1e-4 else 1.0
        previous_step = step
        if i < len(wrt) - 1 and (now - start) + step * max(growth, 1.0) > budget:
            raise TooCostly(
                f"stopped after order {i + 1} of {len(wrt)}: each order costs about "
                f"{max(growth, 1.0):.1f}x the one before, and the next would pass "
                f"{budget:g} s"
            )
    return np.asarray(g.data, dtype=np.float64)


def jacobians(nodes: Sequence[Node], point: Mapping, names: Sequence[str],
              second: bool = False) -> list[list[np.ndarray]]:
    """d node / d name for each node and name (output shape + the name's shape), or with
    `second` the Hessian blocks d2 node / d a d b of one scalar node: every block in one
    forward-mode pass (functional's vectorize=True). A function the engine cannot push
    tangents through goes block by block with nested_derivative."""
    from diffcli.autograd.forward import NoTangentRule  # here: a gradient needs no forward mode

    values = point_values(point)

    def outputs(*xs):
        tapes = [build(node, {**values, **dict(zip(names, xs))}, requires_grad=False)
                 for node in nodes]
        return tapes[0].output if second else tuple(t.output for t in tapes)

    inputs = tuple(autograd.tensor(np.asarray(values[n], dtype=np.float64)) for n in names)
    try:
        with np.errstate(all="ignore"):
            table = (autograd.functional.hessian if second else autograd.functional.jacobian)(
                outputs, inputs, vectorize=True)
    except NoTangentRule:
        pairs = [(node, (a, b)) for node in nodes for a in names for b in names] if second \
            else [(node, (a,)) for node in nodes for a in names]
        flat = iter(nested_derivative(node, point, wrt) for node, wrt in pairs)
        return [[next(flat) for _ in names] for _ in (names if second else nodes)]
    return [[np.asarray(block.data, dtype=np.float64) for block in row] for row in table]


def directional(node: Node, point: Mapping, direction: Mapping) -> tuple[np.ndarray, np.ndarray]:
    """(value, d/dt f(v + t d_v) at t = 0) by forward mode over the tape; each direction
    has its variable's shape."""
    from diffcli.autograd import forward

    values = point_values(point)
    names = list(direction)

    def output(*xs):
        return build(node, {**values, **dict(zip(names, xs))}, requires_grad=False).output

    primals = tuple(autograd.tensor(np.asarray(values[n], dtype=np.float64)) for n in names)
    tangents = tuple(autograd.tensor(np.asarray(direction[n], dtype=np.float64)) for n in names)
    with np.errstate(all="ignore"):
        value, tangent = forward.jvp(output, primals, tangents)
    return value.data, tangent.data


def gradient_along(node: Node, point: Mapping, direction: Mapping) -> np.ndarray:
    """The same directional derivative by reverse mode: each variable's Jacobian (one
    vector-Jacobian product per output element) contracted with its direction."""
    total = np.zeros(np.shape(evaluate(node, point_values(point))))
    for name, d in direction.items():
        d = np.asarray(d, dtype=np.float64)
        total = total + np.tensordot(nested_derivative(node, point, (name,)), d, axes=d.ndim)
    return total


def _jacobian(output, leaf, create_graph: bool):
    """d output / d leaf, of shape output.shape + leaf.shape: one grad per element."""
    if output.ndim == 0:
        (d,) = autograd.grad(output, [leaf], create_graph=create_graph, materialize_grads=True)
        return d
    flat = output.reshape(-1)
    rows = [autograd.grad(flat[k], [leaf], retain_graph=True, create_graph=create_graph,
                          materialize_grads=True)[0] for k in range(flat.shape[0])]
    return stack(rows).reshape(*output.shape, *leaf.shape)


def nonfinite_origin(node: Node, point: Mapping, wrt: Sequence[str], text: str) -> str | None:
    """Where a gradient stops being finite, walking the tape from the output down.

    Every subexpression keeps its gradient; the first one (nearest the output) that is
    not finite was made so by the backward of the operation that uses it, whose source
    text this names. None when every gradient is finite.
    """
    tape = build(node, point_values(point), requires_grad=set(wrt), text=text)
    if not tape.output.requires_grad:
        return None
    for _, t in tape.tensors:
        if t.grad_fn is not None:
            t.retain_grad()
    tape.output.sum().backward()
    users: dict[int, list[Node]] = {}
    for parent in postorder(node):
        for child in parent.children:
            users.setdefault(id(child), []).append(parent)
    leaf_users = {name: [users[id(n)][0] for n in postorder(node)
                         if isinstance(n, Var) and n.name == name and id(n) in users]
                  for name in tape.leaves}
    # A leaf's gradient is the sum over all its uses, complete only at the end: leaves last.
    walk = [(n, t) for n, t in reversed(tape.tensors) if not isinstance(n, Var)]
    walk += [(n, t) for n, t in reversed(tape.tensors) if isinstance(n, Var)]
    for n, t in walk:
        g = t._grad
        if g is None or np.all(np.isfinite(g.data)):
            continue
        culprits = leaf_users[n.name] if isinstance(n, Var) else users.get(id(n), [])
        where = " or ".join(dict.fromkeys(
            f"{text[u.span[0]:u.span[1]]} (columns {u.span[0] + 1}-{u.span[1]})" for u in culprits))
        return f"its first non-finite value comes from the backward of {where}" if where else None
    return None


def kinks(node: Node, point: Mapping) -> np.ndarray:
    """Where (elementwise, or overall for reductions) some non-smooth function is at a kink."""
    tape = build(node, point_values(point), requires_grad=False)
    by_node = {id(n): t for n, t in tape.tensors}
    out_shape = np.shape(tape.output.data)
    mask = np.zeros(out_shape, dtype=bool)
    for n, _ in tape.tensors:
        spec = FUNCTIONS.get(n.name) if isinstance(n, Call) else None
        if spec is None or spec.kink is None:
            continue
        hit = spec.kink(*(by_node[id(a)].data for a in n.args))
        mask = mask | (np.any(hit) if np.shape(hit) != out_shape else hit)
    return mask
