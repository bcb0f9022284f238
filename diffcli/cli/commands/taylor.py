"""`diffcli taylor`: Taylor coefficients f^(k)(a)/k! by Taylor mode, checked by sympy's series."""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
import typer

from diffcli import render, verify
from diffcli.expr import taylor as taylor_mode

from ..app import command
from ..errors import BadInput, ExitStatus
from ..options import NO_VALUES, Check, Expr, Output, Tolerance, Values
from ..output import emit, title
from ..values import bind, check_shapes, only_variable, parse, parse_values, variables


@command('diffcli taylor "exp(sin(x))" --at x=0.7 --order 6 --poly')
def taylor(
    expression: Expr,
    at: Values = NO_VALUES,
    order: Annotated[int, typer.Option("--order", min=0, help="The highest power.")] = 5,
    wrt: Annotated[
        str | None,
        typer.Option("--wrt", help="Expand in NAME (the others held at their --at values). "
                     "Not needed when the expression has one variable.", show_default=False),
    ] = None,
    poly: Annotated[bool, typer.Option("--poly", help="Also give the polynomial.")] = False,
    check: Check = None,
    *,
    tolerance: Tolerance,
    out: Output,
) -> int:
    """Taylor coefficients c_k = f^(k)(a)/k!, k = 0..N, by Taylor mode."""
    node = parse(expression)
    name = wrt or only_variable(variables(node))[0]
    values = parse_values(at)
    bind(variables(node), values, [name])
    check_shapes(node, values, expression)
    if any(np.ndim(v) for v in values.values()):
        raise BadInput("taylor takes scalar --at values")
    derivatives = taylor_mode.derivatives(node, values, name, order)
    coefficients = [float(d) / math.factorial(k) for k, d in enumerate(derivatives)]
    doc = {"expression": expression, "at": values, "value": coefficients[0], "order": order,
           "coefficients": coefficients}
    if poly:
        doc["polynomial"] = polynomial(coefficients, name, float(values[name]))
    doc["check"] = None if check is False else verify.check_taylor(
        node, values, name, coefficients, **tolerance.as_kwargs())
    status = ExitStatus.CHECK_FAILED if doc["check"] is not None and doc["check"]["agree"] is False else ExitStatus.OK
    return max(status, emit(doc, out.json, out.strict, _draw))


def polynomial(coefficients: list[float], name: str, at: float) -> str:
    """c0 + c1*(x - a) + c2*(x - a)**2 + ..., zero terms left out."""
    shift = name if at == 0 else f"({name} - {render.number(at)})" if at > 0 else \
        f"({name} + {render.number(-at)})"
    terms = []
    for k, c in enumerate(coefficients):
        if c == 0 and k:
            continue
        power = "" if k == 0 else f"*{shift}" if k == 1 else f"*{shift}**{k}"
        terms.append(f"{render.number(c)}{power}")
    return " + ".join(terms).replace("+ -", "- ")


def _draw(doc: dict) -> None:
    rows = [(f"c{k}", c) for k, c in enumerate(doc["coefficients"])]
    if "polynomial" in doc:
        rows.append(("polynomial", doc["polynomial"]))
    check = doc["check"]
    notes = [] if check is None else [
        f"check: sympy {check['skipped']}" if check["agree"] is None else
        f"check: {'agrees' if check['agree'] else 'does not agree'} with sympy's series (max "
        f"error: abs {render.number(check['max_abs_error'])}, rel "
        f"{render.number(check['max_rel_error'])})"]
    render.show(title(doc), rows, notes)
