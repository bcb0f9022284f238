"""`diffcli hessian`: the Hessian of a scalar expression, checked."""

from __future__ import annotations

from diffcli import render, verify

from ..app import command
from ..options import NO_VALUES, Check, Expr, Output, Tolerance, Values
from ..output import check_notes, checked, emit, title
from ..values import bind, check_shapes, parse, parse_values, variables


@command('diffcli hessian "x**2*y + y**3" --at x=1 --at y=2')
def hessian(expression: Expr, at: Values = NO_VALUES, check: Check = None, *, tolerance: Tolerance,
            out: Output) -> int:
    """Hessian of a scalar expression: every entry in one forward-over-reverse pass.

    The cell of vectors x and y is the block of shape x + y.
    """
    node = parse(expression)
    values = parse_values(at)
    names = bind(variables(node), values, None)
    check_shapes(node, values, expression)
    value, gradient = verify.gradient(node, values, names)
    matrix = verify.jacobians([node], values, names, second=True)
    doc = {"expression": expression, "at": values, "value": value, "variables": names,
           "gradient": gradient, "hessian": matrix, "check": None}
    status = checked(doc, check, lambda: verify.check_hessian(
        node, values, matrix, names, **tolerance.as_kwargs()))
    return max(status, emit(doc, out.json, out.strict, _draw))


def _draw(doc: dict) -> None:
    names = doc["variables"]
    render.show(title(doc),
                [("value", doc["value"])] + [(f"∂/∂{n}", g) for n, g in doc["gradient"].items()])
    render.show_table("Hessian", ["", *names],
                      [[name, *row] for name, row in zip(names, doc["hessian"])],
                      check_notes(doc["check"]))
