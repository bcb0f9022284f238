"""`diffcli grad`: the gradient of a scalar expression by reverse mode, checked."""

from __future__ import annotations

from typing import Any

import numpy as np

from diffcli import render, verify

from ..app import command
from ..batch import BatchJob, PointResult, batch_only, run_batch
from ..options import (
    NO_VALUES,
    Check,
    Expr,
    Output,
    PointsFile,
    ResultsFile,
    Tolerance,
    Values,
    Wrt,
)
from ..output import check_notes, checked, emit, title
from ..values import bind, check_shapes, parse, parse_values, variables


@command('diffcli grad "x**3 + y**2" --at x=2 --at y=3')
def grad(expression: Expr, at: Values = NO_VALUES, wrt: Wrt = None, points: PointsFile = None,
         output: ResultsFile = None, check: Check = None, *, tolerance: Tolerance,
         out: Output) -> int:
    """Gradient of a scalar expression by reverse mode."""
    node = parse(expression)
    values = parse_values(at)
    # On by default for one point; a batch is checked only when asked.
    check = check if points is None else bool(check)

    def one(point: dict[str, Any], targets: list[str], explain: bool = False) -> PointResult:
        value, gradient = verify.gradient(node, point, targets)
        if explain:  # for a person looking at one point, not for each point of a batch
            _explain_nonfinite(node, point, targets, expression, gradient)
        doc = {"expression": expression, "at": point, "value": value, "gradient": gradient,
               "check": None}
        return doc, checked(doc, check, lambda: verify.check_gradient(
            node, point, gradient, targets, **tolerance.as_kwargs()))

    if points is not None:
        def every(columns: dict[str, np.ndarray], n: int, targets: list[str]) -> tuple:
            value, gradient = verify.gradient(node, columns, targets, batch=n)
            return value, {"gradient": gradient}

        def check_every(columns: dict[str, np.ndarray], targets: list[str],
                        fields: dict[str, Any]) -> Any:
            return verify.check_batch(node, columns, [(name, (name,)) for name in targets],
                                      [fields["gradient"][name] for name in targets],
                                      **tolerance.as_kwargs())

        job = BatchJob(expression, [node], values, wrt, check, one, every, check_every)
        return run_batch(job, points, out.json, out.strict, output)
    batch_only(output)
    targets = bind(variables(node), values, wrt)
    check_shapes(node, values, expression)
    if not targets:  # a constant: nothing to check
        check = False
    doc, status = one(values, targets, explain=True)
    return max(status, emit(doc, out.json, out.strict, _draw))


def _explain_nonfinite(node: Any, values: dict[str, Any], targets: list[str], text: str,
                       gradient: dict[str, Any]) -> None:
    """Say which operation's backward first made a gradient inf or nan, for a person to look at."""
    if all(np.all(np.isfinite(g)) for g in gradient.values()):
        return
    origin = verify.nonfinite_origin(node, values, targets, text)
    if origin:
        render.warn(f"the gradient is not finite: {origin}")


def _draw(doc: dict) -> None:
    rows = [("value", doc["value"])]
    rows += [(f"∂/∂{name}", grad) for name, grad in doc["gradient"].items()]
    notes = check_notes(doc["check"])
    if not doc["gradient"]:
        notes.append("the expression has no variables, so its gradient is empty")
    render.show(title(doc), rows, notes)
