"""The `diffcli` command line: argument handling and dispatch only.

The maths lives below (engine in `diffcli.autograd`, language in `diffcli.expr`,
witnesses in `diffcli.verify`); output goes through `diffcli.render`. Heavy modules
(sympy, rich, the verifier) are imported inside the commands that need them, so a
one-point `grad --json --no-check` loads only typer, numpy and the engine.
"""

import functools
import os
import re
import sys
import traceback
import warnings
from collections.abc import Callable
from typing import Annotated, Any, NoReturn

import typer

from diffcli import __version__, render


def _new_app() -> typer.Typer:
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
    return made


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


app = _new_app()
# name -> command, so that main() can hand typer just the one asked for.
_COMMANDS: dict[str, Callable[..., None]] = {}


class BadInput(Exception):
    """A problem with what the user asked for: message on stderr, exit status 2."""


# ---- options shared by the commands -----------------------------------------------------

Expr = Annotated[str, typer.Argument(help="The expression, e.g. 'x**3 + y**2'.", show_default=False)]
At = Annotated[
    list[str] | None,
    typer.Option(
        "--at",
        help="Values: --at x=2 --at y=3, --at x=2,y=3, --at x=pi/4, --at 'x=[1,2,3]'.",
        show_default=False,
    ),
]
Wrt = Annotated[
    list[str] | None,
    typer.Option("--wrt", help="Differentiate with respect to NAME (repeatable).", show_default=False),
]
Json = Annotated[bool, typer.Option("--json", help="One JSON document on stdout (NDJSON for --points).")]
Check = Annotated[
    bool | None,
    typer.Option(
        "--check/--no-check",
        help="Cross-check with sympy and finite differences (default: on for one point).",
        show_default=False,
    ),
]
def _not_negative(value: float | None) -> float | None:
    if value is not None and value < 0:
        raise typer.BadParameter(f"must not be negative, got {value:g}")
    return value


Rtol = Annotated[
    float | None,
    typer.Option("--rtol", help="Relative tolerance of the checks [default: the verifier's].",
                 show_default=False, callback=_not_negative),
]
Atol = Annotated[
    float | None,
    typer.Option("--atol", help="Absolute tolerance of the checks [default: the verifier's].",
                 show_default=False, callback=_not_negative),
]
Timeout = Annotated[
    float,
    typer.Option("--check-timeout", help="Seconds allowed for the symbolic side.",
                 callback=_not_negative),
]
Strict = Annotated[
    bool, typer.Option("--strict", help="Non-finite results exit 1; a bad batch line stops.")
]
Debug = Annotated[bool, typer.Option("--debug", help="Show Python tracebacks.")]
PointsFile = Annotated[
    str | None,
    typer.Option(
        "--points",
        help="Batch: NDJSON or CSV (header row) of values, one point per line; '-' for stdin.",
        show_default=False,
    ),
]


def command(example: str, name: str | None = None) -> Callable[[Callable[..., int | None]], Callable[..., None]]:
    """Register a command whose --help ends with `example`, with errors mapped to exit 2.

    The body returns its exit status (None for 0). Any exception is a one-line message
    (the caret form for expressions) and status 2; `--debug` adds the traceback.
    """

    def register(fn: Callable[..., int | None]) -> Callable[..., None]:
        @functools.wraps(fn)
        def run(**kwargs: Any) -> None:
            status = _guarded(fn, kwargs)
            raise typer.Exit(status or 0)

        run.__doc__ = f"{fn.__doc__}\n\nExample:\n\n    {example}"
        app.command(name)(run)
        _COMMANDS[name or fn.__name__] = run
        return run

    return register


def _guarded(fn: Callable[..., int | None], kwargs: dict) -> int | None:
    debug = kwargs.get("debug", False)
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
        render.error(_explain(err))
        return 2


# 128 + SIGPIPE: what a shell reports for a writer whose reader left early (`yes | head -1`).
_BROKEN_PIPE = 141


def _reader_gone() -> int:
    """stdout's reader closed early (`| head`): stop quietly, as Unix tools do.

    Python's recipe: point stdout at devnull, so the interpreter's flush at exit
    cannot fail again with a message.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file (a test runner): nothing to flush
        pass
    return _BROKEN_PIPE


def _show_warning(message: Warning | str, category: type, *args: Any, **kwargs: Any) -> None:
    render.warn(str(message))


def _explain(err: Exception) -> str:
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


# ---- values ------------------------------------------------------------------------------

# A comma at bracket depth 0 that starts a new NAME=... ; vectors and calls keep theirs.
_NEXT_ASSIGNMENT = re.compile(r"\s*[A-Za-z_]\w*\s*=")


def split_assignments(items: list[str] | None, flag: str) -> list[tuple[str, str]]:
    """`["x=2,y=[1,2]", "z=pi/4"]` -> `[("x", "2"), ("y", "[1,2]"), ("z", "pi/4")]`."""
    pairs = []
    for item in items or []:
        for piece in _split_top_level(item):
            name, sep, value = piece.partition("=")
            name = name.strip()
            if not sep or not name.isidentifier() or not value.strip():
                raise BadInput(f"{flag} expects NAME=VALUE, got {piece.strip()!r}")
            pairs.append((name, value.strip()))
    return pairs


def _split_top_level(text: str) -> list[str]:
    pieces, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0 and _NEXT_ASSIGNMENT.match(text, i + 1):
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    return pieces


def parse_values(at: list[str] | None) -> dict[str, Any]:
    """`--at` items to {name: float or array}, each value read by the expression parser."""
    from diffcli.expr import ExprError, parse_value
    from diffcli.expr.tree import CONSTANTS

    values: dict[str, Any] = {}
    for name, text in split_assignments(at, "--at"):
        if name in values:
            raise BadInput(f"--at gives '{name}' twice")
        if name in CONSTANTS:
            raise BadInput(f"'{name}' is a constant ({CONSTANTS[name]!r}) and cannot be given a value")
        try:
            values[name] = parse_value(text)
        except ExprError as err:
            raise BadInput(err.format().replace("error: ", f"error: --at {name}: ", 1)) from None
    return values


def bind(names: list[str], values: dict[str, Any], wrt: list[str] | None) -> list[str]:
    """Check that every variable has a value; warn about given but unused ones.

    Returns the variables to differentiate: `wrt` if given, else the expression's
    variables followed by the unused given names (whose gradient is 0).
    """
    missing = [name for name in names if name not in values]
    if missing:
        hint = " ".join(f"--at {name}=VALUE" for name in missing)
        raise BadInput(f"no value for {_names(missing)}: pass {hint}")
    unused = [name for name in values if name not in names]
    for name in unused:
        render.warn(f"'{name}' is not used in the expression; its gradient is 0")
    targets = list(wrt) if wrt else [*names, *unused]
    unknown = [name for name in targets if name not in values]
    if unknown:
        raise BadInput(f"--wrt {_names(unknown)}: not a variable of the expression")
    return targets


def _names(names: list[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def parse(text: str) -> Any:
    from diffcli.expr import parse as parse_expression

    return parse_expression(text)


def main() -> None:
    """Console-script entry point.

    Typer turns every registered function into a click command on each run; for a
    command invocation only that one is registered, which keeps start-up lean. Help,
    --version and shell completion see the whole app.
    """
    # typer 0.28 vendors click and does not re-export its usage errors.
    from typer._click.exceptions import ClickException, NoArgsIsHelpError

    wanted = sys.argv[1] if len(sys.argv) > 1 else ""
    chosen = app
    if wanted in _COMMANDS:
        chosen = _new_app()
        chosen.command(wanted)(_COMMANDS[wanted])
    try:
        status = chosen(prog_name="diffcli", standalone_mode=False)
    except NoArgsIsHelpError as err:
        err.show()
        status = err.exit_code
    except ClickException as err:  # a usage error: one line, as for every other bad input
        command = f"diffcli {wanted}" if wanted in _COMMANDS else "diffcli"
        render.error(f"{err.format_message()} (see '{command} --help')")
        status = err.exit_code
    except typer.Abort:  # end of input at a prompt
        render.error("aborted")
        status = 1
    _leave(status or 0)


def _leave(status: int) -> NoReturn:
    """Flush and exit without the interpreter's teardown.

    Unloading numpy, typer and the rest costs about 15 ms, a sixth of a one-point run,
    and there is nothing left to clean up: no file is open for writing, and a sympy
    child has always been reaped by now.
    """
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        status = _reader_gone()
    sys.stderr.flush()
    os._exit(status)


# ---- output ------------------------------------------------------------------------------


def emit(doc: dict, as_json: bool, strict: bool, draw: Callable[[dict], None]) -> int:
    """Write one result (JSON or drawn for people); 1 under --strict if a number is not finite."""
    nonfinite: list[str] = []
    clean = render.plain(doc, "", nonfinite)
    for quantity in nonfinite:
        render.warn(f"{quantity} is not finite" + ("; written as null" if as_json else ""))
    if as_json:
        render.write_lines([render.dumps(clean)])
    else:
        draw(doc)
    return 1 if strict and nonfinite else 0


def _at_text(values: dict[str, Any]) -> str:
    return ", ".join(f"{name} = {render.number(value)}" for name, value in values.items())


def _title(doc: dict, key: str = "expression") -> str:
    """What was differentiated and where: "x**2  at x = 3"."""
    return f"{doc[key]}  at {_at_text(doc['at'])}"


# ---- commands ----------------------------------------------------------------------------


@command('diffcli grad "x**3 + y**2" --at x=2 --at y=3')
def grad(
    expression: Expr,
    at: At = None,
    wrt: Wrt = None,
    points: PointsFile = None,
    json: Json = False,
    check: Check = None,
    rtol: Rtol = None,
    atol: Atol = None,
    check_timeout: Timeout = 10.0,
    strict: Strict = False,
    debug: Debug = False,
) -> int:
    """Gradient of a scalar expression by reverse mode."""
    node = parse(expression)
    names = variables(node)
    values = parse_values(at)
    if points is not None:
        return _grad_batch(expression, node, names, values, wrt, points, json, bool(check), strict)
    targets = bind(names, values, wrt)
    value, gradient = _verify().gradient(node, values, targets)
    _explain_nonfinite(node, values, targets, expression, gradient)
    doc = {"expression": expression, "at": values, "value": value, "gradient": gradient, "check": None}
    status = _checked(doc, check, lambda: _verify().check_gradient(
        node, values, gradient, targets, **_tolerances(rtol, atol), timeout=check_timeout))
    return max(status, emit(doc, json, strict, _draw_grad))


def _explain_nonfinite(node: Any, values: dict[str, Any], targets: list[str], text: str,
                       gradient: dict[str, Any]) -> None:
    """Say which operation's backward first made a gradient inf or nan, for a person to look at."""
    import numpy as np

    if all(np.all(np.isfinite(g)) for g in gradient.values()):
        return
    origin = _verify().nonfinite_origin(node, values, targets, text)
    if origin:
        render.warn(f"the gradient is not finite: {origin}")


def _draw_grad(doc: dict) -> None:
    rows = [("value", doc["value"])]
    rows += [(f"∂/∂{name}", grad) for name, grad in doc["gradient"].items()]
    render.show(_title(doc), rows, _check_notes(doc["check"]))


def _checked(doc: dict, enabled: bool | None, run: Callable[[], Any]) -> int:
    """Run the cross-check unless --no-check; put it in doc["check"]; 1 if the witnesses disagree."""
    if enabled is False:
        return 0
    outcome = run()
    doc["check"] = outcome.to_json()
    return 0 if outcome.agree else 1


def _tolerances(rtol: float | None, atol: float | None) -> dict[str, float]:
    """Only the tolerances the user set, so the verifier's own defaults hold otherwise."""
    return {key: value for key, value in (("rtol", rtol), ("atol", atol)) if value is not None}


def _check_notes(check: dict | None) -> list[str]:
    """One line: which witnesses autograd was compared with, the verdict and the gaps."""
    if check is None:
        return []
    has = {key: any(v is not None for v in check[key].values())
           for key in ("symbolic", "finite_difference")}
    witness = "sympy" if has["symbolic"] else "finite differences" if has["finite_difference"] else None
    if witness is None and all(c["status"] == "undefined" for c in check["components"]):
        note = "check: the derivative is not finite here, by every witness (undefined)"
    elif witness is None:
        note = "check: no witness to compare with"
    else:
        if check["agree"]:
            note = (f"check: autograd agrees with {witness} (max error: abs "
                    f"{render.number(check['max_abs_error'])}, rel "
                    f"{render.number(check['max_rel_error'])})")
        else:  # the lines below say by how much, component by component
            note = f"check: autograd DISAGREES with {witness}"
        if has["symbolic"] and has["finite_difference"]:
            off = [c["name"] for c in check["components"]
                   if c["agrees"].get("finite_difference") is False]
            note += (f"; finite differences, an estimate, differ for {', '.join(off)}" if off
                     else " and with finite differences")
    unchecked = [c["name"] for c in check["components"] if c["status"] == "unchecked"]
    if unchecked and witness is not None:
        note += f"; no witness could judge {', '.join(unchecked)}"
    kinks = [c["name"] for c in check["components"] if c["status"] == "convention"]
    if kinks:
        note += f"; at a kink for {', '.join(kinks)}, autograd takes PyTorch's convention"
    if check["skipped"]:
        note += f"; sympy {check['skipped']}"
    return [note, *_mismatch_lines(check, "symbolic" if has["symbolic"] else "finite_difference")]


def _shown(value: Any) -> str:
    """A number from a JSON document, where null stood for inf or nan."""
    return "not finite" if value is None else render.number(value)


def _mismatch_lines(check: dict, witness: str) -> list[str]:
    """Which component disagrees, and what the judging witness says it should be."""
    said_by = {"symbolic": "sympy", "finite_difference": "finite differences"}[witness]
    return [
        f"  {c['name']}: autograd gives {_shown(c['autograd'])}, {said_by} {_shown(c[witness])}"
        for c in check["components"] if c["status"] == "mismatch"
    ]


def variables(node: Any) -> list[str]:
    from diffcli.expr import variables as names_in

    return names_in(node)


def _verify() -> Any:
    from diffcli import verify

    return verify


def _ones_like(t: Any) -> Any:
    from diffcli import ones_like

    return ones_like(t)


def _build(node: Any, values: dict[str, Any], text: str | None = None,
           requires_grad: bool = True) -> Any:
    """The expression's tape; `text` lets anomaly errors quote the subexpression."""
    from diffcli.expr import tape as tapes

    return tapes.build(node, values, requires_grad=requires_grad, text=text)


# ---- batches -----------------------------------------------------------------------------


def read_batch(source: str, names: list[str], strict: bool) -> Any:
    """Read `--points` (a path or '-') into columns; bad lines go to stderr (exit 2 later)."""
    from diffcli import points as batch
    from diffcli.expr import parse_value

    try:
        if source == "-":
            text = sys.stdin.read()
        else:
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
    except OSError as err:
        raise BadInput(f"--points: cannot read {source}: {err.strerror}") from None
    read = batch.read_points(text, names, parse_value)
    if strict and read.bad:
        number, reason = read.bad[0]
        raise BadInput(f"--points line {number}: {reason} (stopped: --strict)")
    for number, reason in read.bad:
        render.error(f"--points line {number}: {reason}")
    if read.ignored:
        render.warn(f"--points: {_names(read.ignored)} not used in the expression; ignored")
    return read


def _batch_columns(names: list[str], fixed: dict[str, Any], source: str,
                   strict: bool) -> tuple[Any, dict[str, Any]]:
    """The points of `--points` as columns, with `--at` values repeated for every point."""
    import numpy as np

    read = read_batch(source, [name for name in names if name not in fixed], strict)
    n = len(read)
    # --at values hold for every point; give them the batch axis so each point gets its own.
    columns = {name: np.broadcast_to(np.asarray(value, float), (n, *np.shape(value))).copy()
               for name, value in fixed.items()}
    columns.update(read.columns)
    return read, columns


def _grad_batch(
    expression: str,
    node: Any,
    names: list[str],
    fixed: dict[str, Any],
    wrt: list[str] | None,
    source: str,
    as_json: bool,
    check: bool,
    strict: bool,
) -> int:
    """`grad --points`: one vectorised tape for all good points, one result per line."""
    read, columns = _batch_columns(names, fixed, source, strict)
    n = len(read)
    targets = bind(names, columns, wrt)
    if check or not n or not _vectorisable(node, columns):
        docs = [_grad_point(expression, node, {k: c[i] for k, c in columns.items()}, targets, check)
                for i in render.progress(n, "checking" if check else "differentiating")]
    else:
        value, gradient = _verify().gradient(node, columns, targets, batch=n)
        echo = read.verbatim is not None and not fixed
        lines = _fast_lines(expression, read, columns, value, gradient, echo) if as_json else None
        if lines is not None:
            render.write_lines(lines)
            return 2 if read.bad else 0
        docs = [
            {"expression": expression, "at": {name: column[i] for name, column in columns.items()},
             "value": value[i], "gradient": {name: g[i] for name, g in gradient.items()},
             "check": None}
            for i in range(n)
        ]
    for doc, line in zip(docs, read.line_numbers):
        doc["line"] = line
    status = emit_batch(docs, as_json, strict)
    return 2 if read.bad else status


def _grad_point(expression: str, node: Any, values: dict[str, Any], targets: list[str],
                check: bool) -> dict:
    value, gradient = _verify().gradient(node, values, targets)
    doc = {"expression": expression, "at": values, "value": value, "gradient": gradient,
           "check": None}
    if check:
        doc["check"] = _verify().check_gradient(node, values, gradient).to_json()
    return doc


def _vectorisable(node: Any, columns: dict[str, Any]) -> bool:
    """One tape serves all points when every op is elementwise over scalar values.

    A reduction (sum, dot, ...) or a vector value would mix the batch axis with the
    values' own axis, so those batches run point by point instead.
    """
    from diffcli.expr import FUNCTIONS
    from diffcli.expr.tree import Call, postorder

    if any(column.ndim != 1 for column in columns.values()):
        return False
    return not any(isinstance(n, Call) and FUNCTIONS[n.name].reduces for n in postorder(node))


def _fast_lines(expression: str, read: Any, columns: dict[str, Any], value: Any,
                gradient: dict[str, Any], echo: bool) -> list[str] | None:
    """The NDJSON lines by one %-template per point; None if a number is not finite.

    Python's float repr is JSON's number syntax, so each line costs one string
    formatting instead of building and serialising a dict. Formatting floats is most of
    the cost, so with `echo` the point's own input text stands as "at".
    """
    import json

    import numpy as np

    n = len(read)
    numbers = [value, *gradient.values()] if echo else [*columns.values(), value,
                                                        *gradient.values()]
    if not all(np.isfinite(a).all() for a in numbers):
        return None
    at = "%s" if echo else "{" + ", ".join(f"{json.dumps(name)}: %s" for name in columns) + "}"
    grads = ", ".join(f"{json.dumps(name)}: %s" for name in gradient)
    text = json.dumps(expression).replace("%", "%%")
    template = (f'{{"expression": {text}, "at": {at}, "value": %s, '
                f'"gradient": {{{grads}}}, "check": null, "line": %d}}')
    strings = [list(map(float.__repr__, np.broadcast_to(a, (n,)).tolist())) for a in numbers]
    if echo:
        strings.insert(0, [line.strip() for line in read.verbatim])
    return [template % row for row in zip(*strings, read.line_numbers)]


def emit_batch(docs: list[dict], as_json: bool, strict: bool) -> int:
    """NDJSON (or one table for people); non-finite numbers warned about by line."""
    nonfinite: list[str] = []
    clean = []
    for doc in docs:
        found: list[str] = []
        clean.append(render.plain(doc, "", found))
        nonfinite += (f"line {doc['line']}: {quantity}" for quantity in found)
    for quantity in nonfinite[:_MAX_WARNINGS]:
        render.warn(f"{quantity} is not finite" + ("; written as null" if as_json else ""))
    if len(nonfinite) > _MAX_WARNINGS:
        render.warn(f"... and {len(nonfinite) - _MAX_WARNINGS} more non-finite numbers")
    if as_json:
        render.write_lines(render.dumps(doc) for doc in clean)
    else:
        _draw_batch(docs)
    return 1 if strict and nonfinite else 0


_MAX_WARNINGS = 20


def _draw_batch(docs: list[dict]) -> None:
    if not docs:
        render.show("no points", [])
        return
    first = docs[0]
    results = _batch_results(first)
    columns = ["line", *first["at"], "value", *results]
    rows = [[d["line"], *d["at"].values(), d["value"], *_batch_results(d).values()] for d in docs]
    render.show_table(first["expression"], columns, rows)


def _batch_results(doc: dict) -> dict[str, Any]:
    """The columns a batch table shows for one point: each partial, or the one derivative."""
    if "gradient" in doc:
        return {f"∂/∂{name}": g for name, g in doc["gradient"].items()}
    return {render.derivative_label(doc["wrt"]): doc["derivative"]}


@command('diffcli backward "x**3 + y**2" --at x=2 --at y=3 --repeat 2 --retain-graph')
def backward(
    expression: Expr,
    at: At = None,
    grad_output: Annotated[
        str | None,
        typer.Option("--grad-output", help="The gradient seeded at the output, as in backward(g).",
                     show_default=False),
    ] = None,
    repeat: Annotated[
        int, typer.Option("--repeat", min=1, help="Run backward N times; .grad accumulates.")
    ] = 1,
    retain_graph: Annotated[
        bool, typer.Option("--retain-graph", help="Keep the graph's saved values for another pass.")
    ] = False,
    create_graph: Annotated[
        bool, typer.Option("--create-graph", help="Record the backward pass: grads get a grad_fn.")
    ] = False,
    json: Json = False,
    strict: Strict = False,
    debug: Debug = False,
) -> int:
    """Run output.backward() like the tensor method and show each variable's .grad."""
    from diffcli import tensor
    from diffcli.expr import parse_value

    node = parse(expression)
    values = parse_values(at)
    targets = bind(variables(node), values, None)
    tape = _build(node, values, expression)
    output = tape.output
    seed = None if grad_output is None else tensor(parse_value(grad_output))
    for done in range(repeat):
        try:
            output.backward(seed, retain_graph=True if retain_graph else None,
                            create_graph=create_graph)
        except RuntimeError as err:
            raise BadInput(f"backward pass {done + 1} of {repeat}: {_explain(err)}") from None
    grads = {name: _leaf_grad(tape, values, name) for name in targets}
    doc = {"expression": expression, "at": values, "value": output.data,
           "grad": {name: g.data for name, g in grads.items()},
           "grad_fn": _grad_fn_name(output), "passes": repeat}
    if create_graph:
        # The grads are functions of the inputs now: report their grad_fn and their own
        # gradient (of each grad's sum, as grad.backward(ones) would give).
        doc["grad_grad_fn"] = {name: _grad_fn_name(g) for name, g in grads.items()}
        doc["grad_grad"] = {
            name: {n: t.data for n, t in _verify().differentiate(g, tape, values, targets, _ones_like(g)).items()}
            for name, g in grads.items()
        }
    return emit(doc, json, strict, _draw_backward)


def _leaf_grad(tape: Any, values: dict[str, Any], name: str) -> Any:
    """The leaf's .grad after backward; zeros where no pass reached it (an unused name)."""
    import numpy as np

    from diffcli import tensor

    leaf = tape.leaves.get(name)
    if leaf is None or leaf.grad is None:
        return tensor(np.zeros(np.shape(values[name])))
    return leaf.grad


def _grad_fn_name(t: Any) -> str | None:
    return None if t.grad_fn is None else t.grad_fn.name()


def _draw_backward(doc: dict) -> None:
    rows = [("value", doc["value"]), ("grad_fn", str(doc["grad_fn"])), ("passes", doc["passes"])]
    rows += [(f"{name}.grad", grad) for name, grad in doc["grad"].items()]
    for name, fn in doc.get("grad_grad_fn", {}).items():
        rows.append((f"{name}.grad.grad_fn", str(fn)))
        rows += [(f"∂({name}.grad)/∂{n}", v) for n, v in doc["grad_grad"][name].items()]
    render.show(_title(doc), rows)


@command('diffcli derivative "sin(x)*y**2" --wrt x --wrt y --at x=1 --at y=2')
def derivative(
    expression: Expr,
    wrt: Annotated[
        list[str],
        typer.Option("--wrt", help="Differentiate by NAME; repeat for a mixed partial (in order).",
                     show_default=False),
    ],
    at: At = None,
    order: Annotated[int, typer.Option("--order", min=1, help="Repeat a single --wrt N times.")] = 1,
    points: PointsFile = None,
    json: Json = False,
    check: Check = None,
    rtol: Rtol = None,
    atol: Atol = None,
    check_timeout: Timeout = 10.0,
    strict: Strict = False,
    debug: Debug = False,
) -> int:
    """An n-th derivative or mixed partial, by nested grad(create_graph=True)."""
    if order > 1 and len(wrt) > 1:
        raise BadInput("--order repeats a single --wrt; for a mixed partial give each --wrt in "
                       "order (e.g. --wrt x --wrt x --wrt y)")
    sequence = list(wrt) * order
    node = parse(expression)
    values = parse_values(at)
    tolerances = {**_tolerances(rtol, atol), "timeout": check_timeout}
    if points is not None:
        return _derivative_batch(expression, node, values, sequence, points, json,
                                 bool(check), strict, tolerances)
    bind(variables(node), values, sequence)
    doc, status = _derivative_point(expression, node, values, sequence, check, tolerances)
    return max(status, emit(doc, json, strict, _draw_derivative))


def _derivative_point(expression: str, node: Any, values: dict[str, Any], sequence: list[str],
                      check: bool | None, tolerances: dict[str, float]) -> tuple[dict, int]:
    value = _build(node, values, expression, requires_grad=False).output.data
    result = _verify().nested_derivative(node, values, sequence)
    doc = {"expression": expression, "at": values, "value": value, "wrt": sequence,
           "derivative": result, "check": None}
    status = _checked(doc, check, lambda: _verify().check_derivative(
        node, values, sequence, result, **tolerances))
    return doc, status


def _derivative_batch(expression: str, node: Any, fixed: dict[str, Any], sequence: list[str],
                      source: str, as_json: bool, check: bool, strict: bool,
                      tolerances: dict[str, float]) -> int:
    """`derivative --points`: elementwise expressions in one nested pass over all points."""
    import numpy as np

    names = variables(node)
    read, columns = _batch_columns(names, fixed, source, strict)
    bind(names, columns, sequence)
    n = len(read)
    statuses = [0]
    if check or not n or not _vectorisable(node, columns):
        docs = []
        for i in render.progress(n, "checking" if check else "differentiating"):
            doc, status = _derivative_point(expression, node, {k: c[i] for k, c in columns.items()},
                                            sequence, check, tolerances)
            docs.append(doc)
            statuses.append(status)
    else:
        value = np.broadcast_to(_build(node, columns, requires_grad=False).output.data, (n,))
        result = _verify().nested_derivative(node, columns, sequence)
        docs = [{"expression": expression, "at": {k: c[i] for k, c in columns.items()},
                 "value": value[i], "wrt": sequence, "derivative": result[i], "check": None}
                for i in range(n)]
    for doc, line in zip(docs, read.line_numbers):
        doc["line"] = line
    status = max(max(statuses), emit_batch(docs, as_json, strict))
    return 2 if read.bad else status


def _draw_derivative(doc: dict) -> None:
    rows = [("value", doc["value"]), (render.derivative_label(doc["wrt"]), doc["derivative"])]
    render.show(_title(doc), rows, _check_notes(doc["check"]))


@command('diffcli hessian "x**2*y + y**3" --at x=1 --at y=2')
def hessian(
    expression: Expr,
    at: At = None,
    json: Json = False,
    check: Check = None,
    rtol: Rtol = None,
    atol: Atol = None,
    check_timeout: Timeout = 10.0,
    strict: Strict = False,
    debug: Debug = False,
) -> int:
    """Hessian of a scalar expression: nested grad(create_graph=True) for each pair."""
    node = parse(expression)
    values = parse_values(at)
    names = bind(variables(node), values, None)
    value, gradient = _verify().gradient(node, values, names)
    nested = _verify().nested_derivative
    matrix = [[nested(node, values, (a, b)) for b in names] for a in names]
    doc = {"expression": expression, "at": values, "value": value, "variables": names,
           "gradient": gradient, "hessian": matrix, "check": None}
    status = _checked(doc, check, lambda: _verify().check_hessian(
        node, values, matrix, names, **_tolerances(rtol, atol), timeout=check_timeout))
    return max(status, emit(doc, json, strict, _draw_hessian))


def _draw_hessian(doc: dict) -> None:
    names = doc["variables"]
    render.show(_title(doc),
                [("value", doc["value"])] + [(f"∂/∂{n}", g) for n, g in doc["gradient"].items()])
    render.show_table("Hessian", ["", *names],
                      [[name, *row] for name, row in zip(names, doc["hessian"])],
                      _check_notes(doc["check"]))


@command('diffcli jacobian "x*y" "x + sin(y)" --at x=1 --at y=2')
def jacobian(
    expressions: Annotated[
        list[str], typer.Argument(help="One or more expressions (the rows).", show_default=False)
    ],
    at: At = None,
    json: Json = False,
    check: Check = None,
    rtol: Rtol = None,
    atol: Atol = None,
    check_timeout: Timeout = 10.0,
    strict: Strict = False,
    debug: Debug = False,
) -> int:
    """Jacobian of several expressions: one row per expression, one column per variable."""
    nodes = [parse(text) for text in expressions]
    values = parse_values(at)
    used = list(dict.fromkeys(name for node in nodes for name in variables(node)))
    names = bind(used, values, None)
    nested = _verify().nested_derivative
    matrix = [[nested(node, values, (name,)) for name in names] for node in nodes]
    value = [_build(node, values, text, requires_grad=False).output.data
             for node, text in zip(nodes, expressions)]
    doc = {"expression": expressions, "at": values, "value": value, "variables": names,
           "jacobian": matrix, "check": None}
    status = _checked(doc, check, lambda: _verify().check_jacobian(
        nodes, values, matrix, names, **_tolerances(rtol, atol), timeout=check_timeout))
    return max(status, emit(doc, json, strict, _draw_jacobian))


def _draw_jacobian(doc: dict) -> None:
    render.show_table(f"Jacobian at {_at_text(doc['at'])}", ["", *doc["variables"]],
                      [[text, *row] for text, row in zip(doc["expression"], doc["jacobian"])],
                      _check_notes(doc["check"]))



@command('diffcli check "x**3 + y**2" --grad x=3*x**2 --grad y=2*y --at x=2 --at y=3', "check")
def check_claims(
    expression: Expr,
    grad: Annotated[
        list[str],
        typer.Option("--grad", help="A hand-derived partial: --grad x=FORMULA (repeatable).",
                     show_default=False),
    ],
    at: At = None,
    json: Json = False,
    rtol: Rtol = None,
    atol: Atol = None,
    check_timeout: Timeout = 10.0,
    strict: Strict = False,
    debug: Debug = False,
) -> int:
    """Verify hand-derived partial derivatives at the point and at random points of the domain.

    Exit 1 when a component is wrong, naming it with the right value and sympy's formula.
    """
    node = parse(expression)
    values = parse_values(at)
    names = bind(variables(node), values, None)
    claims = {}
    for name, text in split_assignments(grad, "--grad"):
        if name in claims:
            raise BadInput(f"--grad gives '{name}' twice")
        if name not in names:
            raise BadInput(f"--grad {name}: '{name}' is not a variable of the expression")
        claims[name] = parse(text)
        stray = [v for v in variables(claims[name]) if v not in values]
        if stray:
            raise BadInput(f"--grad {name}: the formula uses {_names(stray)}, which has no value")
    result = _verify().check_claims(node, claims, values, **_tolerances(rtol, atol),
                                    timeout=check_timeout)
    doc = {"expression": expression, "at": values, **result.to_json()}
    return max(0 if result.ok else 1, emit(doc, json, strict, _draw_check))


def _draw_check(doc: dict) -> None:
    components = doc["components"]
    rows = [[c["wrt"], c["claimed"], c["claimed_value"], c["autograd"], c["symbolic"],
             "ok" if c["ok"] else "WRONG"] for c in components]
    notes = [f"∂/∂{c['wrt']} is wrong: {c['claimed']} gives {render.number(c['claimed_value'])} "
             f"but the derivative is {render.number(c['autograd'])}"
             + (f" (sympy: {c['formula']})" if c["formula"] else "")
             + f"; wrong at {len(c['disagree_at'])} of the points tried"
             for c in components if not c["ok"]]
    notes += [f"unchecked: {name} (no --grad given)" for name in doc["unchecked"]]
    render.show_table(_title(doc),
                      ["wrt", "claimed", "claimed value", "autograd", "sympy", "verdict"], rows,
                      notes)


@command('diffcli symbolic "sin(x)*exp(-y**2)" --wrt x --latex')
def symbolic(
    expression: Expr,
    wrt: Wrt = None,
    latex: Annotated[bool, typer.Option("--latex", help="Also give LaTeX.")] = False,
    check_timeout: Timeout = 10.0,
    json: Json = False,
    debug: Debug = False,
) -> int:
    """Sympy's derivative of the expression, as text (and LaTeX)."""
    node = parse(expression)
    names = variables(node)
    unknown = [name for name in wrt or [] if name not in names]
    if unknown:
        raise BadInput(f"--wrt {_names(unknown)}: not a variable of the expression")
    formulas = _verify().symbolic_derivatives(node, wrt or names, latex=latex,
                                              timeout=check_timeout)
    if formulas.skipped:
        render.warn(f"sympy {formulas.skipped} (allow more with --check-timeout)")
    return emit({"expression": expression, **formulas.to_json()}, json, False, _draw_symbolic)


def _draw_symbolic(doc: dict) -> None:
    rows = [(f"∂/∂{name}", formula) for name, formula in doc["derivative"].items()]
    rows += [(f"LaTeX ∂/∂{name}", text) for name, text in doc.get("latex", {}).items()]
    render.show(doc["expression"], rows)


@command('diffcli graph "sin(x)*y + x" --at x=1 --at y=2 --format tree')
def graph(
    expression: Expr,
    at: At = None,
    format: Annotated[
        str,
        typer.Option("--format", help="tree (for people), dot (Graphviz) or json."),
    ] = "tree",
    json: Json = False,
    debug: Debug = False,
) -> int:
    """The tape: one node per operation with its value and, after backward, its gradient.

    With --at, the output runs backward (when it is a scalar) and every node shows
    d output / d node, so the chain rule can be followed node by node.
    """
    if format not in ("tree", "dot", "json"):
        raise BadInput(f"--format must be tree, dot or json, not {format!r}")
    node = parse(expression)
    values = parse_values(at) if at else None
    if values is not None:
        bind(variables(node), values, None)
    nodes, edges = _graph(expression, node, values)
    doc = {"expression": expression, "at": values, "nodes": nodes, "edges": edges}
    if json or format == "json":
        return emit(doc, True, False, _draw_graph)
    if format == "dot":
        render.write_lines([render.dot(nodes, edges)])
        return 0
    return emit(doc, False, False, _draw_graph)


def _graph(text: str, root: Any, values: dict[str, Any] | None) -> tuple[list[dict], list[dict]]:
    """Nodes and edges (input -> consumer) of the parse tree, with values and gradients.

    A variable used twice is one node, as it is one leaf of the tape: its gradient is
    the sum over the paths that reach it.
    """
    from diffcli.expr.tree import Var, postorder

    tensors: dict[int, Any] = {}
    if values is not None:
        tape = _build(root, values, text)
        tensors = {id(tree_node): t for tree_node, t in tape.tensors}
        for t in tensors.values():
            if t.requires_grad and not t.is_leaf:
                t.retain_grad()
        if tape.output.requires_grad and tape.output.data.size == 1:
            tape.output.backward()
    ids: dict[Any, int] = {}
    nodes: list[dict] = []
    edges: list[dict] = []
    for tree_node in postorder(root):
        key = ("var", tree_node.name) if isinstance(tree_node, Var) else id(tree_node)
        if key not in ids:
            ids[key] = len(nodes)
            nodes.append(_graph_node(len(nodes), text, tree_node, tensors.get(id(tree_node))))
        ids[id(tree_node)] = ids[key]
        edges += [{"from": ids[id(child)], "to": ids[key]} for child in tree_node.children]
    return nodes, edges


def _graph_node(number: int, text: str, tree_node: Any, t: Any) -> dict:
    from diffcli.expr.tree import Binary, Call, Num, Unary, Var

    if isinstance(tree_node, Num):
        op = "constant"
    elif isinstance(tree_node, Var):
        op = "variable"
    elif isinstance(tree_node, (Unary, Binary)):
        op = tree_node.op
    else:
        assert isinstance(tree_node, Call)
        op = tree_node.name
    start, end = tree_node.span
    return {
        "id": number,
        "op": op,
        "text": text[start:end],
        "grad_fn": None if t is None else _grad_fn_name(t),
        "value": None if t is None else t.data,
        "grad": None if t is None or t.grad is None else t.grad.data,
    }


def _draw_graph(doc: dict) -> None:
    nodes = doc["nodes"]
    children: dict[int, list[int]] = {}
    for edge in doc["edges"]:
        children.setdefault(edge["to"], []).append(edge["from"])
    labels = {n["id"]: render.node_label(n) for n in nodes}
    title = _title(doc) if doc["at"] else doc["expression"]
    render.show_tree(title, children, labels, nodes[-1]["id"])


@command("diffcli gradcheck examples/hand_derived.py:WrongGradCube --at x=2 --at y=3 "
         "--expr 'x**3 + y**2'")
def gradcheck(
    target: Annotated[
        str,
        typer.Argument(
            metavar="FILE.py:NAME",
            help="Your Python file and the autograd.Function subclass (or function of "
                 "diffcli ops) in it. The file is imported, so its code runs: only check "
                 "files you trust.",
            show_default=False,
        ),
    ],
    at: At = None,
    expr: Annotated[
        str | None,
        typer.Option("--expr", help="The formula the forward computes, for sympy's witness.",
                     show_default=False),
    ] = None,
    order: Annotated[int, typer.Option("--order", min=1, max=2, help="2 checks second order too.")] = 1,
    eps: Annotated[float, typer.Option("--eps", help="Finite-difference step.")] = 1e-6,
    rtol: Annotated[float, typer.Option("--rtol", help="Relative tolerance, as gradcheck's.")] = 1e-3,
    atol: Annotated[float, typer.Option("--atol", help="Absolute tolerance, as gradcheck's.")] = 1e-5,
    check_timeout: Timeout = 10.0,
    json: Json = False,
    strict: Strict = False,
    debug: Debug = False,
) -> int:
    """Check a hand-written backward against finite differences of its forward (and sympy).

    Runs YOUR code: FILE.py is imported as a module. The forward's parameters (after
    ctx) take their values from --at. Exit 1 when an input's gradient is wrong, 2 when
    the file or the name cannot be loaded.
    """
    fn, params = _load_user_function(target)
    values = parse_values(at)
    missing = [p for p in params if p not in values]
    if missing:
        raise BadInput(f"{target} takes {_names(params)}; no value for {_names(missing)}: "
                       "pass " + " ".join(f"--at {p}=VALUE" for p in missing))
    for name in values:
        if name not in params:
            render.warn(f"'{name}' is not a parameter of {target}; ignored")
    node = parse(expr) if expr is not None else None
    if node is not None:
        stray = [v for v in variables(node) if v not in params]
        if stray:
            raise BadInput(f"--expr uses {_names(stray)}, which {target} does not take")
    point = {p: values[p] for p in params}
    verify = _verify()
    try:
        report = verify.check_function(fn, params, point, node, order, eps=eps, rtol=rtol,
                                       atol=atol, timeout=check_timeout)
    except verify.FunctionError as err:
        raise BadInput(f"{target}: {err}") from None
    if report.skipped:
        render.warn(f"--expr: sympy's witness {report.skipped}")
    doc = {"target": target, "at": point, **report.to_json()}
    return max(0 if report.ok else 1, emit(doc, json, strict, _draw_gradcheck))


def _load_user_function(target: str) -> tuple[Callable[..., Any], list[str]]:
    """Import FILE.py and find NAME: a Function subclass (its apply) or a plain function."""
    import importlib.util
    import inspect
    from pathlib import Path

    from diffcli.autograd import Function

    path_text, sep, name = target.rpartition(":")
    if not sep or not path_text or not name:
        raise BadInput(f"expected FILE.py:NAME, got {target!r}")
    path = Path(path_text)
    if not path.is_file():
        raise BadInput(f"cannot load {path_text}: no such file")
    spec = importlib.util.spec_from_file_location(f"_diffcli_user_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise BadInput(f"cannot load {path_text}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as err:
        where = _user_line(err, path)
        raise BadInput(f"cannot load {path_text}: running it raised "
                       f"{type(err).__name__}: {err}{where}") from None
    found = getattr(module, name, None)
    if isinstance(found, type) and issubclass(found, Function):
        params = list(inspect.signature(found.forward).parameters)[1:]  # after ctx
        return found.apply, params
    if inspect.isfunction(found):
        return found, list(inspect.signature(found).parameters)
    candidates = [key for key, value in vars(module).items() if not key.startswith("_") and (
        inspect.isfunction(value) and value.__module__ == module.__name__
        or isinstance(value, type) and issubclass(value, Function) and value is not Function)]
    what = "is not defined" if found is None else f"is a {type(found).__name__}"
    raise BadInput(f"cannot load {target}: {name!r} {what}; it must be an autograd.Function "
                   f"subclass or a function. {path_text} defines: {', '.join(candidates) or 'none'}")


def _user_line(err: BaseException, path: Any) -> str:
    import traceback as tb

    frames = [f for f in tb.extract_tb(err.__traceback__) if f.filename == str(path)]
    return f" (line {frames[-1].lineno})" if frames else ""


def _draw_gradcheck(doc: dict) -> None:
    keys = ["analytical", "numerical", "symbolic"]
    if doc["inputs"] and "analytical_2" in doc["inputs"][0]:
        keys += ["analytical_2", "numerical_2"]
        if any(r["symbolic_2"] is not None for r in doc["inputs"]):
            keys.append("symbolic_2")
    columns = ["input", *(f"2nd {k[:-2]}" if k.endswith("_2") else k for k in keys)]
    rows = [[r["name"], *(r[k] for k in keys), "ok" if r["ok"] else "WRONG"]
            for r in doc["inputs"]]
    render.show_table(_title(doc, "target"), [*columns, "verdict"], rows,
                      [f"error: {doc['error']}"] if doc.get("error") else [])
