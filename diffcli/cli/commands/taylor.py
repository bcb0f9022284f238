"""`diffcli taylor`: Taylor coefficients f^(k)(a)/k! by Taylor mode, checked by sympy's series."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import typer

from diffcli import render, verify
from diffcli.expr import taylor as taylor_mode

from ..app import command
from ..batch import BatchJob, PointResult, batch_only, run_batch
from ..errors import BadInput, ExitStatus
from ..options import NO_VALUES, Check, Expr, Output, PointsFile, ResultsFile, Tolerance, Values
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
    points: PointsFile = None,
    output: ResultsFile = None,
    check: Check = None,
    *,
    tolerance: Tolerance,
    out: Output,
) -> int:
    """Taylor coefficients c_k = f^(k)(a)/k!, k = 0..N, by Taylor mode."""
    node = parse(expression)
    name = wrt or only_variable(variables(node))[0]
    values = parse_values(at)
    # On by default for one point; a batch is checked only when asked.
    check = check if points is None else bool(check)

    def one(point: dict[str, Any], _targets: list[str]) -> PointResult:
        if any(np.ndim(v) for v in point.values()):
            raise BadInput("taylor takes scalar --at values")
        coefficients = [float(c) for c in taylor_mode.coefficients(node, point, name, order)]
        doc = {"expression": expression, "at": point, "value": coefficients[0], "order": order,
               "coefficients": coefficients}
        if poly:
            doc["polynomial"] = polynomial(coefficients, name, float(point[name]))
        doc["check"] = None if check is False else verify.check_taylor(
            node, point, name, coefficients, **tolerance.as_kwargs())
        failed = doc["check"] is not None and doc["check"]["agree"] is False
        return doc, ExitStatus.CHECK_FAILED if failed else ExitStatus.OK

    if points is not None:
        def every(columns: dict[str, np.ndarray], n: int, _targets: list[str]) -> tuple:
            # An elementwise expression over columns: each point its own series, one pass.
            table = np.stack([np.broadcast_to(c, (n,)) for c in taylor_mode.coefficients(
                node, columns, name, order)], axis=1)
            fields: dict[str, Any] = {"order": order, "coefficients": table}
            if poly:
                fields["polynomial"] = np.array([polynomial(row.tolist(), name, float(at))
                                                 for row, at in zip(table, columns[name])])
            return table[:, 0], fields

        job = BatchJob(expression, [node], values, [name], check, one, every)
        return run_batch(job, points, out.json, out.strict, output)
    batch_only(output)
    bind(variables(node), values, [name])
    check_shapes(node, values, expression)
    doc, status = one(values, [name])
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
