"""benchmarks/bench_batch.py keeps working: at a tiny size it checks the batch API against
numpy by hand (it stops on a wrong answer) and prints the ratio. No timing is asserted."""

import subprocess
import sys
from pathlib import Path


def test_batch_benchmark_checks_the_api_against_numpy_by_hand_and_reports_a_ratio():
    done = subprocess.run([sys.executable, "-m", "benchmarks.bench_batch", "--points", "2000",
                           "--repeats", "1", "--no-dask"], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    assert "ratio batch / hand time:" in done.stdout
