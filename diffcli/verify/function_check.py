"""Checking hand-written backward code (an autograd.Function, or a function of diffcli
ops) input by input as autograd.gradcheck does, with sympy as a third witness, and
explaining a backward that fails in the user's terms."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from diffcli import autograd
from diffcli.expr.tree import Node

from .budget import run_with_budget
from .common import plain, point_values
from .sympy_witness import element_shapes, symbolic_job

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
        """{"name", the witnesses, "ok"}; non-finite numbers become None."""
        return {"name": self.name, **{k: plain(v) for k, v in self.witnesses.items()},
                "ok": self.ok}


@dataclass
class FunctionCheck:
    """Per input verdicts at the given point; `error` explains a backward that failed
    (wrong count or shape); `disagree_at` lists the random points where some input's
    gradient was wrong although it was right at the given point."""

    inputs: list[InputCheck]
    error: str | None = None
    skipped: str | None = None
    disagree_at: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and all(i.ok for i in self.inputs) and not self.disagree_at

    def to_json(self) -> dict:
        """{"ok", "inputs", "error", "skipped" (why sympy gave no witness), "disagree_at"
        ([{"at", "inputs"}] for the random points where a gradient was wrong)}."""
        return {"ok": self.ok, "inputs": [i.to_json() for i in self.inputs], "error": self.error,
                "skipped": self.skipped,
                "disagree_at": [{"at": {k: plain(v) for k, v in d["at"].items()},
                                 "inputs": [i.to_json() for i in d["inputs"]]}
                                for d in self.disagree_at]}


def check_function(fn, names: Sequence[str], point: Mapping, expr_node: Node | None = None,
                   order: int = 1, *, eps: float = GRADCHECK_EPS, rtol: float = GRADCHECK_RTOL,
                   atol: float = GRADCHECK_ATOL, timeout: float = 10.0, n_random: int = 2,
                   seed: int = 0) -> FunctionCheck:
    """Check fn's own backward, input by input, as `autograd.gradcheck` does (and
    `gradgradcheck` with order=2), at the point with sympy's derivatives of `expr_node`
    as a third witness when given, then at `n_random` reproducible points near it (a
    backward that swaps two gradients passes wherever they are equal). `fn(*tensors)`
    takes the inputs `names` in order; the verdict is `np.allclose(analytical, witness,
    rtol, atol)` for each witness. Raises FunctionError when the forward fails or does
    not return a Tensor at the point.
    """
    from diffcli import Tensor, tensor

    values = point_values(point)
    inputs = tuple(tensor(np.array(values[n], dtype=float), requires_grad=True) for n in names)
    try:
        output = fn(*inputs)
    except Exception as err:
        raise FunctionError(f"the forward raised {type(err).__name__}: {err}") from None
    if not isinstance(output, Tensor):
        raise FunctionError(f"the forward returned {type(output).__name__}, not a Tensor")
    truths, skipped = ([None, None], None) if expr_node is None else _function_truths(
        expr_node, names, point, output.data.size == 1, order, timeout)
    tolerances = (eps, rtol, atol)
    checks, error = _check_at(fn, names, values, truths, order, tolerances, at_point=True)
    report = FunctionCheck(checks, error, skipped)
    if error is not None or not report.ok:
        return report
    for other in _nearby_points(fn, names, values, n_random, seed):
        found, error = _check_at(fn, names, other, [None, None], order, tolerances)
        if error is not None or not all(c.ok for c in found):
            report.disagree_at.append({"at": other, "inputs": found})
    return report


def _nearby_points(fn, names: Sequence[str], values: Mapping, count: int,
                   seed: int) -> list[dict]:
    """Up to `count` reproducible points near the given one where the forward is finite."""
    from diffcli import tensor

    rng = np.random.default_rng(seed)
    found: list[dict] = []
    for _ in range(20 * count):
        if len(found) == count:
            break
        candidate = {n: np.asarray(values[n], float)
                     + rng.normal(size=np.shape(values[n])) * np.maximum(1.0, np.abs(values[n]))
                     for n in names}
        try:
            out = fn(*(tensor(candidate[n]) for n in names))
        except Exception:  # outside the forward's domain: draw again
            continue
        if np.all(np.isfinite(out.data)):
            found.append(candidate)
    return found


def _check_at(fn, names: Sequence[str], values: Mapping, truths: list, order: int,
              tolerances: tuple[float, float, float],
              at_point: bool = False) -> tuple[list[InputCheck], str | None]:
    """Each input's witnesses and verdict at one point, and the backward's failure, if any."""
    from diffcli import tensor
    from diffcli.autograd.gradcheck import analytical_jacobian, numerical_jacobian

    eps, rtol, atol = tolerances
    inputs = tuple(tensor(np.array(values[n], dtype=float), requires_grad=True) for n in names)
    output = fn(*inputs)
    levels = [(fn, "", [output.data.shape])]
    if order == 2:
        levels.append((_gradient_of(fn, output.data.shape), "_2", [x.data.shape for x in inputs]))
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
                if numerical is None and not suffix and at_point:
                    raise FunctionError(f"the forward raised {type(err).__name__} near the "
                                        f"point: {err}") from None
                error = error or _backward_error(err, names)
            symbolic = None if truth is None else truth[i]
            witnesses[i].update({"analytical" + suffix: analytical, "numerical" + suffix: numerical,
                                 "symbolic" + suffix: symbolic})
            ok[i] = ok[i] and analytical is not None and all(
                _allclose(analytical, w, rtol, atol) for w in (numerical, symbolic) if w is not None)
    return [InputCheck(n, w, good) for n, w, good in zip(names, witnesses, ok)], error


def _allclose(a, b, rtol: float, atol: float) -> bool:
    """gradcheck's test (|a - b| <= atol + rtol * |b|, where nan is close to nothing, as in
    torch.allclose), block by block."""
    if isinstance(a, list):
        return all(_allclose(x, y, rtol, atol) for x, y in zip(a, b, strict=True))
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=False))


def _blocks(blocks: list[np.ndarray], out_shapes: list[tuple], in_shape: tuple):
    """gradcheck's Jacobian blocks as d output / d input of shape out_shape + in_shape;
    one array for one output, a list for several."""
    shaped = [b.reshape(s + in_shape) for b, s in zip(blocks, out_shapes, strict=True)]
    return shaped[0] if len(shaped) == 1 else shaped


def _gradient_of(fn, out_shape: tuple):
    """x -> fn's vector-Jacobian product at x by the user's backward, differentiable again
    (order 2). A non-scalar output is seeded with a fixed random vector, as gradgradcheck
    does, so that no two rows of the Jacobian can cancel."""
    from diffcli import tensor

    seed = None
    if int(np.prod(out_shape)) != 1:
        seed = tensor(np.random.default_rng(0).standard_normal(out_shape))

    def first(*xs):
        return autograd.grad(fn(*xs), xs, grad_outputs=seed, create_graph=True,
                             materialize_grads=True)

    return first


def _function_truths(node: Node, names: Sequence[str], point: Mapping, scalar_output: bool,
                     order: int, timeout: float) -> tuple[list, str | None]:
    """sympy's first (and second) derivatives of the formula, arranged like check_function's
    rows: truths[0][i] = d f/d x_i, truths[1][i] = [d²f/d x_j d x_i for each j]."""
    if not scalar_output:
        return [None, None], "skipped: sympy's witness needs a scalar forward"
    values = point_values(point)
    shapes = element_shapes([node], values, elementwise=True)
    comps = [(0, (n,)) for n in names]
    second = order == 2 and all(np.ndim(values[n]) == 0 for n in names)
    if second:
        comps += [(0, (other, n)) for n in names for other in names]
    results, skipped = run_with_budget(
        lambda: symbolic_job([node], comps, [values], shapes, True), timeout)
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
