"""Ctrl-C early in a run, while modules are still importing: a real SIGINT, sent by the
process to itself at the moment a chosen module starts to import, so that the moment is
the same from run to run. Either Python raises KeyboardInterrupt there, or (inside a
weakref callback, as the import system's are) it drops the exception; both must end
the run with exit 130 and one line, never a traceback, and a batch must count what it
wrote."""

import json
import subprocess
import sys

import pytest

from .helpers import ROOT

# Runs the console script's main with a finder that sends SIGINT when TRIGGER is imported:
# plainly, or from a weakref callback, where Python drops the KeyboardInterrupt.
SCRIPT = """
import importlib.abc, os, signal, sys, weakref

TRIGGER, WHERE = sys.argv[1], sys.argv[2]
sys.argv = ["diffcli", *sys.argv[3:]]


class Dropped:
    pass


def ctrl_c(ref=None):
    os.kill(os.getpid(), signal.SIGINT)
    for _ in range(1000):  # Python code for the handler to run in
        pass


class Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == TRIGGER:
            sys.meta_path.remove(self)
            if WHERE == "weakref":
                thing = Dropped()
                ref = weakref.ref(thing, ctrl_c)
                del thing
            else:
                ctrl_c()
        return None


sys.meta_path.insert(0, Finder())
from diffcli.cli.launch import main

main()
"""

ONE_POINT = ("grad", "x**3", "--at", "x=2", "--json")
BATCH = ("grad", "x**3", "--points", "-", "--json")


def _run(trigger, where, *args, points=""):
    return subprocess.run([sys.executable, "-c", SCRIPT, trigger, where, *args],
                          input=points, capture_output=True, text=True, cwd=ROOT)


@pytest.mark.parametrize("trigger", ["numpy", "typer", "diffcli.cli.commands.grad"])
@pytest.mark.parametrize("check", ["--check", "--no-check"])
def test_ctrl_c_during_start_up_imports_ends_the_run_in_one_line(trigger, check):
    # --check forks sympy's worker first, which must not keep the run alive either.
    run = _run(trigger, "plain", *ONE_POINT, check)
    assert (run.returncode, run.stdout, run.stderr) == (130, "", "error: interrupted\n")


def test_a_ctrl_c_that_python_drops_during_an_import_still_stops_the_run():
    # The gradient is computed after the tape module loads; the Ctrl-C came before it.
    run = _run("diffcli.expr.tape", "weakref", *ONE_POINT, "--no-check")
    assert run.returncode == 130
    assert run.stderr == "error: interrupted\n"  # no "Exception ignored" report either


def test_a_batch_whose_ctrl_c_python_dropped_stops_and_counts_what_it_wrote():
    # The points' reader loads inside the batch: the Ctrl-C lands before any result.
    run = _run("diffcli.cli.points", "weakref", *BATCH,
               points='{"x": 1}\n{"x": 2}\n')
    assert run.returncode == 130
    assert (run.stdout, run.stderr) == ("", "error: interrupted: 0 of 2 results written\n")


def test_a_batch_interrupted_before_it_began_says_so_in_one_line():
    run = _run("typer", "plain", *BATCH, points='{"x": 1}\n')
    assert (run.returncode, run.stdout, run.stderr) == (130, "", "error: interrupted\n")


def test_without_a_ctrl_c_the_same_script_runs_the_batch_whole():
    # The trigger never fires: the harness itself changes nothing.
    run = _run("no.such.module", "plain", *BATCH, points='{"x": 1}\n{"x": 2}\n')
    assert run.returncode == 0 and run.stderr == ""
    assert [json.loads(line)["gradient"]["x"] for line in run.stdout.splitlines()] == [3.0, 12.0]


def test_a_point_by_point_batch_stops_after_the_point_whose_imports_dropped_the_ctrl_c():
    # A reduction of vectors goes point by point; the first point's check loads the checks.
    points = '{"x": [1, 2]}\n{"x": [3, 4]}\n'
    run = _run("diffcli.verify.checks", "weakref", "grad", "sum(x**2)", "--points", "-",
               "--json", "--check", points=points)
    assert run.returncode == 130
    assert run.stderr == "error: interrupted: 1 of 2 results written\n"
    (doc,) = [json.loads(line) for line in run.stdout.splitlines()]
    assert doc["gradient"]["x"] == [2.0, 4.0]  # 2x at x = [1, 2], by hand
