"""Shape inference: the shape of every subexpression, from the variables' shapes, before
anything is computed.

`infer(node, shapes, text=None) -> dict[int, tuple]` maps `id(n)` of every node of the tree
to its shape; `shape_of(node, shapes, text=None)` is the root's. `shapes` is {name: shape}
(`shapes_of(values)` makes it from values). Elementwise operations broadcast as numpy; `@`
follows numpy's matmul (a vector on either side included); each registry row names its
rule (`FunctionSpec.shape`, one of `RULES`). A mismatch raises ExprError naming both shapes,
with the caret under the operator (or the function's name); a variable without a shape
raises the "no value given" ExprError the tape raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from .errors import ExprError
from .functions import FUNCTIONS
from .tree import Binary, Call, Node, Num, Unary, Var, postorder, to_text

Shape = tuple[int, ...]
_CALLED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?=\s*\()")


def shapes_of(values: Mapping) -> dict[str, Shape]:
    """{name: shape} of values given as numbers or arrays."""
    return {name: tuple(np.shape(value)) for name, value in values.items()}


def describe(shape: Sequence[int]) -> str:
    """A shape as the messages write it: `()`, `(3,)`, `(2,3)`."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return f"({','.join(map(str, shape))})"


def broadcast(shapes: Sequence[Shape]) -> Shape:
    """numpy's broadcast of the shapes; ValueError naming the sizes that differ."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for axis in range(-ndim, 0):
        sizes = {s[axis] for s in shapes if len(s) >= -axis} - {1}
        if len(sizes) > 1:
            a, b = sorted(sizes)[:2]
            raise ValueError(f"sizes {a} and {b} do not broadcast")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def matmul(a: Shape, b: Shape) -> Shape:
    """numpy's matmul of shapes a and b (a 1-D side is a row or a column vector)."""
    if not a or not b:
        raise ValueError("'@' needs arrays of at least one axis (use * for a number)")
    left = (1, *a) if len(a) == 1 else a
    right = (*b, 1) if len(b) == 1 else b
    if left[-1] != right[-2]:
        raise ValueError(f"inner sizes {left[-1]} and {right[-2]} differ")
    batch = broadcast([left[:-2], right[:-2]])
    return (*batch, *(left[-2:-1] if len(a) > 1 else ()), *(right[-1:] if len(b) > 1 else ()))


def constant_integer(node: Node, what: str) -> int:
    """The whole number a literal argument spells (an axis, eye's size)."""
    value = node.value if isinstance(node, Num) else None
    if isinstance(node, Unary) and isinstance(node.operand, Num):
        value = -node.operand.value if node.op == "-" else node.operand.value
    if value is None or not float(value).is_integer():
        raise ValueError(f"{what} must be a whole number written out, such as 0 or 1")
    return int(value)


def _axis(shape: Shape, node: Node) -> int:
    axis = constant_integer(node, "the axis")
    # A number is one entry along axis 0 (or -1), as numpy and torch read it.
    if not -max(len(shape), 1) <= axis < max(len(shape), 1):
        raise ValueError(f"axis {axis} is out of range for shape {describe(shape)}")
    return axis % max(len(shape), 1)


def _elementwise(name: str, shapes: list[Shape], args: Sequence[Node]) -> Shape:
    return broadcast(shapes)


def _reduce(name: str, shapes: list[Shape], args: Sequence[Node]) -> Shape:
    """All elements, or along the constant axis of a second argument."""
    if len(args) == 1:
        return ()
    if shapes[1]:
        raise ValueError(f"the axis of {name} must be a whole number, got an array")
    axis = _axis(shapes[0], args[1])
    return shapes[0][:axis] + shapes[0][axis + 1:]


def _norm(name: str, shapes: list[Shape], args: Sequence[Node]) -> Shape:
    if len(args) == 2 and (shapes[1] or not isinstance(args[1], Num) or args[1].value <= 0):
        raise ValueError("the order p of norm(x, p) must be a positive number written out")
    return ()


def _dot(name: str, shapes: list[Shape], args: Sequence[Node]) -> Shape:
    broadcast(shapes)
    return ()


def _transpose(name: str, shapes: list[Shape], args: Sequence[Node]) -> Shape:
    return shapes[0][::-1]


def _square(shape: Shape, name: str) -> None:
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"{name} needs a square matrix, got {describe(shape)}")


def _determinant(name: str, shapes: list[Shape], args: Sequence[Node]) -> Shape:
    _square(shapes[0], name)
    return shapes[0][:-2]


def _inverse(name: str, shapes: list[Shape], args: Sequence[Node]) -> Shape:
    _square(shapes[0], name)
    return shapes[0]


def _trace(name: str, shapes: list[Shape], args: Sequence[Node]) -> Shape:
    if len(shapes[0]) != 2:
        raise ValueError(f"{name} needs a matrix, got {describe(shapes[0])}")
    return ()


def _diag(name: str, shapes: list[Shape], args: Sequence[Node]) -> Shape:
    shape = shapes[0]
    if len(shape) == 1:
        return (shape[0], shape[0])
    if len(shape) == 2:
        return (min(shape),)
    raise ValueError(f"diag needs a vector or a matrix, got {describe(shape)}")


def _outer(name: str, shapes: list[Shape], args: Sequence[Node]) -> Shape:
    if any(len(s) != 1 for s in shapes):
        raise ValueError(f"outer needs two vectors, got {describe(shapes[0])} and "
                         f"{describe(shapes[1])}")
    return (shapes[0][0], shapes[1][0])


def _eye(name: str, shapes: list[Shape], args: Sequence[Node]) -> Shape:
    n = constant_integer(args[0], "the size of eye(n)")
    if n < 1:
        raise ValueError(f"eye(n) needs n of at least 1, got {n}")
    return (n, n)


def _softmax(name: str, shapes: list[Shape], args: Sequence[Node]) -> Shape:
    if not shapes[0]:
        raise ValueError(f"{name} needs a vector or an array, got a number")
    if len(args) == 2:
        _axis(shapes[0], args[1])
    return shapes[0]


RULES: dict[str, Callable[[str, list[Shape], Sequence[Node]], Shape]] = {
    "elementwise": _elementwise,
    "reduce": _reduce,
    "norm": _norm,
    "dot": _dot,
    "transpose": _transpose,
    "determinant": _determinant,
    "inverse": _inverse,
    "trace": _trace,
    "diag": _diag,
    "outer": _outer,
    "eye": _eye,
    "softmax": _softmax,
}


def missing_value(root: Node, name: str, text: str | None) -> ExprError:
    """The error for a variable with no value, pointing at its first use."""
    shown = text if text is not None else to_text(root)
    span = next(n.span for n in postorder(root) if isinstance(n, Var) and n.name == name)
    if text is None:
        span = (0, len(shown))
    return ExprError(f"no value given for '{name}'", shown, *span)


def _operator_span(n: Node, text: str) -> tuple[int, int]:
    """Where the operator of n is written: a binary operator, or a function's name."""
    if isinstance(n, Binary):
        for written in ("**", "^") if n.op == "**" else (n.op,):
            at = text.find(written, n.left.span[1], n.right.span[0])
            if at >= 0:
                return at, at + len(written)
    name = _CALLED.match(text, n.span[0], n.span[1])
    return (n.span[0], name.end()) if name else n.span


def _mismatch(root: Node, n: Node, shapes: list[Shape], why: str, text: str | None) -> ExprError:
    if isinstance(n, Binary):
        message = f"{describe(shapes[0])} {n.op} {describe(shapes[1])}: {why}"
    else:
        message = why
    if text is None:
        shown = to_text(root)
        return ExprError(message, shown, 0, len(shown))
    return ExprError(message, text, *_operator_span(n, text))


def infer(node: Node, shapes: Mapping[str, Sequence[int]], text: str | None = None,
          ) -> dict[int, Shape]:
    """{id(n): shape} for every node n of the tree (see the module docstring)."""
    found: dict[int, Shape] = {}
    for n in postorder(node):
        args = [found[id(c)] for c in n.children]
        if isinstance(n, Num):
            shape: Shape = ()
        elif isinstance(n, Var):
            if n.name not in shapes:
                raise missing_value(node, n.name, text)
            shape = tuple(shapes[n.name])
        elif isinstance(n, Unary):
            shape = args[0]
        else:
            try:
                if isinstance(n, Binary):
                    shape = matmul(*args) if n.op == "@" else broadcast(args)
                else:
                    assert isinstance(n, Call)
                    spec = FUNCTIONS[n.name]
                    shape = RULES[spec.shape](spec.name, args, n.args)
            except ValueError as why:
                raise _mismatch(node, n, args, str(why), text) from None
        found[id(n)] = shape
    return found


def shape_of(node: Node, shapes: Mapping[str, Sequence[int]], text: str | None = None) -> Shape:
    """The shape of the expression's value."""
    return infer(node, shapes, text)[id(node)]
