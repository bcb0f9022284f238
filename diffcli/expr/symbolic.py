"""Tree → sympy, node by node with sympy's constructors (never from a string).

`to_sympy(node, shapes=None, exact=False) -> sympy.Expr | list`. Variables become
`Symbol(name, real=True)`; with `exact=True` a decimal literal becomes the rational it
spells (`0.3` is 3/10, not the nearest double), so that proofs compare numbers exactly.
With `shapes={"W": (2, 3), "x": (3,)}` (an int n is the vector shape (n,)) an array
variable becomes one symbol per entry (`W[0,1]`, `x[2]`) held in a numpy object array:
elementwise operations broadcast over them as numpy does, `@` is numpy's matmul, and the
registry's other rows (reductions, matrix functions) get the object arrays. The result is
a sympy.Expr, or nested lists of them in the result's shape. `symbol(name, index)` gives
the symbols `to_sympy` uses; `lambdify_modules()` the `modules` that evaluate its
expressions on arrays.

Importing this module imports sympy (about half a second); only verify's symbolic side
and the `symbolic` command do. It does not import numpy: a point of numbers needs none, so
sympy's worker (forked before numpy loads) checks one without paying for it; arrays bring
numpy in where they are made.
"""

from __future__ import annotations

import importlib
import math
import sys
import types
from collections.abc import Mapping
from fractions import Fraction
from typing import TYPE_CHECKING

import sympy

from .functions import FUNCTIONS, ROWS, resolve
from .tree import Binary, Call, Node, Num, Unary, Var, transform

if TYPE_CHECKING:
    import numpy as np


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


def symbol(name: str, index: int | tuple[int, ...] | None = None) -> sympy.Symbol:
    """The real symbol for a variable, or for entry `index` of an array variable
    (`x[0]` of a vector, `W[0,1]` of a matrix)."""
    if index is None:
        return sympy.Symbol(name, real=True)
    where = ",".join(map(str, index)) if isinstance(index, tuple) else str(index)
    return sympy.Symbol(f"{name}[{where}]", real=True)


def symbols(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A numpy object array of shape `shape` holding the symbol of each entry."""
    import numpy as np

    out = np.empty(shape, dtype=object)
    for index in np.ndindex(shape):
        out[index] = symbol(name, index)
    return out


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
    import numpy as np

    own = {spec.sympy: np.vectorize(spec.lambdify, otypes=[float])
           for spec in ROWS if spec.lambdify is not None}
    return [own, "numpy"]


def _power(base, exponent):
    """base**exponent; between two numbers whose power overflows a double (9**9**9, whose
    exact integer has 370 million digits) it is what the engine computes, inf or nan,
    rather than an exact power that would never finish."""
    if base.is_Number and exponent.is_Number:
        value = _float_power(float(base), float(exponent))
        if not math.isfinite(value):
            return {math.inf: sympy.oo, -math.inf: -sympy.oo}.get(value, sympy.nan)
    return sympy.Pow(base, exponent)


def _float_power(base: float, exponent: float) -> float:
    """base**exponent in doubles: finite exactly where numpy's power (the engine's) is,
    and numpy's inf or nan where it is not. math.pow answers first, so that a point of
    numbers is built without importing numpy; numpy decides only near a double's limits
    and where math.pow has no answer."""
    try:
        value = math.pow(base, exponent)
        if abs(value) < 1e308:
            return value
    except (OverflowError, ValueError):
        pass
    import numpy as np

    with np.errstate(all="ignore"):
        return float(np.power(base, exponent))


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


def _is_array(value) -> bool:
    """Whether `value` is a numpy (object) array. None exists until something has loaded
    numpy, so an expression of numbers is built without importing it."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.ndarray)


def _elementwise(fn, args: list):
    """Apply fn to scalars, or entry by entry across object arrays (broadcast as numpy's)."""
    if not any(_is_array(a) for a in args):
        return fn(*args)
    import numpy as np

    return np.frompyfunc(fn, len(args), 1)(*args)


def _plain(value):
    """A row's result as to_sympy hands it on: a 0-d array as its one entry."""
    if _is_array(value) and value.ndim == 0:
        return value.item()
    return value


def to_sympy(node: Node, shapes: Mapping[str, int | tuple[int, ...]] | None = None,
             exact: bool = False):
    """The sympy expression of a tree (nested lists of them when its value is an array);
    `shapes` gives array variables one symbol per entry; `exact` reads decimal literals as
    rationals."""
    shaped = {name: (s,) if isinstance(s, int) else tuple(s) for name, s in (shapes or {}).items()}

    def build(n: Node, args: list):
        if isinstance(n, Num):
            return _number(n, exact)
        if isinstance(n, Var):
            shape = shaped.get(n.name)
            return symbols(n.name, shape) if shape else symbol(n.name)
        if isinstance(n, Unary):
            return _elementwise(lambda a: -a if n.op == "-" else a, [_done(args[0])])
        scalar = not any(_is_array(a) for a in args)
        if isinstance(n, Binary) and scalar and n.op in ("+", "-", "*"):
            right = -_done(args[1]) if n.op == "-" else args[1]
            return _chain(sympy.Mul if n.op == "*" else sympy.Add, args[0], right)
        args = [_done(a) for a in args]
        if isinstance(n, Binary):
            if n.op == "@":
                import numpy as np

                return _plain(np.matmul(*args))
            return _elementwise(_BINARY[n.op], args)
        assert isinstance(n, Call)
        if FUNCTIONS[n.name].reduces:
            return _plain(_FUNCTIONS[n.name](*args))
        return _elementwise(_FUNCTIONS[n.name], args)

    result = _done(transform(node, build))
    return result.tolist() if _is_array(result) else result



def matrix_terms(node: Node, shapes: Mapping[str, tuple[int, ...]]) -> list | None:
    """A scalar expression as [(coefficient, sympy Trace of a matrix expression)] over
    `MatrixSymbol`s (a vector is a column), for sympy's matrix calculus; None outside
    the forms its derivative gets right. Those are sums, differences and number
    multiples of trace(M) and sum(M**2), where M is built from variables, @, +, -,
    transpose, inv and numbers times matrices: sympy's `.diff(W)` answers 0 for a sum
    of traces, `x.T` for sum(M), and fails on sqrt, det and logdet, so each term is
    differentiated on its own and nothing else is tried."""
    from .shapes import infer

    try:
        ranks = {k: len(v) for k, v in infer(node, shapes).items()}
    except ValueError:
        return None
    terms = _scalar_terms(node, _Shaped(shapes, ranks))
    return None if terms is None else [(c, t) for c, t in terms if c != 0]


class _Shaped:
    """The variables' shapes and each node's rank, as the matrix forms need them."""

    def __init__(self, shapes: Mapping, ranks: dict[int, int]) -> None:
        self.shapes, self.ranks = shapes, ranks

    def rank(self, node: Node) -> int:
        return self.ranks[id(node)]


def _constant(node: Node):
    if isinstance(node, Num):
        return _number(node, exact=True)
    if isinstance(node, Unary) and isinstance(node.operand, Num):
        value = _number(node.operand, exact=True)
        return -value if node.op == "-" else value
    return None


def _scalar_terms(node: Node, at: _Shaped) -> list | None:
    if isinstance(node, Unary):
        inner = _scalar_terms(node.operand, at)
        sign = -1 if node.op == "-" else 1
        return None if inner is None else [(sign * c, t) for c, t in inner]
    if isinstance(node, Binary) and node.op in ("+", "-"):
        left, right = _scalar_terms(node.left, at), _scalar_terms(node.right, at)
        if left is None or right is None:
            return None
        sign = -1 if node.op == "-" else 1
        return left + [(sign * c, t) for c, t in right]
    if isinstance(node, Binary) and node.op in ("*", "/"):
        c = _constant(node.right)
        if c is not None and c != 0:
            inner = _scalar_terms(node.left, at)
            factor = c if node.op == "*" else 1 / c
        else:
            factor = _constant(node.left) if node.op == "*" else None
            inner = None if factor is None else _scalar_terms(node.right, at)
        return None if inner is None else [(factor * k, t) for k, t in inner]
    if not isinstance(node, Call) or len(node.args) != 1:
        return None
    name, (arg,) = FUNCTIONS[node.name].name, node.args
    if name == "trace":
        m = _matrix(arg, at)
        return None if m is None or not m.is_square else [(sympy.S.One, sympy.Trace(m))]
    if (name == "sum" and isinstance(arg, Binary) and arg.op == "**"
            and _constant(arg.right) == 2):
        m = _matrix(arg.left, at)
        return None if m is None else [(sympy.S.One, sympy.Trace(m.T * m))]
    return None


def _matrix(node: Node, at: _Shaped):
    """A matrix expression whose value is the node's (a vector as a column), or None."""
    if isinstance(node, Var):
        shape = tuple(at.shapes.get(node.name, ()))
        if len(shape) not in (1, 2):
            return None
        return sympy.MatrixSymbol(node.name, shape[0], shape[1] if len(shape) == 2 else 1)
    if isinstance(node, Unary):
        m = _matrix(node.operand, at)
        return None if m is None else (-m if node.op == "-" else m)
    if isinstance(node, Binary) and node.op == "*":
        for c, other in ((_constant(node.left), node.right), (_constant(node.right), node.left)):
            m = None if c is None else _matrix(other, at)
            if m is not None:
                return c * m
        return None
    if isinstance(node, Binary) and node.op in ("+", "-", "@"):
        left, right = _matrix(node.left, at), _matrix(node.right, at)
        if left is None or right is None:
            return None
        if node.op == "@":
            return _matmul(node, left, right, at)
        # Equal shapes only: numpy broadcasts a column against a vector into a matrix.
        if left.shape != right.shape or at.rank(node.left) != at.rank(node.right):
            return None
        return left + right if node.op == "+" else left - right
    if isinstance(node, Call) and len(node.args) == 1:
        name, (arg,) = FUNCTIONS[node.name].name, node.args
        m = _matrix(arg, at) if name in ("transpose", "inv") and at.rank(arg) == 2 else None
        if m is None:
            return None
        if name == "inv":
            return sympy.Inverse(m) if m.is_square else None
        return m.T
    return None


def _matmul(node: Binary, left, right, at: _Shaped):
    """numpy's matmul of matrices and vectors, a vector being a column: v @ A is A.T v."""
    if at.rank(node.left) == 2 and left.shape[1] == right.shape[0]:
        return left * right
    if at.rank(node.left) == 1 and at.rank(node.right) == 2 and left.shape[0] == right.shape[0]:
        return right.T * left
    return None
