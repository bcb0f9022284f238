"""Shape inference (diffcli.expr.shapes) against numpy's own shapes, and its errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from diffcli.expr import ExprError, parse
from diffcli.expr.shapes import infer, shape_of
from diffcli.expr.tape import build

sizes = st.integers(1, 3)
shapes = st.lists(sizes, min_size=0, max_size=4).map(tuple)


def _numpy(fn, *shape_list):
    """numpy's result shape, or None where numpy refuses."""
    try:
        return np.shape(fn(*(np.zeros(s) for s in shape_list)))
    except ValueError:
        return None


def _ours(text: str, **given_shapes):
    try:
        return shape_of(parse(text), given_shapes)
    except ExprError:
        return None


@given(shapes, shapes)
def test_matmul_shape_is_numpys_and_refused_where_numpy_refuses(a, b):
    assert _ours("A @ B", A=a, B=b) == _numpy(np.matmul, a, b)


@given(shapes, shapes)
def test_elementwise_shape_is_numpys_broadcast(a, b):
    assert _ours("A * B + 1", A=a, B=b) == _numpy(lambda p, q: p * q + 1, a, b)


@given(shapes, st.integers(-4, 3))
def test_sum_along_an_axis_drops_that_axis_as_numpy(a, axis):
    assert _ours(f"sum(A, {axis})", A=a) == _numpy(lambda p: np.sum(p, axis=axis), a)


@given(shapes)
def test_transpose_reverses_the_axes_as_numpys_T(a):
    for text in ("A.T", "A'", "transpose(A)"):
        assert _ours(text, A=a) == np.zeros(a).T.shape


@pytest.mark.parametrize(("text", "shape"), [
    ("y @ A", (3,)),            # vector @ matrix
    ("A @ x", (2,)),            # matrix @ vector
    ("y @ y", ()),              # inner product
    ("outer(y, x)", (2, 3)),
    ("diag(x)", (3, 3)),
    ("diag(A)", (2,)),
    ("det(A @ A.T)", ()),
    ("inv(A.T @ A)", (3, 3)),
    ("trace(A)", ()),
    ("eye(4)", (4, 4)),
    ("softmax(A)", (2, 3)),
    ("softmax(A, 0)", (2, 3)),
    ("logsumexp(A, 1)", (2,)),
    ("amax(A, -1)", (2,)),
    ("norm(A, 1)", ()),
    ("mean(A)", ()),
])
def test_matrix_functions_have_their_documented_shapes(text, shape):
    assert shape_of(parse(text), {"A": (2, 3), "x": (3,), "y": (2,)}) == shape


@pytest.mark.parametrize(("text", "message", "column"), [
    ("sum(A @ A)", "(2,3) @ (2,3): inner sizes 3 and 2 differ", 7),
    ("A + y", "(2,3) + (2,): sizes 2 and 3 do not broadcast", 3),
    ("A @ 2", "(2,3) @ (): '@' needs arrays of at least one axis (use * for a number)", 3),
    ("det(A)", "det needs a square matrix, got (2,3)", 1),
    ("tr(x)", "trace needs a matrix, got (3,)", 1),
    ("sum(A, 2)", "axis 2 is out of range for shape (2,3)", 1),
    ("sum(A, x)", "the axis of sum must be a whole number, got an array", 1),
    ("mean(A, 0.5)", "the axis must be a whole number written out, such as 0 or 1", 1),
    ("eye(0)", "eye(n) needs n of at least 1, got 0", 1),
    ("outer(A, x)", "outer needs two vectors, got (2,3) and (3,)", 1),
    ("norm(A, x)", "the order p of norm(x, p) must be a positive number written out", 1),
])
def test_a_mismatch_names_both_shapes_with_the_caret_under_the_operator(text, message, column):
    with pytest.raises(ExprError) as caught:
        infer(parse(text), {"A": (2, 3), "x": (3,), "y": (2,)}, text)
    assert caught.value.message == message
    assert caught.value.column == column


def test_the_tape_checks_shapes_before_it_computes_anything():
    # The engine would say "mat1 and mat2 shapes cannot be multiplied"; the check comes first.
    values = {"A": np.ones((2, 3)), "B": np.ones((2, 3))}
    with pytest.raises(ExprError, match=r"\(2,3\) @ \(2,3\): inner sizes 3 and 2 differ"):
        build(parse("exp(A) @ B"), values)


def test_infer_gives_every_node_its_shape():
    node = parse("sum(W @ x - y)")
    found = infer(node, {"W": (2, 3), "x": (3,), "y": (2,)})
    difference = node.args[0]
    assert found[id(node)] == ()
    assert found[id(difference)] == (2,)
    assert found[id(difference.left)] == (2,)
    assert found[id(difference.left.left)] == (2, 3)


@pytest.mark.parametrize(("text", "culprit"), [
    ("sum(W @ x) * t", "'@'"), ("det(W) * t", "'det'"), ("t * trace(W.T)", "'transpose'")])
def test_taylor_mode_refuses_expressions_that_mix_entries(text, culprit):
    from diffcli.expr.taylor import derivatives

    values = {"W": np.eye(2), "x": np.ones(2), "t": 1.0}
    with pytest.raises(ExprError, match=f"Taylor mode applies to elementwise expressions; "
                                        f"{culprit} mixes the entries of an array"):
        derivatives(parse(text), values, "t", 3)
