"""`diffcli jvp`: a directional derivative (Jacobian-vector product) by forward mode, checked."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import typer

from diffcli import render, verify

from ..app import command
from ..errors import BadInput
from ..options import NO_VALUES, Check, Expr, Output, Tolerance, Values
from ..output import check_notes, checked, emit, title
from ..values import bind, check_shapes, names_text, parse, parse_values, variables


@command('diffcli jvp "x**2*y + sin(y)" --at x=1 --at y=2 --direction x=1,y=0')
def jvp(
    expression: Expr,
    at: Values = NO_VALUES,
    direction: Annotated[
        list[str] | None,
        typer.Option("--direction", help="NAME=VALUE: the tangent of each variable (a vector "
                     "for a vector variable); a variable left out is held fixed.",
                     show_default=False),
    ] = None,
    check: Check = None,
    *,
    tolerance: Tolerance,
    out: Output,
) -> int:
    """Directional derivative d/dt f(v + t·d) at t = 0 by forward mode, one pass.

    By vectors it has the output's shape. The check compares it, and reverse mode's
    gradient·direction, with sympy and finite differences along the direction.
    """
    node = parse(expression)
    values = parse_values(at)
    names = bind(variables(node), values, None)
    check_shapes(node, values, expression)
    given = parse_values(direction, "--direction")
    if not given:
        raise BadInput("--direction is needed: e.g. --direction x=1,y=0")
    unknown = [name for name in given if name not in names]
    if unknown:
        raise BadInput(f"--direction {names_text(unknown)}: not a variable of the expression")
    tangents = {}
    for name in names:
        shape = np.shape(values[name])
        d = np.asarray(given.get(name, 0.0), dtype=np.float64)
        try:
            tangents[name] = np.broadcast_to(d, shape).copy()
        except ValueError:
            raise BadInput(f"--direction {name} has shape {list(d.shape)}, but {name} has "
                           f"shape {list(shape)}") from None
    value, result = verify.directional(node, values, tangents)
    doc = {"expression": expression, "at": values, "value": value, "direction": given,
           "jvp": result, "check": None}
    status = checked(doc, check, lambda: verify.check_jvp(
        node, values, tangents, result, verify.gradient_along(node, values, tangents),
        **tolerance.as_kwargs()))
    return max(status, emit(doc, out.json, out.strict, _draw))


def _draw(doc: dict) -> None:
    along = ", ".join(f"{name} = {render.number(d) if np.ndim(d) == 0 else d}"
                      for name, d in doc["direction"].items())
    render.show(title(doc), [("value", doc["value"]), (f"along {along}", doc["jvp"])],
                ["by forward mode", *check_notes(doc["check"])])
