"""Judging autograd against its witnesses: the tolerances, and per component a status
that weighs sympy first and finite differences without it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from .common import close
from .differences import STEP


class Status(str, Enum):
    """A component's verdict; a str, so it compares equal to (and writes as) its value."""

    MATCH = "match"
    MISMATCH = "mismatch"
    UNDEFINED = "undefined"  # autograd and every witness are non-finite
    CONVENTION = "convention"  # a kink where the engine picks a subgradient, e.g. relu'(0)
    UNCHECKED = "unchecked"  # no witness


@dataclass(frozen=True)
class Tolerances:
    """How close autograd must come to sympy (rtol, atol) and to finite differences
    (fd_rtol, fd_atol, widened by the differences' own rounding)."""

    rtol: float = 1e-10
    atol: float = 1e-12
    fd_rtol: float = 1e-5
    fd_atol: float = 1e-7


# A component is as bad as its worst element.
_PRIORITY = (Status.MISMATCH, Status.CONVENTION, Status.UNCHECKED, Status.MATCH,
             Status.UNDEFINED)


def _codes(a, witness, rtol, atol, kink, pole) -> np.ndarray:
    """Per element: match, mismatch, convention (a kink) or undefined (no derivative);
    all mismatch when autograd's shape is not the witness's."""
    if np.shape(a) != np.shape(witness):
        return np.full(np.shape(witness), Status.MISMATCH.value)
    a, w, kink, pole = np.broadcast_arrays(np.asarray(a, float), np.asarray(witness, float),
                                           kink, pole)
    differ = ~close(a, w, rtol, atol)
    # Where f itself is not finite (inf + x) there is no derivative to be wrong about.
    undefined = ~np.isfinite(a) & (~np.isfinite(w) | pole) | pole & differ
    bad = ~undefined & differ
    return np.where(bad & kink, Status.CONVENTION.value,
                    np.where(bad, Status.MISMATCH.value,
                             np.where(undefined, Status.UNDEFINED.value, Status.MATCH.value)))


def _worst(codes: np.ndarray) -> Status:
    present = set(codes.ravel().tolist())
    return next(p for p in _PRIORITY if p.value in present)


def judge(a, s, f, kink, pole, order: int, scale,
          tol: Tolerances) -> tuple[Status, dict[str, bool | None]]:
    """The status, judged element by element against sympy (tight) or, where sympy has
    no number, finite differences; and whether each witness that exists agrees with
    autograd. A witness that is nan where autograd has a number is no witness there
    (sympy's n*x**n/x at x = 0). `pole` marks where f itself is not finite: there no
    derivative exists, though sympy may have cancelled the singularity away (x/x)."""
    # Differences that are nowhere finite judge nothing.
    present = f is not None and bool(np.isfinite(f).any())
    judged, verdicts = judge_elements(a, s, f, kink, pole, order, scale, tol, present)
    return _worst(judged), {name: _agrees(None if v is None else _worst(v))
                            for name, v in verdicts.items()}


def judge_elements(a, s, f, kink, pole, order: int, scale, tol: Tolerances,
                   present) -> tuple[np.ndarray, dict[str, np.ndarray | None]]:
    """`judge` element by element: the status codes, and each witness's own codes (None
    for a witness that gave no value). Finite differences judge only where `present`;
    `scale` (|f|, for their rounding) may be one per element, as for a batch of points."""
    a = np.asarray(a, float)
    judged = np.full(np.shape(a), Status.UNCHECKED.value)
    verdicts: dict[str, np.ndarray | None] = {"symbolic": None, "finite_difference": None}
    # Finite differences first, so that sympy overrides them wherever it has a number.
    if f is not None:
        # Rounding in a difference quotient grows like eps * |f| / h**order.
        fd_tol = tol.fd_atol + 100 * np.finfo(float).eps * np.asarray(scale) / STEP[order] ** order
        judged = _witness(a, f, tol.fd_rtol, fd_tol, kink, pole, judged, verdicts,
                          "finite_difference", present)
    if s is not None:
        judged = _witness(a, s, tol.rtol, tol.atol, kink, pole, judged, verdicts, "symbolic")
    return judged, verdicts


def _agrees(verdict: Status | None) -> bool | None:
    """A witness that judged nothing neither agrees nor disagrees."""
    return None if verdict in (None, Status.UNCHECKED) else verdict is not Status.MISMATCH


def agrees_elements(codes: np.ndarray | None, n: int) -> list[bool | None]:
    """`judge`'s `agrees` for one witness at each of n points of one element each."""
    if codes is None:
        return [None] * n
    unchecked, mismatch = codes == Status.UNCHECKED.value, codes == Status.MISMATCH.value
    return [None if u else not m for u, m in zip(unchecked.tolist(), mismatch.tolist())]


def _witness(a, w, rtol, atol, kink, pole, judged, verdicts: dict, name: str,
             present=True) -> np.ndarray:
    """Judge autograd against one witness where it has a number (or where autograd has
    none either) and is `present`; record its codes; return `judged` with those elements
    overridden."""
    codes = _codes(a, w, rtol, atol, kink, pole)
    if np.shape(a) != np.shape(w):  # a derivative of the wrong shape is wrong throughout
        verdicts[name] = codes
        return codes
    has = np.broadcast_to((np.isfinite(w) | ~np.isfinite(a)) & present, codes.shape)
    verdicts[name] = np.where(has, codes, Status.UNCHECKED.value)
    return np.where(has, codes, np.broadcast_to(judged, codes.shape))
