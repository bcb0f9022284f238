"""gradcheck and gradgradcheck: analytical Jacobians against central finite differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .engine import grad
from .function import Function
from .grad_mode import no_grad
from .tensor import Tensor, _make


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the Jacobians disagree."""


def _outputs(fn: Callable, inputs: tuple) -> tuple[Tensor, ...]:
    out = fn(*inputs)
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _differentiable(values: Sequence[Any]) -> list[int]:
    return [i for i, x in enumerate(values) if isinstance(x, Tensor) and x.requires_grad]


def numerical_jacobian(fn: Callable, inputs: tuple, index: int, eps: float) -> list[np.ndarray]:
    """d(outputs)/d(inputs[index]) by central differences, one matrix per output."""
    x = inputs[index]
    flat = x.data.reshape(-1)
    columns: list[list[np.ndarray]] = []
    # Recording stays on: fn may itself differentiate (as gradgradcheck's does).
    for k in range(flat.size):
        original = flat[k]
        flat[k] = original + eps
        plus = [o.data.astype(np.float64).reshape(-1) for o in _outputs(fn, inputs)]
        flat[k] = original - eps
        minus = [o.data.astype(np.float64).reshape(-1) for o in _outputs(fn, inputs)]
        flat[k] = original
        columns.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    if not columns:
        return [np.zeros((o.data.size, 0)) for o in _outputs(fn, inputs)]
    return [np.stack([c[j] for c in columns], axis=1) for j in range(len(columns[0]))]


def analytical_jacobian(fn: Callable, inputs: tuple, index: int) -> list[np.ndarray]:
    """d(outputs)/d(inputs[index]) by one backward pass per output element."""
    x = inputs[index]
    result = []
    for out in _outputs(fn, inputs):
        flat_out = out.reshape(-1) if out.requires_grad else None
        rows = []
        for k in range(out.data.size):
            if flat_out is None:
                rows.append(np.zeros(x.data.size))
                continue
            (g,) = grad(flat_out[k], x, retain_graph=True, allow_unused=True)
            rows.append(_flat(g, x))
        result.append(np.array(rows).reshape(out.data.size, x.data.size))
    return result


def _flat(g: Tensor | None, like: Tensor) -> np.ndarray:
    """A gradient as a flat float64 vector; zeros for None."""
    if g is None:
        return np.zeros(like.data.size)
    return g.data.reshape(-1).astype(np.float64)


def _mismatch(output: int, input: int, numerical: Any, analytical: Any) -> str:
    return (
        f"Jacobian mismatch for output {output} with respect to input {input},\n"
        f"numerical:{numerical}\nanalytical:{analytical}\n"
    )


def _check_reentrant(first: Any, second: Any, nondet_tol: float) -> None:
    """Two backward passes on the same input and grad_output must agree within nondet_tol."""
    if np.size(first) and np.max(np.abs(np.subtract(first, second))) > nondet_tol:
        raise GradcheckError(
            "Backward is not reentrant, i.e., running backward with same input and grad_output "
            "multiple times gives different values, although analytical gradient matches "
            f"numerical gradient. The tolerance for nondeterminism was {nondet_tol}. If the "
            "backward is meant to vary, pass nondet_tol=<tolerance>."
        )


def _slow_check(fn: Callable, args: tuple, eps: float, atol: float, rtol: float,
                nondet_tol: float) -> None:
    for i in _differentiable(args):
        numerical = numerical_jacobian(fn, args, i, eps)
        analytical = analytical_jacobian(fn, args, i)
        again = analytical_jacobian(fn, args, i)
        for j, (num, ana, ana2) in enumerate(zip(numerical, analytical, again)):
            # nan is close to nothing, as in torch.allclose: a nan Jacobian fails the check.
            if not np.allclose(ana, num, rtol=rtol, atol=atol):
                raise GradcheckError(_mismatch(j, i, num, ana))
            _check_reentrant(ana, ana2, nondet_tol)


def _unit_vector(rng: np.random.Generator, size: int) -> np.ndarray:
    """A random direction with nonnegative entries, as PyTorch's fast mode draws."""
    vector = rng.random(size)
    norm = np.linalg.norm(vector)
    return vector / norm if norm else vector


def _fast_check(fn: Callable, args: tuple, eps: float, atol: float, rtol: float,
                nondet_tol: float) -> None:
    """PyTorch's fast mode: compare v^T J u, with random unit u (per input) and v (per output),
    computed by one directional finite difference and by one backward pass."""
    rng = np.random.default_rng(0)  # its own generator: the user's stream is untouched
    indices = _differentiable(args)
    outputs = [o for o in _outputs(fn, args) if o.requires_grad]
    us = {i: _unit_vector(rng, args[i].data.size) for i in indices}
    vs = [_unit_vector(rng, o.data.size) for o in outputs]
    jus = {i: _directional_difference(fn, args, i, us[i], eps) for i in indices}
    for j, (out, v) in enumerate(zip(outputs, vs)):
        seed = _make(v.reshape(out.data.shape))
        vjps = [grad(out, [args[i] for i in indices], seed, retain_graph=True, allow_unused=True)
                for _ in range(2)]
        for i, first, second in zip(indices, *vjps):
            analytical = _flat(first, args[i]) @ us[i]
            _check_reentrant(analytical, _flat(second, args[i]) @ us[i], nondet_tol)
            numerical = v @ jus[i][j]
            tolerance = atol * us[i].sum() * v.sum()
            if not np.isclose(analytical, numerical, rtol=rtol, atol=tolerance):
                raise GradcheckError(
                    _mismatch(j, i, numerical, analytical)
                    + _slow_mode_detail(fn, args, i, j, eps, atol, rtol)
                )


def _directional_difference(fn: Callable, args: tuple, index: int, u: np.ndarray,
                            eps: float) -> list[np.ndarray]:
    """J u for each differentiable output, by central differences along u."""
    x = args[index]
    original = x.data
    step = eps * u.reshape(np.shape(original))
    try:
        x.data = original + step
        plus = _differentiable_values(fn, args)
        x.data = original - step
        minus = _differentiable_values(fn, args)
    finally:
        x.data = original
    return [(p - m) / (2 * eps) for p, m in zip(plus, minus)]


def _differentiable_values(fn: Callable, args: tuple) -> list[np.ndarray]:
    return [o.data.reshape(-1).astype(np.float64) for o in _outputs(fn, args) if o.requires_grad]


def _slow_mode_detail(fn: Callable, args: tuple, index: int, output: int, eps: float,
                      atol: float, rtol: float) -> str:
    """The full Jacobians behind a fast-mode failure, as PyTorch adds to its message."""
    numerical = numerical_jacobian(fn, args, index, eps)[output]
    analytical = analytical_jacobian(fn, args, index)[output]
    largest = np.max(np.abs(numerical - analytical))
    detail = (
        "\nThe above quantities relating the numerical and analytical jacobians are computed "
        "in fast mode. Below, we recompute numerical and analytical jacobians in slow mode:\n\n"
        f"Numerical:\n {numerical}\nAnalytical:\n{analytical}\n\n"
        f"The max per-element difference (slow mode) is: {largest}.\n"
    )
    if np.allclose(analytical, numerical, rtol=rtol, atol=atol):
        detail += ("Fast gradcheck failed but element-wise differences are small: the check "
                   "might pass with fast_mode=False.\n")
    return detail


class _UndefinedGrad(Function):
    """Passes its input through; its backward gives no gradient (an undefined one)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> np.ndarray:
        return x.data

    @staticmethod
    def backward(ctx: Any, g: Tensor) -> None:
        return None


UNDEFINED_HINT = (
    "A backward receives None for an output whose gradient is undefined (zeros when its "
    "Function materializes grads, the default), and must then give None or zeros."
)


def _check_undefined_grad(fn: Callable, args: tuple) -> None:
    """Backward must cope with undefined output gradients and then give none or zeros,
    for all outputs at once and, with several outputs, for each alone."""
    inputs = [args[i] for i in _differentiable(args)]
    outputs = [o for o in _outputs(fn, args) if isinstance(o, Tensor) and o.requires_grad]
    if not outputs:
        return
    cases = [[_UndefinedGrad.apply(o) for o in outputs]]
    if len(outputs) > 1:
        for k in range(len(outputs)):
            fresh = [o for o in _outputs(fn, args) if isinstance(o, Tensor) and o.requires_grad]
            cases.append([_UndefinedGrad.apply(o) if n == k else o for n, o in enumerate(fresh)])
    for case in cases:
        zeros = [_make(np.zeros(o.data.shape)) for o in case]
        try:
            grads = grad(case, inputs, zeros, allow_unused=True)
        except (RuntimeError, TypeError, AttributeError) as error:
            raise GradcheckError(
                f"Expected backward function to handle undefined output grads. {UNDEFINED_HINT}"
            ) from error
        if any(g is not None and np.any(g.data != 0) for g in grads):
            raise GradcheckError(
                "Expected all input grads to be undefined or zero when all output grads are "
                f"undefined or zero. {UNDEFINED_HINT}"
            )


def gradcheck(
    fn: Callable,
    inputs: Tensor | Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    *,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_batched_grad: bool = False,
    fast_mode: bool = False,
) -> bool:
    """Compare the analytical Jacobian of ``fn`` at ``inputs`` with central differences.

    Returns True when they agree within ``atol + rtol * |numerical|`` everywhere, backward
    gives the same values twice (within ``nondet_tol``) and copes with undefined output
    gradients; otherwise raises (showing both Jacobians) or, with ``raise_exception=False``,
    returns False. ``fast_mode`` compares one random projection ``v^T J u`` instead, as
    PyTorch's does.
    """
    if check_batched_grad:
        raise NotImplementedError(
            "check_batched_grad=True needs batched gradients (vmap), which diffcli does not "
            "have; leave check_batched_grad=False"
        )
    args = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    for i in _differentiable(args):
        if args[i].dtype != np.float64:
            raise ValueError(f"gradcheck expects float64 inputs; input {i} is {args[i].dtype}")
    try:
        (_fast_check if fast_mode else _slow_check)(fn, args, eps, atol, rtol, nondet_tol)
        if check_undefined_grad:
            _check_undefined_grad(fn, args)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(
    fn: Callable,
    inputs: Tensor | Sequence[Any],
    grad_outputs: Sequence[Tensor] | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    *,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_batched_grad: bool = False,
    fast_mode: bool = False,
) -> bool:
    """gradcheck of the function ``(inputs, grad_outputs) -> vjp``, i.e. of second derivatives."""
    args = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    differentiable = _differentiable(args)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        with no_grad():
            outs = _outputs(fn, args)
        grad_outputs = tuple(_make(rng.standard_normal(o.shape)).requires_grad_(True) for o in outs)
    grad_outputs = tuple(grad_outputs)

    def vjp_of(*all_args: Any) -> tuple[Tensor, ...]:
        xs, vs = all_args[: len(args)], all_args[len(args) :]
        outs = _outputs(fn, xs)
        used = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
        grads = grad(
            [o for o, _ in used],
            [xs[i] for i in differentiable],
            [v for _, v in used],
            create_graph=True,
            allow_unused=True,
        )
        return tuple(
            g if g is not None else _make(np.zeros_like(xs[i].data))
            for g, i in zip(grads, differentiable)
        )

    return gradcheck(
        vjp_of, (*args, *grad_outputs), eps, atol, rtol, raise_exception,
        nondet_tol=nondet_tol, check_undefined_grad=check_undefined_grad,
        check_batched_grad=check_batched_grad, fast_mode=fast_mode,
    )
