"""`diffcli gradcheck`: check a hand-written backward in the user's own file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from diffcli import render, verify

from ..app import command
from ..errors import BadInput, ExitStatus, names_text
from ..options import NO_VALUES, Output, Timeout, Values
from ..output import emit, title
from ..values import parse, parse_values, variables


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
    at: Values = NO_VALUES,
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
    *,
    out: Output,
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
        raise BadInput(f"{target} takes {names_text(params)}; no value for {names_text(missing)}: "
                       "pass " + " ".join(f"--at {p}=VALUE" for p in missing))
    for name in values:
        if name not in params:
            render.warn(f"'{name}' is not a parameter of {target}; ignored")
    node = parse(expr) if expr is not None else None
    if node is not None:
        stray = [v for v in variables(node) if v not in params]
        if stray:
            raise BadInput(f"--expr uses {names_text(stray)}, which {target} does not take")
    point = {p: values[p] for p in params}
    try:
        report = verify.check_function(fn, params, point, node, order, eps=eps, rtol=rtol,
                                       atol=atol, timeout=check_timeout)
    except verify.FunctionError as err:
        raise BadInput(f"{target}: {err}") from None
    if report.skipped:
        render.warn(f"--expr: sympy's witness {report.skipped}")
    doc = {"target": target, "at": point, **report.to_json()}
    status = ExitStatus.OK if report.ok else ExitStatus.CHECK_FAILED
    return max(status, emit(doc, out.json, out.strict, _draw))


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
    import traceback

    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == str(path)]
    return f" (line {frames[-1].lineno})" if frames else ""


def _draw(doc: dict) -> None:
    keys = ["analytical", "numerical", "symbolic"]
    if doc["inputs"] and "analytical_2" in doc["inputs"][0]:
        keys += ["analytical_2", "numerical_2"]
        if any(r["symbolic_2"] is not None for r in doc["inputs"]):
            keys.append("symbolic_2")
    columns = ["input", *(f"2nd {k[:-2]}" if k.endswith("_2") else k for k in keys)]
    rows = [[r["name"], *(r[k] for k in keys), "ok" if r["ok"] else "WRONG"]
            for r in doc["inputs"]]
    notes = [f"error: {doc['error']}"] if doc.get("error") else []
    for wrong in doc["disagree_at"]:
        at = ", ".join(f"{name} = {render.number(v)}" for name, v in wrong["at"].items())
        notes += [f"right at the given point but wrong at a random one, {at}: input {r['name']}: "
                  f"analytical {render.number(r['analytical'])}, numerical "
                  f"{render.number(r['numerical'])}" for r in wrong["inputs"] if not r["ok"]]
    render.show_table(title(doc, "target"), [*columns, "verdict"], rows, notes)
