"""Text → tree, by our own iterative operator-precedence (shunting-yard) parser.

`parse(text) -> Node` reads docs/grammar.md's language; `parse_value(text) -> float | ndarray`
reads a `--at` value (a constant expression, or nested lists `[[a, b], [c, d]]` of them:
an array of that rank).
Nothing here evaluates user text: the only arithmetic is a float fold of constant
subtrees, which must be finite. Both raise `ExprError` with the offending span.
"""

from __future__ import annotations

import keyword
import math
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


from .errors import ExprError, clip
from .functions import FUNCTIONS, ArrayValued, FunctionSpec
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
_OPERATOR = re.compile(r"\*\*|[-+*/^(),\[\]@']")
# `.T`, the one attribute: the transpose (as numpy's, it reverses the axes).
_TRANSPOSE = re.compile(r"\.T(?![A-Za-z0-9_])")
POSTFIX = ("'", ".T")
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
    "&": "operator '&' is not supported",
    "|": "operator '|' is not supported",
    "~": "operator '~' is not supported",
    "==": "comparisons are not supported",
    "!=": "comparisons are not supported",
    "<": "comparisons are not supported",
    ">": "comparisons are not supported",
    "=": "'=' is not allowed in an expression (give values with --at x=...)",
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
        if ch == "." and _after_operand(tokens) and _TRANSPOSE.match(text, i):
            tokens.append(("op", ".T", i, i + 2))
            i += 2
            continue
        if ch == "'" and (not _after_operand(tokens) or _NAME.match(text, i + 1)):
            raise ExprError("strings are not supported", text, i, i + 1)
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


def _after_operand(tokens: list) -> bool:
    """Whether the last token ends an operand (so `.` or `'` after it is postfix)."""
    return bool(tokens) and (tokens[-1][0] in ("name", "num") or
                             tokens[-1][1] in (")", "]", *POSTFIX))


def _bad_character(text: str, i: int, tokens: list) -> ExprError:
    import unicodedata

    ch = text[i]
    if ch == "." and _after_operand(tokens):
        return ExprError("attribute access is not supported (the one attribute is .T, the "
                         "transpose)", text, i, i + 1)
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
    except ArrayValued as why:
        raise _NotFinite(str(why)) from None
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
    """An open '(' or call on the operator stack."""

    __slots__ = ("kind", "spec", "start", "name_start", "nargs")

    def __init__(self, kind: str, start: int, spec: FunctionSpec | None = None,
                 name_start: int | None = None) -> None:
        self.kind, self.spec, self.start = kind, spec, start
        self.name_start = start if name_start is None else name_start
        self.nargs = 0


class _Parser:
    def __init__(self, text: str, value_mode: bool, tokens: list | None = None) -> None:
        self.text = text
        self.value_mode = value_mode
        self.tokens = tokenize(text) if tokens is None else tokens
        self.operands: list[tuple[Node, float | None]] = []
        self.ops: list = []
        self.depth = 0

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
        if op == "@":
            # A value's entries are numbers, and a product of arrays needs arrays.
            if self.value_mode:
                raise self.error("'@' multiplies arrays; a value's entries are numbers",
                                 start, start + 1)
            return self.push(node, None)
        self.push_folded(node, _BINARY_FOLD[op], [lc, rc])

    def postfix(self, end: int) -> None:
        """`A'` or `A.T`: the transpose of the operand just read (it binds tightest)."""
        operand, c = self.operands.pop()
        node = Call("transpose", (operand,), (operand.span[0], end))
        self.push_folded(node, FUNCTIONS["transpose"].fold, [c])

    def close_frame(self, tok: tuple) -> None:
        _, closer, start, end = tok
        while self.ops and not isinstance(self.ops[-1], _Frame):
            self.reduce_operator()
        if not self.ops:
            raise self.error(f"unmatched '{closer}'", start, end)
        frame = self.ops.pop()
        self.depth -= 1
        if closer != ")":
            raise self.error(f"'{self.text[frame.start]}' at column {frame.start + 1} is "
                             f"closed by '{closer}'", start, end)
        count = frame.nargs + 1
        items = self.operands[len(self.operands) - count :]
        del self.operands[len(self.operands) - count :]
        if frame.kind == "paren":
            node, const = items[0]
            node.span = (frame.start, end)
            self.push(node, const)
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
            raise self.error("a list can only be a whole value or a row of one"
                             if self.value_mode else
                             "vectors are only allowed in values (--at x=[1, 2])", start)
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
        if tok in POSTFIX:
            self.postfix(end)
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
        left_start, left_end = self.operands[-1][0].span
        right_end = end
        if tok == "(":
            right_end = _matching_paren(self.text, start)
        raise self.error(f"implicit multiplication is not supported (did you mean "
                         f"{clip(self.text[left_start:left_end])}*"
                         f"{clip(self.text[start:right_end])}?)",
                         left_start, end)

    def run(self) -> tuple[Node, float | None]:
        i, expect_operand = 0, True
        while True:
            kind, tok, start, end = self.tokens[i]
            if expect_operand:
                before = len(self.operands)
                i = self.operand(i)
                expect_operand = len(self.operands) == before
            elif kind == "end":
                break
            else:
                i = self.operator(i)
                expect_operand = tok not in (")", "]", *POSTFIX)
        while self.ops:
            top = self.ops[-1]
            if isinstance(top, _Frame):
                raise self.error(f"unclosed '{self.text[top.start]}'", top.start)
            self.reduce_operator()
        return self.operands[0]


def parse(text: str) -> Node:
    """Parse an expression into a tree (`Num`, `Var`, `Unary`, `Binary`, `Call`)."""
    return _Parser(text, value_mode=False).run()[0]


def parse_value(text: str) -> float | np.ndarray:
    """Parse a `--at` value: a constant expression (`pi/4`), or nested lists of them
    (`[1, 2]` a vector, `[[1, 2], [3, 4]]` a 2x2 matrix), each list one axis."""
    tokens = tokenize(text)
    if tokens[0][1] != "[":
        return _Parser(text, value_mode=True, tokens=tokens).run()[1]
    return _Array(text, tokens).run()


class _Array:
    """Nested brackets whose entries are constant expressions, read as one array."""

    def __init__(self, text: str, tokens: list) -> None:
        self.text, self.tokens = text, tokens

    def error(self, message: str, start: int, end: int | None = None) -> ExprError:
        return ExprError(message, self.text, start, end)

    def run(self) -> np.ndarray:
        # Each open list: its '[' offset and its rows as (array or number, span).
        open_lists: list[tuple[int, list]] = []
        i, done = 0, None
        while True:
            kind, tok, start, end = self.tokens[i]
            if done is not None:
                if kind != "end":
                    raise self.error("unexpected text after the vector", start, end)
                return done
            if tok == "[":
                if len(open_lists) >= MAX_DEPTH:
                    raise self.error(f"nesting is too deep (more than {MAX_DEPTH:,} levels)",
                                     start)
                if self.tokens[i + 1][1] == "]":
                    raise self.error("empty vector", start, self.tokens[i + 1][3])
                open_lists.append((start, []))
                i += 1
            elif tok == "]" or kind == "end":
                if kind == "end" or not open_lists:
                    where = open_lists[-1][0] if open_lists else start
                    raise self.error("unclosed '['" if open_lists else "unmatched ']'", where)
                list_start, rows = open_lists.pop()
                value = (self.stack(rows), (list_start, end))
                if open_lists:
                    open_lists[-1][1].append(value)
                else:
                    done = value[0]
                i = self.after_row(i + 1, open_lists)
            else:
                i = self.entry(i, open_lists[-1][1])

    def entry(self, i: int, rows: list) -> int:
        """Read one constant expression up to the ',' or ']' that ends it."""
        depth, j = 0, i
        while True:
            kind, tok, start, end = self.tokens[j]
            if kind == "end" or (depth == 0 and tok in (",", "]")):
                break
            if depth == 0 and tok == ")":
                list_start = self.text.rfind("[", 0, self.tokens[i][2])
                raise self.error(f"'[' at column {list_start + 1} is closed by ')'", start, end)
            depth += {"(": 1, ")": -1}.get(tok, 0)
            j += 1
        stop = self.tokens[j][2]
        part = [*self.tokens[i:j], ("end", "", stop, stop)]
        _, value = _Parser(self.text, value_mode=True, tokens=part).run()
        rows.append((value, (self.tokens[i][2], self.tokens[j - 1][3])))
        return self.after_row(j, None)

    def after_row(self, j: int, open_lists: list | None) -> int:
        """Past the ',' after a row (inside a list, when `open_lists` is not empty)."""
        kind, tok, start, end = self.tokens[j]
        if open_lists == []:
            return j
        if tok == ",":
            if self.tokens[j + 1][1] in ("]", ""):
                raise self.error("missing argument after ','", start, end)
            return j + 1
        if tok != "]" and kind != "end":
            raise self.error("missing ',' between rows", start, end)
        return j

    def stack(self, rows: list) -> np.ndarray:
        """The rows as one array; rows of different lengths or depths are an error naming
        the row."""
        import numpy as np  # here: parsing an expression needs none of it

        first, _ = rows[0]
        for k, (row, span) in enumerate(rows[1:], start=2):
            if np.shape(row) != np.shape(first):
                raise self.error(f"ragged rows: row {k} {_extent(row)}, but row 1 "
                                 f"{_extent(first)}", *span)
        return np.array([row for row, _ in rows], dtype=np.float64)


def _extent(row) -> str:
    import numpy as np

    shape = np.shape(row)
    if not shape:
        return "is a number"
    if len(shape) == 1:
        return f"has {shape[0]} entr{'y' if shape[0] == 1 else 'ies'}"
    return f"has shape {'x'.join(map(str, shape))}"
