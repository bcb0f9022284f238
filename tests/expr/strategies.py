"""Test data: random expression trees over a few variables, points in a function's domain."""

import numpy as np
from hypothesis import strategies as st

from diffcli.expr.functions import FUNCTIONS, ROWS
from diffcli.expr.tree import Binary, Call, Node, Num, Unary, Var, postorder, transform

VARIABLES = ("x", "y", "z")
# Rows that take numbers: the elementwise ones, and (at their fewest arguments) the
# reductions and the transpose, which give a number back. The matrix functions need arrays.
ALL_FUNCTIONS = tuple(sorted(spec.name for spec in ROWS if spec.shape in
                             ("elementwise", "reduce", "norm", "dot", "transpose")))
EVERY_ROW = tuple(sorted(spec.name for spec in ROWS))
OPERATORS = ("+", "-", "*", "/", "**")
# Functions whose derivative sympy and the engine agree on wherever both are finite: the
# registry's rows without a kink, and those whose kinks (the origin for atan2 and hypot, a
# zero base for pow) have no sympy derivative to disagree with; not those with an infinite
# derivative where their value is finite (sqrt, cbrt at 0, asin, acos at 1), which float
# autograd multiplies by an inner derivative of 0 into nan, as torch does. Non-smooth
# ones are checked separately.
STEEP = {"sqrt", "cbrt", "asin", "acos", "acosh"}
SMOOTH = tuple(sorted((({spec.name for spec in ROWS if spec.kink is None} - STEEP)
                       | {"atan2", "hypot", "pow"}) & set(ALL_FUNCTIONS)))

numbers = st.one_of(
    st.integers(0, 9).map(float),
    st.floats(0.0, 10.0, allow_nan=False).map(lambda v: round(v, 3)),
    st.sampled_from(["pi", "e", "tau"]).map(lambda n: Num({"pi": 3.141592653589793,
                                                           "e": 2.718281828459045,
                                                           "tau": 6.283185307179586}[n],
                                                          name=n)),
)
leaves = st.one_of(st.sampled_from(VARIABLES).map(Var),
                   numbers.map(lambda v: v if isinstance(v, Num) else Num(v)))


# One draw picks a node. Calls are the likeliest kind, so that every function turns up;
# a leaf is a twelfth, or most trees would be a lone leaf (st.recursive's median).
_KINDS = ("+", "leaf", "-", "*", "/", "**", "-x", "call", "call", "call", "call", "call")


@st.composite
def _tree(draw, function_names: tuple[str, ...], budget: int, operators: tuple[str, ...],
          any_arity: bool) -> Node:
    """A tree of at most `budget` leaves, each operation drawn so that it fits the budget
    (an operand of one argument costs one too, which bounds the depth). st.recursive
    throws away the draws that outgrow its limit; none outgrows this one. `any_arity`:
    calls take any count of arguments their row allows (an axis or an order as a second
    argument then is a tree, which only the parser accepts)."""
    if budget == 1:
        return draw(leaves)
    fitting = [name for name in function_names if FUNCTIONS[name].min_args <= budget]
    kinds = _KINDS if fitting else _KINDS[:_KINDS.index("call")]
    kind = draw(st.sampled_from(kinds + ("@",) if "@" in operators else kinds))
    if kind == "leaf":
        return draw(leaves)
    subtree = lambda leaves_left: _tree(function_names, leaves_left, operators,  # noqa: E731
                                        any_arity)
    if kind == "-x":
        return Unary("-", draw(subtree(budget - 1)))
    if kind in operators:
        left = draw(st.integers(1, budget - 1))
        return Binary(kind, draw(subtree(left)), draw(subtree(budget - left)))
    spec = FUNCTIONS[draw(st.sampled_from(fitting))]
    most = spec.max_args if any_arity or spec.shape == "elementwise" else spec.min_args
    count = draw(st.integers(spec.min_args, min(most, budget)))
    # One argument gets budget - 1; several share the budget, each at least one leaf.
    remaining, args = budget - 1 if count == 1 else budget, []
    for k in range(count):
        share = remaining if k == count - 1 else draw(
            st.integers(1, remaining - (count - 1 - k)))
        args.append(draw(subtree(share)))
        remaining -= share
    return Call(spec.name, tuple(args))


def _with_variable(tree: Node, name: str) -> Node:
    """The tree, or (when it has no variable) the tree with its first leaf made `name`."""
    if any(isinstance(n, Var) for n in postorder(tree)):
        return tree
    first = [True]

    def rebuild(node: Node, args: list) -> Node:
        if isinstance(node, Num):
            if first[0]:
                first[0] = False
                return Var(name)
            return node
        if isinstance(node, Unary):
            return Unary(node.op, args[0])
        if isinstance(node, Binary):
            return Binary(node.op, *args)
        return Call(node.name, tuple(args))

    return transform(tree, rebuild)


def trees(function_names=ALL_FUNCTIONS, max_leaves=12, variable=True, syntax_only=False):
    """Random trees using the given functions; with `variable`, each has a variable. By
    default they evaluate at numbers; `syntax_only` adds `@` and every row's every arity
    (trees for the parser, not for the engine)."""
    operators = (*OPERATORS, "@") if syntax_only else OPERATORS
    drawn = _tree(tuple(function_names), max_leaves, operators, syntax_only)
    if not variable:
        return drawn
    return st.builds(_with_variable, drawn, st.sampled_from(VARIABLES))


def sample(domain, rng: np.random.Generator, size: int) -> np.ndarray:
    """`size` values in a union of intervals, taking the intervals in turn (so each is
    used once size reaches their number), in random order."""
    lows, highs = np.array(domain, dtype=np.float64).T
    pick = rng.permutation(np.arange(size) % len(domain))
    return rng.uniform(lows[pick], highs[pick])
