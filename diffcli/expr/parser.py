"""Text → tree, by our own iterative operator-precedence (shunting-yard) parser.

`parse(text) -> Node` reads docs/grammar.md's language; `parse_value(text) -> float | ndarray`
reads a `--at` value (a constant expression or a vector `[a, b, ...]` of them).
Nothing here evaluates user text: the only arithmetic is a float fold of constant
subtrees, which must be finite. Both raise `ExprError` with the offending span.
"""

from __future__ import annotations

import keyword
import math
import re

import numpy as np

from .errors import ExprError, clip
from .functions import FUNCTIONS, FunctionSpec
from .tree import (
    BINARY_PRECEDENCE,
    CONSTANTS,
    RIGHT_ASSOCIATIVE,
    UNARY_PRECEDENCE,
    Binary,
    Call,
    Node,
    Num,
    Unary,
    Var,
)

MAX_LENGTH = 100_000
MAX_DEPTH = 1_000

_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATOR = re.compile(r"\*\*|[-+*/^(),\[\]]")
_MALFORMED = re.compile(r"[0-9.eE]+")
_WHITESPACE = " \t\r\n"
# ASCII only: str.isdigit() is also true of '²' and '₁', which are not numbers here.
_DIGITS = "0123456789"
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_LOOKALIKES = {"\u2212": "-", "\u2013": "-", "\u00d7": "*", "\u00b7": "*", "\u22c5": "*",
               "\u00f7": "/", "\u2217": "*"}
_UNSUPPORTED = {
    "//": "floor division '//' is not supported (use floor(a/b))",
    "%": "operator '%' is not supported",
    "@": "operator '@' is not supported",
    "&": "operator '&' is not supported",
    "|": "operator '|' is not supported",
    "~": "operator '~' is not supported",
    "==": "comparisons are not supported",
    "!=": "comparisons are not supported",
    "<": "comparisons are not supported",
    ">": "comparisons are not supported",
    "=": "'=' is not allowed in an expression (give values with --at x=...)",
    "'": "strings are not supported",
    '"': "strings are not supported",
    ":": "':' is not allowed (lambdas, slices and annotations are not expressions)",
    ";": "';' is not allowed: give one expression",
    "#": "comments are not supported",
}


# difflib and unicodedata serve error messages only, so they are imported there.
def _suggest(name: str, choices) -> str:
    import difflib

    match = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def _describe(ch: str) -> str:
    import unicodedata

    name = unicodedata.name(ch, "")
    return f"'{ch}' (U+{ord(ch):04X}{' ' + name if name else ''})" if ch.isprintable() else (
        f"U+{ord(ch):04X}{' ' + name if name else ''}")


def tokenize(text: str) -> list[tuple[str, str, int, int]]:
    """Tokens (kind, text, start, end); kinds: num, name, op, end."""
    if len(text) > MAX_LENGTH:
        raise ExprError(
            f"expression is too long ({len(text):,} characters; the limit is {MAX_LENGTH:,})",
            text, MAX_LENGTH, len(text))
    tokens = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _WHITESPACE:
            i += 1
            continue
        if ch in _DIGITS or (ch == "." and text[i + 1 : i + 2] in _DIGITS[1:]):
            m = _NUMBER.match(text, i)
            end = m.end()
            if end < n and (text[end] == "." or (text[end] in "eE" and not
                                                 _NAME.match(text, end + 1))):
                bad = _MALFORMED.match(text, i).end()
                raise ExprError(f"malformed number '{clip(text[i:bad])}'", text, i, bad)
            tokens.append(("num", m.group(), i, end))
            i = end
            continue
        m = _NAME.match(text, i) or _OPERATOR.match(text, i)
        if m and text.startswith("//", i):
            m = None
        if m and m.re is _NAME and (keyword.iskeyword(m.group()) or
                                    keyword.issoftkeyword(m.group())):
            raise ExprError(f"'{clip(m.group())}' is a Python keyword, not part of an expression",
                            text, i, m.end())
        if m:
            tokens.append(("name" if m.re is _NAME else "op", m.group(), i, m.end()))
            i = m.end()
            continue
        raise _bad_character(text, i, tokens)
    tokens.append(("end", "", n, n))
    return tokens


def _bad_character(text: str, i: int, tokens: list) -> ExprError:
    import unicodedata

    ch = text[i]
    if ch == "." and tokens and (tokens[-1][0] == "name" or tokens[-1][1] == ")"):
        return ExprError("attribute access is not supported", text, i, i + 1)
    two = text[i : i + 2]
    for key in (two, ch):
        if key in _UNSUPPORTED:
            return ExprError(_UNSUPPORTED[key], text, i, i + len(key))
    math_notation = _math_notation(text, i, tokens)
    if math_notation is not None:
        return math_notation
    hint = _LOOKALIKES.get(ch) or unicodedata.normalize("NFKC", ch)
    helpful = hint != ch and hint.isascii() and hint.isprintable()
    did_you_mean = f" (did you mean '{hint}'?)" if helpful else ""
    return ExprError(f"unexpected character {_describe(ch)}{did_you_mean}", text, i, i + 1)


def _run(text: str, i: int, alphabet: str) -> int:
    """End of the run of characters from `alphabet` that starts at i."""
    end = i
    while end < len(text) and text[end] in alphabet:
        end += 1
    return end


def _operand_before(text: str, tokens: list) -> str:
    """The name, number or parenthesised group just before the current position, if any."""
    if not tokens:
        return ""
    kind, tok, start, end = tokens[-1]
    if kind in ("name", "num"):
        return tok
    if tok != ")":
        return ""
    depth = 0
    for _kind, tok, start, _ in reversed(tokens):
        depth += {")": 1, "(": -1}.get(tok, 0)
        if depth == 0:
            return text[start:end]
    return ""


def _math_notation(text: str, i: int, tokens: list) -> ExprError | None:
    """Textbook notation pasted in (x², x₁, π, √x): say how to write it here."""
    ch = text[i]
    before = _operand_before(text, tokens)
    if ch in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻":
        end = _run(text, i, "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
        power = text[i:end].translate(_SUPERSCRIPTS)
        return ExprError(f"superscript powers are not supported (did you mean "
                         f"'{clip(before or 'x')}**{power}'?)", text, i, end)
    if ch in "₀₁₂₃₄₅₆₇₈₉":
        end = _run(text, i, "₀₁₂₃₄₅₆₇₈₉")
        name = clip(before or "x") + text[i:end].translate(_SUBSCRIPTS)
        return ExprError(f"subscripts are not supported (did you mean the name '{name}'?)",
                         text, i, end)
    if ch == "π":
        return ExprError("unexpected character 'π' (did you mean 'pi'?)", text, i, i + 1)
    if ch == "√":
        m = _NAME.match(text, i + 1) or _NUMBER.match(text, i + 1)
        radicand = clip(m.group()) if m else "x"
        return ExprError(f"unexpected character '√' (did you mean 'sqrt({radicand})'?)",
                         text, i, i + 1)
    return None


class _NotFinite(Exception):
    """A constant subtree has no finite float value; args[0] says why."""


def _fold(fn, *args: float) -> float:
    try:
        value = float(fn(*args))
    except ZeroDivisionError:
        raise _NotFinite("division by zero") from None
    except OverflowError:
        raise _NotFinite("it overflows the float range") from None
    except ValueError:
        raise _NotFinite("it is outside the function's domain") from None
    if not math.isfinite(value):
        raise _NotFinite(f"it evaluates to {value}")
    return value


_BINARY_FOLD = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": math.pow,
}


def _matching_paren(text: str, start: int) -> int:
    """End offset of the group opened at text[start], or just past the '(' if unclosed."""
    depth = 0
    for j in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[j], 0)
        if depth == 0:
            return j + 1
    return start + 1


class _Frame:
    """An open '(' , call or vector on the operator stack."""

    __slots__ = ("kind", "spec", "start", "name_start", "nargs")

    def __init__(self, kind: str, start: int, spec: FunctionSpec | None = None,
                 name_start: int | None = None) -> None:
        self.kind, self.spec, self.start = kind, spec, start
        self.name_start = start if name_start is None else name_start
        self.nargs = 0


class _Parser:
    def __init__(self, text: str, value_mode: bool) -> None:
        self.text = text
        self.value_mode = value_mode
        self.tokens = tokenize(text)
        self.operands: list[tuple[Node, float | None]] = []
        self.ops: list = []
        self.depth = 0
        self.vector: list[tuple[Node, float | None]] | None = None

    def error(self, message: str, start: int, end: int | None = None) -> ExprError:
        return ExprError(message, self.text, start, end)

    # Building nodes (with the float fold of constant subtrees).

    def push(self, node: Node, const: float | None) -> None:
        self.operands.append((node, const))

    def push_folded(self, node: Node, fn, args: list) -> None:
        """Push node, folding it to a float when all its arguments are constant.

        In an expression, a constant without a finite value (`9**9**9**9`) is left to
        the engine, whose inf or nan is then reported like any non-finite result; a
        value given with --at must be a finite number.
        """
        if None in args:
            return self.push(node, None)
        try:
            self.push(node, _fold(fn, *args))
        except _NotFinite as why:
            if not self.value_mode:
                return self.push(node, None)
            s, e = node.span
            raise self.error(f"constant '{clip(self.text[s:e])}' is not a finite number: {why}",
                             s, e) from None

    def reduce_operator(self) -> None:
        kind, op, start = self.ops.pop()
        if kind == "unary":
            operand, c = self.operands.pop()
            node = Unary(op, operand, (start, operand.span[1]))
            self.push(node, None if c is None else (-c if op == "-" else c))
            return
        (right, rc), (left, lc) = self.operands.pop(), self.operands.pop()
        node = Binary(op, left, right, (left.span[0], right.span[1]))
        self.push_folded(node, _BINARY_FOLD[op], [lc, rc])

    def close_frame(self, tok: tuple) -> None:
        _, closer, start, end = tok
        while self.ops and not isinstance(self.ops[-1], _Frame):
            self.reduce_operator()
        if not self.ops:
            raise self.error(f"unmatched '{closer}'", start, end)
        frame = self.ops.pop()
        self.depth -= 1
        expected = "]" if frame.kind == "vector" else ")"
        if closer != expected:
            raise self.error(f"'{self.text[frame.start]}' at column {frame.start + 1} is "
                             f"closed by '{closer}'", start, end)
        count = frame.nargs + 1
        items = self.operands[len(self.operands) - count :]
        del self.operands[len(self.operands) - count :]
        if frame.kind == "paren":
            node, const = items[0]
            node.span = (frame.start, end)
            self.push(node, const)
        elif frame.kind == "vector":
            self.vector = items
        else:
            self.finish_call(frame, items, end)

    def finish_call(self, frame: _Frame, items: list, end: int) -> None:
        spec = frame.spec
        name = self.text[frame.name_start : frame.start].rstrip()
        if not spec.min_args <= len(items) <= spec.max_args:
            raise self.error(f"{name} takes {spec.arity_text()} (got {len(items)})",
                             frame.name_start, end)
        node = Call(spec.name, tuple(n for n, _ in items), (frame.name_start, end))
        self.push_folded(node, spec.fold, [c for _, c in items])

    def open_frame(self, frame: _Frame) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nesting is too deep (more than {MAX_DEPTH:,} levels)",
                             frame.start, frame.start + 1)
        self.ops.append(frame)

    # The two states of the loop.

    def operand(self, i: int) -> int:
        kind, tok, start, end = self.tokens[i]
        if kind == "end":
            return self.missing_operand(i)
        nxt = self.tokens[i + 1]
        if kind == "num":
            self.push_folded(Num(float(tok), (start, end)), float, [tok])
            return i + 1
        if kind == "name":
            return self.name(i)
        if tok == "(":
            if nxt[1] == ")":
                raise self.error("empty parentheses", start, nxt[3])
            self.open_frame(_Frame("paren", start))
            return i + 1
        if tok in "+-":
            self.ops.append(("unary", tok, start))
            return i + 1
        if tok == "[":
            return self.open_vector(i)
        return self.missing_operand(i)

    def name(self, i: int) -> int:
        _, tok, start, end = self.tokens[i]
        nxt = self.tokens[i + 1]
        if nxt[1] == "(":
            spec = FUNCTIONS.get(tok)
            if tok in CONSTANTS:
                raise self.error(f"'{tok}' is a constant, not a function", start, end)
            if spec is None:
                raise self.error(f"unknown function '{clip(tok)}'{_suggest(tok, FUNCTIONS)}",
                                 start, end)
            if self.tokens[i + 2][1] == ")":
                raise self.error(f"{tok} takes {spec.arity_text()} (got 0)",
                                 start, self.tokens[i + 2][3])
            self.open_frame(_Frame("call", nxt[2], spec, start))
            return i + 2
        if nxt[1] == "[":
            raise self.error("subscripts are not supported", nxt[2], nxt[3])
        if tok in FUNCTIONS:
            raise self.error(f"function '{tok}' needs its arguments: {tok}(...)", start, end)
        if tok in CONSTANTS:
            self.push(Num(CONSTANTS[tok], (start, end), tok), CONSTANTS[tok])
        elif self.value_mode:
            raise self.error(f"unknown constant '{clip(tok)}'{_suggest(tok, CONSTANTS)}", start, end)
        else:
            self.push(Var(tok, (start, end)), None)
        return i + 1

    def open_vector(self, i: int) -> int:
        start = self.tokens[i][2]
        if not self.value_mode:
            raise self.error("vectors are only allowed in values (--at x=[1, 2])", start)
        if self.ops or self.operands or self.vector is not None:
            raise self.error("a vector can only be the whole value (no nesting)", start)
        if self.tokens[i + 1][1] == "]":
            raise self.error("empty vector", start, self.tokens[i + 1][3])
        self.open_frame(_Frame("vector", start))
        return i + 1

    def missing_operand(self, i: int) -> int:
        kind, tok, start, end = self.tokens[i]
        prev = self.tokens[i - 1] if i else None
        if kind == "end":
            if prev is None:
                raise self.error("empty expression", 0)
            raise self.error(f"missing operand after '{prev[1]}'", prev[2], prev[3])
        if prev is not None and prev[1] == ",":
            raise self.error("missing argument after ','", prev[2], prev[3])
        if tok in (")", "]") and prev is not None:
            raise self.error(f"missing operand after '{prev[1]}'", prev[2], prev[3])
        raise self.error(f"missing operand before '{tok}'", start, end)

    def operator(self, i: int) -> int:
        kind, tok, start, end = self.tokens[i]
        if kind in ("num", "name") or tok in ("(", "["):
            return self.adjacent(i)
        if tok in (")", "]"):
            self.close_frame(self.tokens[i])
            return i + 1
        if tok == ",":
            while self.ops and not isinstance(self.ops[-1], _Frame):
                self.reduce_operator()
            if not self.ops or self.ops[-1].kind == "paren":
                raise self.error("',' outside a function call", start, end)
            self.ops[-1].nargs += 1
            return i + 1
        op = "**" if tok == "^" else tok
        prec = BINARY_PRECEDENCE[op]
        while self.ops and not isinstance(self.ops[-1], _Frame):
            top_kind, top_op, _ = self.ops[-1]
            top = UNARY_PRECEDENCE if top_kind == "unary" else BINARY_PRECEDENCE[top_op]
            if top > prec or (top == prec and op not in RIGHT_ASSOCIATIVE):
                self.reduce_operator()
            else:
                break
        self.ops.append(("binary", op, start))
        return i + 1

    def adjacent(self, i: int) -> int:
        _, tok, start, end = self.tokens[i]
        if self.vector is not None:
            raise self.error("unexpected text after the vector", start, end)
        left_start, left_end = self.operands[-1][0].span
        right_end = end
        if tok == "(":
            right_end = _matching_paren(self.text, start)
        raise self.error(f"implicit multiplication is not supported (did you mean "
                         f"{clip(self.text[left_start:left_end])}*"
                         f"{clip(self.text[start:right_end])}?)",
                         left_start, end)

    def run(self):
        i, expect_operand = 0, True
        while True:
            kind, tok, start, end = self.tokens[i]
            if expect_operand:
                if self.vector is not None and kind != "end":
                    raise self.error("unexpected text after the vector", start, end)
                if self.vector is not None:
                    break
                before = len(self.operands)
                i = self.operand(i)
                expect_operand = len(self.operands) == before and self.vector is None
            elif kind == "end":
                break
            else:
                i = self.operator(i)
                expect_operand = tok not in (")", "]")
        while self.ops:
            top = self.ops[-1]
            if isinstance(top, _Frame):
                raise self.error(f"unclosed '{self.text[top.start]}'", top.start)
            self.reduce_operator()
        if self.vector is not None:
            return self.vector
        return self.operands[0]


def parse(text: str) -> Node:
    """Parse an expression into a tree (`Num`, `Var`, `Unary`, `Binary`, `Call`)."""
    return _Parser(text, value_mode=False).run()[0]


def parse_value(text: str) -> float | np.ndarray:
    """Parse a `--at` value: a constant expression (`pi/4`) or a vector `[1, 2, 3]`."""
    result = _Parser(text, value_mode=True).run()
    if isinstance(result, list):
        return np.array([c for _, c in result], dtype=np.float64)
    return result[1]

