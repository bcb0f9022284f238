"""The parse tree: node types, iterative walks and canonical text.

Node types: `Num(value, span, name=None)` (a float literal, or the constant `name` in
pi/e/tau), `Var(name, span)`, `Unary(op, operand, span)` with op "-" or "+",
`Binary(op, left, right, span)` with op in "+ - * / ** @" (`^` is stored as "**"; "@" is
numpy's matmul), and `Call(name, args, span)` with the canonical function name (the
transpose, written `A.T`, `A'` or `transpose(A)`, is `Call("transpose", (A,))`). `span = (start, end)` are
0-based character offsets into the parsed text. Equality ignores spans.

`FUNCTIONS`, the registry of functions (functions.py), is re-exported here for callers
that import it with the nodes.

Every walk is iterative (`postorder`, `transform`), so depth never meets the recursion
limit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping

from .functions import FUNCTIONS as FUNCTIONS

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


def substitute(root: Node, replacements: Mapping[str, Node]) -> Node:
    """The tree with each variable named in `replacements` replaced by its node."""

    def step(n: Node, args: list) -> Node:
        if isinstance(n, Var):
            return replacements.get(n.name, n)
        if isinstance(n, Unary):
            return Unary(n.op, args[0], n.span)
        if isinstance(n, Binary):
            return Binary(n.op, args[0], args[1], n.span)
        if isinstance(n, Call):
            return Call(n.name, tuple(args), n.span)
        if n.children:
            raise TypeError(f"substitute does not know {type(n).__name__}")
        return n

    return transform(root, step)


def equal(a: Node, b: Node) -> bool:
    """Structural equality (spans ignored), iterative."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if x._key() != y._key() or len(x.children) != len(y.children):
            return False
        stack.extend(zip(x.children, y.children, strict=True))
    return True


def mixes(node: Node) -> bool:
    """Whether this node is not elementwise: a reduction, a matrix function or `@`."""
    if isinstance(node, Binary):
        return node.op == "@"
    return isinstance(node, Call) and FUNCTIONS[node.name].reduces


def has_reduction(root: Node) -> bool:
    """Whether the expression mixes entries (sum, dot, @, det, ...): then its values'
    elements are not independent points."""
    return any(mixes(n) for n in postorder(root))


def variables(root: Node) -> list[str]:
    """Variable names in order of first appearance in the text (constants excluded)."""
    seen: dict[str, int] = {}
    for node in postorder(root):
        if isinstance(node, Var) and node.name not in seen:
            seen[node.name] = node.span[0]
    return sorted(seen, key=seen.__getitem__)


# Binding powers shared by the parser and `to_text`.
BINARY_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "**": 4}
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
