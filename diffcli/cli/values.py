"""Reading `--at NAME=VALUE` items (and `--random NAME=SHAPE`) and binding them to the
expression's variables. A value is read by the expression parser, or from a file when it
is `@PATH` (.npy without pickle, .json, .csv)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from diffcli import render
from diffcli.expr.errors import clip

from .errors import BadInput, names_text
from .options import Values

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


MAX_RANDOM = 10_000_000  # entries of one --random array (80 MB of float64)


def parse_values(at: Values | list[str] | None, flag: str = "--at") -> dict[str, Any]:
    """`--at` (or `flag`) items, and a `Values` bundle's `--random` arrays, to {name: float
    or array}."""
    import numpy as np

    from diffcli.expr.tree import CONSTANTS

    items, randoms, seed = (at.at, at.random, at.seed) if isinstance(at, Values) else (at, None, 0)
    pairs = [(flag, name, text) for name, text in split_assignments(items, flag)]
    pairs += [("--random", name, text) for name, text in split_assignments(randoms, "--random")]
    rng = np.random.default_rng(seed) if randoms else None
    values: dict[str, Any] = {}
    given: dict[str, str] = {}
    for source, name, text in pairs:
        if name in values:
            twice = (f"{source} gives" if given[name] == source
                     else f"{given[name]} and {source} give")
            raise BadInput(f"{twice} '{clip(name)}' twice")
        given[name] = source
        if name in CONSTANTS:
            raise BadInput(f"'{name}' is a constant ({CONSTANTS[name]!r}) and cannot be given a value")
        values[name] = (rng.standard_normal(_shape(name, text)) if source == "--random"
                        else _value(name, text, source))
    return values


def _value(name: str, text: str, flag: str) -> Any:
    from diffcli.expr import ExprError, parse_value

    if text.startswith("@"):
        return load_array(name, text[1:])
    try:
        return parse_value(text)
    except ExprError as err:
        raise BadInput(err.format().replace("error: ", f"error: {flag} {name}: ", 1)) from None


def _shape(name: str, text: str) -> tuple[int, ...]:
    """`3x4` -> (3, 4): the shape of a --random array."""
    sizes = text.lower().replace(" ", "").split("x")
    if not all(size.isdigit() and int(size) > 0 for size in sizes):
        raise BadInput(f"--random {name}: expected a shape such as 3x4 or 5, got '{clip(text)}'")
    shape = tuple(int(size) for size in sizes)
    if math.prod(shape) > MAX_RANDOM:
        raise BadInput(f"--random {name}: {math.prod(shape):,} entries is more than the "
                       f"{MAX_RANDOM:,} allowed")
    return shape


def load_array(name: str, path: str) -> Any:
    """The array in a .npy (read without pickle, so it cannot run code), .json (nested lists)
    or .csv (rows of numbers) file; a problem is a BadInput naming the file."""
    import numpy as np

    where = f"--at {name}=@{path}"  # whole: a clipped path would lose the file name
    kind = Path(path).suffix.lower()
    if kind not in (".npy", ".json", ".csv"):
        raise BadInput(f"{where}: expected a .npy, .json or .csv file")
    try:
        if kind == ".npy":
            data = np.load(path, allow_pickle=False)
        elif kind == ".json":
            data = json.loads(Path(path).read_text())
        else:
            data = np.loadtxt(path, delimiter=",", ndmin=2)
        array = np.asarray(data, dtype=np.float64)
    except OSError as err:
        raise BadInput(f"{where}: cannot read the file ({err.strerror or err})") from None
    except (ValueError, TypeError) as err:
        why = clip(str(err)) if kind == ".npy" else "rows of different lengths, or not numbers"
        raise BadInput(f"{where}: not an array of numbers ({why})") from None
    if not np.all(np.isfinite(array)):
        raise BadInput(f"{where}: holds numbers that are not finite (inf or nan)")
    return float(array) if array.ndim == 0 else array


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


def check_shapes(node: Any, values: dict[str, Any], text: str, why: str = "") -> None:
    """A shape mismatch (`(2,3) @ (2,3)`) as a caret under the operator of `text`, before
    anything is computed; `why` goes before the message."""
    from diffcli.expr import ExprError
    from diffcli.expr.shapes import infer, shapes_of

    try:
        infer(node, shapes_of(values), text)
    except ExprError as err:
        raise ExprError(why + err.message, err.text, err.start, err.end) from None


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
