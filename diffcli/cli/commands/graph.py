"""`diffcli graph`: the tape, node by node, with values and (after backward) gradients."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from diffcli import render

from ..app import command
from ..errors import BadInput, ExitStatus
from ..options import NO_VALUES, Expr, Output, Values
from ..output import emit, grad_fn_name, title
from ..values import bind, build, check_shapes, parse, parse_values, variables


@command('diffcli graph "sin(x)*y + x" --at x=1 --at y=2 --format tree')
def graph(
    expression: Expr,
    at: Values = NO_VALUES,
    format: Annotated[
        str,
        typer.Option("--format", help="tree (for people), dot (Graphviz) or json."),
    ] = "tree",
    *,
    out: Output,
) -> int:
    """The tape: one node per operation with its value and, after backward, its gradient.

    With --at, the output runs backward (when it is a scalar) and every node shows
    d output / d node, so the chain rule can be followed node by node.
    """
    if format not in ("tree", "dot", "json"):
        raise BadInput(f"--format must be tree, dot or json, not {format!r}")
    node = parse(expression)
    values = parse_values(at) if at.at or at.random else None
    if values is not None:
        bind(variables(node), values, None)
        check_shapes(node, values, expression)
    nodes, edges = _graph(expression, node, values)
    doc = {"expression": expression, "at": values, "nodes": nodes, "edges": edges}
    if format == "dot" and not out.json:
        render.write_lines([render.dot(nodes, edges)])
        return ExitStatus.OK
    return emit(doc, out.json or format == "json", out.strict, _draw)


def _graph(text: str, root: Any, values: dict[str, Any] | None) -> tuple[list[dict], list[dict]]:
    """Nodes and edges (input -> consumer) of the parse tree, with values and gradients.

    A variable used twice is one node, as it is one leaf of the tape: its gradient is
    the sum over the paths that reach it.
    """
    from diffcli.expr.shapes import infer, shapes_of
    from diffcli.expr.tree import Var, postorder

    tensors: dict[int, Any] = {}
    shapes = {} if values is None else infer(root, shapes_of(values), text)
    if values is not None:
        tape = build(root, values, text)
        tensors = {id(tree_node): t for tree_node, t in tape.tensors}
        for t in tensors.values():
            if t.requires_grad and not t.is_leaf:
                t.retain_grad()
        if tape.output.requires_grad and tape.output.data.size == 1:
            tape.output.backward()
    ids: dict[Any, int] = {}
    nodes: list[dict] = []
    edges: list[dict] = []
    for tree_node in postorder(root):
        key = ("var", tree_node.name) if isinstance(tree_node, Var) else id(tree_node)
        if key not in ids:
            ids[key] = len(nodes)
            nodes.append(_node(len(nodes), text, tree_node, tensors.get(id(tree_node)),
                               shapes.get(id(tree_node))))
        ids[id(tree_node)] = ids[key]
        edges += [{"from": ids[id(child)], "to": ids[key]} for child in tree_node.children]
    return nodes, edges


def _node(number: int, text: str, tree_node: Any, t: Any, shape: tuple | None) -> dict:
    from diffcli.expr.tree import Binary, Call, Num, Unary, Var

    if isinstance(tree_node, Num):
        op = "constant"
    elif isinstance(tree_node, Var):
        op = "variable"
    elif isinstance(tree_node, (Unary, Binary)):
        op = tree_node.op
    else:
        assert isinstance(tree_node, Call)
        op = tree_node.name
    start, end = tree_node.span
    return {
        "id": number,
        "op": op,
        "text": text[start:end],
        "shape": None if shape is None else list(shape),
        "grad_fn": None if t is None else grad_fn_name(t),
        "value": None if t is None else t.data,
        "grad": None if t is None or t.grad is None else t.grad.data,
    }


def _draw(doc: dict) -> None:
    nodes = doc["nodes"]
    children: dict[int, list[int]] = {}
    for edge in doc["edges"]:
        children.setdefault(edge["to"], []).append(edge["from"])
    labels = {n["id"]: render.node_label(n) for n in nodes}
    heading = title(doc) if doc["at"] else doc["expression"]
    render.show_tree(heading, children, labels, nodes[-1]["id"])
