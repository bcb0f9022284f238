"""Test data: random expression trees over a few variables, points in a function's domain."""

import numpy as np
from hypothesis import strategies as st

from diffcli.expr.tree import FUNCTIONS, Binary, Call, Num, Unary, Var

VARIABLES = ("x", "y", "z")
# Smooth functions whose derivative sympy and the engine both know everywhere they are
# finite; non-smooth ones are checked separately.
SMOOTH = ("exp", "log", "sin", "cos", "tan", "sqrt", "atan", "sinh", "cosh", "tanh",
          "sigmoid", "softplus", "erf", "asinh", "log1p", "expm1", "atan2", "hypot", "pow")

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


def trees(function_names=ALL_FUNCTIONS, max_leaves=12):
    """Random trees using the given functions."""
    return st.recursive(leaves, lambda c: _extend(c, list(function_names)),
                        max_leaves=max_leaves)


def sample(domain, rng: np.random.Generator, size: int) -> np.ndarray:
    """`size` values in a union of intervals, taking the intervals in turn (so each is
    used once size reaches their number), in random order."""
    lows, highs = np.array(domain, dtype=np.float64).T
    pick = rng.permutation(np.arange(size) % len(domain))
    return rng.uniform(lows[pick], highs[pick])
