"""`diffcli plot`: f and its derivatives over a range, in the terminal or as PNG/SVG.

All orders come from one tape over the grid (diffcli.batch.derivatives); poles, jumps
and non-finite stretches are gaps, and the y-range ignores a pole's outliers
(diffcli.curves). uniplot and matplotlib are the `plot` extra, imported only to draw.
"""

from __future__ import annotations

import shutil
import sys
from typing import Annotated, Any

import numpy as np
import typer

from diffcli import render

from ..app import command
from ..errors import BadInput, ExitStatus, names_text
from ..files import need, suffix, written
from ..options import NO_VALUES, Expr, Tolerance, Values
from ..output import at_text
from ..values import bind, check_shapes, parse, parse_values, variables

_PANEL_ROWS = 12  # terminal chart height per order, in text rows


@command('diffcli plot "tan(x)" --from -3 --to 3 --order 1')
def plot(
    expression: Expr,
    start: Annotated[str, typer.Option("--from", help="Start of the range (a number or pi/2...).",
                                       show_default=False)],
    end: Annotated[str, typer.Option("--to", help="End of the range.", show_default=False)],
    wrt: Annotated[
        str | None,
        typer.Option("--wrt", help="The variable along the x axis (not needed for one variable).",
                     show_default=False),
    ] = None,
    order: Annotated[int, typer.Option("--order", min=0, max=8,
                                       help="Draw the derivatives of orders 1..N too.")] = 1,
    at: Values = NO_VALUES,
    samples: Annotated[int, typer.Option("--samples", min=2, max=1_000_000,
                                         help="Points on the grid.")] = 400,
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Write a .png or .svg (needs the plot extra) instead "
                     "of drawing in the terminal.", show_default=False),
    ] = None,
    size: Annotated[str, typer.Option("--size", help="Picture size in pixels, WIDTHxHEIGHT.")] = "900x600",
    check: Annotated[bool, typer.Option("--check", help="Compare every sampled derivative with "
                                        "sympy's exact one and report the largest difference.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show Python tracebacks.")] = False,
    *,
    tolerance: Tolerance,
) -> int:
    """Draw f and its derivatives over a range; poles and jumps are gaps."""
    from diffcli import batch, curves
    from diffcli.expr import parse_value

    node = parse(expression)
    names = variables(node)
    wrt = wrt or _only_variable(names)
    fixed = parse_values(at)
    if wrt in fixed:
        raise BadInput(f"'{wrt}' is along the x axis: give it --from and --to, not --at")
    bind(names, {**fixed, wrt: 0.0}, [wrt])
    check_shapes(node, {**fixed, wrt: 0.0}, expression)
    lo, hi = (_bound(parse_value, text, flag) for text, flag in ((start, "--from"), (end, "--to")))
    if not lo < hi:
        raise BadInput(f"--from must be below --to, got {lo:g} and {hi:g}")
    kind = suffix(output, ("png", "svg"), "--output") if output else None
    pixels = _size(size) if kind else None
    plotting = need("matplotlib", "plot", "plotting") if kind else need("uniplot", "plot", "plotting")
    x = np.linspace(lo, hi, samples)
    fixed = {name: value for name, value in fixed.items() if name in names}
    for name, value in fixed.items():
        if np.ndim(value):
            raise BadInput(f"--at {name}: a plot holds other variables at one number each")
    with np.errstate(all="ignore"):
        orders = batch.derivatives(expression, wrt, order, **{wrt: x}, **fixed)
    drawn = [curves.make_curve(k, x, y) for k, y in enumerate(orders)]
    labels = [expression] + [render.derivative_label([wrt] * k) for k in range(1, order + 1)]
    title = f"{expression}  over {wrt} in [{lo:g}, {hi:g}]" + (f"  at {at_text(fixed)}" if fixed else "")
    for label, curve in zip(labels, drawn):
        note = curves.clipped_note(label, curve)
        if note:
            sys.stderr.write(f"note: {note}\n")
    if kind:
        _save(plotting, output, kind, pixels, title, x, labels, drawn, wrt)
    else:
        _terminal(plotting, title, x, labels, drawn)
    if not check:
        return ExitStatus.OK
    line, status = _check(node, wrt, x, fixed, orders, labels, tolerance)
    render.write_lines([line])
    return status


def _only_variable(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    if not names:
        raise BadInput("the expression has no variables: there is nothing to put on the x axis")
    raise BadInput(f"--wrt is needed: the expression has the variables {names_text(names)}")


def _bound(parse_value: Any, text: str, flag: str) -> float:
    try:
        value = parse_value(text)
    except Exception as err:
        raise BadInput(f"{flag}: not a number: {text!r} ({getattr(err, 'message', err)})") from None
    if np.ndim(value) or not np.isfinite(value):
        raise BadInput(f"{flag} must be one finite number, got {text!r}")
    return float(value)


def _size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    if not (sep and width.isdigit() and height.isdigit()) or not (
            50 <= int(width) <= 10_000 and 50 <= int(height) <= 10_000):
        raise BadInput(f"--size expects WIDTHxHEIGHT in pixels (50 to 10000), got {text!r}")
    return int(width), int(height)


def _terminal(uniplot: Any, title: str, x: np.ndarray, labels: list[str], drawn: list) -> None:
    """One text chart per order, stacked, the x range the same for all."""
    width = max(30, min(shutil.get_terminal_size((80, 24)).columns - 14, 200))
    lines = [title]
    for label, curve in zip(labels, drawn):
        lines += ["", label]
        if not np.isfinite(curve.y).any():  # nothing to draw, and uniplot needs a number
            lines.append(f"  not finite anywhere in [{x[0]:g}, {x[-1]:g}]")
            continue
        chart = uniplot.plot_to_string(
            curve.y, x, lines=True, width=width, height=_PANEL_ROWS, color=False,
            x_min=float(x[0]), x_max=float(x[-1]), y_min=curve.y_range[0],
            y_max=curve.y_range[1])
        lines += chart.rstrip("\n").split("\n")
    render.write_lines(lines)


def _save(matplotlib: Any, path: str, kind: str, pixels: tuple[int, int], title: str,
          x: np.ndarray, labels: list[str], drawn: list, wrt: str) -> None:
    """One panel per order sharing the x axis; each curve's SVG group is `curve-ORDER`."""
    from matplotlib.figure import Figure

    dpi = 100
    figure = Figure(figsize=(pixels[0] / dpi, pixels[1] / dpi), dpi=dpi, layout="constrained")
    axes = figure.subplots(len(drawn), 1, sharex=True, squeeze=False)[:, 0]
    for ax, label, curve in zip(axes, labels, drawn):
        (line,) = ax.plot(x, curve.y, linewidth=1.4, color="#1f5fa8")
        line.set_gid(f"curve-{curve.order}")
        lo, hi = curve.y_range
        margin = 0.05 * (hi - lo)
        ax.set_ylim(lo - margin, hi + margin)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel(wrt)
    axes[-1].set_xlim(x[0], x[-1])
    figure.suptitle(title)
    with written(path) as temporary:
        try:
            figure.savefig(temporary, format=kind, dpi=dpi,
                           metadata={"Date": None} if kind == "svg" else None)
        except OSError as err:
            raise BadInput(f"cannot write {path}: {err.strerror or err}") from None


def _check(node: Any, wrt: str, x: np.ndarray, fixed: dict, orders: list[np.ndarray],
           labels: list[str], tolerance: Any) -> tuple[str, ExitStatus]:
    """sympy's derivatives of orders 1..N, lambdified over the grid, against autograd's."""
    from diffcli.verify import Tolerances, run_with_budget
    from diffcli.verify.autograd_witness import kinks
    from diffcli.verify.common import close
    from diffcli.verify.sympy_witness import symbolic_job

    if len(orders) < 2:
        return "check: --order 0 draws no derivative, so there is nothing to check", ExitStatus.OK
    settings = tolerance.as_kwargs()
    default = Tolerances()
    rtol, atol = settings.get("rtol", default.rtol), settings.get("atol", default.atol)
    point = {wrt: x, **fixed}
    comps = [(0, (wrt,) * k) for k in range(1, len(orders))]
    found, skipped = run_with_budget(lambda: symbolic_job([node], comps, [point], None),
                                     settings["timeout"])
    if found is None:
        return f"check: sympy {skipped}", ExitStatus.OK
    with np.errstate(all="ignore"):
        at_kink = np.broadcast_to(kinks(node, point), x.shape)
    worst: tuple[float, int, int] = (-1.0, 0, 0)  # (difference, order, index)
    wrong: list[str] = []
    compared = without = 0
    for k, (_, (symbolic,)) in enumerate(found, start=1):
        auto = orders[k]
        symbolic = np.broadcast_to(np.asarray(symbolic, dtype=np.float64), x.shape)
        both = np.isfinite(auto) & np.isfinite(symbolic) & ~at_kink
        without += int(np.sum(np.isfinite(auto) & ~np.isfinite(symbolic) & ~at_kink))
        compared += int(both.sum())
        difference = np.where(both, np.abs(auto - symbolic), -1.0)
        i = int(np.argmax(difference))
        if difference[i] > worst[0]:
            worst = (float(difference[i]), k, i)
        bad = np.flatnonzero(both & ~close(auto, symbolic, rtol, atol))
        if bad.size:
            j = bad[np.argmax(np.abs(auto - symbolic)[bad])]
            wrong.append(f"{labels[k]} at {wrt} = {x[j]:.6g}: autograd {render.number(auto[j])}, "
                         f"sympy {render.number(symbolic[j])} ({bad.size} of {x.size} points)")
    extra = []
    if without:
        extra.append(f"{without} sampled values where sympy's formula is not finite were not compared")
    if at_kink.any():
        extra.append(f"{int(at_kink.sum())} samples at a kink were left out")
    tail = "".join(f"; {e}" for e in extra)
    if wrong:
        return "check: autograd DISAGREES with sympy: " + "; ".join(wrong) + tail, ExitStatus.CHECK_FAILED
    if not compared:
        return "check: no sampled point had a finite value from both autograd and sympy" + tail, ExitStatus.OK
    difference, k, i = worst
    where = f", {labels[k]} at {wrt} = {x[i]:.6g}" if difference else ""
    return (f"check: autograd agrees with sympy at {compared} sampled values (largest difference "
            f"{difference:.3g}{where})" + tail), ExitStatus.OK
