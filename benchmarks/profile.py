"""Where diffcli's time goes in one workload: `python -m benchmarks.profile NAME`.

Prints how much of a plain run the cyclic GC takes, then the functions with the largest
own time under cProfile, with their share of the total. cProfile inflates the cost of many tiny calls; for an unbiased view sample the
plain run instead: `py-spy top -- python -m benchmarks.profile NAME --plain 50`.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
from collections.abc import Callable
from time import perf_counter

from benchmarks import engine


def workloads(dc: object) -> dict[str, Callable[[], object]]:
    """The diffcli side of each engine workload, at its full size."""
    xs, ys = engine.sample_points(1_000_000)
    rosen = engine.sample_points(100)[0]
    return {
        "scalar": lambda: engine.scalar_grad(dc, 25_000),
        "points": lambda: engine.points_grad(dc, xs, ys),
        "nth": lambda: engine.nth_derivative(dc, 8),
        "chain": lambda: engine.scalar_grad(dc, 333_333),
        "hessian": lambda: engine.rosenbrock_hessian(dc, rosen),
    }


def top_functions(stats: pstats.Stats, count: int) -> str:
    """The `count` functions with the most own time, as share / own / cumulative / calls."""
    table = stats.stats  # type: ignore[attr-defined]  (undocumented but stable since 2.x)
    total = sum(entry[2] for entry in table.values()) or 1.0
    ranked = sorted(table.items(), key=lambda kv: kv[1][2], reverse=True)[:count]
    lines = [f"{'share':>6} {'own s':>8} {'cum s':>8} {'calls':>10}  function"]
    for (path, line, name), (_, calls, own, cum, _) in ranked:
        where = f"{'/'.join(path.split('/')[-2:])}:{line}"
        lines.append(f"{own / total:6.1%} {own:8.3f} {cum:8.3f} {calls:10,}  {name}  ({where})")
    return "\n".join(lines)


def gc_share(run: Callable[[], object]) -> str:
    """How much of one plain run the cyclic garbage collector takes, and how often it runs."""
    spent, started, counts = [0.0], [0.0], [0, 0, 0]

    def clock(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = perf_counter()
        else:
            spent[0] += perf_counter() - started[0]
            counts[info["generation"]] += 1

    gc.collect()
    gc.callbacks.append(clock)
    start = perf_counter()
    try:
        run()
    finally:
        total = perf_counter() - start
        gc.callbacks.remove(clock)
    return (f"one run: {total:.3f} s, of which cyclic GC {spent[0]:.3f} s ({spent[0] / total:.0%});"
            f" collections of generation 0/1/2: {counts[0]}/{counts[1]}/{counts[2]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name", choices=["scalar", "points", "nth", "chain", "hessian"])
    parser.add_argument("--top", type=int, default=20, help="how many functions to list")
    parser.add_argument("--plain", type=int, metavar="N",
                        help="just run the workload N times (for an outside sampler)")
    args = parser.parse_args(argv)
    run = workloads(engine.diffcli())[args.name]
    run()  # warm-up: imports and caches are not what we are after
    if args.plain:
        for _ in range(args.plain):
            run()
        return 0
    print(gc_share(run))
    profiler = cProfile.Profile()
    profiler.runcall(run)
    print(top_functions(pstats.Stats(profiler), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
