"""Workload 6 (issues 4 and 12): start-up time and batch throughput of the `diffcli`
command, with and without the check.

Each figure is a wall time of a real subprocess (a cold start), median of repeats,
beside a reference run by the same Python interpreter that runs `diffcli`; the runs of
a figure and its reference take turns.
"""

from __future__ import annotations

import functools
import json
import math
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.harness import Row, medians

EXPR = "x**3 + y**2"
ONE_POINT = ["grad", EXPR, "--at", "x=2", "--at", "y=3", "--json"]
BATCH = ["grad", EXPR, "--points", "-", "--json", "--no-check"]
# A typical expression for the checked batch (issue 12: 100,000 points in under 5 s).
TYPICAL = "sin(x)*exp(y) + x**3*y"
CHECKED_BATCH = ["grad", TYPICAL, "--points", "-", "--json", "--check"]

# The floor for a batch: a Python loop that only reads and writes the same NDJSON and
# computes the gradient by hand, so the ratio shows what the JSON I/O alone costs.
JSON_FLOOR = """
import json, sys
write = sys.stdout.write
for line in sys.stdin:
    p = json.loads(line)
    write(json.dumps({"gradient": {"x": 3 * p["x"] ** 2, "y": 2 * p["y"]}}) + "\\n")
"""


class Unavailable(Exception):
    """The command failed or answered wrongly; the message goes in the table."""


def diffcli_command() -> tuple[list[str], str]:
    """The `diffcli` console script and the Python interpreter that runs it.

    The script beside this interpreter comes first, then the one on PATH; without
    either, `python -m diffcli`.
    """
    script = Path(sys.executable).with_name("diffcli")
    if not script.exists():
        found = shutil.which("diffcli")
        if found is None:
            return [sys.executable, "-m", "diffcli"], sys.executable
        script = Path(found)
    first = script.read_text(errors="replace").split("\n", 1)[0]
    python = first[2:].strip() if first.startswith("#!") else sys.executable
    return [str(script)], python


def run(cmd: list[str], stdin: bytes | None = None) -> bytes:
    """stdout of a command that must succeed, else `Unavailable` with its last error line."""
    proc = subprocess.run(cmd, input=stdin, capture_output=True)
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines() or [""]
        raise Unavailable(f"exit {proc.returncode}: {lines[-1][:80]}")
    return proc.stdout


def expected_gradient(x: float, y: float) -> dict[str, float]:
    return {"x": 3 * x**2, "y": 2 * y}


def typical_gradient(x: float, y: float) -> dict[str, float]:
    """The gradient of TYPICAL, worked by hand."""
    return {"x": math.cos(x) * math.exp(y) + 3 * x**2 * y, "y": math.sin(x) * math.exp(y) + x**3}


def check_gradients(stdout: bytes, points: list[tuple[float, float]],
                    expected: Callable[[float, float], dict[str, float]] = expected_gradient,
                    checked: bool = False) -> None:
    """Raise `Unavailable` unless stdout holds one right JSON gradient per point, in order
    (and, when `checked`, a check that agrees at every point)."""
    lines = stdout.decode().splitlines()
    if len(lines) != len(points):
        raise Unavailable(f"wrong output: {len(lines)} lines for {len(points)} points")
    for number, (line, (x, y)) in enumerate(zip(lines, points, strict=True), 1):
        doc = json.loads(line)
        got = doc.get("gradient", {})
        for name, want in expected(x, y).items():
            if not math.isclose(got.get(name, math.nan), want, rel_tol=1e-10, abs_tol=1e-10):
                raise Unavailable(f"wrong output: line {number} gradient {got}")
        if checked and (doc.get("check") or {}).get("agree") is not True:
            raise Unavailable(f"wrong output: line {number} check {doc.get('check')}")


def batch_input(n: int) -> tuple[bytes, list[tuple[float, float]]]:
    rng = np.random.default_rng(2)
    points = [(float(x), float(y)) for x, y in rng.uniform(-3, 3, (n, 2))]
    text = "".join(json.dumps({"x": x, "y": y}) + "\n" for x, y in points)
    return text.encode(), points


# Byte-compile the package that `diffcli` runs, as an installed one is: with
# PYTHONDONTWRITEBYTECODE an editable install would compile every module on every start.
COMPILE = ("import compileall, os, diffcli; "
           "compileall.compile_dir(os.path.dirname(diffcli.__file__), quiet=1)")


def bench_cli(points: int = 100_000, repeats: int = 10, batch_repeats: int = 3) -> list[Row]:
    diffcli, python = diffcli_command()
    subprocess.run([python, "-c", COMPILE], check=False, capture_output=True)
    rows = [
        Row("cli grad 1 point --no-check", "ms", None, "import numpy", None,
            target="<=1.2x ref"),
        Row("cli grad 1 point, sympy check", "ms", None, "import sympy", None,
            target="<=1.1x ref"),
        Row(f"cli grad batch {points:,} pts", "pts/s", None, "py json loop", None,
            target=">=1.0x ref"),
        Row(f"cli grad --check batch {points:,} pts", "pts/s", None, "py json loop", None,
            target="100,000 in <5 s"),
    ]
    batch, batch_points = batch_input(points)
    # (command, reference, stdin, points, expected gradient, checked, met by the row)
    cases = [
        (diffcli + ONE_POINT + ["--no-check"], [python, "-c", "import numpy"], None, [(2, 3)],
         expected_gradient, False, lambda row: row.ratio <= 1.2),
        (diffcli + ONE_POINT + ["--check"], [python, "-c", "import sympy"], None, [(2, 3)],
         expected_gradient, True, lambda row: row.ratio <= 1.1),
        (diffcli + BATCH, [python, "-c", JSON_FLOOR], batch, batch_points,
         expected_gradient, False, lambda row: row.ratio >= 1.0),
        (diffcli + CHECKED_BATCH, [python, "-c", JSON_FLOOR], batch, batch_points,
         typical_gradient, True, lambda row: 100_000 / row.value < 5.0),
    ]
    for row, (cmd, ref_cmd, stdin, expected, by_hand, checked, met) in zip(rows, cases,
                                                                          strict=True):
        n = batch_repeats if stdin else repeats
        timed = [functools.partial(run, ref_cmd, stdin)]  # measured even without diffcli
        try:
            check_gradients(run(cmd, stdin), expected, by_hand, checked)
            timed.append(functools.partial(run, cmd, stdin))
        except Unavailable as why:
            row.note = f"not available ({why})"
        row.ref_value, *value = medians(timed, n, scale=1e3)
        row.value = value[0] if value else None
        if stdin:
            if row.value is not None:
                row.note = f"{len(expected):,} in {row.value / 1e3:.2f} s"
            row.value, row.ref_value = (None if ms is None else 1e3 * len(expected) / ms
                                        for ms in (row.value, row.ref_value))
        if row.value is not None:
            row.met = met(row)
    return rows
