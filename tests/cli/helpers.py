"""Helpers: run the CLI as a real subprocess, read its output, and sympy's truth."""

import json
import os
import subprocess
import sys
from pathlib import Path

import sympy

ROOT = Path(__file__).resolve().parents[2]


class Run:
    """What a run left behind: exit status, stdout, stderr."""

    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code, self.stdout, self.stderr = code, stdout, stderr

    def json(self) -> dict:
        """stdout must be exactly one JSON document."""
        lines = self.stdout.splitlines()
        assert len(lines) == 1, self.stdout
        return json.loads(lines[0])

    def ndjson(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines()]


def run_process(*args: str, input: str | None = None, env: dict | None = None,
                python_flags: tuple[str, ...] = ()) -> Run:
    """`python -m diffcli ARGS` in a real subprocess."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, *python_flags, "-m", "diffcli", *args], input=input,
                          capture_output=True, text=True, env=full_env, cwd=ROOT)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def at_point(expr: sympy.Expr, **values: float) -> dict[str, float]:
    """sympy's exact gradient of `expr` at the point, as floats: the independent truth."""
    subs = {sympy.Symbol(k): v for k, v in values.items()}
    return {k: float(sympy.diff(expr, sympy.Symbol(k)).subs(subs)) for k in values}
