"""The finite-difference witness: central differences at three steps, trusted only where
they settle (Richardson-extrapolated at first order)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from diffcli.expr.tree import Node, has_reduction

from .common import close, evaluate, magnitude, point_values, sum_to

MAX_ORDER = 3
STEP = {1: 1e-3, 2: 1e-4, 3: 1e-3}  # the coarsest step h, by order
# Past this many evaluations, differencing a vector element by element takes longer
# than the check is worth: no estimate then.
MAX_EVALUATIONS = 20_000
# Element by element, third differences mix steps of different sizes and their rounding
# (growing like 1/h**3) outruns the judging's allowance: no estimate past second order.
MAX_VECTOR_ORDER = 2


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


def finite_difference(node: Node, point: Mapping, wrt: Sequence[str], *,
                      elementwise: bool = False, pointwise: bool = False) -> np.ndarray | None:
    """Central differences (Richardson-extrapolated for first order), one element of a
    vector at a time: shape output + each variable's shape, as nested_derivative gives.
    With `elementwise`, the derivative of the sum of each order instead, perturbing a
    batch of points at once where no reduction mixes them. None past order 3 (2 by a
    vector element by element), or for vectors too large to difference one by one.
    `pointwise`: each element of an elementwise expression is a point of its own, whose
    rounding scales with its own value (a batch of points)."""
    order = len(wrt)
    if order > MAX_ORDER:
        return None
    values = point_values(point)
    last = np.shape(values[wrt[-1]])
    if elementwise and not (has_reduction(node) and any(np.ndim(values[n]) for n in wrt)):
        return sum_to(_settled(node, values, [(name, None) for name in wrt], pointwise), last)
    vectors = [n for n in wrt if np.ndim(values[n])]
    if vectors and order > MAX_VECTOR_ORDER:
        return None
    indexes = [list(np.ndindex(np.shape(values[n]))) if np.ndim(values[n]) else [None]
               for n in wrt]
    combos = list(itertools.product(*indexes))
    if len(combos) * 3 * 2**order > MAX_EVALUATIONS:
        return None
    out_shape = np.shape(evaluate(node, values))
    full = np.empty(out_shape + sum((np.shape(values[n]) for n in wrt), ()))
    for combo in combos:
        at = [i for index in combo if index is not None for i in index]
        full[(Ellipsis, *at)] = _settled(node, values, list(zip(wrt, combo)))
    # The sum of each order is the full derivative summed over all but the last variable.
    return sum_to(full, last) if elementwise else full


def _settled(node: Node, values: dict, steps: Sequence[tuple[str, tuple | None]],
             pointwise: bool = False) -> np.ndarray:
    """The nested central difference by each (name, element index or None for all), at
    three steps; nan where the estimates have not settled."""
    order = len(steps)

    def derivative(h):
        f = lambda v: evaluate(node, v)  # noqa: E731
        for name, index in steps:
            f = _central(f, name, h, index)
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
        scale = magnitude(value, pointwise)
        noise = 1e3 * np.finfo(float).eps * scale / h**order
        return np.where(close(coarse, fine, 1e-4, noise), fine, np.nan)
