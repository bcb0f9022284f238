"""diffcli jvp: the directional derivative by forward mode against sympy's gradient·direction,
the check's two components, and bad directions refused in one line."""

import math

import numpy as np
import pytest
import sympy


def sympy_directional(text_f, point, direction):
    """sum_v df/dv * d_v from sympy's exact partials, at 30 digits."""
    symbols = {name: sympy.Symbol(name, real=True) for name in point}
    f = text_f(**symbols)
    subs = {symbols[n]: sympy.Rational(str(v)) for n, v in point.items()}
    return float(sum(sympy.diff(f, symbols[n]) * sympy.Rational(str(d))
                     for n, d in direction.items()).subs(subs).evalf(30))


@pytest.mark.parametrize(("text", "f", "direction"), [
    ("x**2*y + sin(y)", lambda x, y: x**2 * y + sympy.sin(y), {"x": 1.0, "y": 0.0}),
    ("x**2*y + sin(y)", lambda x, y: x**2 * y + sympy.sin(y), {"x": 0.25, "y": -2.0}),
    ("exp(x*y)/(1 + y**2)", lambda x, y: sympy.exp(x * y) / (1 + y**2), {"x": 3.0, "y": 1.5}),
])
def test_jvp_is_the_gradient_of_sympy_along_the_direction(cli, text, f, direction):
    point = {"x": 1.0, "y": 2.0}
    args = [f"--direction={','.join(f'{k}={v}' for k, v in direction.items())}"]
    doc = cli("jvp", text, "--at", "x=1", "--at", "y=2", *args, "--json").json()
    assert list(doc) == ["expression", "at", "value", "direction", "jvp", "check"]
    assert doc["direction"] == direction
    assert doc["jvp"] == pytest.approx(sympy_directional(f, point, direction), rel=1e-13)
    check = doc["check"]
    assert check["agree"] is True
    assert [c["name"] for c in check["components"]] == ["forward", "reverse"]
    assert check["symbolic"]["reverse"] == pytest.approx(doc["jvp"], rel=1e-12)


def test_a_variable_left_out_of_the_direction_is_held_fixed(cli):
    # d/dt (x + t)^2 y at t = 0 = 2 x y = 4
    doc = cli("jvp", "x**2*y", "--at", "x=1", "--at", "y=2", "--direction", "x=1",
              "--json").json()
    assert doc["jvp"] == 4.0 and doc["direction"] == {"x": 1.0}


def test_a_vector_direction_moves_each_element(cli):
    # d/dt of (x + t d) * sum(x + t d) = d sum(x) + x sum(d), by hand: [1,-1]*3 + x*0
    doc = cli("jvp", "x*sum(x)", "--at", "x=[1,2]", "--direction", "x=[1,-1]",
              "--json").json()
    assert doc["jvp"] == [3.0, -3.0]
    assert doc["check"]["agree"] is True


def test_a_scalar_direction_moves_every_element_of_a_vector(cli):
    doc = cli("jvp", "sum(x**2)", "--at", "x=[1,2]", "--direction", "x=1", "--json",
              "--no-check").json()
    assert doc["jvp"] == 6.0  # 2*1 + 2*2


def test_human_output_names_the_direction_and_the_method(cli):
    run = cli("jvp", "x*y", "--at", "x=1", "--at", "y=2", "--direction", "x=1,y=0")
    assert run.code == 0
    assert "along x = 1, y = 0" in run.stdout and "by forward mode" in run.stdout
    assert math.isclose(float(run.stdout.split("along x = 1, y = 0")[1].split()[0]), 2.0)


@pytest.mark.parametrize(("args", "message"), [
    ((), "--direction is needed"),
    (("--direction", "z=1"), "--direction 'z': not a variable of the expression"),
    (("--direction", "x=[1,2]"), "--direction x has shape [2], but x has shape []"),
    (("--direction", "x=1,x=2"), "--direction gives 'x' twice"),
])
def test_bad_directions_are_one_line_errors_with_exit_2(cli, args, message):
    run = cli("jvp", "x*y", "--at", "x=1", "--at", "y=2", *args)
    assert run.code == 2 and run.stdout == ""
    assert message in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_forward_and_reverse_modes_agree_with_a_finite_difference_at_random_points(cli, seed):
    x, y, dx, dy = np.random.default_rng(seed).uniform(-1, 1, 4)
    doc = cli("jvp", "atan2(y, x)*x", "--at", f"x={x}", "--at", f"y={y}", "--direction",
              f"x={dx},y={dy}", "--json").json()

    def along(t):
        return math.atan2(y + t * dy, x + t * dx) * (x + t * dx)

    h = 1e-6
    assert doc["jvp"] == pytest.approx((along(h) - along(-h)) / (2 * h), rel=1e-6, abs=1e-8)
    assert doc["check"]["agree"] is True
