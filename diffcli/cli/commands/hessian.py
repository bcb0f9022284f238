"""`diffcli hessian`: the Hessian of a scalar expression, checked."""

from __future__ import annotations

from typing import Any

import numpy as np

from diffcli import render, verify

from ..app import command
from ..batch import BatchJob, PointResult, batch_only, run_batch
from ..options import NO_VALUES, Check, Expr, Output, PointsFile, ResultsFile, Tolerance, Values
from ..output import check_notes, checked, emit, title
from ..values import bind, check_shapes, parse, parse_values, variables


@command('diffcli hessian "x**2*y + y**3" --at x=1 --at y=2')
def hessian(expression: Expr, at: Values = NO_VALUES, points: PointsFile = None,
            output: ResultsFile = None, check: Check = None, *, tolerance: Tolerance,
            out: Output) -> int:
    """Hessian of a scalar expression: every entry in one forward-over-reverse pass.

    The cell of vectors x and y is the block of shape x + y.
    """
    node = parse(expression)
    values = parse_values(at)
    # On by default for one point; a batch is checked only when asked.
    check = check if points is None else bool(check)

    def one(point: dict[str, Any], names: list[str]) -> PointResult:
        value, gradient = verify.gradient(node, point, names)
        matrix = verify.jacobians([node], point, names, second=True)
        doc = {"expression": expression, "at": point, "value": value, "variables": names,
               "gradient": gradient, "hessian": matrix, "check": None}
        return doc, checked(doc, check, lambda: verify.check_hessian(
            node, point, matrix, names, **tolerance.as_kwargs()))

    if points is not None:
        def every(columns: dict[str, np.ndarray], n: int, names: list[str]) -> tuple:
            # Elementwise over the columns: differentiating the sum of a derivative gives
            # each point its own second derivative, one nested pass per pair (symmetric).
            value, gradient = verify.gradient(node, columns, names, batch=n)
            upper = {(a, b): verify.nested_derivative(node, columns, (a, b), elementwise=True)
                     for i, a in enumerate(names) for b in names[i:]}
            matrix = [[upper.get((a, b), upper.get((b, a))) for b in names] for a in names]
            return value, {"variables": names, "gradient": gradient, "hessian": matrix}

        def check_every(columns: dict[str, np.ndarray], names: list[str],
                        fields: dict[str, Any]) -> Any:
            return verify.check_batch(
                node, columns, [(f"{a},{b}", (a, b)) for a in names for b in names],
                [cell for row in fields["hessian"] for cell in row], **tolerance.as_kwargs())

        job = BatchJob(expression, [node], values, None, check, one, every, check_every)
        return run_batch(job, points, out.json, out.strict, output)
    batch_only(output)
    names = bind(variables(node), values, None)
    check_shapes(node, values, expression)
    doc, status = one(values, names)
    return max(status, emit(doc, out.json, out.strict, _draw))


def _draw(doc: dict) -> None:
    names = doc["variables"]
    render.show(title(doc),
                [("value", doc["value"])] + [(f"∂/∂{n}", g) for n, g in doc["gradient"].items()])
    render.show_table("Hessian", ["", *names],
                      [[name, *row] for name, row in zip(names, doc["hessian"])],
                      check_notes(doc["check"]))
