"""The finite-difference witness: central differences at three steps, trusted only where
they settle (Richardson-extrapolated at first order)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from diffcli.expr.tree import Node

from .common import close, evaluate, has_reduction, magnitude, point_values, sum_to

MAX_ORDER = 3
STEP = {1: 1e-3, 2: 1e-4, 3: 1e-3}  # the coarsest step h, by order


def _shift(values: Mapping, name: str, delta, index=None) -> dict:
    shifted = dict(values)
    base = np.array(values[name], dtype=np.float64)
    if index is None:
        shifted[name] = base + delta
    else:
        base[index] += delta[index] if np.ndim(delta) else delta
        shifted[name] = base
    return shifted


def _central(f, name: str, h_base: float, index=None):
    def g(values):
        h = h_base * np.maximum(1.0, np.abs(np.asarray(values[name], dtype=np.float64)))
        up, down = f(_shift(values, name, h, index)), f(_shift(values, name, -h, index))
        return (up - down) / (2 * (h if index is None else np.asarray(h)[index]))
    return g


def finite_difference(node: Node, point: Mapping, wrt: Sequence[str]) -> np.ndarray | None:
    """Central differences (Richardson-extrapolated for first order); None past order 3."""
    order = len(wrt)
    if order > MAX_ORDER:
        return None
    values = point_values(point)
    if has_reduction(node) and any(np.ndim(values[n]) for n in wrt):
        return _fd_expanded(node, values, wrt)

    def derivative(h):
        f = lambda v: evaluate(node, v)  # noqa: E731
        for name in wrt:
            f = _central(f, name, h)
        return f(values)

    with np.errstate(all="ignore"):
        h = STEP[order]
        estimates = [derivative(h), derivative(h / 2), derivative(h / 4)]
        if order == 1:
            estimates = [(4 * fine - coarse) / 3 for coarse, fine in zip(estimates, estimates[1:])]
        coarse, fine = estimates[-2:]
        # Two estimates that disagree mean the step is too coarse for this function (it
        # oscillates or bends within h): then there is no estimate, rather than a false alarm.
        value = evaluate(node, values)
        scale = magnitude(value)
        noise = 1e3 * np.finfo(float).eps * scale / h**order
        d = np.where(close(coarse, fine, 1e-4, noise), fine, np.nan)
    return sum_to(d, np.shape(values[wrt[-1]]))


def _fd_expanded(node: Node, values: dict, wrt: Sequence[str]) -> np.ndarray | None:
    """First derivatives of sum(f) element by element, for expressions with reductions."""
    if len(wrt) != 1:
        return None
    (name,) = wrt
    total = lambda v: evaluate(node, v).sum()  # noqa: E731
    out = np.empty(np.shape(values[name]))
    with np.errstate(all="ignore"):
        for index in np.ndindex(out.shape):
            rich = [_central(total, name, h, index)(values) for h in (1e-3, 5e-4)]
            out[index] = (4 * rich[1] - rich[0]) / 3
    return out
