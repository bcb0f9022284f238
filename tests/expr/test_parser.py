import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diffcli.expr import ExprError, parse, parse_value, to_text, variables
from diffcli.expr.tree import Binary, Call, Num, Unary, Var, equal, postorder, substitute

from .strategies import EVERY_ROW, trees


@pytest.mark.parametrize(
    ("text", "python_value"),
    [
        ("2**3**2", 2**3**2),
        ("2^3^2", 2**3**2),
        ("-2**2", -(2**2)),
        ("2**-1", 2**-1),
        ("2**-2**2", 2 ** -(2**2)),
        ("-3*-2", -3 * -2),
        ("10-4-3", 10 - 4 - 3),
        ("24/4/3", 24 / 4 / 3),
        ("1+2*3**2", 1 + 2 * 3**2),
        ("(1+2)*3", (1 + 2) * 3),
        ("--+-2", 0 - (0 - (0 + (0 - 2)))),
        ("-(2)**2", -((2) ** 2)),
        (".5e1+1.", 0.5e1 + 1.0),
        ("pi/4", math.pi / 4),
        ("tau - 2*pi + e", math.tau - 2 * math.pi + math.e),
        ("log(8, 2)", math.log(8, 2)),
        ("ln(e**2)", 2.0),
        ("max(2, -3) + min(2, -3)", max(2, -3) + min(2, -3)),
        ("arctan(1)*4", math.atan(1) * 4),
        ("pow(2, 10)", 2.0**10),
    ],
)
def test_constant_expressions_follow_python_precedence(text, python_value):
    assert parse_value(text) == pytest.approx(python_value, rel=1e-15)


def test_unary_minus_binds_looser_than_power_in_the_tree():
    node = parse("-x**2")
    assert isinstance(node, Unary) and isinstance(node.operand, Binary)
    assert node.operand.op == "**"


def test_integer_literals_become_floats_and_aliases_canonical_names():
    node = parse("ln(x) + arcsin(2*z)")
    assert node.left == Call("log", (Var("x"),))
    assert type(node.right.args[0].left.value) is float
    assert node.right.name == "asin"


def test_vector_values_may_hold_constant_expressions():
    value = parse_value("[1, pi/2, -2, max(1, 3)]")
    np.testing.assert_array_equal(value, [1.0, math.pi / 2, -2.0, 3.0])
    assert value.dtype == np.float64


def test_variables_in_order_of_first_appearance_without_constants():
    assert variables(parse("b*sin(a) + pi*c + a + e")) == ["b", "a", "c"]


def test_spec_error_format_is_exact():
    with pytest.raises(ExprError) as info:
        parse("sine(x) + y**2")
    err = info.value
    assert err.format() == (
        "error: unknown function 'sine' (did you mean 'sin'?)\n  sine(x) + y**2\n  ^^^^"
    )
    assert (err.start, err.end, err.column) == (0, 4, 1)
    assert isinstance(err, ValueError)


def test_every_span_reparses_to_its_subtree():
    text = "-(a + 2)*sin(b^2) - log(c, 3)/(d)"
    root = parse(text)
    for node in postorder(root):
        start, end = node.span
        assert parse(text[start:end]) == node


def test_deep_trees_are_walked_without_recursion():
    # A 100,000-term left-nested sum, built directly (as text it would pass the limit).
    node = Var("x0")
    for i in range(1, 100_000):
        node = Binary("+", node, Var(f"x{i % 7}"))
    assert variables(node) == [f"x{i}" for i in range(7)]
    text = to_text(node)
    assert text.count("+") == 99_999
    deep = parse("(" * 1000 + "x" + ")" * 1000)
    assert deep == Var("x")
    chain = parse("-" * 10_000 + "x")
    assert sum(1 for _ in postorder(chain)) == 10_001
    prefix = text[: text.rindex(" + ", 0, 100_000)]
    terms = sum(isinstance(n, Var) for n in postorder(parse(prefix)))
    assert terms == prefix.count("+") + 1


def test_importing_expr_does_not_import_sympy():
    code = "import sys, diffcli.expr; print('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


@settings(max_examples=3 * settings.default.max_examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees(EVERY_ROW, variable=False, syntax_only=True))
def test_text_of_a_random_tree_parses_back_to_the_same_tree(tree):
    text = to_text(tree)
    parsed = parse(text)  # constant subtrees such as 9**9**9 too: their inf is the engine's
    assert parsed == tree
    for node in postorder(parsed):
        start, end = node.span
        assert parse(text[start:end]) == node


def test_num_text_round_trips_exact_floats():
    for value in (0.1, 1e-300, 123456789.123456789, 2.0**60, 5e-324):
        assert parse(to_text(Num(value))).value == value


def test_a_stray_ascii_character_gets_no_suggestion_of_itself():
    with pytest.raises(ExprError) as caught:
        parse("x\\y")
    assert caught.value.column == 2
    assert "did you mean" not in caught.value.message


def test_matmul_binds_like_product_left_to_right_and_looser_than_power():
    assert parse("a*B@c") == parse("(a*B)@c")
    assert parse("A@B@C") == parse("(A@B)@C")
    assert parse("A@B**2") == parse("A@(B**2)")
    assert parse("A@B + C") == parse("(A@B) + C")
    assert parse("-A@B") == parse("(-A)@B")


def test_dot_T_prime_and_transpose_call_are_one_node_that_binds_tightest():
    call = Call("transpose", (Var("A"),))
    assert parse("A.T") == parse("A'") == parse("transpose(A)") == call
    assert parse("-A.T") == Unary("-", call)
    assert parse("A.T**2") == Binary("**", call, Num(2))
    assert parse("2**A'") == Binary("**", Num(2), call)
    assert parse("(A@B)'") == Call("transpose", (parse("A@B"),))
    assert parse("A''") == parse("A.T.T") == Call("transpose", (call,))
    assert parse("sin(x).T") == Call("transpose", (Call("sin", (Var("x"),)),))


def test_transpose_spans_cover_the_operand_and_its_postfix():
    text = "x + A.T @ y"
    node = parse(text)
    transposed = node.right.left
    assert text[slice(*transposed.span)] == "A.T"


@given(st.lists(st.integers(1, 3), min_size=1, max_size=4).flatmap(
    lambda shape: st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=math.prod(shape),
                           max_size=math.prod(shape)).map(lambda v: np.reshape(v, shape))))
def test_nested_lists_read_back_as_the_array_of_that_rank(array):
    value = parse_value(repr(array.tolist()))
    assert value.shape == array.shape and value.dtype == np.float64
    np.testing.assert_array_equal(value, array)


def test_a_vector_value_stays_one_dimensional_and_entries_may_be_expressions():
    assert parse_value("[1, 2, 3]").shape == (3,)
    np.testing.assert_array_equal(parse_value("[[1, 2/4], [max(1, 3), -(1)]]"),
                                  [[1.0, 0.5], [3.0, -1.0]])


def test_substitute_replaces_every_use_of_a_variable_and_nothing_else():
    got = substitute(parse("-x*sin(y) + x**2"), {"x": parse("a + 1")})
    assert equal(got, parse("-(a + 1)*sin(y) + (a + 1)**2"))
