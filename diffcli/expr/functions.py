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
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import numpy as np

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
    `sympy`: the name of its sympy counterpart, or a builder `(sympy, *args)` (see
    `reduces` for what its arguments are). `fold`: the float value at constant arguments
    (ArrayValued where there is none, as for det).
    `domain`: for each argument, where it is real and smooth (tests sample there).
    `kink`: a test of the argument arrays, True where the derivative is a convention.
    `reduces`: not elementwise: an entry of the result depends on several entries of an
    argument (a reduction, a matrix function); its sympy builder gets numpy object arrays
    of sympy entries (a number as a sympy number), its engine op Tensors (a literal axis
    or order as a constant Tensor). `shape`: its rule in diffcli.expr.shapes.RULES.
    `hint`: said after a wrong number of arguments. `lambdify`: a float function that
    lambdify maps elementwise for the sympy counterpart (a name) when numpy has none.
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
    shape: str = "elementwise"
    hint: str = ""

    def arity_text(self) -> str:
        """`2 arguments`, `1 or 2 arguments`, with the row's hint for a wrong count."""
        n = self.min_args
        count = f"{n}" if n == self.max_args else f"{n} or {self.max_args}"
        return f"{count} argument{'s' if self.max_args > 1 else ''}{self.hint}"


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


class ArrayValued(ValueError):
    """A function of arrays met constant numbers: it has no number to fold to."""


def _arrays_only(name: str) -> Callable[..., float]:
    def fold(*args: float) -> float:
        raise ArrayValued(f"{name} works on arrays, and these arguments are numbers")
    return fold


def _literal(t) -> float:
    """A literal argument (a constant Tensor or array, or a sympy number) as a float."""
    return float(t.item() if hasattr(t, "item") else t)


def _axis(t) -> int | None:
    """An axis argument as an int; None when absent."""
    return None if t is None else int(_literal(t))


def _entries(x) -> np.ndarray:
    """A sympy argument (an object array, or one sympy number) as an object array."""
    import numpy as np  # here: the registry loads on the start-up path, numpy need not

    return np.asarray(x, dtype=object)


def _along(join: Callable, v, axis=None):
    """join(*entries) of an object array: of all its entries, or along `axis` (then an
    object array of the results)."""
    import numpy as np

    v = _entries(v)
    if axis is None or v.ndim == 0:  # a number is one entry along axis 0 (or -1)
        return join(*v.ravel())
    moved = np.moveaxis(v, _axis(axis), -1)
    out = np.empty(moved.shape[:-1], dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = join(*moved[index])
    return out


def _reduction(sympy_join: str) -> Callable:
    """The sympy builder of a reduction with an optional axis, from sympy's n-ary join."""
    return lambda sp, v, axis=None: _along(getattr(sp, sympy_join), v, axis)


def _mean(sp, v, axis=None):
    return _along(lambda *a: sp.Add(*a) / len(a), v, axis)


def _logsumexp(sp, v, axis=None):
    return _along(lambda *a: sp.log(sp.Add(*(sp.exp(x) for x in a))), v, axis)


def _softmax(sp, v, axis=None):
    import numpy as np

    axis = -1 if axis is None else _axis(axis)
    exps = np.frompyfunc(sp.exp, 1, 1)(_entries(v))
    return exps / np.expand_dims(_along(sp.Add, exps, axis), axis)


def _norm(sp, v, p=None):
    if p is None:
        return sp.sqrt(sp.Add(*(a**2 for a in _entries(v).ravel())))
    return sp.Add(*(sp.Abs(a) ** p for a in _entries(v).ravel())) ** (sp.S.One / p)


def _per_matrix(fn: Callable, a):
    """fn of each matrix of an object array of matrices (its last two axes)."""
    import numpy as np

    a = _entries(a)
    if a.ndim == 2:
        return fn(a)
    return np.array([_per_matrix(fn, m) for m in a], dtype=object)


def _det(sp, a):
    return _per_matrix(lambda m: sp.Matrix(m.tolist()).det(), a)


def _logdet(sp, a):
    import numpy as np

    return np.frompyfunc(sp.log, 1, 1)(_det(sp, a))


def _inv(sp, a):
    import numpy as np

    def inverse(m):
        matrix = sp.Matrix(m.tolist())
        return np.array((matrix.adjugate() / matrix.det()).tolist(), dtype=object)
    return _per_matrix(inverse, a)


def _diag(sp, v):
    import numpy as np

    v = _entries(v)
    if v.ndim == 2:
        return np.diagonal(v).copy()
    out = np.full((len(v), len(v)), sp.S.Zero, dtype=object)
    out[np.diag_indices(len(v))] = v
    return out


def _dot(sp, v, w):
    return sp.Add(*_entries(_entries(v) * _entries(w)).ravel())


def _tied(v, axis=None):
    """Whether the extreme of v (overall or along axis) is reached by two entries."""
    axis = _axis(axis)
    return ((v == v.max(axis=axis, keepdims=True)).sum(axis=axis) > 1) | (
        (v == v.min(axis=axis, keepdims=True)).sum(axis=axis) > 1)


def _norm_kink(v, p=None):
    """Every entry zero; for p <= 1 (sum of |v|), any entry zero."""
    return (v == 0).all() if p is None or _literal(p) > 1 else (v == 0).any()


def _whole(x: float, axis: float | None = None) -> float:
    """A reduction of a number: the number itself (an axis needs an array)."""
    if axis is not None:
        raise ArrayValued("an axis needs an array, and this argument is a number")
    return x


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
                 kink=_ties, hint=" (the largest entry of an array is amax(A))"),
    FunctionSpec("min", 2, 2, "minimum", "Min", min, (OUTER, INNER), aliases=("minimum",),
                 kink=_ties, hint=" (the smallest entry of an array is amin(A))"),
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
    # Reductions: of all entries, or along a constant axis (sum(A, 0) sums each column).
    FunctionSpec("sum", 1, 2, lambda ops, x, axis=None: ops.sum(x, _axis(axis)),
                 _reduction("Add"), _whole, (ANYWHERE, ANYWHERE), reduces=True, shape="reduce"),
    FunctionSpec("mean", 1, 2, lambda ops, x, axis=None: ops.mean(x, _axis(axis)), _mean,
                 _whole, (ANYWHERE, ANYWHERE), reduces=True, shape="reduce"),
    FunctionSpec("prod", 1, 2, lambda ops, x, axis=None: ops.prod(x, _axis(axis)),
                 _reduction("Mul"), _whole, (ANYWHERE, ANYWHERE), reduces=True, shape="reduce"),
    # max(a, b) stays numpy's maximum of two (max(x, 0) is relu); the largest entry is amax.
    FunctionSpec("amax", 1, 2, lambda ops, x, axis=None: ops.amax(x, _axis(axis)),
                 _reduction("Max"), _whole, (ANYWHERE, ANYWHERE), kink=_tied, reduces=True,
                 shape="reduce"),
    FunctionSpec("amin", 1, 2, lambda ops, x, axis=None: ops.amin(x, _axis(axis)),
                 _reduction("Min"), _whole, (ANYWHERE, ANYWHERE), kink=_tied, reduces=True,
                 shape="reduce"),
    FunctionSpec("logsumexp", 1, 2, lambda ops, x, axis=None: ops.logsumexp(x, _axis(axis)),
                 _logsumexp, _whole, (ANYWHERE, ANYWHERE), reduces=True, shape="reduce"),
    # Entrywise norms: Frobenius (of a vector, its length), or (sum |x|**p)**(1/p).
    FunctionSpec("norm", 1, 2,
                 lambda ops, x, p=None: ops.norm(x) if p is None else ops.norm(x, _literal(p)),
                 _norm, lambda x, p=None: abs(x), (NONZERO, between(1.0, 3.0)), kink=_norm_kink,
                 reduces=True, shape="norm"),
    FunctionSpec("dot", 2, 2,
                 lambda ops, a, b: ops.dot(a, b) if a.ndim == b.ndim == 1 else ops.sum(a * b),
                 _dot, lambda a, b: a * b, (ANYWHERE, ANYWHERE), reduces=True, shape="dot"),
    # Matrices. transpose is also written A.T and A' (it reverses the axes, as numpy's .T).
    FunctionSpec("transpose", 1, 1, lambda ops, a: ops.permute(a, *range(a.ndim - 1, -1, -1)),
                 lambda sp, a: _entries(a).T, lambda x: x, (ANYWHERE,), reduces=True,
                 shape="transpose"),
    FunctionSpec("trace", 1, 1, "trace", lambda sp, a: sp.Add(*_diag(sp, a)),
                 _arrays_only("trace"), (ANYWHERE,), aliases=("tr",), reduces=True,
                 shape="trace"),
    FunctionSpec("det", 1, 1, "det", _det, _arrays_only("det"), (ANYWHERE,), reduces=True,
                 shape="determinant"),
    FunctionSpec("logdet", 1, 1, "logdet", _logdet,
                 _arrays_only("logdet"), (ANYWHERE,), reduces=True, shape="determinant"),
    FunctionSpec("inv", 1, 1, "inv", _inv, _arrays_only("inv"), (ANYWHERE,), reduces=True,
                 shape="inverse"),
    FunctionSpec("diag", 1, 1, "diag", _diag, _arrays_only("diag"), (ANYWHERE,), reduces=True,
                 shape="diag"),
    FunctionSpec("outer", 2, 2, "outer", lambda sp, a, b: _entries(a)[..., None] * _entries(b),
                 _arrays_only("outer"), (ANYWHERE, ANYWHERE), reduces=True, shape="outer"),
    FunctionSpec("eye", 1, 1, lambda ops, n: ops.eye(int(n.data)),
                 lambda sp, n: _entries(sp.eye(_axis(n)).tolist()),
                 _arrays_only("eye"), (between(1.0, 4.0),), reduces=True, shape="eye"),
    FunctionSpec("softmax", 1, 2,
                 lambda ops, x, axis=None: ops.softmax(x, -1 if axis is None else _axis(axis)),
                 _softmax, _arrays_only("softmax"), (ANYWHERE, ANYWHERE), reduces=True,
                 shape="softmax"),
)

FUNCTIONS: dict[str, FunctionSpec] = {
    alias: spec for spec in ROWS for alias in (spec.name, *spec.aliases)
}
