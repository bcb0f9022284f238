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
    for way in (bench_matrix.least_squares_grad, bench_matrix.least_squares_grad_shared):
        np.testing.assert_allclose(way(diffcli(), w, x, y), differences, rtol=1e-6, atol=1e-6)


def test_the_shared_workload_leaves_the_arrays_as_they_were():
    w, x, y = bench_matrix.problem(6)
    before = [a.copy() for a in (w, x, y)]
    bench_matrix.least_squares_grad_shared(diffcli(), w, x, y)
    for after, was in zip((w, x, y), before):
        np.testing.assert_array_equal(after, was)


def test_tiny_run_reports_right_gradients_and_their_ratios_copied_and_shared():
    copied, shared = bench_matrix.bench_matrix(8, repeats=1)
    assert "from_numpy" in shared.workload and "from_numpy" not in copied.workload
    for row in (copied, shared):
        assert "WRONG" not in row.note
        assert row.value > 0 and row.ref_value > 0 and row.ratio is not None


def test_check_row_reports_an_agreeing_check_and_its_witnesses():
    (row,) = bench_matrix.bench_check(8, repeats=1)
    assert row.note.startswith("sympy closed form; finite differences per entry")
    assert row.value > 0 and row.ref_value > 0
