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


def _extend(children, function_names, operators, any_arity):
    def call(name):
        spec = FUNCTIONS[name]
        # An axis or an order as a second argument must be a literal: only at any_arity.
        most = spec.max_args if any_arity or spec.shape == "elementwise" else spec.min_args
        return st.lists(children, min_size=spec.min_args, max_size=most).map(
            lambda args: Call(name, tuple(args)))

    return st.one_of(
        st.tuples(st.sampled_from(operators), children, children).map(lambda t: Binary(*t)),
        children.map(lambda c: Unary("-", c)),
        st.sampled_from(function_names).flatmap(call),
    )


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
    drawn = st.recursive(leaves, lambda c: _extend(c, list(function_names), operators,
                                                   syntax_only), max_leaves=max_leaves)
    if not variable:
        return drawn
    return st.builds(_with_variable, drawn, st.sampled_from(VARIABLES))


def sample(domain, rng: np.random.Generator, size: int) -> np.ndarray:
    """`size` values in a union of intervals, taking the intervals in turn (so each is
    used once size reaches their number), in random order."""
    lows, highs = np.array(domain, dtype=np.float64).T
    pick = rng.permutation(np.arange(size) % len(domain))
    return rng.uniform(lows[pick], highs[pick])
