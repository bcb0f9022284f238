"""Parse + tape + gradient of a ~10,000-node expression, and its symbolic check.

Run: `python -m benchmarks.bench_expr [--terms N]`. Prints the time of each stage and
its share of the whole; nothing is asserted.
"""

from __future__ import annotations

import argparse
import time

from diffcli import autograd
from diffcli.expr import parse
from diffcli.expr.tape import build
from diffcli.expr.tree import postorder


def expression(terms: int) -> str:
    """A sum of distinct smooth terms in x and y, nine nodes each."""
    return " + ".join(f"{i % 7 + 1}*sin(x*{i} + y)/{i + 1}" for i in range(terms))


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--terms", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    text = expression(args.terms)
    point = {"x": 0.3, "y": -0.2}

    node, t_parse = timed(lambda: parse(text))
    nodes = sum(1 for _ in postorder(node))
    tape, t_tape = timed(lambda: build(node, point, text=text))
    _, t_grad = timed(lambda: autograd.grad(tape.output, list(tape.leaves.values())))

    # The symbolic side, stage by stage in this process (sympy import counted apart).
    _, t_import = timed(lambda: __import__("diffcli.expr.symbolic"))
    import sympy

    from diffcli.expr.symbolic import symbol, to_sympy
    from diffcli.verify import check_gradient, finite_difference

    expr, t_sympy = timed(lambda: to_sympy(node))
    derivs, t_diff = timed(lambda: [sympy.diff(expr, symbol(n)) for n in point])
    subs = {symbol(k): sympy.Float(v, 30) for k, v in point.items()}
    _, t_eval = timed(lambda: [d.xreplace(subs).evalf(30) for d in derivs])
    _, t_fd = timed(lambda: [finite_difference(node, point, (n,)) for n in point])
    check, t_check = timed(lambda: check_gradient(node, point, timeout=args.timeout))

    stages = [
        ("parse", t_parse), ("tape (forward)", t_tape), ("gradient (backward)", t_grad),
        ("sympy import", t_import), ("tree -> sympy", t_sympy), ("sympy diff", t_diff),
        ("sympy evalf (30 digits)", t_eval), ("finite differences", t_fd),
    ]
    total = sum(t for _, t in stages)
    print(f"expression: {len(text):,} characters, {nodes:,} nodes")
    for name, t in stages:
        print(f"  {name:<26}{t * 1000:10.1f} ms {100 * t / total:6.1f} %")
    print(f"  {'total':<26}{total * 1000:10.1f} ms")
    status = check.skipped or ("agree" if check.agree else "DISAGREE")
    print(f"check_gradient end to end (forked sympy child): {t_check * 1000:.1f} ms, {status}")


if __name__ == "__main__":
    main()
