"""The console script's first step: Ctrl-C is watched (see interrupts.py), a command that
will check with sympy forks sympy's worker before typer and the engine load, so that
sympy's start-up (most of a one-point check) overlaps the rest of it; then the CLI runs as
usual (`app.main`)."""

from __future__ import annotations

import gc
import sys

from . import interrupts

# The commands that check with sympy: one point unless told not to, a batch when asked.
CHECKED = ("grad", "derivative", "hessian", "jacobian")


def main() -> None:
    """Console-script entry point. A Ctrl-C during the imports (most of a short run) ends
    it with one line and exit 130, never a traceback.

    The imports run without the cyclic garbage collector: they make almost no garbage,
    yet each of the collections their allocations set off walked every object of numpy
    and typer loaded so far (a tenth of a one-point run). `app.main` freezes what they
    made and turns the collector back on before the command runs; sympy's worker does
    the same once sympy is in.
    """
    gc.disable()
    interrupts.watch()
    try:
        if will_use_sympy(sys.argv[1:]):
            from diffcli.verify.budget import prestart

            prestart()
        from .app import main as run

        interrupts.raise_if_lost()
    except KeyboardInterrupt:
        interrupts.stop()
    run()


def will_use_sympy(args: list[str]) -> bool:
    """A guess from the words alone (typer has not parsed them yet): a wrong guess costs
    a worker that goes unused, or a start-up without the overlap, never a result."""
    if not args or args[0] not in CHECKED:
        return False
    names = [arg.split("=", 1)[0] for arg in args]
    if "-h" in names or "--help" in names:
        return False
    for i, arg in enumerate(args):
        name, _, value = arg.partition("=")
        if name == "--check-timeout":
            value = value or (args[i + 1] if i + 1 < len(args) else "")
            try:
                if float(value) <= 0:  # no time for sympy: it is not asked
                    return False
            except ValueError:
                return False
    return "--check" in names if "--points" in names else "--no-check" not in names
