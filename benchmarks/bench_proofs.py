"""How often `check` proves a right claim, how long a proof takes, and that no wrong claim
is ever proven, over a reproducible corpus of hand-derivative-like claims.

Run: `python -m benchmarks.bench_proofs [--correct N] [--wrong N] [--seed S]`.

Right claims are sympy's derivatives of random expressions, rewritten in equivalent forms
(expand, factor, trigsimp, rewrite(exp), ...). Wrong claims come from a differentiator
that makes one realistic mistake (a dropped chain-rule factor, a flipped sign, a factor 2,
d/dx u**n as u**(n-1), the sign of sin' or cos', a forgotten product-rule term). Every
claim is printed as text and read back with diffcli's parser, as a user's would be; texts
that do not parse are skipped and counted. Nothing is asserted: the numbers are printed.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy

from diffcli.expr import ExprError, parse, variables
from diffcli.expr.symbolic import symbol, to_sympy
from diffcli.verify import check_claims, prove_claim

X, Y = symbol("x"), symbol("y")
VARIABLES = (X, Y)

_UNARY: list[Callable] = [
    sympy.sin, sympy.cos, sympy.exp, sympy.tanh, sympy.atan, sympy.sinh, sympy.cosh,
    lambda u: sympy.log(u**2 + 1), lambda u: sympy.sqrt(u**2 + 1), lambda u: u**2,
    lambda u: u**3, lambda u: 1 / (u**2 + 1), lambda u: (u**2 + 1) ** Y,
]
_BINARY: list[Callable] = [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a * b,
    lambda a, b: a / (b**2 + 1), lambda a, b: a / b,
]
REWRITES: dict[str, Callable] = {
    "expand": sympy.expand,
    "factor": sympy.factor,
    "together": sympy.together,
    "trigsimp": sympy.trigsimp,
    "rewrite(exp)": lambda d: d.rewrite(sympy.exp),
    "expand_trig": sympy.expand_trig,
    "powsimp": lambda d: sympy.powsimp(sympy.expand_power_exp(d)),
    "rewrite(tan)": lambda d: d.rewrite(sympy.tan),
    "trig identities": lambda d: sympy.expand_trig(sympy.expand(d)).subs(
        sympy.cos(X) ** 2, 1 - sympy.sin(X) ** 2),
    "fu": sympy.fu,
    "apart": lambda d: sympy.apart(d, X) if d.is_rational_function(X) else d,
    # A removable singularity at x = 1, as in (x**2 - 1)/(x - 1) for x + 1.
    "removable": lambda d: sympy.expand(d * (X - 1)) / (X - 1),
    "rewrite(cos)": lambda d: d.rewrite(sympy.cos),
}
MISTAKES = ("chain", "sign", "factor2", "power", "sincos", "product")


def random_expression(rng: np.random.Generator, depth: int) -> sympy.Expr:
    """A smooth-where-defined expression in x and y, at most `depth` operations deep."""
    if depth == 0 or rng.random() < 0.2:
        choice = rng.integers(5)
        return [X, Y, X, sympy.Integer(int(rng.integers(2, 5))), sympy.Rational(1, 2)][choice]
    if rng.random() < 0.5:
        return _UNARY[rng.integers(len(_UNARY))](random_expression(rng, depth - 1))
    return _BINARY[rng.integers(len(_BINARY))](random_expression(rng, depth - 1),
                                               random_expression(rng, depth - 1))


def to_text(expr: sympy.Expr) -> str:
    """sympy's printing, with the two names our language spells differently."""
    text = str(expr).replace("Abs(", "abs(")
    return re.sub(r"\bE\b", "e", text)


def mistaken_derivative(expr: sympy.Expr, wrt: sympy.Symbol, kind: str,
                        site: int) -> tuple[sympy.Expr, int]:
    """d(expr)/d(wrt) by the textbook rules, with mistake `kind` made at the `site`-th node
    where it applies (preorder), and how many nodes admit it (site -1: count only)."""
    seen = [0]

    def here(applies: bool) -> bool:
        if not applies:
            return False
        seen[0] += 1
        return seen[0] - 1 == site

    def d(e):
        if not e.has(wrt):
            return sympy.S.Zero
        if e == wrt:
            return sympy.S.One
        if kind in ("sign", "factor2") and here(True):
            return (-1 if kind == "sign" else 2) * sympy.diff(e, wrt)
        if e.is_Add:
            return sympy.Add(*(d(a) for a in e.args))
        if e.is_Mul:
            moving = [i for i, a in enumerate(e.args) if a.has(wrt)]
            terms = [d(a) * sympy.Mul(*(b for j, b in enumerate(e.args) if j != i))
                     for i, a in enumerate(e.args)]
            if kind == "product" and here(len(moving) > 1):
                terms[moving[-1]] = sympy.S.Zero
            return sympy.Add(*terms)
        if e.is_Pow:
            base, power = e.args
            if power.has(wrt):
                return e * (d(power) * sympy.log(base) + power * d(base) / base)
            if kind == "power" and here(True):
                return base ** (power - 1) * d(base)
            return power * base ** (power - 1) * d(base)
        if isinstance(e, sympy.Function) and len(e.args) == 1:
            (u,) = e.args
            t = sympy.Dummy("t")
            outer = sympy.diff(e.func(t), t).subs(t, u)
            if kind == "sincos" and here(e.func in (sympy.sin, sympy.cos)):
                outer = -outer
            if kind == "chain" and here(u != wrt):
                return outer
            return outer * d(u)
        return sympy.diff(e, wrt)

    result = d(expr)
    return result, seen[0]


@dataclass
class Claim:
    kind: str  # "right: <rewrite>" or "wrong: <mistake>"
    expression: str
    wrt: str
    text: str
    point: dict


def _domain_point(expr, derivative, rng: np.random.Generator) -> dict | None:
    """A point where the expression and its derivative are finite and real."""
    fn = sympy.lambdify(VARIABLES, [expr, derivative], "numpy")
    for _ in range(30):
        point = {"x": round(float(rng.uniform(-2, 2)), 3), "y": round(float(rng.uniform(-2, 2)), 3)}
        with np.errstate(all="ignore"):
            try:
                values = np.asarray(fn(point["x"], point["y"]), dtype=complex)
            except (ZeroDivisionError, OverflowError, ValueError, TypeError):
                continue
        if np.all(np.isfinite(values)) and np.all(np.abs(values.imag) < 1e-12) and \
                np.all(np.abs(values.real) < 1e8):
            return point
    return None


def _real(value) -> float:
    """A real number, or nan for a value with an imaginary part (not a real result)."""
    z = complex(value)
    return z.real if abs(z.imag) <= 1e-12 * max(1.0, abs(z.real)) else math.nan


def _differs(claim, truth, rng: np.random.Generator) -> bool:
    """Whether a claim differs from the derivative at some real point, in value or in
    being defined (real numpy arithmetic: the log of a negative number is nan)."""
    fn = sympy.lambdify(VARIABLES, [claim, truth], "numpy")
    with np.errstate(all="ignore"):
        for _ in range(20):
            try:
                got, want = (_real(v) for v in fn(*rng.uniform(-2, 2, 2)))
            except (ZeroDivisionError, OverflowError, ValueError, TypeError):
                continue
            if math.isfinite(want) and not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9):
                return True
    return False


def _distinct_rewrite(truth, name: str):
    """The rewrite `name` of sympy's derivative, if its text reads back as another
    expression (a claim identical to the derivative proves nothing), else None."""
    form = REWRITES[name](truth)
    try:
        back = to_sympy(parse(to_text(form)), exact=True)
    except ExprError:
        return form  # counted as not parsing below
    return form if back != truth and len(str(form)) <= 600 else None


def corpus(n_right: int, n_wrong: int, seed: int) -> tuple[list[Claim], Counter]:
    """Claims in text, and how many generated ones were set aside, by kind and reason."""
    rng = np.random.default_rng(seed)
    claims: list[Claim] = []
    skipped: Counter = Counter()  # (kind, reason)
    right = wrong = 0
    while right < n_right or wrong < n_wrong:
        expr = random_expression(rng, int(rng.integers(2, 4)))
        wrt = X if expr.has(X) or not expr.has(Y) else Y
        truth = sympy.diff(expr, wrt)
        if truth == 0 or len(str(truth)) > 300 or expr.has(sympy.zoo, sympy.nan):
            continue
        point = _domain_point(expr, truth, rng)
        if point is None:
            continue
        if right < n_right:
            # Rewrites in turn, so each kind of rewriting is as common as the others.
            name = list(REWRITES)[right % len(REWRITES)]
            form = _distinct_rewrite(truth, name)
            if form is None:
                continue
            kind = f"right: {name}"
            if _differs(form, truth, rng):
                # Equal only over the complex numbers: y**2 as exp(2*log(y)) is nan for
                # y < 0, where check rightly calls the claim wrong.
                skipped[kind, "not equal on the reals"] += 1
                continue
        else:
            mistake = MISTAKES[wrong % len(MISTAKES)]
            _, sites = mistaken_derivative(expr, wrt, mistake, -1)
            if not sites:
                continue
            form, _ = mistaken_derivative(expr, wrt, mistake, int(rng.integers(sites)))
            if not _differs(form, truth, rng):
                continue
            kind = f"wrong: {mistake}"
        text = to_text(form)
        try:
            ok = set(variables(parse(text))) <= {"x", "y"} and set(
                variables(parse(to_text(expr)))) <= {"x", "y"}
        except ExprError:
            ok = False
        if not ok:  # sympy printed something our language has no word for (I, sec, ...)
            skipped[kind, "did not parse"] += 1
            continue
        claims.append(Claim(kind, to_text(expr), str(wrt), text, point))
        right += kind.startswith("right")
        wrong += kind.startswith("wrong")
    return claims, skipped


@dataclass
class Outcome:
    claim: Claim
    verdict: str  # as check gives it
    seconds: float | None  # the proof attempt, when one was made
    proven_directly: bool | None = None  # wrong claims: the prover alone, numbers skipped


def measure(claim: Claim, timeout: float, direct: bool) -> Outcome:
    """check's verdict for one claim, timing its proof; with `direct`, also the prover's
    answer without the numbers in front of it."""
    node, claimed = parse(claim.expression), parse(claim.text)
    numbers = check_claims(node, {claim.wrt: claimed}, claim.point, proof_timeout=0)
    seconds = None
    verdict = "wrong"
    if numbers.ok:
        start = time.perf_counter()
        verdict = "proven" if prove_claim(node, claimed, claim.wrt, timeout) else "agrees"
        seconds = time.perf_counter() - start
    alone = prove_claim(node, claimed, claim.wrt, timeout) if direct else None
    return Outcome(claim, verdict, seconds, alone)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else math.nan


def _fork_floor() -> float:
    """Median time of the cheapest proof, which is mostly the fork and the pipe."""
    node, claim = parse("x"), parse("1")
    times = []
    for _ in range(9):
        start = time.perf_counter()
        prove_claim(node, claim, "x")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(outcomes: list[Outcome], skipped: Counter, timeout: float) -> list[str]:
    lines = []
    for side in ("right", "wrong"):
        mine = [o for o in outcomes if o.claim.kind.startswith(side)]
        verdicts = Counter(o.verdict for o in mine)
        lines.append(f"{side} claims: {len(mine)} checked: " + ", ".join(
            f"{v} {verdicts[v]}" for v in ("proven", "agrees", "wrong")))
        lines += [f"  set aside, {reason}: {n} ({kind})"
                  for (kind, reason), n in sorted(skipped.items()) if kind.startswith(side)]
        if side == "right" and mine:
            times = [o.seconds for o in mine if o.seconds is not None]
            lines.append(f"  proven share {verdicts['proven'] / len(mine):.1%}; proof time "
                         f"(budget {timeout:g} s, fork included): median "
                         f"{statistics.median(times) * 1000:.0f} ms, 95th percentile "
                         f"{percentile(times, 95) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms; "
                         f"the fork alone (d/dx x = 1): {_fork_floor() * 1000:.0f} ms")
        if side == "wrong":
            direct = [o for o in mine if o.proven_directly is not None]
            lines.append(f"  wrong claims proven by check: {verdicts['proven']}; proven by "
                         f"the prover alone (numbers skipped): "
                         f"{sum(o.proven_directly for o in direct)} of {len(direct)}")
        kinds = Counter(o.claim.kind for o in mine)
        for kind in sorted(kinds):
            got = Counter(o.verdict for o in mine if o.claim.kind == kind)
            lines.append(f"  {kind:<28} {kinds[kind]:>4}: " + ", ".join(
                f"{v} {got[v]}" for v in ("proven", "agrees", "wrong") if got[v]))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--correct", type=int, default=150)
    parser.add_argument("--wrong", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1.0, help="proof budget, seconds")
    parser.add_argument("--show", type=int, default=5, help="examples of each surprise")
    args = parser.parse_args()
    claims, skipped = corpus(args.correct, args.wrong, args.seed)
    outcomes = [measure(c, args.timeout, c.kind.startswith("wrong")) for c in claims]
    print("\n".join(report(outcomes, skipped, args.timeout)))
    surprises = [o for o in outcomes if (o.claim.kind.startswith("right") and o.verdict != "proven")
                 or (o.claim.kind.startswith("wrong") and (o.verdict != "wrong"
                                                            or o.proven_directly))]
    for o in surprises[: args.show * 4]:
        print(f"{o.verdict:>7}  {o.claim.kind:<24} d/d{o.claim.wrt} {o.claim.expression}  "
              f"claim {o.claim.text}  at {o.claim.point}")


if __name__ == "__main__":
    main()
