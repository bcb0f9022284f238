"""Run the benchmarks and print one table: `python -m benchmarks.run [--quick] [--only NAME]`."""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Callable
from time import perf_counter

import numpy as np

from benchmarks import bench_matrix, bench_taylor, cli, engine
from benchmarks.harness import Row, render

# name -> (full run, quick run); quick sizes keep every code path but finish in seconds
WORKLOADS: dict[str, tuple[Callable[[], list[Row]], Callable[[], list[Row]]]] = {
    "scalar": (engine.bench_scalar, lambda: engine.bench_scalar((7_500,), repeats=3)),
    "points": (engine.bench_points, lambda: engine.bench_points(100_000, repeats=3)),
    "nth": (engine.bench_nth, lambda: engine.bench_nth(6, repeats=3)),
    "chain": (engine.bench_chain,
              lambda: engine.bench_chain(10_000, memory_ops=100_000, repeats=1)),
    "hessian": (engine.bench_hessian, lambda: engine.bench_hessian(repeats=3)),
    "matrix": (bench_matrix.bench_matrix, lambda: bench_matrix.bench_matrix(256, repeats=5)),
    "cli": (cli.bench_cli, lambda: cli.bench_cli(10_000, repeats=3, batch_repeats=1)),
    "taylor": (bench_taylor.bench_taylor, lambda: bench_taylor.bench_taylor(0.5, repeats=3)),
}


def describe_machine() -> str:
    torch = engine.torch_or_none()
    torch_text = (f"torch {torch.__version__} (float64, {torch.get_num_threads()} thread)"
                  if torch else "torch not importable (no torch column)")
    return (f"python {platform.python_version()}, numpy {np.__version__}, {torch_text}; "
            f"times are medians of repeats; ratio = diffcli / reference")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--only", choices=sorted(WORKLOADS), action="append",
                        help="run only this workload (repeatable)")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    for name in args.only or WORKLOADS:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        start = perf_counter()
        rows += WORKLOADS[name][args.quick]()
        print(f"  {name}: {perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    print(describe_machine())
    print(render(rows, with_torch=engine.torch_or_none() is not None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
