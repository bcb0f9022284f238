"""The console script's first step: a command that will check one point with sympy
forks sympy's worker before anything imports numpy, so that sympy's start-up (most of
such a run) overlaps the rest of it; then the CLI runs as usual (`app.main`)."""

from __future__ import annotations

import sys

# The commands whose one-point run checks with sympy unless told not to.
CHECKED = ("grad", "derivative", "hessian", "jacobian")
# Any of these means no sympy for one point: no check, a batch, help, or no time for it.
UNCHECKED = ("--no-check", "--points", "-h", "--help")


def main() -> None:
    """Console-script entry point."""
    if will_check_one_point(sys.argv[1:]):
        from diffcli.verify.sympy_witness import prestart

        prestart()
    from .app import main as run

    run()


def will_check_one_point(args: list[str]) -> bool:
    """A guess from the words alone (typer has not parsed them yet): a wrong guess costs
    a worker that goes unused, or a start-up without the overlap, never a result."""
    if not args or args[0] not in CHECKED:
        return False
    names = [arg.split("=", 1)[0] for arg in args]
    if any(name in UNCHECKED for name in names):
        return False
    for i, arg in enumerate(args):
        name, _, value = arg.partition("=")
        if name == "--check-timeout":
            value = value or (args[i + 1] if i + 1 < len(args) else "")
            try:
                return float(value) > 0
            except ValueError:
                return False
    return True
