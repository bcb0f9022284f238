"""Through a real process: python -m diffcli, start-up imports, stdout purity, NO_COLOR, --debug."""

import json
import os
import re
import subprocess
import sys

import pytest

from .helpers import ROOT, run_process

ONE_POINT = ("grad", "x**3 + y**2", "--at", "x=2", "--at", "y=3", "--json", "--no-check")
# SGR colour parameters: 30-37/90-97 foreground, 40-47/100-107 background, 38;/48; extended.
COLOUR = re.compile(r"\x1b\[[0-9;]*(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])[;m]")


def test_one_point_json_loads_neither_sympy_nor_rich():
    run = run_process(*ONE_POINT, python_flags=("-X", "importtime"))
    assert run.code == 0
    assert json.loads(run.stdout)["gradient"] == {"x": 12.0, "y": 6.0}  # 3x^2, 2y by hand
    imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines()
                if line.startswith("import time:")}
    assert "numpy" in imported  # the importtime listing is really there
    assert not {m for m in imported if m.split(".")[0] in ("sympy", "rich")}


@pytest.mark.parametrize("check", ["--check", "--no-check"])
def test_a_gradient_loads_neither_forward_mode_nor_the_functional_api(check):
    run = run_process(*ONE_POINT[:-1], check, python_flags=("-X", "importtime"))
    assert run.code == 0
    assert json.loads(run.stdout)["gradient"] == {"x": 12.0, "y": 6.0}  # 3x^2, 2y by hand
    imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines()
                if line.startswith("import time:")}
    assert "diffcli.autograd.engine" in imported  # the listing is there
    assert not imported & {"diffcli.autograd.forward", "diffcli.autograd.functional"}


def test_a_one_point_check_leaves_sympy_to_the_worker_started_before_the_engine():
    run = run_process("grad", "x**3 + y**2", "--at", "x=2", "--at", "y=3", "--json",
                      python_flags=("-X", "importtime"))
    assert run.code == 0
    check = json.loads(run.stdout)["check"]
    assert check["symbolic"] == {"x": 12.0, "y": 6.0}  # 3x^2, 2y by hand: sympy answered
    assert check["formula"] == {"x": "3*x**2", "y": "2*y"}
    # -X importtime lists this process's imports (the worker's stderr is closed):
    # sympy is not among them, and the worker was forked before typer was imported.
    imported = [line.split("|")[-1].strip() for line in run.stderr.splitlines()
                if line.startswith("import time:")]
    assert "numpy" in imported
    assert not [m for m in imported if m.split(".")[0] == "sympy"]
    assert imported.index("diffcli.verify.budget") < imported.index("typer")


@pytest.mark.parametrize(("args", "expected"), [
    (["grad", "x", "--at", "x=1"], True),
    (["jacobian", "x", "y", "--at", "x=1,y=2", "--check-timeout", "2"], True),
    (["grad", "x", "--points", "p.ndjson", "--check"], True),
    (["grad", "x", "--at", "x=1", "--no-check"], False),
    (["grad", "x", "--points", "p.ndjson"], False),
    (["grad", "x", "--points=p.ndjson", "--no-check"], False),
    (["grad", "x", "--at", "x=1", "--check-timeout", "0"], False),
    (["grad", "x", "--points", "p.ndjson", "--check", "--check-timeout=0"], False),
    (["grad", "--help"], False),
    (["graph", "x", "--at", "x=1"], False),
    ([], False),
])
def test_the_worker_is_started_only_when_sympy_will_check(args, expected):
    from diffcli.cli.launch import will_use_sympy

    assert will_use_sympy(args) is expected


def test_a_command_run_imports_only_that_commands_module():
    code = ("import sys; from diffcli.cli.app import new_app; new_app(['grad']); "
            "print(sorted(m for m in sys.modules if m.startswith('diffcli.cli.commands.')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.stdout.split() == ["['diffcli.cli.commands.grad']"]


def test_json_stdout_is_one_document_and_messages_go_to_stderr():
    run = run_process("grad", "x**2", "--at", "x=3", "--at", "z=1", "--json")
    assert run.code == 0
    lines = run.stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["check"]["agree"] is True
    assert "'z' is not used" in run.stderr


def test_errors_exit_2_without_traceback_and_debug_shows_it():
    plain = run_process("grad", "x +", "--at", "x=1", "--json")
    assert plain.code == 2 and plain.stdout == "" and "Traceback" not in plain.stderr
    assert "^" in plain.stderr
    debug = run_process("grad", "x +", "--at", "x=1", "--json", "--debug")
    assert debug.code == 2 and "Traceback" in debug.stderr and debug.stdout == ""


def test_no_color_and_force_color():
    args = ("grad", "x**2", "--at", "x=3", "--no-check")
    coloured = run_process(*args, env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert COLOUR.search(coloured.stdout)  # the check below can fail
    plain = run_process(*args, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert plain.code == 0 and "6" in plain.stdout and not COLOUR.search(plain.stdout)


def test_version_and_help_list_every_command_with_examples():
    version = run_process("--version")
    assert version.code == 0 and re.fullmatch(r"diffcli \d+\.\d+\.\d+\n", version.stdout)
    helped = run_process("--help", env={"TERM": "dumb", "COLUMNS": "200"})
    for name in ("grad", "backward", "derivative", "hessian", "jacobian", "check", "graph",
                 "symbolic", "gradcheck"):
        assert re.search(rf"^\W*{name}\b", helped.stdout, re.M), name
        sub = run_process(name, "--help", env={"TERM": "dumb", "COLUMNS": "200"})
        assert sub.code == 0 and f"diffcli {name} " in sub.stdout
        # The description's lines all start where its first does: none keeps the
        # docstring's own indentation.
        lines = sub.stdout.splitlines()
        usage = next(i for i, line in enumerate(lines) if "Usage:" in line)
        example = next(i for i, line in enumerate(lines) if line.strip() == "Example:")
        described = [line for line in lines[usage + 1:example] if line.strip()]
        assert described and {len(line) - len(line.lstrip()) for line in described} == {1}, name


def test_batch_through_stdin_of_a_real_process():
    text = '{"x": 1, "y": 2}\n{"y": 1}\n{"x": -2, "y": 0.5}\n'
    run = run_process("grad", "x**3 + y**2", "--points", "-", "--json", input=text)
    assert run.code == 2
    assert [json.loads(line)["gradient"] for line in run.stdout.splitlines()] == [
        {"x": 3.0, "y": 4.0}, {"x": 12.0, "y": 1.0}]
    assert "line 2: no value for 'x'" in run.stderr


def test_second_backward_error_through_a_process():
    run = run_process("backward", "x**3", "--at", "x=2", "--repeat", "2")
    assert run.code == 2 and "backward through the graph a second time" in run.stderr


@pytest.mark.parametrize("args", [
    ("graph", "sin(x)*y", "--at", "x=1,y=2", "--format", "dot"),  # plain writes
    ("symbolic", "sin(x)*y"),  # rich's console
    ("grad", "x**2", "--at", "x=3", "--json"),
])
def test_a_reader_that_leaves_early_ends_the_run_quietly(args):
    # The read end is closed before the child starts, so every write fails (EPIPE), as
    # when `| head -1` has already exited.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([sys.executable, "-m", "diffcli", *args], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT)
    finally:
        os.close(write_end)
    assert (proc.returncode, proc.stderr) == (141, "")  # 128 + SIGPIPE, as a shell reports


@pytest.mark.parametrize(("args", "message"), [
    (("grad", "x", "--bogus"), "error: No such option: --bogus (see 'diffcli grad --help')"),
    (("derivative", "x*y", "--at", "x=1,y=2"), "error: --wrt is needed: the expression has"),
    (("derivative", "x", "--at"), "error: Option '--at' requires an argument."),
    (("grad", "x", "--rtol", "abc"), "error: Invalid value for '--rtol': 'abc' is not a valid float."),
    (("nosuch",), "error: No such command 'nosuch'."),
    (("backward", "x**3", "--at", "x=2", "--repeat", "2"), "error: backward pass 2 of 2: Trying"),
])
def test_usage_and_engine_errors_are_one_line_with_exit_2(args, message):
    run = run_process(*args)
    assert run.code == 2 and run.stdout == ""
    assert len(run.stderr.splitlines()) == 1 and run.stderr.startswith(message), run.stderr


@pytest.mark.parametrize("args", [
    ("grad", "-x**2", "--at", "x=3"),
    ("grad", "--at", "x=3", "-x**2"),
    ("grad", "--", "-x**2", "--at", "x=3"),
    ("grad", "--at", "x=3", "--", "-x**2"),
    ("grad", "--at=x=3", "-x**2", "--no-check"),
])
def test_an_expression_may_start_with_a_minus_sign(args):
    run = run_process(*args, "--json")
    assert run.code == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["expression"] == "-x**2"
    assert (doc["value"], doc["gradient"]["x"]) == (-9.0, -6.0)  # -(3**2), -2*3 by hand


def test_several_expressions_may_start_with_a_minus_sign():
    run = run_process("jacobian", "-x", "-x*y", "--at", "x=1,y=2", "--json", "--no-check")
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["jacobian"] == [[-1.0, 0.0], [-2.0, -1.0]]  # by hand


# Runs the console script and says, as two modules start to load, whether the cyclic
# collector is on: typer during start-up, the autograd witness inside the command.
GC_PROBE = """
import gc, importlib.abc, sys

class Probe(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name in ("typer", "diffcli.verify.autograd_witness"):
            sys.stderr.write(f"{name} {gc.isenabled()}\\n")
        return None

sys.meta_path.insert(0, Probe())
sys.argv = ["diffcli", *sys.argv[1:]]
from diffcli.cli.launch import main
main()
"""


def test_start_up_imports_run_without_the_collector_and_the_command_with_it():
    proc = subprocess.run([sys.executable, "-c", GC_PROBE, *ONE_POINT], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["gradient"] == {"x": 12.0, "y": 6.0}  # 3x^2, 2y by hand
    assert proc.stderr.splitlines() == ["typer False", "diffcli.verify.autograd_witness True"]
