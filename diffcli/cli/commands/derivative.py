"""`diffcli derivative`: an n-th derivative or mixed partial by nested grad(create_graph=True)."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import typer

from diffcli import render, verify

from ..app import command
from ..batch import BatchJob, PointResult, batch_only, run_batch
from ..errors import BadInput, names_text
from ..options import At, Check, Expr, Output, PointsFile, ResultsFile, Tolerance
from ..output import check_notes, checked, emit, title
from ..values import bind, build, parse, parse_values, variables


@command('diffcli derivative "sin(x)*y**2" --wrt x --wrt y --at x=1 --at y=2')
def derivative(
    expression: Expr,
    at: At = None,
    wrt: Annotated[
        list[str] | None,
        typer.Option("--wrt", help="Differentiate by NAME; repeat for a mixed partial (in order). "
                     "Not needed when the expression has one variable.", show_default=False),
    ] = None,
    order: Annotated[int, typer.Option("--order", min=1, help="Repeat a single --wrt N times.")] = 1,
    points: PointsFile = None,
    output: ResultsFile = None,
    check: Check = None,
    *,
    tolerance: Tolerance,
    out: Output,
) -> int:
    """An n-th derivative or mixed partial, by nested grad(create_graph=True).

    By vectors it has the shape output + each variable's.
    """
    node = parse(expression)
    wrt = wrt or _only_variable(variables(node))
    if order > 1 and len(wrt) > 1:
        raise BadInput("--order repeats a single --wrt; for a mixed partial give each --wrt in "
                       "order (e.g. --wrt x --wrt x --wrt y)")
    sequence = list(wrt) * order
    values = parse_values(at)
    # On by default for one point; a batch is checked only when asked.
    check = check if points is None else bool(check)

    def one(point: dict[str, Any], _targets: list[str]) -> PointResult:
        value = build(node, point, expression, requires_grad=False).output.data
        result = verify.nested_derivative(node, point, sequence)
        doc = {"expression": expression, "at": point, "value": value, "wrt": sequence,
               "derivative": result, "check": None}
        return doc, checked(doc, check, lambda: verify.check_derivative(
            node, point, sequence, result, **tolerance.as_kwargs()))

    if points is not None:
        def every(columns: dict[str, np.ndarray], n: int, _targets: list[str]) -> tuple:
            # An elementwise expression over columns: each point its own derivative.
            value = np.broadcast_to(build(node, columns, requires_grad=False).output.data, (n,))
            return value, {"wrt": sequence, "derivative": verify.nested_derivative(
                node, columns, sequence, elementwise=True)}

        job = BatchJob(expression, node, values, sequence, check, one, every)
        return run_batch(job, points, out.json, out.strict, output)
    batch_only(output)
    bind(variables(node), values, sequence)
    doc, status = one(values, sequence)
    return max(status, emit(doc, out.json, out.strict, _draw))


def _only_variable(names: list[str]) -> list[str]:
    """Without --wrt, the expression's one variable."""
    if len(names) == 1:
        return names
    if not names:
        raise BadInput("the expression has no variables: every derivative of a constant is 0")
    raise BadInput(f"--wrt is needed: the expression has the variables {names_text(names)}")


def _draw(doc: dict) -> None:
    rows = [("value", doc["value"]), (render.derivative_label(doc["wrt"]), doc["derivative"])]
    render.show(title(doc), rows, check_notes(doc["check"]))
