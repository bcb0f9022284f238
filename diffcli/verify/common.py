"""What the witnesses share: reading a point, evaluating the expression there, summing
to a shape, the agreement test, and numbers made JSON-able."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from diffcli.expr.tape import build
from diffcli.expr.tree import Node


def plain(value):
    """JSON-able: floats and nested lists, non-finite as None; None stays None, and a
    list (of arrays of different shapes) is made plain item by item."""
    if value is None:
        return None
    if value.__class__ is float:  # a batch's values, already Python's: skip numpy
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [plain(v) for v in value]
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim and np.isfinite(arr).all():  # nothing to replace: skip the walk
        return arr.tolist()
    out = np.where(np.isfinite(arr), arr, np.nan).tolist()
    if isinstance(out, float):
        return out if math.isfinite(out) else None
    return _nan_to_none(out)


def _nan_to_none(items):
    return [_nan_to_none(v) if isinstance(v, list) else (None if v != v else v) for v in items]


def close(a, b, rtol: float, atol: float) -> np.ndarray:
    """Elementwise symmetric agreement: |a - b| <= atol + rtol * max(|a|, |b|)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.abs(a - b) <= atol + rtol * np.maximum(np.abs(a), np.abs(b))


def sum_to(arr: np.ndarray, shape: tuple) -> np.ndarray:
    """`arr` summed over the axes `shape` was broadcast along, then broadcast to `shape`."""
    arr = np.asarray(arr, dtype=np.float64)
    while arr.ndim > len(shape):
        arr = arr.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and arr.shape[axis] != 1:
            arr = arr.sum(axis=axis, keepdims=True)
    return np.broadcast_to(arr, shape).copy()


def point_values(point: Mapping) -> dict[str, np.ndarray | float]:
    """The point as floats and float64 arrays."""
    return {k: (float(v) if np.ndim(v) == 0 else np.asarray(v, dtype=np.float64))
            for k, v in point.items()}


def evaluate(node: Node, values: Mapping) -> np.ndarray:
    """The expression's value at the point, without recording a graph."""
    return np.asarray(build(node, values, requires_grad=False).output.data, dtype=np.float64)


def magnitude(value: np.ndarray, pointwise: bool = False) -> float | np.ndarray:
    """The largest finite |value|, at least 1: the scale that rounding errors grow with.
    With `pointwise`, one scale per element, for a batch of independent points."""
    if pointwise:
        with np.errstate(invalid="ignore"):
            return np.where(np.isfinite(value), np.maximum(np.abs(value), 1.0), 1.0)
    return float(np.max(np.abs(value[np.isfinite(value)]), initial=1.0))
