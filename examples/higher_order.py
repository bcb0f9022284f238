"""Taylor coefficients of exp(sin(x)) at 0 by nested autograd.grad, checked against sympy.

Run: python examples/higher_order.py   (exit status 1 if the two disagree)
"""

import math
import sys

import sympy

import diffcli as dc
from diffcli import autograd

ORDER = 8

# create_graph=True records the backward pass itself, so each derivative is again a
# tensor with a grad_fn, and differentiating it once more gives the next order.
x = dc.tensor(0.0, requires_grad=True)
derivative = dc.exp(dc.sin(x))
ours = [derivative.item()]
for _ in range(ORDER):
    (derivative,) = autograd.grad(derivative, x, create_graph=True)
    ours.append(derivative.item())
coefficients = [d / math.factorial(k) for k, d in enumerate(ours)]  # f^(k)(0) / k!

# The exact series, built from sympy constructors rather than parsed from a string.
s = sympy.Symbol("s")
series = sympy.series(sympy.exp(sympy.sin(s)), s, 0, ORDER + 1).removeO()
exact = [series.coeff(s, k) for k in range(ORDER + 1)]

print(f"{'k':>2}  {'autograd f^(k)(0)/k!':>24}  {'sympy':>8}  {'difference':>10}")
worst = 0.0
for k, (c, e) in enumerate(zip(coefficients, exact)):
    difference = abs(c - float(e))
    worst = max(worst, difference)
    print(f"{k:>2}  {c!r:>24}  {str(e):>8}  {difference:>10.1e}")
print(f"max difference {worst:.1e}")
sys.exit(0 if worst <= 1e-9 else 1)
