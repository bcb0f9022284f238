"""Every row of the function registry, walked: a new row cannot skip these tests.

For each function (and each of its arities) at points sampled in the row's domain: the
engine op resolves and passes gradcheck and gradgradcheck; the sympy counterpart, at 30
digits, equals the engine's forward and the parser's fold; and the symbolic witness,
evaluated on vectors as a batch check does (lambdify), gives the function and its partial
derivatives as the closed forms written by hand below.
"""

import re
import zlib
from pathlib import Path

import numpy as np
import pytest
import sympy

from diffcli import autograd
from diffcli.expr import parse
from diffcli.expr.functions import FUNCTIONS, ROWS
from diffcli.expr.symbolic import symbol, to_sympy
from diffcli.expr.tape import engine_op
from diffcli.expr.tree import Binary, Call, Var
from diffcli.verify import check_gradient

from .strategies import sample

README = Path(__file__).resolve().parents[2] / "README.md"


def _zero(x):
    return np.zeros_like(x)


# Partial derivatives by hand, one per argument; a reduction's is its gradient vector.
# Keyed like the cases: the name, and "/n" for a function of n or more arguments.
DERIVATIVES = {
    "abs": (np.sign,),
    "exp": (np.exp,),
    "expm1": (np.exp,),
    "log/1": (lambda x: 1 / x,),
    "log/2": (lambda x, b: 1 / (x * np.log(b)), lambda x, b: -np.log(x) / (b * np.log(b) ** 2)),
    "log1p": (lambda x: 1 / (1 + x),),
    "log2": (lambda x: 1 / (x * np.log(2)),),
    "log10": (lambda x: 1 / (x * np.log(10)),),
    "sqrt": (lambda x: 0.5 / np.sqrt(x),),
    "cbrt": (lambda x: 1 / (3 * np.abs(x) ** (2 / 3)),),
    "sin": (np.cos,),
    "cos": (lambda x: -np.sin(x),),
    "tan": (lambda x: 1 / np.cos(x) ** 2,),
    "asin": (lambda x: 1 / np.sqrt(1 - x**2),),
    "acos": (lambda x: -1 / np.sqrt(1 - x**2),),
    "atan": (lambda x: 1 / (1 + x**2),),
    "atan2": (lambda y, x: x / (x**2 + y**2), lambda y, x: -y / (x**2 + y**2)),
    "sinh": (np.cosh,),
    "cosh": (np.sinh,),
    "tanh": (lambda x: 1 / np.cosh(x) ** 2,),
    "asinh": (lambda x: 1 / np.sqrt(x**2 + 1),),
    "acosh": (lambda x: 1 / np.sqrt(x**2 - 1),),
    "atanh": (lambda x: 1 / (1 - x**2),),
    "sigmoid": (lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2,),
    "relu": (lambda x: (x > 0) * 1.0,),
    "softplus": (lambda x: 1 / (1 + np.exp(-x)),),
    "erf": (lambda x: 2 / np.sqrt(np.pi) * np.exp(-(x**2)),),
    "erfc": (lambda x: -2 / np.sqrt(np.pi) * np.exp(-(x**2)),),
    "hypot": (lambda a, b: a / np.sqrt(a**2 + b**2), lambda a, b: b / np.sqrt(a**2 + b**2)),
    "max": (lambda a, b: (a > b) * 1.0, lambda a, b: (b > a) * 1.0),
    "min": (lambda a, b: (a < b) * 1.0, lambda a, b: (b < a) * 1.0),
    "clamp": (lambda x, lo, hi: ((lo < x) & (x < hi)) * 1.0,
              lambda x, lo, hi: (x < lo) * 1.0,
              lambda x, lo, hi: (x > hi) * 1.0),
    "sign": (_zero,),
    "floor": (_zero,),
    "ceil": (_zero,),
    "round": (_zero,),
    "pow": (lambda a, b: b * a ** (b - 1), lambda a, b: a**b * np.log(a)),
    "sum": (np.ones_like,),
    "mean": (lambda v: np.full_like(v, 1 / v.size),),
    "prod": (lambda v: np.prod(v) / v,),
    "norm": (lambda v: v / np.sqrt(np.sum(v**2)),),
    "dot": (lambda v, w: w, lambda v, w: v),
}

CASES = {
    (spec.name if spec.min_args == spec.max_args else f"{spec.name}/{n}"): (spec, n)
    for spec in ROWS
    for n in range(spec.min_args, spec.max_args + 1)
}
IDS = sorted(CASES)
SIZE = 6  # elements of each argument: a batch of points, or a reduction's vector


def _arguments(case: str) -> list[np.ndarray]:
    """Seeded values for each argument, inside the row's domain."""
    spec, n = CASES[case]
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    return [sample(domain, rng, SIZE) for domain in spec.domain[:n]]


def _names(n: int) -> list[str]:
    return [f"x{i}" for i in range(n)]


def _call(case: str) -> Call:
    spec, n = CASES[case]
    return Call(spec.name, tuple(Var(name) for name in _names(n)))


def _exact(expr, values: dict[str, float]) -> float:
    """sympy's value with 30 significant digits (exact Floats substituted, then evalf)."""
    exact = {symbol(name): sympy.Float(v, 30) for name, v in values.items()}
    value = complex(expr.xreplace(exact).evalf(30))
    assert abs(value.imag) <= 1e-25 * abs(value.real), value
    return value.real


def test_every_case_has_a_derivative_by_hand_and_no_stale_one():
    assert sorted(DERIVATIVES) == IDS


@pytest.mark.parametrize("name", IDS)
def test_domain_has_intervals_for_every_argument(name):
    spec, _ = CASES[name]
    assert len(spec.domain) == spec.max_args
    for intervals in spec.domain:
        assert intervals and all(lo < hi for lo, hi in intervals)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_name_parses_to_its_row_and_resolves_an_engine_op(name):
    spec = FUNCTIONS[name]
    names = _names(spec.min_args)
    assert parse(f"{name}({', '.join(names)})") == Call(spec.name, tuple(map(Var, names)))
    args = [autograd.tensor(np.full(3, (lo + hi) / 2)) for (lo, hi), *_ in spec.domain]
    out = engine_op(name)(*args[: spec.min_args])
    assert isinstance(out, autograd.Tensor) and np.all(np.isfinite(out.data))


@pytest.mark.parametrize("case", IDS)
def test_engine_op_passes_gradcheck_in_its_domain(case):
    spec, _ = CASES[case]
    inputs = tuple(autograd.tensor(a, requires_grad=True) for a in _arguments(case))
    assert autograd.gradcheck(engine_op(spec.name), inputs)


@pytest.mark.parametrize("case", IDS)
def test_engine_op_passes_gradgradcheck_in_its_domain(case):
    spec, _ = CASES[case]
    inputs = tuple(autograd.tensor(a, requires_grad=True) for a in _arguments(case))
    assert autograd.gradgradcheck(engine_op(spec.name), inputs)


@pytest.mark.parametrize("case", [c for c in IDS if CASES[c][0].kink is not None])
def test_domain_points_are_off_the_kinks(case):
    spec, _ = CASES[case]
    assert not np.any(spec.kink(*_arguments(case)))


@pytest.mark.parametrize("case", IDS)
def test_sympy_counterpart_equals_engine_forward_and_fold_to_30_digits(case):
    spec, n = CASES[case]
    args = _arguments(case)
    names = _names(n)
    engine = engine_op(spec.name)(*(autograd.tensor(a) for a in args)).data
    if spec.reduces:
        expr = to_sympy(_call(case), {name: SIZE for name in names})
        exact = _exact(expr, {f"{name}[{i}]": a[i] for name, a in zip(names, args)
                              for i in range(SIZE)})
        assert engine == pytest.approx(exact, rel=1e-12, abs=1e-14)
        # The fold reduces a constant, a vector of one element.
        scalar = [float(a[0]) for a in args]
        exact = _exact(to_sympy(_call(case), dict.fromkeys(names, 1)),
                       {f"{name}[0]": v for name, v in zip(names, scalar)})
        assert spec.fold(*scalar) == pytest.approx(exact, rel=1e-12, abs=1e-14)
        return
    expr = to_sympy(_call(case))
    for i in range(SIZE):
        point = [float(a[i]) for a in args]
        exact = _exact(expr, dict(zip(names, point)))
        assert engine[i] == pytest.approx(exact, rel=1e-12, abs=1e-14), point
        assert spec.fold(*point) == pytest.approx(exact, rel=1e-12, abs=1e-14), point


@pytest.mark.parametrize("case", IDS)
def test_symbolic_witness_on_vectors_gives_the_function_and_its_derivatives_by_hand(case):
    """The checked expression is w * f(x0, ...): d/dw makes the witness evaluate f itself,
    d/dxi its partial derivatives, on a batch of points (a reduction: one vector)."""
    spec, n = CASES[case]
    args = _arguments(case)
    names = _names(n)
    rng = np.random.default_rng(zlib.crc32(case.encode()) + 1)
    w = rng.uniform(0.5, 2.0, None if spec.reduces else SIZE)
    point = {"w": w, **dict(zip(names, args))}
    check = check_gradient(Binary("*", Var("w"), _call(case)), point)
    assert check.skipped is None
    symbolic = {c.name: c.symbolic for c in check.components}
    value = engine_op(spec.name)(*(autograd.tensor(a) for a in args)).data
    np.testing.assert_allclose(symbolic["w"], value, rtol=1e-12, atol=1e-14)
    for name, partial in zip(names, DERIVATIVES[case], strict=True):
        np.testing.assert_allclose(symbolic[name], w * partial(*args), rtol=1e-10, atol=1e-12,
                                   err_msg=name)
    assert [c.status for c in check.components] == ["match"] * (n + 1), check.to_json()


def test_clamp_passes_the_gradient_to_a_bound_where_it_binds_as_torch_clamp_does():
    # torch.clamp(x, lo, hi) with tensor bounds, summed and back-propagated (torch 2.13).
    # Point 6 has lo > hi, where the result is hi throughout; the last three lo == hi.
    x = autograd.tensor([-2.0, -1.0, 0.0, 1.0, 2.0, 0.5, 0.0, 1.0, 2.0], requires_grad=True)
    lo = autograd.tensor([-1.0, -1.0, -1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 1.0], requires_grad=True)
    hi = autograd.tensor([1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0], requires_grad=True)
    out = engine_op("clamp")(x, lo, hi)
    out.sum().backward()
    np.testing.assert_array_equal(out.data, [-1.0, -1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0])
    np.testing.assert_array_equal(lo.grad.data, [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(hi.grad.data, [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0])


# Kinks, where sympy's derivative is not a number (or splits a tie in half) and autograd
# gives torch's value (torch 2.13): the check calls them a convention, never a mismatch
# (where sympy has no number, finite differences judge, and may agree with torch's value).
KINKS = [
    ("norm(x)", {"x": np.zeros(2)}, {"x": [0.0, 0.0]}),
    ("atan2(y, x)", {"y": 0.0, "x": 0.0}, {"y": 0.0, "x": 0.0}),
    ("clamp(x, lo, hi)", {"x": 0.0, "lo": 1.0, "hi": 1.0}, {"x": 0.0, "lo": 0.0, "hi": 0.0}),
    ("pow(x, x)", {"x": 0.0}, {"x": 0.0}),
    ("pow(x, y)", {"x": 0.0, "y": 1.0}, {"x": 1.0, "y": 0.0}),
]


@pytest.mark.parametrize(("text", "point", "torch"), KINKS, ids=[k[0] for k in KINKS])
def test_a_kink_is_judged_a_convention_not_a_mismatch(text, point, torch):
    check = check_gradient(parse(text), point)
    for c in check.components:
        np.testing.assert_array_equal(c.autograd, torch[c.name])
    statuses = {c.status for c in check.components}
    assert statuses <= {"convention", "match", "unchecked"} and check.agree is not False
    assert "convention" in statuses or any(c.symbolic is not None and np.isnan(c.symbolic).any()
                                           for c in check.components)


def test_erfc_keeps_its_relative_precision_in_the_tail_where_one_minus_erf_is_zero():
    x = np.array([3.0, 6.0, 10.0])
    value = engine_op("erfc")(autograd.tensor(x)).data
    exact = [float(sympy.erfc(sympy.Float(v, 30)).evalf(30)) for v in x]
    np.testing.assert_allclose(value, exact, rtol=1e-14)
    assert value[-1] > 0


def test_readme_names_every_function_of_the_registry():
    section = README.read_text().split("## The expression language")[1].split("\n## ")[0]
    missing = [spec.name for spec in ROWS if not re.search(rf"\b{spec.name}\b", section)]
    assert missing == []

