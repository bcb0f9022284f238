"""n-th derivative of exp(sin(x)) at x = 0.7: nested grad against Taylor mode, same run.

Run: `python -m benchmarks.bench_taylor [--stop SECONDS]`. Nested grad gives up on an order
expected to pass `--stop` seconds (its cost grows about 2.6x per order); Taylor mode
is the median of three runs. Prints a table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time

from diffcli.expr import parse
from diffcli.expr.taylor import derivatives
from diffcli.verify import TooCostly, nested_derivative

ORDERS = (1, 2, 4, 8, 16, 32, 100)


def timed(fn) -> tuple[object, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--expression", default="exp(sin(x))")
    parser.add_argument("--stop", type=float, default=5.0)
    args = parser.parse_args()
    node, point = parse(args.expression), {"x": 0.7}
    print(f"{args.expression} at x = 0.7")
    print(f"{'order':>5}  {'nested s':>10}  {'taylor s':>10}  {'taylor value':>24}  rel gap")
    nested_on = True
    for order in ORDERS:
        runs = [timed(lambda n=order: derivatives(node, point, "x", n)[-1]) for _ in range(3)]
        value, t_taylor = float(runs[0][0]), statistics.median(t for _, t in runs)
        nested_text, gap = "-", "-"
        if nested_on:
            try:
                nested, t_nested = timed(lambda n=order: nested_derivative(
                    node, point, ["x"] * n, budget=args.stop))
            except TooCostly:
                nested_text, nested_on = f"> {args.stop:g}", False
            else:
                nested_text = f"{t_nested:10.4f}"
                gap = f"{abs(float(nested) - value) / abs(value):.1e}"
        print(f"{order:>5}  {nested_text:>10}  {t_taylor:10.5f}  {value:24.16e}  {gap}")


if __name__ == "__main__":
    main()
