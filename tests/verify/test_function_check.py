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
    # Wrong at the given point already: no random points are tried (docs/json.md).
    assert data["disagree_at"] == []


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


def test_the_json_has_exactly_the_keys_docs_json_md_lists():
    fn = _cube_plus_square(lambda x, y, g: (3 * x**2 * g, 2 * y * g))
    data = check_function(fn, ["x", "y"], {"x": 2.0, "y": 3.0}, CUBE).to_json()
    assert set(data) == {"ok", "inputs", "error", "skipped", "disagree_at"}
    assert data["skipped"] is None and data["disagree_at"] == []
    assert all(set(i) == {"name", "analytical", "numerical", "symbolic", "ok"}
               for i in data["inputs"])


def test_a_forward_that_fails_at_the_point_is_named_word_for_word():
    with pytest.raises(FunctionError) as raised:
        check_function(lambda u: 1 / 0, ["u"], {"u": 1.0})
    # Python's own words for 1 / 0.
    assert str(raised.value) == "the forward raised ZeroDivisionError: division by zero"
    with pytest.raises(FunctionError) as returned:
        check_function(lambda u: 3.0, ["u"], {"u": 1.0})
    assert str(returned.value) == "the forward returned float, not a Tensor"


def test_a_forward_that_fails_just_beside_the_point_is_named_as_failing_near_it():
    # math.sqrt runs at 0 but raises at 0 - eps, where the differences evaluate it.
    import math

    with pytest.raises(FunctionError) as raised:
        check_function(lambda u: dc.tensor(math.sqrt(float(u.data))), ["u"], {"u": 0.0})
    assert str(raised.value) == "the forward raised ValueError near the point: math domain error"


def test_random_points_where_the_forward_fails_are_drawn_again():
    # sqrt(x) by math.sqrt, which raises below 0, with a backward right only at x = 0.1:
    # draws around 0.1 (spread 1) often fall below 0; each of the 3 asked for is found
    # where the forward runs, and the backward is wrong at each.
    import math

    class Root(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return dc.tensor(math.sqrt(float(x.data)))

        @staticmethod
        def backward(ctx, g):
            return g * (0.5 / math.sqrt(0.1))

    result = check_function(Root.apply, ["x"], {"x": 0.1}, n_random=3)
    assert result.inputs[0].ok and len(result.disagree_at) == 3
    assert all(d["at"]["x"] >= 0 for d in result.disagree_at)


def test_sympy_differentiates_a_reduction_of_a_vector_entry_by_entry():
    # d/da_i sum(a)**2 = 2 sum(a) for every i: 6 and 6 at a = [1, 2], worked by hand
    # (a scalar symbol for a would give 2 a_i instead).
    result = check_function(lambda u: dc.sum(u) ** 2, ["a"], {"a": [1.0, 2.0]},
                            parse("sum(a)**2"))
    assert result.ok and result.inputs[0].to_json()["symbolic"] == [6.0, 6.0]


def test_an_input_the_forward_does_not_use_has_zero_derivatives_at_both_orders():
    # torch's gradgradcheck accepts an unused input; here f = x**3 whatever y is.
    result = check_function(lambda x, y: x**3, ["x", "y"], {"x": 2.0, "y": 3.0},
                            parse("x**3"), order=2)
    x, y = (i.to_json() for i in result.inputs)
    assert result.ok and y["analytical"] == 0.0 and y["analytical_2"] == [0.0, 0.0]
    assert x["analytical_2"] == [12.0, 0.0] and x["symbolic_2"] == [12.0, 0.0]


def test_a_nan_jacobian_fails_as_torchs_gradcheck_does():
    # sqrt at -1: the forward is nan, and both Jacobians are nan; torch's gradcheck calls
    # nan close to nothing and fails (see tests/autograd/test_gradcheck_truth.py).
    result = check_function(dc.sqrt, ["u"], {"u": -1.0})
    assert not result.ok and result.error is None
    assert check_function(dc.sqrt, ["u"], {"u": 4.0}).ok


def test_second_order_on_a_vector_says_why_sympy_gives_no_second_derivatives():
    # f = sum(a**3): gradient 3 a**2 = [3, 12], Hessian diag(6 a) = [[6, 0], [0, 12]].
    result = check_function(lambda u: dc.sum(u**3), ["a"], {"a": [1.0, 2.0]},
                            parse("sum(a**3)"), order=2)
    assert result.ok
    assert result.skipped == "skipped: second derivatives from sympy need scalar inputs"
    a = result.inputs[0].to_json()
    assert a["symbolic"] == [3.0, 12.0] and a["symbolic_2"] is None
    assert a["analytical_2"] == [[6.0, 0.0], [0.0, 12.0]]


def _raise(error):
    raise error


@pytest.mark.parametrize(("backward", "said"), [
    # The README's words for WrongCountCube, and their plural.
    (lambda x, y, g: 3 * x**2 * g,
     "backward returned 1 gradient but forward takes 2 inputs (x, y): return one gradient per "
     "input, in the order of forward's parameters (None for one that needs no gradient)"),
    (lambda x, y, g: (g, g, g),
     "backward returned 3 gradients but forward takes 2 inputs (x, y): return one gradient "
     "per input, in the order of forward's parameters (None for one that needs no gradient)"),
    (lambda x, y, g: _raise(KeyError("ctx.saved")), "backward raised KeyError: 'ctx.saved'"),
])
def test_a_backward_that_fails_is_explained_word_for_word(backward, said):
    result = check_function(_cube_plus_square(backward), ["x", "y"], {"x": 2.0, "y": 3.0})
    assert not result.ok and result.error == said


def test_a_gradient_of_the_wrong_shape_is_explained_word_for_word():
    # A [5, 7] gradient cannot be summed to y's [3] (torch refuses it too).
    fn = _cube_plus_square(lambda x, y, g: (3 * x**2 * g, dc.ones(5, 7)))
    result = check_function(fn, ["x", "y"], {"x": [1.0, 2.0, 3.0], "y": [4.0, 5.0, 6.0]})
    assert result.error == ("backward's gradient for 'y' (input 2) has shape [5, 7], but y has "
                            "shape [3]: each gradient must have the shape of its input")
