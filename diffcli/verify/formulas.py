"""sympy's derivatives as text (and LaTeX), for the `symbolic` command, under the
checks' time budget."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from diffcli.expr.tree import Node

from .sympy_witness import run_with_budget


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
