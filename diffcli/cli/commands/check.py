"""`diffcli check`: verify hand-derived partial derivatives, naming each wrong one."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import typer

from diffcli import render, verify

from ..app import command
from ..batch import BatchJob, PointResult, batch_only, run_batch
from ..errors import BadInput, ExitStatus, names_text
from ..options import (
    NO_VALUES,
    Expr,
    Output,
    PointsFile,
    ProofTimeout,
    ResultsFile,
    Tolerance,
    Values,
)
from ..output import VERDICT_WORDS, emit, judged_derivative, shown, title
from ..values import bind, check_shapes, parse, parse_values, split_assignments, variables


@command('diffcli check "x**3 + y**2" --grad x=3*x**2 --grad y=2*y --at x=2 --at y=3')
def check(
    expression: Expr,
    grad: Annotated[
        list[str],
        typer.Option("--grad", help="A hand-derived partial: --grad x=FORMULA (repeatable).",
                     show_default=False),
    ],
    at: Values = NO_VALUES,
    points: PointsFile = None,
    output: ResultsFile = None,
    proof_timeout: ProofTimeout = verify.PROOF_TIMEOUT,
    *,
    tolerance: Tolerance,
    out: Output,
) -> int:
    """Verify hand-derived partial derivatives at the point and at random points of the domain.

    A component that agrees everywhere is then proven by sympy when it can be. Exit 1 when
    a component is wrong, naming it with the right value, sympy's formula and the usual
    mistake it is (a claim of another shape, the transpose, a constant factor, right only
    for symmetric matrices, a term left out). With --points each line's point is judged on
    its own, and each claim's proof is tried once.
    """
    node = parse(expression)
    values = parse_values(at)
    names = variables(node) if points is not None else bind(variables(node), values, None)
    if points is None:
        check_shapes(node, values, expression)
    claims = {}
    for name, text in split_assignments(grad, "--grad"):
        if name in claims:
            raise BadInput(f"--grad gives '{name}' twice")
        if name not in names:
            raise BadInput(f"--grad {name}: '{name}' is not a variable of the expression")
        claims[name] = parse(text)
        # A batch's points give the expression's variables; --at gives the rest.
        known = {*values, *(names if points is not None else ())}
        stray = [v for v in variables(claims[name]) if v not in known]
        if stray:
            raise BadInput(f"--grad {name}: the formula uses {names_text(stray)}, which "
                           f"{'has' if len(stray) == 1 else 'have'} no value")
        if points is None:
            check_shapes(claims[name], values, text, f"--grad {name}: ")
    kwargs = {"proof_timeout": proof_timeout, **tolerance.as_kwargs()}
    if points is not None:
        return _batch(expression, node, claims, values, points, output, kwargs, out)
    batch_only(output)
    result = verify.check_claims(node, claims, values, **kwargs)
    return max(_status(result), emit(_document(expression, values, result), out.json,
                                     out.strict, _draw))


def _batch(expression: str, node: Any, claims: dict, values: dict, points: str,
           output: str | None, kwargs: dict, out: Any) -> int:
    """Each line's point judged alone (no random points: the file holds the points), and
    each claim's proof tried once for the whole batch."""
    proofs: dict[str, bool] = {}

    def one(point: dict[str, Any], names: list[str]) -> PointResult:
        result = verify.check_claims(node, claims, point, n_random=0, proofs=proofs, **kwargs)
        return _document(expression, point, result), _status(result)

    def each(columns: dict[str, np.ndarray], n: int, names: list[str]) -> list[PointResult]:
        results = verify.check_claims_batch(node, claims, columns, **kwargs)
        return [(_document(expression, {k: c[i] for k, c in columns.items()}, result),
                 _status(result)) for i, result in enumerate(results)]

    job = BatchJob(expression, [node], values, None, True, one, None, each=each)
    return run_batch(job, points, out.json, out.strict, output)


def _document(expression: str, at: dict, result: Any) -> dict:
    return {"expression": expression, "at": at, **result.to_json()}


def _status(result: Any) -> ExitStatus:
    return ExitStatus.OK if result.ok else ExitStatus.CHECK_FAILED


def _draw(doc: dict) -> None:
    components = doc["components"]
    rows = [[c["wrt"], c["claimed"], c["claimed_value"], c["autograd"], c["symbolic"],
             VERDICT_WORDS[c["verdict"]]] for c in components]
    notes = [_why(c, doc["proof_timeout"]) for c in components]
    notes += [f"unchecked: {name} (no --grad given)" for name in doc["unchecked"]]
    render.show_table(title(doc),
                      ["wrt", "claimed", "claimed value", "autograd", "sympy", "verdict"], rows,
                      notes)


def _why(c: dict, proof_timeout: float) -> str:
    """The verdict of one component in words."""
    if c["verdict"] == "proven":
        return (f"∂/∂{c['wrt']}: proven: equal to the derivative wherever both are defined, "
                "shown symbolically")
    if c["verdict"] == "agrees":
        why = ("no proof tried: sympy proves claims about elementwise expressions only"
               if not c["proof_tried"] else f"no proof found within {proof_timeout:g} s"
               if proof_timeout > 0 else "no proof tried (--proof-timeout 0)")
        return f"∂/∂{c['wrt']}: agrees at {c['points']} points; {why}"
    return _why_wrong(c)


def _why_wrong(c: dict) -> str:
    """Which usual mistake it is, if one, then where the claim fails and by how much: at
    the given point, or at a random one."""
    example = c["counterexample"]
    at_given = (example["claimed"], example["autograd"]) == (c["claimed_value"], c["autograd"])
    at = ", ".join(f"{k} = {shown(v)}" for k, v in example["at"].items())
    if c["mistake"]:
        head = f": {c['mistake']['words']}" + ("" if at_given else
                                                f"; right at the given point, but at {at}")
    else:
        head = "" if at_given else f" (right at the given point), but at {at}"
    return (f"∂/∂{c['wrt']} is wrong{head}{'; ' if c['mistake'] else ': '}{c['claimed']} gives {shown(example['claimed'])} "
            f"but the derivative {'is' if at_given else 'there is'} {shown(judged_derivative(example))}"
            + (f" (sympy: {c['formula']})" if c["formula"] and not _entrywise(c["formula"])
               else "")
            + f"; wrong at {len(c['disagree_at'])} of the points tried")


def _entrywise(formula: str) -> bool:
    """sympy's derivative written entry by entry (a nested list): in the JSON, too long
    for a line."""
    return formula.startswith("[")
