"""Proofs that a claimed derivative is the derivative: sympy reduces (claim - derivative)
to exactly 0, in a forked child under its own time budget. A proof that is not found says
nothing against the claim; only numbers can show a claim wrong."""

from __future__ import annotations

from diffcli.expr.tree import Node

from .budget import run_with_budget
from .sympy_witness import derivative_of

PROOF_TIMEOUT = 1.0  # seconds per claim, by default


def _canonical_forms():
    """Rewritings that reach 0 for most true identities in a few milliseconds, cheapest
    first: polynomial and trigonometric expansion, one fraction in lowest terms, and
    everything as exponentials (which turns hyperbolic and, through I, trigonometric
    identities into algebra on exp terms)."""
    import sympy

    return (
        lambda d: sympy.expand(sympy.expand_trig(d)),
        lambda d: sympy.cancel(sympy.together(d)),
        lambda d: sympy.cancel(d.rewrite(sympy.exp)),
    )


def is_zero(difference) -> bool:
    """True when sympy rewrites the expression to exactly 0: cheap canonical forms first,
    then `simplify`. False means no proof was found, not that it is nonzero."""
    import sympy

    if difference == 0:
        return True
    # Each form starts from the difference itself: one that only grows it must not
    # hand the next a bigger problem.
    if any(form(difference) == 0 for form in _canonical_forms()):
        return True
    return sympy.simplify(difference) == 0


def _proof_job(node: Node, claim: Node, wrt: str) -> bool:
    from diffcli.expr.symbolic import to_sympy

    # Exact literals: 0.9*pi must meet 3*0.3*pi as 9*pi/10 on both sides, not as doubles.
    derivative = derivative_of(to_sympy(node, exact=True), wrt)
    return is_zero(to_sympy(claim, exact=True) - derivative)


def prove_claim(node: Node, claim: Node, wrt: str, timeout: float = PROOF_TIMEOUT) -> bool:
    """Whether sympy shows `claim` equal to d(node)/d(wrt) wherever both are defined,
    within `timeout` seconds (0: no attempt). Scalar variables only."""
    if timeout <= 0:
        return False
    proven, _ = run_with_budget(lambda: _proof_job(node, claim, wrt), timeout)
    return bool(proven)
