"""The sympy witness: exact derivatives and their values at the points, computed in a
forked child that is killed when it runs past its time budget. sympy is imported only
when a check asks for it."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import numpy as np

from diffcli.expr.tree import Node

from .common import has_reduction, sum_to

FORMULA_CHARS = 10_000  # a longer formula is cut here, with "..."

T = TypeVar("T")


def element_lengths(nodes: Sequence[Node], values: Mapping) -> dict[str, int] | None:
    """Per-element symbols are needed only when vectors meet reductions."""
    vectors = {k: int(np.size(v)) for k, v in values.items() if np.ndim(v)}
    return vectors if vectors and any(has_reduction(n) for n in nodes) else None


def _sympy_derivative(f, wrt: Sequence[str], lengths: Mapping | None):
    import sympy

    from diffcli.expr.symbolic import symbol

    def symbols(name):
        size = (lengths or {}).get(name)
        return [symbol(name)] if size is None else [symbol(name, i) for i in range(size)]

    d = sympy.Add(*f) if isinstance(f, list) else f
    for name in wrt[:-1]:
        d = sympy.Add(*(sympy.diff(d, s) for s in symbols(name)))
    last = [sympy.diff(d, s) for s in symbols(wrt[-1])]
    # Away from kinks, which are judged separately, DiracDelta terms are zero.
    last = [e.replace(sympy.DiracDelta, lambda *a: sympy.S.Zero) for e in last]
    return last if (lengths or {}).get(wrt[-1]) else last[0]


def derivative_of(expr, wrt: str):
    """sympy's first derivative of a scalar expression by the variable `wrt`, as the
    witness computes it (DiracDelta terms of kinks dropped)."""
    return _sympy_derivative(expr, (wrt,), None)


def _sympy_number(expr, subs: dict) -> float:
    import sympy

    # xreplace with exact 30-digit Floats, then evalf: evalf(subs=...) gets 0**0 wrong.
    exact = {k: sympy.Float(v, 30) for k, v in subs.items()}
    try:
        value = complex(expr.xreplace(exact).evalf(30))
    except (TypeError, ValueError, ArithmeticError):
        return math.nan
    if not (math.isfinite(value.real) and abs(value.imag) <= 1e-25 * max(1.0, abs(value.real))):
        return math.nan
    return value.real


def _sympy_values(d, point: Mapping, lengths: Mapping | None, last: str) -> np.ndarray:
    """Evaluate a derivative at a point: evalf for scalars, lambdify for batches."""
    import sympy

    from diffcli.expr.symbolic import symbol

    exprs = d if isinstance(d, list) else [d]
    if lengths:
        subs = {symbol(k, i): float(x) for k, v in point.items() if np.ndim(v)
                for i, x in enumerate(np.ravel(v))}
        subs.update({symbol(k): float(v) for k, v in point.items() if not np.ndim(v)})
    elif all(np.ndim(v) == 0 for v in point.values()):
        subs = {symbol(k): float(v) for k, v in point.items()}
    else:
        names = list(point)
        fn = sympy.lambdify([symbol(k) for k in names], exprs, cse=True,
                            modules=[{"erf": np.vectorize(math.erf)}, "numpy"])
        with np.errstate(all="ignore"):
            raw = np.asarray(np.broadcast_arrays(*fn(*(point[k] for k in names)),
                                                 *point.values())[0], dtype=np.float64)
        return sum_to(raw, np.shape(point[last]))
    values = np.array([_sympy_number(e, subs) for e in exprs])
    return values if isinstance(d, list) else values[0]


def symbolic_job(nodes: Sequence[Node], comps: Sequence[tuple[int, tuple[str, ...]]],
                 points: Sequence[Mapping], lengths: Mapping | None) -> list:
    """In the child: formula text and values at each point for each (node index, wrt)."""
    from diffcli.expr.symbolic import to_sympy

    exprs = [to_sympy(n, lengths) for n in nodes]
    out = []
    for index, wrt in comps:
        d = _sympy_derivative(exprs[index], wrt, lengths)
        text = str(d)
        if len(text) > FORMULA_CHARS:
            text = text[:FORMULA_CHARS] + "..."
        out.append((text, [_sympy_values(d, p, lengths, wrt[-1]) for p in points]))
    return out


def run_with_budget(job: Callable[[], T], timeout: float) -> tuple[T | None, str | None]:
    """(result, None) from job() in a forked child, or (None, reason) when it fails or
    runs past `timeout` seconds (the child is then killed). Threads stand in where fork
    is missing; a thread cannot be killed, so there the budget only stops the wait."""
    import multiprocessing  # here, not at the top: a gradient without a check needs none of it

    import diffcli.expr.symbolic  # noqa: F401  (sympy is imported once; children share it)

    if "fork" not in multiprocessing.get_all_start_methods():
        return _run_in_thread(job, timeout)
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def target():
        try:
            result = ("ok", job())
        except BaseException as exc:  # the child reports every failure, then exits
            result = ("error", f"{type(exc).__name__}: {exc}"[:500])
        send.send(result)

    proc = ctx.Process(target=target, daemon=True)
    proc.start()
    send.close()
    try:
        if not receive.poll(timeout):
            return None, "skipped: timed out"
        status, payload = receive.recv()
    except EOFError:
        return None, "skipped: sympy crashed"
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        receive.close()
    return (payload, None) if status == "ok" else (None, f"skipped: sympy failed ({payload})")


def _run_in_thread(job, timeout: float):
    import threading

    box: dict = {}

    def target():
        try:
            box["ok"] = job()
        except BaseException as exc:
            box["error"] = f"{type(exc).__name__}: {exc}"[:500]

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return None, "skipped: timed out"
    if "error" in box:
        return None, f"skipped: sympy failed ({box['error']})"
    return box["ok"], None
