"""The sympy witness: exact derivatives and their values at the points, as jobs for a
child under a time budget (diffcli.verify.budget). sympy is imported only when a job
runs, not when this module is."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from diffcli.expr.tree import Node, has_reduction

if TYPE_CHECKING:
    import numpy as np

FORMULA_CHARS = 10_000  # a longer formula is cut here, with "..."
# Entries of all array variables together past which sympy is not given one symbol per
# entry. Measured for least squares sum((W@X - Y)**2) over element symbols, on the shared
# machine: 3x3 matrices (27 entries) 1.0 s, 4x4 (48) 2.3 s, 5x5 (75) 7.5 s, 6x6 (108)
# 10.7 s, past the check's 10 s. What expands faster (logdet of a product of 3x3
# matrices: 90 s) is still stopped by the timeout.
ELEMENT_BUDGET = 64

def element_shapes(nodes: Sequence[Node], values: Mapping,
                   elementwise: bool) -> dict[str, tuple[int, ...]] | None:
    """{name: shape} of the array variables that get one symbol per entry: all of them
    for full derivatives, and only where arrays meet reductions (or matrix functions) when
    an elementwise expression's vectors are a batch of points."""
    arrays = _array_shapes(values)
    if elementwise and not any(has_reduction(n) for n in nodes):
        return None
    return arrays or None


def _array_shapes(values: Mapping) -> dict[str, tuple[int, ...]]:
    """{name: shape} of the values that are arrays. A point of numbers has none and is
    read without numpy, which sympy's worker, forked before numpy loads, then never imports."""
    if all(isinstance(v, (int, float)) for v in values.values()):
        return {}
    import numpy as np

    return {k: tuple(np.shape(v)) for k, v in values.items() if np.ndim(v)}


def _symbols(name: str, shapes: Mapping | None) -> list:
    """The variable's symbols, entry by entry in C order (one for a number)."""
    from diffcli.expr.symbolic import symbol, symbols

    shape = (shapes or {}).get(name)
    return list(symbols(name, shape).ravel()) if shape else [symbol(name)]


def _nest(flat: list, shape: tuple[int, ...]):
    """A flat list (C order) as nested lists of `shape`; its one item for shape ()."""
    if not shape:
        return flat[0]
    step = len(flat) // shape[0]
    return [_nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def _flat(f) -> list:
    """The entries of nested lists (or one expression) in C order."""
    return [e for item in f for e in _flat(item)] if isinstance(f, list) else [f]


def _no_dirac(d):
    import sympy

    # Away from kinks, which are judged separately, DiracDelta terms are zero.
    return d.replace(sympy.DiracDelta, lambda *a: sympy.S.Zero)


def _derivative_of_sums(f, wrt: Sequence[str], shapes: Mapping | None):
    """The derivative of sum(f) by wrt[0], then of the sum of that by wrt[1], ..."""
    import sympy

    d = sympy.Add(*_flat(f))
    for name in wrt[:-1]:
        d = sympy.Add(*(sympy.diff(d, s) for s in _symbols(name, shapes)))
    last = [_no_dirac(sympy.diff(d, s)) for s in _symbols(wrt[-1], shapes)]
    return _nest(last, (shapes or {}).get(wrt[-1], ()))


def derivative_of(expr, wrt: str):
    """sympy's first derivative of a scalar expression by the variable `wrt`, as the
    witness computes it (DiracDelta terms of kinks dropped)."""
    return _derivative_of_sums(expr, (wrt,), None)


def _full_derivative(f, wrt: Sequence[str], shapes: Mapping | None):
    """The full derivative as nested lists: f's shape, then each variable's shape in wrt."""
    import sympy

    if isinstance(f, list):
        return [_full_derivative(item, wrt, shapes) for item in f]
    if not wrt:
        return _no_dirac(f)
    name, rest = wrt[0], wrt[1:]
    found = [_full_derivative(sympy.diff(f, s), rest, shapes) for s in _symbols(name, shapes)]
    return _nest(found, (shapes or {}).get(name, ()))


def _sympy_number(expr, exact: dict) -> float:
    """The expression's value with `exact` (symbol -> 30-digit Float) put in."""
    # xreplace with exact 30-digit Floats, then evalf: evalf(subs=...) gets 0**0 wrong.
    try:
        value = complex(expr.xreplace(exact).evalf(30))
    except (TypeError, ValueError, ArithmeticError):
        return math.nan
    if not (math.isfinite(value.real) and abs(value.imag) <= 1e-25 * max(1.0, abs(value.real))):
        return math.nan
    return value.real


def _sympy_values(d, point: Mapping, shapes: Mapping | None, last: str) -> np.ndarray:
    """Evaluate a derivative at a point: exactly by evalf at one point (entry by entry with
    `shapes`), by lambdify at a column of independent points."""
    import sympy

    from diffcli.expr.symbolic import lambdify_modules, symbol

    if not shapes and all(type(v) is float for v in point.values()):
        # A point of plain numbers, as a one-point check sends to sympy's worker (forked
        # before numpy loads): the same exact values, without importing numpy there.
        exact = {symbol(k): sympy.Float(v, 30) for k, v in point.items()}
        return _nested(lambda e: _sympy_number(e, exact), d)
    import numpy as np

    from .common import sum_to

    if not shapes and any(np.ndim(v) for v in point.values()):
        names = list(point)
        fn = sympy.lambdify([symbol(k) for k in names], d if isinstance(d, list) else [d],
                            cse=True, modules=lambdify_modules())
        with np.errstate(all="ignore"):
            raw = np.asarray(np.broadcast_arrays(*fn(*(point[k] for k in names)),
                                                 *point.values())[0], dtype=np.float64)
        return sum_to(raw, np.shape(point[last]))
    subs = {symbol(k): float(v) for k, v in point.items() if not np.ndim(v)}
    subs.update({symbol(k, index): float(np.asarray(v)[index]) for k, v in point.items()
                 if np.ndim(v) for index in np.ndindex(np.shape(v))})
    # Made once per point: an expression per element of a Jacobian would remake them each.
    exact = {k: sympy.Float(v, 30) for k, v in subs.items()}
    return np.array(_nested(lambda e: _sympy_number(e, exact), d))


def _nested(fn, d):
    return [_nested(fn, item) for item in d] if isinstance(d, list) else fn(d)


def symbolic_job(nodes: Sequence[Node], comps: Sequence[tuple[int, tuple[str, ...]]],
                 points: Sequence[Mapping], shapes: Mapping | None,
                 elementwise: bool = False, against: Against | None = None) -> list:
    """In the child: formula text and values at each point for each (node index, wrt);
    the full derivative, or with `elementwise` that of the sum of each order. `shapes`
    (from element_shapes) gives the array variables one symbol per entry.

    With `against` (autograd's value of each component, rtol, atol), each point is a
    column of independent points: one float formula evaluates all of them, and where it
    has no number or differs from autograd, the point is evaluated exactly, as alone."""
    import sympy

    from diffcli.expr.symbolic import to_sympy

    exprs = [to_sympy(n, shapes) for n in nodes]
    if any(_nested_has(e, sympy.nan) for e in exprs):
        # 0**(pi/0) is 0 in floating point but nan to sympy, and x + nan is nan: its
        # derivative (0) would then contradict a right gradient (1).
        raise ValueError("sympy reads part of the expression as nan, so its derivative "
                         "says nothing")
    differentiate = _derivative_of_sums if elementwise else _full_derivative
    out = []
    for k, (index, wrt) in enumerate(comps):
        d = differentiate(exprs[index], wrt, shapes)
        text = str(d)
        if len(text) > FORMULA_CHARS:
            text = text[:FORMULA_CHARS] + "..."
        found = [_sympy_values(d, p, shapes, wrt[-1]) for p in points]
        if against is not None:
            found = [_exact_where_off(d, p, v, against[0][k], *against[1:], wrt[-1])
                     for p, v in zip(points, found)]
        out.append((text, found))
    return out


def _nested_has(expr, atom) -> bool:
    """Whether a sympy expression, or any entry of a nested list of them, contains atom."""
    if isinstance(expr, list):
        return any(_nested_has(e, atom) for e in expr)
    return expr.has(atom)


def witness_job(nodes: Sequence[Node], comps: Sequence[tuple[int, tuple[str, ...]]],
                point: Mapping, elementwise: bool) -> tuple[list, str | None]:
    """In the child: per (node index, wrt), (formula text, value at the point, closed)
    or None, and why some have none. A first derivative of a scalar expression of
    matrices is sympy's matrix calculus where it answers (closed=True: the text is the
    closed form); the rest go over element symbols while the arrays hold at most
    ELEMENT_BUDGET entries together."""
    shapes = element_shapes(nodes, point, elementwise)
    out: list = [None] * len(comps)
    if shapes:
        for k, (index, wrt) in enumerate(comps):
            out[k] = matrix_derivative(nodes[index], wrt, point)
    rest = [k for k, found in enumerate(out) if found is None]
    size = sum(math.prod(shape) for shape in _array_shapes(point).values())
    if rest and shapes and size > ELEMENT_BUDGET:
        return out, (f"skipped: too large for the symbolic witness ({size} elements, "
                     f"budget {ELEMENT_BUDGET})")
    if rest:
        found = symbolic_job(nodes, [comps[k] for k in rest], [point], shapes, elementwise)
        for k, (text, values) in zip(rest, found):
            out[k] = (text, values[0], False)
    return out, None


def matrix_derivative(node: Node, wrt: Sequence[str], point: Mapping):
    """(closed form, its value at the point, True) of d node / d wrt[0] by sympy's matrix
    calculus, or None where the expression has no matrix form or sympy's answer is not
    a matrix expression of the variable's shape."""
    import numpy as np
    import sympy

    from diffcli.expr.symbolic import matrix_terms

    if len(wrt) != 1 or np.ndim(point[wrt[0]]) not in (1, 2):
        return None
    shapes = {k: tuple(np.shape(v)) for k, v in point.items()}
    terms = matrix_terms(node, shapes)
    if terms is None:
        return None
    shape = shapes[wrt[0]]
    var = sympy.MatrixSymbol(wrt[0], shape[0], shape[1] if len(shape) == 2 else 1)
    parts = []
    for coefficient, term in terms:
        if var not in term.free_symbols:
            continue
        d = term.diff(var)
        # sympy answers 0, an unevaluated Derivative or an array expression where it fails.
        if not (getattr(d, "is_MatrixExpr", False) and d.shape == var.shape) or d.is_ZeroMatrix \
                or d.has(sympy.Derivative):
            return None
        parts.append(coefficient * d)
    if not parts:
        return "0", np.zeros(shape), True
    closed = sympy.MatAdd(*parts).doit()
    matrices = sorted(closed.free_symbols, key=str)
    fn = sympy.lambdify(matrices, closed, "numpy")
    with np.errstate(all="ignore"):
        value = fn(*(np.asarray(point[m.name], dtype=np.float64).reshape(m.shape)
                     for m in matrices))
    return str(closed), np.asarray(value, dtype=np.float64).reshape(shape), True


# (autograd's values, one array per component; rtol; atol)
Against = tuple[Sequence[Any], float, float]
# Points of a batch evaluated exactly, per component: past this many, a batch whose float
# formula differs from autograd almost everywhere (a wrong derivative) keeps float values.
MAX_EXACT = 1000


def _exact_where_off(d, columns: Mapping, found: np.ndarray, autograd: np.ndarray,
                     rtol: float, atol: float, last: str) -> np.ndarray:
    """`found` (floats at a column of points), evaluated exactly where it has no number
    or is not within rtol/atol of autograd: there float rounding of the formula may be
    the gap, and a single point is judged by exact values."""
    import numpy as np

    from .common import close

    off = np.flatnonzero(~np.isfinite(found) | ~close(found, autograd, rtol, atol))
    found = np.array(found, dtype=np.float64)
    for i in off[:MAX_EXACT].tolist():
        found[i] = _sympy_values(d, {k: float(v[i]) for k, v in columns.items()}, None, last)
    return found
