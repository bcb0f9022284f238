"""benchmarks/bench_matrix.py keeps working: its workload computes the least-squares gradient
(checked against central differences of the loss), and a tiny run reports a right answer.
No timing is asserted."""

import numpy as np

from benchmarks import bench_matrix
from benchmarks.engine import diffcli


def loss(w, x, y):
    return ((w @ x - y) ** 2).sum()


def test_hand_written_and_engine_gradients_match_central_differences():
    w, x, y = bench_matrix.problem(6)
    h = 1e-6
    differences = np.empty_like(w)
    for index in np.ndindex(w.shape):
        step = np.zeros_like(w)
        step[index] = h
        differences[index] = (loss(w + step, x, y) - loss(w - step, x, y)) / (2 * h)
    np.testing.assert_allclose(bench_matrix.least_squares_grad_by_hand(w, x, y), differences,
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(bench_matrix.least_squares_grad(diffcli(), w, x, y), differences,
                               rtol=1e-6, atol=1e-6)


def test_tiny_run_reports_a_right_gradient_and_its_ratio():
    (row,) = bench_matrix.bench_matrix(8, repeats=1)
    assert "WRONG" not in row.note
    assert row.value > 0 and row.ref_value > 0 and row.ratio is not None
