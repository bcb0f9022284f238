"""The expression language of docs/grammar.md: parse text into a tree, never evaluate it.

Public API:
- `parse(text: str) -> Node`; node types `Num`, `Var`, `Unary`, `Binary`, `Call` in
  `diffcli.expr.tree`, each with `.span = (start, end)` (0-based offsets into text).
- `parse_value(text: str) -> float | numpy.ndarray`: a `--at` value (number, constant
  expression such as `pi/4`, or vector `[1, 2, 3]`).
- `variables(node) -> list[str]`: variable names in order of first appearance.
- `to_text(node) -> str`: canonical text that parses back to an equal tree.
- `ExprError(ValueError)`: `.message`, `.text`, `.start`, `.end`, `.column` (1-based),
  `.format()` (the three-line caret form).
- `FUNCTIONS`: the registry, every function name (and alias) to its row (see functions.py).
Submodules `tape` (tree → Tensors, needs the engine) and `symbolic` (tree → sympy) are
imported on demand so that importing this package stays light; so is the parser,
which needs numpy.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import ExprError
from .functions import FUNCTIONS
from .tree import Binary, Call, Node, Num, Unary, Var, to_text, variables

# The parser needs numpy (for values); it loads on first use, so that sympy's worker can
# read trees without numpy.
_PARSER = ("MAX_DEPTH", "MAX_LENGTH", "parse", "parse_value")


def __getattr__(name: str) -> Any:
    if name not in _PARSER:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(".parser", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Binary",
    "Call",
    "ExprError",
    "Node",
    "Num",
    "Unary",
    "Var",
    "parse",
    "parse_value",
    "to_text",
    "variables",
]
