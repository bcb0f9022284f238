"""Least squares: the gradient of sum((W@X - Y)**2) in W through the engine, against the
same gradient written by hand in numpy, 2*(W@X - Y)@X.T, in the same run.

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


def least_squares_grad_by_hand(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return 2.0 * (w @ x - y) @ x.T


def bench_matrix(n: int = 512, repeats: int = 15) -> list[Row]:
    dc, torch = diffcli(), torch_or_none()
    w, x, y = problem(n)
    right = np.allclose(least_squares_grad(dc, w, x, y), least_squares_grad_by_hand(w, x, y),
                        rtol=1e-10, atol=1e-9)
    value, ref, t_torch = medians(
        [functools.partial(least_squares_grad, dc, w, x, y),
         functools.partial(least_squares_grad_by_hand, w, x, y),
         functools.partial(least_squares_grad, torch, w, x, y) if torch else None],
        repeats, scale=1e3)
    return [Row(f"grad_W sum((W@X-Y)^2), W {n}x{n}, X {n}x{n // 2}", "ms", value,
                "numpy by hand", ref, target=f"<={TARGET}x ref",
                met=value <= TARGET * ref and right, torch=t_torch,
                note="" if right else "WRONG gradient")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print(render(bench_matrix(args.size, args.repeats), with_torch=torch_or_none() is not None))


if __name__ == "__main__":
    main()
