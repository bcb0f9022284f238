"""Tree → sympy, node by node with sympy's constructors (never from a string).

`to_sympy(node, lengths=None, exact=False) -> sympy.Expr`. Variables become
`Symbol(name, real=True)`; with `exact=True` a decimal literal becomes the rational it
spells (`0.3` is 3/10, not the nearest double), so that proofs compare numbers exactly.
With `lengths={"x": 3}` a vector variable becomes the symbols `x[0], x[1], x[2]`, elementwise
operations map over them and the reductions (`sum`, `mean`, `prod`, `dot`, `norm`) reduce;
the result is then a sympy.Expr or a list of them. `symbol(name)` gives the symbol
`to_sympy` uses; `lambdify_modules()` the `modules` that evaluate its expressions on arrays.

Importing this module imports sympy (about half a second); only verify's symbolic side
and the `symbolic` command do.
"""

from __future__ import annotations

import importlib
import math
import sys
import types
from collections.abc import Mapping
from fractions import Fraction

import sympy

from .functions import FUNCTIONS, ROWS, resolve
from .tree import Binary, Call, Node, Num, Unary, Var, transform


def _defer_tensors() -> None:
    """sympy's Add imports sympy.tensor.tensor on its first use only to ask whether a
    term is a tensor expression, and that import (combinatorics, with polyhedra built at
    import) costs a fifth of sympy's own start-up. Until something else needs the module,
    a stand-in answers: no term is one (none exists before the real module is loaded)."""
    name = "sympy.tensor.tensor"
    if name in sys.modules:
        return

    class Deferred(types.ModuleType):
        class TensExpr:
            """What no expression is, before the real module loads."""

        TensAdd = TensExpr

        def __getattr__(self, attr: str):
            if attr.startswith("__"):  # the import system asking (__path__, ...)
                raise AttributeError(attr)
            if sys.modules.get(name) is self:
                del sys.modules[name]
            return getattr(importlib.import_module(name), attr)

    sys.modules[name] = Deferred(name)


_defer_tensors()


def symbol(name: str, index: int | None = None) -> sympy.Symbol:
    """The real symbol for a variable, or for element `index` of a vector variable."""
    return sympy.Symbol(name if index is None else f"{name}[{index}]", real=True)


def _step(base: type) -> type:
    """A step function whose derivative is 0 (the jumps are kinks, see the registry)."""
    return type(base.__name__, (base,), {"fdiff": lambda self, argindex=1: sympy.S.Zero})


class _Sympy:
    """sympy as the registry's rows see it, except that floor and ceiling are steps."""

    floor, ceiling = _step(sympy.floor), _step(sympy.ceiling)

    def __getattr__(self, name: str):
        return getattr(sympy, name)


_FUNCTIONS = {name: resolve(spec.sympy, _Sympy()) for name, spec in FUNCTIONS.items()}


def lambdify_modules() -> list:
    """lambdify's `modules`: numpy, with elementwise versions of the functions it lacks."""
    import numpy as np  # here: sympy's worker converts trees without numpy

    own = {spec.sympy: np.vectorize(spec.lambdify, otypes=[float])
           for spec in ROWS if spec.lambdify is not None}
    return [own, "numpy"]


def _power(base, exponent):
    """base**exponent; between two numbers whose power overflows a double (9**9**9, whose
    exact integer has 370 million digits) it is what the engine computes, inf or nan,
    rather than an exact power that would never finish."""
    if base.is_Number and exponent.is_Number:
        import numpy as np

        with np.errstate(all="ignore"):
            value = np.power(float(base), float(exponent))
        if not np.isfinite(value):
            return {np.inf: sympy.oo, -np.inf: -sympy.oo}.get(float(value), sympy.nan)
    return sympy.Pow(base, exponent)


_BINARY = {
    "+": sympy.Add,
    "-": lambda a, b: sympy.Add(a, -b),
    "*": sympy.Mul,
    "/": lambda a, b: sympy.Mul(a, sympy.Pow(b, -1)),
    "**": lambda a, b: _power(a, b),
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
        if FUNCTIONS[n.name].reduces:
            return _FUNCTIONS[n.name](*(a if isinstance(a, list) else [a] for a in args))
        return _elementwise(_FUNCTIONS[n.name], args)

    return _done(transform(node, build))
