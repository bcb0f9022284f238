"""`diffcli symbolic`: sympy's derivative as text (and LaTeX)."""

from __future__ import annotations

from typing import Annotated

import typer

from diffcli import render, verify

from ..app import command
from ..errors import BadInput, names_text
from ..options import Expr, Output, Timeout, Wrt
from ..output import emit
from ..values import check_shapes, parse, variables


@command('diffcli symbolic "sin(x)*exp(-y**2)" --wrt x --latex')
def symbolic(
    expression: Expr,
    wrt: Wrt = None,
    latex: Annotated[bool, typer.Option("--latex", help="Also give LaTeX.")] = False,
    check_timeout: Timeout = 10.0,
    *,
    out: Output,
) -> int:
    """Sympy's derivative of the expression, as text (and LaTeX)."""
    node = parse(expression)
    names = variables(node)
    unknown = [name for name in wrt or [] if name not in names]
    if unknown:
        raise BadInput(f"--wrt {names_text(unknown)}: not a variable of the expression")
    # Without values every variable is a number, so @ and the matrix functions do not apply.
    check_shapes(node, dict.fromkeys(names, 0.0), expression,
                 "symbolic takes every variable as a number: ")
    formulas = verify.symbolic_derivatives(node, wrt or names, latex=latex, timeout=check_timeout)
    if formulas.skipped:
        render.warn(f"sympy {formulas.skipped} (allow more with --check-timeout)")
    doc = {"expression": expression, **formulas.to_json()}
    return emit(doc, out.json, out.strict, _draw)


def _draw(doc: dict) -> None:
    rows = [(f"∂/∂{name}", formula) for name, formula in doc["derivative"].items()]
    rows += [(f"LaTeX ∂/∂{name}", text) for name, text in doc.get("latex", {}).items()]
    render.show(doc["expression"], rows)
