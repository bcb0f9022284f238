"""The finite-difference witness: central differences at three steps, trusted only where
they settle (Richardson-extrapolated at first order); element by element for small
arrays, along a few random directions for large ones."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from diffcli.expr.tree import Node, has_reduction

from .common import close, evaluate, magnitude, point_values, sum_to

MAX_ORDER = 3
STEP = {1: 1e-3, 2: 1e-4, 3: 1e-3}  # the coarsest step h, by order
# Element by element while that takes at most this many evaluations (each builds a
# tape: about a second for a small expression): an entry's own difference points at the
# entry that is wrong. Past it, random directions (Directional), whose cost does not
# grow with the arrays' size.
MAX_EVALUATIONS = 2_000
# Random unit directions per derivative; PyTorch's fast gradcheck uses one.
DIRECTIONS = 3
DIRECTION_SEED = 0  # the directions are the same from run to run
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


@dataclass
class Directional:
    """Directional derivatives: `estimates[k]` is the derivative along `directions[k]`
    (one unit array per variable of wrt), of the output's shape (a number for the sum
    that a gradient differentiates)."""

    directions: list[list[np.ndarray]]
    estimates: np.ndarray

    def project(self, full: np.ndarray, elementwise: bool) -> np.ndarray:
        """A derivative of shape output + variables (with `elementwise`, the last
        variable's) contracted with each direction, comparable with `estimates`."""
        out = []
        for units in self.directions:
            d = np.asarray(full, dtype=np.float64)
            for u in reversed(units):
                d = np.tensordot(d, u, axes=u.ndim)
            out.append(d)
        return np.array(out)


def finite_difference(node: Node, point: Mapping, wrt: Sequence[str], *,
                      elementwise: bool = False,
                      pointwise: bool = False) -> np.ndarray | Directional | None:
    """Central differences (Richardson-extrapolated for first order), one element of a
    vector at a time: shape output + each variable's shape, as nested_derivative gives.
    With `elementwise`, the derivative of the sum of each order instead, perturbing a
    batch of points at once where no reduction mixes them. Arrays that would take more
    than MAX_EVALUATIONS go along DIRECTIONS random directions instead (Directional; a
    sum of each order only at first order). None past order 3 (2 by a vector).
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
    # Counted before listing: a 512x512 matrix's indexes alone take a second to list.
    if int(np.prod([np.size(values[n]) for n in wrt])) * 3 * 2**order > MAX_EVALUATIONS:
        return None if elementwise and order > 1 else _directional(node, values, wrt,
                                                                    elementwise)
    indexes = [list(np.ndindex(np.shape(values[n]))) if np.ndim(values[n]) else [None]
               for n in wrt]
    combos = list(itertools.product(*indexes))
    out_shape = np.shape(evaluate(node, values))
    full = np.empty(out_shape + sum((np.shape(values[n]) for n in wrt), ()))
    for combo in combos:
        at = [i for index in combo if index is not None for i in index]
        full[(Ellipsis, *at)] = _settled(node, values, list(zip(wrt, combo)))
    # The sum of each order is the full derivative summed over all but the last variable.
    return sum_to(full, last) if elementwise else full


def _directional(node: Node, values: dict, wrt: Sequence[str],
                 elementwise: bool) -> Directional:
    """Derivatives along random unit directions: d/dt1 ... f(x1 + t1 u1, ...) at t = 0,
    each t stepped as a number, so that the estimate settles as any other does."""
    rng = np.random.default_rng(DIRECTION_SEED)
    steps = [f"t{k}" for k in range(len(wrt))]
    directions, estimates = [], []
    for _ in range(DIRECTIONS):
        units = [_unit(rng, np.shape(values[name])) for name in wrt]

        def along(v, units=units):
            moved = dict(values)
            for name, t, u in zip(wrt, steps, units):
                moved[name] = moved[name] + v[t] * u
            value = evaluate(node, moved)
            return value.sum() if elementwise else value

        directions.append(units)
        estimates.append(_settled(along, dict.fromkeys(steps, 0.0),
                                  [(t, None) for t in steps]))
    return Directional(directions, np.array(estimates))


def _unit(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    u = rng.standard_normal(shape)
    return u / np.linalg.norm(u)


def _settled(node: Node | Callable, values: dict,
             steps: Sequence[tuple[str, tuple | None]], pointwise: bool = False) -> np.ndarray:
    """The nested central difference of the expression (or of fn(values)) by each (name,
    element index or None for all), at three steps; nan where they have not settled."""
    order = len(steps)
    fn = node if callable(node) else lambda v: evaluate(node, v)

    def derivative(h):
        f = fn
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
        value = np.asarray(fn(values), dtype=np.float64)
        scale = magnitude(value, pointwise)
        noise = 1e3 * np.finfo(float).eps * scale / h**order
        return np.where(close(coarse, fine, 1e-4, noise), fine, np.nan)
