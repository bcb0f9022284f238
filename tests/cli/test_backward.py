"""`diffcli backward`: accumulation, retain_graph, create_graph, grad_output, as in PyTorch."""

import pytest
import sympy

from .helpers import at_point

x, y = sympy.symbols("x y")
F = x**3 + y**2
POINT = {"x": 2.0, "y": 3.0}
AT = ("--at", "x=2", "--at", "y=3")


def test_one_pass_gives_the_gradient_and_the_output_grad_fn(cli):
    doc = cli("backward", "x**3 + y**2", *AT, "--json").json()
    assert set(doc) == {"expression", "at", "value", "grad", "grad_fn", "passes"}
    assert doc["grad"] == pytest.approx(at_point(F, **POINT))
    assert doc["grad_fn"] == "AddBackward" and doc["passes"] == 1


def test_repeat_with_retain_graph_accumulates_into_grad(cli):
    doc = cli("backward", "x**3 + y**2", *AT, "--repeat", "3", "--retain-graph", "--json").json()
    truth = at_point(F, **POINT)
    assert doc["grad"] == pytest.approx({k: 3 * v for k, v in truth.items()})
    assert doc["passes"] == 3


def test_second_pass_without_retain_graph_is_pytorchs_error_and_exit_2(cli):
    run = cli("backward", "x**3 + y**2", *AT, "--repeat", "2", "--json")
    assert run.code == 2 and run.stdout == ""
    assert "Trying to backward through the graph a second time" in run.stderr
    assert "--retain-graph" in run.stderr and "Traceback" not in run.stderr


def test_a_graph_that_saved_nothing_runs_backward_twice(cli):
    # As in PyTorch: x + y keeps no tensors for backward, so a second pass is allowed.
    doc = cli("backward", "x + y", *AT, "--repeat", "2", "--json").json()
    assert doc["grad"] == {"x": 2.0, "y": 2.0}


def test_create_graph_reports_the_grads_grad_fn_and_their_gradient(cli):
    doc = cli("backward", "x**3 + y**2", *AT, "--create-graph", "--json").json()
    assert doc["grad_grad_fn"]["x"] is not None and doc["grad_grad_fn"]["y"] is not None
    subs = {x: 2, y: 3}
    for a in "xy":
        for b in "xy":
            truth = float(sympy.diff(F, sympy.Symbol(a), sympy.Symbol(b)).subs(subs))
            assert doc["grad_grad"][a][b] == pytest.approx(truth)


def test_create_graph_shows_no_reference_cycle_warning_the_user_asked_for(cli):
    # The engine warns as PyTorch's backward(create_graph=True) does; the command does not.
    run = cli("backward", "x**3 + y**2", *AT, "--create-graph")
    assert run.code == 0 and "x.grad" in run.stdout
    assert run.stderr == ""


def test_grad_output_seeds_a_vector_output(cli):
    doc = cli("backward", "x**2", "--at", "x=[1,2,3]", "--grad-output", "[1,10,100]",
              "--json").json()
    assert doc["grad"]["x"] == [2.0, 40.0, 600.0]


def test_vector_output_without_grad_output_says_what_to_do(cli):
    run = cli("backward", "x**2", "--at", "x=[1,2]")
    assert run.code == 2
    assert "grad can be implicitly created only for scalar outputs" in run.stderr
    assert "--grad-output" in run.stderr
