"""Checking hand-derived partial derivatives ("claims") against autograd and sympy, at
the given point and at reproducible random points of the domain; a claim that agrees
everywhere tried is then offered to sympy for a proof, and a wrong one is matched
against the usual mistakes (diffcli.verify.mistakes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from diffcli.expr.tree import Node, has_reduction, to_text, variables

from .autograd_witness import kinks, nested_derivative
from .budget import run_with_budget
from .common import close, evaluate, plain, point_values, sum_to
from .mistakes import Mistake, diagnose
from .proof import PROOF_TIMEOUT, prove_claim
from .sympy_witness import element_shapes, symbolic_job

CLAIM_RTOL, CLAIM_ATOL = 1e-9, 1e-11


@dataclass
class ClaimComponent:
    """One claimed derivative by `wrt`, with its values at each point tried."""

    wrt: str
    claimed: str
    values: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]  # claimed, autograd, sympy
    formula: str | None
    disagree_at: list[dict]
    # The first point where the claim fails: {"at", "claimed", "autograd", "symbolic"}.
    counterexample: dict | None
    proven: bool
    # False where no proof applies: sympy proves claims about elementwise expressions only.
    proof_tried: bool
    mistake: Mistake | None

    @property
    def ok(self) -> bool:
        return not self.disagree_at

    @property
    def verdict(self) -> str:
        """"wrong" (a point disproves it), "proven" (sympy showed it equal to the
        derivative wherever both are defined) or "agrees" (at every point tried, unproven)."""
        return "wrong" if not self.ok else "proven" if self.proven else "agrees"

    def to_json(self) -> dict:
        """{"wrt", "claimed", "claimed_value", "autograd", "symbolic", "formula", "ok",
        "verdict", "points" (how many were tried), "proof_tried", "disagree_at",
        "counterexample", "mistake" (Mistake.to_json, or None)}, the values at the given
        point; non-finite numbers become None."""
        claimed, auto, sym = self.values[0]
        return {"wrt": self.wrt, "claimed": self.claimed, "claimed_value": plain(claimed),
                "autograd": plain(auto), "symbolic": plain(sym),
                "formula": self.formula, "ok": self.ok, "verdict": self.verdict,
                "points": len(self.values), "proof_tried": self.proof_tried,
                "disagree_at": self.disagree_at, "counterexample": self.counterexample,
                "mistake": None if self.mistake is None else self.mistake.to_json()}


@dataclass
class ClaimCheck:
    """Which claimed partial derivatives are right; `disagree_at` lists the points
    (the given one first, then random ones) where a claim was wrong."""

    components: list[ClaimComponent]
    unchecked: list[str]
    skipped: str | None
    proof_timeout: float

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.components)

    def to_json(self) -> dict:
        """{"ok", "components", "unchecked" (variables without a claim), "skipped",
        "proof_timeout" (seconds each proof was allowed)}."""
        return {"ok": self.ok, "components": [c.to_json() for c in self.components],
                "unchecked": self.unchecked, "skipped": self.skipped,
                "proof_timeout": self.proof_timeout}


def _usable(node: Node, values: Mapping, names: Sequence[str]) -> bool:
    """A point in the domain: finite value and gradient, and no kink."""
    with np.errstate(all="ignore"):
        if not np.all(np.isfinite(evaluate(node, values))) or np.any(kinks(node, values)):
            return False
        return all(np.all(np.isfinite(nested_derivative(node, values, (n,), elementwise=True)))
                   for n in names)


def random_points(node: Node, point: Mapping, names: Sequence[str], count: int,
                  seed: int = 0) -> list[dict]:
    """Up to `count` reproducible points of the domain, near the given one or in [-3, 3]."""
    rng = np.random.default_rng(seed)
    found: list[dict] = []
    for attempt in range(40 * count):
        if len(found) == count:
            break
        candidate = {}
        for name, value in point.items():
            shape = np.shape(value)
            if attempt % 2:
                scale = np.maximum(1.0, np.abs(value))
                sample = np.asarray(value) + rng.normal(size=shape) * scale
            else:
                sample = rng.uniform(-3.0, 3.0, size=shape)
            candidate[name] = float(sample) if not shape else np.asarray(sample)
        if _usable(node, candidate, names):
            found.append(candidate)
    return found


def _claimed_value(claim: Node, values: Mapping, name: str, mixing: bool) -> np.ndarray:
    """The claim in the variable's shape: broadcast to it (or, over an elementwise batch,
    to the batch and summed like the gradient); a claim of another shape as it is."""
    value = evaluate(claim, values)
    target = np.shape(values[name]) if mixing else np.broadcast_shapes(
        *(np.shape(v) for v in values.values()))
    try:
        return sum_to(np.broadcast_to(value, target), np.shape(values[name]))
    except ValueError:  # the shape mistake is named, not raised
        return value


def _claim_and_gradient(node: Node, claim: Node, name: str, mixing: bool,
                        point: Mapping) -> tuple[np.ndarray, np.ndarray]:
    """The claim and autograd's derivative by `name` at a point, in the variable's shape."""
    return (_claimed_value(claim, point, name, mixing),
            nested_derivative(node, point, (name,), elementwise=True))


def _require_values(claims: Mapping[str, Node], values: Mapping) -> None:
    for name, claim in claims.items():
        missing = [v for v in variables(claim) if v not in values]
        if name not in values or missing:
            unvalued = missing or [name]
            raise ValueError(f"the claimed derivative for '{name}' uses "
                             f"{', '.join(repr(m) for m in unvalued)}, "
                             f"which {'has' if len(unvalued) == 1 else 'have'} no value")


def check_claims(node: Node, claims: Mapping[str, Node], point: Mapping, *,
                 n_random: int = 3, seed: int = 0, rtol: float = CLAIM_RTOL,
                 atol: float = CLAIM_ATOL, timeout: float = 10.0,
                 proof_timeout: float = PROOF_TIMEOUT,
                 proofs: dict[str, bool] | None = None) -> ClaimCheck:
    """Check each claimed partial derivative at the point and at `n_random` random ones,
    then try to prove each one that agrees, for up to `proof_timeout` seconds (0: never).
    `proofs` keeps each claim's proof by name, for a batch that tries each once."""
    values = point_values(point)
    _require_values(claims, values)
    names = list(claims)
    mixing = has_reduction(node)
    points = [values, *random_points(node, values, names, n_random, seed)]
    shapes = element_shapes([node], values, elementwise=True)
    results, skipped = run_with_budget(
        lambda: symbolic_job([node], [(0, (n,)) for n in names], points, shapes, True),
        timeout)
    components = []
    for k, name in enumerate(names):
        rows, wrong = [], []
        first: dict | None = None

        claim_and_gradient = partial(_claim_and_gradient, node, claims[name], name, mixing)
        for p_index, p in enumerate(points):
            claimed, auto = claim_and_gradient(p)
            sym = None if results is None else np.asarray(results[k][1][p_index], float)
            rows.append((claimed, auto, sym))
            if not _claim_holds(claimed, auto, sym, rtol, atol):
                wrong.append({n: plain(v) for n, v in p.items()})
                first = first or {"at": wrong[-1], "claimed": plain(claimed),
                                  "autograd": plain(auto), "symbolic": plain(sym)}
        formula = None if results is None else results[k][0]
        # Numbers first: only a claim no point disproves is worth a proof, and a proof not
        # found leaves it "agrees". Elementwise symbols only: reductions are not proven.
        proven = not wrong and shapes is None and _proof(node, claims[name], name,
                                                           proof_timeout, proofs)
        mistake = wrong and diagnose(node, name, points, [r[:2] for r in rows],
                                     claim_and_gradient) or None
        components.append(ClaimComponent(name, to_text(claims[name]), rows, formula, wrong,
                                         first, proven, shapes is None, mistake))
    unchecked = [v for v in variables(node) if v not in claims]
    return ClaimCheck(components, unchecked, skipped, proof_timeout)


def _proof(node: Node, claim: Node, name: str, timeout: float,
           proofs: dict[str, bool] | None) -> bool:
    if proofs is None:
        return prove_claim(node, claim, name, timeout)
    if name not in proofs:
        proofs[name] = prove_claim(node, claim, name, timeout)
    return proofs[name]


def _claim_holds(claimed, auto, sym, rtol: float, atol: float) -> bool:
    return bool(np.all(_holds_where(claimed, auto, sym, rtol, atol)))


def _holds_where(claimed, auto, sym, rtol: float, atol: float) -> np.ndarray:
    """Per element, whether the claim is close to each witness that has a number there, or
    is not finite where no witness has one. A witness without a number where the other
    has one judges nothing there: the tape's 0 * inf at the kink of sqrt(x**2), sympy's
    0/0 in n*x**n/x at 0 (as `judging` weighs them for grad). A claim of another shape
    holds nowhere."""
    witnesses = [np.asarray(w, float) for w in (auto, sym) if w is not None]
    if any(np.shape(claimed) != np.shape(w) for w in witnesses):
        return np.zeros(np.shape(claimed), bool)
    c = np.asarray(claimed, float)
    holds = np.ones(c.shape, bool)
    if not witnesses:
        return holds
    some_number = np.logical_or.reduce([np.isfinite(w) for w in witnesses])
    for w in witnesses:
        judges = np.isfinite(w) | ~some_number
        holds &= close(c, w, rtol, atol) | ~np.isfinite(c) & ~np.isfinite(w) | ~judges
    return holds


# The wrong lines of a batch whose values name a claim's mistake: as many as one point's
# check tries.
_DIAGNOSED_LINES = 4


def check_claims_batch(node: Node, claims: Mapping[str, Node], columns: Mapping[str, np.ndarray],
                       *, rtol: float = CLAIM_RTOL, atol: float = CLAIM_ATOL,
                       timeout: float = 10.0,
                       proof_timeout: float = PROOF_TIMEOUT) -> list[ClaimCheck]:
    """`check_claims` at each point of a batch, judged at that point alone: `columns` hold
    one scalar per point and `node` is elementwise, so autograd and sympy's formula each
    run once over all points. A claim that holds at every point is offered for one proof,
    which speaks for every line; a wrong one's mistake is read from its first wrong lines."""
    values = {name: np.asarray(column, float) for name, column in columns.items()}
    _require_values(claims, values)
    names = list(claims)
    n = len(next(iter(values.values())))
    results, skipped = run_with_budget(
        lambda: symbolic_job([node], [(0, (name,)) for name in names], [values], None, True),
        timeout)
    per_claim = []
    for k, name in enumerate(names):
        claim_and_gradient = partial(_claim_and_gradient, node, claims[name], name, False)
        claimed, auto = (np.broadcast_to(a, (n,)) for a in claim_and_gradient(values))
        sym = None if results is None else np.broadcast_to(
            np.asarray(results[k][1][0], float), (n,))
        holds = _holds_where(claimed, auto, sym, rtol, atol)
        proven = bool(holds.all()) and prove_claim(node, claims[name], name, proof_timeout)
        wrong = np.flatnonzero(~holds)[:_DIAGNOSED_LINES]
        mistake = diagnose(node, name, [{v: c[i] for v, c in values.items()} for i in wrong],
                           [(claimed[i], auto[i]) for i in wrong],
                           claim_and_gradient) if len(wrong) else None
        formula = None if results is None else results[k][0]
        # Python floats, one per line: each line's document is built from these.
        rows = zip(claimed.tolist(), auto.tolist(),
                   [None] * n if sym is None else sym.tolist())
        per_claim.append((name, to_text(claims[name]), list(rows), holds.tolist(), proven,
                          mistake, formula))
    unchecked = [v for v in variables(node) if v not in claims]
    points = zip(*(c.tolist() for c in values.values()))
    checks = []
    for i, at in enumerate(dict(zip(values, p)) for p in points):
        components = []
        for name, text, rows, holds, proven, mistake, formula in per_claim:
            row = rows[i]
            first = None if holds[i] else {"at": at, "claimed": plain(row[0]),
                                           "autograd": plain(row[1]), "symbolic": plain(row[2])}
            components.append(ClaimComponent(name, text, [row], formula,
                                             [] if holds[i] else [at], first, proven, True,
                                             None if holds[i] else mistake))
        checks.append(ClaimCheck(components, unchecked, skipped, proof_timeout))
    return checks
