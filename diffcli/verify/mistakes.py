"""Naming the usual mistake behind a wrong hand-derived gradient: a claim of another shape,
the transpose of the gradient, a constant factor off, right only for symmetric matrices,
or a term of the expression left out. Each test is run on the numbers the check already
has (the claim and autograd at every point tried) plus, for the last two, the claim at
symmetrised points and the gradients of the expression's terms."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from diffcli.expr.shapes import describe
from diffcli.expr.tree import Binary, Node, Unary, to_text, variables

from .autograd_witness import nested_derivative
from .common import close

# A diagnosis only names a mistake; the verdict came from the claim's own tolerances.
DIAGNOSIS_RTOL, DIAGNOSIS_ATOL = 1e-6, 1e-9


@dataclass
class Mistake:
    """One of the usual mistakes: `kind` is "shape", "transpose", "factor", "symmetric" or
    "missing_term"; `words` says it to the user; `details` holds the kind's numbers."""

    kind: str
    words: str
    details: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """{"kind", "words", and the kind's details: "claimed_shape" and "shape" (shape,
        transpose), "factor", "symmetric" (the variables), "term" (the term's text)}."""
        return {"kind": self.kind, "words": self.words, **self.details}


# The claimed value and the autograd gradient at each point tried.
Rows = Sequence[tuple[np.ndarray, np.ndarray]]


def _matches(rows: Rows, transform: Callable[[np.ndarray], np.ndarray] = np.asarray) -> bool:
    """Whether each claimed value equals transform(gradient) wherever both are finite (and
    they are somewhere)."""
    compared = 0
    for claimed, auto in rows:
        expected = transform(np.asarray(auto, float))
        claimed = np.asarray(claimed, float)
        if claimed.shape != expected.shape:
            return False
        finite = np.isfinite(claimed) & np.isfinite(expected)
        if not np.all(close(claimed, expected, DIAGNOSIS_RTOL, DIAGNOSIS_ATOL)[finite]):
            return False
        compared += int(np.sum(finite))
    return compared > 0


def _shape_mistake(name: str, shape: tuple, rows: Rows) -> Mistake | None:
    claimed_shape = np.shape(rows[0][0])
    if claimed_shape == shape:
        return None
    details = {"claimed_shape": list(claimed_shape), "shape": list(shape)}
    if len(shape) == 2 and _matches(rows, np.transpose):
        return Mistake("transpose", f"it is the transpose of the gradient: shape "
                       f"{describe(claimed_shape)}, but ∂/∂{name} has {name}'s shape "
                       f"{describe(shape)}", details)
    return Mistake("shape", f"the claim has shape {describe(claimed_shape)}, but ∂/∂{name} "
                   f"has {name}'s shape {describe(shape)}", details)


def _factor(rows: Rows) -> float | None:
    """The least-squares c in claim = c * gradient over all points, when it explains
    every point and is not 1."""
    claimed = np.concatenate([np.ravel(c) for c, _ in rows])
    auto = np.concatenate([np.ravel(a) for _, a in rows])
    finite = np.isfinite(claimed) & np.isfinite(auto)
    norm = float(np.dot(auto[finite], auto[finite]))
    if norm == 0:
        return None
    c = float(np.dot(claimed[finite], auto[finite])) / norm
    if not np.isfinite(c) or close(c, 1.0, DIAGNOSIS_RTOL, 0) or not _matches(
            rows, lambda a: c * a):
        return None
    return c


def _symmetrised(point: Mapping, name: str) -> dict:
    value = np.asarray(point[name], float)
    return {**point, name: (value + value.T) / 2}


def _symmetric_mistake(point_rows: Callable[[Mapping], tuple], points: Sequence[Mapping],
                       ) -> Mistake | None:
    """Right only for symmetric matrices: the claim holds wherever one square matrix is
    made symmetric, at every point, although it fails at some point as given."""
    given = points[0]
    for s in (n for n, v in given.items() if np.ndim(v) == 2 and np.shape(v)[0] == np.shape(v)[1]):
        if _matches([point_rows(_symmetrised(p, s)) for p in points]):
            value = np.asarray(given[s], float)
            yours = " (as your value is)" if np.allclose(value, value.T) else ""
            return Mistake("symmetric", f"it is right only for symmetric {s}: it agrees "
                           f"wherever {s} is symmetric{yours}, but not at a non-symmetric {s}",
                           {"symmetric": [s]})
    return None


def additive_terms(node: Node, sign: float = 1.0) -> list[tuple[float, Node]]:
    """The expression's top-level terms with their signs: a - (b + c) is +a, -b, -c."""
    if isinstance(node, Binary) and node.op in "+-":
        right_sign = sign if node.op == "+" else -sign
        return additive_terms(node.left, sign) + additive_terms(node.right, right_sign)
    if isinstance(node, Unary) and node.op == "-":
        return additive_terms(node.operand, -sign)
    return [(sign, node)]


def _missing_term(node: Node, name: str, points: Sequence[Mapping], rows: Rows,
                  ) -> Mistake | None:
    """A term left out: the claim equals the gradient less one term's gradient, that is,
    the difference between them is that term's gradient, at every point."""
    terms = additive_terms(node)
    if len(terms) < 2:
        return None
    for sign, term in terms:
        if name not in variables(term):
            continue
        term_grads = [sign * nested_derivative(term, p, (name,), elementwise=True)
                      for p in points]
        if all(np.all(g == 0) for g in term_grads):
            continue
        rest = [(c, a - g) for (c, a), g in zip(rows, term_grads)]
        if _matches(rest):
            text = to_text(term)
            return Mistake("missing_term", f"a term is missing: the claim is the gradient "
                           f"without the term {text}", {"term": text})
    return None


def diagnose(node: Node, name: str, points: Sequence[Mapping], rows: Rows,
             point_rows: Callable[[Mapping], tuple]) -> Mistake | None:
    """Which usual mistake explains a wrong claim for ∂node/∂name, if one does. `rows`
    holds (claimed, autograd) at each of `points` (the given one first); `point_rows(p)`
    computes them at another point."""
    shape = np.shape(points[0][name])
    found = _shape_mistake(name, shape, rows)
    if found is not None:
        return found
    factor = _factor(rows)
    if factor is not None:
        return Mistake("factor", f"it is {factor:.6g}x the gradient (a constant factor off)",
                       {"factor": factor})
    if len(shape) == 2 and shape[0] == shape[1] and _matches(rows, np.transpose):
        return Mistake("transpose", "it is the transpose of the gradient",
                       {"claimed_shape": list(shape), "shape": list(shape)})
    return _symmetric_mistake(point_rows, points) or _missing_term(node, name, points, rows)
