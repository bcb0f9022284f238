"""Tree → Taylor series: the expression's derivatives in one variable by Taylor mode.

`derivatives(node, values, wrt, order) -> list[numpy.ndarray]`: [f, f', ..., f^(order)] by
`wrt`, the other variables held at their `values` (see diffcli.autograd.forward);
`coefficients(...)` the same as Taylor coefficients f^(k)/k!, which stay finite past 170!.
Taylor mode is for elementwise expressions: a reduction, a matrix function or `@` raises
ExprError.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from diffcli.autograd import forward

from .errors import ExprError
from .functions import FUNCTIONS
from .tree import (
    Binary,
    Call,
    Node,
    Num,
    Unary,
    Var,
    has_reduction,
    mixes,
    postorder,
    to_text,
    transform,
)

_BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: forward.power(a, b),
}


def elementwise(node: Node) -> bool:
    """Whether the expression calls no reduction."""
    return not has_reduction(node)


def derivatives(node: Node, values: Mapping[str, float | np.ndarray], wrt: str,
                order: int) -> list[np.ndarray]:
    """Every derivative of the expression by `wrt` up to `order`, by Taylor mode."""
    return forward.times_factorials(coefficients(node, values, wrt, order))


def coefficients(node: Node, values: Mapping[str, float | np.ndarray], wrt: str,
                 order: int) -> list[np.ndarray]:
    """The Taylor coefficients f^(k)/k! in `wrt` up to `order`, by Taylor mode."""
    for n in postorder(node):
        if mixes(n):
            text = to_text(node)
            what = f"'{n.op}'" if isinstance(n, Binary) else f"'{n.name}'"
            raise ExprError(f"Taylor mode applies to elementwise expressions; {what} mixes "
                            "the entries of an array", text, 0, len(text))

    def fn(x: forward.Series) -> forward.Series:
        def step(n: Node, args: list) -> forward.Series:
            if isinstance(n, Num):
                return forward.lift(n.value, order)
            if isinstance(n, Var):
                if n.name == wrt:
                    return x
                if n.name not in values:
                    text = to_text(node)
                    raise ExprError(f"no value given for '{n.name}'", text, 0, len(text))
                return forward.lift(values[n.name], order)
            if isinstance(n, Unary):
                return -args[0] if n.op == "-" else args[0]
            if isinstance(n, Binary):
                return _BINARY[n.op](*args)
            assert isinstance(n, Call)
            return forward.RULES[FUNCTIONS[n.name].name](*args)

        return transform(node, step)

    return forward.coefficients(fn, values[wrt], order)
