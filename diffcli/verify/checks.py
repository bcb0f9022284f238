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
from dataclasses import dataclass, field

import numpy as np

from diffcli.expr.tree import Binary, Node, Num, Var, substitute, variables

from .autograd_witness import kinks, nested_derivative
from .common import evaluate, magnitude, plain, point_values, sum_to
from .differences import finite_difference
from .judging import Status, Tolerances, judge
from .sympy_witness import element_shapes, run_with_budget, symbolic_job


@dataclass
class Component:
    """One derivative, its witnesses and its verdict; `agrees` says for each witness
    whether it agrees with autograd (None where it gave no value)."""

    name: str
    autograd: np.ndarray
    symbolic: np.ndarray | None
    finite_difference: np.ndarray | None
    status: Status
    agrees: dict[str, bool | None] = field(default_factory=dict)

    def to_json(self) -> dict:
        """{"name", "autograd", "symbolic", "finite_difference", "status", "agrees"};
        non-finite numbers become None."""
        return {"name": self.name, "autograd": plain(self.autograd),
                "symbolic": plain(self.symbolic),
                "finite_difference": plain(self.finite_difference),
                "status": self.status.value, "agrees": self.agrees}


@dataclass
class Check:
    """The verdict of one check; `agree` is False when any component is a mismatch, True
    when a witness judged some component and none is, None when no witness judged any."""

    components: list[Component]
    formula: dict[str, str] = field(default_factory=dict)
    skipped: str | None = None

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
            ref = c.symbolic if c.symbolic is not None else c.finite_difference
            # A value of another shape has no gap to measure: its status says mismatch.
            if ref is None or np.shape(c.autograd) != np.shape(ref):
                continue
            a, b = np.asarray(c.autograd, float), np.asarray(ref, float)
            ok = np.isfinite(a) & np.isfinite(b)
            gap = np.abs(a - b)[ok]
            scale = np.maximum(np.abs(a), np.abs(b))[ok]
            gaps.extend(gap.tolist())
            rels.extend(np.where(scale > 0, gap / np.where(scale > 0, scale, 1), 0).tolist())
        return max(gaps), max(rels)

    def to_json(self) -> dict:
        """{"agree", "symbolic" and "finite_difference" ({component: value}), "formula"
        ({component: sympy's text}), "max_abs_error", "max_rel_error", "components",
        "skipped" (why sympy gave no witness)}; non-finite numbers become None."""
        abs_err, rel_err = self.errors()
        return {
            "agree": self.agree,
            "symbolic": {c.name: plain(c.symbolic) for c in self.components},
            "finite_difference": {c.name: plain(c.finite_difference) for c in self.components},
            "formula": self.formula,
            "max_abs_error": abs_err,
            "max_rel_error": rel_err,
            "components": [c.to_json() for c in self.components],
            "skipped": self.skipped,
        }


def _check(nodes: Sequence[Node], entries: Sequence[tuple[str, int, tuple[str, ...]]],
           point: Mapping, autograd_values: Sequence | None, tol: Tolerances,
           timeout: float, elementwise: bool = False) -> Check:
    values = point_values(point)
    shapes = element_shapes(nodes, values, elementwise)
    if autograd_values is None:
        autograd_values = [nested_derivative(nodes[i], values, wrt, elementwise=elementwise)
                           for _, i, wrt in entries]
    comps = [(i, tuple(wrt)) for _, i, wrt in entries]
    results, skipped = run_with_budget(
        lambda: symbolic_job(nodes, comps, [values], shapes, elementwise), timeout)
    components, formula = [], {}
    for k, (name, i, wrt) in enumerate(entries):
        a = np.asarray(autograd_values[k], dtype=np.float64)
        s = None if results is None else np.asarray(results[k][1][0], dtype=np.float64)
        if results is not None:
            formula[name] = results[k][0]
        f = finite_difference(nodes[i], values, wrt, elementwise=elementwise)
        value = evaluate(nodes[i], values)
        if elementwise:
            shape = () if shapes else np.shape(values[wrt[-1]])
            kink = _mask_to(kinks(nodes[i], values), shape)
            pole = _mask_to(~np.isfinite(value), shape)
        else:
            shape = value.shape + sum((np.shape(values[n]) for n in wrt), ())
            kink = _spread(kinks(nodes[i], values), shape)
            pole = _spread(~np.isfinite(value), shape)
        status, agrees = judge(a, s, f, kink, pole, len(wrt), magnitude(value), tol)
        components.append(Component(name, a, s, f, status, agrees))
    return Check(components, formula, skipped)


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
