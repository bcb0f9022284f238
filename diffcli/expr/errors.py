"""ExprError: a problem in user text, with the span it concerns.

`ExprError(message, text, start, end)` is a ValueError; `.column` is 1-based and
`.format()` gives the three-line form the README shows::

    error: unknown function 'sine' (did you mean 'sin'?)
      sine(x) + y**2
      ^^^^
"""

from __future__ import annotations

# Long texts are shown as a window around the error so the caret line stays readable.
_WINDOW = 80


class ExprError(ValueError):
    """An error in an expression or value, pointing at text[start:end]."""

    def __init__(self, message: str, text: str, start: int, end: int | None = None) -> None:
        start = max(0, min(start, len(text)))
        end = start + 1 if end is None else max(start + 1, min(end, max(len(text), start + 1)))
        super().__init__(f"{message} (column {start + 1})")
        self.message = message
        self.text = text
        self.start = start
        self.end = end

    @property
    def column(self) -> int:
        """1-based column of the first character the error concerns."""
        return self.start + 1

    def format(self) -> str:
        """`error: MESSAGE`, the text, and carets under the offending span."""
        lo, hi = 0, len(self.text)
        if hi > _WINDOW:
            lo = max(0, self.start - _WINDOW // 2)
            hi = min(len(self.text), lo + _WINDOW)
        shown = "".join(c if c.isprintable() else " " for c in self.text[lo:hi])
        prefix = "..." if lo > 0 else ""
        suffix = "..." if hi < len(self.text) else ""
        width = max(1, min(self.end, hi + 1) - self.start)
        caret = " " * (len(prefix) + self.start - lo) + "^" * width
        return f"error: {self.message}\n  {prefix}{shown}{suffix}\n  {caret}"
