"""Gradients at millions of points on a Dask cluster, with diffcli's batch API.

Writes N random points to a Parquet dataset (one file per part), has Dask workers each
read their parts and call `diffcli.batch.grad` on the columns, and checks that the
gathered result is bit for bit the one a single process computes.

    pip install 'diffcli[dask]'
    python examples/dask_points.py                       # 10,000,000 points, a LocalCluster
    python examples/dask_points.py --points 100000 --workers 2
    python examples/dask_points.py --scheduler tcp://HOST:8786 --dataset /shared/points

With --scheduler the work goes to that running cluster instead of a local one; its
workers need diffcli installed and must see --dataset at the same path (shared storage).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from diffcli import batch

EXPRESSION = "sin(x) * exp(-y**2 / 2) + x**3 * y"


def write_dataset(directory: Path, n: int, parts: int, seed: int = 0) -> list[str]:
    """N points (x, y) in `parts` Parquet files, made piece by piece to bound the memory."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i, size in enumerate(np.diff(np.linspace(0, n, parts + 1).astype(np.int64))):
        path = directory / f"part-{i:04d}.parquet"
        pq.write_table(pa.table({"x": rng.uniform(-3, 3, size), "y": rng.uniform(-2, 2, size)}),
                       path)
        paths.append(str(path))
    return paths


def gradient_of_part(path: str) -> dict[str, np.ndarray]:
    """One task: read one part and differentiate at its points (runs on a worker)."""
    table = pq.read_table(path, columns=["x", "y"])
    return batch.grad(EXPRESSION, x=table.column("x").to_numpy(), y=table.column("y").to_numpy())


def on_cluster(paths: list[str], scheduler: str | None, workers: int) -> dict[str, np.ndarray]:
    from dask.distributed import Client, LocalCluster

    cluster = None if scheduler else LocalCluster(n_workers=workers, threads_per_worker=1,
                                                  processes=True, dashboard_address=None)
    with Client(scheduler or cluster) as client:
        parts = client.gather(client.map(gradient_of_part, paths))
    if cluster is not None:
        cluster.close()
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def single_process(paths: list[str]) -> dict[str, np.ndarray]:
    table = pq.read_table(paths)
    return batch.grad(EXPRESSION, x=table.column("x").to_numpy(), y=table.column("y").to_numpy())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--parts", type=int, default=16, help="Parquet files in the dataset")
    parser.add_argument("--workers", type=int, default=4, help="local workers (one thread each)")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler to use instead")
    parser.add_argument("--dataset", type=Path, help="where to write the dataset "
                        "(default: a temporary directory)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        paths = write_dataset(args.dataset or Path(scratch), args.points, args.parts)
        start = time.perf_counter()
        distributed = on_cluster(paths, args.scheduler, args.workers)
        cluster_seconds = time.perf_counter() - start
        start = time.perf_counter()
        local = single_process(paths)
        local_seconds = time.perf_counter() - start

    where = args.scheduler or f"a LocalCluster of {args.workers} workers"
    print(f"{args.points:,} points in {len(paths)} Parquet parts, gradient of {EXPRESSION}")
    print(f"on {where}: {cluster_seconds:.2f} s (cluster start-up included); "
          f"one process: {local_seconds:.2f} s")
    for name in local:
        assert np.array_equal(distributed[name], local[name]), f"d/d{name} differs"
    print("the cluster's gradients equal the single process's, bit for bit")


if __name__ == "__main__":
    main()
