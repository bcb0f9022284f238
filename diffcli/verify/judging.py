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
    undefined = ~np.isfinite(a) & (~np.isfinite(w) | pole)
    bad = ~undefined & ~close(a, w, rtol, atol)
    return np.where(bad & kink, Status.CONVENTION.value,
                    np.where(bad, Status.MISMATCH.value,
                             np.where(undefined, Status.UNDEFINED.value, Status.MATCH.value)))


def _worst(codes: np.ndarray) -> Status:
    present = set(codes.ravel().tolist())
    return next(p for p in _PRIORITY if p.value in present)


def judge(a, s, f, kink, pole, order: int, scale: float,
          tol: Tolerances) -> tuple[Status, dict[str, bool | None]]:
    """The status, judged against sympy (tight) or, without sympy, finite differences;
    and whether each witness that exists agrees with autograd.
    `pole` marks where f itself is not finite: there no derivative exists, though sympy
    may have cancelled the singularity away (x/x)."""
    verdicts: dict[str, Status | None] = {"symbolic": None, "finite_difference": None}
    if s is not None:
        verdicts["symbolic"] = _worst(_codes(a, s, tol.rtol, tol.atol, kink, pole))
    if f is not None and np.isfinite(f).any():
        # Rounding in a difference quotient grows like eps * |f| / h**order.
        fd_tol = tol.fd_atol + 100 * np.finfo(float).eps * scale / STEP[order] ** order
        codes = _codes(a, f, tol.fd_rtol, fd_tol, kink, pole)
        # nan: no estimate there (f undefined nearby, or the differences did not settle).
        estimated = np.broadcast_to(np.isfinite(f), codes.shape)
        verdicts["finite_difference"] = _worst(np.where(estimated, codes,
                                                        Status.UNCHECKED.value))
    judged = verdicts["symbolic"] or verdicts["finite_difference"] or Status.UNCHECKED
    agrees = {k: None if v is None else v is not Status.MISMATCH for k, v in verdicts.items()}
    return judged, agrees
