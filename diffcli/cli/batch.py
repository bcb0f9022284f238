"""`--points`: the one batch runner behind every command that takes a file of points.

A command describes its work as a `BatchJob`: how to answer one point (with the check,
or when the expression mixes the batch axis with a reduction) and how to answer all
points in one vectorised pass. The runner reads the points, binds the variables, picks
the path, numbers the results by input line and writes them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from diffcli import render

from . import interrupts
from .errors import BadInput, ExitStatus, names_text
from .output import BatchOutput
from .values import bind, variables

# One point: (its JSON document without "line", its exit status).
PointResult = tuple[dict, ExitStatus]


class BatchJob(NamedTuple):
    """A command's work over a batch. `one(values, targets)` answers one point;
    `every(columns, n, targets)` answers all at once as (values, fields): each field an
    array with the batch axis first, a dict of such arrays, or a value shared by all.
    `check_every(columns, targets, fields)` checks all points at once (a
    verify.BatchCheck); without it a checked batch runs point by point. A command whose
    answer is its check (`check`) gives `each(columns, n, targets)` instead of `every`:
    every point's whole result at once."""

    expression: str | list[str]  # as the JSON's "expression": jacobian's is a list
    nodes: list[Any]
    fixed: dict[str, Any]
    wrt: list[str] | None
    check: bool
    one: Callable[[dict[str, Any], list[str]], PointResult]
    every: Callable[[dict[str, np.ndarray], int, list[str]],
                    tuple[np.ndarray, dict[str, Any]]] | None
    check_every: Callable[[dict[str, np.ndarray], list[str], dict[str, Any]], Any] | None = None
    each: Callable[[dict[str, np.ndarray], int, list[str]], list[PointResult]] | None = None


def run_batch(job: BatchJob, source: str, as_json: bool, strict: bool,
              output: str | None = None) -> ExitStatus:
    """Answer every good point of `source`, in input order; BAD_INPUT if a line was bad.
    With `output` the results go to that file (NDJSON, Parquet or CSV) instead of stdout,
    renamed into place only when whole. Results reach stdout in chunks as they are done;
    on Ctrl-C the finished ones are kept, one line says how many, and the status is 130."""
    from .files import suffix, written
    from .tables import RESULT_FORMATS

    kind = suffix(output, RESULT_FORMATS, "--output") if output else None
    sink = render.Lines()
    progress = _Progress()
    try:
        if output and kind == "ndjson":  # the very lines of --json, into the file
            with written(output) as temporary, open(temporary, "w", encoding="utf-8") as handle:
                sink.stream = handle
                return _run(job, source, True, strict, None, None, sink, progress)
        return _run(job, source, as_json, strict, output, kind, sink, progress)
    except KeyboardInterrupt:
        of = f" of {progress.total}" if progress.total is not None else ""
        if output:  # the file is whole or absent: `written` removed the temporary
            render.error(f"interrupted: {output} not written ({progress.done}{of} results "
                         "were done)")
        else:
            sink.flush()
            render.error(f"interrupted: {sink.written}{of} results written")
        interrupts.answered()
        return ExitStatus.INTERRUPTED


class _Progress:
    """How far a batch got, for the line that an interrupt writes."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.done = 0


def _run(job: BatchJob, source: str, as_json: bool, strict: bool, output: str | None,
         kind: str | None, sink: render.Lines, progress: _Progress) -> ExitStatus:
    from .tables import columns_of, flatten, write_results

    names = list(dict.fromkeys(name for node in job.nodes for name in variables(node)))
    read, columns = _columns(names, job.fixed, source, strict)
    n = progress.total = len(read)
    targets = bind(names, columns, job.wrt)
    out = BatchOutput(as_json, strict, sink)
    statuses = [ExitStatus.OK]
    docs: list[dict] = []  # for a results file, written whole at the end

    def emit(doc: dict) -> None:
        if output:
            docs.append(doc)
        else:
            out.add(doc)

    whole = n and all(vectorisable(node, columns) for node in job.nodes)
    if whole and job.each is not None:
        for (doc, status), line in zip(job.each(columns, n, targets), read.line_numbers):
            doc["line"] = line
            statuses.append(status)
            emit(doc)
        progress.done = n
        interrupts.raise_if_lost()
    elif not whole or job.every is None or job.check and job.check_every is None:
        for i in render.progress(n, "checking" if job.check else "differentiating"):
            interrupts.raise_if_lost()  # a point's lazy imports may have dropped one
            doc, status = job.one({k: c[i] for k, c in columns.items()}, targets)
            doc["line"] = read.line_numbers[i]
            statuses.append(status)
            progress.done += 1
            emit(doc)
    else:
        value, fields = job.every(columns, n, targets)
        # A constant has nothing to check, as for one point.
        check = job.check_every(columns, targets, fields) if job.check and targets else None
        interrupts.raise_if_lost()
        if check is not None and False in check.agree():
            statuses.append(ExitStatus.CHECK_FAILED)
        progress.done = n
        if output and check is None:
            whole = flatten({"at": columns, "value": value, **fields,
                             "line": np.asarray(read.line_numbers)})
            status = write_results(output, kind, {key: np.broadcast_to(column, (n,))
                                                  for key, column in whole.items()}, strict)
            return ExitStatus.BAD_INPUT if read.bad else max(status, *statuses)
        echo = read.verbatim is not None and not job.fixed
        fast = (_fast_lines(job.expression, read, columns, value, fields, echo, check)
                if as_json and not output else None)
        if fast is not None:
            out.add_lines(fast)
        else:
            for i in range(n):
                emit({"expression": job.expression, "at": {k: c[i] for k, c in columns.items()},
                      "value": value[i], **_take(fields, i),
                      "check": None if check is None else check.point(i).to_json(),
                      "line": read.line_numbers[i]})
    if output:
        statuses.append(write_results(output, kind, columns_of(docs), strict))
    else:
        statuses.append(out.close())
    interrupts.raise_if_lost()
    return ExitStatus.BAD_INPUT if read.bad else max(statuses)


def batch_only(output: str | None) -> None:
    """--output holds a batch's results; one point's result goes to stdout."""
    if output:
        raise BadInput("--output writes the results of a --points batch; without --points "
                       "the result goes to stdout")


def _take(fields: dict[str, Any], i: int) -> dict[str, Any]:
    """Point i's share of the fields: arrays, and dicts and lists of arrays, are indexed;
    the rest is shared."""
    def one(field: Any) -> Any:
        if isinstance(field, np.ndarray):
            return field[i]
        if isinstance(field, dict):
            return {key: one(value) for key, value in field.items()}
        if isinstance(field, list):
            return [one(item) for item in field]
        return field

    return {key: one(field) for key, field in fields.items()}


def read_batch(source: str, names: list[str], strict: bool, given: list[str]) -> Any:
    """Read `--points` (a path or '-') into columns; bad lines go to stderr (exit 2 later).
    `given` are the names that --at holds for every point, which the file must not repeat."""
    from diffcli.expr import parse_value

    from . import points
    from .tables import binary_kind, read_table

    try:
        if source == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(source, "rb") as handle:
                data = handle.read()
    except OSError as err:
        raise BadInput(f"--points: cannot read {source}: {err.strerror}") from None
    kind = binary_kind(data)
    if kind:
        read = read_table(data, kind, names)
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise BadInput(f"--points: {source} is neither UTF-8 text (NDJSON, CSV) nor "
                           f"Parquet or Arrow (byte {err.start + 1})") from None
        read = points.read_points(text, names, parse_value)
    both = [name for name in read.ignored if name in given]
    if both:
        raise BadInput(f"{names_text(both)} given both with --at and in --points: give each "
                       "variable one way")
    if strict and read.bad:
        number, reason = read.bad[0]
        raise BadInput(f"--points line {number}: {reason} (stopped: --strict)")
    for number, reason in read.bad:
        render.error(f"--points line {number}: {reason}")
    if read.ignored:
        render.warn(f"--points: {names_text(read.ignored)} not used in the expression; ignored")
    return read


def _columns(names: list[str], fixed: dict[str, Any], source: str,
             strict: bool) -> tuple[Any, dict[str, Any]]:
    """The points of `--points` as columns, with `--at` values repeated for every point."""
    read = read_batch(source, [name for name in names if name not in fixed], strict, list(fixed))
    n = len(read)
    # --at values hold for every point; give them the batch axis so each point gets its own.
    columns = {name: np.broadcast_to(np.asarray(value, float), (n, *np.shape(value))).copy()
               for name, value in fixed.items()}
    columns.update(read.columns)
    return read, columns


def vectorisable(node: Any, columns: dict[str, Any]) -> bool:
    """One tape serves all points when every op is elementwise over scalar values.

    A reduction (sum, dot, ...) or a vector value would mix the batch axis with the
    values' own axis, so those batches run point by point instead.
    """
    from diffcli.expr.tree import has_reduction

    if any(column.ndim != 1 for column in columns.values()):
        return False
    return not has_reduction(node)


def _fast_lines(expression: str, read: Any, columns: dict[str, Any], value: Any,
                fields: dict[str, Any], echo: bool, check: Any = None) -> list[str] | None:
    """The NDJSON lines by one %-template per point; None if a number is not finite.

    Python's float repr is JSON's number syntax, so each line costs one string
    formatting instead of building and serialising a dict. Formatting floats is most of
    the cost, so with `echo` the point's own input text stands as "at". A `check`
    (verify.BatchCheck) brings the check object's slots into the same template.
    """
    results: list[np.ndarray] = []

    def slot(field: Any) -> str:
        if isinstance(field, dict):
            return "{" + ", ".join(f"{json.dumps(k)}: {slot(v)}" for k, v in field.items()) + "}"
        if isinstance(field, list):
            return "[" + ", ".join(slot(v) for v in field) + "]"
        if isinstance(field, np.ndarray):
            results.append(field)
            return "%s"
        return json.dumps(field).replace("%", "%%")

    at = "%s" if echo else "{" + ", ".join(f"{json.dumps(name)}: %s" for name in columns) + "}"
    body = "".join(f", {json.dumps(key)}: {slot(field)}" for key, field in fields.items())
    text = json.dumps(expression).replace("%", "%%")
    numbers = [value, *results] if echo else [*columns.values(), value, *results]
    n = len(read)
    if any(np.ndim(a) > 1 for a in numbers) or not all(np.isfinite(a).all() for a in numbers):
        return None
    memo: dict[int, list[str]] = {}  # the check's autograd values are these very arrays
    strings = []
    for a in numbers:
        memo[id(a)] = list(map(float.__repr__, np.broadcast_to(a, (n,)).tolist()))
        strings.append(memo[id(a)])
    if echo:
        strings.insert(0, [line.strip() for line in read.verbatim])
    checked, check_columns = ("null", []) if check is None else check.json_template(memo)
    template = (f'{{"expression": {text}, "at": {at}, "value": %s{body}, '
                f'"check": {checked}, "line": %d}}')
    return [template % row for row in zip(*strings, *check_columns, read.line_numbers)]
