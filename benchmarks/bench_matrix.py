"""Least squares: the gradient of sum((W@X - Y)**2) in W through the engine, against the
same gradient written by hand in numpy, 2*(W@X - Y)@X.T, in the same run, with the arrays
copied into tensors (`tensor`) and shared with them (`from_numpy`); and the
default check `diffcli grad` runs on it (sympy's matrix calculus in its child, finite
differences along random directions), against the 10 s a check may take, with the
engine's gradient of all three variables measured beside it.

Run: `python -m benchmarks.bench_matrix [--size 512]` (W n x n, X and Y n x n/2, float64),
or as the `matrix` row of `python -m benchmarks.run`. The engine's gradient is checked
against the hand-written one on every run; a wrong one is never "met".
"""

from __future__ import annotations

import argparse
import functools
from types import ModuleType

import numpy as np

from benchmarks.engine import diffcli, torch_or_none
from benchmarks.harness import Row, medians, render

TARGET = 1.2  # issue 10: at most 1.2x the hand-written numpy gradient
CHECK_BUDGET = 10.0  # seconds: the check of the 512 problem finishes well inside sympy's budget


def problem(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """W (n x n), X and Y (n x n/2): seeded standard normal float64."""
    rng = np.random.default_rng(0)
    return (rng.standard_normal((n, n)), rng.standard_normal((n, n // 2)),
            rng.standard_normal((n, n // 2)))


def least_squares_grad(lib: ModuleType, w: np.ndarray, x: np.ndarray,
                       y: np.ndarray) -> np.ndarray:
    """d/dW sum((W@X - Y)**2) by reverse mode, wrapping the arrays included."""
    weights = lib.tensor(w, requires_grad=True)
    loss = ((weights @ lib.tensor(x) - lib.tensor(y)) ** 2).sum()
    (grad,) = lib.autograd.grad(loss, weights)
    return grad.numpy() if hasattr(grad, "numpy") else grad.data


def least_squares_grad_shared(lib: ModuleType, w: np.ndarray, x: np.ndarray,
                              y: np.ndarray) -> np.ndarray:
    """The same gradient on tensors that are the arrays themselves (``from_numpy``, no copy),
    as the numpy reference reads them."""
    weights = lib.from_numpy(w).requires_grad_()
    loss = ((weights @ lib.from_numpy(x) - lib.from_numpy(y)) ** 2).sum()
    (grad,) = lib.autograd.grad(loss, weights)
    return grad.numpy() if hasattr(grad, "numpy") else grad.data


def least_squares_grad_by_hand(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return 2.0 * (w @ x - y) @ x.T


def bench_matrix(n: int = 512, repeats: int = 15) -> list[Row]:
    dc, torch = diffcli(), torch_or_none()
    w, x, y = problem(n)
    by_hand = least_squares_grad_by_hand(w, x, y)
    right = all(np.allclose(way(dc, w, x, y), by_hand, rtol=1e-10, atol=1e-9)
                for way in (least_squares_grad, least_squares_grad_shared))
    value, shared, ref, t_torch, t_torch_shared = medians(
        [functools.partial(least_squares_grad, dc, w, x, y),
         functools.partial(least_squares_grad_shared, dc, w, x, y),
         functools.partial(least_squares_grad_by_hand, w, x, y),
         functools.partial(least_squares_grad, torch, w, x, y) if torch else None,
         functools.partial(least_squares_grad_shared, torch, w, x, y) if torch else None],
        repeats, scale=1e3)
    shape = f"W {n}x{n}, X {n}x{n // 2}"
    note = "" if right else "WRONG gradient"
    return [Row(f"grad_W sum((W@X-Y)^2), {shape}", "ms", value, "numpy by hand", ref,
                target=f"<={TARGET}x ref", met=value <= TARGET * ref and right, torch=t_torch,
                note=note or "tensor() copies W, X, Y, as torch.tensor does"),
            Row(f"grad_W sum((W@X-Y)^2), {shape}, from_numpy", "ms", shared, "numpy by hand",
                ref, target=f"<={TARGET}x ref", met=shared <= TARGET * ref and right,
                torch=t_torch_shared, note=note or "the arrays themselves, no copy")]


def bench_check(n: int = 512, repeats: int = 3) -> list[Row]:
    """Wall time of verify.check_gradient on the least-squares problem (all of W, X, Y)."""
    from diffcli import verify
    from diffcli.expr.parser import parse

    w, x, y = problem(n)
    point = {"W": w, "X": x, "Y": y}
    node = parse("sum((W@X - Y)**2)")
    _, grads = verify.gradient(node, point, list(point))
    check = verify.check_gradient(node, point, grads)
    value, ref = medians([functools.partial(verify.check_gradient, node, point, grads),
                          functools.partial(verify.gradient, node, point, list(point))],
                         repeats)
    witnesses = "sympy closed form" if check.closed_form else check.skipped or "sympy"
    along = any(c.directional is not None for c in check.components)
    note = f"{witnesses}; finite differences {'along directions' if along else 'per entry'}"
    return [Row(f"check of grad sum((W@X-Y)^2), W {n}x{n}, X {n}x{n // 2}", "s", value,
                "engine gradient", ref, target=f"<{CHECK_BUDGET:g} s",
                met=value < CHECK_BUDGET and check.agree is True,
                note=note if check.agree else f"check did not agree: {note}")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    rows = bench_matrix(args.size, args.repeats) + bench_check(args.size)
    print(render(rows, with_torch=torch_or_none() is not None))


if __name__ == "__main__":
    main()
