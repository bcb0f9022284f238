"""Exit statuses, the bad-input exception, and the one-line wording of any error."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """What the process tells its caller (documented in docs/exit-codes.md)."""

    OK = 0
    CHECK_FAILED = 1  # witnesses disagree, a claim is wrong, or non-finite under --strict
    BAD_INPUT = 2  # expression, values, flags, or an engine error the request caused
    INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
    BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader left early (`| head`)


class BadInput(Exception):
    """A problem with what the user asked for: message on stderr, exit status 2."""


def names_text(names: list[str]) -> str:
    """`['x', 'y']` -> `'x', 'y'`, for messages (a very long name is clipped)."""
    from diffcli.expr.errors import clip

    return ", ".join(f"'{clip(name)}'" for name in names)


def explain(err: Exception) -> str:
    """One line for the user: the caret form for expressions, a hint for engine errors."""
    from diffcli.expr import ExprError

    if isinstance(err, ExprError):
        return err.format()
    if isinstance(err, BadInput):
        return str(err)
    message = str(err)
    if message.startswith("Trying to backward through the graph a second time"):
        return f"{message} On the command line: add --retain-graph."
    if message.startswith("grad can be implicitly created only for scalar outputs"):
        return f"{message}; on the command line: pass --grad-output, or reduce with sum(...)"
    if isinstance(err, (RuntimeError, ValueError, ArithmeticError)):
        return message
    return f"internal error: {type(err).__name__}: {message} (rerun with --debug for details)"
