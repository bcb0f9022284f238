"""Univariate Taylor mode: every derivative up to order n in O(n^2) per operation.

`derivatives(fn, x, order)` returns [f(x), f'(x), ..., f^(order)(x)] for an elementwise
`fn` by pushing truncated Taylor series (coefficient arrays of shape (order+1, *x.shape),
c_k = f^(k)/k!) through it (Griewank and Walther, "Evaluating Derivatives", ch. 13).
`fn` gets a `Series` and combines it with +, -, *, /, ** and the functions of `RULES`,
one rule per function of the expression language, keyed by its name.

At a kink (abs, relu, sign, floor, ceil, round, max, min, clamp at their switch points)
the first derivative follows PyTorch's subgradient (abs'(0) = relu'(0) = 0, max/min
split ties evenly) and every higher one is nan: there is no honest number for it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

_erf_value = np.vectorize(math.erf, otypes=[float])
_erfc_value = np.vectorize(math.erfc, otypes=[float])


class Series:
    """A truncated Taylor series: `c[k]` is the k-th normalised coefficient, elementwise."""

    __slots__ = ("c",)
    __array_ufunc__ = None  # numpy operands defer to Series' reflected operators

    def __init__(self, c: np.ndarray) -> None:
        self.c = c

    @property
    def order(self) -> int:
        return self.c.shape[0] - 1

    @property
    def value(self) -> np.ndarray:
        return self.c[0]

    def __add__(self, other: object) -> Series:
        a, b = _pair(self, other)
        return Series(a + b)

    __radd__ = __add__

    def __sub__(self, other: object) -> Series:
        a, b = _pair(self, other)
        return Series(a - b)

    def __rsub__(self, other: object) -> Series:
        a, b = _pair(self, other)
        return Series(b - a)

    def __neg__(self) -> Series:
        return Series(-self.c)

    def __pos__(self) -> Series:
        return self

    def __mul__(self, other: object) -> Series:
        return Series(_product(*_pair(self, other)))

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> Series:
        return Series(_quotient(*_pair(self, other)))

    def __rtruediv__(self, other: object) -> Series:
        b, a = _pair(self, other)
        return Series(_quotient(a, b))

    def __pow__(self, other: object) -> Series:
        return power(self, other)

    def __rpow__(self, other: object) -> Series:
        return power(lift(other, self.order), self)


def lift(value: object, order: int) -> Series:
    """A constant (or a Series, unchanged) as a Series of the given order."""
    if isinstance(value, Series):
        return value
    v = np.asarray(value, dtype=np.float64)
    c = np.zeros((order + 1, *v.shape))
    c[0] = v
    return Series(c)


def variable(x: np.ndarray, order: int) -> Series:
    """The independent variable at x: x + t."""
    s = lift(x, order)
    if order:
        s.c[1] = 1.0
    return s


def _pair(a: Series, b: object) -> tuple[np.ndarray, np.ndarray]:
    """Both operands' coefficients, broadcast to one element shape."""
    b = lift(b, a.order)
    shape = np.broadcast_shapes(a.c.shape[1:], b.c.shape[1:])
    n = a.order + 1
    return np.broadcast_to(a.c, (n, *shape)), np.broadcast_to(b.c, (n, *shape))


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cauchy product, truncated."""
    out = np.empty(np.broadcast_shapes(a.shape, b.shape))
    for k in range(out.shape[0]):
        out[k] = (a[: k + 1] * b[k::-1]).sum(axis=0)
    return out


def _quotient(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """q = a/b from q*b = a: q_k = (a_k - sum_{j=1..k} b_j q_{k-j}) / b_0."""
    q = np.empty(np.broadcast_shapes(a.shape, b.shape))
    with np.errstate(all="ignore"):
        for k in range(q.shape[0]):
            q[k] = (a[k] - (b[1 : k + 1] * q[k - 1 :: -1][:k]).sum(axis=0)) / b[0]
    return q


def _derivative(a: Series) -> Series:
    """The series of a' (its last coefficient is unknown and set to 0; `_integral` of a
    product with it never reads that coefficient)."""
    c = np.zeros_like(a.c)
    k = np.arange(1, a.order + 1).reshape(-1, *([1] * (a.c.ndim - 1)))
    c[:-1] = a.c[1:] * k
    return Series(c)


def _integral(d: Series, value: np.ndarray) -> Series:
    """The series whose derivative is d and whose value is `value`: c_k = d_{k-1}/k."""
    c = np.empty_like(d.c)
    c[0] = value
    k = np.arange(1, d.order + 1).reshape(-1, *([1] * (d.c.ndim - 1)))
    c[1:] = d.c[:-1] / k
    return Series(c)


def _by_derivative(a: Series, value: np.ndarray, outer: Callable[[Series], Series]) -> Series:
    """f(a) from f(a0) and f'(a) = outer(a): integrate outer(a) * a'."""
    return _integral(outer(a) * _derivative(a), value)


def _riccati(a: Series, value: np.ndarray, p: float, q: float, r: float) -> Series:
    """y = f(a) where f' = p + q f + r f^2 (tan, tanh, sigmoid), coefficient by coefficient:
    k y_k = sum_{j=1..k} j a_j w_{k-j}, w = p + q y + r y^2."""
    n = a.order
    y = np.zeros((n + 1, *np.shape(value)))
    w = np.zeros_like(y)
    y[0] = value
    j = np.arange(1, n + 1).reshape(-1, *([1] * (a.c.ndim - 1)))
    ja = a.c[1:] * j
    for k in range(1, n + 1):
        m = k - 1
        w[m] = q * y[m] + r * (y[: m + 1] * y[m::-1]).sum(axis=0) + (p if m == 0 else 0.0)
        y[k] = (ja[:k] * w[m::-1][:k]).sum(axis=0) / k
    return Series(y)


def exp(a: Series) -> Series:
    """k e_k = sum_{j=1..k} j a_j e_{k-j}."""
    n = a.order
    e = np.empty_like(a.c)
    with np.errstate(all="ignore"):
        e[0] = np.exp(a.c[0])
        j = np.arange(1, n + 1).reshape(-1, *([1] * (a.c.ndim - 1)))
        ja = a.c[1:] * j
        for k in range(1, n + 1):
            e[k] = (ja[:k] * e[k - 1 :: -1][:k]).sum(axis=0) / k
    return Series(e)


def _sin_cos(a: Series, sign: float, pair: tuple[Callable, Callable]) -> tuple[Series, Series]:
    """s' = c a', c' = sign * s a' (sign -1: sin/cos, +1: sinh/cosh)."""
    n = a.order
    s, c = np.empty_like(a.c), np.empty_like(a.c)
    s[0], c[0] = pair[0](a.c[0]), pair[1](a.c[0])
    j = np.arange(1, n + 1).reshape(-1, *([1] * (a.c.ndim - 1)))
    ja = a.c[1:] * j
    for k in range(1, n + 1):
        s[k] = (ja[:k] * c[k - 1 :: -1][:k]).sum(axis=0) / k
        c[k] = sign * (ja[:k] * s[k - 1 :: -1][:k]).sum(axis=0) / k
    return Series(s), Series(c)


def sqrt(a: Series) -> Series:
    """s*s = a: s_k = (a_k - sum_{j=1..k-1} s_j s_{k-j}) / (2 s_0)."""
    s = np.empty_like(a.c)
    with np.errstate(all="ignore"):
        s[0] = np.sqrt(a.c[0])
        for k in range(1, a.order + 1):
            s[k] = (a.c[k] - (s[1:k] * s[k - 1 : 0 : -1]).sum(axis=0)) / (2 * s[0])
    return Series(s)


def _constant_power(a: Series, p: float, value: np.ndarray | None = None) -> Series:
    """a**p for a constant p from a y' = p a' y:
    y_k = sum_{j=1..k} ((p+1) j - k) a_j y_{k-j} / (k a_0)."""
    if float(p).is_integer() and 0 <= p <= 64:
        return _integer_power(a, int(p))
    y = np.empty_like(a.c)
    with np.errstate(all="ignore"):
        y[0] = np.power(a.c[0], p) if value is None else value
        for k in range(1, a.order + 1):
            j = np.arange(1, k + 1).reshape(-1, *([1] * (a.c.ndim - 1)))
            y[k] = (((p + 1) * j - k) * a.c[1 : k + 1] * y[k - 1 :: -1][:k]).sum(axis=0) / (
                k * a.c[0])
    return Series(y)


def _integer_power(a: Series, p: int) -> Series:
    """a**p by repeated squaring: exact at a = 0, where the recurrence divides by a_0."""
    result, base = lift(np.ones(a.c.shape[1:]), a.order), a
    while p:
        if p & 1:
            result = result * base
        p >>= 1
        if p:
            base = base * base
    return result


def power(a: Series, b: object) -> Series:
    """a**b: a constant exponent by its recurrence, a variable one as exp(b log a)."""
    if isinstance(b, Series) and np.any(b.c[1:]):
        return exp(b * log(a))
    p = b.c[0] if isinstance(b, Series) else np.asarray(b, dtype=np.float64)
    if p.ndim == 0:
        return _constant_power(a, float(p))
    return exp(lift(p, a.order) * log(a))


def log(a: Series, base: Series | None = None) -> Series:
    with np.errstate(all="ignore"):
        out = _by_derivative(a, np.log(a.c[0]), lambda u: 1.0 / u)
    return out if base is None else out / log(lift(base, a.order))


def _kinked(a: Series, kink: np.ndarray, first: np.ndarray) -> Series:
    """At the kink's points: the value, PyTorch's first derivative `first` and nan above."""
    if not np.any(kink):
        return a
    c = a.c.copy()
    if a.order >= 1:
        c[1] = np.where(kink, first, c[1])
    c[2:] = np.where(kink, np.nan, c[2:])
    return Series(c)


def _select(branches: list[tuple[np.ndarray, Series]], default: Series,
            kink: np.ndarray, first: np.ndarray) -> Series:
    """Piecewise: the first branch whose condition holds, else `default`; kinked at `kink`."""
    shape = np.broadcast_shapes(default.c.shape, *(s.c.shape for _, s in branches),
                                (1, *np.shape(kink)))
    c = np.broadcast_to(default.c, shape)
    for condition, s in reversed(branches):
        c = np.where(condition, np.broadcast_to(s.c, shape), c)
    return _kinked(Series(np.array(c)), kink, first)


def _step(a: Series, value: np.ndarray, kink: np.ndarray) -> Series:
    """A piecewise constant function: derivative 0 off its jumps, nan above order 1 on them."""
    return _kinked(lift(value, a.order), kink, np.zeros(()))


def _maximum(a: Series, b: Series, sign: float) -> Series:
    """max (sign 1) or min (sign -1); ties split the first derivative evenly (PyTorch)."""
    a_c, b_c = _pair(a, b)
    a, b = Series(a_c), Series(b_c)
    tie = a.c[0] == b.c[0]
    first = (a.c[1] + b.c[1]) / 2 if a.order else np.zeros(())
    return _select([(sign * (a.c[0] - b.c[0]) > 0, a)], b, tie, first)


def _clamp(x: Series, lo: Series, hi: Series) -> Series:
    """min(max(x, lo), hi) with the engine's conventions: x takes ties with a bound."""
    x0, lo0, hi0 = x.c[0], lo.c[0], hi.c[0]
    fixed_lo = lo if np.all(lo0 < hi0) else lift(lo0, x.order)
    low = _select([(x0 < lo0, fixed_lo)], x, np.zeros((), bool), np.zeros(()))
    out = _select([(low.c[0] > hi0, hi)], low, np.zeros((), bool), np.zeros(()))
    kink = (x0 == lo0) | (x0 == hi0) | (lo0 == hi0)
    return _kinked(out, kink, out.c[1] if x.order else np.zeros(()))


def _sigmoid_value(v: np.ndarray) -> np.ndarray:
    return 0.5 + 0.5 * np.tanh(v / 2)


def _softplus_value(v: np.ndarray) -> np.ndarray:
    return np.maximum(v, 0.0) + np.log1p(np.exp(-np.abs(v)))


def _sign(a: Series) -> Series:
    return _step(a, np.sign(a.c[0]), a.c[0] == 0)


def _times_sign(a: Series, factor: np.ndarray) -> Series:
    """factor * a elementwise for a constant factor (abs, relu off their kink)."""
    return Series(a.c * factor)


_SQRT_PI = math.sqrt(math.pi)


def _erf(a: Series) -> Series:
    return _by_derivative(a, _erf_value(a.c[0]), lambda u: (2 / _SQRT_PI) * exp(-(u * u)))


def _replace_value(s: Series, value: np.ndarray) -> Series:
    c = s.c.copy()
    c[0] = value
    return Series(c)


def _atan2(y: Series, x: Series) -> Series:
    y_c, x_c = _pair(y, x)
    y, x = Series(y_c), Series(x_c)
    d = (x * _derivative(y) - y * _derivative(x)) / (x * x + y * y)
    return _integral(d, np.arctan2(y.c[0], x.c[0]))


def _hypot(a: Series, b: Series) -> Series:
    a_c, b_c = _pair(a, b)
    a, b = Series(a_c), Series(b_c)
    s = sqrt(a * a + b * b)
    return _kinked(_replace_value(s, np.hypot(a.c[0], b.c[0])),
                   (a.c[0] == 0) & (b.c[0] == 0), np.zeros(()))


_LN2, _LN10 = math.log(2), math.log(10)

RULES: dict[str, Callable[..., Series]] = {
    "abs": lambda a: _kinked(_times_sign(a, np.sign(a.c[0])), a.c[0] == 0, np.zeros(())),
    "exp": exp,
    "expm1": lambda a: _replace_value(exp(a), np.expm1(a.c[0])),
    "log": log,
    "log1p": lambda a: _by_derivative(a, np.log1p(a.c[0]), lambda u: 1.0 / (1.0 + u)),
    "log2": lambda a: log(a) / _LN2,
    "log10": lambda a: log(a) / _LN10,
    "sqrt": sqrt,
    "cbrt": lambda a: _constant_power(a, 1 / 3, np.cbrt(a.c[0])),
    "sin": lambda a: _sin_cos(a, -1.0, (np.sin, np.cos))[0],
    "cos": lambda a: _sin_cos(a, -1.0, (np.sin, np.cos))[1],
    "tan": lambda a: _riccati(a, np.tan(a.c[0]), 1.0, 0.0, 1.0),
    "asin": lambda a: _by_derivative(a, np.arcsin(a.c[0]), lambda u: 1.0 / sqrt(1.0 - u * u)),
    "acos": lambda a: _by_derivative(a, np.arccos(a.c[0]), lambda u: -1.0 / sqrt(1.0 - u * u)),
    "atan": lambda a: _by_derivative(a, np.arctan(a.c[0]), lambda u: 1.0 / (1.0 + u * u)),
    "atan2": _atan2,
    "sinh": lambda a: _sin_cos(a, 1.0, (np.sinh, np.cosh))[0],
    "cosh": lambda a: _sin_cos(a, 1.0, (np.sinh, np.cosh))[1],
    "tanh": lambda a: _riccati(a, np.tanh(a.c[0]), 1.0, 0.0, -1.0),
    "asinh": lambda a: _by_derivative(a, np.arcsinh(a.c[0]), lambda u: 1.0 / sqrt(u * u + 1.0)),
    "acosh": lambda a: _by_derivative(a, np.arccosh(a.c[0]), lambda u: 1.0 / sqrt(u * u - 1.0)),
    "atanh": lambda a: _by_derivative(a, np.arctanh(a.c[0]), lambda u: 1.0 / (1.0 - u * u)),
    "sigmoid": lambda a: _riccati(a, _sigmoid_value(a.c[0]), 0.0, 1.0, -1.0),
    "relu": lambda a: _kinked(_times_sign(a, (a.c[0] > 0).astype(float)), a.c[0] == 0,
                              np.zeros(())),
    "softplus": lambda a: _by_derivative(a, _softplus_value(a.c[0]), RULES["sigmoid"]),
    "erf": _erf,
    "erfc": lambda a: _replace_value(-_erf(a), _erfc_value(a.c[0])),
    "hypot": _hypot,
    "max": lambda a, b: _maximum(a, b, 1.0),
    "min": lambda a, b: _maximum(a, b, -1.0),
    "clamp": _clamp,
    "sign": _sign,
    "floor": lambda a: _step(a, np.floor(a.c[0]), a.c[0] == np.round(a.c[0])),
    "ceil": lambda a: _step(a, np.ceil(a.c[0]), a.c[0] == np.round(a.c[0])),
    # round half to even like the engine's round; its jumps are at the half-integers.
    "round": lambda a: _step(a, np.round(a.c[0]), (a.c[0] + 0.5) == np.round(a.c[0] + 0.5)),
    "pow": power,
}
"""One Taylor rule per elementwise function of the expression language, by its name."""


def derivatives(fn: Callable[[Series], Series | float], x: float | np.ndarray,
                order: int) -> list[np.ndarray]:
    """[f(x), f'(x), ..., f^(order)(x)] of an elementwise fn, each of x's shape."""
    if order < 0:
        raise ValueError(f"order must be at least 0, got {order}")
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        out = lift(fn(variable(x, order)), order)
    shape = np.broadcast_shapes(x.shape, out.c.shape[1:])
    return [np.broadcast_to(out.c[k] * math.factorial(k), shape).copy()
            for k in range(order + 1)]
