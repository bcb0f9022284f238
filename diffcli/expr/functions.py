"""The one registry of the language's functions: a row says everything about one function.

`ROWS` holds one `FunctionSpec` per function; `FUNCTIONS` maps every accepted name
(canonical or alias) to its row. The parser reads arity and fold, the tape builder the
engine op, the sympy bridge the sympy counterpart and the lambdify map, the verifier the
kink test, and the tests walk every row over its domain. Engine and sympy counterparts are
names or small builders handed the module, resolved by `resolve` where that module is
already loaded: importing the registry imports neither the engine's ops nor sympy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

Interval = tuple[float, float]
Domain = tuple[Interval, ...]
"""A union of open intervals."""


def between(lo: float, hi: float) -> Domain:
    """The domain of one interval."""
    return ((lo, hi),)


# Domains to sample: the functions are real and smooth there, and off their kinks.
ANYWHERE = between(-3.0, 3.0)
POSITIVE = between(0.2, 3.0)
NONZERO: Domain = ((-3.0, -0.2), (0.2, 3.0))
UNIT = between(-0.9, 0.9)
BETWEEN_INTEGERS: Domain = tuple((k + 0.2, k + 0.8) for k in range(-3, 3))
AROUND_INTEGERS: Domain = tuple((k - 0.3, k + 0.3) for k in range(-3, 4))
LOG_BASES: Domain = ((0.3, 0.7), (1.5, 4.0))
# max/min: the first argument on either side of the second, never tied with it.
OUTER: Domain = ((-3.0, -1.0), (1.0, 3.0))
INNER = between(-0.5, 0.5)
# clamp(x, lo, hi): x below, between and above bounds near -1 and 1.
CLAMPED: Domain = ((-3.0, -1.2), (-0.8, 0.8), (1.2, 3.0))


class FunctionSpec(NamedTuple):
    """One function of the language.

    `engine`: the name of its op in diffcli.autograd.ops, or a composite `(ops, *args)`.
    `sympy`: the name of its sympy counterpart, or a builder `(sympy, *args)`; a reduction's
    builder gets lists of elements. `fold`: the float value at constant arguments.
    `domain`: for each argument, where it is real and smooth (tests sample there).
    `kink`: a test of the argument arrays, True where the derivative is a convention.
    `reduces`: vectors in, one number out. `lambdify`: a float function that lambdify maps
    elementwise for the sympy counterpart (a name) when numpy has none.
    """

    name: str
    min_args: int
    max_args: int
    engine: str | Callable
    sympy: str | Callable
    fold: Callable[..., float]
    domain: tuple[Domain, ...]
    aliases: tuple[str, ...] = ()
    kink: Callable | None = None
    reduces: bool = False
    lambdify: Callable[[float], float] | None = None

    def arity_text(self) -> str:
        n = self.min_args
        count = f"{n}" if n == self.max_args else f"{n} or {self.max_args}"
        return f"{count} argument{'s' if self.max_args > 1 else ''}"


def resolve(counterpart: str | Callable, module) -> Callable:
    """A row's engine or sympy counterpart as a function: the named attribute of `module`,
    or the builder with `module` bound as its first argument."""
    if isinstance(counterpart, str):
        return getattr(module, counterpart)
    return partial(counterpart, module)


def _sign(x: float) -> float:
    return math.copysign(1.0, x) if x else 0.0


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


# Kink tests get numpy arrays (or numpy scalars) and use only their own methods.
def _at_zero(x):
    return x == 0


def _origin(a, b):
    return (a == 0) & (b == 0)


def _ties(a, b):
    return a == b


def _integer(x):
    return x == x.round()


ROWS: tuple[FunctionSpec, ...] = (
    FunctionSpec("abs", 1, 1, "abs", "Abs", abs, (NONZERO,), kink=_at_zero),
    FunctionSpec("exp", 1, 1, "exp", "exp", math.exp, (ANYWHERE,)),
    FunctionSpec("expm1", 1, 1, "expm1", lambda sp, a: sp.exp(a) - 1, math.expm1, (ANYWHERE,)),
    FunctionSpec("log", 1, 2,
                 lambda ops, a, base=None: ops.log(a) if base is None else ops.log(a) / ops.log(base),
                 "log", math.log, (POSITIVE, LOG_BASES), aliases=("ln",)),
    FunctionSpec("log1p", 1, 1, "log1p", lambda sp, a: sp.log(1 + a), math.log1p,
                 (between(-0.8, 3.0),)),
    FunctionSpec("log2", 1, 1, "log2", lambda sp, a: sp.log(a, 2), math.log2, (POSITIVE,)),
    FunctionSpec("log10", 1, 1, "log10", lambda sp, a: sp.log(a, 10), math.log10, (POSITIVE,)),
    FunctionSpec("sqrt", 1, 1, "sqrt", "sqrt", math.sqrt, (POSITIVE,)),
    # The real cube root (sympy's cbrt is the principal, complex one for a < 0).
    FunctionSpec("cbrt", 1, 1, "cbrt", lambda sp, a: sp.sign(a) * sp.Abs(a) ** sp.Rational(1, 3),
                 math.cbrt, (NONZERO,)),
    FunctionSpec("sin", 1, 1, "sin", "sin", math.sin, (ANYWHERE,)),
    FunctionSpec("cos", 1, 1, "cos", "cos", math.cos, (ANYWHERE,)),
    FunctionSpec("tan", 1, 1, "tan", "tan", math.tan, (between(-1.3, 1.3),)),
    FunctionSpec("asin", 1, 1, "asin", "asin", math.asin, (UNIT,), aliases=("arcsin",)),
    FunctionSpec("acos", 1, 1, "acos", "acos", math.acos, (UNIT,), aliases=("arccos",)),
    FunctionSpec("atan", 1, 1, "atan", "atan", math.atan, (ANYWHERE,), aliases=("arctan",)),
    # y off 0 keeps atan2(y, x) off its branch cut and the origin.
    FunctionSpec("atan2", 2, 2, "atan2", "atan2", math.atan2, (NONZERO, ANYWHERE),
                 aliases=("arctan2",), kink=_origin),
    FunctionSpec("sinh", 1, 1, "sinh", "sinh", math.sinh, (ANYWHERE,)),
    FunctionSpec("cosh", 1, 1, "cosh", "cosh", math.cosh, (ANYWHERE,)),
    FunctionSpec("tanh", 1, 1, "tanh", "tanh", math.tanh, (ANYWHERE,)),
    FunctionSpec("asinh", 1, 1, "asinh", "asinh", math.asinh, (ANYWHERE,), aliases=("arcsinh",)),
    FunctionSpec("acosh", 1, 1, "acosh", "acosh", math.acosh, (between(1.05, 4.0),),
                 aliases=("arccosh",)),
    FunctionSpec("atanh", 1, 1, "atanh", "atanh", math.atanh, (UNIT,), aliases=("arctanh",)),
    FunctionSpec("sigmoid", 1, 1, "sigmoid", lambda sp, a: 1 / (1 + sp.exp(-a)),
                 lambda x: 0.5 + 0.5 * math.tanh(x / 2), (ANYWHERE,)),
    FunctionSpec("relu", 1, 1, "relu", lambda sp, a: sp.Max(0, a), lambda x: max(x, 0.0),
                 (NONZERO,), kink=_at_zero),
    FunctionSpec("softplus", 1, 1, "softplus", lambda sp, a: sp.log(1 + sp.exp(a)), _softplus,
                 (ANYWHERE,)),
    FunctionSpec("erf", 1, 1, "erf", "erf", math.erf, (ANYWHERE,), lambdify=math.erf),
    FunctionSpec("erfc", 1, 1, "erfc", "erfc", math.erfc, (ANYWHERE,), lambdify=math.erfc),
    FunctionSpec("hypot", 2, 2, "hypot", lambda sp, a, b: sp.sqrt(a**2 + b**2), math.hypot,
                 (NONZERO, NONZERO), kink=_origin),
    FunctionSpec("max", 2, 2, "maximum", "Max", max, (OUTER, INNER), aliases=("maximum",),
                 kink=_ties),
    FunctionSpec("min", 2, 2, "minimum", "Min", min, (OUTER, INNER), aliases=("minimum",),
                 kink=_ties),
    FunctionSpec("clamp", 3, 3, "clamp", lambda sp, a, lo, hi: sp.Min(sp.Max(a, lo), hi),
                 lambda x, lo, hi: min(max(x, lo), hi),
                 (CLAMPED, between(-1.1, -0.9), between(0.9, 1.1)), aliases=("clip",),
                 kink=lambda x, lo, hi: _ties(x, lo) | _ties(x, hi) | _ties(lo, hi)),
    FunctionSpec("sign", 1, 1, "sign", "sign", _sign, (NONZERO,), kink=_at_zero),
    FunctionSpec("floor", 1, 1, "floor", "floor", lambda x: float(math.floor(x)),
                 (BETWEEN_INTEGERS,), kink=_integer),
    FunctionSpec("ceil", 1, 1, "ceil", "ceiling", lambda x: float(math.ceil(x)),
                 (BETWEEN_INTEGERS,), kink=_integer),
    # The engine's ops module names it _round (diffcli exports it as round).
    FunctionSpec("round", 1, 1, "_round", lambda sp, a: sp.floor(a + sp.Rational(1, 2)),
                 lambda x: float(round(x)), (AROUND_INTEGERS,), kink=lambda x: _integer(x + 0.5)),
    # At a zero base sympy's x**y*y/x and x**y*log(x) are not numbers; the engine has torch's.
    FunctionSpec("pow", 2, 2, "pow", "Pow", math.pow, (POSITIVE, ANYWHERE),
                 kink=lambda a, b: _at_zero(a)),
    FunctionSpec("sum", 1, 1, "sum", lambda sp, v: sp.Add(*v), float, (ANYWHERE,), reduces=True),
    FunctionSpec("mean", 1, 1, "mean", lambda sp, v: sp.Add(*v) / len(v), float, (ANYWHERE,),
                 reduces=True),
    FunctionSpec("prod", 1, 1, "prod", lambda sp, v: sp.Mul(*v), float, (ANYWHERE,),
                 reduces=True),
    FunctionSpec("norm", 1, 1, "norm", lambda sp, v: sp.sqrt(sp.Add(*(a**2 for a in v))), abs,
                 (NONZERO,), kink=lambda v: (v == 0).all(), reduces=True),
    FunctionSpec("dot", 2, 2,
                 lambda ops, a, b: ops.dot(a, b) if a.ndim == b.ndim == 1 else ops.sum(a * b),
                 lambda sp, v, w: sp.Add(*(a * b for a, b in zip(v, w, strict=True))),
                 lambda a, b: a * b, (ANYWHERE, ANYWHERE), reduces=True),
)

FUNCTIONS: dict[str, FunctionSpec] = {
    alias: spec for spec in ROWS for alias in (spec.name, *spec.aliases)
}
