"""sympy's derivatives as text (and LaTeX), for the `symbolic` command, under the
checks' time budget."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from diffcli.expr.tree import Node

from .budget import run_with_budget


@dataclass
class Formulas:
    """sympy's derivative by each name (None when `skipped`), and LaTeX when asked."""

    derivative: dict[str, str | None]
    latex: dict[str, str | None] | None = None
    skipped: str | None = None

    def to_json(self) -> dict:
        """{"derivative", "latex" (only when asked), "skipped"}."""
        doc: dict = {"derivative": self.derivative}
        if self.latex is not None:
            doc["latex"] = self.latex
        doc["skipped"] = self.skipped
        return doc


def symbolic_derivatives(node: Node, names: Sequence[str], *, latex: bool = False,
                         timeout: float = 10.0) -> Formulas:
    """sympy.diff of the expression by each name, under the checks' time budget."""

    def job():
        import sympy

        from diffcli.expr.symbolic import symbol, to_sympy

        expression = to_sympy(node)
        found = {name: sympy.diff(expression, symbol(name)) for name in names}
        return ({name: str(d) for name, d in found.items()},
                {name: sympy.latex(d) for name, d in found.items()} if latex else None)

    result, skipped = run_with_budget(job, timeout)
    if result is None:
        nothing = dict.fromkeys(names)
        return Formulas(nothing, dict(nothing) if latex else None, skipped)
    return Formulas(*result)


def symbolic_taylor(node: Node, point: Mapping[str, float], wrt: str, order: int, *,
                    timeout: float = 10.0) -> tuple[list[float] | None, str | None]:
    """sympy's Taylor coefficients f^(k)(a)/k! of the expression in `wrt` around point[wrt],
    the other variables held at their values: (coefficients 0..order, None) or (None, why
    skipped)."""

    def job():
        import sympy

        from diffcli.expr.symbolic import symbol, to_sympy

        # Each value is the exact rational of its double, so sympy works where we evaluate.
        # c_k = f^(k)(a)/k! from exact derivatives: sympy's series expands the same
        # coefficients symbolically and is far slower (past 40 s at order 10 for exp(sin(x))).
        at = {symbol(name): sympy.Rational(float(value)) for name, value in point.items()}
        f, found = to_sympy(node), []
        for k in range(order + 1):
            c = (f.subs(at) / sympy.factorial(k)).evalf(30)
            found.append(float(c) if c.is_extended_real else math.nan)
            f = sympy.diff(f, symbol(wrt))
        return found

    result, skipped = run_with_budget(job, timeout)
    if skipped == "skipped: timed out":
        skipped += f" ({order} exact derivatives take sympy more than {timeout:g} s)"
    return result, skipped


def check_taylor(node: Node, point: Mapping[str, float], wrt: str, coefficients: Sequence[float],
                 *, timeout: float = 10.0, rtol: float | None = None,
                 atol: float | None = None) -> dict:
    """Taylor coefficients against sympy's series, each within atol + rtol * magnitude:
    {"agree", "symbolic", "max_abs_error", "max_rel_error", "skipped"} (agree None when
    sympy was skipped)."""
    import numpy as np

    from .common import close, plain
    from .judging import Tolerances

    tolerances = Tolerances()
    rtol = tolerances.rtol if rtol is None else rtol
    atol = tolerances.atol if atol is None else atol
    want, skipped = symbolic_taylor(node, point, wrt, len(coefficients) - 1, timeout=timeout)
    if want is None:
        return {"agree": None, "symbolic": None, "max_abs_error": None, "max_rel_error": None,
                "skipped": skipped}
    got, want_array = np.asarray(coefficients, dtype=np.float64), np.asarray(want)
    gap = np.abs(got - want_array)
    with np.errstate(all="ignore"):
        relative = np.where(gap == 0, 0.0, gap / np.maximum(np.abs(got), np.abs(want_array)))
    return {"agree": bool(close(got, want_array, rtol, atol).all()), "symbolic": plain(want),
            "max_abs_error": plain(gap.max()), "max_rel_error": plain(relative.max()),
            "skipped": None}
