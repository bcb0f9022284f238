"""Tree → sympy, node by node with sympy's constructors (never from a string).

`to_sympy(node, lengths=None, exact=False) -> sympy.Expr`. Variables become
`Symbol(name, real=True)`; with `exact=True` a decimal literal becomes the rational it
spells (`0.3` is 3/10, not the nearest double), so that proofs compare numbers exactly.
With `lengths={"x": 3}` a vector variable becomes the symbols `x[0], x[1], x[2]`, elementwise
operations map over them and `sum`/`mean`/`prod`/`dot`/`norm` reduce; the result is then a
sympy.Expr or a list of them. `symbol(name)` gives the symbol `to_sympy` uses.

Importing this module imports sympy (about half a second); only verify's symbolic side
and the `symbolic` command do.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

import sympy

from .tree import FUNCTIONS, Binary, Call, Node, Num, Unary, Var, transform


def symbol(name: str, index: int | None = None) -> sympy.Symbol:
    """The real symbol for a variable, or for element `index` of a vector variable."""
    return sympy.Symbol(name if index is None else f"{name}[{index}]", real=True)


def _step(base: type) -> type:
    """A step function whose derivative is 0 (the jumps are kinks, see tree.FUNCTIONS)."""
    return type(base.__name__, (base,), {"fdiff": lambda self, argindex=1: sympy.S.Zero})


_floor, _ceiling = _step(sympy.floor), _step(sympy.ceiling)


def _sum(v):
    return sympy.Add(*v)


# Counterparts that sympy lacks as one function, keyed by FunctionSpec.sympy.
_COMPOSITES = {
    "expm1": lambda a: sympy.exp(a) - 1,
    "log1p": lambda a: sympy.log(1 + a),
    "log2": lambda a: sympy.log(a, 2),
    "log10": lambda a: sympy.log(a, 10),
    # The real cube root (sympy's cbrt is the principal, complex one for a < 0).
    "cbrt": lambda a: sympy.sign(a) * sympy.Abs(a) ** sympy.Rational(1, 3),
    "sigmoid": lambda a: 1 / (1 + sympy.exp(-a)),
    "relu": lambda a: sympy.Max(0, a),
    "softplus": lambda a: sympy.log(1 + sympy.exp(a)),
    "hypot": lambda a, b: sympy.sqrt(a**2 + b**2),
    "clamp": lambda a, lo, hi: sympy.Min(sympy.Max(a, lo), hi),
    "floor": _floor,
    "ceiling": _ceiling,
    "round": lambda a: _floor(a + sympy.Rational(1, 2)),
}
_REDUCTIONS = {
    "sum": _sum,
    "mean": lambda v: _sum(v) / len(v),
    "prod": lambda v: sympy.Mul(*v),
    "norm": lambda v: sympy.sqrt(_sum([a**2 for a in v])),
    "dot": lambda v, w: _sum([a * b for a, b in zip(v, w, strict=True)]),
}
_BINARY = {
    "+": sympy.Add,
    "-": lambda a, b: sympy.Add(a, -b),
    "*": sympy.Mul,
    "/": lambda a, b: sympy.Mul(a, sympy.Pow(b, -1)),
    "**": sympy.Pow,
}
_CONSTANTS = {"pi": sympy.pi, "e": sympy.E, "tau": 2 * sympy.pi}


def _number(node: Num, exact: bool = False) -> sympy.Expr:
    if node.name:
        return _CONSTANTS[node.name]
    if node.value.is_integer():
        return sympy.Integer(int(node.value))
    if exact and math.isfinite(node.value):
        # repr is the shortest decimal that reads back as this double: the one typed.
        ratio = Fraction(repr(node.value))
        return sympy.Rational(ratio.numerator, ratio.denominator)
    return sympy.Float(node.value)


class _Chain:
    """The operands of a run of + (or *), joined once: sympy re-flattens on every Add."""

    __slots__ = ("items", "join")

    def __init__(self, items: list, join) -> None:
        self.items, self.join = items, join


def _done(value):
    return value.join(*value.items) if isinstance(value, _Chain) else value


def _chain(join, left, right):
    """Extend a pending chain (owned by the left child alone: trees share no nodes)."""
    if isinstance(left, _Chain) and left.join is join:
        left.items.append(_done(right))
        return left
    return _Chain([_done(left), _done(right)], join)


def _elementwise(fn, args: list):
    """Apply fn to scalars, or across vectors element by element (scalars broadcast)."""
    sizes = {len(a) for a in args if isinstance(a, list)}
    if not sizes:
        return fn(*args)
    if len(sizes) > 1:
        raise ValueError(f"vectors of different lengths {sorted(sizes)} in one operation")
    n = sizes.pop()
    return [fn(*(a[i] if isinstance(a, list) else a for a in args)) for i in range(n)]


def _function(name: str):
    spec = FUNCTIONS[name]
    return _COMPOSITES.get(spec.sympy) or getattr(sympy, spec.sympy)


def to_sympy(node: Node, lengths: Mapping[str, int] | None = None, exact: bool = False):
    """The sympy expression of a tree (a list of them if vector variables remain); `exact`
    reads decimal literals as rationals."""
    lengths = lengths or {}

    def build(n: Node, args: list):
        if isinstance(n, Num):
            return _number(n, exact)
        if isinstance(n, Var):
            size = lengths.get(n.name)
            return symbol(n.name) if size is None else [symbol(n.name, i) for i in range(size)]
        if isinstance(n, Unary):
            return _elementwise(lambda a: -a if n.op == "-" else a, [_done(args[0])])
        scalar = not any(isinstance(a, list) for a in args)
        if isinstance(n, Binary) and scalar and n.op in ("+", "-", "*"):
            right = -_done(args[1]) if n.op == "-" else args[1]
            return _chain(sympy.Mul if n.op == "*" else sympy.Add, args[0], right)
        args = [_done(a) for a in args]
        if isinstance(n, Binary):
            return _elementwise(_BINARY[n.op], args)
        assert isinstance(n, Call)
        if n.name in _REDUCTIONS:
            return _REDUCTIONS[n.name](*(a if isinstance(a, list) else [a] for a in args))
        return _elementwise(_function(n.name), args)

    return _done(transform(node, build))
