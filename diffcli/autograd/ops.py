"""The primitives: forward in numpy, backward in Tensor operations.

Every primitive is a ``Function`` subclass, applied through ``Function.apply`` exactly like
a user's. Backward rules use only Tensor operations, so ``create_graph=True`` can
differentiate them again; under ``create_graph=False`` they run with recording off.
Gradients are summed down to each input's shape by the engine, not by the rules.
This module also attaches the operators and methods to ``Tensor``.
"""

from __future__ import annotations

import builtins
import math
import warnings
import weakref
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from .function import BackwardNode, Function
from .grad_mode import state
from .tensor import Tensor, _make, bump_version, shared_version_counter, tensor

# Overflow to inf and log of negatives give inf/nan as in PyTorch, without numpy's warnings.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=__name__)

Ctx = BackwardNode
Operand = Any  # a Tensor, a Python number or an ndarray constant


def _data(x: Operand) -> Any:
    return x.data if type(x) is Tensor else x


def _tensor(x: Operand) -> Tensor:
    return x if type(x) is Tensor else tensor(x)


# -- elementwise functions of one argument: one row each ------------------------------
# A row: the numpy forward, what backward needs kept (the input, the output or nothing),
# and the rule mapping (incoming gradient, that kept tensor) to the input's gradient.
_erf = np.frompyfunc(math.erf, 1, 1)
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * a) + 1.0)


def _softplus(a: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, a)


def _erf_forward(a: np.ndarray) -> np.ndarray:
    return np.asarray(_erf(a), dtype=np.float64)


def _zero(g: Tensor, _: None) -> Tensor:
    return g * 0.0


# What a rule is handed besides the incoming gradient: the input, the output, or nothing.
INPUT, OUTPUT, NOTHING = "input", "output", "nothing"

UNARY_RULES: dict[str, tuple[Callable[[np.ndarray], np.ndarray], str, Callable]] = {
    "neg": (np.negative, NOTHING, lambda g, _: -g),
    "abs": (np.abs, INPUT, lambda g, x: g * np.sign(x.data)),
    "exp": (np.exp, OUTPUT, lambda g, y: g * y),
    "expm1": (np.expm1, OUTPUT, lambda g, y: g * (y + 1.0)),
    "log": (np.log, INPUT, lambda g, x: g / x),
    "log1p": (np.log1p, INPUT, lambda g, x: g / (x + 1.0)),
    "log2": (np.log2, INPUT, lambda g, x: g / (x * _LN2)),
    "log10": (np.log10, INPUT, lambda g, x: g / (x * _LN10)),
    "sqrt": (np.sqrt, OUTPUT, lambda g, y: g / (y * 2.0)),
    "cbrt": (np.cbrt, OUTPUT, lambda g, y: g / (y * y * 3.0)),
    "sin": (np.sin, INPUT, lambda g, x: g * cos(x)),
    "cos": (np.cos, INPUT, lambda g, x: -g * sin(x)),
    "tan": (np.tan, OUTPUT, lambda g, y: g * (y * y + 1.0)),
    "asin": (np.arcsin, INPUT, lambda g, x: g / sqrt(1.0 - x * x)),
    "acos": (np.arccos, INPUT, lambda g, x: -g / sqrt(1.0 - x * x)),
    "atan": (np.arctan, INPUT, lambda g, x: g / (x * x + 1.0)),
    "sinh": (np.sinh, INPUT, lambda g, x: g * cosh(x)),
    "cosh": (np.cosh, INPUT, lambda g, x: g * sinh(x)),
    "tanh": (np.tanh, OUTPUT, lambda g, y: g * (1.0 - y * y)),
    "asinh": (np.arcsinh, INPUT, lambda g, x: g / sqrt(x * x + 1.0)),
    "acosh": (np.arccosh, INPUT, lambda g, x: g / sqrt(x * x - 1.0)),
    "atanh": (np.arctanh, INPUT, lambda g, x: g / (1.0 - x * x)),
    "sigmoid": (_sigmoid, OUTPUT, lambda g, y: g * y * (1.0 - y)),
    "relu": (lambda a: np.maximum(a, 0.0), INPUT, lambda g, x: g * (x.data > 0)),
    "softplus": (_softplus, INPUT, lambda g, x: g * sigmoid(x)),
    "erf": (_erf_forward, INPUT, lambda g, x: g * exp(-(x * x)) * _TWO_OVER_SQRT_PI),
    "erfc": (np.vectorize(math.erfc, otypes=[float]), INPUT,
             lambda g, x: -g * exp(-(x * x)) * _TWO_OVER_SQRT_PI),
    "sign": (np.sign, NOTHING, _zero),
    "floor": (np.floor, NOTHING, _zero),
    "ceil": (np.ceil, NOTHING, _zero),
    "round": (np.round, NOTHING, _zero),
}


def _unary_function(name: str, forward_fn: Callable, saves: str, rule: Callable) -> type[Function]:
    def compute(x: Tensor) -> Any:
        return forward_fn(x.data)

    def forward(ctx: Ctx, x: Tensor) -> Any:
        if saves is OUTPUT:
            out = _make(forward_fn(x.data))
            ctx._save_values(out)
            return out
        if saves is INPUT:
            ctx._save_values(x)
        return forward_fn(x.data)  # numpy, which apply wraps without a check

    def backward(ctx: Ctx, g: Tensor) -> Tensor:
        saved = ctx.saved_tensors
        return rule(g, saved[0] if saved else None)

    class_name = "".join(part.capitalize() for part in name.split("_"))
    return type(
        class_name,
        (Function,),
        {"compute": staticmethod(compute), "forward": staticmethod(forward),
         "backward": staticmethod(backward)},
    )


UNARY_FUNCTIONS = {name: _unary_function(name, *row) for name, row in UNARY_RULES.items()}


def _unary_api(function: type[Function], name: str) -> Callable[[Operand], Tensor]:
    apply = function.apply

    def op(x: Operand) -> Tensor:
        return apply(x if type(x) is Tensor else tensor(x))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {name}, differentiable to any order."
    return op


neg, abs, exp, expm1, log, log1p, log2, log10, sqrt, cbrt = (
    _unary_api(UNARY_FUNCTIONS[n], n)
    for n in ("neg", "abs", "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "cbrt")
)
sin, cos, tan, asin, acos, atan = (
    _unary_api(UNARY_FUNCTIONS[n], n) for n in ("sin", "cos", "tan", "asin", "acos", "atan")
)
sinh, cosh, tanh, asinh, acosh, atanh = (
    _unary_api(UNARY_FUNCTIONS[n], n) for n in ("sinh", "cosh", "tanh", "asinh", "acosh", "atanh")
)
sigmoid, relu, softplus, erf, erfc, sign, floor, ceil = (
    _unary_api(UNARY_FUNCTIONS[n], n)
    for n in ("sigmoid", "relu", "softplus", "erf", "erfc", "sign", "floor", "ceil")
)
_round = _unary_api(UNARY_FUNCTIONS["round"], "round")


# -- elementwise functions of two arguments -----------------------------------------
def _broadcast_error(*operands: Operand) -> RuntimeError:
    """PyTorch's words for operands whose shapes do not broadcast (numpy's name tuples)."""
    shape: tuple[int, ...] = ()
    for operand in operands:
        other = np.shape(_data(operand))
        ndim = builtins.max(len(shape), len(other))
        padded_a = (1,) * (ndim - len(shape)) + tuple(shape)
        padded_b = (1,) * (ndim - len(other)) + tuple(other)
        for i in reversed(range(ndim)):
            size_a, size_b = padded_a[i], padded_b[i]
            if size_a != size_b and size_a != 1 and size_b != 1:
                return RuntimeError(
                    f"The size of tensor a ({size_a}) must match the size of tensor b ({size_b}) "
                    f"at non-singleton dimension {i}"
                )
        shape = tuple(builtins.max(a, b) for a, b in zip(padded_a, padded_b))
    return RuntimeError(f"shapes {[list(np.shape(_data(o))) for o in operands]} do not broadcast")


class Add(Function):
    @staticmethod
    def compute(a: Operand, b: Operand) -> Any:
        try:
            return (a.data if type(a) is Tensor else a) + (b.data if type(b) is Tensor else b)
        except ValueError:
            raise _broadcast_error(a, b) from None

    @staticmethod
    def forward(ctx: Ctx, a: Operand, b: Operand) -> Any:
        return Add.compute(a, b)

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        return g, g


class Sub(Function):
    @staticmethod
    def compute(a: Operand, b: Operand) -> Any:
        try:
            return (a.data if type(a) is Tensor else a) - (b.data if type(b) is Tensor else b)
        except ValueError:
            raise _broadcast_error(a, b) from None

    @staticmethod
    def forward(ctx: Ctx, a: Operand, b: Operand) -> Any:
        return Sub.compute(a, b)

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    @staticmethod
    def compute(a: Operand, b: Operand) -> Any:
        try:
            return (a.data if type(a) is Tensor else a) * (b.data if type(b) is Tensor else b)
        except ValueError:
            raise _broadcast_error(a, b) from None

    @staticmethod
    def forward(ctx: Ctx, a: Operand, b: Operand) -> Any:
        ctx._save_operands(a, b, False)
        return Mul.compute(a, b)

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)


class Div(Function):
    @staticmethod
    def compute(a: Operand, b: Operand) -> Any:
        try:
            return (a.data if type(a) is Tensor else a) / (b.data if type(b) is Tensor else b)
        except ValueError:
            raise _broadcast_error(a, b) from None

    @staticmethod
    def forward(ctx: Ctx, a: Operand, b: Operand) -> Any:
        ctx._save_operands(a, b, True)
        return Div.compute(a, b)

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g / b if need_a else None), (-g * a / (b * b) if need_b else None)


def _operands(ctx: Ctx) -> tuple:
    """The two operands of a binary op as kept (constants included; None where not kept)."""
    saved = ctx.saved_tensors
    return saved[0], saved[1]


def _ndim(x: Any) -> int:
    """``np.ndim(x)``, without its dispatch for the types an op meets every time."""
    kind = type(x)
    if kind is float or kind is int or kind is bool:
        return 0
    if kind is np.ndarray or kind is np.float64 or kind is np.bool_:
        return x.ndim
    return np.ndim(x)


def _any(mask: Any) -> bool:
    return bool(mask) if _ndim(mask) == 0 else bool(mask.any())


def _all(mask: Any) -> bool:
    return bool(mask) if _ndim(mask) == 0 else bool(mask.all())


def _is_whole(exponent: Any) -> bool:
    """Whether the exponent is one whole number (an int, or a float such as 2.0)."""
    return _ndim(exponent) == 0 and float(exponent).is_integer()


def _power(base: Any, exponent: Any) -> Any:
    """``base ** exponent``, with the same values as np.power.

    For a single whole-number exponent, the power of |base| with the sign put back:
    glibc's pow takes a path about 30 times slower for negative bases. A square is one
    multiplication, as numpy's own ``**`` does it, and a first power a copy (the square's
    recorded gradient takes one).
    """
    if _ndim(base) and _is_whole(exponent):
        if exponent == 2:
            return np.square(base)
        if exponent == 1:
            return np.positive(base)
        magnitude = np.power(np.abs(base), exponent)
        return np.copysign(magnitude, base) if int(exponent) % 2 else magnitude
    return np.power(base, exponent)


class Pow(Function):
    @staticmethod
    def compute(a: Operand, b: Operand) -> Any:
        try:
            return _power(_data(a), _data(b))
        except ValueError:
            raise _broadcast_error(a, b) from None

    @staticmethod
    def forward(ctx: Ctx, a: Operand, b: Operand) -> Any:
        out = _make(Pow.compute(a, b))
        # Only the exponent's gradient reads the power: kept for it alone, so that the
        # power (a**2 before a sum) is freed before backward runs.
        ctx._save_values(a, b, out if ctx.needs_input_grad[1] else None)
        return out

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if need_a:
            exponent = _data(b)
            if _all(exponent == 0):
                grad_a = g * 0.0
            elif not state.grad_enabled and _is_whole(exponent) and _alike_arrays(g, a):
                grad_a = _make(_whole_power_grad(g.data, a.data, exponent))
            else:
                grad_a = g * b * a ** (b - 1.0)
                if _any(exponent == 0):
                    grad_a = where(exponent == 0, 0.0, grad_a)
        if need_b:
            base = _data(a)
            grad_b = g * out * log(a)
            if _any(base == 0):
                grad_b = where((base == 0) & (_data(b) >= 0), 0.0, grad_b)
        return grad_a, grad_b


def _alike_arrays(g: Tensor, a: Tensor) -> bool:
    """Whether ``g`` and ``a`` are float64 arrays of one shape: then a fresh array computed
    from them can take the rest of a gradient in place, with the plain rule's dtype."""
    gd, ad = g.data, a.data
    return (type(gd) is np.ndarray and type(ad) is np.ndarray and gd.shape == ad.shape
            and gd.dtype == ad.dtype == np.float64)


def _whole_power_grad(g: np.ndarray, a: np.ndarray, n: Any) -> np.ndarray:
    """``g * n * a**(n-1)`` in one fresh array (the rule's three temporaries cost page
    faults on large arrays); for values only, when no graph is being recorded. The
    products are taken in the rule's order, so the two agree to the last bit (subnormal
    gradients included)."""
    if g.size and not any(g.strides):
        # One value spread (a sum's gradient): scaled once, then one pass over ``a`` instead
        # of two; the product is the same, as multiplication commutes.
        scale = g.flat[0] * n
        if n == 2:
            return np.multiply(a, scale)
        out = _power(a, n - 1.0)
        out *= scale
        return out
    out = np.multiply(g, n)
    out *= a if n == 2 else _power(a, n - 1.0)
    return out


class Atan2(Function):
    @staticmethod
    def forward(ctx: Ctx, y: Operand, x: Operand) -> Any:
        ctx._save_values(y, x)
        try:
            return np.arctan2(_data(y), _data(x))
        except ValueError:
            raise _broadcast_error(y, x) from None

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        y, x = _operands(ctx)
        radius_squared = x * x + y * y
        scale = g / radius_squared
        origin = _data(radius_squared) == 0
        if _any(origin):
            scale = where(origin, 0.0, scale)  # PyTorch's choice at the origin
        need_y, need_x = ctx.needs_input_grad
        return (scale * x if need_y else None), (-scale * y if need_x else None)


class Hypot(Function):
    @staticmethod
    def forward(ctx: Ctx, a: Operand, b: Operand) -> Any:
        try:
            out = _make(np.hypot(_data(a), _data(b)))
        except ValueError:
            raise _broadcast_error(a, b) from None
        ctx._save_values(a, b, out)
        return out

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        a, b = _operands(ctx)
        scale = g / ctx.saved_tensors[2]
        need_a, need_b = ctx.needs_input_grad
        return (scale * a if need_a else None), (scale * b if need_b else None)


class _Extremum(Function):
    """maximum/minimum: the larger (smaller) input takes the gradient; ties share it."""

    pick: Callable

    @classmethod
    def forward(cls, ctx: Ctx, a: Operand, b: Operand) -> Any:
        da, db = _data(a), _data(b)
        try:
            wins_a = np.where(da == db, 0.5, cls.pick(da, db) == da)
        except ValueError:
            raise _broadcast_error(a, b) from None
        ctx._save_values(wins_a, 1.0 - wins_a)
        return cls.pick(da, db)

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        share_a, share_b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g * share_a if need_a else None), (g * share_b if need_b else None)


class Maximum(_Extremum):
    pick = staticmethod(np.maximum)


class Minimum(_Extremum):
    pick = staticmethod(np.minimum)


class Where(Function):
    @staticmethod
    def forward(ctx: Ctx, condition: np.ndarray, a: Operand, b: Operand) -> Any:
        ctx._save_values(condition)
        try:
            return np.where(condition, _data(a), _data(b))
        except ValueError:
            raise _broadcast_error(condition, a, b) from None

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        (c,) = ctx.saved_tensors
        _, need_a, need_b = ctx.needs_input_grad
        return None, (g * c if need_a else None), (g * ~c if need_b else None)


class Clamp(Function):
    """Limit to [low, high]; tensor bounds take the gradient where they are the result,
    with PyTorch's ties: x keeps it at a bound, and where low > high the result is high."""

    @staticmethod
    def forward(ctx: Ctx, x: Tensor, low: Any, high: Any) -> Any:
        data, lo, hi = x.data, _data(low), _data(high)
        try:
            out = np.clip(data, lo, hi)
            above_low = True if low is None else data >= lo
            below_high = True if high is None else data <= hi
            to_low = None if low is None else (data < lo) & (True if high is None else lo < hi)
            to_high = None if high is None else (data > hi) | (False if low is None else hi < lo)
        except ValueError:
            raise _broadcast_error(x, *[b for b in (low, high) if b is not None]) from None
        ctx._save_values(above_low & below_high, to_low, to_high)
        return out

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        to_x, to_low, to_high = ctx.saved_tensors
        need_x, need_low, need_high = ctx.needs_input_grad
        return (g * to_x if need_x else None, g * to_low if need_low else None,
                g * to_high if need_high else None)


def _operator(function: type[Function]) -> Callable[[Tensor, Operand], Tensor]:
    """The method form (``self`` is a Tensor): the inner loop, so no conversion."""
    apply = function.apply

    def method(self: Tensor, other: Operand) -> Tensor:
        return apply(self, other)

    return method


def _with_a_tensor(a: Operand, b: Operand) -> tuple[Operand, Operand]:
    """``(a, b)`` with ``a`` made a Tensor when ``b`` is not one: an op needs one to record."""
    return (a if type(b) is Tensor else _tensor(a)), b


def add(a: Operand, b: Operand) -> Tensor:
    return Add.apply(*_with_a_tensor(a, b))


def sub(a: Operand, b: Operand) -> Tensor:
    return Sub.apply(*_with_a_tensor(a, b))


def mul(a: Operand, b: Operand) -> Tensor:
    return Mul.apply(*_with_a_tensor(a, b))


def div(a: Operand, b: Operand) -> Tensor:
    return Div.apply(*_with_a_tensor(a, b))


def pow(a: Operand, b: Operand) -> Tensor:
    return Pow.apply(*_with_a_tensor(a, b))


def atan2(y: Operand, x: Operand) -> Tensor:
    return Atan2.apply(*_with_a_tensor(y, x))


def hypot(a: Operand, b: Operand) -> Tensor:
    return Hypot.apply(*_with_a_tensor(a, b))


def maximum(a: Operand, b: Operand) -> Tensor:
    return Maximum.apply(*_with_a_tensor(a, b))


def minimum(a: Operand, b: Operand) -> Tensor:
    return Minimum.apply(*_with_a_tensor(a, b))


def where(condition: Any, a: Operand, b: Operand) -> Tensor:
    """``a`` where ``condition`` holds, else ``b``; the gradient follows the chosen side."""
    mask = np.asarray(_data(condition), dtype=bool)
    if type(a) is not Tensor and type(b) is not Tensor:
        a = _tensor(a)
    return Where.apply(mask, a, b)


def clamp(x: Operand, min: Any = None, max: Any = None) -> Tensor:
    """Limit values to [min, max]; the gradient is 1 inside (bounds included), 0 outside,
    and goes to a tensor bound where the value is that bound, as torch.clamp's does."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    return Clamp.apply(_tensor(x), min, max)


# -- reductions ---------------------------------------------------------------------
def _dim(dim: int, ndim: int) -> int:
    """``dim`` counted from the front, checked as PyTorch does (a 0-d tensor has dims -1 and 0)."""
    top = builtins.max(ndim, 1)
    if not -top <= dim < top:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-top}, {top - 1}], "
            f"but got {dim})"
        )
    return dim % top


def _axes(dim: Any, ndim: int) -> tuple[int, ...]:
    if dim is None:
        return tuple(range(ndim))
    dims = [_dim(d, ndim) for d in ((dim,) if isinstance(dim, int) else dim)]
    for d in dims:
        if dims.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return tuple(sorted(dims)) if ndim else ()


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread(g: Tensor, ctx: Ctx) -> Tensor:
    """A reduction's gradient, reshaped to keep the reduced dims and expanded to the input."""
    return g.reshape(_kept_shape(ctx.shape, ctx.axes)).expand(ctx.shape)


class Sum(Function):
    @staticmethod
    def compute(x: Tensor, dim: Any, keepdim: bool) -> Any:
        return np.sum(x.data, axis=_axes(dim, x.data.ndim), keepdims=keepdim)

    @staticmethod
    def forward(ctx: Ctx, x: Tensor, dim: Any, keepdim: bool) -> Any:
        ctx.shape, ctx.axes = x.data.shape, _axes(dim, x.data.ndim)
        return Sum.compute(x, dim, keepdim)

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        return _spread(g, ctx), None, None


class Prod(Function):
    @staticmethod
    def forward(ctx: Ctx, x: Tensor, dim: Any, keepdim: bool) -> Any:
        ctx.shape, ctx.axes = x.data.shape, _axes(dim, x.data.ndim)
        out = _make(np.prod(x.data, axis=ctx.axes, keepdims=keepdim))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        x, out = ctx.saved_tensors
        if not np.any(x.data == 0):
            return _spread(g * out, ctx) / x, None, None
        # With zeros, out / x is 0/0: use the product of the other elements directly.
        return _spread(g, ctx) * _product_of_others(x, ctx.axes), None, None


def _product_of_others(x: Tensor, axes: tuple[int, ...]) -> Tensor:
    """For each element, the product of the other elements of its reduction group.

    Recorded (under create_graph), it is written in Tensor ops that stay exact at every
    order where x has zeros: the product of the nonzero others times the product of the
    zero others (which is 0 unless the element is its group's only zero, and whose
    derivatives are products of the remaining zeros, found again by this rule).
    """
    order = (*axes, *[i for i in range(x.ndim) if i not in axes])
    moved = x.permute(order) if order != tuple(range(x.ndim)) else x
    flat = moved.reshape(math.prod(moved.shape[: len(axes)]), -1)  # (group size, groups)
    if state.grad_enabled:
        zero = flat.data == 0
        if zero.any():
            safe = where(zero, 1.0, flat)
            others = prod(safe, 0, keepdim=True) / safe * _product_of_zeros(flat, zero)
        else:  # forward mode asks at any point, not only at zeros
            others = prod(flat, 0, keepdim=True) / flat
    else:  # only the values matter: exclusive products from both ends, O(n)
        data = flat.data
        ones = np.ones_like(data[:1])
        before = np.cumprod(np.concatenate([ones, data[:-1]]), axis=0)
        after = np.cumprod(np.concatenate([ones, data[::-1][:-1]]), axis=0)[::-1]
        others = _make(before * after)
    others = others.reshape(moved.shape)
    return others.permute(tuple(np.argsort(order))) if moved is not x else others


def _product_of_zeros(flat: Tensor, zero: np.ndarray) -> Tensor:
    """Per element of ``flat`` (groups in columns), the product of the zeros of its group
    other than itself, as a Tensor whose derivatives are products of the other zeros."""
    rows, cols = np.nonzero(zero)
    positions = rows * flat.shape[1] + cols  # into flat.reshape(-1)
    group_size = np.bincount(cols)
    # Row a of `table`: where the other zeros of zero a's group are (-1 pads).
    table = np.full((len(rows), builtins.max(group_size.max() - 1, 0)), -1)
    for col in np.flatnonzero(group_size > 1):
        members = np.flatnonzero(cols == col)
        for i, a in enumerate(members):
            table[a, : len(members) - 1] = np.delete(positions[members], i)
    padded = table < 0
    factors = where(padded, 1.0, flat.reshape(-1)[np.where(padded, 0, table)])
    of_each_zero = IndexAdd.apply(prod(factors, 1), (rows, cols), flat.shape)
    return where(zero, of_each_zero, prod(where(zero, flat, 1.0), 0, keepdim=True))


class Amax(Function):
    """amax/amin: ties share the gradient evenly."""

    @staticmethod
    def forward(ctx: Ctx, x: Tensor, dim: Any, keepdim: bool, largest: bool) -> Any:
        ctx.shape, ctx.axes = x.data.shape, _axes(dim, x.data.ndim)
        reduce = np.max if largest else np.min
        kept = reduce(x.data, axis=ctx.axes, keepdims=True)
        hits = x.data == kept
        ctx._save_values(hits / np.sum(hits, axis=ctx.axes, keepdims=True))
        return kept if keepdim else kept.reshape(np.delete(kept.shape, ctx.axes))

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        return _spread(g, ctx) * ctx.saved_tensors[0], None, None, None


class MaxDim(Function):
    """max/min along one dim: (values, indices); the gradient goes to the index."""

    @staticmethod
    def forward(ctx: Ctx, x: Tensor, dim: int, keepdim: bool, largest: bool) -> Any:
        ctx.shape, ctx.axes = x.data.shape, _axes(dim, x.data.ndim)
        axis = ctx.axes[0]
        indices = (np.argmax if largest else np.argmin)(x.data, axis=axis)
        kept_indices = np.expand_dims(indices, axis)
        values = np.take_along_axis(x.data, kept_indices, axis=axis)
        one_hot = np.zeros(x.data.shape)
        np.put_along_axis(one_hot, kept_indices, 1.0, axis=axis)
        ctx._save_values(one_hot)
        if not keepdim:
            values = values.squeeze(axis)
        else:
            indices = kept_indices
        idx = _make(indices)
        ctx.mark_non_differentiable(idx)
        return _make(values), idx

    @staticmethod
    def backward(ctx: Ctx, g: Tensor, g_indices: Tensor) -> tuple:
        return _spread(g, ctx) * ctx.saved_tensors[0], None, None, None


class Norm(Function):
    """The 2-norm; its gradient at 0 is 0, as in PyTorch."""

    @staticmethod
    def forward(ctx: Ctx, x: Tensor, dim: Any, keepdim: bool) -> Any:
        ctx.shape, ctx.axes = x.data.shape, _axes(dim, x.data.ndim)
        out = _make(np.sqrt(np.sum(x.data * x.data, axis=ctx.axes, keepdims=keepdim)))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        x, out = ctx.saved_tensors
        spread_out = _spread(out, ctx)
        grad = _spread(g, ctx) * x / spread_out
        zero = spread_out.data == 0
        if _any(zero):
            grad = where(zero, 0.0, grad)
        return grad, None, None


def sum(x: Operand, dim: Any = None, keepdim: bool = False) -> Tensor:
    return Sum.apply(_tensor(x), dim, keepdim)


def mean(x: Operand, dim: Any = None, keepdim: bool = False) -> Tensor:
    x = _tensor(x)
    count = math.prod(x.shape[d] for d in _axes(dim, x.ndim))
    return Sum.apply(x, dim, keepdim) / count


def prod(x: Operand, dim: Any = None, keepdim: bool = False) -> Tensor:
    return Prod.apply(_tensor(x), dim, keepdim)


def amax(x: Operand, dim: Any = None, keepdim: bool = False) -> Tensor:
    return Amax.apply(_tensor(x), dim, keepdim, True)


def amin(x: Operand, dim: Any = None, keepdim: bool = False) -> Tensor:
    return Amax.apply(_tensor(x), dim, keepdim, False)


class ValuesIndices(NamedTuple):
    """What max/min along a dim return, like PyTorch's ``torch.return_types.max``."""

    values: Tensor
    indices: Tensor


def _extremum(x: Operand, dim: Any, keepdim: bool, largest: bool) -> Any:
    if type(dim) is Tensor:
        return (maximum if largest else minimum)(x, dim)
    if dim is None:
        return Amax.apply(_tensor(x), None, False, largest)
    x = _tensor(x)
    if x.ndim == 0:  # PyTorch treats a 0-d tensor as one element along dim 0 or -1
        x, dim, keepdim = x.reshape(1), _dim(dim, 0), False
    return ValuesIndices(*MaxDim.apply(x, dim, keepdim, largest))


def max(x: Operand, dim: Any = None, keepdim: bool = False) -> Any:
    """Full reduction (ties share), ``(values, indices)`` along ``dim``, or ``maximum`` of two."""
    return _extremum(x, dim, keepdim, True)


def min(x: Operand, dim: Any = None, keepdim: bool = False) -> Any:
    """Full reduction (ties share), ``(values, indices)`` along ``dim``, or ``minimum`` of two."""
    return _extremum(x, dim, keepdim, False)


def norm(x: Operand, p: float = 2, dim: Any = None, keepdim: bool = False) -> Tensor:
    x = _tensor(x)
    if p == 2 or p == "fro":
        return Norm.apply(x, dim, keepdim)
    if p == math.inf:
        return amax(abs(x), dim, keepdim)
    return sum(abs(x) ** p, dim, keepdim) ** (1.0 / p)


# -- shapes -------------------------------------------------------------------------
def _view(x: Tensor, array: Any) -> Tensor:
    """A result that may share x's values (a numpy view) shares its version counter too,
    as PyTorch's views do: an in-place change through either is seen by x's saved uses."""
    out = _make(array)
    if np.may_share_memory(array, x.data):
        out._version_counter = shared_version_counter(x)
    return out


class Clone(Function):
    @staticmethod
    def compute(x: Tensor) -> Any:
        return np.copy(x.data)

    @staticmethod
    def forward(ctx: Ctx, x: Tensor) -> Any:
        return Clone.compute(x)

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> Tensor:
        return g


def clone(x: Operand) -> Tensor:
    """A copy with its own data, joined to the graph (its gradient passes straight through)."""
    return Clone.apply(_tensor(x))


class Reshape(Function):
    @staticmethod
    def forward(ctx: Ctx, x: Tensor, shape: tuple[int, ...]) -> Any:
        ctx.shape = x.data.shape
        return Reshape.compute(x, shape)

    @staticmethod
    def compute(x: Tensor, shape: tuple[int, ...]) -> Any:
        try:
            return _view(x, x.data.reshape(shape))
        except ValueError:
            if -1 not in shape or shape.count(-1) == 1:
                raise RuntimeError(
                    f"shape '{list(shape)}' is invalid for input of size {x.data.size}"
                ) from None
            raise RuntimeError("only one dimension can be inferred") from None

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        return g.reshape(ctx.shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx: Ctx, x: Tensor, axes: tuple[int, ...]) -> Any:
        ctx.inverse = tuple([int(i) for i in np.argsort(axes)])  # ints: permute(*) reads them
        return _view(x, np.transpose(x.data, axes))

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        return g.permute(*ctx.inverse), None


class Expand(Function):
    @staticmethod
    def compute(x: Tensor, shape: tuple[int, ...]) -> Any:
        return _view(x, np.broadcast_to(x.data, shape))

    @staticmethod
    def forward(ctx: Ctx, x: Tensor, shape: tuple[int, ...]) -> Any:
        ctx.shape = x.data.shape
        return Expand.compute(x, shape)

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        return sum_to(g, ctx.shape), None


class SumTo(Function):
    """Sum a broadcast gradient down to a shape: the adjoint of ``Expand``."""

    @staticmethod
    def forward(ctx: Ctx, x: Tensor, shape: tuple[int, ...]) -> Any:
        ctx.shape = x.data.shape
        return SumTo.compute(x, shape)

    @staticmethod
    def compute(x: Tensor, shape: tuple[int, ...]) -> Any:
        data = x.data
        lead = data.ndim - len(shape)
        if lead:
            data = data.sum(axis=tuple(range(lead)))
        stretched = tuple(i for i, n in enumerate(shape) if n == 1 and data.shape[i] != 1)
        if stretched:
            data = data.sum(axis=stretched, keepdims=True)
        return data

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        return g.expand(ctx.shape), None


def sum_to(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    """``x`` summed over the dims along which ``shape`` was broadcast to ``x.shape``."""
    if x.data.shape == tuple(shape):
        return x
    return SumTo.apply(x, tuple(shape))


def _normalize_key(key: Any) -> Any:
    if type(key) is tuple:
        return tuple(_data(k) for k in key)
    return _data(key)


class Index(Function):
    @staticmethod
    def compute(x: Tensor, key: Any) -> Any:
        try:
            return _view(x, x.data[key])
        except IndexError as error:
            raise _index_error(error, x) from None

    @staticmethod
    def forward(ctx: Ctx, x: Tensor, key: Any) -> Any:
        ctx.shape, ctx.key = x.data.shape, key
        return Index.compute(x, key)

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        return IndexAdd.apply(g, ctx.key, ctx.shape), None


def _index_error(error: IndexError, x: Tensor) -> IndexError:
    """numpy's IndexError in PyTorch's words (dimension, not axis)."""
    text = str(error)
    if text.startswith("too many indices"):
        if x.data.ndim == 0:
            text = ("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                    "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        else:
            text = f"too many indices for tensor of dimension {x.data.ndim}"
    return IndexError(text.replace(" for axis ", " for dimension "))


class IndexAdd(Function):
    """Scatter-add a gradient into zeros of the indexed tensor's shape: the adjoint of ``Index``."""

    @staticmethod
    def compute(g: Tensor, key: Any, shape: tuple[int, ...]) -> Any:
        # promote_types, not result_type: the same dtype for a dtype and float64, at a
        # quarter of the cost, paid once per row of a Hessian.
        out = np.zeros(shape, dtype=np.promote_types(g.data.dtype, np.float64))
        if _is_basic(key):
            out[key] = g.data  # a basic index names each element once: nothing to add up
        else:
            np.add.at(out, key, g.data)
        return out

    @staticmethod
    def forward(ctx: Ctx, g: Tensor, key: Any, shape: tuple[int, ...]) -> Any:
        ctx.key = key
        return IndexAdd.compute(g, key, shape)

    @staticmethod
    def backward(ctx: Ctx, gg: Tensor) -> tuple:
        return Index.apply(gg, ctx.key), None, None


def _is_basic(key: Any) -> bool:
    """Whether numpy reads ``key`` as basic indexing (ints, slices, None, ...): a view."""
    if type(key) is not tuple:  # one key, as in x[i] or x[1:]: no generator to run
        return type(key) in _BASIC_KEYS
    return all(type(k) in _BASIC_KEYS for k in key)


_BASIC_KEYS = {int, slice, type(None), type(Ellipsis)}


class Cat(Function):
    @staticmethod
    def forward(ctx: Ctx, dim: int, *tensors: Tensor) -> Any:
        arrays = [_data(t) for t in tensors]
        for index, array in enumerate(arrays):
            if np.ndim(array) == 0:
                raise RuntimeError(
                    f"zero-dimensional tensor (at position {index}) cannot be concatenated"
                )
        axis = _dim(dim, arrays[0].ndim)
        for index, array in enumerate(arrays[1:], 1):
            _check_concatenable(arrays[0], array, index, axis)
        ctx.axis, ctx.bounds = axis, np.cumsum([0] + [a.shape[axis] for a in arrays])
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        lead = (slice(None),) * ctx.axis
        grads = [
            g[(*lead, slice(int(start), int(stop)))] if need else None
            for start, stop, need in zip(ctx.bounds[:-1], ctx.bounds[1:], ctx.needs_input_grad[1:])
        ]
        return (None, *grads)


def _check_concatenable(first: np.ndarray, array: np.ndarray, index: int, axis: int) -> None:
    if array.ndim != first.ndim:
        raise RuntimeError(
            f"Tensors must have same number of dimensions: got {first.ndim} and {array.ndim}"
        )
    for d, (expected, got) in enumerate(zip(first.shape, array.shape)):
        if d != axis and expected != got:
            raise RuntimeError(
                f"Sizes of tensors must match except in dimension {axis}. Expected size "
                f"{expected} but got size {got} for tensor number {index} in the list."
            )


def reshape(x: Operand, *shape: Any) -> Tensor:
    x = _tensor(x)
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = tuple(shape[0])
    return Reshape.apply(x, shape)


def permute(x: Operand, *axes: Any) -> Tensor:
    if len(axes) == 1 and not isinstance(axes[0], int):
        axes = tuple(axes[0])
    x = _tensor(x)
    if len(axes) != x.ndim:
        raise RuntimeError(
            "permute(): number of dimensions in the tensor input does not match the length of "
            f"the desired ordering of dimensions i.e. input.dim() = {x.ndim} is not equal to "
            f"len(dims) = {len(axes)}"
        )
    axes = tuple(_dim(a, x.ndim) for a in axes)
    if len(set(axes)) != len(axes):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(x, axes)


def transpose(x: Operand, dim0: int, dim1: int) -> Tensor:
    x = _tensor(x)
    dim0, dim1 = _dim(dim0, x.ndim), _dim(dim1, x.ndim)
    axes = list(range(x.ndim))
    if axes:
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    return Permute.apply(x, tuple(axes))


def squeeze(x: Operand, dim: int | None = None) -> Tensor:
    x = _tensor(x)
    if dim is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        d = _dim(dim, x.ndim)
        shape = tuple(n for i, n in enumerate(x.shape) if i != d or n != 1)
    return Reshape.apply(x, shape)


def unsqueeze(x: Operand, dim: int) -> Tensor:
    x = _tensor(x)
    d = _dim(dim, x.ndim + 1)
    return Reshape.apply(x, (*x.shape[:d], 1, *x.shape[d:]))


def flatten(x: Operand) -> Tensor:
    return Reshape.apply(_tensor(x), (-1,))


def expand(x: Operand, *sizes: Any) -> Tensor:
    x = _tensor(x)
    if len(sizes) == 1 and not isinstance(sizes[0], int):
        sizes = tuple(sizes[0])
    shape = _expanded_shape(x.shape, tuple(sizes))
    if shape == x.shape:
        return x
    return Expand.apply(x, shape)


def _expanded_shape(shape: tuple[int, ...], sizes: tuple[int, ...]) -> tuple[int, ...]:
    """The target of ``expand(*sizes)`` (-1 keeps a size), checked with PyTorch's words."""
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand({list(shape)}, size={list(sizes)}): the number of sizes provided "
            f"({len(sizes)}) must be greater or equal to the number of dimensions in the tensor "
            f"({len(shape)})"
        )
    target = []
    for i, n in enumerate(sizes):
        if i < lead:
            if n == -1:
                raise RuntimeError(
                    "The expanded size of the tensor (-1) isn't allowed in a leading, "
                    f"non-existing dimension {i}"
                )
            target.append(n)
            continue
        existing = shape[i - lead]
        if n == -1:
            n = existing
        elif existing != 1 and n != existing:
            raise RuntimeError(
                f"The expanded size of the tensor ({n}) must match the existing size ({existing}) "
                f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(shape)}"
            )
        target.append(n)
    return tuple(target)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    return Cat.apply(dim, *[_tensor(t) for t in tensors])


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    tensors = [_tensor(t) for t in tensors]
    for index, t in enumerate(tensors[1:], 1):
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at "
                f"entry 0 and {list(t.shape)} at entry {index}"
            )
    return cat([unsqueeze(t, dim) for t in tensors], dim)


# -- products -----------------------------------------------------------------------
def _matrix_transpose(x: Tensor) -> Tensor:
    return transpose(x, -1, -2)


class MatMul(Function):
    @staticmethod
    def forward(ctx: Ctx, a: Tensor, b: Tensor) -> Any:
        # Each operand is kept only for the other's gradient, as PyTorch does: W changed in
        # place after W @ X, with X needing no gradient, does not fail the backward.
        ctx._save_operands(a, b, False)
        ctx.ndims = a.data.ndim, b.data.ndim
        try:
            return np.matmul(a.data, b.data)
        except ValueError:
            raise _matmul_error(a.shape, b.shape) from None

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        a_vector, b_vector = ctx.ndims[0] == 1, ctx.ndims[1] == 1
        g2 = g
        if a_vector:
            g2 = g2.unsqueeze(-2 if not b_vector else 0)
        if b_vector:
            g2 = g2.unsqueeze(-1)
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = g2 @ _matrix_transpose(b.unsqueeze(-1) if b_vector else b)
            if a_vector:
                grad_a = grad_a.squeeze(-2)
        if ctx.needs_input_grad[1]:
            grad_b = _matrix_transpose(a.unsqueeze(0) if a_vector else a) @ g2
            if b_vector:
                grad_b = grad_b.squeeze(-1)
        return grad_a, grad_b


def _matmul_error(a: tuple[int, ...], b: tuple[int, ...]) -> RuntimeError:
    """PyTorch's words for shapes that cannot be multiplied (it names the kernel it picked)."""
    if not a or not b:
        return RuntimeError(
            "both arguments to matmul need to be at least 1D, but they are "
            f"{len(a)}D and {len(b)}D"
        )
    if len(a) == 1 and len(b) == 1:
        return RuntimeError(
            f"inconsistent tensor size, expected tensor [{a[0]}] and src [{b[0]}] to have the "
            f"same number of elements, but got {a[0]} and {b[0]} elements respectively"
        )
    rows = math.prod(a[:-1])
    if len(b) == 1:
        return RuntimeError(
            f"size mismatch, got input ({rows}), mat ({rows}x{a[-1]}), vec ({b[0]})"
        )
    if len(b) == 2:
        return RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{a[-1]} and {b[0]}x{b[1]})"
        )
    try:
        batch = math.prod(np.broadcast_shapes(a[:-2], b[:-2]))
    except ValueError:
        return _broadcast_error(np.empty(a[:-2]), np.empty(b[:-2]))
    return RuntimeError(
        f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {a[-1]}] "
        f"but got: [{batch}, {b[-2]}]."
    )


def matmul(a: Operand, b: Operand) -> Tensor:
    return MatMul.apply(_tensor(a), _tensor(b))


def dot(a: Operand, b: Operand) -> Tensor:
    """Inner product of two 1-D tensors."""
    a, b = _tensor(a), _tensor(b)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    return MatMul.apply(a, b)


def outer(a: Operand, b: Operand) -> Tensor:
    a, b = _tensor(a), _tensor(b)
    for name, t in (("self", a), ("vec2", b)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return a.reshape(-1, 1) * b.reshape(1, -1)


# -- in place -------------------------------------------------------------------------
def _in_place(self: Tensor, other: Operand, op: Callable[[Operand, Operand], Tensor]) -> Tensor:
    """Apply ``op`` in place, as PyTorch does: bump the version counter (shared with aliases)
    and, if recording, rebase the history.

    Unrecorded, the values are written where they are, so aliases (detached tensors, numpy
    views) see them. Recorded, the tensor takes the new values as a fresh array: PyTorch
    would also rewrite the history of views of it, which this engine does not track, so
    writing through would leave their graphs describing old values.
    """
    recording = state.grad_enabled and (
        self._requires_grad or (type(other) is Tensor and other._requires_grad)
    )
    if recording and self._requires_grad and self.grad_fn is None:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )
    data = self.data
    if type(data) is np.ndarray and not data.flags.writeable:
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation."
        )
    # The old value lives on in a new wrapper that the op's node may save.
    previous = _make(data, self._requires_grad, self.grad_fn, self._output_nr)
    result = op(previous, other)
    if result.shape != self.shape:
        raise RuntimeError(
            f"output with shape {list(self.shape)} doesn't match the broadcast shape "
            f"{list(result.shape)}"
        )
    aliased = self._version_counter is not None
    node = result.grad_fn
    if recording:
        if aliased and _saves(node, previous):
            previous.data = data.copy()  # an alias may still write to the old values
        self.data = result.data
    elif type(data) is np.ndarray:
        data[...] = result.data
    else:
        self.data = np.asarray(result.data)
    bump_version(self)
    if not recording:
        return self
    if self._retains_grad:
        self.grad_fn._retained.pop(self._output_nr)
    self._requires_grad = True
    self.grad_fn = node
    self._output_nr = result._output_nr
    if self._retains_grad:
        # retain_grad follows the tensor to its new version, as in PyTorch.
        node._retain(self._output_nr, weakref.ref(self))
    return self


def _saves(node: BackwardNode, t: Tensor) -> bool:
    saved = node._saved
    if type(saved) is not tuple:  # one value, kept bare (or nothing)
        return saved is t
    return any(value is t for value in saved)


def _tensor_zero_(self: Tensor) -> Tensor:
    return _in_place(self, 0.0, _zeroed)


def _zeroed(x: Tensor, zero: float) -> Tensor:
    """Zeros in x's shape, recorded as ``x * 0`` so that the history stays connected."""
    if x._requires_grad:
        return x * zero
    return _make(np.zeros(x.shape, dtype=x.dtype))


# -- creation -----------------------------------------------------------------------
_generator: list = []  # made on first use: importing numpy.random costs ~25 ms of start-up


def _rng() -> np.random.Generator:
    if not _generator:
        _generator.append(np.random.default_rng())
    return _generator[0]


def manual_seed(seed: int) -> None:
    """Seed the generator behind ``rand`` and ``randn``."""
    _generator[:] = [np.random.default_rng(seed)]


def _shape(size: tuple) -> tuple[int, ...]:
    return tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else tuple(size)


def zeros(*size: Any, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(_shape(size)), requires_grad=requires_grad)


def ones(*size: Any, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(_shape(size)), requires_grad=requires_grad)


def full(size: Sequence[int], fill_value: float, requires_grad: bool = False) -> Tensor:
    return Tensor(np.full(tuple(size), float(fill_value)), requires_grad=requires_grad)


def zeros_like(x: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros_like(_data(x), dtype=np.float64), requires_grad=requires_grad)


def ones_like(x: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones_like(_data(x), dtype=np.float64), requires_grad=requires_grad)


def eye(n: int, m: int | None = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.eye(n, m), requires_grad=requires_grad)


def arange(
    start: float, end: float | None = None, step: float = 1, requires_grad: bool = False
) -> Tensor:
    values = np.arange(start, end, step) if end is not None else np.arange(start)
    return Tensor(values.astype(np.float64), requires_grad=requires_grad)


def linspace(start: float, end: float, steps: int, requires_grad: bool = False) -> Tensor:
    return Tensor(np.linspace(start, end, steps), requires_grad=requires_grad)


def rand(*size: Any, requires_grad: bool = False) -> Tensor:
    return Tensor(_rng().random(_shape(size)), requires_grad=requires_grad)


def randn(*size: Any, requires_grad: bool = False) -> Tensor:
    return Tensor(_rng().standard_normal(_shape(size)), requires_grad=requires_grad)


def rand_like(x: Tensor, requires_grad: bool = False) -> Tensor:
    return rand(np.shape(_data(x)), requires_grad=requires_grad)


def randn_like(x: Tensor, requires_grad: bool = False) -> Tensor:
    return randn(np.shape(_data(x)), requires_grad=requires_grad)


# The matrix functions are written in terms of the ops above, and live beside them.
from .linalg import (  # noqa: E402
    det,
    diag,
    inv,
    log_softmax,
    logdet,
    logsumexp,
    softmax,
    trace,
)

inverse = inv


# -- Tensor's operators and methods ---------------------------------------------------
def _comparison(op: Callable) -> Callable[[Tensor, Operand], Tensor]:
    def compare(self: Tensor, other: Operand) -> Tensor:
        return _make(op(self.data, _data(other)))

    return compare


def _reflected(function: type[Function]) -> Callable[[Tensor, Operand], Tensor]:
    apply = function.apply

    def reflected(self: Tensor, other: Operand) -> Tensor:
        return apply(other, self)

    return reflected


def _install_tensor_methods() -> None:
    methods: dict[str, Any] = {
        "__add__": _operator(Add),
        "__radd__": _operator(Add),
        "__sub__": _operator(Sub),
        "__rsub__": _reflected(Sub),
        "__mul__": _operator(Mul),
        "__rmul__": _operator(Mul),
        "__truediv__": _operator(Div),
        "__rtruediv__": _reflected(Div),
        "__pow__": _operator(Pow),
        "__rpow__": lambda self, other: Pow.apply(_tensor(other), self),
        "__matmul__": matmul,
        "__rmatmul__": lambda self, other: matmul(other, self),
        "__neg__": neg,
        "__pos__": lambda self: self,
        "__abs__": abs,
        "__getitem__": lambda self, key: Index.apply(self, _normalize_key(key)),
        "__lt__": _comparison(np.less),
        "__le__": _comparison(np.less_equal),
        "__gt__": _comparison(np.greater),
        "__ge__": _comparison(np.greater_equal),
        "__eq__": _comparison(np.equal),
        "__ne__": _comparison(np.not_equal),
        "__iadd__": lambda self, other: _in_place(self, other, add),
        "__isub__": lambda self, other: _in_place(self, other, sub),
        "__imul__": lambda self, other: _in_place(self, other, mul),
        "__itruediv__": lambda self, other: _in_place(self, other, div),
        "add_": lambda self, other: _in_place(self, other, add),
        "sub_": lambda self, other: _in_place(self, other, sub),
        "mul_": lambda self, other: _in_place(self, other, mul),
        "div_": lambda self, other: _in_place(self, other, div),
        "zero_": _tensor_zero_,
        "add": add,
        "sub": sub,
        "mul": mul,
        "div": div,
        "pow": pow,
        "atan2": atan2,
        "hypot": hypot,
        "maximum": maximum,
        "minimum": minimum,
        "clamp": clamp,
        "sum": sum,
        "mean": mean,
        "prod": prod,
        "amax": amax,
        "amin": amin,
        "max": max,
        "min": min,
        "norm": norm,
        "reshape": reshape,
        "view": reshape,
        "permute": permute,
        "transpose": transpose,
        "squeeze": squeeze,
        "unsqueeze": unsqueeze,
        "flatten": flatten,
        "expand": expand,
        "matmul": matmul,
        "dot": dot,
        "outer": outer,
        "trace": trace,
        "det": det,
        "logdet": logdet,
        "inverse": inverse,
        "diag": diag,
        "softmax": softmax,
        "log_softmax": log_softmax,
        "logsumexp": logsumexp,
        "round": _round,
        "clone": clone,
        "T": property(lambda self: permute(self, tuple(reversed(range(self.ndim))))),
        "mT": property(_matrix_transpose),
    }
    for name in UNARY_RULES:
        if name != "round":
            methods[name] = globals()[name]
    for name, method in methods.items():
        setattr(Tensor, name, method)


_install_tensor_methods()
