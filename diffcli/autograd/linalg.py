"""Matrix functions: trace, det, logdet, inv, diag, softmax, log_softmax, logsumexp.

Each is a ``Function`` applied like every other op; forward is numpy, backward is written
in Tensor operations (including these functions themselves), so gradients of any order
follow from ``create_graph=True``. det, logdet and inv take batches of square matrices
(leading dims), as PyTorch's do. ``ops`` re-exports every name here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .function import BackwardNode, Function
from .ops import _axes, _spread, _tensor, stack, where
from .tensor import Tensor, _make

Ctx = BackwardNode


# -- shapes and their errors ---------------------------------------------------------
def _check_square(name: str, a: Tensor) -> None:
    """PyTorch's words for an input that is not a (batch of) square matrix."""
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    rows, cols = a.shape[-2:]
    if rows != cols:
        raise RuntimeError(
            f"{name}: A must be batches of square matrices, but they are {rows} by {cols} matrices"
        )


def _as_matrices(t: Tensor) -> Tensor:
    """A batch of numbers as a batch of 1x1 matrices, to broadcast against the matrices."""
    return t.reshape(*t.shape, 1, 1)


def _first_zero_pivot(a: np.ndarray) -> int | None:
    """1-based index of the first zero pivot of LU with partial pivoting (LAPACK's getrf)."""
    lu = np.array(a, dtype=np.float64)
    for k in range(lu.shape[-1]):
        pivot = k + int(np.argmax(np.abs(lu[k:, k])))
        if lu[pivot, k] == 0:
            return k + 1
        lu[[k, pivot]] = lu[[pivot, k]]
        lu[k + 1 :, k:] -= np.outer(lu[k + 1 :, k] / lu[k, k], lu[k, k:])
    return None


def _singular_error(a: np.ndarray) -> RuntimeError:
    """torch.linalg.inv's words, naming the first zero pivot (and the batch element)."""
    pivots = [_first_zero_pivot(matrix) for matrix in a.reshape(-1, *a.shape[-2:])]
    # LAPACK may meet an exact zero that our elimination rounds away: then name the last.
    index, pivot = next(((i, p) for i, p in enumerate(pivots) if p), (0, a.shape[-1]))
    batch = f"(Batch element {index}): " if a.ndim > 2 else ""
    return RuntimeError(
        f"linalg.inv: {batch}The diagonal element {pivot} is zero, the inversion could not "
        "be completed because the input matrix is singular."
    )


# -- inverse and determinants ---------------------------------------------------------
class Inv(Function):
    @staticmethod
    def forward(ctx: Ctx, a: Tensor) -> Any:
        try:
            out = _make(np.linalg.inv(a.data))
        except np.linalg.LinAlgError:
            raise _singular_error(a.data) from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        y_t = y.mT
        return -(y_t @ g @ y_t)


def _cofactors(a: Tensor) -> Tensor:
    """The cofactor matrix (the adjugate's transpose), from minors: defined when a is singular."""
    n = a.shape[-1]
    if n == 1:
        return a * 0.0 + 1.0
    index = np.arange(n)
    entries = []
    for i in range(n):
        rows = index[index != i][:, None]
        for j in range(n):
            minor = a[..., rows, index[index != j][None, :]]
            entries.append(det(minor) * (-1.0) ** (i + j))
    return stack(entries, -1).reshape(a.shape)


def _adjugate_transpose(a: Tensor, determinant: Tensor) -> Tensor:
    """det(a) * inv(a)^T; by cofactors where some matrix of the batch is singular, or so
    nearly that its inverse overflows (a subnormal determinant)."""
    if np.all(determinant.data != 0):
        inverse = inv(a)
        if np.all(np.isfinite(inverse.data)):
            return _as_matrices(determinant) * inverse.mT
    return _cofactors(a)


class Det(Function):
    @staticmethod
    def forward(ctx: Ctx, a: Tensor) -> Any:
        out = _make(np.linalg.det(a.data))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> Tensor:
        a, out = ctx.saved_tensors
        return _as_matrices(g) * _adjugate_transpose(a, out)


class Logdet(Function):
    """log(det A): nan where det < 0 (its gradient 0 there), -inf where det = 0, as PyTorch."""

    @staticmethod
    def forward(ctx: Ctx, a: Tensor) -> Any:
        sign, log_abs = np.linalg.slogdet(a.data)
        ctx.save_for_backward(a)
        ctx.negative = sign < 0
        return np.where(sign > 0, log_abs, np.where(sign < 0, np.nan, -np.inf))[()]

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        try:
            inverse_t = inv(a).mT
        except RuntimeError:  # singular: adj^T / 0 gives the infinities of 1/det
            inverse_t = _cofactors(a) / _as_matrices(det(a))
        grad = _as_matrices(g) * inverse_t
        if np.any(ctx.negative):
            grad = where(np.expand_dims(ctx.negative, (-1, -2)), 0.0, grad)
        return grad


# -- trace and diagonals --------------------------------------------------------------
def _diagonal_positions(shape: tuple[int, ...], offset: int) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = shape
    start_row, start_col = (0, offset) if offset >= 0 else (-offset, 0)
    length = max(0, min(rows - start_row, cols - start_col))
    steps = np.arange(length)
    return steps + start_row, steps + start_col


class DiagEmbed(Function):
    """A vector laid on diagonal ``offset`` of a zero matrix of ``shape``."""

    @staticmethod
    def forward(ctx: Ctx, v: Tensor, offset: int, shape: tuple[int, int]) -> Any:
        ctx.offset = offset
        out = np.zeros(shape, dtype=np.result_type(v.data, np.float64))
        out[_diagonal_positions(shape, offset)] = v.data
        return out

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        return Diagonal.apply(g, ctx.offset), None, None


class Diagonal(Function):
    """Diagonal ``offset`` of a matrix, as a vector (a copy)."""

    @staticmethod
    def forward(ctx: Ctx, a: Tensor, offset: int) -> Any:
        ctx.offset, ctx.shape = offset, a.data.shape
        return a.data[_diagonal_positions(a.data.shape, offset)]

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        return DiagEmbed.apply(g, ctx.offset, ctx.shape), None


class Trace(Function):
    @staticmethod
    def forward(ctx: Ctx, a: Tensor) -> Any:
        ctx.shape = a.data.shape
        return np.trace(a.data)

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> Tensor:
        length = min(ctx.shape)
        return DiagEmbed.apply(g.expand(length), 0, ctx.shape)


def trace(a: Any) -> Tensor:
    """Sum of the main diagonal of a matrix (any shape of matrix, as torch.trace)."""
    a = _tensor(a)
    if a.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
    return Trace.apply(a)


def diag(x: Any, diagonal: int = 0) -> Tensor:
    """A vector's diagonal matrix, or a matrix's diagonal as a vector (as torch.diag)."""
    x = _tensor(x)
    if x.ndim == 1:
        size = x.shape[0] + abs(diagonal)
        return DiagEmbed.apply(x, diagonal, (size, size))
    if x.ndim == 2:
        return Diagonal.apply(x, diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")


def det(a: Any) -> Tensor:
    """Determinant of a square matrix or of each matrix of a batch."""
    a = _tensor(a)
    _check_square("linalg.det", a)
    return Det.apply(a)


def logdet(a: Any) -> Tensor:
    """log det(a): nan for a negative determinant, -inf for a singular matrix (as torch)."""
    a = _tensor(a)
    _check_square("logdet", a)
    return Logdet.apply(a)


def inv(a: Any) -> Tensor:
    """Inverse of a square matrix or of each matrix of a batch; singular is an error."""
    a = _tensor(a)
    _check_square("linalg.inv", a)
    return Inv.apply(a)



# -- softmax and logsumexp ------------------------------------------------------------
def _stable_shift(data: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """The max along the axes (kept), with infinite maxima replaced by 0: exp(x - shift)
    cannot overflow, and an all -inf (or +inf) slice does not become inf - inf."""
    if not data.size:
        return np.zeros(())
    top = np.max(data, axis=axes, keepdims=True)
    return np.where(np.isfinite(top), top, 0.0)


class Softmax(Function):
    @staticmethod
    def forward(ctx: Ctx, x: Tensor, dim: int) -> Any:
        ctx.axes = _axes(dim, x.data.ndim)
        e = np.exp(x.data - _stable_shift(x.data, ctx.axes))
        out = _make(e / np.sum(e, axis=ctx.axes, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        (y,) = ctx.saved_tensors
        return y * (g - (g * y).sum(ctx.axes, keepdim=True)), None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx: Ctx, x: Tensor, dim: int) -> Any:
        ctx.axes = _axes(dim, x.data.ndim)
        shifted = x.data - _stable_shift(x.data, ctx.axes)
        out = _make(shifted - np.log(np.sum(np.exp(shifted), axis=ctx.axes, keepdims=True)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        (out,) = ctx.saved_tensors
        return g - out.exp() * g.sum(ctx.axes, keepdim=True), None


class Logsumexp(Function):
    @staticmethod
    def forward(ctx: Ctx, x: Tensor, dim: Any, keepdim: bool) -> Any:
        ctx.shape, ctx.axes = x.data.shape, _axes(dim, x.data.ndim)
        shift = _stable_shift(x.data, ctx.axes)
        total = np.sum(np.exp(x.data - shift), axis=ctx.axes, keepdims=True)
        with np.errstate(divide="ignore"):  # log(0) is -inf, as in PyTorch
            kept = np.log(total) + shift
        out = _make(kept if keepdim else kept.reshape(np.delete(kept.shape, ctx.axes)))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Ctx, g: Tensor) -> tuple:
        x, out = ctx.saved_tensors
        return _spread(g, ctx) * (x - _spread(out, ctx)).exp(), None, None


def softmax(x: Any, dim: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``, computed without overflow."""
    return Softmax.apply(_tensor(x), dim)


def log_softmax(x: Any, dim: int = -1) -> Tensor:
    """log(softmax(x, dim)), computed without overflow or log(0) underflow."""
    return LogSoftmax.apply(_tensor(x), dim)


def logsumexp(x: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``dim`` (all dims if None), computed without overflow."""
    return Logsumexp.apply(_tensor(x), dim, keepdim)
