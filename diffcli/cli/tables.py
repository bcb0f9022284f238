"""Columnar batch files: Parquet and Arrow IPC points in, Parquet and CSV results out.

pyarrow is the `parquet` extra, imported only when such a file is read or written.
Results are the JSON documents of a batch flattened to columns named by their JSON keys
joined with dots (`at.x`, `value`, `gradient.x`, `line`); only numbers, booleans and
vectors are kept, since text such as the expression is the same on every line.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np

from diffcli import render

from .errors import BadInput, ExitStatus, names_text
from .files import need, written
from .points import Points

RESULT_FORMATS = ("parquet", "csv", "ndjson")
# The first bytes of the binary formats that --points reads (Parquet, Arrow IPC file,
# Arrow IPC stream with its continuation marker).
_MAGIC = {b"PAR1": "Parquet", b"ARROW1": "Arrow", b"\xff\xff\xff\xff": "Arrow"}


def binary_kind(data: bytes) -> str | None:
    """"Parquet" or "Arrow" when the bytes start like such a file, else None (text)."""
    return next((kind for magic, kind in _MAGIC.items() if data.startswith(magic)), None)


def read_table(data: bytes, kind: str, names: list[str]) -> Points:
    """The columns `names` of a Parquet or Arrow IPC file as points, rows numbered from 1;
    a row with a missing (null) value is a bad line, as in the text formats."""
    pa = need("pyarrow", "parquet", f"reading {kind} points")
    try:
        if kind == "Parquet":
            table = need("pyarrow.parquet", "parquet", "reading Parquet points").read_table(
                io.BytesIO(data))
        else:
            ipc = need("pyarrow.ipc", "parquet", "reading Arrow points")
            reader = ipc.open_file if data.startswith(b"ARROW1") else ipc.open_stream
            table = reader(pa.BufferReader(data)).read_all()
    except pa.ArrowException as err:
        raise BadInput(f"--points: not a readable {kind} file ({err})") from None
    missing = [name for name in names if name not in table.column_names]
    if missing:
        return Points([], {}, [(1, f"the {kind} file has no column {names_text(missing)}")])
    n = table.num_rows
    good = np.ones(n, dtype=bool)
    values = {}
    for name in names:
        column = table.column(name)
        if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
            raise BadInput(f"--points: column '{name}' holds {column.type}, not numbers")
        values[name] = column.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
        if column.null_count:
            good &= ~np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    rows = np.arange(1, n + 1)
    bad = [(int(row), f"no value for {names_text([name for name in names if np.isnan(values[name][row - 1])])}")
           for row in rows[~good]]
    ignored = sorted(set(table.column_names).difference(names))
    return Points(rows[good].tolist(), {k: v[good] for k, v in values.items()}, bad, ignored)


def flatten(doc: dict) -> dict[str, Any]:
    """{"at": {"x": 1}, "value": 2} -> {"at.x": 1, "value": 2}: numbers, booleans and
    arrays only (leaves may be whole columns). A list per point (Taylor coefficients, a
    Hessian's rows), or its column of rows, becomes one column per index:
    "coefficients.0", "hessian.0.1"."""
    flat: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else key, item)
        elif isinstance(value, list):
            walk(prefix, {str(k): item for k, item in enumerate(value)})
        elif isinstance(value, np.ndarray) and value.ndim >= 2:  # the batch axis first
            walk(prefix, {str(k): value[:, k] for k in range(value.shape[1])})
        elif isinstance(value, (bool, int, float, np.number)) or (
                isinstance(value, np.ndarray) and value.dtype.kind in "biuf"):
            flat[prefix] = value

    walk("", doc)
    return flat


def columns_of(docs: list[dict]) -> dict[str, list]:
    """One column per flattened key, in first-seen order; None where a document lacks it."""
    flats = [flatten(doc) for doc in docs]
    keys = list(dict.fromkeys(key for flat in flats for key in flat))
    return {key: [flat.get(key) for flat in flats] for key in keys}


def write_results(path: str, kind: str, columns: dict[str, Any], strict: bool) -> ExitStatus:
    """Write result columns to a Parquet or CSV file (whole, or not at all); non-finite
    numbers stay NaN or inf there, with one warning, and exit 1 under --strict."""
    nonfinite = sum(_nonfinite(column) for column in columns.values())
    if nonfinite:
        render.warn(f"{nonfinite} results are not finite; written as NaN or inf to {path}")
    with written(path) as temporary:
        if kind == "parquet":
            _write_parquet(temporary, columns)
        else:
            _write_csv(temporary, columns)
    return ExitStatus.CHECK_FAILED if strict and nonfinite else ExitStatus.OK


def _nonfinite(column: Any) -> int:
    try:
        numbers = np.asarray(column, dtype=np.float64)
    except (TypeError, ValueError):  # vectors of several shapes, or None among numbers
        numbers = np.asarray([np.nan if v is None else np.sum(v) for v in column], dtype=np.float64)
        return int(np.sum(np.isinf(numbers)))
    return int(np.sum(~np.isfinite(numbers)))


def _write_parquet(path: str, columns: dict[str, Any]) -> None:
    pa = need("pyarrow", "parquet", "writing Parquet results")
    parquet = need("pyarrow.parquet", "parquet", "writing Parquet results")
    arrays = {key: pa.array(column if isinstance(column, np.ndarray)
                            else [_plain(v) for v in column])
              for key, column in columns.items()}
    parquet.write_table(pa.table(arrays), path)


def _plain(value: Any) -> Any:
    return value.tolist() if isinstance(value, np.ndarray) else value


def _write_csv(path: str, columns: dict[str, Any]) -> None:
    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, (bool, np.bool_)):
            return "true" if value else "false"
        if isinstance(value, np.ndarray):
            if value.ndim:
                return json.dumps(value.tolist())
            value = value.item()
        return repr(float(value)) if isinstance(value, (float, np.floating)) else str(value)

    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(columns)
        cells = [list(map(cell, column.tolist() if isinstance(column, np.ndarray) and
                          column.ndim == 1 else column)) for column in columns.values()]
        out.writerows(zip(*cells))
