"""Writing results: one JSON document or a drawn table, and the check's verdict in words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from diffcli import render

from .errors import ExitStatus

# A batch with more non-finite numbers than this names the first ones and counts the rest.
_MAX_WARNINGS = 20


def emit(doc: dict, as_json: bool, strict: bool, draw: Callable[[dict], None]) -> ExitStatus:
    """Write one result (JSON or drawn for people); CHECK_FAILED under --strict if a
    number is not finite."""
    nonfinite: list[str] = []
    clean = render.plain(doc, "", nonfinite)
    for quantity in nonfinite:
        render.warn(f"{quantity} is not finite" + ("; written as null" if as_json else ""))
    if as_json:
        render.write_lines([render.dumps(clean)])
    else:
        draw(doc)
    return ExitStatus.CHECK_FAILED if strict and nonfinite else ExitStatus.OK


class BatchOutput:
    """A batch's results as they are done: NDJSON lines written in chunks (see
    render.Lines), or, for people, rows kept for one table at the end. Non-finite
    numbers are warned about by line when the batch closes."""

    def __init__(self, as_json: bool, strict: bool, sink: render.Lines) -> None:
        self.as_json, self.strict, self.sink = as_json, strict, sink
        self.nonfinite: list[str] = []
        self.docs: list[dict] = []

    def add(self, doc: dict) -> None:
        """One result document (with its "line")."""
        found: list[str] = []
        clean = render.plain(doc, "", found)
        self.nonfinite += (f"line {doc['line']}: {quantity}" for quantity in found)
        if self.as_json:
            self.sink.add([render.dumps(clean)])
        else:
            self.docs.append(doc)

    def add_lines(self, lines: list[str]) -> None:
        """Results already written as NDJSON lines with finite numbers only."""
        self.sink.add(lines)

    def close(self) -> ExitStatus:
        """Write what is left; CHECK_FAILED under --strict if a number was not finite."""
        for quantity in self.nonfinite[:_MAX_WARNINGS]:
            render.warn(f"{quantity} is not finite" + ("; written as null" if self.as_json else ""))
        if len(self.nonfinite) > _MAX_WARNINGS:
            render.warn(f"... and {len(self.nonfinite) - _MAX_WARNINGS} more non-finite numbers")
        if self.as_json:
            self.sink.flush()
        else:
            _draw_batch(self.docs)
        return ExitStatus.CHECK_FAILED if self.strict and self.nonfinite else ExitStatus.OK


def _draw_batch(docs: list[dict]) -> None:
    if not docs:
        render.show("no points", [])
        return
    first = docs[0]
    value = ["value"] if "value" in first else []  # a claim check has none
    columns = ["line", *first["at"], *value, *_batch_results(first)]
    rows = [[d["line"], *d["at"].values(), *(d[key] for key in value),
             *_batch_results(d).values()] for d in docs]
    expression = first["expression"]
    render.show_table(expression if isinstance(expression, str) else ", ".join(expression),
                      columns, rows)


def _batch_results(doc: dict) -> dict[str, Any]:
    """The columns a batch table shows for one point: each partial (and second partial,
    once per pair), each Jacobian cell, each Taylor coefficient, the one derivative, or
    each claim's value, the derivative and the verdict."""
    if "components" in doc:
        return {key: cell for c in doc["components"] for key, cell in (
            (f"∂/∂{c['wrt']} claimed", c["claimed_value"]), (f"∂/∂{c['wrt']}", judged_derivative(c)),
            (f"∂/∂{c['wrt']} verdict", VERDICT_WORDS[c["verdict"]]))}
    gradient = {f"∂/∂{name}": g for name, g in doc.get("gradient", {}).items()}
    if "hessian" in doc:
        names = doc["variables"]
        return {**gradient, **{render.derivative_label((a, b)): doc["hessian"][i][j]
                               for i, a in enumerate(names) for j, b in enumerate(names) if j >= i}}
    if "jacobian" in doc:
        return {f"∂({text})/∂{name}": doc["jacobian"][i][j]
                for i, text in enumerate(doc["expression"]) for j, name in enumerate(doc["variables"])}
    if "gradient" in doc:
        return gradient
    if "coefficients" in doc:
        return {f"c{k}": c for k, c in enumerate(doc["coefficients"])}
    return {render.derivative_label(doc["wrt"]): doc["derivative"]}


VERDICT_WORDS = {"proven": "proven", "agrees": "agrees", "wrong": "WRONG"}


def judged_derivative(values: dict) -> Any:
    """The derivative a claim was judged by, from its "autograd" and "symbolic" values:
    autograd's, and sympy's where only sympy has a number (the tape's 0 * inf at the kink
    of sqrt(x**2))."""
    import numpy as np

    from diffcli.verify.common import plain

    auto, sym = values["autograd"], values["symbolic"]
    if sym is None or np.shape(auto) != np.shape(sym):
        return auto
    auto, sym = np.asarray(auto, dtype=float), np.asarray(sym, dtype=float)
    return plain(np.where(np.isfinite(auto), auto, sym))


def grad_fn_name(t: Any) -> str | None:
    """The name of a tensor's grad_fn, as its repr shows it; None for a leaf."""
    return None if t.grad_fn is None else t.grad_fn.name()


def at_text(values: dict[str, Any]) -> str:
    return ", ".join(f"{name} = {render.number(value)}" for name, value in values.items())


def title(doc: dict, key: str = "expression") -> str:
    """What was differentiated and where: "x**2  at x = 3" (just "5" without variables)."""
    return f"{doc[key]}  at {at_text(doc['at'])}" if doc["at"] else str(doc[key])


def checked(doc: dict, enabled: bool | None, run: Callable[[], Any]) -> ExitStatus:
    """Run the cross-check unless --no-check; put it in doc["check"]; CHECK_FAILED if the
    witnesses disagree (not when none could judge)."""
    if enabled is False:
        return ExitStatus.OK
    outcome = run()
    doc["check"] = outcome.to_json()
    return ExitStatus.CHECK_FAILED if outcome.agree is False else ExitStatus.OK


def check_notes(check: dict | None) -> list[str]:
    """One line: which witnesses autograd was compared with, the verdict and the gaps."""
    if check is None:
        return []
    has = {key: any(v is not None for v in check[key].values())
           for key in ("symbolic", "finite_difference")}
    along = [c for c in check["components"] if c.get("directional")]
    has["finite_difference"] = has["finite_difference"] or bool(along)
    witness = "sympy" if has["symbolic"] else "finite differences" if has["finite_difference"] else None
    if check["components"] and all(c["status"] == "undefined" for c in check["components"]):
        note = ("check: the derivative is not defined here: not finite by every witness, or "
                "the expression itself is not finite (undefined)")
    elif witness is None or check["agree"] is None:
        note = "check: unchecked: no witness could judge autograd here"
    else:
        if check["agree"]:
            note = (f"check: autograd agrees with {witness} (max error: abs "
                    f"{render.number(check['max_abs_error'])}, rel "
                    f"{render.number(check['max_rel_error'])})")
        else:  # the lines below say by how much, component by component
            note = f"check: autograd DISAGREES with {witness}"
        if has["symbolic"] and has["finite_difference"]:
            note += _differences_said(check)
    unchecked = [c["name"] for c in check["components"] if c["status"] == "unchecked"]
    if unchecked and witness is not None and check["agree"] is not None:
        note += f"; no witness could judge {', '.join(unchecked)}"
    kinks = [c for c in check["components"] if c["status"] == "convention"]
    if kinks:
        said = "; ".join(f"{c['name']}: autograd {shown(c['autograd'])}, "
                         f"{'sympy' if c['symbolic'] is not None else 'finite differences'} "
                         f"{shown(c['symbolic'] if c['symbolic'] is not None else c['finite_difference'])}"
                         for c in kinks)
        note += (f"; at a kink, where the derivative does not exist, autograd takes PyTorch's "
                 f"subgradient convention and the witnesses differ by design ({said})")
    if check.get("closed_form"):
        note += "; sympy's matrix calculus: " + ", ".join(
            f"∂/∂{name} = {text}" for name, text in check["closed_form"].items())
    if along:
        count = len(along[0]["directional"]["finite_difference"])
        note += (f"; finite differences along {count} random directions for "
                 f"{', '.join(c['name'] for c in along)} (too large to difference entry by entry)")
    if check["skipped"]:
        note += f"; sympy {check['skipped']}"
    return [note, *_mismatch_lines(check, "symbolic" if has["symbolic"] else "finite_difference")]


def _differences_said(check: dict) -> str:
    """How finite differences, an estimate, side where sympy judged: with sympy against a
    mismatch (they confirm it), or apart from it (they may be the ones that are off)."""
    fd = {c["name"]: (c["status"] == "mismatch", c["agrees"].get("finite_difference"))
          for c in check["components"]}
    confirm = [name for name, (wrong, agrees) in fd.items() if wrong and agrees is False]
    apart = [name for name, (wrong, agrees) in fd.items() if agrees is wrong]
    said = (f" and with finite differences for {', '.join(confirm)}" if confirm and
            not check["agree"] else "")
    if apart:
        said += f"; finite differences, an estimate, differ from sympy for {', '.join(apart)}"
    elif check["agree"]:
        said += " and with finite differences"
    return said


def shown(value: Any) -> str:
    """A number from a JSON document, where null stood for inf or nan."""
    return "not finite" if value is None else render.number(value)


def _mismatch_lines(check: dict, witness: str) -> list[str]:
    """Which component disagrees, and what the judging witness says it should be."""
    said_by = {"symbolic": "sympy", "finite_difference": "finite differences"}[witness]
    return [
        f"  {c['name']}: autograd gives {shown(c['autograd'])}, {said_by} {shown(c[witness])}"
        for c in check["components"] if c["status"] == "mismatch"
    ]
