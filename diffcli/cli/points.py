"""Batch input for `--points`: NDJSON or CSV text to columns of values, bad lines kept aside.

Good lines become one numpy column per variable (shape (N, *value_shape)) so the CLI can
run a single vectorised tape; bad lines are returned with their line number (from 1)
and a reason, so one bad line never stops the others.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .errors import names_text

# A converter for textual values such as "pi/4" or "[1, 2]" (the expression language's).
ParseValue = Callable[[str], "float | np.ndarray"]


@dataclass
class Points:
    """Good points as columns, in input order, and the lines that could not be read."""

    line_numbers: list[int]
    columns: dict[str, np.ndarray]
    bad: list[tuple[int, str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    # The JSON text of each point as given, when every line is a clean object of exactly
    # the needed numbers: the output can echo it as "at" instead of formatting it again.
    verbatim: list[str] | None = None

    def __len__(self) -> int:
        return len(self.line_numbers)


class _BadPoint(Exception):
    """A line that cannot be a point; the message says why."""


def read_points(text: str, names: list[str], parse_value: ParseValue) -> Points:
    """Read NDJSON (a line starting with '{') or CSV with a header row."""
    lines = text.splitlines()
    first = next((line.lstrip() for line in lines if line.strip()), "")
    if first.startswith("{"):
        return _read_ndjson(lines, names, parse_value)
    return _read_csv(lines, names, parse_value)


def _read_ndjson(lines: list[str], names: list[str], parse_value: ParseValue) -> Points:
    fast = _ndjson_fast(lines, names)
    if fast is not None:
        return fast
    numbered = [(i, line) for i, line in enumerate(lines, 1) if line.strip()]
    rows = []
    for number, line in numbered:
        try:
            obj = json.loads(line, parse_constant=_not_json)
        except json.JSONDecodeError as err:
            rows.append((number, _BadPoint(f"not valid JSON ({err.msg} at column {err.colno})")))
            continue
        except _BadPoint as err:
            rows.append((number, err))
            continue
        if not isinstance(obj, dict):
            rows.append((number, _BadPoint("expected a JSON object of values, like {\"x\": 2}")))
            continue
        rows.append((number, obj))
    return _columns(rows, names, parse_value)


def _not_json(word: str) -> float:
    """Python's json reads NaN and Infinity, which JSON does not have."""
    raise _BadPoint(f"not valid JSON ({word} is not a JSON number; JSON has no NaN or "
                    "infinities)")


def _ndjson_fast(lines: list[str], names: list[str]) -> Points | None:
    """Parse all lines in one json call and build columns in numpy; None if any line is odd.

    The common batch is clean; this keeps it to a few C calls per column. Anything the
    fast path cannot vouch for (a blank or bad line, a string value, ragged vectors, a
    bool) makes it step aside for the line-by-line reader, which finds and names the
    culprit.
    """
    if not all(lines):
        return None
    try:
        objs = json.loads("[" + ",".join(lines) + "]", parse_constant=_not_json)
    except (ValueError, _BadPoint):  # not JSON, or NaN/Infinity: the line reader names the line
        return None
    if len(objs) != len(lines) or not all(type(obj) is dict for obj in objs):
        return None
    keys = set(objs[0]) if objs else set()
    if not keys.issuperset(names) or any(obj.keys() != keys for obj in objs):
        return None
    columns = {}
    for name in names:
        raw = [obj[name] for obj in objs]
        # numpy turns JSON true into 1 when mixed with numbers; a bool is never a value.
        if any(v is True or v is False for v in raw):
            return None
        try:
            column = np.array(raw)
        except ValueError:
            return None
        if column.dtype.kind not in "iuf":
            return None
        columns[name] = column.astype(np.float64, copy=False)
    ignored = sorted(keys.difference(names))
    return Points(list(range(1, len(lines) + 1)), columns, ignored=ignored,
                  verbatim=None if ignored else lines)


def _read_csv(lines: list[str], names: list[str], parse_value: ParseValue) -> Points:
    reader = csv.reader(lines)
    header: list[str] | None = None
    rows: list[tuple[int, dict | _BadPoint]] = []
    for cells in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = [cell.strip() for cell in cells]
            continue
        if len(cells) != len(header):
            rows.append((number, _BadPoint(f"{len(cells)} fields but the header has {len(header)}")))
        else:
            rows.append((number, {key: cell.strip() for key, cell in zip(header, cells)}))
    if header is not None:
        missing = [name for name in names if name not in header]
        if missing:
            # A header without a needed column makes every line bad; say it once, at line 1.
            return Points([], {}, [(1, f"the CSV header has no column {names_text(missing)}")])
    return _columns(rows, names, parse_value)


def _columns(
    rows: list[tuple[int, dict | _BadPoint]], names: list[str], parse_value: ParseValue
) -> Points:
    """Check each row's values and stack the good ones; a shape must match the first good row."""
    good: list[int] = []
    values: dict[str, list[np.ndarray]] = {name: [] for name in names}
    shapes: dict[str, tuple[int, ...]] = {}
    bad: list[tuple[int, str]] = []
    ignored: set[str] = set()
    for number, row in rows:
        try:
            if isinstance(row, _BadPoint):
                raise row
            point = _point(row, names, parse_value)
            for name, value in point.items():
                expected = shapes.setdefault(name, value.shape)
                if value.shape != expected:
                    raise _BadPoint(
                        f"'{name}' has shape {_shape(value.shape)} but earlier points "
                        f"have {_shape(expected)}"
                    )
        except _BadPoint as err:
            bad.append((number, str(err)))
            continue
        ignored.update(key for key in row if key not in values)
        good.append(number)
        for name, value in point.items():
            values[name].append(value)
    columns = {
        name: np.array(column, dtype=np.float64) if column else np.zeros(0)
        for name, column in values.items()
    }
    return Points(good, columns, bad, sorted(ignored))


def _point(row: dict, names: list[str], parse_value: ParseValue) -> dict[str, np.ndarray]:
    missing = [name for name in names if name not in row]
    if missing:
        raise _BadPoint(f"no value for {names_text(missing)}")
    return {name: _value(name, row[name], parse_value) for name in names}


def _value(name: str, raw: object, parse_value: ParseValue) -> np.ndarray:
    if isinstance(raw, str):
        try:
            return np.asarray(float(raw))
        except ValueError:
            pass
        try:
            return np.asarray(parse_value(raw), dtype=np.float64)
        except Exception as err:
            raise _BadPoint(f"value of '{name}' is not a number: {raw!r} ({_message(err)})") from None
    if isinstance(raw, bool) or not _is_numeric(raw):
        raise _BadPoint(f"value of '{name}' must be a number or a list of numbers, got {json.dumps(raw)}")
    try:
        value = np.asarray(raw, dtype=np.float64)
    except ValueError:
        raise _BadPoint(f"value of '{name}' is a ragged list") from None
    return value


def _is_numeric(raw: object) -> bool:
    if isinstance(raw, list):
        return all(not isinstance(item, bool) and _is_numeric(item) for item in raw)
    return isinstance(raw, (int, float)) and not isinstance(raw, bool)


def _message(err: Exception) -> str:
    return getattr(err, "message", None) or str(err)


def _shape(shape: tuple[int, ...]) -> str:
    return "scalar" if shape == () else str(shape)
