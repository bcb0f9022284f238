"""Timing and the printed table: medians of repeats, each figure beside its reference."""

from __future__ import annotations

import gc
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from time import perf_counter


def medians(fns: Sequence[Callable[[], object] | None], repeats: int, *, scale: float = 1.0,
            gc_paused: bool = False) -> list[float | None]:
    """Median wall time of each `fn()` over `repeats` runs, times `scale`; None for None.

    The functions take turns within each repeat, so a burst of load on a shared machine
    hits a figure and its reference alike. Each runs once untimed first (warm-up). With
    `gc_paused` the cyclic collector is off inside the timed region only; the garbage
    left behind is collected between runs, outside the clock.
    """
    present = [fn for fn in fns if fn is not None]
    for fn in present:
        fn()
    times: dict[int, list[float]] = {id(fn): [] for fn in present}
    for _ in range(repeats):
        for fn in present:
            gc.collect()
            if gc_paused:
                gc.disable()
            start = perf_counter()
            try:
                fn()
            finally:
                times[id(fn)].append(perf_counter() - start)
                gc.enable()
    gc.collect()
    return [None if fn is None else scale * statistics.median(times[id(fn)]) for fn in fns]


@dataclass
class Row:
    """One line of the table: diffcli's figure, its reference's, PyTorch's if measured.

    `ratio` is always diffcli / reference in the row's unit, so for a rate (points/s)
    above 1 is better and for a time or a size below 1 is better.
    """

    workload: str
    unit: str
    value: float | None
    reference: str
    ref_value: float | None
    target: str = ""
    met: bool | None = None
    torch: float | None = None
    torch_ref: float | None = None  # PyTorch's own reference when it is not `ref_value`
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return _ratio(self.value, self.ref_value)

    @property
    def torch_ratio(self) -> float | None:
        ref = self.torch_ref if self.torch_ref is not None else self.ref_value
        return _ratio(self.torch, ref)


def _ratio(value: float | None, ref: float | None) -> float | None:
    if value is None or ref is None or ref == 0:
        return None
    return value / ref


def fmt(value: float | None) -> str:
    """Three significant figures, thousands separated; '-' when there is nothing."""
    if value is None or not math.isfinite(value):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _fmt_ratio(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


def _verdict(row: Row) -> str:
    if row.met is None:
        return row.note or ""
    verdict = "met" if row.met else "MISSED"
    return f"{verdict} ({row.note})" if row.note else verdict


def render(rows: list[Row], with_torch: bool) -> str:
    """The table as aligned plain text (it goes to logs and issue comments)."""
    header = ["workload", "unit", "diffcli", "reference", "ref value", "ratio"]
    if with_torch:
        header += ["torch", "torch ratio"]
    header += ["target", "verdict"]
    lines = [header]
    for row in rows:
        cells = [row.workload, row.unit, fmt(row.value), row.reference, fmt(row.ref_value),
                 _fmt_ratio(row.ratio)]
        if with_torch:
            cells += [fmt(row.torch), _fmt_ratio(row.torch_ratio)]
        cells += [row.target, _verdict(row)]
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
            for line in lines]
    text.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(text)
