"""Checking autograd's gradients, nested derivatives, Hessians and Jacobians against
sympy and finite differences. Each check_* takes `Tolerances`' fields as keywords
(rtol, atol, fd_rtol, fd_atol) and `timeout`, sympy's budget in seconds.

`point` is {name: float | array}. Derivatives, Hessians and Jacobians are full: by a
vector each order adds its axis, so the shapes are output + variables (PyTorch's
functional.jacobian/hessian), and sympy differentiates one symbol per element. A
gradient is of the sum of the expression, so an elementwise expression of vectors
is a batch of points, each with its own gradient.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from diffcli.expr.tree import Binary, Node, Num, Var, substitute, variables

from .autograd_witness import kinks, nested_derivative
from .budget import run_with_budget
from .common import evaluate, magnitude, plain, point_values, sum_to
from .differences import Directional, finite_difference
from .judging import Status, Tolerances, judge
from .sympy_witness import element_shapes, witness_job


@dataclass
class Component:
    """One derivative, its witnesses and its verdict; `agrees` says for each witness
    whether it agrees with autograd (None where it gave no value). `directional` holds
    finite differences along random directions, where the arrays are too large to
    difference entry by entry: {"autograd": autograd along each, "finite_difference":
    the estimate along each}."""

    name: str
    autograd: np.ndarray
    symbolic: np.ndarray | None
    finite_difference: np.ndarray | None
    status: Status
    agrees: dict[str, bool | None] = field(default_factory=dict)
    directional: dict[str, np.ndarray] | None = None

    def to_json(self) -> dict:
        """{"name", "autograd", "symbolic", "finite_difference", "status", "agrees",
        "directional"}; non-finite numbers become None."""
        return {"name": self.name, "autograd": plain(self.autograd),
                "symbolic": plain(self.symbolic),
                "finite_difference": plain(self.finite_difference),
                "status": self.status.value, "agrees": self.agrees,
                "directional": None if self.directional is None else
                {k: plain(v) for k, v in self.directional.items()}}


@dataclass
class Check:
    """The verdict of one check; `agree` is False when any component is a mismatch, True
    when a witness judged some component and none is, None when no witness judged any."""

    components: list[Component]
    formula: dict[str, str] = field(default_factory=dict)
    skipped: str | None = None
    closed_form: dict[str, str] = field(default_factory=dict)

    @property
    def agree(self) -> bool | None:
        if any(c.status == Status.MISMATCH for c in self.components):
            return False
        return None if all(c.status == Status.UNCHECKED for c in self.components) else True

    def errors(self) -> tuple[float, float]:
        """Largest absolute and relative gap between autograd and its reference, over the
        components that are not at a kink (where the gap is the convention, not an error) or
        undefined."""
        gaps, rels = [0.0], [0.0]
        for c in self.components:
            if c.status in (Status.CONVENTION, Status.UNDEFINED):
                continue
            a, ref = c.autograd, c.symbolic if c.symbolic is not None else c.finite_difference
            if ref is None and c.directional is not None:
                a, ref = c.directional["autograd"], c.directional["finite_difference"]
            # A value of another shape has no gap to measure: its status says mismatch.
            if ref is None or np.shape(a) != np.shape(ref):
                continue
            a, b = np.asarray(a, float), np.asarray(ref, float)
            ok = np.isfinite(a) & np.isfinite(b)
            gap = np.abs(a - b)[ok]
            scale = np.maximum(np.abs(a), np.abs(b))[ok]
            gaps.extend(gap.tolist())
            rels.extend(np.where(scale > 0, gap / np.where(scale > 0, scale, 1), 0).tolist())
        return max(gaps), max(rels)

    def to_json(self) -> dict:
        """{"agree", "symbolic" and "finite_difference" ({component: value}), "formula"
        ({component: sympy's text}), "closed_form" ({component: sympy's matrix-calculus
        text}, where it answered), "max_abs_error", "max_rel_error", "components",
        "skipped" (why sympy gave no witness)}; non-finite numbers become None."""
        abs_err, rel_err = self.errors()
        return {
            "agree": self.agree,
            "symbolic": {c.name: plain(c.symbolic) for c in self.components},
            "finite_difference": {c.name: plain(c.finite_difference) for c in self.components},
            "formula": self.formula,
            "closed_form": self.closed_form,
            "max_abs_error": abs_err,
            "max_rel_error": rel_err,
            "components": [c.to_json() for c in self.components],
            "skipped": self.skipped,
        }


def _check(nodes: Sequence[Node], entries: Sequence[tuple[str, int, tuple[str, ...]]],
           point: Mapping, autograd_values: Sequence | None, tol: Tolerances,
           timeout: float, elementwise: bool = False) -> Check:
    values = point_values(point)
    if autograd_values is None:
        autograd_values = [nested_derivative(nodes[i], values, wrt, elementwise=elementwise)
                           for _, i, wrt in entries]
    comps = [(i, tuple(wrt)) for _, i, wrt in entries]
    differences: list = []

    def difference_all() -> None:
        differences.extend(finite_difference(nodes[i], values, wrt, elementwise=elementwise)
                           for _, i, wrt in entries)

    # Finite differences run here while sympy works in its child: two cores, one wait. A
    # partial, not a lambda: it pickles, so sympy's prestarted worker can take it.
    results, skipped = run_with_budget(
        partial(witness_job, nodes, comps, values, elementwise), timeout, difference_all)
    found, why = results if results is not None else ([None] * len(comps), None)
    check = Check([], skipped=skipped or why)
    for k, (name, i, wrt) in enumerate(entries):
        a = np.asarray(autograd_values[k], dtype=np.float64)
        s, closed = None, False
        if found[k] is not None:
            text, s, closed = found[k]
            s = np.asarray(s, dtype=np.float64)
            check.formula[name] = text
            if closed:
                check.closed_form[name] = text
        f = differences[k]
        value = evaluate(nodes[i], values)
        if elementwise:
            shape = () if element_shapes(nodes, values, True) else np.shape(values[wrt[-1]])
            kink = _mask_to(kinks(nodes[i], values), shape)
            pole = _mask_to(~np.isfinite(value), shape)
        else:
            shape = value.shape + sum((np.shape(values[n]) for n in wrt), ())
            kink = _spread(kinks(nodes[i], values), shape)
            pole = _spread(~np.isfinite(value), shape)
        # sympy's closed form is evaluated in doubles: allow their rounding, which grows
        # with the length of the sums in its matrix products.
        sym_tol = replace(tol, atol=tol.atol + ROUNDING * np.finfo(float).eps * magnitude(s)
                          * np.sqrt(sum(np.size(v) for v in values.values()))) if closed else tol
        if isinstance(f, Directional):
            check.components.append(_directional(name, a, s, f, kink, pole, value, len(wrt),
                                                 elementwise, tol, sym_tol))
            continue
        status, agrees = judge(a, s, f, kink, pole, len(wrt), magnitude(value), sym_tol)
        check.components.append(Component(name, a, s, f, status, agrees))
    return check


ROUNDING = 64  # in units of eps * |derivative| * sqrt(entries): a closed form's rounding


def _directional(name: str, a: np.ndarray, s: np.ndarray | None, f: Directional, kink,
                 pole, value, order: int, elementwise: bool, tol: Tolerances,
                 sym_tol: Tolerances) -> Component:
    """A component whose finite differences go along random directions: judged entry by
    entry against sympy where it answered, else along the directions against them."""
    along = f.project(a, elementwise)
    scale = magnitude(np.asarray(value.sum() if elementwise else value))
    hit = np.broadcast_to(np.any(kink) if elementwise else _any_over(kink, value), along.shape)
    nan = np.broadcast_to(np.any(pole) if elementwise else _any_over(pole, value), along.shape)
    fd_status, fd_agrees = judge(along, None, f.estimates, hit, nan, order, scale, tol)
    status, agrees = fd_status, fd_agrees
    if s is not None:
        status, agrees = judge(a, s, None, kink, pole, order, scale, sym_tol)
        agrees["finite_difference"] = fd_agrees["finite_difference"]
    return Component(name, a, s, None, status, agrees,
                     {"autograd": along, "finite_difference": f.estimates})


def _any_over(mask: np.ndarray, value: np.ndarray) -> np.ndarray:
    """A full derivative's mask reduced to the output's shape: any entry marked."""
    mask = np.asarray(mask, dtype=bool)
    return mask.reshape(np.shape(value) + (-1,)).any(axis=-1)


def _mask_to(mask: np.ndarray, shape: tuple) -> np.ndarray:
    """Where any element that feeds each entry of `shape` is marked."""
    return sum_to(np.asarray(mask, dtype=float), shape) > 0


def _spread(mask: np.ndarray, shape: tuple) -> np.ndarray:
    """An output's mask over a full derivative of `shape`, whose leading axes are the
    output's: each output element marks all of its own derivatives."""
    mask = np.asarray(mask, dtype=bool)
    return np.broadcast_to(mask.reshape(mask.shape + (1,) * (len(shape) - mask.ndim)), shape)


def check_gradient(node: Node, point: Mapping, grads: Mapping | None = None,
                   wrt: Sequence[str] | None = None, *, timeout: float = 10.0,
                   **tolerances: float) -> Check:
    """Check each first partial derivative; component names are the variable names."""
    names = list(wrt if wrt is not None else (grads or point))
    given = None if grads is None else [grads[n] for n in names]
    # A gradient is of the sum: each point of an elementwise batch gets its own.
    return _check([node], [(n, 0, (n,)) for n in names], point, given,
                  Tolerances(**tolerances), timeout, elementwise=True)


def check_derivative(node: Node, point: Mapping, wrt_sequence: Sequence[str],
                     value=None, *, timeout: float = 10.0, **tolerances: float) -> Check:
    """Check one nested derivative; its component is named "x,x,y" for ("x", "x", "y")."""
    wrt = tuple(wrt_sequence)
    return _check([node], [(",".join(wrt), 0, wrt)], point,
                  None if value is None else [value], Tolerances(**tolerances), timeout)


def check_hessian(node: Node, point: Mapping, hessian=None,
                  variables: Sequence[str] | None = None, *, timeout: float = 10.0,
                  **tolerances: float) -> Check:
    """Check hessian[i][j] = d2f/dv_i dv_j; components are named "x,y"."""
    names = list(variables if variables is not None else point)
    pairs = [(a, b) for a in names for b in names]
    given = None if hessian is None else [hessian[i][j] for i in range(len(names))
                                          for j in range(len(names))]
    return _check([node], [(f"{a},{b}", 0, (a, b)) for a, b in pairs], point, given,
                  Tolerances(**tolerances), timeout)


def check_jacobian(nodes: Sequence[Node], point: Mapping, jacobian=None,
                   variables: Sequence[str] | None = None, *, timeout: float = 10.0,
                   **tolerances: float) -> Check:
    """Check jacobian[i][j] = d nodes[i] / d v_j; components are named "i:v" (0-based i)."""
    names = list(variables if variables is not None else point)
    entries = [(f"{i}:{n}", i, (n,)) for i in range(len(nodes)) for n in names]
    given = None if jacobian is None else [jacobian[i][j] for i in range(len(nodes))
                                           for j in range(len(names))]
    return _check(list(nodes), entries, point, given, Tolerances(**tolerances), timeout)


def check_jvp(node: Node, point: Mapping, direction: Mapping, forward, reverse, *,
              timeout: float = 10.0, **tolerances: float) -> Check:
    """Check a directional derivative, d/dt f(v + t d_v) at t = 0: the forward-mode value
    (component "forward") and reverse mode's gradient·direction ("reverse"), each against
    sympy's derivative in t and finite differences along the direction."""
    taken = set(variables(node)) | set(point)
    values, moves = dict(point), {}
    t = _fresh("t", taken)
    for name, d in direction.items():
        if np.ndim(d):  # a vector direction enters the line as a variable of its own
            step_name = _fresh(f"d{name}", taken | set(values))
            values[step_name], step = d, Var(step_name)
        else:
            step = Num(float(d))
        moves[name] = Binary("+", Var(name), Binary("*", step, Var(t)))
    values[t] = 0.0
    return _check([substitute(node, moves)], [("forward", 0, (t,)), ("reverse", 0, (t,))],
                  values, [forward, reverse], Tolerances(**tolerances), timeout)


def _fresh(stem: str, taken: set[str]) -> str:
    """`stem`, or `stem` with the first number that makes it a name not in `taken`."""
    name, k = stem, 1
    while name in taken:
        name, k = f"{stem}{k}", k + 1
    return name
