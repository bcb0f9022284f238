"""`diffcli derivative`: an n-th derivative by Taylor mode, or a mixed partial (or one of a
reduction or of vector values) by nested grad(create_graph=True)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import numpy as np
import typer

from diffcli import render, verify
from diffcli.expr import taylor

from ..app import command
from ..batch import BatchJob, PointResult, batch_only, run_batch
from ..errors import BadInput
from ..options import NO_VALUES, Check, Expr, Output, PointsFile, ResultsFile, Tolerance, Values
from ..output import check_notes, checked, emit, title
from ..values import bind, build, check_shapes, only_variable, parse, parse_values, variables


class Method(str, Enum):
    auto = "auto"
    taylor = "taylor"
    nested = "nested"


@command('diffcli derivative "sin(x)*y**2" --wrt x --wrt y --at x=1 --at y=2')
def derivative(
    expression: Expr,
    at: Values = NO_VALUES,
    wrt: Annotated[
        list[str] | None,
        typer.Option("--wrt", help="Differentiate by NAME; repeat for a mixed partial (in order). "
                     "Not needed when the expression has one variable.", show_default=False),
    ] = None,
    order: Annotated[int, typer.Option("--order", min=1, help="Repeat a single --wrt N times.")] = 1,
    method: Annotated[
        Method,
        typer.Option("--method", help="taylor: Taylor mode, O(n^2) at order n, for a pure n-th "
                     "derivative of an elementwise expression at scalar values; nested: nested "
                     "grad, any derivative; auto: taylor where it applies."),
    ] = Method.auto,
    points: PointsFile = None,
    output: ResultsFile = None,
    check: Check = None,
    *,
    tolerance: Tolerance,
    out: Output,
) -> int:
    """An n-th derivative by Taylor mode, or a mixed partial by nested grad(create_graph=True).

    By vectors it has the shape output + each variable's.
    """
    node = parse(expression)
    wrt = wrt or only_variable(variables(node))
    if order > 1 and len(wrt) > 1:
        raise BadInput("--order repeats a single --wrt; for a mixed partial give each --wrt in "
                       "order (e.g. --wrt x --wrt x --wrt y)")
    sequence = list(wrt) * order
    pure = len(set(sequence)) == 1 and taylor.elementwise(node)
    if method is Method.taylor and not pure:
        raise BadInput("--method taylor takes an n-th derivative by one variable of an "
                       "elementwise expression; use --method nested")
    values = parse_values(at)
    # On by default for one point; a batch is checked only when asked.
    check = check if points is None else bool(check)

    def one(point: dict[str, Any], _targets: list[str]) -> PointResult:
        value = build(node, point, expression, requires_grad=False).output.data
        scalar = all(np.ndim(v) == 0 for v in point.values())
        if method is Method.taylor and not scalar:
            raise BadInput("--method taylor takes scalar values; use --method nested")
        if pure and scalar and method is not Method.nested:
            used, result = "taylor", taylor.derivatives(node, point, sequence[0], order)[-1]
        else:
            used, result = "nested", verify.nested_derivative(node, point, sequence)
        doc = {"expression": expression, "at": point, "value": value, "wrt": sequence,
               "derivative": result, "method": used, "check": None}
        return doc, checked(doc, check, lambda: verify.check_derivative(
            node, point, sequence, result, **tolerance.as_kwargs()))

    if points is not None:
        def every(columns: dict[str, np.ndarray], n: int, _targets: list[str]) -> tuple:
            # An elementwise expression over columns: each point its own derivative.
            value = np.broadcast_to(build(node, columns, requires_grad=False).output.data, (n,))
            if pure and method is not Method.nested:
                result = taylor.derivatives(node, columns, sequence[0], order)[-1]
                return value, {"wrt": sequence, "derivative": np.broadcast_to(result, (n,)),
                               "method": "taylor"}
            return value, {"wrt": sequence, "derivative": verify.nested_derivative(
                node, columns, sequence, elementwise=True), "method": "nested"}

        def check_every(columns: dict[str, np.ndarray], _targets: list[str],
                        fields: dict[str, Any]) -> Any:
            return verify.check_batch(node, columns, [(",".join(sequence), tuple(sequence))],
                                      [fields["derivative"]], **tolerance.as_kwargs())

        job = BatchJob(expression, [node], values, sequence, check, one, every, check_every)
        return run_batch(job, points, out.json, out.strict, output)
    batch_only(output)
    bind(variables(node), values, sequence)
    check_shapes(node, values, expression)
    doc, status = one(values, sequence)
    return max(status, emit(doc, out.json, out.strict, _draw))


def _draw(doc: dict) -> None:
    rows = [("value", doc["value"]), (render.derivative_label(doc["wrt"]), doc["derivative"])]
    notes = [f"by {'Taylor mode' if doc['method'] == 'taylor' else 'nested grad'}",
             *check_notes(doc["check"])]
    render.show(title(doc), rows, notes)
