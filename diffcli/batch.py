"""Derivatives of one expression at many points, as plain functions of numpy arrays.

`grad("x**2 * y", x=xs, y=ys)` returns {"x": d/dx, "y": d/dy}, one value per point. The
text is parsed once per process, and all points go through one vectorised tape, so a
function here runs unchanged inside `dask.array.map_blocks` or
`dask.dataframe.map_partitions` (see examples/dask_points.py). The expression must be
elementwise (no sum, dot, ... over the points); columns are 1-D arrays of equal length,
and scalars are repeated for every point. The leading arguments are positional-only, so
a variable may be called `wrt` or `expr_text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from diffcli import autograd
from diffcli.expr import parse, variables
from diffcli.expr.tape import build
from diffcli.expr.tree import has_reduction
from diffcli.verify import nested_derivative
from diffcli.verify.autograd_witness import differentiate
from diffcli.verify.autograd_witness import gradient as verify_gradient

__all__ = ["derivative", "derivatives", "grad", "hessian", "value"]


@lru_cache(maxsize=64)
def _parsed(expr_text: str) -> tuple[Any, tuple[str, ...]]:
    node = parse(expr_text)
    if has_reduction(node):
        raise ValueError(f"{expr_text!r} mixes entries (a reduction, @ or a matrix function), "
                         "so its points are not independent: the batch API takes elementwise "
                         "expressions")
    return node, tuple(variables(node))


def _columns(names: Sequence[str], columns: dict[str, Any]) -> tuple[dict[str, np.ndarray], int]:
    """The columns as float64 arrays of one common length n (scalars repeated)."""
    missing = [name for name in names if name not in columns]
    unknown = [name for name in columns if name not in names]
    if missing or unknown:
        said = [f"no column for {', '.join(missing)}"] if missing else []
        said += [f"{', '.join(unknown)} not in the expression"] if unknown else []
        raise ValueError("; ".join(said))
    arrays = {name: np.asarray(columns[name], dtype=np.float64) for name in names}
    deep = [name for name, a in arrays.items() if a.ndim > 1]
    if deep:
        raise ValueError(f"columns must be 1-D, but {', '.join(deep)} is not")
    lengths = {a.shape[0] for a in arrays.values() if a.ndim == 1}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths {sorted(lengths)}")
    n = lengths.pop() if lengths else 1
    # Every point needs its own leaf element, or a scalar's gradient would sum the points.
    return {name: np.broadcast_to(a, (n,)).copy() for name, a in arrays.items()}, n


def value(expr_text: str, /, **columns: Any) -> np.ndarray:
    """The expression's value at each point."""
    node, names = _parsed(expr_text)
    values, n = _columns(names, columns)
    out = build(node, values, requires_grad=False).output.data
    return np.broadcast_to(np.asarray(out, dtype=np.float64), (n,)).copy()


def grad(expr_text: str, /, **columns: Any) -> dict[str, np.ndarray]:
    """{name: ∂f/∂name at each point} for every variable of the expression, in one pass."""
    node, names = _parsed(expr_text)
    values, n = _columns(names, columns)
    _, gradient = verify_gradient(node, values, names, batch=n)
    return {name: np.asarray(g, dtype=np.float64) for name, g in gradient.items()}


def derivative(expr_text: str, wrt: str | Sequence[str], /, order: int = 1,
               **columns: Any) -> np.ndarray:
    """The order-th derivative by `wrt` at each point; a list `wrt` is a mixed partial."""
    node, names = _parsed(expr_text)
    values, n = _columns(names, columns)
    sequence = [wrt] * order if isinstance(wrt, str) else list(wrt) * order
    unknown = [name for name in sequence if name not in names]
    if unknown or not sequence:
        raise ValueError(f"wrt must name variables of the expression {list(names)}, got {wrt!r}")
    out = nested_derivative(node, values, sequence, budget=float("inf"), elementwise=True)
    return np.broadcast_to(out, (n,)).copy()


def derivatives(expr_text: str, wrt: str, order: int, /, **columns: Any) -> list[np.ndarray]:
    """[f, ∂f/∂wrt, ..., ∂ⁿf/∂wrtⁿ] at each point, all from one tape: each order
    differentiates the graph of the one before."""
    node, names = _parsed(expr_text)
    values, n = _columns(names, columns)
    if wrt not in names:
        raise ValueError(f"wrt must name a variable of the expression {list(names)}, got {wrt!r}")
    tape = build(node, values, requires_grad={wrt})
    g = tape.output
    out = [g.data]
    for k in range(1, order + 1):
        if not g.requires_grad:  # nothing left depends on wrt: this and every later order is 0
            out.append(np.zeros(n))
            continue
        (g,) = autograd.grad(g.sum(), [tape.leaves[wrt]], create_graph=k < order,
                             materialize_grads=True)
        out.append(g.data)
    return [np.broadcast_to(np.asarray(d, dtype=np.float64), (n,)).copy() for d in out]


def hessian(expr_text: str, /, **columns: Any) -> dict[str, dict[str, np.ndarray]]:
    """H[a][b] = ∂²f/∂a∂b at each point: one backward for the gradient (keeping its
    graph), then one per variable."""
    node, names = _parsed(expr_text)
    values, n = _columns(names, columns)
    tape = build(node, values)
    ones = autograd.Tensor(np.ones_like(tape.output.data))
    first = differentiate(tape.output, tape, values, names, ones, create_graph=True)
    rows: dict[str, dict[str, np.ndarray]] = {}
    for a in names:
        g = first[a]
        seed = autograd.Tensor(np.ones_like(g.data))
        second = differentiate(g, tape, values, names, seed) if g.requires_grad else {}
        rows[a] = {b: np.broadcast_to(np.asarray(second[b].data if b in second else 0.0,
                                                 dtype=np.float64), (n,)).copy()
                   for b in names}
    return rows
