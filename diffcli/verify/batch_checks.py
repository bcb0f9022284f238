"""Checks of a batch of independent scalar points at once: each formula derived once and
evaluated at every point, differences stepped at all points together, and each point
judged as if it were alone (`check_gradient`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from diffcli.expr.tree import Node

from .autograd_witness import kinks
from .budget import run_with_budget
from .checks import Check, Component
from .common import evaluate, magnitude, point_values
from .differences import finite_difference
from .judging import Status, Tolerances, agrees_elements, judge_elements
from .sympy_witness import symbolic_job


@dataclass
class BatchCheck:
    """Checks of a batch of independent scalar points, as arrays over the points: for
    each component its witnesses and per-point statuses. `point(i)` is point i's `Check`,
    judged as if alone; `json_texts()` writes every point's check object at once."""

    n: int
    names: list[str]
    autograd: list[np.ndarray]
    symbolic: list[np.ndarray | None]
    finite_difference: list[np.ndarray | None]
    status: list[np.ndarray]  # Status values, one per point
    agrees: list[dict[str, list[bool | None]]]
    formula: dict[str, str]
    skipped: str | None

    def point(self, i: int) -> Check:
        """Point i's check, with numbers as Python floats."""
        def at(column: np.ndarray | None) -> float | None:
            return None if column is None else float(column[i])

        return Check([Component(name, np.float64(self.autograd[k][i]), at(self.symbolic[k]),
                                at(self.finite_difference[k]), Status(self.status[k][i]),
                                {w: v[i] for w, v in self.agrees[k].items()})
                      for k, name in enumerate(self.names)], self.formula, self.skipped)

    def agree(self) -> list[bool | None]:
        """Check.agree at each point."""
        status = np.array(self.status).reshape(len(self.status), self.n)
        mismatch = (status == Status.MISMATCH.value).any(axis=0)
        unchecked = (status == Status.UNCHECKED.value).all(axis=0)
        return [False if m else None if u else True
                for m, u in zip(mismatch.tolist(), unchecked.tolist())]

    def errors(self) -> tuple[np.ndarray, np.ndarray]:
        """Check.errors at each point: the largest gaps to the judging witness."""
        gaps = np.zeros(self.n)
        rels = gaps.copy()
        for k, status in enumerate(self.status):
            ref = self.symbolic[k] if self.symbolic[k] is not None else self.finite_difference[k]
            if ref is None:
                continue
            a = self.autograd[k]
            judged = ~np.isin(status, [Status.CONVENTION.value, Status.UNDEFINED.value])
            ok = judged & np.isfinite(a) & np.isfinite(ref)
            with np.errstate(invalid="ignore", over="ignore"):
                gap = np.where(ok, np.abs(a - ref), 0.0)
                scale = np.maximum(np.abs(a), np.abs(ref))
                rel = np.where(ok & (scale > 0), gap / np.where(scale > 0, scale, 1), 0.0)
            gaps, rels = np.maximum(gaps, gap), np.maximum(rels, rel)
        return gaps, rels

    def json_texts(self) -> list[str]:
        """Each point's `Check.to_json()` as JSON text (", " and ": " separators)."""
        template, columns = self.json_template({})
        return [template % row for row in zip(*columns)]

    def json_template(self, memo: dict[int, list[str]]) -> tuple[str, list[list[str]]]:
        """The check object as one %-template (a slot per number) and the columns of texts
        that fill it, one per slot, so that a caller formats each point once. `memo` (id of
        an array -> its numbers' texts) shares numbers the caller writes too (autograd's)."""
        def numbers(column: np.ndarray | None, like: np.ndarray | None = None) -> list[str]:
            if column is None:
                return ["null"] * self.n
            if id(column) not in memo:
                base = None if like is None else (like, numbers(like))
                memo[id(column)] = number_texts(column, base)
            return memo[id(column)]

        def text(value: object) -> str:
            return json.dumps(value).replace("%", "%%")

        zeros = np.zeros(self.n)
        gaps = self.errors()
        # sympy's values are mostly autograd's very numbers, and most gaps are 0.
        symbolic = [numbers(w, a) for w, a in zip(self.symbolic, self.autograd)]
        columns: list[list[str]] = [_literals(self.agree())]
        parts = ['{"agree": %s']
        for key, texts in (("symbolic", symbolic), ("finite_difference",
                                                    [numbers(f) for f in self.finite_difference])):
            parts.append(f", {text(key)}: {{" + ", ".join(f"{text(name)}: %s"
                                                      for name in self.names) + "}")
            columns += texts
        parts.append(', "formula": ' + text(self.formula) + ', "closed_form": {}')
        parts.append(', "max_abs_error": %s, "max_rel_error": %s, "components": [')
        columns += [numbers(e, zeros) for e in gaps]
        items = []
        for k, name in enumerate(self.names):
            items.append(f'{{"name": {text(name)}, "autograd": %s, "symbolic": %s, '
                         f'"finite_difference": %s, "status": "%s", "agrees": {{' +
                         ", ".join(f"{text(w)}: %s" for w in self.agrees[k])
                         + '}, "directional": null}')
            columns += [numbers(self.autograd[k]), symbolic[k],
                        numbers(self.finite_difference[k]), self.status[k].tolist()]
            columns += [_literals(v) for v in self.agrees[k].values()]
        parts.append(", ".join(items) + '], "skipped": ' + text(self.skipped) + "}")
        return "".join(parts), columns


def number_texts(column: np.ndarray, like: tuple[np.ndarray, list[str]] | None = None
                 ) -> list[str]:
    """JSON numbers (Python's float repr is JSON's syntax), null where not finite. With
    `like` (another array and its texts), its texts stand wherever the numbers are equal."""
    values = np.asarray(column, dtype=np.float64).ravel()
    if like is None:
        texts = list(map(float.__repr__, values.tolist()))
        redo = np.flatnonzero(~np.isfinite(values))
    else:
        texts = list(like[1])
        redo = np.flatnonzero(~(values == np.asarray(like[0], dtype=np.float64).ravel()))
    for i in redo.tolist():
        value = float(values[i])
        texts[i] = repr(value) if value - value == 0 else "null"
    return texts


def _literals(values: list[bool | None]) -> list[str]:
    return ["null" if v is None else "true" if v else "false" for v in values]


def check_batch(node: Node, columns: Mapping, entries: Sequence[tuple[str, tuple[str, ...]]],
                autograd_values: Sequence, *, timeout: float = 10.0,
                **tolerances: float) -> BatchCheck:
    """Check an elementwise expression's derivatives at a batch of scalar points (each
    column 1-D, one value per point), each point judged as `check_gradient` or
    `check_derivative` would judge it alone. Each entry is (component name, wrt); sympy
    derives each formula once and evaluates it at every point in one vectorised pass, and
    finite differences step all points at once."""
    tol = Tolerances(**tolerances)
    values = point_values(columns)
    a = [np.asarray(v, dtype=np.float64) for v in autograd_values]
    comps = [(0, tuple(wrt)) for _, wrt in entries]
    results, skipped = run_with_budget(partial(
        symbolic_job, [node], comps, [values], None, True, (a, tol.rtol, tol.atol)), timeout)
    value = evaluate(node, values)
    n = len(a[0]) if a else 0
    value = np.broadcast_to(value, (n,))
    kink = np.broadcast_to(kinks(node, values), (n,))
    scale = magnitude(value, pointwise=True)
    batch = BatchCheck(n, [], [], [], [], [], [], {}, skipped)
    for k, (name, wrt) in enumerate(entries):
        s = None if results is None else np.asarray(results[k][1][0], dtype=np.float64)
        if results is not None:
            batch.formula[name] = results[k][0]
        f = finite_difference(node, values, wrt, elementwise=True, pointwise=True)
        present = False if f is None else np.isfinite(f)
        codes, verdicts = judge_elements(a[k], s, f, kink, ~np.isfinite(value), len(wrt),
                                         scale, tol, present)
        batch.names.append(name)
        batch.autograd.append(a[k])
        batch.symbolic.append(s)
        batch.finite_difference.append(f)
        batch.status.append(codes)
        batch.agrees.append({w: agrees_elements(v, n) for w, v in verdicts.items()})
    return batch
