"""`diffcli jacobian`: the Jacobian of several expressions, checked."""

from __future__ import annotations

from typing import Annotated

import typer

from diffcli import render, verify

from ..app import command
from ..options import NO_VALUES, Check, Output, Tolerance, Values
from ..output import at_text, check_notes, checked, emit
from ..values import bind, build, check_shapes, parse, parse_values, variables


@command('diffcli jacobian "x*y" "x + sin(y)" --at x=1 --at y=2')
def jacobian(
    expressions: Annotated[
        list[str], typer.Argument(help="One or more expressions (the rows).", show_default=False)
    ],
    at: Values = NO_VALUES,
    check: Check = None,
    *,
    tolerance: Tolerance,
    out: Output,
) -> int:
    """Jacobian of several expressions: one row per expression, one column per variable.

    By a vector a cell is a block of shape output + variable.
    """
    nodes = [parse(text) for text in expressions]
    values = parse_values(at)
    used = list(dict.fromkeys(name for node in nodes for name in variables(node)))
    names = bind(used, values, None)
    for node, text in zip(nodes, expressions):
        check_shapes(node, values, text)
    matrix = verify.jacobians(nodes, values, names)
    value = [build(node, values, text, requires_grad=False).output.data
             for node, text in zip(nodes, expressions)]
    doc = {"expression": expressions, "at": values, "value": value, "variables": names,
           "jacobian": matrix, "check": None}
    status = checked(doc, check, lambda: verify.check_jacobian(
        nodes, values, matrix, names, **tolerance.as_kwargs()))
    return max(status, emit(doc, out.json, out.strict, _draw))


def _draw(doc: dict) -> None:
    render.show_table(f"Jacobian at {at_text(doc['at'])}", ["", *doc["variables"]],
                      [[text, *row] for text, row in zip(doc["expression"], doc["jacobian"])],
                      check_notes(doc["check"]))
