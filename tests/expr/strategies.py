"""Hypothesis strategies: random expression trees over a few variables."""

from hypothesis import strategies as st

from diffcli.expr.tree import FUNCTIONS, Binary, Call, Node, Num, Unary, Var, postorder, transform

VARIABLES = ("x", "y", "z")
# Smooth functions whose derivative sympy and the engine both know everywhere they are
# finite (the non-smooth ones have kinks, where the two differ by convention).
SMOOTH = ("exp", "log", "log2", "log10", "sin", "cos", "tan", "sqrt", "cbrt", "asin", "acos",
          "atan", "sinh", "cosh", "tanh", "sigmoid", "softplus", "erf", "asinh", "acosh",
          "atanh", "log1p", "expm1", "atan2", "hypot", "pow")

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


def _extend(children, function_names):
    def call(name):
        spec = FUNCTIONS[name]
        return st.lists(children, min_size=spec.min_args, max_size=spec.max_args).map(
            lambda args: Call(name, tuple(args)))

    return st.one_of(
        st.tuples(st.sampled_from(["+", "-", "*", "/", "**"]), children, children).map(
            lambda t: Binary(*t)),
        children.map(lambda c: Unary("-", c)),
        st.sampled_from(function_names).flatmap(call),
    )


ALL_FUNCTIONS = tuple(sorted({s.name for s in FUNCTIONS.values()}))


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


def trees(function_names=ALL_FUNCTIONS, max_leaves=12, variable=True):
    """Random trees using the given functions; with `variable`, each has a variable."""
    drawn = st.recursive(leaves, lambda c: _extend(c, list(function_names)),
                         max_leaves=max_leaves)
    if not variable:
        return drawn
    return st.builds(_with_variable, drawn, st.sampled_from(VARIABLES))
