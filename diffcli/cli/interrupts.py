"""Ctrl-C that is never lost. The console script's handler raises KeyboardInterrupt, as
Python's own does, and also notes it: Python drops that exception when the handler
happens to run inside a weakref callback, as the import system's are, so a Ctrl-C during
one of the many lazy imports could otherwise go unanswered. The batch looks at the note
between results and at its end; the run once more before it exits."""

from __future__ import annotations

import os
import signal
import sys
from typing import NoReturn

from .errors import ExitStatus

_seen: list[int] = []  # Ctrl-C received and not yet answered with its line


def watch() -> None:
    """Install the handler (the console script's first step). Where Ctrl-C is ignored
    (a background job) or not Python's to handle, it stays so."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupt)
        sys.unraisablehook = _unraisable


def _interrupt(signum: int, frame: object) -> None:
    _seen.append(signum)
    raise KeyboardInterrupt


def _unraisable(unraisable: object) -> None:
    """Python's report of an exception it dropped, but for a KeyboardInterrupt: that one
    is noted and gets its line later, not a traceback."""
    if not isinstance(getattr(unraisable, "exc_value", None), KeyboardInterrupt):
        sys.__unraisablehook__(unraisable)


def pending() -> bool:
    """Whether a Ctrl-C came that no line has answered yet."""
    return bool(_seen)


def raise_if_lost() -> None:
    """KeyboardInterrupt now, for a Ctrl-C whose exception Python dropped."""
    if _seen:
        raise KeyboardInterrupt


def answered() -> None:
    """The Ctrl-C has been answered by its line (the batch's count): forget it."""
    _seen.clear()


LINE = "error: interrupted\n"  # when no batch had begun to count its results


def stop() -> NoReturn:
    """Before anything was written: the line, then exit 130 (the worker, if any, is
    stopped rather than left to finish importing sympy)."""
    budget = sys.modules.get("diffcli.verify.budget")
    if budget is not None:
        budget.stop_worker()
    sys.stderr.write(LINE)
    sys.stderr.flush()
    os._exit(ExitStatus.INTERRUPTED)
