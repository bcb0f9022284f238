"""Taylor mode and forward mode against nested grad and PyTorch, all in one run.

Run: `python -m benchmarks.bench_taylor [--stop SECONDS]` (or the `taylor` rows of
`python -m benchmarks.run`). With PyTorch importable (see README.md here) its nested
`autograd.grad` and `functional.hessian(vectorize=True)` are the references; without it,
diffcli's own nested grad and row-by-row Hessian stand in. Rows:

- the n-th derivative of exp(sin(x)) at 0.7 by Taylor mode, n = 1, 2, 4, 8, 16, 32, 100,
  against diffcli's nested grad (given up past `--stop` seconds: it grows ~2.6x per order);
- order 8 against PyTorch's nested grad (target <= 0.02x; ours timed over 20 calls in a
  row), order 100 (target < 50 ms);
- `diffcli derivative --order 100 --no-check` end to end (target < 1 s);
- the 100-d Rosenbrock Hessian with vectorize=True (target <= 1.0x PyTorch's);
- accuracy: order 20 against sympy at 30 digits (5 functions), order 100 against mpmath.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import subprocess
from collections.abc import Callable

import numpy as np

from benchmarks.cli import diffcli_command
from benchmarks.engine import (
    nth_derivative,
    rosenbrock,
    rosenbrock_hessian_by_hand,
    torch_or_none,
)
from benchmarks.harness import Row, medians, render
from diffcli import autograd, tensor
from diffcli.expr import parse
from diffcli.expr.taylor import coefficients, derivatives
from diffcli.verify import TooCostly, nested_derivative

ORDERS = (1, 2, 4, 8, 16, 32, 100)
AT = 0.7
ACCURACY = ("exp(sin(x))", "log(1+x**2)", "atan(x)", "x**7.5", "sigmoid(x)")


LOOPS = 20


def _repeat(fn: Callable[[int], float], n: int, loops: int) -> None:
    for _ in range(loops):
        fn(n)


def taylor_nth(n: int) -> float:
    return float(derivatives(parse("exp(sin(x))"), {"x": AT}, "x", n)[-1])


def nested_nth(n: int, stop: float) -> float:
    return float(nested_derivative(parse("exp(sin(x))"), {"x": AT}, ["x"] * n, budget=stop))


def bench_orders(stop: float = 5.0, repeats: int = 3) -> list[Row]:
    """Taylor mode against diffcli's nested grad, order by order."""
    rows, nested = [], None
    for n in ORDERS:
        if nested is not None or n == ORDERS[0]:
            try:  # one run within the budget decides; the timed runs then may not stop
                nested_value = nested_nth(n, stop)
                nested = functools.partial(nested_nth, n, math.inf)
            except TooCostly:
                nested = None
        taylor, ref = medians([functools.partial(taylor_nth, n), nested],
                              1 if n > 8 and nested else repeats, scale=1e3)
        row = Row(f"d^{n}/dx^{n} exp(sin x), taylor", "ms", taylor, "nested grad", ref)
        if nested is not None and not math.isclose(taylor_nth(n), nested_value,
                                                    rel_tol=1e-9):
            row.met, row.note = False, "WRONG: taylor and nested differ"
        elif nested is None:
            row.note = f"nested grad would pass {stop:g} s"
        rows.append(row)
    return rows


def bench_targets(repeats: int = 7) -> list[Row]:
    """Order 8 against PyTorch, order 100, the CLI at order 100, the vectorised Hessian."""
    torch = torch_or_none()
    rows = []
    if torch is not None:
        peer, peer_name = functools.partial(nth_derivative, torch, 8), "torch nested grad"
    else:
        peer, peer_name = functools.partial(nested_nth, 8, 60.0), "diffcli nested grad"
    # A call of ours is a few hundred microseconds: time 20 in a row so that one cold cache
    # after the peer's run does not decide the figure.
    ours, ref = medians([functools.partial(_repeat, taylor_nth, 8, LOOPS), peer], repeats,
                        scale=1e3)
    ours /= LOOPS
    right = math.isclose(taylor_nth(8), peer(), rel_tol=1e-9)
    rows.append(Row("d^8/dx^8 exp(sin x), taylor", "ms", ours, peer_name, ref,
                    target="<=0.02x ref", met=right and ours <= 0.02 * ref,
                    note="" if right else "WRONG value"))

    (ours,) = medians([functools.partial(taylor_nth, 100)], repeats, scale=1e3)
    rows.append(Row("d^100/dx^100 exp(sin x), taylor", "ms", ours, "", None,
                    target="<50 ms", met=ours < 50))

    command, python = diffcli_command()
    cli = [*command, "derivative", "exp(sin(x))", "--order", "100", "--at", "x=0.7",
           "--json", "--no-check"]
    start = [python, "-c", "import numpy"]
    # As installed: the warm-up run leaves diffcli's bytecode, as numpy's already is.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    ours, ref = medians([functools.partial(subprocess.run, cmd, capture_output=True, check=True,
                                           env=env) for cmd in (cli, start)], 5, scale=1e3)
    rows.append(Row("cli derivative --order 100", "ms", ours, "import numpy", ref,
                    target="<1,000 ms", met=ours < 1000))

    xs = np.random.default_rng(1).uniform(-1.5, 1.5, 100)
    hessian = autograd.functional.hessian(rosenbrock, tensor(xs), vectorize=True)
    right = np.allclose(hessian.data, rosenbrock_hessian_by_hand(xs), rtol=1e-12, atol=1e-9)
    if torch is not None:
        peer, peer_name = functools.partial(_torch_hessian, torch, xs), "torch vectorize=True"
    else:
        peer, peer_name = functools.partial(_hessian, xs, False), "diffcli row by row"
    ours, ref = medians([functools.partial(_hessian, xs, True), peer], repeats, scale=1e3)
    rows.append(Row("hessian rosenbrock 100-d, vectorize", "ms", ours, peer_name, ref,
                    target="<=1.0x ref", met=right and ours <= ref,
                    note="" if right else "WRONG hessian"))
    return rows


def _hessian(xs: np.ndarray, vectorize: bool) -> object:
    return autograd.functional.hessian(rosenbrock, tensor(xs), vectorize=vectorize)


def _torch_hessian(torch, xs: np.ndarray) -> object:
    return torch.autograd.functional.hessian(rosenbrock, torch.tensor(xs), vectorize=True)


def bench_accuracy() -> list[Row]:
    """Largest relative error of every derivative to order 20 (sympy, 30 digits) and of the
    order-100 coefficients of exp(sin(x)) (mpmath, 50 digits)."""
    import mpmath
    import sympy

    from diffcli.expr.symbolic import symbol, to_sympy

    rows = []
    for text in ACCURACY:
        f, x = to_sympy(parse(text)), symbol("x")
        want = []
        for _ in range(21):
            want.append(float(f.subs(x, sympy.Rational(str(AT))).evalf(30)))
            f = sympy.diff(f, x)
        got = derivatives(parse(text), {"x": AT}, "x", 20)
        rows.append(_accuracy_row(f"order 20 {text}", got, want, "sympy 30 digits", 1e-10))
    with mpmath.workdps(50):
        want = mpmath.taylor(lambda t: mpmath.exp(mpmath.sin(t)), mpmath.mpf(AT), 100)
    got = coefficients(parse("exp(sin(x))"), {"x": AT}, "x", 100)
    rows.append(_accuracy_row("order 100 coefficients exp(sin x)", got, [float(w) for w in want],
                              "mpmath 50 digits", 1e-8))
    return rows


def _accuracy_row(name: str, got: list, want: list[float], reference: str,
                  target: float) -> Row:
    error = max(abs(float(g) - w) / abs(w) for g, w in zip(got, want, strict=True) if w)
    return Row(name, "max rel err", error, reference, None, target=f"<={target:g}",
               met=error <= target)


def bench_taylor(stop: float = 5.0, repeats: int = 7) -> list[Row]:
    """Every row of this module."""
    steps: list[Callable[[], list[Row]]] = [
        functools.partial(bench_targets, repeats), functools.partial(bench_orders, stop),
        bench_accuracy]
    return [row for step in steps for row in step()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stop", type=float, default=5.0,
                        help="give up nested grad past this many seconds")
    args = parser.parse_args()
    print(render(bench_taylor(args.stop), with_torch=False))


if __name__ == "__main__":
    main()
