"""Reading `--at NAME=VALUE` items and binding them to the expression's variables."""

from __future__ import annotations

import re
from typing import Any

from diffcli import render
from diffcli.expr.errors import clip

from .errors import BadInput, names_text

# A comma at bracket depth 0 that starts a new NAME=... ; vectors and calls keep theirs.
_NEXT_ASSIGNMENT = re.compile(r"\s*[A-Za-z_]\w*\s*=")


def split_assignments(items: list[str] | None, flag: str) -> list[tuple[str, str]]:
    """`["x=2,y=[1,2]", "z=pi/4"]` -> `[("x", "2"), ("y", "[1,2]"), ("z", "pi/4")]`."""
    pairs = []
    for item in items or []:
        for piece in _split_top_level(item):
            name, sep, value = piece.partition("=")
            name = name.strip()
            if not sep or not name.isidentifier() or not value.strip():
                raise BadInput(f"{flag} expects NAME=VALUE, got '{clip(piece.strip())}'")
            pairs.append((name, value.strip()))
    return pairs


def _split_top_level(text: str) -> list[str]:
    pieces, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0 and _NEXT_ASSIGNMENT.match(text, i + 1):
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    return pieces


def parse_values(at: list[str] | None, flag: str = "--at") -> dict[str, Any]:
    """`--at` (or `flag`) items to {name: float or array}, each read by the expression parser."""
    from diffcli.expr import ExprError, parse_value
    from diffcli.expr.tree import CONSTANTS

    values: dict[str, Any] = {}
    for name, text in split_assignments(at, flag):
        if name in values:
            raise BadInput(f"{flag} gives '{clip(name)}' twice")
        if name in CONSTANTS:
            raise BadInput(f"'{name}' is a constant ({CONSTANTS[name]!r}) and cannot be given a value")
        try:
            values[name] = parse_value(text)
        except ExprError as err:
            raise BadInput(err.format().replace("error: ", f"error: {flag} {name}: ", 1)) from None
    return values


def bind(names: list[str], values: dict[str, Any], wrt: list[str] | None) -> list[str]:
    """Check that every variable has a value; warn about given but unused ones.

    Returns the variables to differentiate: `wrt` if given, else the expression's
    variables followed by the unused given names (whose gradient is 0).
    """
    missing = [name for name in names if name not in values]
    if missing:
        hint = " ".join(f"--at {clip(name)}=VALUE" for name in missing)
        raise BadInput(f"no value for {names_text(missing)}: pass {hint}")
    unused = [name for name in values if name not in names]
    for name in unused:
        render.warn(f"'{name}' is not used in the expression; its gradient is 0")
    targets = list(wrt) if wrt else [*names, *unused]
    unknown = [name for name in targets if name not in values]
    if unknown:
        raise BadInput(f"--wrt {names_text(unknown)}: not a variable of the expression")
    return targets


def parse(text: str) -> Any:
    """The expression's parse tree (the expression package loads on first use)."""
    from diffcli.expr import parse as parse_expression

    return parse_expression(text)


def variables(node: Any) -> list[str]:
    from diffcli.expr import variables as names_in

    return names_in(node)


def build(node: Any, values: dict[str, Any], text: str | None = None,
          requires_grad: bool = True) -> Any:
    """The expression's tape; `text` lets anomaly errors quote the subexpression."""
    from diffcli.expr import tape as tapes

    return tapes.build(node, values, requires_grad=requires_grad, text=text)


def only_variable(names: list[str]) -> list[str]:
    """Without --wrt, the expression's one variable."""
    if len(names) == 1:
        return names
    if not names:
        raise BadInput("the expression has no variables: every derivative of a constant is 0")
    raise BadInput(f"--wrt is needed: the expression has the variables {names_text(names)}")
