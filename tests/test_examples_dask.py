"""examples/dask_points.py on a small dataset: the Dask cluster's gradients are the
single process's, bit for bit, and both are the hand-derived ones."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("dask.distributed")
pq = pytest.importorskip("pyarrow.parquet")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "dask_points.py"


def test_dask_example_matches_one_process_bit_for_bit(tmp_path):
    done = subprocess.run([sys.executable, str(EXAMPLE), "--points", "5000", "--parts", "4",
                           "--workers", "2", "--dataset", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^5,000 points in 4 Parquet parts", done.stdout, re.M)
    assert "equal the single process's, bit for bit" in done.stdout


def test_dask_example_tasks_compute_the_hand_derived_gradient(tmp_path):
    sys.path.insert(0, str(EXAMPLE.parent))
    try:
        import dask_points
    finally:
        sys.path.remove(str(EXAMPLE.parent))
    paths = dask_points.write_dataset(tmp_path, 1000, 3)
    got = [dask_points.gradient_of_part(path) for path in paths]
    table = pq.read_table(paths)
    x, y = table.column("x").to_numpy(), table.column("y").to_numpy()
    # d/dx [sin(x) exp(-y²/2) + x³y] = cos(x) exp(-y²/2) + 3x²y; d/dy = -y sin(x) exp(-y²/2) + x³
    np.testing.assert_allclose(np.concatenate([g["x"] for g in got]),
                               np.cos(x) * np.exp(-y**2 / 2) + 3 * x**2 * y, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(np.concatenate([g["y"] for g in got]),
                               -y * np.sin(x) * np.exp(-y**2 / 2) + x**3, rtol=1e-13, atol=1e-13)
