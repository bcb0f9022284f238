"""The batch API over many points: diffcli.batch.grad against the gradient written by
hand in numpy, and (when dask is importable) a LocalCluster of 2 workers against 1.

Run: `python -m benchmarks.bench_batch [--points N] [--repeats R] [--no-dask]`. Prints points per
second and the ratios measured in this run; nothing is asserted.
"""

from __future__ import annotations

import argparse
import importlib.util
import time

import numpy as np

from benchmarks.harness import medians
from diffcli import batch

EXPRESSION = "sin(x) * exp(-y**2 / 2) + x**3 * y"


def by_hand(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """The same gradient, derived on paper and written in numpy."""
    gauss = np.exp(-y**2 / 2)
    return {"x": np.cos(x) * gauss + 3 * x**2 * y, "y": -y * np.sin(x) * gauss + x**3}


def _chunk_gradient(xy: tuple[np.ndarray, np.ndarray]) -> dict[str, np.ndarray]:
    return batch.grad(EXPRESSION, x=xy[0], y=xy[1])


def dask_rate(x: np.ndarray, y: np.ndarray, workers: int, chunks: int) -> float:
    """Points per second through a LocalCluster of `workers` one-thread processes, data
    scattered to the workers first (start-up and scattering not timed)."""
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        pieces = client.scatter(list(zip(np.array_split(x, chunks), np.array_split(y, chunks))))
        client.gather(client.map(_chunk_gradient, pieces, pure=False))  # warm-up
        start = time.perf_counter()
        client.gather(client.map(_chunk_gradient, pieces, pure=False))
        return x.size / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=16, help="tasks for the Dask runs")
    parser.add_argument("--no-dask", action="store_true", help="skip the cluster rows")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-3, 3, args.points), rng.uniform(-2, 2, args.points)

    ours, hand = batch.grad(EXPRESSION, x=x, y=y), by_hand(x, y)
    for name in hand:  # a fast wrong answer is no result
        np.testing.assert_allclose(ours[name], hand[name], rtol=1e-12, atol=1e-12)
    t_api, t_hand = medians([lambda: batch.grad(EXPRESSION, x=x, y=y), lambda: by_hand(x, y)],
                            args.repeats)
    print(f"{args.points:,} points, gradient of {EXPRESSION}")
    print(f"diffcli.batch.grad   {args.points / t_api:14,.0f} points/s  ({t_api:.3f} s)")
    print(f"numpy by hand        {args.points / t_hand:14,.0f} points/s  ({t_hand:.3f} s)")
    print(f"ratio batch / hand time: {t_api / t_hand:.2f}")
    if args.no_dask:
        return
    if importlib.util.find_spec("distributed") is None:
        print("dask.distributed not importable: no cluster rows (pip install 'diffcli[dask]')")
        return
    one = dask_rate(x, y, 1, args.chunks)
    two = dask_rate(x, y, 2, args.chunks)
    print(f"dask, 1 worker       {one:14,.0f} points/s")
    print(f"dask, 2 workers      {two:14,.0f} points/s  (2 workers / 1: {two / one:.2f})")


if __name__ == "__main__":
    main()
