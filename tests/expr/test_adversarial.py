"""Hostile and broken inputs: each gives its own clear error and runs nothing."""

import builtins

import pytest

from diffcli.expr import ExprError, parse, parse_value

SENTINEL = "/tmp/diffcli_adversarial_sentinel"

# (text, fragment of the message, 1-based column)
CORPUS = [
    ("", "empty expression", 1),
    ("   ", "empty expression", 1),
    ("x +", "missing operand after '+'", 3),
    ("* x", "missing operand before '*'", 1),
    ("x * / y", "missing operand before '/'", 5),
    ("x**", "missing operand after '**'", 2),
    ("x^^2", "missing operand before '^'", 3),
    ("(x + 1", "unclosed '('", 1),
    ("sin(x", "unclosed '('", 4),
    ("x + 1)", "unmatched ')'", 6),
    ("(x + 1))", "unmatched ')'", 8),
    ("()", "empty parentheses", 1),
    ("(]", "missing operand after '('", 1),
    ("max(x,)", "missing argument after ','", 6),
    ("max(,x)", "missing operand before ','", 5),
    ("x, y", "',' outside a function call", 2),
    ("(x, y)", "',' outside a function call", 3),
    ("2x", "did you mean 2*x?", 1),
    ("2 x", "did you mean 2*x?", 1),
    ("x y", "did you mean x*y?", 1),
    ("2(x+1)", "did you mean 2*(x+1)?", 1),
    ("(x)(y)", "did you mean (x)*(y)?", 1),
    ("sine(x) + y**2", "unknown function 'sine' (did you mean 'sin'?)", 1),
    ("expp(x)", "unknown function 'expp' (did you mean 'exp'?)", 1),
    ("f(x)", "unknown function 'f'", 1),
    ("sin(x, y)", "sin takes 1 argument (got 2)", 1),
    ("sin()", "sin takes 1 argument (got 0)", 1),
    ("atan2(x)", "atan2 takes 2 arguments (got 1)", 1),
    ("log(x, 2, 3)", "log takes 1 or 2 arguments (got 3)", 1),
    ("clamp(x, 0)", "clamp takes 3 arguments (got 2)", 1),
    ("sin + 1", "function 'sin' needs its arguments", 1),
    ("pi(2)", "'pi' is a constant, not a function", 1),
    ("__import__('os').system('touch " + SENTINEL + "')", "strings are not supported", 12),
    ("__import__(os)", "unknown function '__import__'", 1),
    ("eval(x)", "unknown function 'eval'", 1),
    ("exec(x)", "unknown function 'exec'", 1),
    ("os.system", "attribute access is not supported", 3),
    ("x.real", "attribute access is not supported", 2),
    ("(x).conjugate()", "attribute access is not supported", 4),
    ("().__class__", "attribute access is not supported", 3),
    ("lambda x: x", "'lambda' is a Python keyword", 1),
    ("lambda: 1", "'lambda' is a Python keyword", 1),
    ("x if x else y", "'if' is a Python keyword", 3),
    ("import os", "'import' is a Python keyword", 1),
    ("not x", "'not' is a Python keyword", 1),
    ("x and y", "'and' is a Python keyword", 3),
    ("None", "'None' is a Python keyword", 1),
    ("x[0]", "subscripts are not supported", 2),
    ("sin(x)[0]", "implicit multiplication", 1),
    ("[1, 2]", "vectors are only allowed in values", 1),
    ("'abc'", "strings are not supported", 1),
    ('"abc"', "strings are not supported", 1),
    ("x = 1", "'=' is not allowed in an expression", 3),
    ("x == 1", "comparisons are not supported", 3),
    ("x < 1", "comparisons are not supported", 3),
    ("x // 2", "floor division '//' is not supported", 3),
    ("x % 2", "operator '%' is not supported", 3),
    ("x @", "missing operand after '@'", 3),
    ("x.Tx", "attribute access is not supported (the one attribute is .T", 2),
    ("x.T(1)", "implicit multiplication", 1),
    (".T", "unexpected character '.'", 1),
    ("x'abc'", "strings are not supported", 2),
    ("max(A)", "max takes 2 arguments (the largest entry of an array is amax(A)) (got 1)", 1),
    ("x & y", "operator '&' is not supported", 3),
    ("~x", "operator '~' is not supported", 1),
    ("x; y", "';' is not allowed", 2),
    ("x # comment", "comments are not supported", 3),
    ("x\x00", "unexpected character U+0000", 2),
    ("x \u0445", "U+0445 CYRILLIC SMALL LETTER HA", 3),
    ("\u0455in(x)", "U+0455 CYRILLIC SMALL LETTER DZE", 1),
    ("x \u2212 1", "did you mean '-'?", 3),
    ("2 \u00d7 x", "did you mean '*'?", 3),
    ("\uff58 + 1", "did you mean 'x'?", 1),
    ("x\u200b+1", "U+200B ZERO WIDTH SPACE", 2),
    ("x $ y", "unexpected character '$'", 3),
    ("1e", "malformed number '1e'", 1),
    ("1.2.3", "malformed number '1.2.3'", 1),
    ("x²", "superscript powers are not supported (did you mean 'x**2'?)", 2),
    ("(x+1)³", "did you mean '(x+1)**3'?", 6),
    ("x₁ + 1", "subscripts are not supported (did you mean the name 'x1'?)", 2),
    ("2*π", "unexpected character 'π' (did you mean 'pi'?)", 3),
    ("√y + 1", "unexpected character '√' (did you mean 'sqrt(y)'?)", 1),
    ("q" * 5000 + "(x)", "unknown function '" + "q" * 59 + "…'", 1),
    ("x" * 100_001, "too long (100,001 characters; the limit is 100,000)", 100_001),
    ("+".join(["x"] * 100_000), "too long", 100_001),
    ("(" * 1001 + "x" + ")" * 1001, "nesting is too deep (more than 1,000 levels)", 1001),
    ("sin(" * 1001 + "x" + ")" * 1001, "nesting is too deep", 4004),
]

VALUE_CORPUS = [
    ("pii", "unknown constant 'pii' (did you mean 'pi'?)", 1),
    ("x", "unknown constant 'x'", 1),
    ("2*y", "unknown constant 'y'", 3),
    ("[]", "empty vector", 1),
    ("[1, [2]]", "ragged rows: row 2 has 1 entry, but row 1 is a number", 5),
    ("[[1, 2], [3]]", "ragged rows: row 2 has 1 entry, but row 1 has 2 entries", 10),
    ("[[[1], [2]], [[3]]]", "ragged rows: row 2 has shape 1x1, but row 1 has shape 2x1", 14),
    ("[[1, 2] [3, 4]]", "missing ',' between rows", 9),
    ("[1, 2*[3]]", "a list can only be a whole value or a row of one", 7),
    ("[[1,], [2]]", "missing argument after ','", 4),
    ("2 @ 3", "'@' multiplies arrays; a value's entries are numbers", 3),
    ("det(2)", "det works on arrays, and these arguments are numbers", 1),
    ("[1, 2", "unclosed '['", 1),
    ("[1, 2)", "'[' at column 1 is closed by ')'", 6),
    ("[1, 2]x", "unexpected text after the vector", 7),
    ("[1, 1/0]", "division by zero", 5),
    # A value must be a finite number (in an expression such a constant is a non-finite
    # result instead, reported like exp(x) at x=1000).
    ("1e400", "constant '1e400' is not a finite number", 1),
    ("9" * 400, "is not a finite number", 1),
    ("1/0", "division by zero", 1),
    ("log(0)", "outside the function's domain", 1),
    ("sqrt(-1)", "constant 'sqrt(-1)' is not a finite number", 1),
    ("exp(1000)", "overflows", 1),
    ("1e200 * 1e200", "evaluates to inf", 1),
    ("9**9**9**9", "constant '9**9**9' is not a finite number", 4),
    ("((9**9)**9999)**9999", "constant '(9**9)**9999' is not a finite number", 2),
    ("2²", "superscript powers are not supported (did you mean '2**2'?)", 2),
]


def error_of(fn, text: str) -> ExprError:
    """Run fn(text) with eval/exec/compile disabled; return the ExprError it raised."""
    def refuse(*args, **kwargs):
        raise AssertionError("the parser tried to evaluate text")

    saved = {name: getattr(builtins, name) for name in ("eval", "exec", "compile")}
    for name in saved:
        setattr(builtins, name, refuse)
    try:
        fn(text)
    except ExprError as err:
        return err
    finally:
        for name, original in saved.items():
            setattr(builtins, name, original)
    raise AssertionError(f"no error for {text[:40]!r}")


def test_the_corpus_is_large_enough():
    assert len(CORPUS) + len(VALUE_CORPUS) >= 60


@pytest.mark.parametrize(("text", "fragment", "column"), CORPUS,
                         ids=[repr(t[:30]) for t, _, _ in CORPUS])
def test_bad_expression_gets_its_error(text, fragment, column):
    err = error_of(parse, text)
    assert fragment in err.message
    assert err.column == column
    lines = err.format().split("\n")
    assert lines[0] == f"error: {err.message}"
    assert lines[2].strip() and set(lines[2].strip()) == {"^"}


@pytest.mark.parametrize(("text", "fragment", "column"), VALUE_CORPUS)
def test_bad_value_gets_its_error(text, fragment, column):
    err = error_of(parse_value, text)
    assert fragment in err.message
    assert err.column == column


def test_the_import_payload_touched_nothing():
    import os

    assert not os.path.exists(SENTINEL)


def test_caret_sits_under_the_error_in_short_texts():
    err = pytest.raises(ExprError, parse, "x + sine(y)").value
    _, shown, caret = err.format().split("\n")
    assert shown == "  x + sine(y)"
    assert caret == "      ^^^^"
