"""The reference: a minimal pure-Python scalar reverse-mode engine (floats, one order only).

It is what diffcli's scalar graph is measured against: the cost of recording a node and
running the chain rule over it in plain Python, with nothing else (no arrays, no
broadcasting, no higher orders, no error checks).
"""

from __future__ import annotations

import math


class Var:
    """A float that remembers its parents and the local derivative toward each."""

    __slots__ = ("value", "grad", "parents")

    def __init__(self, value: float, parents: tuple = ()) -> None:
        self.value = value
        self.grad = 0.0
        self.parents = parents  # ((parent Var, d self / d parent), ...)

    def __add__(self, other: Var | float) -> Var:
        if isinstance(other, Var):
            return Var(self.value + other.value, ((self, 1.0), (other, 1.0)))
        return Var(self.value + other, ((self, 1.0),))

    def __mul__(self, other: Var | float) -> Var:
        if isinstance(other, Var):
            return Var(self.value * other.value, ((self, other.value), (other, self.value)))
        return Var(self.value * other, ((self, other),))

    __radd__ = __add__
    __rmul__ = __mul__

    def backward(self) -> None:
        """Accumulate d self / d v into v.grad for every v this depends on."""
        self.grad = 1.0
        for node in reversed(topological_order(self)):
            for parent, local in node.parents:
                parent.grad += local * node.grad


def topological_order(root: Var) -> list[Var]:
    """Parents before children, by an explicit-stack depth-first search (no recursion)."""
    order: list[Var] = []
    visited: set[Var] = set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((parent, False) for parent, _ in node.parents if parent not in visited)
    return order


def sin(v: Var) -> Var:
    return Var(math.sin(v.value), ((v, math.cos(v.value)),))


def tensor(value: float, requires_grad: bool = False) -> Var:
    """Mirrors `dc.tensor` / `torch.tensor` so one workload function drives all three."""
    return Var(float(value))
