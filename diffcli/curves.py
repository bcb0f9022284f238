"""Curves for `diffcli plot`: f and its derivatives over a grid, cut where drawing them
joined would lie, and a y-range that poles do not flatten.

A curve is an array with NaN wherever it must not be drawn: its non-finite samples, and a
break between two samples that straddle a pole or a jump. Both chart kinds draw NaN as a
gap, so no vertical line to infinity appears.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

# The y-range keeps the 2nd..98th percentiles, widened by this share of their span.
_PERCENTILES = (2.0, 98.0)
_WIDEN = 0.5
# A jump is a step this many times its neighbours' (and a visible share of the range).
_JUMP_RATIO = 8.0
_JUMP_SHARE = 0.05
_WINDOW = 3  # steps on each side that make a step's typical size
_NEAR_SHOWN = 5  # places named in the note on clipped values


@dataclass
class Curve:
    """One order's samples (NaN where not drawn) and its y-range."""

    order: int
    y: np.ndarray
    y_range: tuple[float, float]
    # Where samples lie beyond the y-range (near poles, mostly).
    clipped_near: list[float] = field(default_factory=list)


def make_curve(order: int, x: np.ndarray, y: np.ndarray) -> Curve:
    """Mask non-finite samples, break at poles and jumps, and choose the y-range."""
    y = np.where(np.isfinite(y), y, np.nan)
    lo, hi = y_range(y)
    # Breaks go in as NaN, so the y-range above saw the samples themselves.
    cut = np.zeros(y.shape, dtype=bool)
    cut[_breaks(y, hi - lo)] = True
    y[cut] = np.nan
    beyond = np.isfinite(y) & ((y < lo) | (y > hi))
    return Curve(order, y, (lo, hi), _places(x, beyond, cut))


def y_range(y: np.ndarray) -> tuple[float, float]:
    """[min, max] of the finite samples, unless outliers (a pole's) lie beyond the robust
    percentiles widened by half their span: then that widened span."""
    finite = y[np.isfinite(y)]
    if not finite.size:
        return -1.0, 1.0
    p_lo, p_hi = np.percentile(finite, _PERCENTILES)
    pad = _WIDEN * (p_hi - p_lo)
    lo, hi = max(float(finite.min()), p_lo - pad), min(float(finite.max()), p_hi + pad)
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):  # a flat line: give it some room
        return lo - 1.0, hi + 1.0
    return float(lo), float(hi)


def _breaks(y: np.ndarray, span: float) -> np.ndarray:
    """Indices to blank so that no segment joins two sides of a pole or a jump.

    A pole between samples shows as a sign change by more than the whole y-range; a jump
    (sign(x), floor(x), the derivative of abs at 0) as a step far larger than the typical
    step around it (the median of the three on each side, so a jump that lands on a
    sample, making two large steps in a row, is still seen). The sample of the pair with
    the larger |y| is blanked.
    """
    step = np.abs(np.diff(y))
    if step.size == 0:
        return np.zeros(0, dtype=int)
    pole = (np.sign(y[:-1]) * np.sign(y[1:]) < 0) & (step > span)
    padded = np.concatenate([np.full(_WINDOW, np.nan), step, np.full(_WINDOW, np.nan)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * _WINDOW + 1).copy()
    windows[:, _WINDOW] = np.nan  # the step itself is not its own neighbour
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # a window of only NaN
        typical = np.nan_to_num(np.nanmedian(windows, axis=1))
        jump = (step > _JUMP_RATIO * typical) & (step > _JUMP_SHARE * span)
    cut = np.flatnonzero(pole | jump)
    return np.where(np.abs(y[cut]) >= np.abs(y[cut + 1]), cut, cut + 1)


def _places(x: np.ndarray, beyond: np.ndarray, cut: np.ndarray) -> list[float]:
    """The middle x of each stretch of samples beyond the y-range, with the samples blanked
    at breaks among them (so both sides of a pole make one place)."""
    stretch = beyond | cut
    edges = np.flatnonzero(np.diff(np.concatenate([[0], stretch.astype(np.int8), [0]])))
    return [float((x[start] + x[end - 1]) / 2) for start, end in zip(edges[::2], edges[1::2])
            if beyond[start:end].any()]


def clipped_note(label: str, curve: Curve) -> str | None:
    """The stderr note saying what the y-range leaves out, or None."""
    if not curve.clipped_near:
        return None
    lo, hi = curve.y_range
    near = ", ".join(f"{v:.4g}" for v in curve.clipped_near[:_NEAR_SHOWN])
    if len(curve.clipped_near) > _NEAR_SHOWN:
        near += ", ..."
    return (f"{label}: y-range clipped to [{lo:.4g}, {hi:.4g}]; values beyond it near "
            f"x = {near} not shown")
