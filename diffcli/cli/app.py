"""The typer app, the entry point (after launch.py), and the guard that turns any error
into one line.

`main()` registers only the command that was asked for (as click's lazy `get_command`
does), so a run imports that command's module and nothing of the others; help,
`--version` and shell completion see the whole `app`, built on first use.
"""

from __future__ import annotations

import gc
import importlib
import inspect
import os
import sys
import traceback
import warnings
from collections.abc import Callable
from typing import Annotated, Any, NoReturn

import typer

from diffcli import __version__, render

from . import interrupts
from .errors import BadInput, ExitStatus, explain
from .options import expand

# command name -> module in diffcli.cli.commands; the module defines a function of that name.
COMMANDS = {
    "grad": "grad",
    "backward": "backward",
    "derivative": "derivative",
    "hessian": "hessian",
    "jacobian": "jacobian",
    "check": "check",
    "symbolic": "symbolic",
    "graph": "graph",
    "gradcheck": "gradcheck",
    "plot": "plot",
    "taylor": "taylor",
    "jvp": "jvp",
}


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"diffcli {__version__}\n")
        raise typer.Exit()


def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Differentiate expressions, checked three ways."""


def new_app(commands: list[str]) -> typer.Typer:
    """A typer app with the named commands registered, importing only their modules."""
    made = typer.Typer(
        name="diffcli",
        help=(
            "Differentiate expressions with a PyTorch-style autograd engine, checked against "
            "sympy and finite differences.\n\n"
            "Exit status: 0 success, 1 a check failed, 2 bad input."
        ),
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    made.callback()(_main)
    for name in commands:
        module = importlib.import_module(f"diffcli.cli.commands.{COMMANDS[name]}")
        made.command(name)(getattr(module, name))
    return made


_FULL_APP: list[typer.Typer] = []


def __getattr__(name: str) -> Any:
    """`app`: every command, for help, completion and tests (built once, on first use)."""
    if name == "app":
        if not _FULL_APP:
            _FULL_APP.append(new_app(list(COMMANDS)))
        return _FULL_APP[0]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def command(example: str) -> Callable[[Callable[..., int | None]], Callable[..., None]]:
    """Make `fn` a command whose --help ends with `example`, with errors mapped to exit 2.

    The body returns its exit status (None for OK) and may take the option bundles of
    `options` as parameters. Any exception is a one-line message (the caret form for
    expressions) and BAD_INPUT; `--debug` adds the traceback.
    """

    def register(fn: Callable[..., int | None]) -> Callable[..., None]:
        signature, regroup = expand(fn)

        def run(**kwargs: Any) -> None:
            status = _guarded(fn, regroup(kwargs), kwargs.get("debug", False))
            raise typer.Exit(status or ExitStatus.OK)

        run.__name__, run.__qualname__ = fn.__name__, fn.__qualname__
        # Dedented first: click dedents by the least indented line, which the example's
        # "Example:" would make none, and every docstring line after the first kept its 4.
        run.__doc__ = f"{inspect.cleandoc(fn.__doc__ or '')}\n\nExample:\n\n    {example}"
        run.__signature__ = signature  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
        return run

    return register


def _guarded(fn: Callable[..., int | None], kwargs: dict, debug: bool) -> int | None:
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            status = fn(**kwargs)
        sys.stdout.flush()  # a reader that left shows up here rather than at exit
        return status
    except (typer.Exit, typer.Abort):
        raise
    except BrokenPipeError:
        return _reader_gone()
    except Exception as err:
        if debug:
            traceback.print_exc()
        render.error(explain(err))
        return ExitStatus.BAD_INPUT


def _reader_gone() -> ExitStatus:
    """stdout's reader closed early (`| head`): stop quietly, as Unix tools do.

    Python's recipe: point stdout at devnull, so the interpreter's flush at exit
    cannot fail again with a message.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file (a test runner): nothing to flush
        pass
    return ExitStatus.BROKEN_PIPE


def _show_warning(message: Warning | str, category: type, *args: Any, **kwargs: Any) -> None:
    render.warn(str(message))


def main() -> None:
    """Console-script entry point: one command registered, usage errors in one line."""
    # typer 0.28 vendors click and does not re-export its usage errors.
    from typer._click.exceptions import ClickException, NoArgsIsHelpError

    wanted = sys.argv[1] if len(sys.argv) > 1 else ""
    args = sys.argv[1:]
    try:  # the command's module loads here: a Ctrl-C in its imports ends the run
        group = typer.main.get_command(new_app([wanted]) if wanted in COMMANDS
                                       else __getattr__("app"))
        if wanted in COMMANDS:
            args = [wanted, *operands_last(args[1:], group.commands[wanted])]
    except KeyboardInterrupt:
        interrupts.stop()
    collect_from_here()
    try:
        # typer turns a Ctrl-C that no batch answered into exit 130, without a word
        status = group.main(args=args, prog_name="diffcli", standalone_mode=False)
    except NoArgsIsHelpError as err:
        err.show()
        status = err.exit_code
    except ClickException as err:  # a usage error: one line, as for every other bad input
        name = f"diffcli {wanted}" if wanted in COMMANDS else "diffcli"
        render.error(f"{err.format_message()} (see '{name} --help')")
        status = err.exit_code
    except typer.Abort:  # end of input at a prompt
        render.error("aborted")
        status = ExitStatus.INTERRUPTED
    _leave(status or ExitStatus.OK)


def collect_from_here() -> None:
    """The collector back on for the command, if the console script ran the imports
    without it (see launch.main); what they made is frozen, never to be walked again."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def operands_last(args: list[str], command: Any) -> list[str]:
    """Reorder a command's arguments so that an expression may start with '-'.

    Click would read `-x**2` as the option `-x`. Every token that is neither one of the
    command's options nor an option's value is an operand (an expression, a file); when
    one starts with '-', or the user wrote `--`, the options go first, then `--`, then
    the operands. A `--` typed anywhere makes just the next token an operand, so it
    works before or after the options alike.
    """
    takes_value = {"-h": False, "--help": False}
    for param in command.params:
        if param.param_type_name == "option":
            for name in (*param.opts, *param.secondary_opts):
                takes_value[name] = not param.is_flag
    options: list[str] = []
    operands: list[str] = []
    reorder = False
    i = 0
    while i < len(args):
        token = args[i]
        name = token.split("=", 1)[0]
        if token == "--":
            reorder = True
            operands += args[i + 1:i + 2]
            i += 2
            continue
        if name in takes_value or token.startswith("--"):
            value = int(bool(takes_value.get(name)) and "=" not in token)
            if i + value >= len(args):  # an option without its value: click says so
                return args
            options += args[i:i + 1 + value]
            i += 1 + value
            continue
        operands.append(token)
        reorder = reorder or token.startswith("-")
        i += 1
    return [*options, "--", *operands] if reorder else args


def _leave(status: int) -> NoReturn:
    """Flush and exit without the interpreter's teardown.

    Unloading numpy, typer and the rest costs about 15 ms, a sixth of a one-point run,
    and there is nothing left to clean up: no file is open for writing, and a sympy
    child has always been reaped by now. A Ctrl-C that nothing answered (typer's silent
    130, or one whose exception Python dropped) gets its line and exit 130 here.
    """
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        status = _reader_gone()
    except KeyboardInterrupt:
        pass  # noted by the handler: answered below
    if interrupts.pending():
        sys.stderr.write(interrupts.LINE)
        status = ExitStatus.INTERRUPTED
    sys.stderr.flush()
    os._exit(status)


__all__ = ["COMMANDS", "BadInput", "command", "main", "new_app"]
