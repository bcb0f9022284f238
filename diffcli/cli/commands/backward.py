"""`diffcli backward`: run output.backward() like the tensor method and show each .grad."""

from __future__ import annotations

import re
import warnings
from typing import Annotated, Any

import numpy as np
import typer

from diffcli import Tensor, ones_like, render, tensor, verify
from diffcli.autograd.engine import REFERENCE_CYCLE

from ..app import command
from ..errors import BadInput, explain
from ..options import NO_VALUES, Expr, Output, Values
from ..output import emit, grad_fn_name, title
from ..values import bind, build, check_shapes, parse, parse_values, variables


@command('diffcli backward "x**3 + y**2" --at x=2 --at y=3 --repeat 2 --retain-graph')
def backward(
    expression: Expr,
    at: Values = NO_VALUES,
    grad_output: Annotated[
        str | None,
        typer.Option("--grad-output", help="The gradient seeded at the output, as in backward(g).",
                     show_default=False),
    ] = None,
    repeat: Annotated[
        int, typer.Option("--repeat", min=1, help="Run backward N times; .grad accumulates.")
    ] = 1,
    retain_graph: Annotated[
        bool, typer.Option("--retain-graph", help="Keep the graph's saved values for another pass.")
    ] = False,
    create_graph: Annotated[
        bool, typer.Option("--create-graph", help="Record the backward pass: grads get a grad_fn.")
    ] = False,
    *,
    out: Output,
) -> int:
    """Run output.backward() like the tensor method and show each variable's .grad."""
    from diffcli.expr import parse_value

    node = parse(expression)
    values = parse_values(at)
    targets = bind(variables(node), values, None)
    check_shapes(node, values, expression)
    tape = build(node, values, expression)
    output = tape.output
    seed = None if grad_output is None else tensor(parse_value(grad_output))
    for done in range(repeat):
        try:
            with warnings.catch_warnings():
                # The engine warns, as PyTorch does, that .grad now holds a reference cycle;
                # the user asked for --create-graph, and the process ends right after.
                warnings.filterwarnings("ignore", re.escape(REFERENCE_CYCLE), UserWarning)
                output.backward(seed, retain_graph=True if retain_graph else None,
                                create_graph=create_graph)
        except RuntimeError as err:
            raise BadInput(f"backward pass {done + 1} of {repeat}: {explain(err)}") from None
    grads = {name: _leaf_grad(tape, values, name) for name in targets}
    doc = {"expression": expression, "at": values, "value": output.data,
           "grad": {name: g.data for name, g in grads.items()},
           "grad_fn": grad_fn_name(output), "passes": repeat}
    if create_graph:
        # The grads are functions of the inputs now: report their grad_fn and their own
        # gradient (of each grad's sum, as grad.backward(ones) would give).
        doc["grad_grad_fn"] = {name: grad_fn_name(g) for name, g in grads.items()}
        doc["grad_grad"] = {
            name: {n: t.data for n, t in verify.differentiate(
                g, tape, values, targets, ones_like(g)).items()}
            for name, g in grads.items()
        }
    return emit(doc, out.json, out.strict, _draw)


def _leaf_grad(tape: Any, values: dict[str, Any], name: str) -> Tensor:
    """The leaf's .grad after backward; zeros where no pass reached it (an unused name)."""
    leaf = tape.leaves.get(name)
    if leaf is None or leaf.grad is None:
        return tensor(np.zeros(np.shape(values[name])))
    return leaf.grad


def _draw(doc: dict) -> None:
    rows = [("value", doc["value"]), ("grad_fn", str(doc["grad_fn"])), ("passes", doc["passes"])]
    rows += [(f"{name}.grad", grad) for name, grad in doc["grad"].items()]
    for name, fn in doc.get("grad_grad_fn", {}).items():
        rows.append((f"{name}.grad.grad_fn", str(fn)))
        rows += [(f"∂({name}.grad)/∂{n}", v) for n, v in doc["grad_grad"][name].items()]
    render.show(title(doc), rows)
