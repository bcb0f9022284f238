"""The parse tree and the one table of functions.

Node types: `Num(value, span, name=None)` (a float literal, or the constant `name` in
pi/e/tau), `Var(name, span)`, `Unary(op, operand, span)` with op "-" or "+",
`Binary(op, left, right, span)` with op in "+ - * / **" (`^` is stored as "**"), and
`Call(name, args, span)` with the canonical function name. `span = (start, end)` are
0-based character offsets into the parsed text. Equality ignores spans.

`FUNCTIONS` maps every accepted name (canonical or alias) to its `FunctionSpec` row:
arity, engine op (an attribute of `diffcli`), sympy counterpart (an attribute of sympy
or a composite defined in symbolic.py), aliases, a float fold for constant subtrees,
and, for non-smooth functions, a `kink` test saying where the derivative is a convention.

Every walk is iterative (`postorder`, `transform`), so depth never meets the recursion
limit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

Span = tuple[int, int]


class Node:
    """Base of the tree nodes; subclasses list their fields in `_fields`."""

    __slots__ = ("span",)
    _fields: tuple[str, ...] = ()

    @property
    def children(self) -> tuple[Node, ...]:
        return ()

    def _key(self) -> tuple:
        return (type(self), *(getattr(self, f) for f in self._fields))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and equal(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}<{to_text(self)}>"


class Num(Node):
    __slots__ = ("value", "name")
    _fields = ("value", "name")

    def __init__(self, value: float, span: Span = (0, 0), name: str | None = None) -> None:
        self.value, self.span, self.name = float(value), span, name


class Var(Node):
    __slots__ = ("name",)
    _fields = ("name",)

    def __init__(self, name: str, span: Span = (0, 0)) -> None:
        self.name, self.span = name, span


class Unary(Node):
    __slots__ = ("op", "operand")
    _fields = ("op",)

    def __init__(self, op: str, operand: Node, span: Span = (0, 0)) -> None:
        self.op, self.operand, self.span = op, operand, span

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


class Binary(Node):
    __slots__ = ("op", "left", "right")
    _fields = ("op",)

    def __init__(self, op: str, left: Node, right: Node, span: Span = (0, 0)) -> None:
        self.op, self.left, self.right, self.span = op, left, right, span

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


class Call(Node):
    __slots__ = ("name", "args")
    _fields = ("name",)

    def __init__(self, name: str, args: tuple[Node, ...], span: Span = (0, 0)) -> None:
        self.name, self.args, self.span = name, tuple(args), span

    @property
    def children(self) -> tuple[Node, ...]:
        return self.args


def postorder(root: Node) -> Iterator[Node]:
    """Yield every node after its children, left to right, without recursion."""
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded or not node.children:
            yield node
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.children))


def transform(root: Node, fn: Callable[[Node, list], object]) -> object:
    """Fold the tree bottom-up: `fn(node, results_of_children)` for each node."""
    results: list = []
    for node in postorder(root):
        n = len(node.children)
        args = results[len(results) - n :] if n else []
        if n:
            del results[len(results) - n :]
        results.append(fn(node, args))
    return results[0]


def equal(a: Node, b: Node) -> bool:
    """Structural equality (spans ignored), iterative."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if x._key() != y._key() or len(x.children) != len(y.children):
            return False
        stack.extend(zip(x.children, y.children, strict=True))
    return True


def variables(root: Node) -> list[str]:
    """Variable names in order of first appearance in the text (constants excluded)."""
    seen: dict[str, int] = {}
    for node in postorder(root):
        if isinstance(node, Var) and node.name not in seen:
            seen[node.name] = node.span[0]
    return sorted(seen, key=seen.__getitem__)


# Binding powers shared by the parser and `to_text`.
BINARY_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 4}
UNARY_PRECEDENCE = 3
RIGHT_ASSOCIATIVE = {"**"}


def _format_number(value: float) -> str:
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def to_text(root: Node) -> str:
    """Canonical text of a tree: minimal parentheses, `**` for power; parses back equal."""

    def fn(node: Node, parts: list[tuple[str, float]]) -> tuple[str, float]:
        if isinstance(node, Num):
            return (node.name or _format_number(node.value), math.inf)
        if isinstance(node, Var):
            return (node.name, math.inf)
        if isinstance(node, Call):
            return (f"{node.name}({', '.join(p for p, _ in parts)})", math.inf)
        if isinstance(node, Unary):
            text, prec = parts[0]
            if prec < UNARY_PRECEDENCE:
                text = f"({text})"
            return (node.op + text, UNARY_PRECEDENCE)
        prec = BINARY_PRECEDENCE[node.op]
        (lt, lp), (rt, rp) = parts
        right_assoc = node.op in RIGHT_ASSOCIATIVE
        if lp < prec or (lp == prec and right_assoc):
            lt = f"({lt})"
        if rp < prec or (rp == prec and not right_assoc):
            rt = f"({rt})"
        sep = "" if node.op == "**" else " "
        return (f"{lt}{sep}{node.op}{sep}{rt}", prec)

    return transform(root, fn)[0]


CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau}


@dataclass(frozen=True)
class FunctionSpec:
    """One function of the language. `engine`: name in diffcli; `sympy`: name in sympy
    or a composite of symbolic.py; `fold`: float evaluation of constant arguments;
    `kink`: numpy test of argument arrays, True where the derivative is a convention."""

    name: str
    min_args: int
    max_args: int
    engine: str
    sympy: str
    aliases: tuple[str, ...] = ()
    fold: Callable[..., float] | None = None
    kink: Callable[..., np.ndarray] | None = None
    reduces: bool = False

    def arity_text(self) -> str:
        n = self.min_args
        count = f"{n}" if n == self.max_args else f"{n} or {self.max_args}"
        return f"{count} argument{'s' if self.max_args > 1 else ''}"


def _sign(x: float) -> float:
    return math.copysign(1.0, x) if x else 0.0


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _is_zero(x):
    return np.asarray(x) == 0


def _ties(a, b):
    return np.asarray(a) == np.asarray(b)


def _integer(x):
    return np.asarray(x) == np.floor(x)


_TABLE = (
    FunctionSpec("abs", 1, 1, "abs", "Abs", (), abs, _is_zero),
    FunctionSpec("exp", 1, 1, "exp", "exp", (), math.exp),
    FunctionSpec("expm1", 1, 1, "expm1", "expm1", (), math.expm1),
    FunctionSpec("log", 1, 2, "log", "log", ("ln",), math.log),
    FunctionSpec("log1p", 1, 1, "log1p", "log1p", (), math.log1p),
    FunctionSpec("log2", 1, 1, "log2", "log2", (), math.log2),
    FunctionSpec("log10", 1, 1, "log10", "log10", (), math.log10),
    FunctionSpec("sqrt", 1, 1, "sqrt", "sqrt", (), math.sqrt),
    FunctionSpec("cbrt", 1, 1, "cbrt", "cbrt", (), math.cbrt),
    FunctionSpec("sin", 1, 1, "sin", "sin", (), math.sin),
    FunctionSpec("cos", 1, 1, "cos", "cos", (), math.cos),
    FunctionSpec("tan", 1, 1, "tan", "tan", (), math.tan),
    FunctionSpec("asin", 1, 1, "asin", "asin", ("arcsin",), math.asin),
    FunctionSpec("acos", 1, 1, "acos", "acos", ("arccos",), math.acos),
    FunctionSpec("atan", 1, 1, "atan", "atan", ("arctan",), math.atan),
    FunctionSpec("atan2", 2, 2, "atan2", "atan2", ("arctan2",), math.atan2),
    FunctionSpec("sinh", 1, 1, "sinh", "sinh", (), math.sinh),
    FunctionSpec("cosh", 1, 1, "cosh", "cosh", (), math.cosh),
    FunctionSpec("tanh", 1, 1, "tanh", "tanh", (), math.tanh),
    FunctionSpec("asinh", 1, 1, "asinh", "asinh", ("arcsinh",), math.asinh),
    FunctionSpec("acosh", 1, 1, "acosh", "acosh", ("arccosh",), math.acosh),
    FunctionSpec("atanh", 1, 1, "atanh", "atanh", ("arctanh",), math.atanh),
    FunctionSpec("sigmoid", 1, 1, "sigmoid", "sigmoid", (), lambda x: 0.5 + 0.5 * math.tanh(x / 2)),
    FunctionSpec("relu", 1, 1, "relu", "relu", (), lambda x: max(x, 0.0), _is_zero),
    FunctionSpec("softplus", 1, 1, "softplus", "softplus", (), _softplus),
    FunctionSpec("erf", 1, 1, "erf", "erf", (), math.erf),
    FunctionSpec("hypot", 2, 2, "hypot", "hypot", (), math.hypot,
                 lambda a, b: _is_zero(a) & _is_zero(b)),
    FunctionSpec("max", 2, 2, "maximum", "Max", ("maximum",), max, _ties),
    FunctionSpec("min", 2, 2, "minimum", "Min", ("minimum",), min, _ties),
    FunctionSpec("clamp", 3, 3, "clamp", "clamp", ("clip",),
                 lambda x, lo, hi: min(max(x, lo), hi),
                 lambda x, lo, hi: _ties(x, lo) | _ties(x, hi)),
    FunctionSpec("sign", 1, 1, "sign", "sign", (), _sign, _is_zero),
    FunctionSpec("floor", 1, 1, "floor", "floor", (), lambda x: float(math.floor(x)), _integer),
    FunctionSpec("ceil", 1, 1, "ceil", "ceiling", (), lambda x: float(math.ceil(x)), _integer),
    FunctionSpec("round", 1, 1, "round", "round", (), lambda x: float(round(x)),
                 lambda x: _integer(np.asarray(x) + 0.5)),
    FunctionSpec("pow", 2, 2, "pow", "Pow", (), math.pow),
    FunctionSpec("sum", 1, 1, "sum", "sum", (), float, reduces=True),
    FunctionSpec("mean", 1, 1, "mean", "mean", (), float, reduces=True),
    FunctionSpec("prod", 1, 1, "prod", "prod", (), float, reduces=True),
    FunctionSpec("norm", 1, 1, "norm", "norm", (), abs, reduces=True),
    FunctionSpec("dot", 2, 2, "dot", "dot", (), lambda a, b: a * b, reduces=True),
)

FUNCTIONS: dict[str, FunctionSpec] = {
    alias: spec for spec in _TABLE for alias in (spec.name, *spec.aliases)
}
