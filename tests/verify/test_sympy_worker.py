"""sympy's prestarted worker: one pickled job in another process, within the budget; the
deferred tensor module, which keeps sympy's first Add from importing combinatorics."""

import operator
import os
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


def test_the_prestarted_worker_runs_the_job_in_its_own_process(worker):
    assert run_with_budget(partial(os.getpid), 10.0) == (worker, None)


def test_a_job_larger_than_a_pipe_holds_reaches_the_worker(worker):
    # It is sent before the worker says it is ready: the write must not wait on that.
    assert run_with_budget(partial(len, b"x" * 1_000_000), 60.0) == (1_000_000, None)


def test_a_job_past_its_budget_is_skipped_and_the_worker_killed(worker):
    start = time.monotonic()
    assert run_with_budget(partial(time.sleep, 30), 0.5) == (None, "skipped: timed out")
    assert time.monotonic() - start < 20  # it did not wait for the sleep


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


def test_no_time_at_all_skips_without_starting_anything():
    assert run_with_budget(partial(os.getpid), 0.0) == (None, "skipped: timed out")


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
