"""sympy's prestarted worker: one pickled job in another process, within the budget; the
deferred tensor module, which keeps sympy's first Add from importing combinatorics."""

import operator
import os
import select
import subprocess
import sys
import time
from functools import partial

import pytest

from diffcli.verify import budget
from diffcli.verify.budget import prestart, run_with_budget


def _gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def worker():
    prestart()
    (started,) = budget._WORKER
    yield started.pid
    assert budget._WORKER == []  # the job took it
    assert _gone(started.pid)  # and it was reaped


def test_a_job_past_its_budget_is_skipped_and_the_worker_killed(worker):
    # The first worker test: were the fork's roles swapped, this process would be the
    # worker, and only a kill (not a clean exit after one answer) makes the run fail.
    start = time.monotonic()
    assert run_with_budget(partial(time.sleep, 30), 0.5) == (None, "skipped: timed out")
    assert time.monotonic() - start < 20  # it did not wait for the sleep


def test_the_prestarted_worker_runs_the_job_in_its_own_process(worker):
    assert run_with_budget(partial(os.getpid), 10.0) == (worker, None)


def test_a_job_larger_than_a_pipe_holds_reaches_the_worker(worker):
    # It is sent before the worker says it is ready: the write must not wait on that.
    assert run_with_budget(partial(len, b"x" * 1_000_000), 60.0) == (1_000_000, None)


def test_a_failing_job_says_why(worker):
    assert run_with_budget(partial(operator.truediv, 1, 0), 10.0) == (
        None, "skipped: sympy failed (ZeroDivisionError: division by zero)")


def test_a_closure_goes_to_a_fresh_child_and_the_worker_is_stopped(worker):
    here = os.getpid()
    found, skipped = run_with_budget(lambda: os.getpid(), 10.0)
    assert skipped is None and found not in (here, worker)


def test_a_worker_forked_without_the_collector_runs_its_job_with_it():
    # The console script imports without the collector and forks the worker then; sympy's
    # objects are frozen once imported, and the job gets the collector back.
    code = ("import gc; gc.disable(); from functools import partial; "
            "from diffcli.verify.budget import prestart, run_with_budget; prestart(); "
            "print(run_with_budget(partial(gc.isenabled), 60.0))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out == "(True, None)\n"


def test_a_failing_jobs_error_is_cut_to_500_characters(worker):
    try:
        int("x" * 1000)
    except ValueError as exc:
        error = f"ValueError: {exc}"[:500]
    assert run_with_budget(partial(int, "x" * 1000), 10.0) == (
        None, f"skipped: sympy failed ({error})")


def test_a_worker_that_dies_without_answering_is_a_crash(worker):
    assert run_with_budget(partial(os._exit, 3), 10.0) == (None, "skipped: sympy crashed")


def test_the_worker_runs_meanwhile_here_while_the_job_runs_there(worker):
    here = []
    assert run_with_budget(partial(os.getpid), 10.0, lambda: here.append(os.getpid())) == (
        worker, None)
    assert here == [os.getpid()]


def test_the_worker_lets_go_of_the_terminal_and_the_callers_pipes(worker):
    (started,) = budget._WORKER
    # It says "ready" once its descriptors are moved and sympy is imported.
    assert select.select([started.results], [], [], 60)[0]
    for fd in (0, 1, 2):
        assert os.readlink(f"/proc/{worker}/fd/{fd}") == os.devnull
    assert run_with_budget(partial(os.getpid), 10.0) == (worker, None)


def test_a_second_prestart_keeps_the_one_worker(worker):
    prestart()
    assert [w.pid for w in budget._WORKER] == [worker]
    assert run_with_budget(partial(os.getpid), 10.0) == (worker, None)


def test_jobs_and_answers_larger_than_a_pipe_holds_go_whole(worker):
    # A pipe holds 64 KiB: both ways, the message arrives in several reads.
    assert run_with_budget(partial(len, b"x" * 300_000), 10.0) == (300_000, None)
    assert budget._WORKER == []
    prestart()
    assert run_with_budget(partial(bytes, 300_000), 10.0) == (bytes(300_000), None)


def test_a_worker_whose_caller_went_away_ends_without_running_the_callers_code(tmp_path):
    # The caller prestarts and exits at once; the worker, finding no one to serve, must
    # end, neither waiting for ever nor going on into the caller's script (which would
    # append a second line).
    marks = tmp_path / "marks"
    code = f"""
from diffcli.verify import budget
budget.prestart()
print(budget._WORKER[0].pid)
with open({str(marks)!r}, "a") as f:
    f.write("caller\\n")
"""
    pid = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout)
    deadline = time.monotonic() + 120
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(pid)
    assert marks.read_text() == "caller\n"


def test_no_time_at_all_skips_without_starting_anything():
    ran = []
    assert run_with_budget(partial(os.getpid), 0.0, lambda: ran.append(1)) == (
        None, "skipped: timed out")
    assert ran == [1]  # the caller's own work still runs


def test_no_time_at_all_leaves_the_worker_for_the_next_job(worker):
    assert run_with_budget(partial(os.getpid), 0.0) == (None, "skipped: timed out")
    assert run_with_budget(partial(os.getpid), 10.0) == (worker, None)


def test_sympys_first_add_does_not_load_tensors_yet_tensors_still_work():
    code = """
import sys
import diffcli.expr.symbolic
import sympy
x = sympy.Symbol("x")
assert sympy.diff(x**3 + x, x) == 3*x**2 + 1
print("sympy.combinatorics" in sys.modules)
from sympy.tensor.tensor import TensorHead, TensorIndexType, tensor_indices
L = TensorIndexType("L")
i, j = tensor_indices("i j", L)
A = TensorHead("A", [L])
print(A(i) + A(i))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "2*A(i)"]


def _budget_spent_meanwhile():
    # The caller's own work takes 1 s of a 1.2 s budget; the job needs 1.8 s, so it is
    # late however long the wait, unless the budget forgets the time spent meanwhile.
    return run_with_budget(partial(time.sleep, 1.8), 1.2, partial(time.sleep, 1.0))


def test_the_budget_of_a_fresh_child_counts_the_time_spent_meanwhile():
    assert _budget_spent_meanwhile() == (None, "skipped: timed out")


def test_the_budget_of_the_worker_counts_the_time_spent_meanwhile(worker):
    assert _budget_spent_meanwhile() == (None, "skipped: timed out")
