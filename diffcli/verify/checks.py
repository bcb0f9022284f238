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

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from diffcli.expr.tree import Binary, Node, Num, Var, substitute, variables

from .autograd_witness import kinks, nested_derivative
from .common import evaluate, magnitude, plain, point_values, sum_to
from .differences import Directional, finite_difference
from .judging import Status, Tolerances, agrees_elements, judge, judge_elements
from .sympy_witness import element_shapes, run_with_budget, symbolic_job, witness_job


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


@dataclass
class BatchCheck:
    """Checks of a batch of independent scalar points, as arrays over the points: for
    each component its witnesses and per-point statuses. `point(i)` is point i's `Check`,
    judged as if alone; `json_texts()` writes every point's check object at once."""

    n: int
    names: list[str]
    autograd: list[np.ndarray]
    symbolic: list[np.ndarray | None]
    finite_difference: list[np.ndarray | None]
    status: list[np.ndarray]  # Status values, one per point
    agrees: list[dict[str, list[bool | None]]]
    formula: dict[str, str]
    skipped: str | None

    def point(self, i: int) -> Check:
        """Point i's check, with numbers as Python floats."""
        def at(column: np.ndarray | None) -> float | None:
            return None if column is None else float(column[i])

        return Check([Component(name, np.float64(self.autograd[k][i]), at(self.symbolic[k]),
                                at(self.finite_difference[k]), Status(self.status[k][i]),
                                {w: v[i] for w, v in self.agrees[k].items()})
                      for k, name in enumerate(self.names)], self.formula, self.skipped)

    def agree(self) -> list[bool | None]:
        """Check.agree at each point."""
        status = np.array(self.status).reshape(len(self.status), self.n)
        mismatch = (status == Status.MISMATCH.value).any(axis=0)
        unchecked = (status == Status.UNCHECKED.value).all(axis=0)
        return [False if m else None if u else True
                for m, u in zip(mismatch.tolist(), unchecked.tolist())]

    def errors(self) -> tuple[np.ndarray, np.ndarray]:
        """Check.errors at each point: the largest gaps to the judging witness."""
        gaps = np.zeros(self.n)
        rels = gaps.copy()
        for k, status in enumerate(self.status):
            ref = self.symbolic[k] if self.symbolic[k] is not None else self.finite_difference[k]
            if ref is None:
                continue
            a = self.autograd[k]
            judged = ~np.isin(status, [Status.CONVENTION.value, Status.UNDEFINED.value])
            ok = judged & np.isfinite(a) & np.isfinite(ref)
            with np.errstate(invalid="ignore", over="ignore"):
                gap = np.where(ok, np.abs(a - ref), 0.0)
                scale = np.maximum(np.abs(a), np.abs(ref))
                rel = np.where(ok & (scale > 0), gap / np.where(scale > 0, scale, 1), 0.0)
            gaps, rels = np.maximum(gaps, gap), np.maximum(rels, rel)
        return gaps, rels

    def json_texts(self) -> list[str]:
        """Each point's `Check.to_json()` as JSON text (", " and ": " separators)."""
        template, columns = self.json_template({})
        return [template % row for row in zip(*columns)]

    def json_template(self, memo: dict[int, list[str]]) -> tuple[str, list[list[str]]]:
        """The check object as one %-template (a slot per number) and the columns of texts
        that fill it, one per slot, so that a caller formats each point once. `memo` (id of
        an array -> its numbers' texts) shares numbers the caller writes too (autograd's)."""
        def numbers(column: np.ndarray | None, like: np.ndarray | None = None) -> list[str]:
            if column is None:
                return ["null"] * self.n
            if id(column) not in memo:
                base = None if like is None else (like, numbers(like))
                memo[id(column)] = number_texts(column, base)
            return memo[id(column)]

        def text(value: object) -> str:
            return json.dumps(value).replace("%", "%%")

        zeros = np.zeros(self.n)
        gaps = self.errors()
        # sympy's values are mostly autograd's very numbers, and most gaps are 0.
        symbolic = [numbers(w, a) for w, a in zip(self.symbolic, self.autograd)]
        columns: list[list[str]] = [_literals(self.agree())]
        parts = ['{"agree": %s']
        for key, texts in (("symbolic", symbolic), ("finite_difference",
                                                    [numbers(f) for f in self.finite_difference])):
            parts.append(f", {text(key)}: {{" + ", ".join(f"{text(name)}: %s"
                                                      for name in self.names) + "}")
            columns += texts
        parts.append(', "formula": ' + text(self.formula) + ', "closed_form": {}')
        parts.append(', "max_abs_error": %s, "max_rel_error": %s, "components": [')
        columns += [numbers(e, zeros) for e in gaps]
        items = []
        for k, name in enumerate(self.names):
            items.append(f'{{"name": {text(name)}, "autograd": %s, "symbolic": %s, '
                         f'"finite_difference": %s, "status": "%s", "agrees": {{' +
                         ", ".join(f"{text(w)}: %s" for w in self.agrees[k])
                         + '}, "directional": null}')
            columns += [numbers(self.autograd[k]), symbolic[k],
                        numbers(self.finite_difference[k]), self.status[k].tolist()]
            columns += [_literals(v) for v in self.agrees[k].values()]
        parts.append(", ".join(items) + '], "skipped": ' + text(self.skipped) + "}")
        return "".join(parts), columns


def number_texts(column: np.ndarray, like: tuple[np.ndarray, list[str]] | None = None
                 ) -> list[str]:
    """JSON numbers (Python's float repr is JSON's syntax), null where not finite. With
    `like` (another array and its texts), its texts stand wherever the numbers are equal."""
    values = np.asarray(column, dtype=np.float64).ravel()
    if like is None:
        texts = list(map(float.__repr__, values.tolist()))
        redo = np.flatnonzero(~np.isfinite(values))
    else:
        texts = list(like[1])
        redo = np.flatnonzero(~(values == np.asarray(like[0], dtype=np.float64).ravel()))
    for i in redo.tolist():
        value = float(values[i])
        texts[i] = repr(value) if value - value == 0 else "null"
    return texts


def _literals(values: list[bool | None]) -> list[str]:
    return ["null" if v is None else "true" if v else "false" for v in values]


def check_batch(node: Node, columns: Mapping, entries: Sequence[tuple[str, tuple[str, ...]]],
                autograd_values: Sequence, *, timeout: float = 10.0,
                **tolerances: float) -> BatchCheck:
    """Check an elementwise expression's derivatives at a batch of scalar points (each
    column 1-D, one value per point), each point judged as `check_gradient` or
    `check_derivative` would judge it alone. Each entry is (component name, wrt); sympy
    derives each formula once and evaluates it at every point in one vectorised pass, and
    finite differences step all points at once."""
    tol = Tolerances(**tolerances)
    values = point_values(columns)
    a = [np.asarray(v, dtype=np.float64) for v in autograd_values]
    comps = [(0, tuple(wrt)) for _, wrt in entries]
    results, skipped = run_with_budget(partial(
        symbolic_job, [node], comps, [values], None, True, (a, tol.rtol, tol.atol)), timeout)
    value = evaluate(node, values)
    n = len(a[0]) if a else 0
    value = np.broadcast_to(value, (n,))
    kink = np.broadcast_to(kinks(node, values), (n,))
    scale = magnitude(value, pointwise=True)
    batch = BatchCheck(n, [], [], [], [], [], [], {}, skipped)
    for k, (name, wrt) in enumerate(entries):
        s = None if results is None else np.asarray(results[k][1][0], dtype=np.float64)
        if results is not None:
            batch.formula[name] = results[k][0]
        f = finite_difference(node, values, wrt, elementwise=True, pointwise=True)
        present = False if f is None else np.isfinite(f)
        codes, verdicts = judge_elements(a[k], s, f, kink, ~np.isfinite(value), len(wrt),
                                         scale, tol, present)
        batch.names.append(name)
        batch.autograd.append(a[k])
        batch.symbolic.append(s)
        batch.finite_difference.append(f)
        batch.status.append(codes)
        batch.agrees.append({w: agrees_elements(v, n) for w, v in verdicts.items()})
    return batch


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
