"""`diffcli check`: verify hand-derived partial derivatives, naming each wrong one."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import typer

from diffcli import render, verify
from diffcli.verify.common import plain

from ..app import command
from ..errors import BadInput, ExitStatus, names_text
from ..options import NO_VALUES, Expr, Output, ProofTimeout, Tolerance, Values
from ..output import emit, shown, title
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
    proof_timeout: ProofTimeout = verify.PROOF_TIMEOUT,
    *,
    tolerance: Tolerance,
    out: Output,
) -> int:
    """Verify hand-derived partial derivatives at the point and at random points of the domain.

    A component that agrees everywhere is then proven by sympy when it can be. Exit 1 when
    a component is wrong, naming it with the right value, sympy's formula and the usual
    mistake it is (a claim of another shape, the transpose, a constant factor, right only
    for symmetric matrices, a term left out).
    """
    node = parse(expression)
    values = parse_values(at)
    names = bind(variables(node), values, None)
    check_shapes(node, values, expression)
    claims = {}
    for name, text in split_assignments(grad, "--grad"):
        if name in claims:
            raise BadInput(f"--grad gives '{name}' twice")
        if name not in names:
            raise BadInput(f"--grad {name}: '{name}' is not a variable of the expression")
        claims[name] = parse(text)
        stray = [v for v in variables(claims[name]) if v not in values]
        if stray:
            raise BadInput(f"--grad {name}: the formula uses {names_text(stray)}, which "
                           f"{'has' if len(stray) == 1 else 'have'} no value")
        check_shapes(claims[name], values, text, f"--grad {name}: ")
    result = verify.check_claims(node, claims, values, proof_timeout=proof_timeout,
                                 **tolerance.as_kwargs())
    doc = {"expression": expression, "at": values, **result.to_json()}
    status = ExitStatus.OK if result.ok else ExitStatus.CHECK_FAILED
    return max(status, emit(doc, out.json, out.strict, _draw))


def _draw(doc: dict) -> None:
    components = doc["components"]
    rows = [[c["wrt"], c["claimed"], c["claimed_value"], c["autograd"], c["symbolic"],
             _VERDICT_WORDS[c["verdict"]]] for c in components]
    notes = [_why(c, doc["proof_timeout"]) for c in components]
    notes += [f"unchecked: {name} (no --grad given)" for name in doc["unchecked"]]
    render.show_table(title(doc),
                      ["wrt", "claimed", "claimed value", "autograd", "sympy", "verdict"], rows,
                      notes)


_VERDICT_WORDS = {"proven": "proven", "agrees": "agrees", "wrong": "WRONG"}


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
            f"but the derivative {'is' if at_given else 'there is'} {shown(_derivative(example))}"
            + (f" (sympy: {c['formula']})" if c["formula"] and not _entrywise(c["formula"])
               else "")
            + f"; wrong at {len(c['disagree_at'])} of the points tried")


def _derivative(example: dict) -> Any:
    """The derivative where the claim fails: autograd's, and sympy's where only sympy has
    a number (the tape's 0 * inf at the kink of sqrt(x**2)), as the claim was judged."""
    auto, sym = example["autograd"], example["symbolic"]
    if sym is None or np.shape(auto) != np.shape(sym):
        return auto
    auto, sym = np.asarray(auto, dtype=float), np.asarray(sym, dtype=float)
    return plain(np.where(np.isfinite(auto), auto, sym))


def _entrywise(formula: str) -> bool:
    """sympy's derivative written entry by entry (a nested list): in the JSON, too long
    for a line."""
    return formula.startswith("[")
