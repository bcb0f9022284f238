"""Three witnesses for every derivative: autograd, sympy, finite differences.

Functions the CLI calls (all keyword arguments after `point` are optional):

- `check_gradient(node, point, grads=None, wrt=None, *, rtol, atol, fd_rtol, fd_atol,
  timeout=10.0) -> Check`: gradient of the expression (the sum of its elements when it
  is a vector); `grads` {name: value} is the autograd result (computed here when None).
- `check_derivative(node, point, wrt_sequence, value=None, ...) -> Check`: the nested
  derivative d/d(wrt[-1]) ... d/d(wrt[0]), e.g. ("x", "x", "y").
- `check_hessian(node, point, hessian=None, variables=None, ...) -> Check`:
  hessian[i][j] = d²f/dv_i dv_j.
- `check_jacobian(nodes, point, jacobian=None, variables=None, ...) -> Check`:
  jacobian[i][j] = d nodes[i] / d variables[j].
- `check_claims(node, claims: {name: Node}, point, *, n_random=3, seed=0, rtol=1e-9,
  atol=1e-11, timeout=10.0) -> ClaimCheck`.
- `check_function(fn, names, point, expr_node=None, order=1, *, eps, rtol, atol,
  timeout=10.0) -> FunctionCheck`: a hand-written backward (of an autograd.Function or
  a function of diffcli ops) input by input, as autograd.gradcheck (order 2:
  gradgradcheck) does, with sympy's derivatives of `expr_node` as a third witness.
- `symbolic_derivatives(node, names, *, latex=False, timeout=10.0) -> Formulas`.
Defaults: rtol=1e-10, atol=1e-12 (autograd vs sympy), fd_rtol=1e-5, fd_atol=1e-7.
Component names: "x" (gradient), "x,x,y" (derivative), "x,y" (Hessian), "0:x" (Jacobian
row 0). `random_points(node, point, names, count, seed)` and `run_with_budget(job,
timeout)` are public helpers.

`point` is {name: float | array}. With vector values an expression without reductions
is elementwise (a batch of points): each nested derivative is taken of the sum of the
previous one, as nested `autograd.grad` does, so the result has the shape of the last
variable. With reductions (`sum`, `dot`, ...) and vectors, sympy gets one symbol per
element (first derivatives only).

`Check.to_json()` -> {"agree", "symbolic", "finite_difference", "formula",
"max_abs_error", "max_rel_error", "components": [{"name", "autograd", "symbolic",
"finite_difference", "status"}], "skipped"}; status is match, mismatch, undefined (both
non-finite), convention (a kink where the engine picks a subgradient, e.g. relu'(0)) or
unchecked (no witness). `ClaimCheck.to_json()` -> {"ok", "components": [{"wrt",
"claimed", "claimed_value", "autograd", "symbolic", "formula", "ok", "disagree_at"}],
"unchecked", "skipped"}. `FunctionCheck.to_json()` -> {"ok", "inputs": [{"name",
"analytical", "numerical", "symbolic", "ok"} (+ the same with "_2" at order 2)], "error",
"skipped"}. `Formulas.to_json()` -> {"derivative", "latex" (when asked), "skipped"}.
Non-finite numbers become None.

Values agree when |a - b| <= atol + rtol * max(|a|, |b|). sympy runs in a forked child
killed after `timeout` seconds ("skipped: timed out"); sympy is imported only then.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from diffcli import autograd
from diffcli.expr.tape import build
from diffcli.expr.tree import FUNCTIONS, Call, Node, Var, postorder, to_text, variables

RTOL, ATOL = 1e-10, 1e-12
FD_RTOL, FD_ATOL = 1e-5, 1e-7
_FD_MAX_ORDER = 3
_FD_STEP = {1: 1e-3, 2: 1e-4, 3: 1e-3}
_FORMULA_CHARS = 10_000


# Small helpers on numbers.


def _plain(value):
    """JSON-able: floats and nested lists, non-finite as None."""
    arr = np.asarray(value, dtype=np.float64)
    out = np.where(np.isfinite(arr), arr, np.nan).tolist()
    if isinstance(out, float):
        return out if math.isfinite(out) else None
    return _nan_to_none(out)


def _nan_to_none(items):
    return [_nan_to_none(v) if isinstance(v, list) else (None if v != v else v) for v in items]


def close(a, b, rtol: float, atol: float) -> np.ndarray:
    """Elementwise symmetric agreement test."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.abs(a - b) <= atol + rtol * np.maximum(np.abs(a), np.abs(b))


def _sum_to(arr: np.ndarray, shape: tuple) -> np.ndarray:
    arr = np.asarray(arr, dtype=np.float64)
    while arr.ndim > len(shape):
        arr = arr.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and arr.shape[axis] != 1:
            arr = arr.sum(axis=axis, keepdims=True)
    return np.broadcast_to(arr, shape).copy()


def _values(point: Mapping) -> dict[str, np.ndarray | float]:
    return {k: (float(v) if np.ndim(v) == 0 else np.asarray(v, dtype=np.float64))
            for k, v in point.items()}


def _has_reduction(node: Node) -> bool:
    return any(isinstance(n, Call) and FUNCTIONS[n.name].reduces for n in postorder(node))


# The autograd witness.


def gradient(node: Node, point: Mapping, names: Sequence[str],
             batch: int | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The autograd witness of a gradient: (value, {name: d value / d name}), one pass.

    With `batch=n` the values carry a leading axis of n independent points and the
    expression is elementwise, so seeding every output with 1 gives each point its own
    gradient in one pass.
    """
    tape = build(node, _values(point))
    output = tape.output
    if batch is None and output.data.size != 1:
        raise ValueError(
            f"the gradient needs a scalar expression, but this one has shape {output.data.shape}: "
            "reduce it (sum, mean, norm, dot) or use `diffcli backward --grad-output`"
        )
    seed = None if batch is None else autograd.Tensor(np.ones_like(output.data))
    grads = {name: g.data for name, g in differentiate(output, tape, point, names, seed).items()}
    value = output.data if batch is None else np.broadcast_to(output.data, (batch,))
    return value, grads


def differentiate(output, tape, point: Mapping, names: Sequence[str], seed=None,
                  create_graph: bool = False) -> dict:
    """{name: d output / d name} as tensors; zeros for names the output does not depend on."""
    leaves = [name for name in names if name in tape.leaves]
    found: tuple = ()
    if leaves and output.requires_grad:
        found = autograd.grad(output, [tape.leaves[name] for name in leaves], grad_outputs=seed,
                              create_graph=create_graph, allow_unused=True, materialize_grads=True)
    by_name = dict(zip(leaves, found))
    return {name: by_name[name] if name in by_name
            else autograd.Tensor(np.zeros(np.shape(point[name]))) for name in names}


class TooCostly(RuntimeError):
    """A nested derivative whose next order would run past the time budget."""


NESTED_BUDGET = 10.0  # seconds for one nested derivative, all orders together


def nested_derivative(node: Node, point: Mapping, wrt: Sequence[str],
                      budget: float = NESTED_BUDGET) -> np.ndarray:
    """Autograd value of d/d(wrt[-1]) sum(... d/d(wrt[0]) sum(f)).

    Each order differentiates the graph of the one before, which can grow by a constant
    factor per order (about 2.5 for exp(sin(x))); rather than hang, stop with TooCostly
    once the next order is expected to end past `budget` seconds.
    """
    tape = build(node, _values(point), requires_grad=set(wrt))
    g = tape.output
    start = last = time.perf_counter()
    previous_step = 0.0
    for i, name in enumerate(wrt):
        if not g.requires_grad:  # nothing left depends on the variables: derivative 0
            return np.zeros(np.shape(values_of(tape, wrt[-1])))
        (g,) = autograd.grad(g.sum(), [tape.leaves[name]], create_graph=i < len(wrt) - 1,
                             materialize_grads=True)
        now = time.perf_counter()
        step, last = now - last, now
        growth = step / previous_step if previous_step > 1e-4 else 1.0
        previous_step = step
        if i < len(wrt) - 1 and (now - start) + step * max(growth, 1.0) > budget:
            raise TooCostly(
                f"stopped after order {i + 1} of {len(wrt)}: each order costs about "
                f"{max(growth, 1.0):.1f}x the one before, and the next would pass "
                f"{budget:g} s"
            )
    return np.asarray(g.data, dtype=np.float64)


def nonfinite_origin(node: Node, point: Mapping, wrt: Sequence[str], text: str) -> str | None:
    """Where a gradient stops being finite, walking the tape from the output down.

    Every subexpression keeps its gradient; the first one (nearest the output) that is
    not finite was made so by the backward of the operation that uses it, whose source
    text this names. None when every gradient is finite.
    """
    tape = build(node, _values(point), requires_grad=set(wrt), text=text)
    if not tape.output.requires_grad:
        return None
    for _, t in tape.tensors:
        if t.grad_fn is not None:
            t.retain_grad()
    tape.output.sum().backward()
    users: dict[int, list[Node]] = {}
    for parent in postorder(node):
        for child in parent.children:
            users.setdefault(id(child), []).append(parent)
    leaf_users = {name: [users[id(n)][0] for n in postorder(node)
                         if isinstance(n, Var) and n.name == name and id(n) in users]
                  for name in tape.leaves}
    # A leaf's gradient is the sum over all its uses, complete only at the end: leaves last.
    walk = [(n, t) for n, t in reversed(tape.tensors) if not isinstance(n, Var)]
    walk += [(n, t) for n, t in reversed(tape.tensors) if isinstance(n, Var)]
    for n, t in walk:
        g = t._grad
        if g is None or np.all(np.isfinite(g.data)):
            continue
        culprits = leaf_users[n.name] if isinstance(n, Var) else users.get(id(n), [])
        where = " or ".join(dict.fromkeys(
            f"{text[u.span[0]:u.span[1]]} (columns {u.span[0] + 1}-{u.span[1]})" for u in culprits))
        return f"its first non-finite value comes from the backward of {where}" if where else None
    return None


def values_of(tape, name: str) -> np.ndarray:
    return tape.leaves[name].data


def _kinks(node: Node, point: Mapping) -> np.ndarray:
    """Where (elementwise, or overall for reductions) some non-smooth function is at a kink."""
    tape = build(node, _values(point), requires_grad=False)
    by_node = {id(n): t for n, t in tape.tensors}
    out_shape = np.shape(tape.output.data)
    mask = np.zeros(out_shape, dtype=bool)
    for n, _ in tape.tensors:
        spec = FUNCTIONS.get(n.name) if isinstance(n, Call) else None
        if spec is None or spec.kink is None:
            continue
        hit = spec.kink(*(by_node[id(a)].data for a in n.args))
        mask = mask | (np.any(hit) if np.shape(hit) != out_shape else hit)
    return mask


# The finite-difference witness.


def _evaluate(node: Node, values: Mapping) -> np.ndarray:
    return np.asarray(build(node, values, requires_grad=False).output.data, dtype=np.float64)


def _shift(values: Mapping, name: str, delta, index=None) -> dict:
    shifted = dict(values)
    base = np.array(values[name], dtype=np.float64)
    if index is None:
        shifted[name] = base + delta
    else:
        base[index] += delta[index] if np.ndim(delta) else delta
        shifted[name] = base
    return shifted


def _central(f, name: str, h_base: float, index=None):
    def g(values):
        h = h_base * np.maximum(1.0, np.abs(np.asarray(values[name], dtype=np.float64)))
        up, down = f(_shift(values, name, h, index)), f(_shift(values, name, -h, index))
        return (up - down) / (2 * (h if index is None else np.asarray(h)[index]))
    return g


def finite_difference(node: Node, point: Mapping, wrt: Sequence[str]) -> np.ndarray | None:
    """Central differences (Richardson-extrapolated for first order); None past order 3."""
    order = len(wrt)
    if order > _FD_MAX_ORDER:
        return None
    values = _values(point)
    if _has_reduction(node) and any(np.ndim(values[n]) for n in wrt):
        return _fd_expanded(node, values, wrt)

    def derivative(h):
        f = lambda v: _evaluate(node, v)  # noqa: E731
        for name in wrt:
            f = _central(f, name, h)
        return f(values)

    with np.errstate(all="ignore"):
        h = _FD_STEP[order]
        estimates = [derivative(h), derivative(h / 2), derivative(h / 4)]
        if order == 1:
            estimates = [(4 * fine - coarse) / 3 for coarse, fine in zip(estimates, estimates[1:])]
        coarse, fine = estimates[-2:]
        # Two estimates that disagree mean the step is too coarse for this function (it
        # oscillates or bends within h): then there is no estimate, rather than a false alarm.
        value = _evaluate(node, values)
        scale = float(np.max(np.abs(value[np.isfinite(value)]), initial=1.0))
        noise = 1e3 * np.finfo(float).eps * scale / h**order
        d = np.where(close(coarse, fine, 1e-4, noise), fine, np.nan)
    return _sum_to(d, np.shape(values[wrt[-1]]))


def _fd_expanded(node: Node, values: dict, wrt: Sequence[str]) -> np.ndarray | None:
    """First derivatives of sum(f) element by element, for expressions with reductions."""
    if len(wrt) != 1:
        return None
    (name,) = wrt
    total = lambda v: _evaluate(node, v).sum()  # noqa: E731
    out = np.empty(np.shape(values[name]))
    with np.errstate(all="ignore"):
        for index in np.ndindex(out.shape):
            rich = [_central(total, name, h, index)(values) for h in (1e-3, 5e-4)]
            out[index] = (4 * rich[1] - rich[0]) / 3
    return out


# The symbolic witness, in a child process that the budget can kill.


def _lengths(nodes: Sequence[Node], values: Mapping) -> dict[str, int] | None:
    """Per-element symbols are needed only when vectors meet reductions."""
    vectors = {k: int(np.size(v)) for k, v in values.items() if np.ndim(v)}
    return vectors if vectors and any(_has_reduction(n) for n in nodes) else None


def _sympy_derivative(f, wrt: Sequence[str], lengths: Mapping | None):
    import sympy

    from diffcli.expr.symbolic import symbol

    def symbols(name):
        size = (lengths or {}).get(name)
        return [symbol(name)] if size is None else [symbol(name, i) for i in range(size)]

    d = sympy.Add(*f) if isinstance(f, list) else f
    for name in wrt[:-1]:
        d = sympy.Add(*(sympy.diff(d, s) for s in symbols(name)))
    last = [sympy.diff(d, s) for s in symbols(wrt[-1])]
    # Away from kinks, which are judged separately, DiracDelta terms are zero.
    last = [e.replace(sympy.DiracDelta, lambda *a: sympy.S.Zero) for e in last]
    return last if (lengths or {}).get(wrt[-1]) else last[0]


def _sympy_number(expr, subs: dict) -> float:
    import sympy

    # xreplace with exact 30-digit Floats, then evalf: evalf(subs=...) gets 0**0 wrong.
    exact = {k: sympy.Float(v, 30) for k, v in subs.items()}
    try:
        value = complex(expr.xreplace(exact).evalf(30))
    except (TypeError, ValueError, ArithmeticError):
        return math.nan
    if not (math.isfinite(value.real) and abs(value.imag) <= 1e-25 * max(1.0, abs(value.real))):
        return math.nan
    return value.real


def _sympy_values(d, point: Mapping, lengths: Mapping | None, last: str) -> np.ndarray:
    """Evaluate a derivative at a point: evalf for scalars, lambdify for batches."""
    import sympy

    from diffcli.expr.symbolic import lambdify_modules, symbol

    exprs = d if isinstance(d, list) else [d]
    if lengths:
        subs = {symbol(k, i): float(x) for k, v in point.items() if np.ndim(v)
                for i, x in enumerate(np.ravel(v))}
        subs.update({symbol(k): float(v) for k, v in point.items() if not np.ndim(v)})
    elif all(np.ndim(v) == 0 for v in point.values()):
        subs = {symbol(k): float(v) for k, v in point.items()}
    else:
        names = list(point)
        fn = sympy.lambdify([symbol(k) for k in names], exprs, cse=True,
                            modules=lambdify_modules())
        with np.errstate(all="ignore"):
            raw = np.asarray(np.broadcast_arrays(*fn(*(point[k] for k in names)),
                                                 *point.values())[0], dtype=np.float64)
        return _sum_to(raw, np.shape(point[last]))
    values = np.array([_sympy_number(e, subs) for e in exprs])
    return values if isinstance(d, list) else values[0]


def _symbolic_job(nodes, comps, points, lengths):
    """In the child: formula text and values at each point for each (node index, wrt)."""
    from diffcli.expr.symbolic import to_sympy

    exprs = [to_sympy(n, lengths) for n in nodes]
    out = []
    for index, wrt in comps:
        d = _sympy_derivative(exprs[index], wrt, lengths)
        text = str(d)
        if len(text) > _FORMULA_CHARS:
            text = text[:_FORMULA_CHARS] + "..."
        out.append((text, [_sympy_values(d, p, lengths, wrt[-1]) for p in points]))
    return out


def run_with_budget(job, timeout: float):
    """(result, None) from job() in a forked child, or (None, reason) when it fails or
    runs past `timeout` seconds (the child is then killed). Threads stand in where fork
    is missing; a thread cannot be killed, so there the budget only stops the wait."""
    import multiprocessing  # here, not at the top: a gradient without a check needs none of it

    import diffcli.expr.symbolic  # noqa: F401  (sympy is imported once; children share it)

    if "fork" not in multiprocessing.get_all_start_methods():
        return _run_in_thread(job, timeout)
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def target():
        try:
            result = ("ok", job())
        except BaseException as exc:  # the child reports every failure, then exits
            result = ("error", f"{type(exc).__name__}: {exc}"[:500])
        send.send(result)

    proc = ctx.Process(target=target, daemon=True)
    proc.start()
    send.close()
    try:
        if not receive.poll(timeout):
            return None, "skipped: timed out"
        status, payload = receive.recv()
    except EOFError:
        return None, "skipped: sympy crashed"
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        receive.close()
    return (payload, None) if status == "ok" else (None, f"skipped: sympy failed ({payload})")


def _run_in_thread(job, timeout: float):
    import threading

    box: dict = {}

    def target():
        try:
            box["ok"] = job()
        except BaseException as exc:
            box["error"] = f"{type(exc).__name__}: {exc}"[:500]

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return None, "skipped: timed out"
    if "error" in box:
        return None, f"skipped: sympy failed ({box['error']})"
    return box["ok"], None


# Comparing the witnesses.


@dataclass
class Component:
    name: str
    autograd: np.ndarray
    symbolic: np.ndarray | None
    finite_difference: np.ndarray | None
    status: str
    agrees: dict[str, bool | None] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"name": self.name, "autograd": _plain(self.autograd),
                "symbolic": None if self.symbolic is None else _plain(self.symbolic),
                "finite_difference": (None if self.finite_difference is None
                                      else _plain(self.finite_difference)),
                "status": self.status, "agrees": self.agrees}


@dataclass
class Check:
    """The verdict of one check; `agree` is False when any component is a mismatch."""

    components: list[Component]
    formula: dict[str, str] = field(default_factory=dict)
    skipped: str | None = None

    @property
    def agree(self) -> bool:
        return all(c.status != "mismatch" for c in self.components)

    def errors(self) -> tuple[float, float]:
        """Largest absolute and relative gap between autograd and its reference."""
        gaps, rels = [0.0], [0.0]
        for c in self.components:
            ref = c.symbolic if c.symbolic is not None else c.finite_difference
            if ref is None:
                continue
            a, b = np.broadcast_arrays(np.asarray(c.autograd, float), np.asarray(ref, float))
            ok = np.isfinite(a) & np.isfinite(b)
            gap = np.abs(a - b)[ok]
            scale = np.maximum(np.abs(a), np.abs(b))[ok]
            gaps.extend(gap.tolist())
            rels.extend(np.where(scale > 0, gap / np.where(scale > 0, scale, 1), 0).tolist())
        return max(gaps), max(rels)

    def to_json(self) -> dict:
        abs_err, rel_err = self.errors()
        return {
            "agree": self.agree,
            "symbolic": {c.name: (None if c.symbolic is None else _plain(c.symbolic))
                         for c in self.components},
            "finite_difference": {c.name: (None if c.finite_difference is None
                                           else _plain(c.finite_difference))
                                  for c in self.components},
            "formula": self.formula,
            "max_abs_error": abs_err,
            "max_rel_error": rel_err,
            "components": [c.to_json() for c in self.components],
            "skipped": self.skipped,
        }


_PRIORITY = ("mismatch", "convention", "unchecked", "match", "undefined")


def _codes(a, witness, rtol, atol, kink, pole) -> np.ndarray:
    """Per element: match, mismatch, convention (a kink) or undefined (no derivative)."""
    a, w, kink, pole = np.broadcast_arrays(np.asarray(a, float), np.asarray(witness, float),
                                           kink, pole)
    undefined = ~np.isfinite(a) & (~np.isfinite(w) | pole)
    bad = ~undefined & ~close(a, w, rtol, atol)
    return np.where(bad & kink, "convention", np.where(bad, "mismatch",
                                                        np.where(undefined, "undefined",
                                                                 "match")))


def _worst(codes: np.ndarray) -> str:
    present = set(codes.ravel().tolist())
    return next(p for p in _PRIORITY if p in present)


def _judge(a, s, f, kink, pole, order, scale, tol) -> tuple[str, dict[str, bool | None]]:
    """The status, judged against sympy (tight) or, without sympy, finite differences;
    and whether each witness that exists agrees with autograd.
    `pole` marks where f itself is not finite: there no derivative exists, though sympy
    may have cancelled the singularity away (x/x)."""
    rtol, atol, fd_rtol, fd_atol = tol
    verdicts: dict[str, str | None] = {"symbolic": None, "finite_difference": None}
    if s is not None:
        verdicts["symbolic"] = _worst(_codes(a, s, rtol, atol, kink, pole))
    if f is not None and np.isfinite(f).any():
        # Rounding in a difference quotient grows like eps * |f| / h**order.
        fd_tol = fd_atol + 100 * np.finfo(float).eps * scale / _FD_STEP[order] ** order
        codes = _codes(a, f, fd_rtol, fd_tol, kink, pole)
        # nan: no estimate there (f undefined nearby, or the differences did not settle).
        estimated = np.broadcast_to(np.isfinite(f), codes.shape)
        verdicts["finite_difference"] = _worst(np.where(estimated, codes, "unchecked"))
    judged = verdicts["symbolic"] or verdicts["finite_difference"] or "unchecked"
    agrees = {k: None if v is None else v != "mismatch" for k, v in verdicts.items()}
    return judged, agrees


def _check(nodes: Sequence[Node], entries: Sequence[tuple[str, int, tuple[str, ...]]],
           point: Mapping, autograd_values: Sequence | None, tol, timeout: float) -> Check:
    values = _values(point)
    lengths = _lengths(nodes, values)
    if autograd_values is None:
        autograd_values = [nested_derivative(nodes[i], values, wrt) for _, i, wrt in entries]
    comps = [(i, tuple(wrt)) for _, i, wrt in entries]
    if lengths and any(len(wrt) > 1 for _, wrt in comps):
        results, skipped = None, "skipped: higher derivatives of reductions over vectors"
    else:
        results, skipped = run_with_budget(
            lambda: _symbolic_job(nodes, comps, [values], lengths), timeout)
    components, formula = [], {}
    for k, (name, i, wrt) in enumerate(entries):
        a = np.asarray(autograd_values[k], dtype=np.float64)
        s = None if results is None else np.asarray(results[k][1][0], dtype=np.float64)
        if results is not None:
            formula[name] = results[k][0]
        f = finite_difference(nodes[i], values, wrt)
        shape = () if lengths else np.shape(values[wrt[-1]])
        value = _evaluate(nodes[i], values)
        kink = _mask_to(_kinks(nodes[i], values), shape)
        pole = _mask_to(~np.isfinite(value), shape)
        scale = float(np.max(np.abs(value[np.isfinite(value)]), initial=1.0))
        status, agrees = _judge(a, s, f, kink, pole, len(wrt), scale, tol)
        components.append(Component(name, a, s, f, status, agrees))
    return Check(components, formula, skipped)


def _mask_to(mask: np.ndarray, shape: tuple) -> np.ndarray:
    """Where any element that feeds each entry of `shape` is marked."""
    return _sum_to(np.asarray(mask, dtype=float), shape) > 0


def _tol(rtol, atol, fd_rtol, fd_atol):
    return (rtol, atol, fd_rtol, fd_atol)


def check_gradient(node: Node, point: Mapping, grads: Mapping | None = None,
                   wrt: Sequence[str] | None = None, *, rtol: float = RTOL,
                   atol: float = ATOL, fd_rtol: float = FD_RTOL, fd_atol: float = FD_ATOL,
                   timeout: float = 10.0) -> Check:
    """Check each first partial derivative; component names are the variable names."""
    names = list(wrt if wrt is not None else (grads or point))
    given = None if grads is None else [grads[n] for n in names]
    return _check([node], [(n, 0, (n,)) for n in names], point, given,
                  _tol(rtol, atol, fd_rtol, fd_atol), timeout)


def check_derivative(node: Node, point: Mapping, wrt_sequence: Sequence[str],
                     value=None, *, rtol: float = RTOL, atol: float = ATOL,
                     fd_rtol: float = FD_RTOL, fd_atol: float = FD_ATOL,
                     timeout: float = 10.0) -> Check:
    """Check one nested derivative; its component is named "x,x,y" for ("x", "x", "y")."""
    wrt = tuple(wrt_sequence)
    return _check([node], [(",".join(wrt), 0, wrt)], point,
                  None if value is None else [value], _tol(rtol, atol, fd_rtol, fd_atol),
                  timeout)


def check_hessian(node: Node, point: Mapping, hessian=None,
                  variables: Sequence[str] | None = None, *, rtol: float = RTOL,
                  atol: float = ATOL, fd_rtol: float = FD_RTOL, fd_atol: float = FD_ATOL,
                  timeout: float = 10.0) -> Check:
    """Check hessian[i][j] = d2f/dv_i dv_j; components are named "x,y"."""
    names = list(variables if variables is not None else point)
    pairs = [(a, b) for a in names for b in names]
    given = None if hessian is None else [hessian[i][j] for i in range(len(names))
                                          for j in range(len(names))]
    return _check([node], [(f"{a},{b}", 0, (a, b)) for a, b in pairs], point, given,
                  _tol(rtol, atol, fd_rtol, fd_atol), timeout)


def check_jacobian(nodes: Sequence[Node], point: Mapping, jacobian=None,
                   variables: Sequence[str] | None = None, *, rtol: float = RTOL,
                   atol: float = ATOL, fd_rtol: float = FD_RTOL, fd_atol: float = FD_ATOL,
                   timeout: float = 10.0) -> Check:
    """Check jacobian[i][j] = d nodes[i] / d v_j; components are named "i:v" (0-based i)."""
    names = list(variables if variables is not None else point)
    entries = [(f"{i}:{n}", i, (n,)) for i in range(len(nodes)) for n in names]
    given = None if jacobian is None else [jacobian[i][j] for i in range(len(nodes))
                                           for j in range(len(names))]
    return _check(list(nodes), entries, point, given, _tol(rtol, atol, fd_rtol, fd_atol),
                  timeout)


# Checking hand-derived gradients.

CLAIM_RTOL, CLAIM_ATOL = 1e-9, 1e-11


@dataclass
class ClaimComponent:
    wrt: str
    claimed: str
    values: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]  # claimed, autograd, sympy
    formula: str | None
    disagree_at: list[dict]

    @property
    def ok(self) -> bool:
        return not self.disagree_at

    def to_json(self) -> dict:
        claimed, auto, sym = self.values[0]
        return {"wrt": self.wrt, "claimed": self.claimed, "claimed_value": _plain(claimed),
                "autograd": _plain(auto), "symbolic": None if sym is None else _plain(sym),
                "formula": self.formula, "ok": self.ok, "disagree_at": self.disagree_at}


@dataclass
class ClaimCheck:
    """Which claimed partial derivatives are right; `disagree_at` lists the points
    (the given one first, then random ones) where a claim was wrong."""

    components: list[ClaimComponent]
    unchecked: list[str]
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.components)

    def to_json(self) -> dict:
        return {"ok": self.ok, "components": [c.to_json() for c in self.components],
                "unchecked": self.unchecked, "skipped": self.skipped}


def _usable(node: Node, values: Mapping, names: Sequence[str]) -> bool:
    """A point in the domain: finite value and gradient, and no kink."""
    with np.errstate(all="ignore"):
        if not np.all(np.isfinite(_evaluate(node, values))) or np.any(_kinks(node, values)):
            return False
        return all(np.all(np.isfinite(nested_derivative(node, values, (n,)))) for n in names)


def random_points(node: Node, point: Mapping, names: Sequence[str], count: int,
                  seed: int = 0) -> list[dict]:
    """Up to `count` reproducible points of the domain, near the given one or in [-3, 3]."""
    rng = np.random.default_rng(seed)
    found: list[dict] = []
    for attempt in range(40 * count):
        if len(found) == count:
            break
        candidate = {}
        for name, value in point.items():
            shape = np.shape(value)
            if attempt % 2:
                scale = np.maximum(1.0, np.abs(value))
                sample = np.asarray(value) + rng.normal(size=shape) * scale
            else:
                sample = rng.uniform(-3.0, 3.0, size=shape)
            candidate[name] = float(sample) if not shape else np.asarray(sample)
        if _usable(node, candidate, names):
            found.append(candidate)
    return found


def _claimed_value(claim: Node, values: Mapping, name: str) -> np.ndarray:
    return _sum_to(np.broadcast_to(_evaluate(claim, values), np.broadcast_shapes(
        *(np.shape(v) for v in values.values()))), np.shape(values[name]))


def check_claims(node: Node, claims: Mapping[str, Node], point: Mapping, *,
                 n_random: int = 3, seed: int = 0, rtol: float = CLAIM_RTOL,
                 atol: float = CLAIM_ATOL, timeout: float = 10.0) -> ClaimCheck:
    """Check each claimed partial derivative at the point and at `n_random` random ones."""
    values = _values(point)
    for name, claim in claims.items():
        missing = [v for v in variables(claim) if v not in values]
        if name not in values or missing:
            raise ValueError(f"the claimed derivative for '{name}' uses "
                             f"{', '.join(repr(m) for m in missing or [name])}, "
                             "which has no value")
    names = list(claims)
    points = [values, *random_points(node, values, names, n_random, seed)]
    lengths = _lengths([node], values)
    results, skipped = run_with_budget(
        lambda: _symbolic_job([node], [(0, (n,)) for n in names], points, lengths), timeout)
    components = []
    for k, name in enumerate(names):
        rows, wrong = [], []
        for p_index, p in enumerate(points):
            claimed = _claimed_value(claims[name], p, name)
            auto = nested_derivative(node, p, (name,))
            sym = None if results is None else np.asarray(results[k][1][p_index], float)
            rows.append((claimed, auto, sym))
            if not _claim_holds(claimed, auto, sym, rtol, atol):
                wrong.append({n: _plain(v) for n, v in p.items()})
        formula = None if results is None else results[k][0]
        components.append(ClaimComponent(name, to_text(claims[name]), rows, formula, wrong))
    unchecked = [v for v in variables(node) if v not in claims]
    return ClaimCheck(components, unchecked, skipped)


def _claim_holds(claimed, auto, sym, rtol: float, atol: float) -> bool:
    for witness in (auto, sym):
        if witness is None:
            continue
        c, w = np.broadcast_arrays(np.asarray(claimed, float), np.asarray(witness, float))
        both_undefined = ~np.isfinite(c) & ~np.isfinite(w)
        if not np.all(both_undefined | close(c, w, rtol, atol)):
            return False
    return True


# Checking hand-written backward code: an autograd.Function or a function of diffcli ops.

GRADCHECK_EPS, GRADCHECK_RTOL, GRADCHECK_ATOL = 1e-6, 1e-3, 1e-5  # autograd.gradcheck's


class FunctionError(ValueError):
    """The user's forward cannot be run at the point."""


@dataclass
class InputCheck:
    """One input's witnesses: "analytical" (the user's backward), "numerical" (central
    differences of the forward), "symbolic" (sympy, given the formula), and with order 2
    the same with a "_2" suffix: the derivatives of every input's gradient by this input."""

    name: str
    witnesses: dict[str, object]
    ok: bool

    def to_json(self) -> dict:
        return {"name": self.name, **{k: _plain_nested(v) for k, v in self.witnesses.items()},
                "ok": self.ok}


@dataclass
class FunctionCheck:
    """Per input verdicts; `error` explains a backward that failed (wrong count or shape)."""

    inputs: list[InputCheck]
    error: str | None = None
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(i.ok for i in self.inputs)

    def to_json(self) -> dict:
        return {"ok": self.ok, "inputs": [i.to_json() for i in self.inputs], "error": self.error,
                "skipped": self.skipped}


def _plain_nested(value):
    if value is None:
        return None
    return [_plain_nested(v) for v in value] if isinstance(value, list) else _plain(value)


def check_function(fn, names: Sequence[str], point: Mapping, expr_node: Node | None = None,
                   order: int = 1, *, eps: float = GRADCHECK_EPS, rtol: float = GRADCHECK_RTOL,
                   atol: float = GRADCHECK_ATOL, timeout: float = 10.0) -> FunctionCheck:
    """Check fn's own backward, input by input, as `autograd.gradcheck` does (and
    `gradgradcheck` with order=2), with sympy's derivatives of `expr_node` as a third
    witness when given. `fn(*tensors)` takes the inputs `names` in order; the verdict
    is `np.allclose(analytical, witness, rtol, atol)` for each witness.
    Raises FunctionError when the forward fails or does not return a Tensor.
    """
    from diffcli import Tensor, tensor
    from diffcli.autograd.gradcheck import analytical_jacobian, numerical_jacobian

    inputs = tuple(tensor(np.array(point[n], dtype=float), requires_grad=True) for n in names)
    try:
        output = fn(*inputs)
    except Exception as err:
        raise FunctionError(f"the forward raised {type(err).__name__}: {err}") from None
    if not isinstance(output, Tensor):
        raise FunctionError(f"the forward returned {type(output).__name__}, not a Tensor")
    truths, skipped = ([None, None], None) if expr_node is None else _function_truths(
        expr_node, names, point, output.data.size == 1, order, timeout)
    levels = [(fn, "", [output.data.shape])]
    if order == 2:
        levels.append((_gradient_of(fn), "_2", [x.data.shape for x in inputs]))
    witnesses: list[dict] = [{} for _ in names]
    ok = [True] * len(names)
    error = None
    for (f, suffix, out_shapes), truth in zip(levels, truths):
        for i, x in enumerate(inputs):
            numerical = analytical = None
            try:  # at order 2 even the differences run the user's backward
                numerical = _blocks(numerical_jacobian(f, inputs, i, eps), out_shapes,
                                    x.data.shape)
                if error is None:
                    analytical = _blocks(analytical_jacobian(f, inputs, i), out_shapes,
                                         x.data.shape)
            except Exception as err:  # the user's code: whatever it raises is its fault
                if numerical is None and not suffix:
                    raise FunctionError(f"the forward raised {type(err).__name__} near the "
                                        f"point: {err}") from None
                error = error or _backward_error(err, names)
            symbolic = None if truth is None else truth[i]
            witnesses[i].update({"analytical" + suffix: analytical, "numerical" + suffix: numerical,
                                 "symbolic" + suffix: symbolic})
            ok[i] = ok[i] and analytical is not None and all(
                _allclose(analytical, w, rtol, atol) for w in (numerical, symbolic) if w is not None)
    checks = [InputCheck(n, w, good) for n, w, good in zip(names, witnesses, ok)]
    return FunctionCheck(checks, error, skipped)


def _allclose(a, b, rtol: float, atol: float) -> bool:
    """gradcheck's test (|a - b| <= atol + rtol * |b|, nan equal to nan), block by block."""
    if isinstance(a, list):
        return all(_allclose(x, y, rtol, atol) for x, y in zip(a, b, strict=True))
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def _blocks(blocks: list[np.ndarray], out_shapes: list[tuple], in_shape: tuple):
    """gradcheck's Jacobian blocks as d output / d input of shape out_shape + in_shape;
    one array for one output, a list for several."""
    shaped = [b.reshape(s + in_shape) for b, s in zip(blocks, out_shapes, strict=True)]
    return shaped[0] if len(shaped) == 1 else shaped


def _gradient_of(fn):
    """x -> fn's gradient at x by the user's backward, differentiable again (order 2)."""

    def first(*xs):
        return autograd.grad(fn(*xs), xs, create_graph=True, materialize_grads=True)

    return first


def _function_truths(node: Node, names: Sequence[str], point: Mapping, scalar_output: bool,
                     order: int, timeout: float) -> tuple[list, str | None]:
    """sympy's first (and second) derivatives of the formula, arranged like check_function's
    rows: truths[0][i] = d f/d x_i, truths[1][i] = [d²f/d x_j d x_i for each j]."""
    if not scalar_output:
        return [None, None], "skipped: sympy's witness needs a scalar forward"
    values = _values(point)
    lengths = _lengths([node], values)
    comps = [(0, (n,)) for n in names]
    second = order == 2 and all(np.ndim(values[n]) == 0 for n in names)
    if second:
        comps += [(0, (other, n)) for n in names for other in names]
    results, skipped = run_with_budget(
        lambda: _symbolic_job([node], comps, [values], lengths), timeout)
    if results is None:
        return [None, None], skipped
    found = [np.asarray(values_at[0], dtype=np.float64) for _, values_at in results]
    first, rest = found[: len(names)], found[len(names):]
    hessian_rows = None
    if second:
        k = len(names)
        hessian_rows = [[rest[i * k + j] for j in range(k)] for i in range(k)]
    elif order == 2:
        skipped = "skipped: second derivatives from sympy need scalar inputs"
    return [first, hessian_rows], skipped


def _backward_error(err: Exception, names: Sequence[str]) -> str:
    """The engine's complaint about a hand-written backward, in the user's terms."""
    message = str(err)
    count = re.search(r"incorrect number of gradients \(expected (\d+), got (\d+)\)", message)
    if count:
        expected, got = count.groups()
        return (f"backward returned {got} gradient{'s' if got != '1' else ''} but forward takes "
                f"{expected} inputs ({', '.join(names)}): return one gradient per input, in "
                "the order of forward's parameters (None for one that needs no gradient)")
    shape = re.search(r"invalid gradient at index (\d+) - got \[(.*?)\] but expected shape "
                      r"compatible with \[(.*?)\]", message)
    if shape:
        index, got, expected = int(shape.group(1)), shape.group(2), shape.group(3)
        return (f"backward's gradient for '{names[index]}' (input {index + 1}) has shape "
                f"[{got}], but {names[index]} has shape [{expected}]: each gradient must "
                "have the shape of its input")
    return f"backward raised {type(err).__name__}: {message}"


# sympy's derivative as text, for the `symbolic` command.


@dataclass
class Formulas:
    """sympy's derivative by each name (None when `skipped`), and LaTeX when asked."""

    derivative: dict[str, str | None]
    latex: dict[str, str | None] | None = None
    skipped: str | None = None

    def to_json(self) -> dict:
        doc: dict = {"derivative": self.derivative}
        if self.latex is not None:
            doc["latex"] = self.latex
        doc["skipped"] = self.skipped
        return doc


def symbolic_derivatives(node: Node, names: Sequence[str], *, latex: bool = False,
                         timeout: float = 10.0) -> Formulas:
    """sympy.diff of the expression by each name, under the checks' time budget."""

    def job():
        import sympy

        from diffcli.expr.symbolic import symbol, to_sympy

        expression = to_sympy(node)
        found = {name: sympy.diff(expression, symbol(name)) for name in names}
        return ({name: str(d) for name, d in found.items()},
                {name: sympy.latex(d) for name, d in found.items()} if latex else None)

    result, skipped = run_with_budget(job, timeout)
    if result is None:
        nothing = dict.fromkeys(names)
        return Formulas(nothing, dict(nothing) if latex else None, skipped)
    return Formulas(*result)
