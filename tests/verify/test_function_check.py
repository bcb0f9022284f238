"""check_function (the gradcheck command): hand-written backwards against differences and sympy."""

import numpy as np
import pytest
import sympy

import diffcli as dc
from diffcli import autograd
from diffcli.expr import parse
from diffcli.verify import FunctionError, check_function


def _cube_plus_square(backward):
    """f(x, y) = x**3 + y**2 as an autograd.Function with the given backward(x, y, g)."""

    class Cube(autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x**3 + y**2

        @staticmethod
        def backward(ctx, g):
            return backward(*ctx.saved_tensors, g)

    return Cube.apply


CUBE = parse("x**3 + y**2")


def test_a_right_backward_passes_with_first_and_second_derivatives_by_hand():
    fn = _cube_plus_square(lambda x, y, g: (3 * x**2 * g, 2 * y * g))
    result = check_function(fn, ["x", "y"], {"x": 2.0, "y": 3.0}, CUBE, order=2)
    assert result.ok and result.error is None and result.skipped is None
    x, y = (i.to_json() for i in result.inputs)
    # df/dx = 3x^2 = 12, df/dy = 2y = 6; rows of the Hessian [[6x, 0], [0, 2]].
    assert (x["analytical"], y["analytical"]) == (12.0, 6.0)
    assert x["symbolic"] == pytest.approx(12.0) and y["numerical"] == pytest.approx(6.0)
    assert x["symbolic_2"] == pytest.approx([12.0, 0.0]) and y["symbolic_2"] == [0.0, 2.0]
    assert x["numerical_2"] == pytest.approx([12.0, 0.0], abs=1e-6)


def test_a_wrong_gradient_is_blamed_on_its_input():
    fn = _cube_plus_square(lambda x, y, g: (3 * x**2 * g, dc.zeros_like(y)))
    data = check_function(fn, ["x", "y"], {"x": 2.0, "y": 3.0}, CUBE).to_json()
    assert not data["ok"] and data["error"] is None
    x, y = data["inputs"]
    assert x["ok"] and not y["ok"]
    assert y["analytical"] == 0.0 and y["symbolic"] == 6.0
    assert y["numerical"] == pytest.approx(6.0, rel=1e-8)
    assert "analytical_2" not in y


def test_a_backward_right_only_at_first_order_is_caught_at_second():
    # The value of the gradient is right, but detach() hides that it depends on x.
    fn = _cube_plus_square(lambda x, y, g: (3 * x.detach() ** 2 * g, 2 * y * g))
    result = check_function(fn, ["x", "y"], {"x": 2.0, "y": 3.0}, CUBE, order=2)
    x, y = (i.to_json() for i in result.inputs)
    assert x["analytical"] == 12.0 and not x["ok"] and y["ok"]
    assert x["analytical_2"] == [0.0, 0.0]
    assert x["numerical_2"][0] == pytest.approx(12.0) and x["symbolic_2"][0] == 12.0


def test_a_wrong_count_of_gradients_is_explained():
    fn = _cube_plus_square(lambda x, y, g: 3 * x**2 * g)
    result = check_function(fn, ["x", "y"], {"x": 2.0, "y": 3.0})
    assert not result.ok and all(i.witnesses["analytical"] is None for i in result.inputs)
    assert result.error.startswith("backward returned 1 gradient but forward takes 2 inputs")


def test_vector_inputs_of_a_plain_function_against_sympy():
    a, b = np.array([1.0, -2.0, 0.5]), np.array([3.0, 0.25, -1.0])
    result = check_function(lambda u, v: dc.sum(dc.sin(u) * v), ["a", "b"], {"a": a, "b": b},
                            parse("sum(sin(a) * b)"))
    assert result.ok
    s = sympy.Symbol("s")
    by_sympy = [float(sympy.diff(sympy.sin(s) * bi, s).subs(s, ai)) for ai, bi in zip(a, b)]
    assert result.inputs[0].to_json()["symbolic"] == pytest.approx(by_sympy, rel=1e-14)
    assert result.inputs[1].to_json()["analytical"] == pytest.approx(np.sin(a).tolist())


def test_a_vector_forward_has_no_sympy_witness_and_a_failing_forward_is_an_error():
    result = check_function(lambda u: u * 2, ["u"], {"u": [1.0, 2.0]}, parse("u * 2"))
    assert result.ok and result.skipped == "skipped: sympy's witness needs a scalar forward"
    assert result.inputs[0].to_json()["analytical"] == [[2.0, 0.0], [0.0, 2.0]]
    with pytest.raises(FunctionError, match="the forward raised ZeroDivisionError"):
        check_function(lambda u: 1 / 0, ["u"], {"u": 1.0})
