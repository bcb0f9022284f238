"""gradcheck and gradgradcheck: analytical Jacobians against central finite differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .engine import grad
from .grad_mode import no_grad
from .tensor import Tensor, _make


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the Jacobians disagree."""


def _outputs(fn: Callable, inputs: tuple) -> tuple[Tensor, ...]:
    out = fn(*inputs)
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


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
            rows.append(
                np.zeros(x.data.size) if g is None else g.data.reshape(-1).astype(np.float64)
            )
        result.append(np.array(rows).reshape(out.data.size, x.data.size))
    return result


def gradcheck(
    fn: Callable,
    inputs: Tensor | Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Compare the analytical Jacobian of ``fn`` at ``inputs`` with central differences.

    Returns True when they agree within ``atol + rtol * |numerical|`` everywhere; otherwise
    raises (showing both Jacobians) or, with ``raise_exception=False``, returns False.
    """
    args = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    for i, x in enumerate(args):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype != np.float64:
            raise ValueError(f"gradcheck expects float64 inputs; input {i} is {x.dtype}")
    for i, x in enumerate(args):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        numerical = numerical_jacobian(fn, args, i, eps)
        analytical = analytical_jacobian(fn, args, i)
        for j, (num, ana) in enumerate(zip(numerical, analytical)):
            if not np.allclose(ana, num, rtol=rtol, atol=atol, equal_nan=True):
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"Jacobian mismatch for output {j} with respect to input {i},\n"
                    f"numerical:{num}\nanalytical:{ana}\n"
                )
    return True


def gradgradcheck(
    fn: Callable,
    inputs: Tensor | Sequence[Any],
    grad_outputs: Sequence[Tensor] | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """gradcheck of the function ``(inputs, grad_outputs) -> vjp``, i.e. of second derivatives."""
    args = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    differentiable = [i for i, x in enumerate(args) if isinstance(x, Tensor) and x.requires_grad]
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

    return gradcheck(vjp_of, (*args, *grad_outputs), eps, atol, rtol, raise_exception)
