"""Output: JSON for pipes (non-finite numbers as null) and rich tables for people.

Rich is imported inside the functions that draw, so a `--json` run never loads it.
Everything but results goes to stderr.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import signal
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np


def warn(message: str) -> None:
    """One warning line on stderr."""
    sys.stderr.write(f"warning: {message}\n")


def error(message: str) -> None:
    """One error line on stderr (expression errors bring their own caret form)."""
    sys.stderr.write(message if message.startswith("error: ") else f"error: {message}")
    sys.stderr.write("\n")


def plain(doc: Any, path: str, nonfinite: list[str]) -> Any:
    """`doc` with numpy values as Python lists/floats and inf/nan as None.

    The dotted path of every non-finite number (e.g. "gradient.y[2]") is appended to
    `nonfinite`, so the caller can warn about exactly that quantity.
    """
    if isinstance(doc, dict):
        return {key: plain(value, _join(path, key), nonfinite) for key, value in doc.items()}
    if isinstance(doc, (list, tuple)):
        if _finite_numbers(doc):  # a matrix's entries: no walk, which costs seconds at 512x512
            return list(doc)
        return [plain(value, f"{path}[{i}]", nonfinite) for i, value in enumerate(doc)]
    if isinstance(doc, np.ndarray):
        if doc.dtype.kind == "f" and not np.isfinite(doc).all():
            return plain(doc.tolist(), path, nonfinite)
        return doc.tolist()
    if isinstance(doc, np.generic):
        doc = doc.item()
    if isinstance(doc, float) and not math.isfinite(doc):
        nonfinite.append(f"{path} ({doc})")
        return None
    return doc


def _finite_numbers(items: list | tuple) -> bool:
    """Whether nested lists hold only finite numbers (ints or floats, no bools or None)."""
    if len(items) < 64:
        return False
    try:
        arr = np.asarray(items)
    except ValueError:  # ragged
        return False
    return arr.dtype.kind in "if" and bool(np.isfinite(arr).all())


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def dumps(doc: dict) -> str:
    """One compact JSON line; the document must already be plain."""
    return json.dumps(doc, separators=(", ", ": "), allow_nan=False)


def write_lines(lines: Iterable[str]) -> None:
    """Results to stdout, one per line."""
    sink = Lines()
    sink.add(lines)
    sink.flush()


class Lines:
    """Result lines written as they are done: in chunks of about CHUNK bytes (a write per
    line costs more than formatting it), and at least once a second while results come
    slowly. `written` counts the lines that reached the stream; each chunk is written
    with Ctrl-C held off, so an interrupt never leaves half a line or a wrong count."""

    CHUNK = 1 << 20
    EVERY = 1.0  # seconds

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream
        self.written = 0
        self._pending: list[str] = []
        self._size = 0
        self._since = time.monotonic()

    def add(self, lines: Iterable[str]) -> None:
        """Queue lines; write what is queued once a chunk is full or a second has passed."""
        lines = list(lines)
        if not lines:
            return
        size = sum(map(len, lines)) + len(lines)
        # Lines of a batch are about equally long: so many make a chunk.
        per_chunk = max(1, len(lines) * self.CHUNK // size)
        for start in range(0, len(lines), per_chunk):
            piece = lines[start:start + per_chunk]
            self._pending += piece
            self._size += size * len(piece) // len(lines)
            if self._size >= self.CHUNK:
                self.flush()
        if self._pending and time.monotonic() - self._since >= self.EVERY:
            self.flush()

    def flush(self) -> None:
        """Write every queued line now."""
        stream = self.stream or sys.stdout
        with _interrupts_held():
            if self._pending:
                stream.write("\n".join(self._pending) + "\n")
            stream.flush()
            self.written += len(self._pending)
            self._pending, self._size = [], 0
        self._since = time.monotonic()


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Ctrl-C waits until the block is done, then acts as it would have (KeyboardInterrupt).

    A Python-level handler rather than a signal mask: numpy's threads, which a mask on
    this thread does not cover, may be the ones that receive SIGINT."""
    caught: list[int] = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    except ValueError:  # not the main thread: its signals are not ours to hold
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught and callable(previous):
        previous(signal.SIGINT, None)


# ---- for people ------------------------------------------------------------------------
# Cells are rich Text, never markup: "[1, 2]" is a vector, not a style tag.


def console(stderr: bool = False) -> Any:
    """A rich console; rich itself honours NO_COLOR and drops styles when not a terminal."""
    return _console_class()(stderr=stderr, highlight=False)


@functools.cache
def _console_class() -> type:
    from rich.console import Console

    class QuietConsole(Console):
        """Leaves a closed pipe to the CLI (rich's own handler would exit 1, which means
        "a check failed" here)."""

        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    return QuietConsole


# Past this many entries an array is shown by its corners, EDGE a side on each axis, as
# numpy prints it: a 512x512 gradient in full is 3 MB of text that rich takes minutes on.
MAX_SHOWN = 1000
EDGE = 3


def number(value: Any) -> str:
    """A number or nested list as people read it: 12 rather than 12.0, 12 significant
    digits; a large array by its corners, "…" standing for the rest."""
    if value is None:
        return "-"
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list):
        return _listed(value, _size(value) > MAX_SHOWN)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.12g}"


def _size(items: list) -> int:
    """Entries of a nested list, counted down its first items (arrays are rectangular)."""
    size = 1
    while isinstance(items, list):
        size *= len(items)
        items = items[0] if items else None
    return size


def _listed(items: list, corners: bool) -> str:
    if corners and len(items) > 2 * EDGE:
        shown = [_listed(item, True) if isinstance(item, list) else number(item)
                 for item in (*items[:EDGE], *items[-EDGE:])]
        return "[" + ", ".join([*shown[:EDGE], "…", *shown[EDGE:]]) + "]"
    return "[" + ", ".join(_listed(item, corners) if isinstance(item, list) else number(item)
                           for item in items) + "]"


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power(n: int) -> str:
    return "" if n == 1 else str(n).translate(_SUPERSCRIPTS)


def derivative_label(wrt: list[str]) -> str:
    """Leibniz notation in the order given, repeats grouped: x, x, y -> "∂³/∂x²∂y"."""
    runs: list[list[Any]] = []
    for name in wrt:
        if runs and runs[-1][0] == name:
            runs[-1][1] += 1
        else:
            runs.append([name, 1])
    return f"∂{_power(len(wrt))}/" + "".join(f"∂{name}{_power(n)}" for name, n in runs)


def _text(value: Any) -> Any:
    from rich.text import Text

    return Text(value if isinstance(value, str) else number(value))


def show(title: str, rows: list[tuple[str, Any]], notes: Iterable[str] = ()) -> None:
    """A two-column table (quantity, value) under a title, then a line per note."""
    from rich.table import Table

    table = Table(show_header=False, box=None)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    for name, value in rows:
        table.add_row(_text(name), _text(value))
    _print(title, table, notes)


# Past this many rows a table is plain tab-separated lines: rich takes minutes on 200,000.
MAX_DRAWN_ROWS = 1000


def show_table(title: str, columns: list[str], rows: list[list[Any]],
               notes: Iterable[str] = ()) -> None:
    """A table with a header row (matrices, batches, per-input verdicts).

    Numbers are never broken across lines: a table too wide for the terminal is folded
    into one small record per row instead, and a very long one is written as plain lines.
    """
    from rich.table import Table

    if len(rows) > MAX_DRAWN_ROWS:
        _plain_table(title, columns, rows, notes)
        return
    out = console()
    widths = _fit(columns, rows, out.width)
    if widths is _TOO_WIDE:
        _print_records(title, columns, rows, notes, out)
        return
    table = Table()
    for column, width in zip(columns, widths or [None] * len(columns)):
        table.add_column(_text(column), width=width, overflow="fold")
    for row in rows:
        table.add_row(*(_text(cell) for cell in row))
    _print(title, table, notes, out)


def _plain_table(title: str, columns: list[str], rows: list[list[Any]],
                 notes: Iterable[str]) -> None:
    warn(f"{len(rows)} rows: written as plain tab-separated lines (--json gives NDJSON)")
    lines = [title, "\t".join(columns)]
    lines += ["\t".join(map(number, row)) for row in rows]
    write_lines([*lines, *notes])


def _print_records(title: str, columns: list[str], rows: list[list[Any]],
                   notes: Iterable[str], out: Any) -> None:
    """Each row as its own list of `column  value` lines, like psql's expanded display;
    each line is soft-wrapped, so even a terminal narrower than a number keeps it whole."""
    from rich.cells import cell_len

    pad = max(map(cell_len, columns))
    lines: list[str] = []
    for number_of_row, row in enumerate(rows):
        if number_of_row:
            lines.append("")
        lines += [f" {column + ' ' * (pad - cell_len(column))}  {number(cell)}" if column
                  else number(cell) for column, cell in zip(columns, row)]
    _print(title, lines, notes, out)


_TOO_WIDE: list[int] = []  # the marker _fit returns when only breaking numbers would fit


def _fit(columns: list[str], rows: list[list[Any]], available: int) -> list[int] | None:
    """Column widths for a terminal `available` cells wide; None when all fits as it is,
    `_TOO_WIDE` when it fits only by breaking numbers.

    Text columns (formulas, names) give way first, down to their longest word; then
    columns of numbers, down to their longest number (a vector breaks between elements,
    a header between words).
    """
    from rich.cells import cell_len

    cells = [[column, *(row[k] for row in rows)] for k, column in enumerate(columns)]
    widths = [max(cell_len(number(value)) for value in col) for col in cells]
    # One space of padding either side of each column and a border line before each.
    excess = sum(widths) + 3 * len(columns) + 1 - available
    if excess <= 0:
        return None
    numeric = [all(not isinstance(value, str) for value in col[1:]) for col in cells]
    floors = [max(map(cell_len, _pieces(col)), default=1) for col in cells]
    for may_shrink in ([not n for n in numeric], numeric):
        candidates = [k for k in range(len(columns)) if may_shrink[k]]
        while excess > 0 and candidates:
            slack, k = max((widths[k] - floors[k], k) for k in candidates)
            if slack <= 0:
                break
            widths[k] -= 1
            excess -= 1
    return widths if excess <= 0 else _TOO_WIDE


def _pieces(values: list[Any]) -> list[str]:
    """What may not be broken: words of text, a whole number, an element of a vector."""
    pieces: list[str] = []
    for value in values:
        text = number(value)
        pieces += [text] if isinstance(value, (int, float, np.generic)) else text.split()
    return pieces


def _print(title: str, table: Any, notes: Iterable[str], out: Any = None) -> None:
    """Title, table (or a list of lines), notes; a note or a line is prose, so the terminal
    wraps it, not rich."""
    out = out or console()
    for line in [title, *(table if isinstance(table, list) else [])]:
        out.print(_text(line), soft_wrap=True)
    if not isinstance(table, list):
        out.print(table)
    for note in notes:
        out.print(_text(note), soft_wrap=True)


def node_label(node: dict, sep: str = "  ") -> str:
    """One graph node: what it computes, where in the text, its value and gradient."""
    parts = [node["op"] if node["op"] in ("constant", "variable") else f"[{node['op']}]",
             node["text"]]
    if node["grad_fn"]:
        parts.append(f"({node['grad_fn']})")
    if node.get("shape"):  # an array's shape; numbers show none
        parts.append(f"shape={'x'.join(map(str, node['shape']))}")
    if node["value"] is not None:
        parts.append(f"value={number(node['value'])}")
    if node["grad"] is not None:
        parts.append(f"grad={number(node['grad'])}")
    return sep.join(parts)


def dot(nodes: list[dict], edges: list[dict]) -> str:
    """Graphviz DOT: one box per node, arrows from inputs to the operation that uses them."""
    lines = ["digraph tape {", "  rankdir=BT;", '  node [shape=box, fontname="monospace"];']
    for node in nodes:
        label = node_label(node, "\n").replace("\\", "\\\\").replace('"', '\\"')
        label = label.replace("\n", "\\n")
        lines.append(f'  n{node["id"]} [label="{label}"];')
    lines += [f'  n{edge["from"]} -> n{edge["to"]};' for edge in edges]
    lines.append("}")
    return "\n".join(lines)


def show_tree(title: str, children: dict[int, list[int]], labels: dict[int, str],
              root: int) -> None:
    """The graph as a rich tree, from the output down to the leaves."""
    from rich.tree import Tree

    tree = Tree(_text(labels[root]))
    stack = [(root, tree)]
    while stack:
        node, branch = stack.pop()
        for child in children.get(node, []):
            stack.append((child, branch.add(_text(labels[child]))))
    out = console()
    out.print(_text(title), soft_wrap=True)
    out.print(tree)


def progress(total: int, description: str) -> Iterable[int]:
    """range(total), drawn as a transient progress bar on stderr for long batches on a terminal."""
    if total < 1000 or not sys.stderr.isatty():
        return range(total)
    from rich.progress import track

    return track(range(total), description=description, console=console(stderr=True),
                 transient=True)
