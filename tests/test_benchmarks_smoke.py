"""The benchmarks keep working: every code path at tiny sizes, checked for right answers.

No timing is asserted here (speed lives in `python -m benchmarks.run`); what is asserted
is that each workload computes what it claims, against an independent truth.
"""

import math
import sys

import numpy as np
import pytest
import sympy

from benchmarks import bench_proofs, cli, engine, reference_tape
from benchmarks.harness import Row, render
from diffcli.expr import parse
from diffcli.expr.symbolic import to_sympy


@pytest.fixture(scope="module")
def dc():
    return engine.diffcli()


def central_difference(f, xs, h=1e-6):
    """Gradient of a numpy function by central differences, one coordinate at a time."""
    grad = np.empty_like(xs)
    for i in range(xs.size):
        step = np.zeros_like(xs)
        step[i] = h
        grad[i] = (f(xs + step) - f(xs - step)) / (2 * h)
    return grad


# Near the fixed point each local derivative 1.0001 + cos(x) cancels to about 1e-4, so
# summing the two terms in another order costs a few digits: hence rel=1e-9, not 1e-15.
@pytest.mark.parametrize("steps", [1, 2, 7, 40])
def test_reference_tape_matches_the_chain_rule_by_hand(steps):
    assert engine.scalar_grad(reference_tape, steps) == pytest.approx(
        engine.scalar_grad_by_hand(steps), rel=1e-9)


def test_reference_tape_orders_a_shared_subexpression_before_its_users():
    # f = a*a + a + x with a = x*y: a is reached along two paths, so a wrong order
    # would push a's gradient on before all of it arrived.
    x, y = reference_tape.Var(1.5), reference_tape.Var(-2.0)
    a = x * y
    (a * a + a + x).backward()
    assert x.grad == pytest.approx(2 * (1.5 * -2.0) * -2.0 + -2.0 + 1)
    assert y.grad == pytest.approx(2 * (1.5 * -2.0) * 1.5 + 1.5)


def test_diffcli_scalar_graph_gradient_matches_the_chain_rule_by_hand(dc):
    assert engine.scalar_grad(dc, 12) == pytest.approx(engine.scalar_grad_by_hand(12), rel=1e-9)


def test_hand_written_points_derivative_matches_finite_differences():
    xs, ys = engine.sample_points(5)
    for k in range(5):
        def f(p, k=k):
            return float(engine.surface(np, p[0], p[1]))
        point = np.array([xs[k], ys[k]])
        by_hand = [g[k] for g in engine.points_grad_by_hand(xs, ys)]
        assert central_difference(f, point) == pytest.approx(by_hand, rel=1e-7)


def test_diffcli_points_gradient_equals_the_hand_written_numpy_derivative(dc):
    xs, ys = engine.sample_points(50)
    for got, want in zip(engine.points_grad(dc, xs, ys), engine.points_grad_by_hand(xs, ys),
                         strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_nth_derivative_matches_sympy(dc, n):
    assert engine.nth_derivative(dc, n) == pytest.approx(engine.nth_derivative_sympy(n),
                                                         rel=1e-10)


def test_nth_derivative_sympy_matches_a_closed_form():
    # d/dx exp(sin x) = cos(x) exp(sin x), worked by hand.
    assert engine.nth_derivative_sympy(1) == pytest.approx(math.cos(0.7) * math.exp(math.sin(0.7)))


@pytest.mark.parametrize("name", ["diffcli", "reference"])
def test_chain_in_a_subprocess_reports_the_right_gradient(name):
    result = engine.chain_in_subprocess(name, 30)
    assert result["grad"] == pytest.approx(engine.scalar_grad_by_hand(10), rel=1e-9)


@pytest.mark.parametrize("name", ["diffcli", "reference"])
def test_chain_peak_memory_counts_the_graph(name):
    # Every op keeps at least a node object and a numpy array alive until backward (a bare
    # 0-d float64 array alone is about 100 bytes), so a long chain must show that much.
    ops = 60_000
    assert engine.chain_in_subprocess(name, ops)["peak_bytes"] >= 100 * ops


def test_analytic_rosenbrock_hessian_matches_finite_differences():
    xs = np.random.default_rng(3).uniform(-1.5, 1.5, 6)
    h, eye = 1e-4, np.eye(xs.size)

    def f(p):
        return float(engine.rosenbrock(p))

    by_differences = np.array([[
        (f(xs + h * (ei + ej)) - f(xs + h * (ei - ej)) - f(xs - h * (ei - ej))
         + f(xs - h * (ei + ej))) / (4 * h * h) for ej in eye] for ei in eye])
    np.testing.assert_allclose(engine.rosenbrock_hessian_by_hand(xs), by_differences,
                               rtol=1e-5, atol=1e-4)


def test_diffcli_rosenbrock_hessian_equals_the_analytic_one(dc):
    xs = np.random.default_rng(4).uniform(-1.5, 1.5, 7)
    np.testing.assert_allclose(engine.rosenbrock_hessian(dc, xs),
                               engine.rosenbrock_hessian_by_hand(xs), rtol=1e-12, atol=1e-9)


def _no_wrong_answers(rows: list[Row]) -> None:
    assert rows
    for row in rows:
        assert "WRONG" not in row.note and "not available" not in row.note, row
        assert row.value is not None and math.isfinite(row.value), row


def test_engine_benchmarks_run_at_tiny_sizes_with_right_answers():
    rows = (engine.bench_scalar((30,), repeats=1) + engine.bench_points(200, repeats=1)
            + engine.bench_nth(3, repeats=1) + engine.bench_chain(60, memory_ops=90, repeats=1)
            + engine.bench_hessian(5, repeats=1))
    _no_wrong_answers(rows)
    assert "scalar graph 30 ops, fwd+bwd" in render(rows, with_torch=False)


def test_cli_benchmark_runs_the_real_command_with_right_answers():
    _no_wrong_answers(cli.bench_cli(points=20, repeats=1, batch_repeats=1))


def test_cli_benchmark_reports_a_failing_command_as_not_available():
    with pytest.raises(cli.Unavailable, match="exit 3: boom"):
        cli.run([sys.executable, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(3)"])


def test_cli_benchmark_rejects_a_wrong_or_short_answer():
    right = b'{"gradient": {"x": 12.0, "y": 6.0}}\n'
    cli.check_gradients(right, [(2, 3)])
    with pytest.raises(cli.Unavailable, match="line 1"):
        cli.check_gradients(b'{"gradient": {"x": 12.0, "y": 7.0}}\n', [(2, 3)])
    with pytest.raises(cli.Unavailable, match="2 lines for 1 points"):
        cli.check_gradients(right * 2, [(2, 3)])


def test_cli_benchmark_rejects_a_checked_batch_whose_check_does_not_agree():
    # sin(0)e^0 + 0 = 0 and cos(0)e^0 + 0 = 1 by hand, at (0, 0)
    line = b'{"gradient": {"x": 1.0, "y": 0.0}, "check": {"agree": %s}}\n'
    cli.check_gradients(line % b"true", [(0, 0)], cli.typical_gradient, checked=True)
    for agree in (b"false", b"null"):
        with pytest.raises(cli.Unavailable, match="check"):
            cli.check_gradients(line % agree, [(0, 0)], cli.typical_gradient, checked=True)
    with pytest.raises(cli.Unavailable, match="gradient"):
        cli.check_gradients(line % b"true", [(0.5, 0)], cli.typical_gradient, checked=True)


@pytest.mark.parametrize(
    ("expression", "kind", "by_hand"),
    [
        ("x**3", "power", "x**2"),  # 3*x**2 without the 3
        ("sin(2*x)", "chain", "cos(2*x)"),  # without the inner 2
        ("cos(x)", "sincos", "sin(x)"),  # -sin(x) with the sign lost
        ("x*sin(x)", "product", "sin(x)"),  # sin(x) + x*cos(x) without x*cos(x)
        ("x**2", "sign", "-2*x"),
        ("x**2", "factor2", "4*x"),
    ],
)
def test_proof_corpus_mistakes_are_the_textbook_ones(expression, kind, by_hand):
    expr = to_sympy(parse(expression))
    wrong, sites = bench_proofs.mistaken_derivative(expr, bench_proofs.X, kind, 0)
    assert sites >= 1
    assert sympy.expand(wrong - to_sympy(parse(by_hand))) == 0


def test_proof_corpus_at_tiny_size_parses_and_no_wrong_claim_is_proven():
    claims, _ = bench_proofs.corpus(4, 6, seed=3)
    assert len(claims) == 10
    for claim in claims:
        truth = sympy.diff(to_sympy(parse(claim.expression)), sympy.Symbol(claim.wrt, real=True))
        gap = (to_sympy(parse(claim.text)) - truth).subs(
            {sympy.Symbol(k, real=True): v for k, v in claim.point.items()})
        outcome = bench_proofs.measure(claim, 5.0, direct=True)
        if claim.kind.startswith("right"):
            assert abs(complex(gap)) < 1e-9 and outcome.verdict != "wrong", claim
        else:
            assert outcome.verdict != "proven" and not outcome.proven_directly, claim


def test_taylor_rows_agree_with_nested_grad_where_it_ran_and_say_where_it_stopped():
    from benchmarks import bench_taylor

    rows = bench_taylor.bench_orders(stop=0.05, repeats=1)
    assert [r.workload.split(",")[0] for r in rows] == [
        f"d^{n}/dx^{n} exp(sin x)" for n in bench_taylor.ORDERS]
    assert all(r.met is not False for r in rows)  # Taylor and nested grad agreed
    assert rows[0].ref_value is not None and "would pass" in rows[-1].note
