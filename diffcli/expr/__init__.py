"""The expression language of docs/grammar.md: parse text into a tree, never evaluate it.

Public API:
- `parse(text: str) -> Node`; node types `Num`, `Var`, `Unary`, `Binary`, `Call` in
  `diffcli.expr.tree`, each with `.span = (start, end)` (0-based offsets into text).
- `parse_value(text: str) -> float | numpy.ndarray`: a `--at` value (number, constant
  expression such as `pi/4`, or nested lists: `[1, 2, 3]` a vector, `[[1, 2], [3, 4]]` a
  matrix).
- `diffcli.expr.shapes`: `infer(node, shapes, text=None)` gives every node's shape before
  anything runs (`shape_of` the root's); a mismatch is an ExprError at the operator.
- `variables(node) -> list[str]`: variable names in order of first appearance.
- `to_text(node) -> str`: canonical text that parses back to an equal tree.
- `ExprError(ValueError)`: `.message`, `.text`, `.start`, `.end`, `.column` (1-based),
  `.format()` (the three-line caret form).
- `FUNCTIONS`: the registry, every function name (and alias) to its row (see functions.py).
Submodules `tape` (tree → Tensors, needs the engine) and `symbolic` (tree → sympy) are
imported on demand so that importing this package stays light.
"""

from .errors import ExprError
from .functions import FUNCTIONS
from .parser import MAX_DEPTH, MAX_LENGTH, parse, parse_value
from .tree import Binary, Call, Node, Num, Unary, Var, to_text, variables

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
