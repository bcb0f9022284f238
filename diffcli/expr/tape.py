"""Tree → Tensors: builds the autograd tape of an expression.

`build(node, values, requires_grad=True, text=None) -> Tape`
- `values`: {name: float | array | Tensor}; arrays broadcast as numpy's, so a batch of points
  is one tape over vector values. A Tensor is used as it is. Shapes are checked first
  (diffcli.expr.shapes): a mismatch is an ExprError before anything runs. Every name in
  `values` gets a leaf (so
  unused names can get a zero gradient); a variable of the tree with no value raises
  ExprError (pointing at it when `text` is given, else at the canonical text).
- `requires_grad`: True (all leaves), False, or an iterable of names.
- `Tape.output` is the result Tensor, `Tape.leaves` {name: leaf}, `Tape.tensors` a list of
  (tree node, Tensor) in evaluation order, for the graph view.
- Each new tensor's `grad_fn.metadata["source"]` is its subexpression's text (with `text`)
  and `metadata["span"]` its (start, end), so anomaly errors can point at it.

`engine_op(name)`: the engine function of a registry row, as the tape calls it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

import numpy as np

from diffcli.autograd import Tensor, ops, tensor

from .functions import FUNCTIONS, resolve
from .shapes import infer, missing_value, shapes_of
from .tree import Binary, Call, Node, Num, Unary, Var, postorder

_BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": ops.pow,
    "@": ops.matmul,
}
_ENGINE_OPS = {name: resolve(spec.engine, ops) for name, spec in FUNCTIONS.items()}


def engine_op(name: str) -> Callable[..., Tensor]:
    """The engine function of a registry row (any of its names), taking Tensors."""
    return _ENGINE_OPS[name]


class Tape(NamedTuple):
    """The evaluated expression: output, leaves by name, and (node, tensor) pairs."""

    output: Tensor
    leaves: dict[str, Tensor]
    tensors: list[tuple[Node, Tensor]]


def _leaves(values: Mapping, requires_grad: bool | Iterable[str]) -> dict[str, Tensor]:
    """A Tensor value is used as it is (a function of Tensors builds on it); others get a leaf."""
    wanted = set(values) if requires_grad is True else set(requires_grad or ())
    return {name: value if isinstance(value, Tensor) else
            tensor(np.asarray(value, dtype=np.float64), requires_grad=name in wanted)
            for name, value in values.items()}


def build(node: Node, values: Mapping[str, float | np.ndarray],
          requires_grad: bool | Iterable[str] = True, text: str | None = None) -> Tape:
    """Evaluate the tree on Tensors, recording the tape (see the module docstring)."""
    infer(node, shapes_of(values), text)  # a shape mismatch is an error before any work
    leaves = _leaves(values, requires_grad)
    tensors: list[tuple[Node, Tensor]] = []
    results: list[Tensor] = []
    with np.errstate(all="ignore"):
        for n in postorder(node):
            count = len(n.children)
            args = results[len(results) - count:] if count else []
            if count:
                del results[len(results) - count:]
            out = _evaluate(n, args, leaves, node, text)
            if out.grad_fn is not None and not any(out is a for a in args):
                out.grad_fn.metadata["span"] = n.span
                if text is not None:
                    out.grad_fn.metadata["source"] = text[n.span[0]:n.span[1]]
            tensors.append((n, out))
            results.append(out)
    return Tape(results[0], leaves, tensors)


def _evaluate(n: Node, args: list, leaves: dict, root: Node, text: str | None) -> Tensor:
    if isinstance(n, Num):
        return tensor(n.value)
    if isinstance(n, Var):
        if n.name not in leaves:
            raise missing_value(root, n.name, text)
        return leaves[n.name]
    if isinstance(n, Unary):
        return -args[0] if n.op == "-" else args[0]
    if isinstance(n, Binary):
        return _BINARY[n.op](*args)
    assert isinstance(n, Call)
    return _ENGINE_OPS[n.name](*args)
