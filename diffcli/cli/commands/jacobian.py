"""`diffcli jacobian`: the Jacobian of several expressions, checked."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import typer

from diffcli import render, verify

from ..app import command
from ..batch import BatchJob, PointResult, batch_only, run_batch
from ..options import NO_VALUES, Check, Output, PointsFile, ResultsFile, Tolerance, Values
from ..output import at_text, check_notes, checked, emit
from ..values import bind, build, check_shapes, parse, parse_values, variables


@command('diffcli jacobian "x*y" "x + sin(y)" --at x=1 --at y=2')
def jacobian(
    expressions: Annotated[
        list[str], typer.Argument(help="One or more expressions (the rows).", show_default=False)
    ],
    at: Values = NO_VALUES,
    points: PointsFile = None,
    output: ResultsFile = None,
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
    # On by default for one point; a batch is checked only when asked.
    check = check if points is None else bool(check)

    def one(point: dict[str, Any], names: list[str]) -> PointResult:
        matrix = verify.jacobians(nodes, point, names)
        value = [build(node, point, text, requires_grad=False).output.data
                 for node, text in zip(nodes, expressions)]
        doc = {"expression": expressions, "at": point, "value": value, "variables": names,
               "jacobian": matrix, "check": None}
        return doc, checked(doc, check, lambda: verify.check_jacobian(
            nodes, point, matrix, names, **tolerance.as_kwargs()))

    if points is not None:
        def every(columns: dict[str, np.ndarray], n: int, names: list[str]) -> tuple:
            # Elementwise over the columns: one reverse pass per row gives each point its row.
            rows = [verify.gradient(node, columns, names, batch=n) for node in nodes]
            value = np.stack([row_value for row_value, _ in rows], axis=1)
            matrix = [[gradient[name] for name in names] for _, gradient in rows]
            return value, {"variables": names, "jacobian": matrix}

        # A checked batch goes point by point: the batch check takes one expression.
        job = BatchJob(expressions, nodes, values, None, check, one, every)
        return run_batch(job, points, out.json, out.strict, output)
    batch_only(output)
    used = list(dict.fromkeys(name for node in nodes for name in variables(node)))
    names = bind(used, values, None)
    for node, text in zip(nodes, expressions):
        check_shapes(node, values, text)
    doc, status = one(values, names)
    return max(status, emit(doc, out.json, out.strict, _draw))


def _draw(doc: dict) -> None:
    render.show_table(f"Jacobian at {at_text(doc['at'])}", ["", *doc["variables"]],
                      [[text, *row] for text, row in zip(doc["expression"], doc["jacobian"])],
                      check_notes(doc["check"]))
