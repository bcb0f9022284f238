"""Forward mode: univariate Taylor series of expressions, and jvp over the engine's graph.

`jvp(fn, primals, tangents)` is torch.func.jvp for a function of Tensors; `push_tangents`
carries a whole batch of tangents through a recorded graph in one pass (the vectorised
Jacobians and Hessians of `functional`).

Univariate Taylor mode: every derivative up to order n in O(n^2) per operation.

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
from typing import Any

import numpy as np

from . import ops

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
    return _spread(a.c, shape), _spread(b.c, shape)


def _spread(c: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Coefficients broadcast to the element shape `shape`: the order axis stays first, so
    a scalar's series (order + 1,) meets a batch's (order + 1, n) element by element."""
    c = c.reshape(c.shape[0], *(1,) * (len(shape) - (c.ndim - 1)), *c.shape[1:])
    return np.broadcast_to(c, (c.shape[0], *shape))


def _inner(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum_j a_j b_j over the order axis, elementwise over the rest (a dot product for one
    point, the inner loop of every recurrence)."""
    if a.ndim == 1 and b.ndim == 1:
        return a @ b
    return (a * b).sum(axis=0)


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cauchy product, truncated."""
    out = np.empty(np.broadcast_shapes(a.shape, b.shape))
    for k in range(out.shape[0]):
        out[k] = _inner(a[: k + 1], b[k::-1])
    return out


def _quotient(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """q = a/b from q*b = a: q_k = (a_k - sum_{j=1..k} b_j q_{k-j}) / b_0."""
    q = np.empty(np.broadcast_shapes(a.shape, b.shape))
    with np.errstate(all="ignore"):
        for k in range(q.shape[0]):
            q[k] = (a[k] - _inner(b[1 : k + 1], q[k - 1 :: -1][:k])) / b[0]
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
        w[m] = q * y[m] + r * _inner(y[: m + 1], y[m::-1]) + (p if m == 0 else 0.0)
        y[k] = _inner(ja[:k], w[m::-1][:k]) / k
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
            e[k] = _inner(ja[:k], e[k - 1 :: -1]) / k
    return Series(e)


def _sin_and_cos(a: Series) -> tuple[Series, Series]:
    """sin and cos as the imaginary and real parts of exp(i a): one recurrence, not two."""
    with np.errstate(all="ignore"):
        z = exp(Series(a.c * 1j)).c
    return Series(np.ascontiguousarray(z.imag)), Series(np.ascontiguousarray(z.real))


def _sinh_cosh(a: Series) -> tuple[Series, Series]:
    """s' = c a', c' = s a'."""
    n = a.order
    s, c = np.empty_like(a.c), np.empty_like(a.c)
    s[0], c[0] = np.sinh(a.c[0]), np.cosh(a.c[0])
    j = np.arange(1, n + 1).reshape(-1, *([1] * (a.c.ndim - 1)))
    ja = a.c[1:] * j
    for k in range(1, n + 1):
        s[k] = _inner(ja[:k], c[k - 1 :: -1]) / k
        c[k] = _inner(ja[:k], s[k - 1 :: -1]) / k
    return Series(s), Series(c)


def sqrt(a: Series) -> Series:
    """s*s = a: s_k = (a_k - sum_{j=1..k-1} s_j s_{k-j}) / (2 s_0)."""
    s = np.empty_like(a.c)
    with np.errstate(all="ignore"):
        s[0] = np.sqrt(a.c[0])
        for k in range(1, a.order + 1):
            s[k] = (a.c[k] - _inner(s[1:k], s[k - 1 : 0 : -1])) / (2 * s[0])
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
    if a.order and np.any(a.c[0] == 0):
        for index in zip(*np.nonzero(a.c[0] == 0)) if a.c.ndim > 1 else [()]:
            y[(slice(None), *index)] = _power_at_zero(a.c[(slice(None), *index)], p,
                                                       y[(0, *index)])
    return Series(y)


def _power_at_zero(a: np.ndarray, p: float, value: float) -> np.ndarray:
    """One element's series of a**p where a_0 = 0, which the recurrence divides by.

    With a = t^m b (b_0 = a_m != 0), a**p = t^(mp) b**p: every derivative below order mp
    is 0, and a whole p shifts b**p's series by mp. Otherwise, where a crosses zero
    (m = 1), the k-th derivative is infinite with the sign of p(p-1)...(p-k+1) a_1^k: the
    limit from the side where a > 0, as sympy's limit and PyTorch's nested grad give. At a
    zero of higher order the two sides differ and the derivatives from order mp are nan.
    """
    n = a.shape[0] - 1
    out = np.zeros(n + 1)
    out[0] = value
    nonzero = np.flatnonzero(a)
    if not nonzero.size:  # the base is 0 throughout: a constant
        return out
    m = int(nonzero[0])
    q = m * p
    k = np.arange(1, n + 1)
    if float(p).is_integer() and p >= 0:
        b = np.zeros(n + 1)
        b[: n + 1 - m] = a[m:]
        out[int(q):] = _constant_power(Series(b), p).c[: n + 1 - int(q)]
        return out
    out[1:] = np.where(k < q, 0.0, np.nan)
    if m == 1:
        falling = np.cumprod(p - np.arange(n))
        out[1:] = np.where(k > q, np.sign(falling) * np.sign(a[1]) ** k * np.inf, out[1:])
    return out


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
    shape = np.broadcast_shapes(default.c.shape[1:], *(s.c.shape[1:] for _, s in branches),
                                np.shape(kink))
    c = _spread(default.c, shape)
    for condition, s in reversed(branches):
        c = np.where(condition, _spread(s.c, shape), c)
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
    "sin": lambda a: _sin_and_cos(a)[0],
    "cos": lambda a: _sin_and_cos(a)[1],
    "tan": lambda a: _riccati(a, np.tan(a.c[0]), 1.0, 0.0, 1.0),
    "asin": lambda a: _by_derivative(a, np.arcsin(a.c[0]), lambda u: 1.0 / sqrt(1.0 - u * u)),
    "acos": lambda a: _by_derivative(a, np.arccos(a.c[0]), lambda u: -1.0 / sqrt(1.0 - u * u)),
    "atan": lambda a: _by_derivative(a, np.arctan(a.c[0]), lambda u: 1.0 / (1.0 + u * u)),
    "atan2": _atan2,
    "sinh": lambda a: _sinh_cosh(a)[0],
    "cosh": lambda a: _sinh_cosh(a)[1],
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


def coefficients(fn: Callable[[Series], Series | float], x: float | np.ndarray,
                 order: int) -> list[np.ndarray]:
    """[c_0, ..., c_order], c_k = f^(k)(x)/k!, of an elementwise fn, each of x's shape."""
    if order < 0:
        raise ValueError(f"order must be at least 0, got {order}")
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        out = lift(fn(variable(x, order)), order)
    shape = np.broadcast_shapes(x.shape, out.c.shape[1:])
    return list(_spread(out.c, shape).copy())


def derivatives(fn: Callable[[Series], Series | float], x: float | np.ndarray,
                order: int) -> list[np.ndarray]:
    """[f(x), f'(x), ..., f^(order)(x)] of an elementwise fn, each of x's shape."""
    return times_factorials(coefficients(fn, x, order))


_FACTORIALS = np.array([float(math.factorial(k)) for k in range(171)])


def times_factorials(coefficients: list[np.ndarray]) -> list[np.ndarray]:
    """c_k * k! for each k: past 170! (beyond a double) by logarithms, so a derivative is
    finite where it fits; a coefficient that is 0 there may have underflowed, so its
    derivative is nan."""
    c = np.array(coefficients)
    k = np.arange(c.shape[0]).reshape(-1, *([1] * (c.ndim - 1)))
    small = min(c.shape[0], 171)
    out = np.empty_like(c)
    with np.errstate(all="ignore"):
        out[:small] = c[:small] * _FACTORIALS[:small].reshape(k[:small].shape)
        if c.shape[0] > small:
            big = c[small:]
            log_factorial = np.vectorize(math.lgamma)(k[small:] + 1.0)
            out[small:] = np.where(big == 0, np.nan,
                                   np.sign(big) * np.exp(np.log(np.abs(big)) + log_factorial))
    return list(out)


# -- forward mode over the engine's graph --------------------------------------------------
# A Jacobian-vector product walks the graph that `fn` recorded, from the inputs to the
# outputs, carrying for each tensor its tangents with a leading batch axis (one row per
# direction, so many directions cost one pass). An elementwise primitive's Jacobian is
# diagonal, so its backward rule applied to a tangent is its forward rule: those run as
# written beside the forward. The shape primitives, reductions and matmul are linear (or
# bilinear) and get their tangent rule here. The rules are Tensor operations, so under
# grad mode the tangents are themselves differentiable.


class NoTangentRule(RuntimeError):
    """A Function on the way has neither a tangent rule here nor a jvp of its own."""


def jvp(fn: Callable, primals: tuple, tangents: tuple) -> tuple:
    """``(fn(*primals), J·tangents)`` by forward mode, as ``torch.func.jvp``; a tuple output
    gives a tuple of tangents."""
    from .tensor import Tensor

    for name, value in (("primals", primals), ("tangents", tangents)):
        if not isinstance(value, tuple):
            raise RuntimeError(f"jvp(f, primals, tangents): Expected {name} to be a tuple. "
                               "E.g. it should be valid to call f(*primals).")
    if len(primals) != len(tangents):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have "
                           f"the same python structure; got {len(primals)} primals and "
                           f"{len(tangents)} tangents.")
    for p, t in zip(primals, tangents):
        if not isinstance(p, Tensor) or not isinstance(t, Tensor):
            raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to "
                               "be tuples of Tensors.")
        if p.shape != t.shape:
            raise RuntimeError("Trying to set a forward gradient that has a different size "
                               "than that of the original Tensor, this is not supported. "
                               f"Tensor is of size {list(p.shape)} while the given forward "
                               f"gradient is of size {list(t.shape)}.")
    outputs, tuple_out, out_tangents = batched_jvp(
        fn, primals, tuple(t.detach().reshape(1, *t.shape) for t in tangents))
    out_tangents = [t.reshape(t.shape[1:]) for t in out_tangents]
    if tuple_out:
        return outputs, tuple(out_tangents)
    return outputs[0], out_tangents[0]


def batched_jvp(fn: Callable, primals: tuple, tangents: tuple) -> tuple:
    """Run `fn` once and push a batch of tangents (each of shape (batch, *primal.shape))
    through it: (outputs as a tuple, whether fn returned a tuple, their tangents with the
    batch axis first). Under grad mode the tangents are differentiable."""
    from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

    graded = is_grad_enabled()
    xs = tuple(p.detach().requires_grad_(True) for p in primals)
    with enable_grad():
        raw = fn(*xs)
    tuple_out = isinstance(raw, (tuple, list))
    outs = tuple(raw) if tuple_out else (raw,)
    batch = tangents[0].shape[0] if tangents else 1
    with set_grad_enabled(graded):
        out_tangents = push_tangents(outs, xs, tangents, batch)
    return tuple(o.detach() for o in outs), tuple_out, out_tangents


def push_tangents(outputs: tuple, inputs: tuple, tangents: tuple, batch: int) -> list:
    """The tangents of `outputs` (batch axis first) given those of `inputs`, tensors that
    require grad (leaves, or results whose own inputs the walk then ignores)."""
    from .function import accumulator_of
    from .tensor import Tensor

    seeds: dict[Any, dict[int, Any]] = {}
    for x, t in zip(inputs, tangents):
        node = x.grad_fn if x.grad_fn is not None else accumulator_of(x)
        seeds.setdefault(node, {})[x._output_nr] = t
    known: dict[Any, list] = {}
    for node in _inputs_first([o.grad_fn for o in outputs if o.grad_fn is not None], seeds):
        if node in seeds:
            known[node] = [seeds[node].get(nr) for nr in range(len(node._output_shapes))]
            continue
        edges = node._edges
        ins = [None if edges[i] is None or edges[i] not in known else known[edges[i]][edges[i + 1]]
               for i in range(0, len(edges), 2)]
        known[node] = _tangent_rule(node, ins, batch) if any(
            t is not None for t in ins) else [None] * len(node._output_shapes)
    result = []
    for o in outputs:
        if not isinstance(o, Tensor):
            raise RuntimeError("jvp: the function must return Tensors")
        node = o.grad_fn if o.grad_fn is not None else o._accumulator and o._accumulator()
        t = known.get(node, seeds.get(node, [None]))[o._output_nr] if node is not None else None
        shape = (batch, *o.shape)
        result.append(ops.zeros(*shape) if t is None else t if t.shape == shape else
                      _padded(t, o.ndim).expand(*shape))
    return result


def _inputs_first(roots: list, stops: dict) -> list:
    """The graph's nodes reachable from `roots` without passing a node of `stops`, each
    after every node it takes input from."""
    order, seen = [], set()
    stack = [(node, False) for node in roots]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        if node in stops:
            continue
        edges = node._edges
        stack.extend((edges[i], False) for i in range(0, len(edges), 2)
                     if edges[i] is not None and edges[i] not in seen)
    return order


def _padded(t: Any, ndim: int) -> Any:
    """A batched tangent with 1s after the batch axis, so its element shape has `ndim` dims."""
    missing = ndim - (t.ndim - 1)
    return t.reshape(t.shape[0], *(1,) * missing, *t.shape[1:]) if missing > 0 else t


def _tangent_rule(node: Any, ins: list, batch: int) -> list:
    """The tangents of one node's outputs from its inputs' (None: no tangent)."""
    function = node._function
    rule = _LINEAR_RULES.get(function)
    if rule is not None:
        return rule(node, ins, batch)
    if function in _ELEMENTWISE:
        return [_elementwise(node, ins, batch)]
    custom = getattr(function, "jvp", None)
    if custom is None:
        raise NoTangentRule(f"jvp: {function.__name__} has no forward rule; give the Function a "
                           "jvp(ctx, *tangents) staticmethod")
    rows = [custom(node, *[None if t is None else t[k] for t in ins]) for k in range(batch)]
    if isinstance(rows[0], tuple):
        return [ops.stack([row[i] for row in rows]) for i in range(len(rows[0]))]
    return [ops.stack(rows)]


def _elementwise(node: Any, ins: list, batch: int) -> Any:
    """Sum over inputs of tangent times partial derivative, in the output's shape. The
    Jacobian is diagonal, so the backward rule given ones returns the partials."""
    shape = node._output_shapes[0]
    ones = ops.ones(*shape)
    needs = node.needs_input_grad
    node.needs_input_grad = tuple(t is not None for t in ins)
    try:
        partials = node._function.backward(node, ones)
    finally:
        node.needs_input_grad = needs
    if not isinstance(partials, tuple):
        partials = (partials,)
    total = None
    for t, partial in zip(ins, partials):
        if t is None:
            continue
        part = _padded(t, len(shape))
        part = part if partial is ones else part * partial
        total = part if total is None else total + part
    return total if total.shape == (batch, *shape) else total.expand(batch, *shape)


def _reduced(node: Any, t: Any, weight: Any = None) -> Any:
    """A reduction's tangent: sum of (weight *) t over the reduced axes, in the output's shape."""
    if weight is not None:
        t = t * weight
    out = t.sum(tuple(a + 1 for a in node.axes)) if node.axes else t
    return out.reshape(t.shape[0], *node._output_shapes[0])


def _norm(node: Any, ins: list, batch: int) -> list:
    x, out = node.saved_tensors
    t = _reduced(node, ins[0], x) / out
    zero = out.data == 0
    return [ops.where(zero, 0.0, t) if np.any(zero) else t]


def _batched_key(key: Any) -> tuple:
    return (slice(None), *(key if isinstance(key, tuple) else (key,)))


def _index(node: Any, ins: list, batch: int) -> list:
    t = ins[0]
    out = t[_batched_key(node.key)]
    if out.shape[1:] != node._output_shapes[0] or out.shape[0] != batch:
        # numpy moves separated advanced indices to the front: index each row instead
        out = ops.stack([t[k][node.key] for k in range(batch)])
    return [out]


def _index_add(node: Any, ins: list, batch: int) -> list:
    t, shape = ins[0], node._output_shapes[0]
    try:
        return [ops.IndexAdd.apply(t, _batched_key(node.key), (batch, *shape))]
    except (ValueError, IndexError):
        return [ops.stack([ops.IndexAdd.apply(t[k], node.key, shape) for k in range(batch)])]


def _sum_to(node: Any, ins: list, batch: int) -> list:
    t, shape = ins[0], node._output_shapes[0]
    lead = t.ndim - 1 - len(shape)
    if lead:
        t = t.sum(tuple(range(1, lead + 1)))
    return [ops.sum_to(t, (batch, *shape))]


def _cat(node: Any, ins: list, batch: int) -> list:
    shape = node._output_shapes[0]
    parts = []
    for t, start, stop in zip(ins[1:], node.bounds[:-1], node.bounds[1:]):
        size = (*shape[:node.axis], int(stop - start), *shape[node.axis + 1:])
        parts.append(ops.zeros(batch, *size) if t is None else t.expand(batch, *size))
    return [ops.cat(parts, node.axis + 1)]


def _matmul(node: Any, ins: list, batch: int) -> list:
    """d(a @ b) = da @ b + a @ db, the batch axis kept first; a vector b turns a @ db into
    db @ a^T, and shapes numpy would batch differently go row by row. An operand is kept
    only where the other has a tangent; the ranks are kept for both."""
    a, b = node.saved_tensors
    ta, tb = ins
    a_ndim, b_ndim = node.ndims
    rank, shape = max(a_ndim, b_ndim), (batch, *node._output_shapes[0])
    total = None
    if ta is not None:
        total = (ta if a_ndim == 1 else _padded(ta, rank)) @ b
    if tb is not None:
        part = tb @ (a.mT if a_ndim > 1 else a) if b_ndim == 1 else a @ _padded(tb, rank)
        total = part if total is None else total + part
    if total.shape != shape:
        total = ops.stack([(0.0 if ta is None else ta[k] @ b) + (0.0 if tb is None else a @ tb[k])
                           for k in range(batch)])
    return [total]


_LINEAR_RULES: dict[type, Callable[[Any, list, int], list]] = {
    ops.Sum: lambda node, ins, batch: [_reduced(node, ins[0])],
    ops.Prod: lambda node, ins, batch: [_reduced(node, ins[0], ops._product_of_others(
        node.saved_tensors[0], node.axes))],
    ops.Amax: lambda node, ins, batch: [_reduced(node, ins[0], node.saved_tensors[0])],
    ops.MaxDim: lambda node, ins, batch: [_reduced(node, ins[0], node.saved_tensors[0]), None],
    ops.Norm: _norm,
    ops.Clone: lambda node, ins, batch: [ins[0]],
    ops.Reshape: lambda node, ins, batch: [ins[0].reshape(batch, *node._output_shapes[0])],
    ops.Permute: lambda node, ins, batch: [ins[0].permute(
        0, *(int(a) + 1 for a in np.argsort(node.inverse)))],
    ops.Expand: lambda node, ins, batch: [_padded(ins[0], len(node._output_shapes[0])).expand(
        batch, *node._output_shapes[0])],
    ops.SumTo: _sum_to,
    ops.Index: _index,
    ops.IndexAdd: _index_add,
    ops.Cat: _cat,
    ops.MatMul: _matmul,
}
"""Tangent rules of the engine's primitives that are not elementwise."""

_ELEMENTWISE = {*ops.UNARY_FUNCTIONS.values(), ops.Add, ops.Sub, ops.Mul, ops.Div, ops.Pow,
                ops.Atan2, ops.Hypot, ops.Maximum, ops.Minimum, ops.Where, ops.Clamp}
"""The primitives whose Jacobian is diagonal: their backward rule is their tangent rule."""

