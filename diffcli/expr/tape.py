"""Tree → Tensors: builds the autograd tape of an expression.

`build(node, values, requires_grad=True, text=None) -> Tape`
- `values`: {name: float | array}; scalars and vectors broadcast elementwise, so a batch
  of points is one tape over vector values. Every name in `values` gets a leaf (so
  unused names can get a zero gradient); a variable of the tree with no value raises
  ExprError (pointing at it when `text` is given, else at the canonical text).
- `requires_grad`: True (all leaves), False, or an iterable of names.
- `Tape.output` is the result Tensor, `Tape.leaves` {name: leaf}, `Tape.tensors` a list of
  (tree node, Tensor) in evaluation order, for the graph view.
- Each new tensor's `grad_fn.metadata["source"]` is its subexpression's text (with `text`)
  and `metadata["span"]` its (start, end), so anomaly errors can point at it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

import diffcli as dc

from .errors import ExprError
from .tree import FUNCTIONS, Binary, Call, Node, Num, Unary, Var, postorder, to_text

_BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: dc.pow(a, b),
}
# Engine counterparts that are more than one call, keyed by canonical name.
_COMPOSITES = {
    "log": lambda a, base=None: dc.log(a) if base is None else dc.log(a) / dc.log(base),
    "dot": lambda a, b: dc.dot(a, b) if a.ndim == b.ndim == 1 else dc.sum(a * b),
}


@dataclass
class Tape:
    """The evaluated expression: output, leaves by name, and (node, tensor) pairs."""

    output: dc.Tensor
    leaves: dict[str, dc.Tensor]
    tensors: list[tuple[Node, dc.Tensor]]


def _leaves(values: Mapping, requires_grad: bool | Iterable[str]) -> dict[str, dc.Tensor]:
    wanted = set(values) if requires_grad is True else set(requires_grad or ())
    return {name: dc.tensor(np.asarray(value, dtype=np.float64), requires_grad=name in wanted)
            for name, value in values.items()}


def _missing(root: Node, name: str, text: str | None) -> ExprError:
    shown = text if text is not None else to_text(root)
    span = next(n.span for n in postorder(root) if isinstance(n, Var) and n.name == name)
    if text is None:
        span = (0, len(shown))
    return ExprError(f"no value given for '{name}'", shown, *span)


def build(node: Node, values: Mapping[str, float | np.ndarray],
          requires_grad: bool | Iterable[str] = True, text: str | None = None) -> Tape:
    """Evaluate the tree on Tensors, recording the tape (see the module docstring)."""
    leaves = _leaves(values, requires_grad)
    tensors: list[tuple[Node, dc.Tensor]] = []
    results: list[dc.Tensor] = []
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


def _evaluate(n: Node, args: list, leaves: dict, root: Node, text: str | None) -> dc.Tensor:
    if isinstance(n, Num):
        return dc.tensor(n.value)
    if isinstance(n, Var):
        if n.name not in leaves:
            raise _missing(root, n.name, text)
        return leaves[n.name]
    if isinstance(n, Unary):
        return -args[0] if n.op == "-" else args[0]
    if isinstance(n, Binary):
        return _BINARY[n.op](*args)
    assert isinstance(n, Call)
    fn = _COMPOSITES.get(n.name) or getattr(dc, FUNCTIONS[n.name].engine)
    return fn(*args)
